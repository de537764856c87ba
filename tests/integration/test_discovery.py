"""Discovery, adoption, renewal of an adopted certificate and compliance, with real parts.

Hosts are names behind the harness's real sshd, each with its own directory of certificate files
made here with openssl from a foreign CA (one expired, one weak RSA-1024/SHA-1), plus one issued by
the embedded CA through another inventory (an "own" certificate this inventory does not know).
Two nginx on loopback serve two of them; a small SMTP server offers STARTTLS; one port answers in
plain text and one never answers. Assertions are on returned values, on the inventory's rows
(sqlite3), and on openssl's verdict of what nginx serves after the renewal.
"""
import json
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
import tempfile

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes

from harness.nginx import served_certificate
from harness.playbook import REPO_ROOT
from harness.plugin import server_unavailable
from harness.tls_endpoints import Hanging, PlainText, SmtpStartTls
from harness.faketime import find_libfaketime

pytestmark = pytest.mark.server

HOSTS = ['web1.test', 'web2.test']
NOBODY = 'locked.test'   # runs the module as user nobody: a 0700 root directory is unreadable there


def _fingerprint(pem):
    return x509.load_pem_x509_certificate(pem.encode()).fingerprint(hashes.SHA256()).hex()


def openssl(*args, faketime=None, cwd=None):
    # libfaketime by LD_PRELOAD, not the faketime wrapper: the wrapper's named semaphore
    # (/faketime_sem_<pid>) collides with leftovers of killed processes ("sem_open: File exists").
    argv = ['openssl'] + list(args)
    env = None
    if faketime:
        days = int(faketime.split()[0])  # '-400 days'
        env = dict(os.environ, LD_PRELOAD=find_libfaketime(), FAKETIME='%+dd' % days)
    out = subprocess.run(argv, capture_output=True, text=True, check=False, cwd=cwd, env=env)
    assert out.returncode == 0, (argv, out.stderr)
    return out.stdout


def make_ca(d):
    openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
            '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '3650', '-subj', '/O=Foreign Corp/CN=Foreign Test Root',
            '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
            faketime='-500 days', cwd=d)
    return os.path.join(d, 'ca.crt')


def make_leaf(d, name, sans, days=90, key=('-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'), digest='-sha256',
              faketime=None):
    """name.key, name.crt (leaf), name.fullchain.crt (leaf + foreign root) in d."""
    openssl('req', '-new', *key, '-nodes', '-keyout', name + '.key', '-out', name + '.csr', '-subj', '/CN=' + sans[0],
            cwd=d)
    with open(os.path.join(d, name + '.ext'), 'w') as handle:
        handle.write('basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n'
                     'extendedKeyUsage=serverAuth\nsubjectAltName=%s\n' % ','.join('DNS:' + s for s in sans))
    openssl('x509', '-req', '-in', name + '.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-set_serial',
            str(int.from_bytes(os.urandom(8), 'big')), '-days', str(days), digest, '-extfile', name + '.ext',
            '-out', name + '.crt', faketime=faketime, cwd=d)
    with open(os.path.join(d, name + '.fullchain.crt'), 'w') as out:
        for part in (name + '.crt', 'ca.crt'):
            with open(os.path.join(d, part)) as handle:
                out.write(handle.read())
    return os.path.join(d, name)


def fingerprint(pem_path):
    out = openssl('x509', '-in', pem_path, '-noout', '-fingerprint', '-sha256')
    return out.strip().split('=', 1)[1].replace(':', '').lower()


def rows(work):
    conn = sqlite3.connect('file:%s?mode=ro' % os.path.join(work, 'inventory.db'), uri=True)
    try:
        return [json.loads(r[0]) for r in conn.execute('SELECT data FROM certificates ORDER BY created_at, uuid')]
    finally:
        conn.close()


def by_fp(work):
    return dict((r['fingerprint_sha256'], r) for r in rows(work))


def events(work):
    conn = sqlite3.connect('file:%s?mode=ro' % os.path.join(work, 'inventory.db'), uri=True)
    try:
        return conn.execute('SELECT COUNT(*) FROM events').fetchone()[0]
    finally:
        conn.close()


