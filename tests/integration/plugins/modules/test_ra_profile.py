"""pki.lifecycle.ra_profile through pytest-ansible on localhost (embedded CA)."""


def profile_args(pki, **policy):
    return dict(name='web', connector='local', connector_options={'directory': pki.ca_dir},
                policy=dict({'allowed_names': ['*.example.test'], 'max_validity_days': 90}, **policy))


def test_create_then_unchanged_then_update(pki):
    first = pki('ra_profile', **profile_args(pki))
    assert first['changed'] and not first.get('failed'), first
    again = pki('ra_profile', **profile_args(pki))
    assert not again['changed'], again
    assert again['ra_profile'] == first['ra_profile']
    updated = pki('ra_profile', **profile_args(pki, max_validity_days=30))
    assert updated['changed'], updated
    assert updated['ra_profile']['policy']['max_validity_days'] == 30
    assert not pki('ra_profile', **profile_args(pki, max_validity_days=30))['changed']


def test_check_mode_reports_and_writes_nothing(pki):
    pki('token_profile', name='keys', type='file', options={'path': pki.key_dir})  # the inventory exists
    before = pki.snapshot()
    planned = pki('ra_profile', check=True, **profile_args(pki))
    assert planned['changed'] and not planned.get('failed'), planned
    assert pki.snapshot() == before
    # the real call still has something to do: check mode stored nothing
    assert pki('ra_profile', **profile_args(pki))['changed']


def test_bad_input_fails_with_the_fix_and_changes_nothing(pki):
    assert pki('ra_profile', **profile_args(pki))['changed']
    before = pki.snapshot()
    bad = pki('ra_profile', **dict(profile_args(pki), connector='nosuchca'))
    pki.assert_failed(bad, 'nosuchca', 'local')
    bad = pki('ra_profile', **profile_args(pki, colour='red'))
    pki.assert_failed(bad, 'colour', 'max_validity_days')
    assert pki.snapshot() == before


def test_negative_validity_is_refused(pki):
    assert pki('ra_profile', **profile_args(pki))['changed']
    before = pki.snapshot()
    bad = pki('ra_profile', **profile_args(pki, max_validity_days=-5))
    pki.assert_failed(bad, 'max_validity_days')
    assert pki.snapshot() == before
