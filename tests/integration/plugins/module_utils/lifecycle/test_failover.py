"""Failover to a fallback RA profile: the primary's ACME CA (acme2certifier on a port where it
is not running yet) is unreachable, so the request goes through the fallback's CA (Pebble,
real validation skipped with PEBBLE_VA_ALWAYS_VALID: the challenges are answered by the
connector in the second call); the record says which authority issued it; revocation goes to
that CA (Pebble's own view); once the primary runs, the next renewal is issued by it again.
Bad input at profile creation (a loop, another attribute set, an unknown fallback, removing a
profile that is a fallback) is refused and leaves the inventory as it was."""
from harness.acme2certifier import Acme2Certifier
from harness.pki import certificate_rows, make_csr, play, snapshot
from harness.playbook import run_playbook
from harness.servers import free_port


def test_failover_to_fallback_and_back(pebble_factory, tmp_path, request):
    pebble = pebble_factory(env={'PEBBLE_VA_ALWAYS_VALID': '1'})
    root = tmp_path / 'pebble-root.pem'
    root.write_text(pebble.roots_pem())
    # The primary CA: configured now (its CA certificate exists), started later on this port.
    a2c = Acme2Certifier(tmp_path / 'a2c', port=free_port(), prevalidated=True)
    request.addfinalizer(a2c.stop)
    a2c._make_ca()
    db = str(tmp_path / 'inventory.db')
    inventory = 'sqlite://' + db
    primary = {'directory_url': 'http://127.0.0.1:%d/directory' % a2c.port, 'terms_agreed': True,
               'contact': ['pki@example.test'], 'trust_anchor': a2c.ca_cert_path, 'poll_timeout': 20}
    backup = {'directory_url': pebble.directory_url, 'ca_bundle': pebble.ca_bundle, 'terms_agreed': True,
              'trust_anchor': str(root), 'poll_timeout': 20}
    csr = make_csr(tmp_path, 'www.example.test')
    setup = """
    - name: fallback profile
      pki.lifecycle.ra_profile: {name: backup, connector: acme, connector_options: "{{ backup }}"}
    - name: primary profile
      pki.lifecycle.ra_profile: {name: primary, connector: acme, connector_options: "{{ primary }}",
                                 fallback_ra_profile: backup}
    - name: local profile
      pki.lifecycle.ra_profile: {name: inhouse, connector: local}
    - name: issue while the primary is down
      register: first
      pki.lifecycle.certificate_issue: {ra_profile: primary, csr: "%(csr)s"}
    - name: finish at the fallback
      register: issued
      pki.lifecycle.certificate_issue: {ra_profile: primary, csr: "%(csr)s"}
""" % dict(csr=csr)
    bad = """
    - name: loop
      ignore_errors: true
      pki.lifecycle.ra_profile: {name: backup, connector: acme, connector_options: "{{ backup }}",
                                 fallback_ra_profile: primary}
    - name: self
      ignore_errors: true
      pki.lifecycle.ra_profile: {name: primary, connector: acme, connector_options: "{{ primary }}",
                                 fallback_ra_profile: primary}
    - name: other attributes
      ignore_errors: true
      pki.lifecycle.ra_profile: {name: primary, connector: acme, connector_options: "{{ primary }}",
                                 fallback_ra_profile: inhouse}
    - name: unknown fallback
      ignore_errors: true
      pki.lifecycle.ra_profile: {name: primary, connector: acme, connector_options: "{{ primary }}",
                                 fallback_ra_profile: nowhere}
    - name: remove a fallback
      ignore_errors: true
      pki.lifecycle.ra_profile: {name: backup, state: absent}
"""
    extra = {'primary': primary, 'backup': backup}
    run = run_playbook(play(setup, inventory), extra_vars=extra, tmp_path=tmp_path / 'run1')
    assert run.rc == 0, run.summary()
    before = snapshot(db)
    bad_run = run_playbook(play(bad, inventory), extra_vars=extra, tmp_path=tmp_path / 'bad')
    assert bad_run.rc == 0, bad_run.summary()
    assert snapshot(db) == before, 'refused profile changes changed the inventory'

    first = run.result('issue while the primary is down')
    assert first['certificate']['state'] == 'requested' and first['challenge_data']
    assert first['certificate']['issued_by']['ra_profile'] == 'backup'
    issued = run.result('finish at the fallback')
    cert = issued['certificate']
    assert cert['state'] == 'issued' and cert['ra_profile'] == 'primary'
    assert cert['issued_by']['ra_profile'] == 'backup' and cert['issued_by']['fallback_from'] == 'primary'
    assert 'unreachable' in cert['issued_by']['fallback_reason']
    assert 'Pebble' in cert['issuer']
    assert pebble.cert_status(cert['serial'])['Status'] == 'Valid'

    messages = dict((name, bad_run.result(name)['msg']) for name in
                    ('loop', 'self', 'other attributes', 'unknown fallback', 'remove a fallback'))
    for name in messages:
        assert bad_run.status(name) == 'failed', name
    assert 'makes a loop: backup -> primary -> backup' in messages['loop']
    assert 'makes a loop: primary -> primary' in messages['self']
    assert "connector 'local'" in messages['other attributes'] and 'attributes' in messages['other attributes']
    assert "'nowhere' is not in the inventory" in messages['unknown fallback']
    assert 'is the fallback of primary' in messages['remove a fallback']

    # The primary's CA comes up: the next renewal goes there again; revocation of the
    # fallback's certificate goes to the fallback's CA.
    a2c.start()
    second = """
    - name: renew
      register: renewed
      pki.lifecycle.certificate_renew: {certificate: "%(uuid)s", force: true}
    - name: revoke the fallback's certificate
      pki.lifecycle.certificate_revoke: {certificate: "%(uuid)s", reason: superseded}
""" % dict(uuid=cert['uuid'])
    run2 = run_playbook(play(second, inventory), tmp_path=tmp_path / 'run2')
    assert run2.rc == 0, run2.summary()
    renewed = run2.result('renew')['certificate']
    assert renewed['state'] == 'issued' and renewed['issued_by'] == {'ra_profile': 'primary', 'connector': 'acme'}
    assert 'acme2certifier test CA' in renewed['issuer']
    assert renewed['lineage']['renewed_from'] == cert['uuid']
    assert run2.result('revoke the fallback\'s certificate')['certificate']['state'] == 'revoked'
    status = pebble.cert_status(cert['serial'])
    assert status['Status'] == 'Revoked' and status['Reason'] == 4
    rows = dict((r['uuid'], r) for r in certificate_rows(db))
    assert rows[cert['uuid']]['connector_data']['issued_by']['ra_profile'] == 'backup'
    profiles = [line for line in snapshot(db) if line.startswith('INSERT INTO "ra_profiles"')]
    assert len(profiles) == 3 and not any('nowhere' in line for line in profiles)
