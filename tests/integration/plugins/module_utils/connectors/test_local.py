"""The seed's four operations on the embedded CA, run as users run them: real playbooks.

Every assertion is on returned values, on the inventory's contents (opened independently
with sqlite3 / json), or on openssl's own verdict.
"""
import base64
import json
import os

import pytest

from harness.pki import certificate_rows, make_csr, openssl, play, snapshot, verify
from harness.playbook import run_playbook

# Every test runs twice: action plugins in the controller's worker, and the module process.
pytestmark = pytest.mark.usefixtures('execution_path')


PROFILE_TASKS = """
    - name: RA profile
      pki.lifecycle.ra_profile:
        name: web
        connector: local
        connector_options: {directory: "{{ work }}/ca"}
        policy: {allowed_names: ["*.example.test", "example.test"], max_validity_days: 90, renew_before: "30"}
    - name: token profile
      pki.lifecycle.token_profile:
        name: keys
        type: file
        options: {path: "{{ work }}/keys"}
"""


@pytest.fixture(params=['sqlite', 'json'])
def inventory(request, tmp_path):
    path = str(tmp_path / ('inventory.db' if request.param == 'sqlite' else 'inventory.json'))
    return '%s://%s' % (request.param, path), path


def test_whole_lifecycle(inventory, tmp_path):
    url, path = inventory
    csr = make_csr(tmp_path, 'www.example.test')
    tasks = PROFILE_TASKS + """
    - name: issue from csr
      pki.lifecycle.certificate_issue: {ra_profile: web, csr: "%(csr)s", labels: {host: www}}
    - name: issue from generated key
      register: api
      pki.lifecycle.certificate_issue:
        ra_profile: web
        token_profile: keys
        key: api
        generate_key: true
        key_type: rsa
        key_size: 2048
        subject: CN=api.example.test
        subject_alt_names: [DNS:api.example.test]
    - name: rerun csr
      pki.lifecycle.certificate_issue: {ra_profile: web, csr: "%(csr)s"}
    - name: rerun generated
      pki.lifecycle.certificate_issue:
        ra_profile: web
        token_profile: keys
        key: api
        generate_key: true
        subject: CN=api.example.test
        subject_alt_names: [DNS:api.example.test]
    """ % dict(csr=csr)
    tasks += """
    - name: renew not due
      pki.lifecycle.certificate_renew: {certificate: "{{ api.certificate.uuid }}"}
    - name: renew due
      pki.lifecycle.certificate_renew: {certificate: "{{ api.certificate.uuid }}", renew_before: "100%"}
      register: renewed
    - name: renew due again follows the lineage
      pki.lifecycle.certificate_renew: {certificate: "{{ api.certificate.uuid }}"}
    - name: rekey with same key
      pki.lifecycle.certificate_rekey: {certificate: "{{ renewed.certificate.uuid }}", token_profile: keys, key: api}
      ignore_errors: true
    - name: rekey
      pki.lifecycle.certificate_rekey:
        certificate: "{{ renewed.certificate.uuid }}"
        token_profile: keys
        key: api-2
        generate_key: true
      register: rekeyed
    - name: rekey rerun
      pki.lifecycle.certificate_rekey:
        certificate: "{{ renewed.certificate.uuid }}"
        token_profile: keys
        key: api-2
        generate_key: true
    - name: revoke check mode
      pki.lifecycle.certificate_revoke: {certificate: "{{ rekeyed.certificate.serial }}", reason: keyCompromise}
      check_mode: true
    - name: revoke
      pki.lifecycle.certificate_revoke: {certificate: "{{ rekeyed.certificate.serial }}", reason: keyCompromise}
    - name: revoke again
      pki.lifecycle.certificate_revoke: {certificate: "{{ rekeyed.certificate.uuid }}", reason: keyCompromise}
    - name: info
      pki.lifecycle.certificate_info: {include_pem: true}
"""
    run = run_playbook(play(tasks, url), tmp_path=tmp_path)
    assert run.rc == 0, run.stdout[-3000:]
    first = run.result('issue from csr')
    gen = run.result('issue from generated key')
    assert first['changed'] and gen['changed']
    assert not run.result('rerun csr')['changed']
    assert not run.result('rerun generated')['changed']
    assert run.result('rerun csr')['certificate']['uuid'] == first['certificate']['uuid']
    assert first['certificate']['subject_alt_names'] == ['DNS:www.example.test']
    assert first['certificate']['labels'] == {'host': 'www'}
    ca_pem = first['root_pem']
    assert verify(first['certificate_pem'], ca_pem, tmp_path).returncode == 0
    assert verify(gen['certificate_pem'], ca_pem, tmp_path).returncode == 0
    assert 'Not due' in run.result('renew not due')['reason'] and not run.result('renew not due')['changed']
    renewed = run.result('renew due')
    assert renewed['changed']
    assert renewed['certificate']['lineage']['renewed_from'] == gen['certificate']['uuid']
    assert renewed['certificate']['spki_sha256'] == gen['certificate']['spki_sha256']
    assert renewed['certificate']['serial'] != gen['certificate']['serial']
    assert not run.result('renew due again follows the lineage')['changed']
    same = run.result('rekey with same key')
    assert run.status('rekey with same key') == 'failed' and 'same key' in same['msg']
    rekeyed = run.result('rekey')
    assert rekeyed['changed'] and rekeyed['certificate']['spki_sha256'] != gen['certificate']['spki_sha256']
    assert rekeyed['certificate']['lineage']['rekeyed_from'] == renewed['certificate']['uuid']
    assert not run.result('rekey rerun')['changed']
    assert run.result('revoke check mode')['changed']
    revoked = run.result('revoke')
    assert revoked['changed'] and revoked['certificate']['state'] == 'revoked'
    assert not run.result('revoke again')['changed']
    crl = open(revoked['crl_path']).read()
    text = openssl('crl', '-noout', '-text', input_text=crl).stdout
    assert rekeyed['certificate']['serial'].upper().lstrip('0') in text.replace(':', '').upper()
    assert 'Key Compromise' in text
    assert verify(rekeyed['certificate_pem'], ca_pem, tmp_path, crl_pem=crl).returncode != 0
    assert verify(renewed['certificate_pem'], ca_pem, tmp_path, crl_pem=crl).returncode == 0

    info = run.result('info')
    assert info['counts']['total'] == 4 and info['counts']['revoked'] == 1
    rows = dict((r['uuid'], r) for r in certificate_rows(path))
    assert len(rows) == 4
    assert rows[rekeyed['certificate']['uuid']]['revocation_reason'] == 'keyCompromise'
    assert all('PRIVATE KEY' not in json.dumps(r) for r in rows.values())
    assert oct(os.stat(path).st_mode & 0o777) == '0o600'


