"""certificate_renew ``due: true`` with ``fields``, as a scheduled sweep of many certificates uses it:
one ansible-playbook run on the embedded CA; every entry of ``certificates`` holds exactly the
keys asked for, the next task reads them, and openssl verifies each renewed certificate against
the root the entry carries, for the key of the certificate it renews."""
import subprocess

from ansible_collections.pki.lifecycle.plugins.module_utils.inventory.stores import open_store
from harness.playbook import assert_ok, run_playbook

NAMES = ['a.fields.test', 'b.fields.test', 'c.fields.test']


def play(inventory, ca_dir, keys_dir):
    return [{'hosts': 'localhost', 'gather_facts': False,
             'module_defaults': {'group/pki.lifecycle.certificates': {'inventory': inventory}},
             'tasks': [
                 {'name': 'RA profile', 'pki.lifecycle.ra_profile': {
                     'name': 'bulk', 'connector': 'local',
                     'connector_options': {'directory': ca_dir, 'ca_subject': 'CN=Fields Root CA'},
                     'policy': {'allowed_names': ['*.fields.test']}}},
                 {'name': 'Token profile', 'pki.lifecycle.token_profile': {
                     'name': 'keys', 'type': 'file', 'options': {'path': keys_dir}}},
                 {'name': 'Issue', 'loop': NAMES, 'pki.lifecycle.certificate_issue': {
                     'ra_profile': 'bulk', 'token_profile': 'keys', 'key': '{{ item }}', 'generate_key': True,
                     'subject': 'CN={{ item }}', 'subject_alt_names': ['DNS:{{ item }}']}},
                 {'name': 'Sweep', 'register': 'sweep', 'pki.lifecycle.certificate_renew': {
                     'due': True, 'ra_profile': 'bulk', 'renew_before': '100%',
                     'fields': ['uuid', 'not_after', 'certificate_pem', 'root_pem']}},
                 {'name': 'Report', 'ansible.builtin.debug': {
                     'msg': "{{ sweep.certificates | map(attribute='certificate.uuid') | list }}"}},
                 {'name': 'Sweep again', 'pki.lifecycle.certificate_renew': {
                     'due': True, 'ra_profile': 'bulk', 'fields': ['uuid']}},
             ]}]


def openssl(args, data=None):
    return subprocess.run(['openssl'] + args, input=data, capture_output=True, text=True, check=False)


def test_due_sweep_with_fields_returns_only_those_and_the_certificates_verify(tmp_path):
    db = tmp_path / 'inventory.db'
    run = run_playbook(play('sqlite://%s' % db, str(tmp_path / 'ca'), str(tmp_path / 'keys')), tmp_path=tmp_path)
    assert_ok(run)
    sweep = run.result('Sweep')
    assert sweep['changed'] is True and sweep['renewed'] == 3 and sweep['errors'] == [], sweep
    store = open_store('sqlite://%s' % db)
    try:
        with store.transaction(write=False) as tx:
            records = dict((r['uuid'], r) for r in tx.find_certificates())
    finally:
        store.close()
    root = tmp_path / 'root.pem'
    for i, item in enumerate(sweep['certificates']):
        assert set(item) == {'certificate', 'renewed_from', 'changed', 'reason', 'certificate_pem', 'root_pem'}, item
        assert set(item['certificate']) == {'uuid', 'not_after'}, item
        new, old = records[item['certificate']['uuid']], records[item['renewed_from']]
        assert new['state'] == 'issued' and new['renewed_from'] == old['uuid'] and new['not_after'] == \
            item['certificate']['not_after']
        assert item['certificate_pem'] == new['certificate_pem']
        root.write_text(item['root_pem'])
        leaf = tmp_path / ('renewed-%d.pem' % i)
        leaf.write_text(item['certificate_pem'])
        verified = openssl(['verify', '-CAfile', str(root), str(leaf)])
        assert verified.returncode == 0 and ': OK' in verified.stdout, verified.stdout + verified.stderr
        # The same key as the certificate it renews, a new serial.
        keys = [openssl(['x509', '-noout', '-pubkey'], pem).stdout for pem in (item['certificate_pem'], old['certificate_pem'])]
        assert keys[0] == keys[1] and keys[0].startswith('-----BEGIN PUBLIC KEY-----')
        assert openssl(['x509', '-noout', '-serial'], item['certificate_pem']).stdout.strip().split('=')[1].lower() \
            .lstrip('0') == new['serial'].lstrip('0') != old['serial'].lstrip('0')
    assert sorted(run.result('Report')['msg']) == sorted(i['certificate']['uuid'] for i in sweep['certificates'])
    again = run.result('Sweep again')
    assert again['changed'] is False and again['certificates'] == [] and again['renewed'] == 0, again
