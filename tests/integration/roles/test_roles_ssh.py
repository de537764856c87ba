"""The roles over real SSH: local_ca, certificate, renewal, decommission on three hosts.

The hosts are names in an inventory that all reach one real sshd on 127.0.0.1 (harness
fixture ``sshd``), each with its own deploy root. Every assertion is on returned values,
on the files on disk (modes, owners, contents), on the inventory's rows (sqlite3), or on
openssl's verdict (verify of each deployed chain, the CRL's list of serials).
"""
import grp
import os
import pwd
import sqlite3
import json
import shutil
import stat
import subprocess
import sys
import urllib.request

import pytest

from harness.playbook import REPO_ROOT
from harness.servers import free_port

pytestmark = pytest.mark.server

HOSTS = ['web1.test', 'web2.test', 'web3.test']
BAD_HOSTS = ['badkey.test', 'badpath.test', 'badtype.test']

SETUP_PLAY = """
- name: CAs on the controller
  hosts: localhost
  gather_facts: false
  module_defaults:
    group/pki.lifecycle.certificates: {inventory: "sqlite://%(work)s/inventory.db"}
  roles:
    - role: pki.lifecycle.local_ca
      local_ca_ra_profile: web
      local_ca_directory: "%(work)s/ca-web"
      local_ca_subject: CN=Roles Test CA
      local_ca_policy: {allowed_names: ["**.test"], max_validity_days: 30}
  tasks:
    - name: RA profile other on OpenBao (a second, remote CA)
      pki.lifecycle.ra_profile:
        name: other
        connector: vault
        connector_options: {url: "%(bao)s", mount: pki, role: any}
        policy: {allowed_names: ["**.test"]}
"""

OTHER_DOWN_PLAY = """
- name: The OpenBao profile now points at an address where nothing listens
  hosts: localhost
  gather_facts: false
  module_defaults:
    group/pki.lifecycle.certificates: {inventory: "sqlite://%(work)s/inventory.db"}
  tasks:
    - pki.lifecycle.ra_profile:
        name: other
        connector: vault
        connector_options: {url: "%(bao)s", mount: pki, role: any}
        policy: {allowed_names: ["**.test"]}
"""

HOSTS_PLAY = """
- name: Certificates on the hosts
  hosts: all
  gather_facts: false
  module_defaults:
    group/pki.lifecycle.certificates: {inventory: "sqlite://%(work)s/inventory.db"}
  roles:
    - role: pki.lifecycle.certificate
      certificate_notify: [reload service]
  handlers:
    - name: reload service
      ansible.builtin.copy:
        dest: "{{ certificate_deploy_dir }}/reloaded"
        content: "{{ inventory_hostname }}\\n"
        mode: "0644"
"""


def openssl(*args):
    return subprocess.run(['openssl'] + list(args), capture_output=True, text=True, check=False)


def rows(work):
    conn = sqlite3.connect('file:%s?mode=ro' % os.path.join(work, 'inventory.db'), uri=True)
    try:
        return [json.loads(r[0]) for r in conn.execute('SELECT data FROM certificates')]
    finally:
        conn.close()


def issued_for(work, host):
    return [r for r in rows(work) if (r.get('labels') or {}).get('host') == host and r['state'] == 'issued']


def serial_of(path):
    out = openssl('x509', '-in', path, '-noout', '-serial')
    assert out.returncode == 0, out.stderr
    return out.stdout.strip().split('=', 1)[1].lower().lstrip('0')


def key_of(root, host):
    if host == 'web3.test':
        return os.path.join(root, 'private', host + '.key')
    return os.path.join(root, host + '.key')


def untrusted(chain_path):
    """openssl's -untrusted for a deployed chain; none when it is empty (the embedded CA's
    chain has no intermediates: its root is the trust anchor, not part of the chain)."""
    return ['-untrusted', chain_path] if os.path.getsize(chain_path) else []


