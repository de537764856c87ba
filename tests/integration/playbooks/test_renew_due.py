"""playbooks/renew_due.yml as docs/awx.md's renewal job writes it, with a real nginx per host.

Two hosts behind the harness's real sshd, each with its own nginx (Debian nginx-light) serving
the files the ``certificate`` role deploys. The role records the reload (a command: these
nginx are not system services) in the certificate's labels. The AWX job is then run exactly
as docs/awx.md writes it: its ``import_playbook`` file and its extra variables (only the
inventory string and the profile name replaced). Checked over TLS with ``openssl s_client``:
the host whose certificate was due serves the renewed one and was reloaded once; the other
was not touched.
"""
import json
import os
import re
import sqlite3
import subprocess
import time

import pytest
import yaml

from harness.playbook import REPO_ROOT

pytestmark = pytest.mark.server

HOSTS = ['web1.test', 'web2.test']

SETUP = """
- name: The embedded CA and its RA profile
  hosts: localhost
  gather_facts: false
  module_defaults:
    group/pki.lifecycle.certificates: {inventory: "%(inventory)s"}
  roles:
    - role: pki.lifecycle.local_ca
      local_ca_ra_profile: web
      local_ca_directory: "%(work)s/ca"
      local_ca_subject: CN=Reload Test CA
      local_ca_policy: {allowed_names: ["**.test"], max_validity_days: 30}
"""

HOSTS_PLAY = """
- name: Certificates on the hosts, reload recorded in their labels
  hosts: all
  gather_facts: false
  module_defaults:
    group/pki.lifecycle.certificates: {inventory: "%(inventory)s"}
  roles:
    - role: pki.lifecycle.certificate
      certificate_ra_profile: web
"""

WINDOW_PLAY = """
- name: The administrator widens the profile's renewal window to 36 hours
  hosts: localhost
  gather_facts: false
  tasks:
    - pki.lifecycle.ra_profile:
        inventory: "%(inventory)s"
        name: web
        connector: local
        connector_options: {directory: "%(work)s/ca"}
        policy: {allowed_names: ["**.test"], max_validity_days: 30, renew_before: 36h}
"""


def doc_blocks(path, lang='yaml'):
    text = open(path).read()
    return re.findall(r'```%s\n(.*?)```' % lang, text, re.S)


def awx_renewal_job():
    """(the project's renew_due.yml text, the job template's extra variables) from docs/awx.md."""
    blocks = doc_blocks(os.path.join(REPO_ROOT, 'docs', 'awx.md'))
    project = [b for b in blocks if 'import_playbook: pki.lifecycle.renew_due' in b]
    extra = [b for b in blocks if b.lstrip().startswith('pki_inventory:')]
    assert len(project) == 1 and len(extra) == 1, 'docs/awx.md: the renewal job blocks moved'
    return project[0], yaml.safe_load(extra[0])


def served_serial(port):
    out = subprocess.run(['openssl', 's_client', '-connect', '127.0.0.1:%d' % port, '-servername', 'localhost'],
                         input='', capture_output=True, text=True, timeout=20, check=False)
    pem = re.search(r'-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----', out.stdout, re.S)
    assert pem, out.stdout + out.stderr
    serial = subprocess.run(['openssl', 'x509', '-noout', '-serial'], input=pem.group(0), capture_output=True,
                            text=True, check=True).stdout
    return serial.strip().split('=', 1)[1].lower().lstrip('0'), pem.group(0)


def wait_served(port, serial, timeout=10):
    deadline = time.monotonic() + timeout
    while True:
        got, pem = served_serial(port)
        if got == serial or time.monotonic() > deadline:
            return got, pem
        time.sleep(0.1)   # the new worker takes over after the master re-read the files


def heads(inventory_db):
    conn = sqlite3.connect('file:%s?mode=ro' % inventory_db, uri=True)
    try:
        records = [json.loads(r[0]) for r in conn.execute('SELECT data FROM certificates')]
    finally:
        conn.close()
    parents = set(r.get('renewed_from') for r in records) | set(r.get('rekeyed_from') for r in records)
    return dict((r['labels']['host'], r) for r in records if r['state'] == 'issued' and r['uuid'] not in parents)