BAD_INPUT = [
    ('malformed pem', 'pki.lifecycle.certificate_issue: {ra_profile: web, csr: "-----BEGIN CERTIFICATE REQUEST-----'
                      '\\nnot base64\\n-----END CERTIFICATE REQUEST-----\\n"}', 'CSR'),
    ('tampered csr', 'pki.lifecycle.certificate_issue: {ra_profile: web, csr: "%(tampered)s"}', 'signature'),
    ('rsa 1024', 'pki.lifecycle.certificate_issue: {ra_profile: web, csr: "%(weak)s"}', '2048'),
    ('san not allowed', 'pki.lifecycle.certificate_issue: {ra_profile: web, csr: "%(evil)s"}', 'does not allow'),
    ('unknown profile', 'pki.lifecycle.certificate_issue: {ra_profile: nope, csr: "%(good)s"}', 'pki.lifecycle.ra_profile'),
    ('disabled profile', 'pki.lifecycle.certificate_issue: {ra_profile: paused, csr: "%(good)s"}', 'disabled'),
    ('unknown attribute', 'pki.lifecycle.certificate_issue: {ra_profile: web, csr: "%(good)s", attributes: {colour: red}}', 'Valid issue attributes'),
    ('unknown reason', 'pki.lifecycle.certificate_revoke: {certificate: "{{ issued.certificate.uuid }}", reason: because}', 'keyCompromise'),
    ('renew unknown', 'pki.lifecycle.certificate_renew: {certificate: "00112233aabb"}', 'not in the inventory'),
    ('revoke unknown', 'pki.lifecycle.certificate_revoke: {certificate: "0a0b0c", reason: superseded}', 'not in the inventory'),
    ('rekey same key', 'pki.lifecycle.certificate_rekey: {certificate: "{{ issued.certificate.uuid }}", csr: "%(good)s"}', 'same key'),
    ('unknown token key', 'pki.lifecycle.certificate_issue: {ra_profile: web, token_profile: keys, key: missing, subject: CN=a.example.test}', 'generate_key'),
]