def loc_ids(record):
    return sorted((l['id'], l['status']) for l in record.get('locations') or [])


SETUP = """
- name: The embedded CA and an RA profile on it; an own certificate issued through another inventory
  hosts: localhost
  gather_facts: false
  module_defaults:
    group/pki.lifecycle.certificates: {inventory: "sqlite://%(work)s/inventory.db"}
  roles:
    - role: pki.lifecycle.local_ca
      local_ca_ra_profile: web
      local_ca_directory: "%(work)s/ca-web"
      local_ca_subject: CN=Discovery Test CA
      local_ca_policy: {allowed_names: ["**.test"], max_validity_days: 60}
  tasks:
    - name: the same CA known to another team's inventory
      pki.lifecycle.ra_profile:
        inventory: "sqlite://%(work)s/other.db"
        name: web
        connector: local
        connector_options: {directory: "%(work)s/ca-web"}
        policy: {allowed_names: ["**.test"], max_validity_days: 60}
    - name: own certificate issued there
      pki.lifecycle.certificate_issue:
        inventory: "sqlite://%(work)s/other.db"
        ra_profile: web
        csr: "%(own_csr)s"
      register: own
    - name: write it on web2
      ansible.builtin.copy:
        dest: "%(own_crt)s"
        content: "{{ own.fullchain_pem }}"
        mode: "0644"
"""

DISCOVER = """
- name: Certificates in files on the hosts
  hosts: all
  gather_facts: false
  module_defaults:
    group/pki.lifecycle.certificates: {inventory: "sqlite://%(work)s/inventory.db"}
  tasks:
    - name: discover
      pki.lifecycle.certificate_discover:
        paths: "{{ scan_paths }}"
        pkcs12_passwords: [wrong-password]
        max_depth: 4
      register: found
    - name: record
      pki.lifecycle.certificate_discovered:
        host: "{{ inventory_hostname }}"
        discovery: "{{ found }}"
      delegate_to: localhost
      vars:
        ansible_python_interpreter: "%(python)s"

- name: Certificates served on the network
  hosts: localhost
  gather_facts: false
  module_defaults:
    group/pki.lifecycle.certificates: {inventory: "sqlite://%(work)s/inventory.db"}
  tasks:
    - name: tls
      pki.lifecycle.certificate_discover_tls:
        endpoints: %(endpoints)s
        trust_anchors: "%(foreign_ca)s"
        timeout: 1.5
      register: tls
    - name: record tls
      pki.lifecycle.certificate_discovered:
        discovery: "{{ tls }}"
"""

ADOPT_AND_CHECK = """
- hosts: localhost
  gather_facts: false
  module_defaults:
    group/pki.lifecycle.certificates: {inventory: "sqlite://%(work)s/inventory.db"}
  tasks:
    - name: adopt foreign
      pki.lifecycle.certificate_adopt: {certificate: "%(site_fp)s", ra_profile: web, labels: {service: site}}
    - name: adopt foreign again
      pki.lifecycle.certificate_adopt: {certificate: "%(site_fp)s", ra_profile: web}
    - name: adopt own
      pki.lifecycle.certificate_adopt: {certificate: "%(own_fp)s", ra_profile: web}
    - name: adopt outside the policy
      pki.lifecycle.certificate_adopt: {certificate: "%(outside_fp)s", ra_profile: web}
      ignore_errors: true
    - name: renew adopted without csr
      pki.lifecycle.certificate_renew: {certificate: "%(site_uuid)s", force: true}
      ignore_errors: true
    - name: compliance
      pki.lifecycle.certificate_info: {compliance: true}
    - name: noncompliant weak
      pki.lifecycle.certificate_info: {compliance_rules: [weak_key]}
    - name: on web2
      pki.lifecycle.certificate_info: {location_host: web2.test, state: [discovered]}
    - name: record garbage
      pki.lifecycle.certificate_discovered: {discovery: {kind: file, certificates: [{certificate_pem: "nope"}]}, host: x}
      ignore_errors: true
"""


