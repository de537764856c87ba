"""lifecycle/rekey.py: the same key is refused; a new key gives a new lineage member."""
import pytest

from ansible_collections.pki.lifecycle.plugins.module_utils.errors import InputError


def test_rekey_with_the_same_key_is_refused(pki):
    csr = pki.csr('www.example.org')
    issued = pki.issue(csr=csr)['certificate']
    before = pki.snapshot()
    with pytest.raises(InputError, match='same key') as err:
        pki.run('rekey', certificate=issued['uuid'], csr=csr)
    assert 'different key' in err.value.hint
    assert pki.snapshot() == before


def test_rekey_with_a_new_key_then_again_changes_nothing(pki):
    issued = pki.issue()['certificate']
    new_csr = pki.csr('www.example.org')
    rekeyed = pki.run('rekey', certificate=issued['uuid'], csr=new_csr, revoke_previous=True, diff_mode=True)
    assert rekeyed['changed'] is True and 'revoked' in rekeyed['reason']
    new = rekeyed['certificate']
    assert new['lineage']['rekeyed_from'] == issued['uuid'] and new['spki_sha256'] != issued['spki_sha256']
    assert rekeyed['diff']['before']['serial'] == issued['serial']
    assert pki.certificates(uuid=issued['uuid'])[0]['state'] == 'revoked'
    before = pki.snapshot()
    again = pki.run('rekey', certificate=issued['uuid'], csr=new_csr)
    assert again['changed'] is False and again['certificate']['uuid'] == new['uuid']
    assert pki.snapshot() == before


def test_rekey_check_mode_writes_nothing(pki, forbid_ca):
    issued = pki.issue()['certificate']
    no_ca = forbid_ca()
    before = pki.snapshot()
    result = pki.run('rekey', check_mode=True, certificate=issued['uuid'], csr=pki.csr('www.example.org'))
    assert result['changed'] is True and result['reason'] == 'Would rekey certificate %s.' % issued['uuid']
    assert no_ca == []
    assert pki.snapshot() == before
