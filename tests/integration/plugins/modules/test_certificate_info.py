"""pki.lifecycle.certificate_info through pytest-ansible on localhost with the embedded CA."""

import pytest


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


@pytest.mark.usefixtures('execution_path')
def test_fields_limit_counts_only(pki):
    """A small result on request; counts always cover every match (both execution paths)."""
    pki.setup()
    for name in ('a', 'b', 'c'):
        pki.issue('%s.example.test' % name, labels={'n': name})
    full = pki('certificate_info')
    assert full['counts']['total'] == 3 and full['counts']['valid'] == 3, full
    assert len(full['certificates']) == 3 and 'fingerprint_sha256' in full['certificates'][0]

    narrow = pki('certificate_info', fields=['subject', 'validation_status', 'labels'])
    assert narrow['counts'] == full['counts']
    assert [sorted(c) for c in narrow['certificates']] == [['labels', 'subject', 'validation_status']] * 3
    assert [c['subject'] for c in narrow['certificates']] == [c['subject'] for c in full['certificates']]
    assert sorted(c['labels']['n'] for c in narrow['certificates']) == ['a', 'b', 'c']

    pem = pki('certificate_info', fields=['uuid', 'certificate_pem'], limit=1)
    assert len(pem['certificates']) == 1 and sorted(pem['certificates'][0]) == ['certificate_pem', 'uuid']
    assert pem['certificates'][0]['certificate_pem'].startswith('-----BEGIN CERTIFICATE-----')
    assert pem['certificates'][0]['uuid'] == full['certificates'][0]['uuid']

    limited = pki('certificate_info', limit=2)
    assert limited['certificates'] == full['certificates'][:2]
    assert limited['counts'] == full['counts']  # every match is counted

    counts = pki('certificate_info', counts_only=True)
    assert counts['certificates'] == [] and counts['counts'] == full['counts']

    pki.assert_failed(pki('certificate_info', counts_only=True, limit=2), 'counts_only', 'limit')
    pki.assert_failed(pki('certificate_info', fields=['subject', 'private_key']), 'private_key', 'subject_alt_names')
