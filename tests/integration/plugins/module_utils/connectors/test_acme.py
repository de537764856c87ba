"""The ACME connector against real ACME servers: Pebble (real http-01 and dns-01 validation
through pebble-challtestsrv) and OpenBao's ACME endpoint.

Challenges are answered the way a user's playbook answers them: the module returns
``challenge_data``, a task publishes it (here: challtestsrv's management API with
ansible.builtin.uri), and the same module call run again finishes the order.

Every assertion is on returned values, the inventory's contents, Pebble's own view of a
certificate (management API) or openssl's verdict.
"""
import json
import os
import sqlite3
import subprocess

from harness.playbook import run_playbook


def openssl_verify(fullchain_pem, root_pem, tmp_path, name):
    """openssl verify the leaf against the root, with the rest of the chain as untrusted."""
    certs = fullchain_pem.split('-----END CERTIFICATE-----')
    leaf = certs[0] + '-----END CERTIFICATE-----\n'
    rest = '-----END CERTIFICATE-----'.join(certs[1:]).strip()
    (tmp_path / (name + '-leaf.pem')).write_text(leaf)
    (tmp_path / (name + '-root.pem')).write_text(root_pem)
    args = ['openssl', 'verify', '-CAfile', str(tmp_path / (name + '-root.pem'))]
    if rest:
        (tmp_path / (name + '-chain.pem')).write_text(rest + '\n')
        args += ['-untrusted', str(tmp_path / (name + '-chain.pem'))]
    return subprocess.run(args + [str(tmp_path / (name + '-leaf.pem'))], capture_output=True, text=True, check=False)


def rows(db_path):
    conn = sqlite3.connect('file:%s?mode=ro' % db_path, uri=True)
    try:
        return [json.loads(r[0]) for r in conn.execute('SELECT data FROM certificates')]
    finally:
        conn.close()