def test_bad_input_changes_nothing(inventory, tmp_path):
    url, path = inventory
    good = make_csr(tmp_path, 'good.example.test')
    weak = make_csr(tmp_path, 'weak.example.test', key_args=('-newkey', 'rsa:1024'))
    evil = make_csr(tmp_path, 'evil.example.test', sans='DNS:evil.example.test,DNS:www.attacker.test')
    # Flip the last byte of the DER: it lies inside the signature value (s of the ECDSA
    # signature), so the CSR still parses but its signature no longer verifies. Deterministic,
    # unlike flipping a base64 character, which can land in padding or break the DER.
    der = bytearray(base64.b64decode(''.join(open(good).read().splitlines()[1:-1])))
    der[-1] ^= 0x01
    tampered = tmp_path / 'tampered.csr'
    body = base64.b64encode(bytes(der)).decode()
    tampered.write_text('-----BEGIN CERTIFICATE REQUEST-----\n%s\n-----END CERTIFICATE REQUEST-----\n'
                        % '\n'.join(body[i:i + 64] for i in range(0, len(body), 64)))
    setup = PROFILE_TASKS + """
    - name: disabled profile
      pki.lifecycle.ra_profile: {name: paused, enabled: false, connector_options: {directory: "{{ work }}/ca2"}}
    - name: issued
      pki.lifecycle.certificate_issue: {ra_profile: web, csr: "%s"}
""" % good
    run = run_playbook(play(setup, url), tmp_path=tmp_path)
    assert run.rc == 0, run.stdout[-2000:]
    before = snapshot(path)
    values = dict(good=good, weak=weak, evil=evil, tampered=str(tampered))
    tasks = """
    - name: issued
      pki.lifecycle.certificate_issue: {ra_profile: web, csr: "%s"}
      register: issued
""" % good
    for name, task, _needle in BAD_INPUT:
        tasks += '    - name: %s\n      %s\n      ignore_errors: true\n' % (name, task % values)
    run = run_playbook(play(tasks, url), tmp_path=tmp_path)
    assert run.rc == 0, run.stdout[-3000:]
    for name, _task, needle in BAD_INPUT:
        result = run.result(name)
        assert run.status(name) == 'failed', (name, result)
        assert needle in result['msg'], (name, result['msg'])
    assert snapshot(path) == before


def test_corrupted_inventories_are_refused_untouched(tmp_path):
    broken_json = tmp_path / 'broken.json'
    broken_json.write_text('{"schema_version": 1, "certificates": {')
    not_db = tmp_path / 'notadb.db'
    not_db.write_bytes(b'this is not a database\n' * 10)
    tasks = """
    - name: json
      pki.lifecycle.certificate_info: {inventory: "json://%s"}
      ignore_errors: true
    - name: sqlite
      pki.lifecycle.certificate_info: {inventory: "sqlite://%s"}
      ignore_errors: true
""" % (broken_json, not_db)
    before = (broken_json.read_bytes(), not_db.read_bytes())
    run = run_playbook(play(tasks, 'json://%s' % broken_json), tmp_path=tmp_path)
    assert run.rc == 0, run.stdout[-2000:]
    assert run.status('json') == 'failed' and 'JSON' in run.result('json')['msg']
    assert run.status('sqlite') == 'failed' and 'SQLite' in run.result('sqlite')['msg']
    assert (broken_json.read_bytes(), not_db.read_bytes()) == before
    assert sorted(os.listdir(tmp_path)) == sorted(os.listdir(tmp_path))