def verify_deployed(root, host, ca_pem):
    """openssl verify of the deployed full chain (leaf + chain) against the CA alone."""
    out = openssl('verify', '-CAfile', ca_pem, *(untrusted(os.path.join(root, host + '.chain.crt')) +
                                                 [os.path.join(root, host + '.fullchain.crt')]))
    assert out.returncode == 0 and ': OK' in out.stdout, (host, out.stdout, out.stderr)
    # The deployed key belongs to the deployed certificate.
    pub_cert = openssl('x509', '-in', os.path.join(root, host + '.crt'), '-noout', '-pubkey').stdout
    pub_key = openssl('pkey', '-in', key_of(root, host), '-pubout').stdout
    assert pub_cert and pub_cert == pub_key, host


def fetch(url):
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read().decode('ascii')


def test_roles_over_ssh(sshd, openbao, run_playbook, tmp_path):
    """web1, web2 on the embedded CA; web3 on OpenBao, which is made unreachable for the renewal."""
    work = str(tmp_path / 'work')
    os.makedirs(work)
    env = {'VAULT_TOKEN': openbao.token}
    bao_ca = os.path.join(work, 'bao-ca.pem')
    with open(bao_ca, 'w') as handle:
        handle.write(openbao.ca_pem)
    roots = dict((h, os.path.join(work, 'hosts', h)) for h in HOSTS + BAD_HOSTS)
    host_vars = dict((h, {'certificate_deploy_dir': roots[h], 'certificate_ra_profile': 'web'}) for h in roots)
    host_vars['web2.test'].update(certificate_group='nogroup', certificate_mode='0640', certificate_key_type='rsa',
                                  certificate_subject_alt_names=['DNS:web2.test', 'DNS:www.web2.test'])
    host_vars['web3.test'].update(certificate_ra_profile='other',
                                  certificate_key_path=os.path.join(work, 'hosts', 'web3.test', 'private', 'web3.test.key'))
    # Bad input: a key file that is not a key; a deploy path under a regular file; a wrong type.
    os.makedirs(roots['badkey.test'])
    bad_key = os.path.join(roots['badkey.test'], 'badkey.test.key')
    with open(bad_key, 'w') as handle:
        handle.write('this is not a private key\n')
    with open(os.path.join(work, 'hosts', 'a-file'), 'w') as handle:
        handle.write('not a directory\n')
    host_vars['badpath.test']['certificate_deploy_dir'] = os.path.join(work, 'hosts', 'a-file', 'tls')
    host_vars['badtype.test']['certificate_key_size'] = 'big'

    # Pipelining: one SSH round trip per task instead of three (what a real deployment sets too).
    good_inventory = sshd.inventory_for(HOSTS, host_vars=host_vars, group_vars={'ansible_pipelining': True})
    bad_inventory = sshd.inventory_for(BAD_HOSTS, host_vars=host_vars, group_vars={'ansible_pipelining': True})
    play = (SETUP_PLAY + HOSTS_PLAY) % dict(work=work, bao=openbao.addr)

    # --- first run over SSH: everything issued and deployed
    first = run_playbook(play, inventory=good_inventory, env=env)
    assert first.rc == 0, first.summary()
    for host in HOSTS:
        root = roots[host]
        key_path = key_of(root, host)
        assert stat.S_IMODE(os.stat(key_path).st_mode) == 0o600, host
        assert os.stat(key_path).st_uid == pwd.getpwnam(sshd.user).pw_uid
        for name in (host + '.crt', host + '.chain.crt', host + '.fullchain.crt'):
            mode = stat.S_IMODE(os.stat(os.path.join(root, name)).st_mode)
            assert mode == (0o640 if host == 'web2.test' else 0o644), (host, name, oct(mode))
        with open(os.path.join(root, 'reloaded')) as handle:   # the handler ran on that host
            assert handle.read() == host + '\n'
        records = issued_for(work, host)
        assert len(records) == 1, records
        labels = records[0]['labels']
        assert labels['cert_path'] == os.path.join(root, host + '.crt')
        assert labels['key_path'] == key_path
        assert serial_of(os.path.join(root, host + '.crt')) == records[0]['serial'].lstrip('0')
    assert os.stat(os.path.join(roots['web2.test'], 'web2.test.crt')).st_gid == grp.getgrnam('nogroup').gr_gid
    verify_deployed(roots['web1.test'], 'web1.test', os.path.join(work, 'ca-web', 'ca.pem'))
    verify_deployed(roots['web2.test'], 'web2.test', os.path.join(work, 'ca-web', 'ca.pem'))
    verify_deployed(roots['web3.test'], 'web3.test', bao_ca)
    san = openssl('x509', '-in', os.path.join(roots['web2.test'], 'web2.test.crt'), '-noout', '-ext', 'subjectAltName')
    assert 'DNS:www.web2.test' in san.stdout
    for host in HOSTS:
        os.unlink(os.path.join(roots[host], 'reloaded'))

    # --- second run: nothing changes, no handler runs
    second = run_playbook(play, inventory=good_inventory, env=env)
    assert second.rc == 0, second.summary()
    assert second.changed_count() == 0, [(r['host'], r['task']) for r in second.results if r['status'] == 'changed']
    assert not any(os.path.exists(os.path.join(roots[h], 'reloaded')) for h in HOSTS)
    ping = run_playbook('[{hosts: all, gather_facts: false, tasks: [{ansible.builtin.ping: {}}]}]', inventory=good_inventory)
    assert ping.rc == 0, ping.summary()
    print('\nroles over ssh, %d hosts: first run %.1f s, no-change rerun %.1f s (a ping play: %.1f s)'
          % (len(HOSTS), first.duration, second.duration, ping.duration))

    # --- bad input: each bad host fails with a message naming the problem; nothing issued for it
    bad = run_playbook(HOSTS_PLAY % dict(work=work), inventory=bad_inventory, env=env)
    assert bad.rc != 0
    msg = bad.result('pki.lifecycle.certificate : Report the failure', 'badkey.test')['msg']
    assert 'is not a readable PEM private key' in msg and bad_key in msg, msg
    with open(bad_key) as handle:
        assert handle.read() == 'this is not a private key\n'          # left untouched
    msg = bad.result('pki.lifecycle.certificate : Report the failure', 'badpath.test')['msg']
    assert 'Cannot create the deploy directory' in msg and 'a-file' in msg, msg
    validate = "pki.lifecycle.certificate : Validating arguments against arg spec 'main' - One host's certificate end to end"
    assert bad.status(validate, 'badtype.test') == 'failed'
    assert 'certificate_key_size' in bad.result(validate, 'badtype.test')['msg']
    assert bad.records('pki.lifecycle.certificate : Key, CSR, certificate and deployed files', 'badtype.test') == []
    for host in BAD_HOSTS:
        assert not issued_for(work, host), host

    # --- renewal with one CA down: the others renewed and redeployed, nothing lost for it
    before = dict((h, serial_of(os.path.join(roots[h], h + '.crt'))) for h in HOSTS)
    web3_before = open(os.path.join(roots['web3.test'], 'web3.test.crt')).read()
    down = OTHER_DOWN_PLAY % dict(work=work, bao='http://127.0.0.1:%d' % free_port())
    assert run_playbook(down, env=env).rc == 0                    # 'other' now points at nothing
    renewal = run_playbook(os.path.join(REPO_ROOT, 'playbooks', 'renew_due.yml'), inventory=good_inventory, env=env,
                           extra_vars={'pki_inventory': 'sqlite://%s/inventory.db' % work,
                                       'renewal_renew_before': '100%'})
    assert renewal.rc != 0, renewal.summary()
    renewed = renewal.result('pki.lifecycle.renewal : Renew every due certificate (one task on the controller)', 'web1.test')
    assert sorted(c['certificate']['labels']['host'] for c in renewed['certificates'] if c['changed']) == \
        ['web1.test', 'web2.test']
    assert [e['labels']['host'] for e in renewed['errors']] == ['web3.test']
    assert '127.0.0.1' in renewed['errors'][0]['msg'], renewed['errors']
    fail = renewal.result("pki.lifecycle.renewal : Fail for this host's certificates that could not be renewed", 'web3.test')
    assert renewal.status("pki.lifecycle.renewal : Fail for this host's certificates that could not be renewed",
                          'web3.test') == 'failed'
    assert 'CN=web3.test' in fail['msg'] and renewed['errors'][0]['msg'] in fail['msg']
    for host in ('web1.test', 'web2.test'):
        assert renewal.status("pki.lifecycle.renewal : Fail for this host's certificates that could not be renewed", host) == 'skipped'
        new_serial = serial_of(os.path.join(roots[host], host + '.crt'))
        assert new_serial != before[host]
        head = [r for r in issued_for(work, host) if r['renewed_from']]
        assert [r['serial'].lstrip('0') for r in head] == [new_serial]
        verify_deployed(roots[host], host, os.path.join(work, 'ca-web', 'ca.pem'))
    assert stat.S_IMODE(os.stat(os.path.join(roots['web2.test'], 'web2.test.crt')).st_mode) == 0o640
    assert open(os.path.join(roots['web3.test'], 'web3.test.crt')).read() == web3_before
    assert [r['serial'].lstrip('0') for r in issued_for(work, 'web3.test')] == [before['web3.test']]

    # --- rekey web1 on request: new key and certificate swapped in together
    old_key = open(os.path.join(roots['web1.test'], 'web1.test.key')).read()
    rekey = run_playbook(play, inventory=good_inventory, limit='localhost,web1.test', env=env,
                         extra_vars={'certificate_rekey': True})
    assert rekey.rc == 0, rekey.summary()
    assert rekey.result('pki.lifecycle.certificate : Swap in the new certificate files and key', 'web1.test')['changed']
    assert open(os.path.join(roots['web1.test'], 'web1.test.key')).read() != old_key
    assert not os.path.exists(os.path.join(roots['web1.test'], 'web1.test.key.new'))
    assert stat.S_IMODE(os.stat(os.path.join(roots['web1.test'], 'web1.test.key')).st_mode) == 0o600
    verify_deployed(roots['web1.test'], 'web1.test', os.path.join(work, 'ca-web', 'ca.pem'))
    assert os.path.exists(os.path.join(roots['web1.test'], 'reloaded'))

    # --- decommission: every certificate of the hosts revoked, the CRLs list them, files gone
    revoked_serials = dict((h, sorted(r['serial'] for r in issued_for(work, h))) for h in HOSTS)
    decom = run_playbook(os.path.join(REPO_ROOT, 'playbooks', 'decommission.yml'), inventory=good_inventory, env=env,
                         extra_vars={'pki_inventory': 'sqlite://%s/inventory.db' % work,
                                     'decommission_hosts': 'all'})
    assert decom.rc == 0, decom.summary()
    for host in HOSTS:
        assert not issued_for(work, host)
        assert len(revoked_serials[host]) >= 1
        crl_path = os.path.join(work, 'ca-web', 'crl.pem')
        if host == 'web3.test':
            crl_path = os.path.join(work, 'bao-crl.pem')
            with open(crl_path, 'w') as handle:
                handle.write(fetch(openbao.addr + '/v1/pki/crl/pem'))
        crl = openssl('crl', '-in', crl_path, '-noout', '-text')
        assert crl.returncode == 0, crl.stderr
        listed = crl.stdout.upper().replace(':', '')
        for serial in revoked_serials[host]:
            assert serial.upper().lstrip('0') in listed, (host, serial)
        if host != 'web3.test':     # OpenBao's CRL carries no reason codes
            assert 'CESSATION OF OPERATION' in crl.stdout.upper()
        for name in (host + '.crt', host + '.chain.crt', host + '.fullchain.crt', host + '.csr'):
            assert not os.path.exists(os.path.join(roots[host], name)), name
        assert not os.path.exists(key_of(roots[host], host))
        key_dir, key_name = os.path.split(key_of(roots[host], host))
        assert not os.path.exists(os.path.join(key_dir, '.%s.pki-lifecycle' % key_name))   # the key's stamp
    shutil.rmtree(os.path.join(work, 'hosts'), ignore_errors=True)


