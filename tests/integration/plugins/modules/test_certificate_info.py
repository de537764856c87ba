"""pki.lifecycle.certificate_info through pytest-ansible on localhost with the embedded CA."""


def test_counts_and_filters(pki):
    pki.setup()
    www = pki.issue('www.example.test', labels={'role': 'web'})
    api = pki.issue('api.example.test', labels={'role': 'api'})
    pki('certificate_revoke', certificate=api['certificate']['uuid'], reason='superseded')
    info = pki('certificate_info', include_pem=True)
    assert not info['changed'] and not info.get('failed'), info
    assert info['counts']['total'] == 2 and info['counts']['revoked'] == 1, info['counts']
    by_uuid = dict((c['uuid'], c) for c in info['certificates'])
    assert set(by_uuid) == {www['certificate']['uuid'], api['certificate']['uuid']}
    assert 'BEGIN CERTIFICATE' in by_uuid[www['certificate']['uuid']]['certificate_pem']
    web = pki('certificate_info', labels={'role': 'web'})
    assert [c['uuid'] for c in web['certificates']] == [www['certificate']['uuid']]
    valid = pki('certificate_info', validation_status=['valid'])
    assert [c['uuid'] for c in valid['certificates']] == [www['certificate']['uuid']]


def test_check_mode_answers_the_same(pki):
    pki.setup()
    pki.issue('www.example.test')
    before = pki.snapshot()
    info = pki('certificate_info', check=True)
    assert not info['changed'] and info['counts']['total'] == 1, info
    assert pki.snapshot() == before


def test_bad_input_fails_with_the_fix(pki):
    pki.setup()
    bad = pki('certificate_info', validation_status=['fresh'])
    pki.assert_failed(bad, 'fresh', 'valid')
