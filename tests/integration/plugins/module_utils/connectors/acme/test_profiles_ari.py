"""ACME certificate profiles (draft-ietf-acme-profiles) and ARI (RFC 9773) against a real
server that offers both: acme2certifier (openssl CA handler; 6-day certificates here).

Evidence besides the returned values: acme2certifier's own database (which profile each
order named), its renewalInfo resource fetched here with urllib for a certificate ID built
here from openssl's output (not our code), and the inventory read with sqlite3.

acme2certifier accepts ``replaces`` in newOrder and ignores it (nothing reads it), so the
test shows the value we send is the RFC 9773 ID of the renewed certificate; that the bytes
are right is proven against RFC 9773's own example in the unit tests (test_ari_wire.py)."""
import base64
import datetime
import json
import re
import urllib.request

from harness.pki import certificate_rows, make_csr, openssl, play, snapshot
from harness.playbook import run_playbook

ISO = '%Y-%m-%dT%H:%M:%SZ'


def b64u(data):
    return base64.urlsafe_b64encode(data).rstrip(b'=').decode()


def cert_id_by_openssl(pem, tmp_path):
    """RFC 9773 certificate ID from what `openssl x509` prints: AKI keyid, serial."""
    path = tmp_path / 'ari-cert.pem'
    path.write_text(pem)
    aki = openssl('x509', '-noout', '-ext', 'authorityKeyIdentifier', '-in', str(path)).stdout
    keyid = re.search(r'([0-9A-F]{2}(?::[0-9A-F]{2})+)', aki).group(1)
    serial = openssl('x509', '-noout', '-serial', '-in', str(path)).stdout.strip().split('=', 1)[1]
    serial = serial if len(serial) % 2 == 0 else '0' + serial
    octets = bytes.fromhex(serial)
    if octets[0] & 0x80:
        octets = b'\x00' + octets   # DER INTEGER: positive
    return '%s.%s' % (b64u(bytes.fromhex(keyid.replace(':', ''))), b64u(octets))


def test_profiles_and_ari_on_acme2certifier(acme2certifier_factory, tmp_path):
    a2c = acme2certifier_factory(prevalidated=True, validity_days=6, retry_after=120)
    db = str(tmp_path / 'inventory.db')
    options = {'directory_url': a2c.directory_url, 'terms_agreed': True, 'contact': ['pki@example.test'],
               'trust_anchor': a2c.ca_cert_path, 'profile': 'shortlived'}
    csrs = dict((n, make_csr(tmp_path, '%s.example.test' % n)) for n in ('one', 'two', 'three'))
    tasks = """
    - name: profile
      pki.lifecycle.ra_profile: {name: short, connector: acme, connector_options: "{{ opts }}", validate: true}
    - name: profile the CA lacks
      ignore_errors: true
      pki.lifecycle.ra_profile: {name: bad, connector: acme, connector_options: "{{ opts | combine({'profile': 'tlsserver'}) }}",
                                 validate: true}
    - name: attribute the CA lacks
      ignore_errors: true
      pki.lifecycle.certificate_issue: {ra_profile: short, csr: "%(three)s", attributes: {profile: nosuch}}
    - name: issue shortlived
      register: one
      pki.lifecycle.certificate_issue: {ra_profile: short, csr: "%(one)s"}
    - name: issue classic
      pki.lifecycle.certificate_issue: {ra_profile: short, csr: "%(two)s", attributes: {profile: classic}}
    - name: not due by ari
      pki.lifecycle.certificate_renew: {certificate: "{{ one.certificate.uuid }}"}
    - name: not due again
      pki.lifecycle.certificate_renew: {certificate: "{{ one.certificate.uuid }}"}
    - name: eight hours
      pki.lifecycle.certificate_renew: {certificate: "{{ one.certificate.uuid }}", renew_before: 8h}
    - name: renew
      register: renewed
      pki.lifecycle.certificate_renew: {certificate: "{{ one.certificate.uuid }}", force: true}
    - name: info
      pki.lifecycle.certificate_info: {scope: all}
""" % csrs
    run = run_playbook(play(tasks, 'sqlite://' + db), extra_vars={'opts': options}, tmp_path=tmp_path)
    assert run.rc == 0, run.summary()

    # Profiles: the one the CA lacks is refused, naming what it offers; nothing stored.
    bad = run.result('profile the CA lacks')
    assert run.status('profile the CA lacks') == 'failed'
    assert "does not offer the profile 'tlsserver' (offered: classic, shortlived)" in bad['msg']
    lacking = run.result('attribute the CA lacks')
    assert run.status('attribute the CA lacks') == 'failed' and "'nosuch'" in lacking['msg']
    assert 'classic, shortlived' in lacking['msg']
    one = run.result('issue shortlived')
    assert one['changed'] and one['certificate']['state'] == 'issued'
    assert one['certificate']['issued_by'] == {'ra_profile': 'short', 'connector': 'acme',
                                               'certificate_profile': 'shortlived'}
    assert run.result('issue classic')['certificate']['issued_by']['certificate_profile'] == 'classic'
    # ... and the CA's own database says which profile each order named
    assert sorted(p for (p,) in a2c.sql('SELECT profile FROM orders')) == ['classic', 'shortlived', 'shortlived']
    start = datetime.datetime.strptime(one['certificate']['not_before'], ISO)
    end = datetime.datetime.strptime(one['certificate']['not_after'], ISO)
    assert round((end - start).total_seconds() / 86400) == 6

    # ARI: the window the CA suggests, fetched here independently
    cert_id = cert_id_by_openssl(one['certificate_pem'], tmp_path)
    with urllib.request.urlopen(a2c.url + '/acme/renewal-info/' + cert_id, timeout=10) as response:
        window = json.loads(response.read())['suggestedWindow']
        assert response.headers['Retry-After'] == '120'
    ari_start = window['start'].replace('.000000', '')
    not_due = run.result('not due by ari')
    assert not not_due['changed']
    assert 'the renewal window opens %s' % ari_start in not_due['reason'], (not_due['reason'], window)
    rows = dict((r['uuid'], r) for r in certificate_rows(db))
    kept = rows[one['certificate']['uuid']]['connector_data']['ari']
    assert kept['start'] == ari_start and kept['cert_id'] == cert_id
    checked = datetime.datetime.strptime(kept['checked_at'], ISO)
    assert datetime.datetime.strptime(kept['next_check'], ISO) - checked == datetime.timedelta(seconds=120)
    assert kept['retry_after'] == 120
    # asked again within Retry-After: the kept window answers (the record was not rewritten)
    assert run.result('not due again')['reason'] == not_due['reason']
    # a task's renew_before in hours wins over the CA's window
    eight = run.result('eight hours')
    assert 'opens %s' % (end - datetime.timedelta(hours=8)).strftime(ISO) in eight['reason'], eight['reason']

    # renewal: a new order that names the certificate it replaces (RFC 9773 section 5)
    renewed = run.result('renew')
    assert renewed['changed'] and renewed['certificate']['serial'] != one['certificate']['serial']
    rows = dict((r['uuid'], r) for r in certificate_rows(db))
    assert rows[renewed['certificate']['uuid']]['connector_data']['replaces'] == cert_id
    assert renewed['certificate']['issued_by']['certificate_profile'] == 'shortlived'
    info = run.result('info')
    assert sorted(c['issued_by'].get('certificate_profile') for c in info['certificates']) == \
        ['classic', 'shortlived', 'shortlived']
    profiles = [line for line in snapshot(db) if 'ra_profiles' in line and 'INSERT' in line]
    assert len(profiles) == 1 and '"short"' in profiles[0]