ACME_PLAY = """
- name: ACME RA profiles on Pebble
  hosts: localhost
  gather_facts: false
  module_defaults:
    group/pki.lifecycle.certificates: {inventory: "sqlite://%(work)s/inventory.db"}
  tasks:
    - pki.lifecycle.ra_profile: {name: acme-http, connector: acme, connector_options: %(http)s,
                                 policy: {allowed_names: ["**.example.test"]}}
    - pki.lifecycle.ra_profile: {name: acme-dns, connector: acme, connector_options: %(dns)s,
                                 policy: {allowed_names: ["**.example.test"]}}

- name: The certificate role answers the ACME challenges over SSH
  hosts: all
  gather_facts: false
  module_defaults:
    group/pki.lifecycle.certificates: {inventory: "sqlite://%(work)s/inventory.db"}
  roles:
    - pki.lifecycle.certificate
"""

# What a user's dns-01 task file does: publish each TXT record (here in challtestsrv's DNS).
DNS_TASKS = """
- name: Publish the TXT records
  ansible.builtin.uri:
    url: "%(cts)s/set-txt"
    method: POST
    body_format: json
    body: {host: "{{ item.resource }}.", value: "{{ item.resource_value }}"}
  loop: "{{ certificate_acme_dns_challenges }}"
  delegate_to: localhost
  vars:
    ansible_python_interpreter: "{{ ansible_playbook_python }}"
"""


