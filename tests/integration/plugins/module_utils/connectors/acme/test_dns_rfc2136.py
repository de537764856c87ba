"""dns-01 without user tasks: the connector publishes the TXT records by RFC 2136 dynamic
update signed with TSIG on a real BIND9, waits until the zone's authoritative servers answer
them, lets Pebble validate (Pebble resolves through that BIND: ``-dnsserver``), and removes
the records afterwards, also after a failure. One module call per certificate, a wildcard
included; no challenge_data round trip.

Evidence besides the returned values: BIND's own answers (dig), BIND's log of the updates it
applied, Pebble's root (openssl verify), and the inventory read with sqlite3."""
import subprocess

from harness.bind9 import Bind9
from harness.pki import certificate_rows, openssl, play, snapshot
from harness.playbook import run_playbook


def test_dns01_rfc2136_on_bind9_with_wildcard(bind9, pebble_bind9, server_factory, tmp_path):
    slow = server_factory(Bind9, extra_ns={'ns2': '127.0.0.2'})  # a second NS nobody runs
    db = str(tmp_path / 'inventory.db')
    root = tmp_path / 'root.pem'
    root.write_text(pebble_bind9.roots_pem())
    keys = tmp_path / 'keys'
    keys.mkdir()
    base = {'directory_url': pebble_bind9.directory_url, 'ca_bundle': pebble_bind9.ca_bundle, 'terms_agreed': True,
            'trust_anchor': str(root), 'poll_timeout': 20, 'challenge_type': 'dns-01', 'dns_server': '127.0.0.1',
            'dns_zone': 'example.test', 'tsig_key_name': bind9.tsig_key_name, 'tsig_algorithm': 'hmac-sha256'}
    extra = dict(keys=str(keys),
                 bind_opts=dict(base, dns_port=bind9.port),
                 slow_opts=dict(base, dns_port=slow.port, dns_propagation_timeout=3),
                 zone_opts=dict(base, dns_port=bind9.port, dns_zone='other.test'),
                 slow_secret=slow.tsig_secret)
    tasks = """
    - name: profile
      pki.lifecycle.ra_profile: {name: bind, connector: acme, connector_options: "{{ bind_opts }}", validate: true}
    - name: token profile
      pki.lifecycle.token_profile: {name: keys, type: file, options: {path: "{{ keys }}"}}
    - name: wildcard
      register: wild
      pki.lifecycle.certificate_issue: &wild
        ra_profile: bind
        token_profile: keys
        key: wild
        generate_key: true
        subject: CN=example.test
        subject_alt_names: [DNS:example.test, "DNS:*.example.test", DNS:www.example.test]
    - name: wildcard rerun
      pki.lifecycle.certificate_issue: *wild
    - name: renew
      register: renewed
      pki.lifecycle.certificate_renew: {certificate: "{{ wild.certificate.uuid }}", force: true}
    - name: slow profile
      pki.lifecycle.ra_profile: {name: slow, connector: acme, connector_options: "{{ slow_opts }}"}
    - name: wrong zone profile
      pki.lifecycle.ra_profile: {name: otherzone, connector: acme, connector_options: "{{ zone_opts }}"}
    - name: secondary never answers
      ignore_errors: true
      pki.lifecycle.certificate_issue:
        ra_profile: slow
        connector_secrets: {tsig_secret: "{{ slow_secret }}"}
        token_profile: keys
        key: slow
        generate_key: true
        subject: CN=api.example.test
        subject_alt_names: [DNS:api.example.test]
    - name: name outside the zone
      ignore_errors: true
      pki.lifecycle.certificate_issue:
        ra_profile: otherzone
        token_profile: keys
        key: wild
        subject: CN=www.example.test
        subject_alt_names: [DNS:www.example.test]
    - name: wrong tsig secret
      ignore_errors: true
      pki.lifecycle.certificate_issue:
        ra_profile: bind
        connector_secrets: {tsig_secret: "{{ slow_secret }}"}
        token_profile: keys
        key: wild
        subject: CN=www.example.test
        subject_alt_names: [DNS:www.example.test]
"""
    # The TSIG secret of the working profile comes from the environment fallback only.
    run = run_playbook(play(tasks, 'sqlite://' + db), extra_vars=extra, tmp_path=tmp_path,
                       env={'PKI_LIFECYCLE_ACME_TSIG_SECRET': bind9.tsig_secret})
    assert run.rc == 0, run.summary()

    wild = run.result('wildcard')
    assert wild['changed'] and wild['certificate']['state'] == 'issued', wild['reason']
    assert 'challenge_data' not in wild
    assert sorted(wild['certificate']['subject_alt_names']) == [
        'DNS:*.example.test', 'DNS:example.test', 'DNS:www.example.test']
    assert not run.result('wildcard rerun')['changed']
    renewed = run.result('renew')
    assert renewed['changed'] and renewed['certificate']['lineage']['renewed_from'] == wild['certificate']['uuid']
    for name, result in (('wild', wild), ('renewed', renewed)):
        (tmp_path / (name + '.pem')).write_text(result['certificate_pem'])
        (tmp_path / (name + '-chain.pem')).write_text(result['chain_pem'])
        check = openssl('verify', '-CAfile', str(root), '-untrusted', str(tmp_path / (name + '-chain.pem')),
                        str(tmp_path / (name + '.pem')))
        assert check.returncode == 0, check.stdout + check.stderr

    # BIND applied the updates (its log) and the records are gone again (its answers).
    log = (bind9.workdir / 'named.log').read_text()
    assert "adding an RR at '_acme-challenge.example.test' TXT" in log
    assert "adding an RR at '_acme-challenge.www.example.test' TXT" in log
    assert "deleting an RR at _acme-challenge.example.test TXT" in log or \
        "deleting an RR at '_acme-challenge.example.test' TXT" in log, log[-3000:]
    for name in ('_acme-challenge.example.test', '_acme-challenge.www.example.test'):
        assert bind9.dig_txt(name) == [], name
    # the wildcard and its base share one TXT name: two values were published there at once
    rows = dict((r['uuid'], r) for r in certificate_rows(db))
    data = rows[wild['certificate']['uuid']]['connector_data']
    assert data['dns_records'] == ['_acme-challenge.example.test', '_acme-challenge.www.example.test']
    assert data['issued_by'] == {'ra_profile': 'bind', 'connector': 'acme'}

    # A secondary that never gets the record: the wait times out, the TXT is removed anyway.
    slow_failed = run.result('secondary never answers')
    assert run.status('secondary never answers') == 'failed'
    assert 'did not appear on the authoritative servers' in slow_failed['msg']
    assert '127.0.0.2' in slow_failed['msg'] and 'dns_propagation_timeout' in slow_failed['msg']
    slow_log = (slow.workdir / 'named.log').read_text()
    assert "adding an RR at '_acme-challenge.api.example.test' TXT" in slow_log
    assert 'deleting an RR' in slow_log
    assert slow.dig_txt('_acme-challenge.api.example.test') == []

    outside = run.result('name outside the zone')
    assert run.status('name outside the zone') == 'failed'
    assert 'not in the zone other.test' in outside['msg'] and 'dns_zone' in outside['msg']
    wrong = run.result('wrong tsig secret')
    assert run.status('wrong tsig secret') == 'failed'
    assert 'TSIG key was rejected' in wrong['msg'] and 'tsig_secret' in wrong['msg']

    # Failures left the inventory as it was: only the two issued certificates.
    assert sorted(r['state'] for r in certificate_rows(db)) == ['issued', 'issued']
    dump = '\n'.join(snapshot(db))
    for secret in (bind9.tsig_secret, slow.tsig_secret):
        assert secret not in dump and secret not in run.stdout


def test_rfc2136_check_refuses_unsigned_updates(bind9):
    """BIND refuses an unsigned update: without the TSIG key, nothing reaches the zone."""
    out = subprocess.run(['nsupdate', '-v'], input='server 127.0.0.1 %d\nzone example.test\n'
                         'update add _acme-challenge.nokey.example.test 60 TXT "x"\nsend\n' % bind9.port,
                         capture_output=True, text=True, check=False)
    assert out.returncode != 0 and 'REFUSED' in (out.stdout + out.stderr)
    assert bind9.dig_txt('_acme-challenge.nokey.example.test') == []
