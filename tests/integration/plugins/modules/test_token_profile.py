"""pki.lifecycle.token_profile through pytest-ansible on localhost."""
import os


def args(pki, **options):
    return dict(name='keys', type='file', options=dict({'path': pki.key_dir}, **options))


def test_create_then_unchanged_then_update(pki):
    first = pki('token_profile', **args(pki))
    assert first['changed'] and not first.get('failed'), first
    assert first['token_profile']['name'] == 'keys' and first['token_profile']['type'] == 'file'
    again = pki('token_profile', **args(pki))
    assert not again['changed'], again
    updated = pki('token_profile', **args(pki, path=pki.key_dir + '-2'))
    assert updated['changed'] and updated['token_profile']['options']['path'] == pki.key_dir + '-2', updated
    assert not pki('token_profile', **args(pki, path=pki.key_dir + '-2'))['changed']


def test_check_mode_reports_and_writes_nothing(pki):
    pki('ra_profile', name='web', connector='local', connector_options={'directory': pki.ca_dir})
    before = pki.snapshot()
    planned = pki('token_profile', check=True, **args(pki))
    assert planned['changed'] and not planned.get('failed'), planned
    assert pki.snapshot() == before
    assert not os.path.exists(pki.key_dir)
    assert pki('token_profile', **args(pki))['changed']


def test_absent_twice(pki):
    assert pki('token_profile', **args(pki))['changed']
    gone = pki('token_profile', name='keys', state='absent')
    assert gone['changed'], gone
    assert not pki('token_profile', name='keys', state='absent')['changed']


def test_bad_input_fails_with_the_fix_and_changes_nothing(pki):
    assert pki('token_profile', **args(pki))['changed']
    before = pki.snapshot()
    bad = pki('token_profile', **args(pki, colour='red'))
    pki.assert_failed(bad, 'colour', 'path')
    assert pki.snapshot() == before