def test_certificate_role_acme_challenges(sshd, pebble_own_http, run_playbook, tmp_path):
    """http-01 through a webroot on the host (served by a real web server), dns-01 through the user's tasks."""
    pebble = pebble_own_http
    work = str(tmp_path / 'work')
    webroot = os.path.join(work, 'www')
    os.makedirs(webroot)
    root = os.path.join(work, 'pebble-root.pem')
    with open(root, 'w') as handle:
        handle.write(pebble.roots_pem())
    dns_tasks = os.path.join(work, 'dns.yml')
    with open(dns_tasks, 'w') as handle:
        handle.write(DNS_TASKS % dict(cts=pebble.challtestsrv_url))
    options = {'directory_url': pebble.directory_url, 'ca_bundle': pebble.ca_bundle, 'terms_agreed': True,
               'trust_anchor': root, 'poll_timeout': 30}
    hosts = {
        'acme1.example.test': {'certificate_ra_profile': 'acme-http', 'certificate_acme_webroot': webroot},
        'acme2.example.test': {'certificate_ra_profile': 'acme-dns', 'certificate_acme_dns_tasks': dns_tasks},
    }
    for host, host_vars in hosts.items():
        host_vars['certificate_deploy_dir'] = os.path.join(work, 'hosts', host)
    inventory = sshd.inventory_for(list(hosts), host_vars=hosts, group_vars={'ansible_pipelining': True})
    play = ACME_PLAY % dict(work=work, http=json.dumps(options),
                            dns=json.dumps(dict(options, challenge_type='dns-01')))
    web = subprocess.Popen([sys.executable, '-m', 'http.server', str(pebble.http_port), '--bind', '127.0.0.1',
                            '--directory', webroot], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        run = run_playbook(play, inventory=inventory)
    finally:
        web.terminate()
        web.wait(timeout=10)
    assert run.rc == 0, run.summary()
    issue = 'pki.lifecycle.certificate : Key, CSR, certificate and deployed files'
    assert [c['challenge_type'] for c in run.result(issue, 'acme1.example.test')['challenge_data']] == ['http-01']
    assert [c['challenge_type'] for c in run.result(issue, 'acme2.example.test')['challenge_data']] == ['dns-01']
    finish = 'pki.lifecycle.certificate : Finish the ACME order'
    assert all(run.result(finish, h)['certificate_pem'] and not run.result(finish, h).get('challenge_data') for h in hosts)
    for host in hosts:
        deployed = os.path.join(work, 'hosts', host)
        out = openssl('verify', '-CAfile', root, *(untrusted(os.path.join(deployed, host + '.chain.crt')) +
                                                   [os.path.join(deployed, host + '.fullchain.crt')]))
        assert out.returncode == 0 and ': OK' in out.stdout, (host, out.stdout, out.stderr)
        issued = [r for r in rows(work) if r['state'] == 'issued' and r['labels'].get('host') == host]
        assert len(issued) == 1 and serial_of(os.path.join(deployed, host + '.crt')) == issued[0]['serial'].lstrip('0')
    challenge_dir = os.path.join(webroot, '.well-known', 'acme-challenge')
    assert os.path.isdir(challenge_dir) and os.listdir(challenge_dir) == []   # answered, then removed