def test_awx_renewal_job_reloads_exactly_the_renewed_hosts(sshd, nginx_factory, run_playbook, tmp_path):
    work = tmp_path / 'work'
    work.mkdir()
    db = str(work / 'inventory.db')
    inventory = 'sqlite://%s' % db
    roots = dict((h, str(work / 'hosts' / h)) for h in HOSTS)
    webs = dict((h, nginx_factory(cert_path=os.path.join(roots[h], h + '.fullchain.crt'),
                                  key_path=os.path.join(roots[h], h + '.key'), server_name=h)) for h in HOSTS)
    # nginx adopted the key path with a placeholder key: the role keeps an existing key
    host_vars = dict((h, {'certificate_deploy_dir': roots[h], 'certificate_reload_command': webs[h].reload_command,
                          'certificate_validity_days': 1 if h == 'web1.test' else 30}) for h in HOSTS)
    hosts = sshd.inventory_for(HOSTS, host_vars=host_vars, group_vars={'ansible_pipelining': True})
    params = dict(inventory=inventory, work=work)

    first = run_playbook((SETUP + HOSTS_PLAY) % params, inventory=hosts)
    assert first.rc == 0, first.summary()
    records = heads(db)
    for host in HOSTS:
        assert records[host]['labels']['reload_command'] == webs[host].reload_command
        serial, _pem = wait_served(webs[host].port, records[host]['serial'].lstrip('0'))
        assert serial == records[host]['serial'].lstrip('0'), host
        assert webs[host].reload_count() == 1, host

    again = run_playbook(HOSTS_PLAY % params, inventory=hosts)
    assert again.rc == 0, again.summary()
    assert again.changed_count() == 0, [(r['host'], r['task']) for r in again.results if r['status'] == 'changed']
    assert [webs[h].reload_count() for h in HOSTS] == [1, 1]

    assert run_playbook(WINDOW_PLAY % params).rc == 0

    # --- the AWX job, as docs/awx.md writes it
    project_pb, extra_vars = awx_renewal_job()
    assert 'renewal_notify' not in extra_vars        # no handler can be given to an imported playbook
    extra_vars.update(pki_inventory=inventory, renewal_ra_profile='web')
    project = tmp_path / 'project'
    project.mkdir()
    (project / 'renew_due.yml').write_text(project_pb)
    job = run_playbook(str(project / 'renew_due.yml'), inventory=hosts, extra_vars=extra_vars)
    assert job.rc == 0, job.summary()
    report = job.result('pki.lifecycle.renewal : Report what was renewed', 'web1.test')
    assert 'Renewed 1 due certificate' in report['msg'], report

    after = heads(db)
    assert after['web1.test']['uuid'] != records['web1.test']['uuid']
    assert after['web1.test']['renewed_from'] == records['web1.test']['uuid']
    assert after['web2.test']['uuid'] == records['web2.test']['uuid']
    serial, pem = wait_served(webs['web1.test'].port, after['web1.test']['serial'].lstrip('0'))
    assert serial == after['web1.test']['serial'].lstrip('0')
    assert served_serial(webs['web2.test'].port)[0] == records['web2.test']['serial'].lstrip('0')
    assert webs['web1.test'].reload_count() == 2
    assert webs['web2.test'].reload_count() == 1
    verify = subprocess.run(['openssl', 'verify', '-CAfile', str(work / 'ca' / 'ca.pem')], input=pem,
                            capture_output=True, text=True, check=False)
    assert verify.returncode == 0, verify.stdout + verify.stderr

    # --- the same job again: nothing due, nothing reloaded
    rerun = run_playbook(str(project / 'renew_due.yml'), inventory=hosts, extra_vars=extra_vars)
    assert rerun.rc == 0, rerun.summary()
    assert [webs[h].reload_count() for h in HOSTS] == [2, 1]