@pytest.fixture
def nobody_python(tmp_path):
    # The module itself runs as nobody (pipelining: its code comes on stdin, no temp file to read).
    wrapper = tmp_path / 'python-as-nobody'
    wrapper.write_text('#!/bin/sh\nexec setpriv --reuid=nobody --regid=nogroup --clear-groups %s "$@"\n' % sys.executable)
    wrapper.chmod(0o755)
    return str(wrapper)


def test_discover_adopt_renew_comply(sshd, nginx_factory, run_playbook, tmp_path, nobody_python, request):
    if os.geteuid() != 0:
        server_unavailable('needs root: the hosts own files as root and one host runs as nobody')
    work = str(tmp_path / 'work')
    pki = str(tmp_path / 'foreign')
    os.makedirs(work)
    os.makedirs(pki)
    foreign_ca = make_ca(pki)
    site = make_leaf(pki, 'site', ['site.test', 'www.site.test'])
    old = make_leaf(pki, 'old', ['old.test'], days=30, faketime='-400 days')               # expired
    weak = make_leaf(pki, 'weak', ['weak.test'], key=('-newkey', 'rsa:1024'), digest='-sha1')  # weak key, SHA-1
    mail = make_leaf(pki, 'mail', ['mail.test'])
    outside = make_leaf(pki, 'outside', ['shop.example.com'])                              # outside the profile

    roots = dict((h, str(tmp_path / 'hosts' / h)) for h in HOSTS)
    # pytest's base temp directory is 0700: nobody's scan root lives beside it
    roots[NOBODY] = tempfile.mkdtemp(prefix='pki-discovery-')
    request.addfinalizer(lambda: shutil.rmtree(roots[NOBODY], ignore_errors=True))
    w1, w2 = roots['web1.test'], roots['web2.test']
    for d in (w1 + '/etc/nginx/tls', w1 + '/etc/postfix', w2 + '/etc/ssl/private', w2 + '/etc/postfix',
              w2 + '/etc/ssl/deep/a/b/c/d/e/f', roots[NOBODY] + '/open', roots[NOBODY] + '/locked'):
        os.makedirs(d)
    shutil.copy(site + '.fullchain.crt', w1 + '/etc/nginx/tls/site.crt')     # full chain, key beside it
    shutil.copy(site + '.key', w1 + '/etc/nginx/tls/site.key')
    shutil.copy(old + '.crt', w1 + '/etc/nginx/tls/old.pem')
    shutil.copy(old + '.key', w1 + '/etc/nginx/tls/old.key')
    shutil.copy(mail + '.crt', w1 + '/etc/postfix/mail.crt')                   # the same certificate on two hosts
    shutil.copy(mail + '.crt', w2 + '/etc/postfix/mail.crt')
    shutil.copy(weak + '.crt', w2 + '/etc/ssl/weak.crt')
    shutil.copy(weak + '.key', w2 + '/etc/ssl/private/weak.key')               # not beside it: no match reported
    openssl('x509', '-in', outside + '.crt', '-outform', 'der', '-out', w2 + '/etc/ssl/outside.der')
    openssl('pkcs12', '-export', '-in', mail + '.crt', '-inkey', mail + '.key', '-out', w2 + '/etc/ssl/mail.p12',
            '-passout', 'pass:right-password')                                 # wrong password given: listed
    with open(w2 + '/etc/ssl/garbage.pem', 'wb') as handle:                   # binary garbage named .pem
        handle.write(os.urandom(700))
    shutil.copy(site + '.crt', w2 + '/etc/ssl/deep/a/b/c/d/e/f/too-deep.crt')  # beyond max_depth
    os.symlink(w2 + '/etc', w2 + '/etc/ssl/loop')                              # a symlink loop
    own_key = tmp_path / 'own.key'
    own_csr = tmp_path / 'own.csr'
    openssl('req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', str(own_key),
            '-out', str(own_csr), '-subj', '/CN=own.test', '-addext', 'subjectAltName=DNS:own.test')
    own_crt = w2 + '/etc/ssl/own.crt'
    shutil.copy(mail + '.crt', roots[NOBODY] + '/open/mail.crt')
    shutil.copy(old + '.crt', roots[NOBODY] + '/locked/old.crt')
    for d in (roots[NOBODY], roots[NOBODY] + '/open'):
        os.chmod(d, 0o755)
    os.chmod(roots[NOBODY] + '/locked', 0o700)                                 # root's: nobody cannot read it

    setup = run_playbook(SETUP % dict(work=work, own_csr=own_csr, own_crt=own_crt), tmp_path=tmp_path)
    assert setup.rc == 0, setup.summary()
    own_fp = fingerprint(own_crt)

    # nginx serving the foreign site certificate from where it was found, and the expired one
    web = nginx_factory(cert_path=w1 + '/etc/nginx/tls/site.crt', key_path=w1 + '/etc/nginx/tls/site.key',
                        server_name='site.test')
    stale = nginx_factory(cert_path=w1 + '/etc/nginx/tls/old.pem', key_path=w1 + '/etc/nginx/tls/old.key',
                          server_name='old.test')
    with open(mail + '.chain.pem', 'w') as handle:
        handle.write(open(mail + '.fullchain.crt').read())
    smtp = SmtpStartTls(mail + '.chain.pem', mail + '.key')
    plain, hanging = PlainText(), Hanging()
    try:
        endpoints = json.dumps([
            {'host': '127.0.0.1', 'port': web.port, 'server_name': 'site.test'},
            {'host': '127.0.0.1', 'port': stale.port, 'server_name': 'old.test'},
            {'host': '127.0.0.1', 'port': smtp.port, 'server_name': 'mail.test', 'starttls': 'smtp'},
            plain.endpoint, hanging.endpoint])
        host_vars = {'web1.test': {'scan_paths': [w1 + '/etc']},
                     'web2.test': {'scan_paths': [w2 + '/etc', w2 + '/missing']},
                     NOBODY: {'scan_paths': [roots[NOBODY]], 'ansible_python_interpreter': nobody_python}}
        inventory = sshd.inventory_for(HOSTS + [NOBODY], host_vars=host_vars, group_vars={'ansible_pipelining': True})
        discover = DISCOVER % dict(work=work, endpoints=endpoints, foreign_ca=foreign_ca, python=sys.executable)

        # --- first discovery: hosts in parallel (forks) and endpoints, into one inventory
        first = run_playbook(discover, inventory=inventory, tmp_path=tmp_path)
        assert first.rc == 0, first.summary()
        f1, f2 = first.result('discover', 'web1.test'), first.result('discover', 'web2.test')
        assert sorted(c['path'] for c in f1['certificates']) == sorted(
            [w1 + '/etc/nginx/tls/site.crt', w1 + '/etc/nginx/tls/old.pem', w1 + '/etc/postfix/mail.crt'])
        site_found = next(c for c in f1['certificates'] if c['path'].endswith('site.crt'))
        assert site_found['private_key'] == {'path': w1 + '/etc/nginx/tls/site.key', 'matches': True,
                                             'reason': 'public key matches the certificate'}
        assert site_found['chain_pem'].count('BEGIN CERTIFICATE') == 1 and site_found['mode'] == '0644'
        assert site_found['owner'] == 'root' and site_found['format'] == 'pem'
        assert 'PRIVATE KEY' not in json.dumps(first.results)          # keys never leave the host
        assert 'wrong-password' not in first.stdout + first.stderr + json.dumps(first.results)   # no_log
        errors2 = dict((e['path'], e['reason']) for e in f2['errors'])
        assert 'neither PEM nor DER' in errors2[w2 + '/etc/ssl/garbage.pem']
        assert 'PKCS#12' in errors2[w2 + '/etc/ssl/mail.p12'] and 'password' in errors2[w2 + '/etc/ssl/mail.p12']
        assert 'does not exist' in errors2[w2 + '/missing']
        assert any('max_depth 4' in s['reason'] for s in f2['left_out'])
        found2 = sorted(os.path.basename(c['path']) for c in f2['certificates'])
        assert found2 == ['mail.crt', 'outside.der', 'own.crt', 'weak.crt'], found2
        weak_found = next(c for c in f2['certificates'] if c['path'].endswith('weak.crt'))
        assert weak_found['public_key'] == {'type': 'rsa', 'size': 1024} and weak_found['signature_digest'] == 'sha1'
        assert weak_found['private_key'] is None
        locked = first.result('discover', NOBODY)
        assert [os.path.basename(c['path']) for c in locked['certificates']] == ['mail.crt'], locked
        assert [(e['path'], 'permission denied' in e['reason']) for e in locked['errors']] == [
            (roots[NOBODY] + '/locked', True)]
        tls = first.result('tls')
        served = dict((e['server_name'], e) for e in tls['endpoints'])
        assert sorted(served) == ['mail.test', 'old.test', 'site.test']
        assert served['site.test']['verified'] is True and served['site.test']['chain_length'] == 2
        assert served['old.test']['verified'] is False and 'expired' in served['old.test']['verify_error']
        assert served['mail.test']['starttls'] == 'smtp' and served['mail.test']['protocol'].startswith('TLSv1.')
        tls_errors = dict((e['endpoint'], e['reason']) for e in tls['errors'])
        assert 'not a TLS endpoint' in tls_errors[plain.endpoint]
        assert 'hangs' in tls_errors[hanging.endpoint]
        assert first.result('tls')['stats']['seconds'] < 10               # the hanging one is bounded

        records = by_fp(work)
        site_fp, mail_fp, old_fp = fingerprint(site + '.crt'), fingerprint(mail + '.crt'), fingerprint(old + '.crt')
        weak_fp, outside_fp = fingerprint(weak + '.crt'), fingerprint(outside + '.crt')
        # one record per certificate, whatever the number of places; every foreign one is 'discovered'
        assert sorted(records) == sorted([site_fp, mail_fp, old_fp, weak_fp, outside_fp, own_fp])
        assert all(records[fp]['state'] == 'discovered' for fp in records)
        assert [l['kind'] for l in records[site_fp]['locations']].count('endpoint') == 1
        mail_hosts = sorted(l['host'] for l in records[mail_fp]['locations'])
        assert mail_hosts == ['127.0.0.1', NOBODY, 'web1.test', 'web2.test'], mail_hosts
        assert all(l['status'] == 'present' and l['first_seen'] == l['last_seen'] for r in records.values()
                   for l in r['locations'])
        assert 'PRIVATE KEY' not in json.dumps(rows(work))

        # --- again: nothing changes
        before_events = events(work)
        second = run_playbook(discover, inventory=inventory, tmp_path=tmp_path)
        assert second.rc == 0, second.summary()
        assert second.changed_count() == 0, [(r['host'], r['task']) for r in second.results if r['status'] == 'changed']
        assert events(work) == before_events
        again = by_fp(work)
        assert sorted(again) == sorted(records)
        assert all(loc_ids(again[fp]) == loc_ids(records[fp]) for fp in records)

        # --- a file removed: its location is kept, marked gone
        os.unlink(w2 + '/etc/postfix/mail.crt')
        third = run_playbook(discover, inventory=inventory, tmp_path=tmp_path)
        assert third.rc == 0, third.summary()
        assert third.status('record', 'web2.test') == 'changed' and third.status('record', 'web1.test') == 'ok'
        gone = [l for l in by_fp(work)[mail_fp]['locations'] if l['status'] == 'gone']
        assert [(l['host'], l['path']) for l in gone] == [('web2.test', w2 + '/etc/postfix/mail.crt')]
        assert gone[0]['gone_since']

        # --- adoption, compliance, bad input
        site_uuid = records[site_fp]['uuid']
        before_bad = rows(work)
        run = run_playbook(ADOPT_AND_CHECK % dict(work=work, site_fp=site_fp, own_fp=own_fp, outside_fp=outside_fp,
                                                  site_uuid=site_uuid), tmp_path=tmp_path)
        foreign = run.result('adopt foreign')
        assert foreign['changed'] is True and 'replaceable' in foreign['reason'], foreign
        assert run.result('adopt foreign again')['changed'] is False
        own = run.result('adopt own')
        assert own['changed'] is True and 'its CA issued' in own['reason'], own
        assert run.status('adopt outside the policy') == 'failed'
        assert 'shop.example.com' in run.result('adopt outside the policy')['msg']
        no_csr = run.result('renew adopted without csr')['msg']
        assert 'adopted' in no_csr and 'csr' in no_csr and w1 + '/etc/nginx/tls/site.crt' in no_csr, no_csr
        after = by_fp(work)
        assert after[site_fp]['state'] == 'issued' and after[site_fp]['replaceable'] is True
        assert after[site_fp]['labels'] == {'host': 'web1.test', 'fullchain_path': w1 + '/etc/nginx/tls/site.crt',
                                            'key_path': w1 + '/etc/nginx/tls/site.key', 'mode': '0644',
                                            'service': 'site'}
        assert after[own_fp]['state'] == 'issued' and after[own_fp]['replaceable'] is False
        assert after[outside_fp] == before_bad[[r['fingerprint_sha256'] for r in before_bad].index(outside_fp)]
        findings = dict((c['fingerprint_sha256'], sorted(f['rule'] for f in c['compliance']['findings']))
                        for c in run.result('compliance')['certificates'])
        assert 'weak_key' in findings[weak_fp] and 'weak_signature' in findings[weak_fp], findings[weak_fp]
        assert 'expired' in findings[old_fp]
        assert 'unknown_issuer' in findings[site_fp]
        assert findings[own_fp] == [], findings[own_fp]
        summary = run.result('compliance')['compliance']
        assert summary['rules']['weak_key'] == 1 and summary['rules']['expired'] == 1
        assert [c['fingerprint_sha256'] for c in run.result('noncompliant weak')['certificates']] == [weak_fp]
        on_web2 = sorted(c['fingerprint_sha256'] for c in run.result('on web2')['certificates'])
        assert on_web2 == sorted([weak_fp, outside_fp, mail_fp])
        assert run.status('record garbage') == 'failed'
        assert 'unreadable certificate' in run.result('record garbage')['msg']

        # --- renewal of the adopted foreign certificate, deployed where it was found, served by nginx
        renew = run_playbook(os.path.join(REPO_ROOT, 'playbooks', 'renew_adopted.yml'), inventory=inventory,
                             extra_vars={'pki_inventory': 'sqlite://%s/inventory.db' % work,
                                         'renew_adopted_force': True, 'renew_adopted_reload': web.reload_command,
                                         'renew_adopted_hosts': 'web1.test'},
                             tmp_path=tmp_path)
        assert renew.rc == 0, renew.summary()
        new = renew.result('Renew through the RA profile', 'web1.test')
        assert new['changed'] is True and new['certificate']['lineage']['renewed_from'] == site_uuid
        deployed = open(w1 + '/etc/nginx/tls/site.crt').read()
        assert deployed == new['fullchain_pem']
        ca_pem = os.path.join(work, 'ca-web', 'ca.pem')
        verify = subprocess.run(['openssl', 'verify', '-CAfile', ca_pem, w1 + '/etc/nginx/tls/site.crt'],
                                capture_output=True, text=True, check=False)
        assert verify.returncode == 0, verify.stderr
        web.serves(lambda pem: _fingerprint(pem) == new['certificate']['fingerprint_sha256'])
        assert web.served_fingerprint() == new['certificate']['fingerprint_sha256']
        served_pem = served_certificate(web.port, 'site.test')
        san = subprocess.run(['openssl', 'x509', '-noout', '-ext', 'subjectAltName'], input=served_pem,
                             capture_output=True, text=True, check=True).stdout
        assert 'DNS:site.test' in san and 'DNS:www.site.test' in san
        assert stat.S_IMODE(os.stat(w1 + '/etc/nginx/tls/site.key').st_mode) == 0o600
        assert new['certificate']['labels']['fullchain_path'] == w1 + '/etc/nginx/tls/site.crt'

        # --- discovery after the renewal: the old certificate is gone from the file and the endpoint
        fourth = run_playbook(discover, inventory=inventory, tmp_path=tmp_path)
        assert fourth.rc == 0, fourth.summary()
        final = by_fp(work)
        assert set(l['status'] for l in final[site_fp]['locations']) == {'gone'}
        new_locs = final[new['certificate']['fingerprint_sha256']]['locations']
        assert sorted(l['kind'] for l in new_locs) == ['endpoint', 'file']
        assert final[new['certificate']['fingerprint_sha256']]['state'] == 'issued'
    finally:
        for server in (smtp, plain, hanging):
            server.stop()
