"""lifecycle/revoke.py: revoke once, then nothing; reasons; check mode; diff."""
import pytest

from ansible_collections.pki.lifecycle.plugins.module_utils.errors import InputError


def test_revoke_twice_changes_nothing_the_second_time(pki):
    issued = pki.issue()['certificate']
    first = pki.run('revoke', certificate=issued['serial'], reason='key_compromise', diff_mode=True)
    assert first['changed'] is True
    assert first['certificate']['state'] == 'revoked'
    assert first['certificate']['revocation_reason'] == 'keyCompromise'
    assert first['diff']['before']['state'] == 'issued' and first['diff']['after']['state'] == 'revoked'
    assert first['crl_path'] and first['crl_number'] >= 1
    before = pki.snapshot()
    second = pki.run('revoke', certificate=issued['uuid'], reason='keyCompromise', diff_mode=True)
    assert second['changed'] is False and second['reason'].startswith('Already revoked (keyCompromise)')
    assert second['diff']['before'] == second['diff']['after']
    assert pki.snapshot() == before


def test_revoke_check_mode_writes_nothing_and_calls_no_ca(pki, forbid_ca):
    issued = pki.issue()['certificate']
    no_ca = forbid_ca()
    before = pki.snapshot()
    result = pki.run('revoke', check_mode=True, diff_mode=True, certificate=issued['uuid'], reason='superseded')
    assert result['changed'] is True and result['reason'].startswith('Would revoke')
    assert result['diff']['after']['state'] == 'revoked'
    assert no_ca == []
    assert pki.snapshot() == before


def test_unknown_reason_names_the_valid_ones(pki):
    issued = pki.issue()['certificate']
    with pytest.raises(InputError) as err:
        pki.run('revoke', certificate=issued['uuid'], reason='because')
    assert 'cessationOfOperation' in str(err.value)


def test_unknown_certificate_is_refused(pki):
    with pytest.raises(InputError, match='not in the inventory'):
        pki.run('revoke', certificate='00000000-0000-0000-0000-000000000000', reason='superseded')


def test_an_expired_certificate_is_retired_without_asking_its_ca(pki, forbid_ca, monkeypatch):
    """Found by the 400-day soak: decommission (scope: all) revoked the superseded predecessors
    of a rolled-over CA after that CA expired, and the CA refused. An expired certificate needs
    no CRL entry; the inventory records it revoked, the CA is not called."""
    import datetime
    from ansible_collections.pki.lifecycle.plugins.module_utils.lifecycle import revoke
    issued = pki.issue()['certificate']
    later = revoke.parse_iso(issued['not_after']) + datetime.timedelta(seconds=1)
    monkeypatch.setattr(revoke, 'utcnow', lambda: later)
    no_ca = forbid_ca()
    result = pki.run('revoke', certificate=issued['uuid'], reason='cessationOfOperation')
    assert no_ca == []
    assert result['changed'] is True and result['certificate']['state'] == 'revoked'
    assert 'expired at %s' % issued['not_after'] in result['reason'] and 'crl_path' not in result
    again = pki.run('revoke', certificate=issued['uuid'], reason='cessationOfOperation')
    assert again['changed'] is False


def test_a_certificate_still_valid_is_revoked_at_its_ca(pki, forbid_ca):
    issued = pki.issue()['certificate']
    forbid_ca()
    with pytest.raises(AssertionError, match='the CA was called: revoke'):
        pki.run('revoke', certificate=issued['uuid'], reason='superseded')