def test_short_lived_defaults_without_ari(pebble_factory, tmp_path):
    """A CA without ARI (Pebble 2.4) issuing 6-day certificates: renewal opens at half the
    lifetime by default; renew_before in minutes or hours moves it."""
    pebble = pebble_factory(validity_seconds=6 * 86400, env={'PEBBLE_VA_ALWAYS_VALID': '1'})
    (tmp_path / 'root.pem').write_text(pebble.roots_pem())
    options = {'directory_url': pebble.directory_url, 'ca_bundle': pebble.ca_bundle, 'terms_agreed': True,
               'trust_anchor': str(tmp_path / 'root.pem')}
    csr = make_csr(tmp_path, 'short.example.test')
    tasks = """
    - name: profile
      pki.lifecycle.ra_profile: {name: six, connector: acme, connector_options: "{{ opts }}"}
    - name: order
      pki.lifecycle.certificate_issue: {ra_profile: six, csr: "%(csr)s"}
    - name: finish
      register: six
      pki.lifecycle.certificate_issue: {ra_profile: six, csr: "%(csr)s"}
    - name: default window
      pki.lifecycle.certificate_renew: {certificate: "{{ six.certificate.uuid }}"}
    - name: thirty minutes
      pki.lifecycle.certificate_renew: {certificate: "{{ six.certificate.uuid }}", renew_before: 30m}
    - name: profile with hours
      pki.lifecycle.ra_profile: {name: six, connector: acme, connector_options: "{{ opts }}", policy: {renew_before: 12h}}
    - name: profile window
      pki.lifecycle.certificate_renew: {certificate: "{{ six.certificate.uuid }}"}
""" % dict(csr=csr)
    run = run_playbook(play(tasks, 'sqlite://' + str(tmp_path / 'inventory.db')), extra_vars={'opts': options},
                       tmp_path=tmp_path)
    assert run.rc == 0, run.summary()
    cert = run.result('finish')['certificate']
    start = datetime.datetime.strptime(cert['not_before'], ISO)
    end = datetime.datetime.strptime(cert['not_after'], ISO)
    assert abs((end - start).total_seconds() - 6 * 86400) < 120
    half = end - (end - start) / 2
    for task, opens in (('default window', half), ('thirty minutes', end - datetime.timedelta(minutes=30)),
                        ('profile window', end - datetime.timedelta(hours=12))):
        result = run.result(task)
        assert not result['changed'] and 'opens %s' % opens.strftime(ISO) in result['reason'], (task, result['reason'])