def make_csr(tmp_path, name, sans, cn=None):
    key, csr = tmp_path / (name + '.key'), tmp_path / (name + '.csr')
    out = subprocess.run(['openssl', 'req', '-new', '-nodes', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256',
                          '-keyout', str(key), '-out', str(csr), '-subj', '/CN=%s' % (cn or name),
                          '-addext', 'subjectAltName=%s' % sans], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    return str(csr)


# Tasks that publish challenge_data through challtestsrv, as a user's DNS / webroot step would.
def answer(register):
    return """
    - name: answer {r}
      when: {r}.challenge_data is defined
      loop: "{{{{ {r}.challenge_data }}}}"
      ansible.builtin.uri:
        url: "{{{{ cts }}}}/{{{{ 'add-http01' if item.challenge_type == 'http-01' else 'set-txt' }}}}"
        method: POST
        body_format: json
        body: "{{{{ {{'token': item.resource | basename, 'content': item.resource_value}}
                 if item.challenge_type == 'http-01' else {{'host': item.resource ~ '.', 'value': item.resource_value}} }}}}"
""".format(r=register)


def test_acme_lifecycle_on_pebble(pebble, pebble_eab, tmp_path):
    db = str(tmp_path / 'inventory.db')
    root = tmp_path / 'pebble-root.pem'
    root.write_text(pebble.roots_pem())
    keys = tmp_path / 'keys'
    keys.mkdir()
    existing = keys / 'existing.pem'
    out = subprocess.run(['openssl', 'genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256',
                          '-out', str(existing)], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    csr = make_csr(tmp_path, 'www.example.test', 'DNS:www.example.test,DNS:example.test,IP:127.0.0.1')
    acme_options = {
        'directory_url': pebble.directory_url, 'ca_bundle': pebble.ca_bundle, 'terms_agreed': True,
        'contact': ['pki-admin@example.test'], 'trust_anchor': str(root), 'poll_timeout': 20,
    }
    extra = dict(
        cts=pebble.challtestsrv_url, keys=str(keys), http_opts=acme_options,
        dns_opts=dict(acme_options, challenge_type='dns-01'),
        wrong_url=dict(acme_options, directory_url=pebble.directory_url.replace('/dir', '/no-such-dir')),
        untrusted=dict((k, v) for k, v in acme_options.items() if k != 'ca_bundle'),
        eab_opts=dict(acme_options, directory_url=pebble_eab.directory_url, ca_bundle=pebble_eab.ca_bundle),
        eab_secrets=dict(eab_kid=pebble_eab.eab_kid, eab_hmac_key=pebble_eab.eab_hmac_key),
    )
    policy = '{allowed_names: ["**.example.test", "example.test", "127.0.0.1"], renew_before: "30"}'
    tasks = """
    - name: profile http-01
      pki.lifecycle.ra_profile: {name: acme-http, connector: acme, connector_options: "{{ http_opts }}",
                                 policy: %(policy)s, validate: true}
    - name: profile dns-01
      pki.lifecycle.ra_profile: {name: acme-dns, connector: acme, connector_options: "{{ dns_opts }}",
                                 policy: %(policy)s}
    - name: token profile
      pki.lifecycle.token_profile: {name: keys, type: file, options: {path: "{{ keys }}"}}

    # --- issue from a CSR, http-01 (DNS + IP identifiers)
    - name: csr first call
      register: csr1
      pki.lifecycle.certificate_issue: {ra_profile: acme-http, csr: "%(csr)s"}
%(answer_csr1)s
    - name: csr second call
      register: csr2
      pki.lifecycle.certificate_issue: {ra_profile: acme-http, csr: "%(csr)s"}
    - name: csr rerun
      pki.lifecycle.certificate_issue: {ra_profile: acme-http, csr: "%(csr)s"}

    # --- issue from a generated key, dns-01
    - name: gen first call
      register: gen1
      pki.lifecycle.certificate_issue: &gen
        ra_profile: acme-dns
        token_profile: keys
        key: api
        generate_key: true
        subject: CN=api.example.test
        subject_alt_names: [DNS:api.example.test, "DNS:*.api.example.test"]
%(answer_gen1)s
    - name: gen second call
      register: gen2
      pki.lifecycle.certificate_issue: *gen
    - name: gen rerun
      pki.lifecycle.certificate_issue: *gen

    # --- issue from an existing key in a file token profile, http-01
    - name: existing first call
      register: ex1
      pki.lifecycle.certificate_issue: &existing
        ra_profile: acme-http
        token_profile: keys
        key: existing
        subject: CN=mail.example.test
        subject_alt_names: [DNS:mail.example.test]
%(answer_ex1)s
    - name: existing second call
      register: ex2
      pki.lifecycle.certificate_issue: *existing
    - name: existing rerun
      pki.lifecycle.certificate_issue: *existing

    # --- renew keeps the key (a new order: challenges again)
    - name: renew first call
      register: ren1
      pki.lifecycle.certificate_renew: {certificate: "{{ gen2.certificate.uuid }}", force: true}
%(answer_ren1)s
    - name: renew second call
      register: ren2
      pki.lifecycle.certificate_renew: {certificate: "{{ gen2.certificate.uuid }}", force: true}
    - name: renew not due
      pki.lifecycle.certificate_renew: {certificate: "{{ gen2.certificate.uuid }}"}

    # --- rekey changes the key and refuses the old one
    - name: rekey with the old key
      ignore_errors: true
      pki.lifecycle.certificate_rekey: {certificate: "{{ ex2.certificate.uuid }}", token_profile: keys, key: existing}
    - name: rekey first call
      register: rk1
      pki.lifecycle.certificate_rekey: &rekey
        certificate: "{{ ex2.certificate.uuid }}"
        token_profile: keys
        key: mail-2
        generate_key: true
%(answer_rk1)s
    - name: rekey second call
      register: rk2
      pki.lifecycle.certificate_rekey: *rekey
    - name: rekey rerun
      pki.lifecycle.certificate_rekey: *rekey

    # --- revoke by the account key with an RFC 5280 reason
    - name: revoke
      pki.lifecycle.certificate_revoke: {certificate: "{{ rk2.certificate.uuid }}", reason: keyCompromise}
    - name: revoke again
      pki.lifecycle.certificate_revoke: {certificate: "{{ rk2.certificate.uuid }}", reason: keyCompromise}

    # --- a challenge nobody answers: the server's reason, the order URL kept, a rerun starts afresh
    - name: unanswered first call
      register: un1
      pki.lifecycle.certificate_issue: &unanswered
        ra_profile: acme-dns
        token_profile: keys
        key: lost
        generate_key: true
        subject: CN=lost.example.test
        subject_alt_names: [DNS:lost.example.test]
    - name: unanswered second call
      ignore_errors: true
      pki.lifecycle.certificate_issue: *unanswered
    - name: unanswered rerun
      register: un3
      pki.lifecycle.certificate_issue: *unanswered

    # --- bad input
    - name: refused identifier
      ignore_errors: true
      pki.lifecycle.certificate_issue:
        ra_profile: acme-http
        token_profile: keys
        key: refused
        generate_key: true
        subject: CN=under_score.example.test
        subject_alt_names: [DNS:under_score.example.test]
    - name: wrong directory url
      ignore_errors: true
      pki.lifecycle.ra_profile: {name: acme-wrong, connector: acme, connector_options: "{{ wrong_url }}", validate: true}
    - name: untrusted tls
      ignore_errors: true
      pki.lifecycle.ra_profile: {name: acme-untrusted, connector: acme, connector_options: "{{ untrusted }}",
                                 validate: true}
    - name: eab missing
      ignore_errors: true
      pki.lifecycle.ra_profile: {name: acme-eab, connector: acme, connector_options: "{{ eab_opts }}", validate: true}
    - name: eab given
      pki.lifecycle.ra_profile: {name: acme-eab, connector: acme, connector_options: "{{ eab_opts }}", validate: true,
                                 connector_secrets: "{{ eab_secrets }}"}
    - name: eab issue
      register: eab1
      pki.lifecycle.certificate_issue: {ra_profile: acme-eab, csr: "%(csr)s", connector_secrets: "{{ eab_secrets }}"}
    - name: info
      pki.lifecycle.certificate_info: {}
""" % dict(policy=policy, csr=csr, answer_csr1=answer('csr1'), answer_gen1=answer('gen1'),
           answer_ex1=answer('ex1'), answer_ren1=answer('ren1'), answer_rk1=answer('rk1'))
    playbook = """
- hosts: localhost
  gather_facts: false
  module_defaults:
    group/pki.lifecycle.certificates:
      inventory: "sqlite://%s"
  tasks:
%s
""" % (db, tasks)
    run = run_playbook(playbook, extra_vars=extra, tmp_path=tmp_path)
    assert run.rc == 0, run.summary()
    roots = pebble.roots_pem()

    # two-call flow, CSR + http-01: challenge_data as documented, then the certificate
    first = run.result('csr first call')
    assert first['changed'] and first['certificate']['state'] == 'requested' and first['certificate_pem'] == ''
    identifiers = sorted(c['identifier'] for c in first['challenge_data'])
    assert identifiers == ['127.0.0.1', 'example.test', 'www.example.test']
    for c in first['challenge_data']:
        assert set(c) == {'identifier', 'challenge_type', 'resource', 'resource_value'}
        assert c['challenge_type'] == 'http-01'
        token = c['resource'].rsplit('/', 1)[1]
        assert c['resource'] == '.well-known/acme-challenge/' + token
        assert c['resource_value'].startswith(token + '.')
    issued = run.result('csr second call')
    assert issued['changed'] and issued['certificate']['state'] == 'issued'
    assert issued['certificate']['uuid'] == first['certificate']['uuid']
    assert 'challenge_data' not in issued
    assert issued['certificate']['subject_alt_names'] == ['DNS:example.test', 'DNS:www.example.test', 'IP:127.0.0.1']
    assert not run.result('csr rerun')['changed']
    assert run.result('csr rerun')['certificate']['uuid'] == issued['certificate']['uuid']

    # generated key + dns-01 (incl. a wildcard, which ACME allows only by dns-01)
    gen1 = run.result('gen first call')
    assert {c['challenge_type'] for c in gen1['challenge_data']} == {'dns-01'}
    assert sorted(c['resource'] for c in gen1['challenge_data']) == ['_acme-challenge.api.example.test'] * 2
    gen2 = run.result('gen second call')
    assert gen2['changed'] and gen2['certificate']['state'] == 'issued'
    assert sorted(gen2['certificate']['subject_alt_names']) == ['DNS:*.api.example.test', 'DNS:api.example.test']
    assert not run.result('gen rerun')['changed']

    ex2 = run.result('existing second call')
    assert ex2['changed'] and ex2['certificate']['state'] == 'issued'
    assert ex2['certificate']['key_ref'].endswith('existing')
    assert not run.result('existing rerun')['changed']

    ren2 = run.result('renew second call')
    assert run.result('renew first call')['challenge_data']
    assert ren2['changed'] and ren2['certificate']['state'] == 'issued'
    assert ren2['certificate']['lineage']['renewed_from'] == gen2['certificate']['uuid']
    assert ren2['certificate']['spki_sha256'] == gen2['certificate']['spki_sha256']
    assert ren2['certificate']['serial'] != gen2['certificate']['serial']
    assert not run.result('renew not due')['changed']

    old = run.result('rekey with the old key')
    assert run.status('rekey with the old key') == 'failed' and 'same key' in old['msg']
    assert run.result('rekey first call')['challenge_data']
    rk2 = run.result('rekey second call')
    assert rk2['changed'] and rk2['certificate']['state'] == 'issued'
    assert rk2['certificate']['spki_sha256'] != ex2['certificate']['spki_sha256']
    assert rk2['certificate']['lineage']['rekeyed_from'] == ex2['certificate']['uuid']
    assert not run.result('rekey rerun')['changed']

    # every chain verifies against Pebble's root, fetched from its management API
    for name, result in (('csr', issued), ('gen', gen2), ('existing', ex2), ('renewed', ren2), ('rekeyed', rk2)):
        check = openssl_verify(result['fullchain_pem'], roots, tmp_path, name)
        assert check.returncode == 0, (name, check.stdout, check.stderr)

    # revoked at the CA, per Pebble itself
    revoked = run.result('revoke')
    assert revoked['changed'] and revoked['certificate']['state'] == 'revoked'
    assert not run.result('revoke again')['changed']
    status = pebble.cert_status(rk2['certificate']['serial'])
    assert status['Status'] == 'Revoked' and status['Reason'] == 1
    assert pebble.cert_status(ren2['certificate']['serial'])['Status'] == 'Valid'

    # unanswered challenge: the server's reason, the order URL, the record failed; a rerun is a new order
    un1 = run.result('unanswered first call')
    failed = run.result('unanswered second call')
    assert run.status('unanswered second call') == 'failed'
    assert 'No TXT records found' in failed['msg'] and 'urn:ietf:params:acme:error:unauthorized' in failed['msg']
    assert failed['problem']['detail'].startswith('No TXT records found')
    records = dict((r['uuid'], r) for r in rows(db))
    lost = records[un1['certificate']['uuid']]
    assert lost['state'] == 'failed' and 'No TXT records found' in lost['failure_reason']
    assert lost['connector_data']['order_url'] and lost['connector_data']['order_url'] in failed['msg']
    assert failed['order_url'] == lost['connector_data']['order_url']
    un3 = run.result('unanswered rerun')
    assert un3['changed'] and un3['challenge_data'] and un3['certificate']['uuid'] != lost['uuid']
    assert records[un3['certificate']['uuid']]['connector_data']['order_url'] != lost['connector_data']['order_url']

    refused = run.result('refused identifier')
    assert run.status('refused identifier') == 'failed'
    assert "Order included DNS identifier with a value containing an illegal character: '_'" in refused['msg']
    assert refused['problem']['type'] == 'urn:ietf:params:acme:error:malformed'
    wrong = run.result('wrong directory url')
    assert run.status('wrong directory url') == 'failed' and 'HTTP 404' in wrong['msg'] and 'directory_url' in wrong['msg']
    untrusted = run.result('untrusted tls')
    assert run.status('untrusted tls') == 'failed' and 'TLS verification' in untrusted['msg']
    assert 'ca_bundle' in untrusted['msg']
    eab_missing = run.result('eab missing')
    assert run.status('eab missing') == 'failed' and 'External Account Binding' in eab_missing['msg']
    assert 'eab_kid' in eab_missing['msg']
    assert run.result('eab given')['changed']
    eab1 = run.result('eab issue')
    assert eab1['challenge_data'] and eab1['certificate']['state'] == 'requested'

    # nothing secret in the inventory; profiles that failed validation were not stored
    dump = json.dumps(rows(db))
    assert 'PRIVATE KEY' not in dump and pebble_eab.eab_hmac_key not in dump
    info = run.result('info')
    names = {c['ra_profile'] for c in info['certificates']}
    assert names <= {'acme-http', 'acme-dns', 'acme-eab'}
    account_key = tmp_path / 'acme' / 'acme-http' / 'account.key'
    assert oct(os.stat(account_key).st_mode & 0o777) == '0o600'


def test_acme_issue_and_revoke_on_openbao(openbao, pebble, tmp_path):
    """OpenBao's ACME server; dns-01 answered through Pebble's challtestsrv DNS."""
    openbao.set_acme_dns_resolver(pebble.dns_address)
    db = str(tmp_path / 'inventory.db')
    root = tmp_path / 'bao-root.pem'
    root.write_text(openbao.ca_pem)
    # the account key: the user's own (RSA, encrypted), not one the connector makes
    account_key = tmp_path / 'account-rsa.pem'
    out = subprocess.run(['openssl', 'genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-aes256',
                          '-pass', 'pass:s3cret-account', '-out', str(account_key)], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    options = {'directory_url': openbao.acme_directory_url, 'challenge_type': 'dns-01', 'trust_anchor': str(root),
               'poll_timeout': 30, 'account_key': str(account_key)}
    playbook = """
- hosts: localhost
  gather_facts: false
  module_defaults:
    group/pki.lifecycle.certificates:
      inventory: "sqlite://%s"
      connector_secrets: {account_key_passphrase: s3cret-account}
  tasks:
    - name: profile
      pki.lifecycle.ra_profile: {name: bao, connector: acme, connector_options: "{{ opts }}", validate: true}
    - name: token profile
      pki.lifecycle.token_profile: {name: keys, type: file, options: {path: "{{ keys }}"}}
    - name: first call
      register: first
      pki.lifecycle.certificate_issue: &issue
        ra_profile: bao
        token_profile: keys
        key: bao
        generate_key: true
        subject: CN=bao.example.test
        subject_alt_names: [DNS:bao.example.test]
%s
    - name: second call
      register: second
      pki.lifecycle.certificate_issue: *issue
    - name: rerun
      pki.lifecycle.certificate_issue: *issue
    - name: revoke with a reason OpenBao refuses
      ignore_errors: true
      pki.lifecycle.certificate_revoke: {certificate: "{{ second.certificate.uuid }}", reason: superseded}
    - name: revoke
      pki.lifecycle.certificate_revoke: {certificate: "{{ second.certificate.uuid }}", reason: unspecified}
""" % (db, answer('first'))
    run = run_playbook(playbook, extra_vars=dict(opts=options, keys=str(tmp_path / 'keys'),
                                                 cts=pebble.challtestsrv_url), tmp_path=tmp_path)
    assert run.rc == 0, run.summary()
    first = run.result('first call')
    assert first['challenge_data'][0]['challenge_type'] == 'dns-01'
    assert first['challenge_data'][0]['resource'] == '_acme-challenge.bao.example.test'
    second = run.result('second call')
    assert second['changed'] and second['certificate']['state'] == 'issued'
    assert second['certificate']['subject_alt_names'] == ['DNS:bao.example.test']
    assert not run.result('rerun')['changed']
    check = openssl_verify(second['fullchain_pem'], openbao.ca_pem, tmp_path, 'bao')
    assert check.returncode == 0, check.stdout + check.stderr
    refused = run.result('revoke with a reason OpenBao refuses')
    assert run.status('revoke with a reason OpenBao refuses') == 'failed'
    assert refused['problem']['type'] == 'urn:ietf:params:acme:error:badRevocationReason'
    assert refused['problem']['detail'] in refused['msg']
    assert run.result('revoke')['certificate']['state'] == 'revoked'
    # OpenBao's own record of the certificate says revoked
    serial = second['certificate']['serial']
    serial = serial.zfill(len(serial) + len(serial) % 2)
    colon = ':'.join(serial[i:i + 2] for i in range(0, len(serial), 2))
    _status, body = openbao.api('GET', '%s/cert/%s' % (openbao.mount, colon))
    assert body['data']['revocation_time'] > 0
    assert not (tmp_path / 'acme' / 'bao' / 'account.key').exists()
    assert 's3cret-account' not in json.dumps(rows(db))


def test_prevalidated_order_finishes_in_one_call(pebble_factory, tmp_path):
    """A CA that reuses valid authorizations: the second order for the same names needs no
    challenge, so certificate_issue finishes it in one call."""
    reuse = pebble_factory(env={'PEBBLE_AUTHZREUSE': '100'})
    root = tmp_path / 'root.pem'
    root.write_text(reuse.roots_pem())
    options = {'directory_url': reuse.directory_url, 'ca_bundle': reuse.ca_bundle, 'terms_agreed': True,
               'trust_anchor': str(root)}
    first_csr = make_csr(tmp_path, 'reuse.example.test', 'DNS:reuse.example.test')
    second_csr = make_csr(tmp_path, 'second', 'DNS:reuse.example.test', cn='reuse.example.test')
    playbook = """
- hosts: localhost
  gather_facts: false
  module_defaults:
    group/pki.lifecycle.certificates:
      inventory: "sqlite://%(db)s"
  tasks:
    - name: profile
      pki.lifecycle.ra_profile: {name: reuse, connector: acme, connector_options: "{{ opts }}"}
    - name: first call
      register: first
      pki.lifecycle.certificate_issue: {ra_profile: reuse, csr: "%(first)s"}
%(answer)s
    - name: second call
      pki.lifecycle.certificate_issue: {ra_profile: reuse, csr: "%(first)s"}
    - name: another key, same name
      pki.lifecycle.certificate_issue: {ra_profile: reuse, csr: "%(second)s"}
""" % dict(db=tmp_path / 'inventory.db', first=first_csr, second=second_csr, answer=answer('first'))
    run = run_playbook(playbook, extra_vars=dict(opts=options, cts=reuse.challtestsrv_url), tmp_path=tmp_path)
    assert run.rc == 0, run.summary()
    assert run.result('first call')['challenge_data']
    assert run.result('second call')['certificate']['state'] == 'issued'
    one = run.result('another key, same name')
    assert one['changed'] and one['certificate']['state'] == 'issued' and 'challenge_data' not in one
    assert one['certificate']['spki_sha256'] != run.result('second call')['certificate']['spki_sha256']
    check = openssl_verify(one['fullchain_pem'], reuse.roots_pem(), tmp_path, 'reuse')
    assert check.returncode == 0, check.stdout + check.stderr
