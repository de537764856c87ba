"""lifecycle/profiles.py: RA-profile and token-profile upserts (one implementation): create,
unchanged, update, remove, check mode, diff, secrets refused."""
import pytest

from ansible_collections.pki.lifecycle.plugins.module_utils.errors import InputError, PolicyError

KINDS = [
    # kind, name of the profile the fixture made, a changed field, the noun in messages
    ('ra_profile', 'web', dict(description='changed'), 'RA profile'),
    ('token_profile', 'keys', dict(options=dict(path='/tmp/pki-unit-other-keys')), 'Token profile'),
]


def _present(pki, kind, **overrides):
    return pki.ra_profile(**overrides) if kind == 'ra_profile' else pki.token_profile(**overrides)


@pytest.mark.parametrize('kind, name, change, noun', KINDS)
def test_upsert_is_idempotent(pki, kind, name, change, noun):
    before = pki.snapshot()
    again = _present(pki, kind, diff_mode=True)
    assert again['changed'] is False and again['reason'] == '%s %r is as requested.' % (noun, name)
    assert again['diff']['before'] == again['diff']['after']
    assert pki.snapshot() == before
    updated = _present(pki, kind, diff_mode=True, **change)
    assert updated['changed'] is True and updated['reason'].startswith('Updated')
    key = list(change)[0]
    assert updated['diff']['after'][key] == change[key] != updated['diff']['before'][key]
    assert updated[kind]['created_at'] == again[kind]['created_at']
    assert _present(pki, kind, **change)['changed'] is False


@pytest.mark.parametrize('kind, name, change, noun', KINDS)
def test_upsert_check_mode_writes_nothing(pki, kind, name, change, noun):
    before = pki.snapshot()
    result = _present(pki, kind, check_mode=True, **change)
    assert result['changed'] is True
    created = _present(pki, kind, check_mode=True, name='other')
    assert created['changed'] is True and created['reason'].startswith('Created')
    removed = pki.run(kind, check_mode=True, name='other', state='absent')
    assert removed['changed'] is False and 'does not exist' in removed['reason']
    assert pki.snapshot() == before


@pytest.mark.parametrize('kind, name, change, noun', KINDS)
def test_remove_then_remove_again(pki, kind, name, change, noun):
    result = pki.run(kind, name=name, state='absent', diff_mode=True)
    assert result['changed'] is True and result[kind] == {}
    assert result['diff']['after'] == {} and result['diff']['before']['name'] == name
    again = pki.run(kind, name=name, state='absent')
    assert again['changed'] is False and again['reason'] == '%s %r does not exist.' % (noun, name)


def test_ra_profile_in_use_is_not_removed(pki):
    pki.issue()
    before = pki.snapshot()
    with pytest.raises(PolicyError, match='still has 1 issued') as err:
        pki.run('ra_profile', name='web', state='absent')
    assert 'enabled: false' in err.value.hint
    assert pki.snapshot() == before


@pytest.mark.parametrize('kind, options, match', [
    ('ra_profile', dict(connector_options=dict(api_password='x')), 'connector_secrets'),
    ('ra_profile', dict(connector_options=dict(colour='red')), 'Valid options are: ca_'),
    ('token_profile', dict(options=dict(pin='1234')), 'token_secrets'),
    ('token_profile', dict(options=dict(colour='red')), 'Valid options are: path'),
])
def test_secret_or_unknown_options_are_refused(pki, kind, options, match):
    before = pki.snapshot()
    with pytest.raises(InputError) as err:
        _present(pki, kind, name='new', **options)
    assert match in str(err.value)
    assert pki.snapshot() == before


def test_disabled_ra_profile_issues_nothing(pki):
    pki.ra_profile(enabled=False)
    with pytest.raises(PolicyError, match='disabled'):
        pki.issue()
