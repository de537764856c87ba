"""lifecycle/issue.py: issue is idempotent per identity; check mode writes nothing; diff."""
import pytest

from ansible_collections.pki.lifecycle.plugins.module_utils.errors import InputError, PolicyError


def test_issue_twice_changes_nothing(pki):
    csr = pki.csr('www.example.org')
    first = pki.issue(csr=csr, labels={'host': 'www1'})
    assert first['changed'] is True
    assert first['certificate']['state'] == 'issued'
    assert first['certificate']['subject_alt_names'] == ['DNS:www.example.org']
    before = pki.snapshot()
    second = pki.issue(csr=csr, labels={'host': 'www1'})
    assert second['changed'] is False
    assert 'exists' in second['reason']
    assert second['certificate']['uuid'] == first['certificate']['uuid']
    assert second['certificate_pem'] == first['certificate_pem']
    assert pki.snapshot() == before
    assert len(pki.certificates(state='issued')) == 1


def test_force_issues_again(pki):
    csr = pki.csr('www.example.org')
    first = pki.issue(csr=csr)
    again = pki.issue(csr=csr, force=True)
    assert again['changed'] is True and 'force' in again['reason']
    assert again['certificate']['serial'] != first['certificate']['serial']


def test_issue_from_a_generated_token_key_twice(pki):
    params = dict(token_profile='keys', key='app', generate_key=True, subject='CN=app.example.org',
                  subject_alt_names=['DNS:app.example.org'])
    first = pki.run('issue', ra_profile='web', **params)
    assert first['changed'] is True and first['certificate']['key_source'] == 'token'
    second = pki.run('issue', ra_profile='web', **params)
    assert second['changed'] is False
    assert second['certificate']['uuid'] == first['certificate']['uuid']


def test_check_mode_writes_nothing_and_calls_no_ca(pki, forbid_ca):
    no_ca = forbid_ca()
    before = pki.snapshot()
    result = pki.issue(check_mode=True)
    assert result['changed'] is True and result['reason'].startswith('Would issue')
    assert result['certificate'] == {}
    assert no_ca == []
    assert pki.snapshot() == before


def test_check_mode_generates_no_key(pki, forbid_ca):
    no_ca = forbid_ca()
    result = pki.run('issue', check_mode=True, ra_profile='web', token_profile='keys', key='later',
                     generate_key=True, subject='CN=later.example.org')
    assert result['changed'] is True
    assert not any(pki.keys_dir.glob('later*')) and no_ca == []


def test_diff_shows_the_new_certificate(pki):
    result = pki.issue(diff_mode=True)
    assert result['diff']['before'] == {}
    after = result['diff']['after']
    assert after['state'] == 'issued' and after['serial'] == result['certificate']['serial']
    assert 'certificate_pem' not in after


def test_unchanged_diff_is_empty_on_both_sides(pki):
    csr = pki.csr('www.example.org')
    pki.issue(csr=csr)
    result = pki.issue(csr=csr, diff_mode=True)
    assert result['changed'] is False
    assert result['diff']['before'] == result['diff']['after']


def test_bad_input_leaves_the_inventory_unchanged(pki, forbid_ca):
    no_ca = forbid_ca()
    before = pki.snapshot()
    with pytest.raises(PolicyError):
        pki.issue(name='www.elsewhere.test')
    with pytest.raises(InputError, match='pki.lifecycle.ra_profile'):
        pki.run('issue', ra_profile='nope', csr=pki.csr('www.example.org'))
    assert no_ca == []
    assert pki.snapshot() == before
