"""Single issuance under concurrency, with real ansible-playbook processes.

Two ansible-playbook runs asking for the same certificate identity at the same moment, and
one run of 50 hosts at forks=25 all asking for the same identity, must produce ONE issuance
and ONE record; every other task returns that certificate with changed=false. Checked on the
returned values, on the inventory read independently (sqlite3 / psql), on the embedded CA's
own index (issued.jsonl, one line per certificate it signed) and with openssl verify.
Run against SQLite and against a real PostgreSQL started by the harness.
"""
import json
import os
import sqlite3
import sys
import threading

import pytest

from harness.playbook import run_playbook
from test_core_local import make_csr, openssl

STORES = ['sqlite', 'postgresql']


class Backend(object):
    """One inventory for a test: its URL, the environment the playbooks need, and an
    independent reader of its certificate records (sqlite3 or psql, not our store code)."""

    def __init__(self, kind, tmp_path, request, name='inv'):
        self.kind = kind
        self.env = {}
        if kind == 'postgresql':
            server = request.getfixturevalue('postgresql')
            database = '%s_%s' % (name, abs(hash(str(tmp_path))) % 10 ** 8)
            self.url = server.create_database(database)
            self.env['PKI_LIFECYCLE_INVENTORY_PASSWORD'] = server.password
            self.server, self.database = server, database
            request.addfinalizer(lambda: server.drop_database(database))
        elif kind == 'sqlite':
            self.path = str(tmp_path / ('%s.db' % name))
            self.url = 'sqlite://' + self.path
        else:
            self.path = str(tmp_path / ('%s.json' % name))
            self.url = 'json://' + self.path

    def certificates(self):
        return self._rows('certificates', 'created_at, uuid', lambda doc: list(doc.values()))

    def events(self):
        return self._rows('events', 'id', lambda doc: doc)

    def _rows(self, table, order, from_json):
        if self.kind == 'postgresql':
            out = self.server.sql('SELECT data FROM %s ORDER BY %s' % (table, order), db=self.database)
            return [json.loads(line) for line in out.splitlines() if line.strip()]
        if self.kind == 'json':
            with open(self.path) as handle:
                return from_json(json.load(handle)[table])
        conn = sqlite3.connect('file:%s?mode=ro' % self.path, uri=True)
        try:
            return [json.loads(r[0]) for r in conn.execute('SELECT data FROM %s ORDER BY %s' % (table, order))]
        finally:
            conn.close()


def ca_issued(ca_dir):
    """What the embedded CA itself says it signed: one JSON line per certificate."""
    path = os.path.join(ca_dir, 'issued.jsonl')
    if not os.path.exists(path):
        return []
    with open(path) as handle:
        return [json.loads(line) for line in handle if line.strip()]


def header(backend, hosts='localhost'):
    return """
- hosts: %s
  gather_facts: false
  module_defaults:
    group/pki.lifecycle.certificates:
      inventory: "%s"
  tasks:
""" % (hosts, backend.url)


def profile_task(ca_dir):
    return """
    - name: RA profile
      pki.lifecycle.ra_profile:
        name: web
        connector: local
        connector_options: {directory: "%s"}
        policy: {allowed_names: ["*.example.test"], max_validity_days: 90}
      run_once: true
""" % ca_dir


def assert_one_issuance(backend, ca_dir, results, tmp_path):
    """``results``: every certificate_issue result. Exactly one changed; one record; one CA
    issuance; every task returned that same certificate, which openssl verifies."""
    assert all(not r.get('failed') for r in results), [r.get('msg') for r in results if r.get('failed')]
    changed = [r for r in results if r['changed']]
    assert len(changed) == 1, [(r['changed'], r.get('reason')) for r in results]
    serial = changed[0]['certificate']['serial']
    assert set(r['certificate']['serial'] for r in results) == {serial}
    for r in results:
        if not r['changed']:
            assert 'exists' in r['reason'] or 'same time' in r['reason'], r['reason']
    records = backend.certificates()
    assert [(r['state'], r['serial']) for r in records] == [('issued', serial)]
    issued = ca_issued(ca_dir)
    assert [e['serial'] for e in issued] == [serial]
    (tmp_path / 'leaf.pem').write_text(changed[0]['certificate_pem'])
    out = openssl('verify', '-CAfile', os.path.join(ca_dir, 'ca.pem'), str(tmp_path / 'leaf.pem'))
    assert out.returncode == 0, out.stderr
    return serial


@pytest.mark.parametrize('kind', STORES)
def test_two_playbooks_same_identity_one_issuance(kind, tmp_path, request):
    backend = Backend(kind, tmp_path, request)
    ca_dir = str(tmp_path / 'ca')
    csr = make_csr(tmp_path, 'www.example.test')
    run = run_playbook(header(backend) + profile_task(ca_dir), env=backend.env, tmp_path=tmp_path)
    assert run.rc == 0, run.summary()
    # Test-only hook: the run that reserves sleeps 1 s inside its reserve transaction (between
    # "no such certificate" and commit) and 1 s after it, before calling the CA. Without the
    # store's write lock the other run would check inside that window and issue too.
    pauses = tmp_path / 'pauses'
    pauses.mkdir()
    env = dict(backend.env, PKI_LIFECYCLE_TEST_PAUSE_AT='during_reserve,after_reserve',
               PKI_LIFECYCLE_TEST_PAUSE_DIR=str(pauses), PKI_LIFECYCLE_TEST_PAUSE_SECONDS='1')
    playbook = header(backend) + """
    - name: issue
      pki.lifecycle.certificate_issue: {ra_profile: web, csr: "%s"}
""" % csr
    runs, barrier = [None, None], threading.Barrier(2)

    def go(i):
        barrier.wait()
        runs[i] = run_playbook(playbook, env=env, tmp_path=tmp_path / ('run%d' % i), timeout=120)

    threads = [threading.Thread(target=go, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for r in runs:
        assert r.rc == 0, r.summary()
    # Only one run ever reserved (one file per stage it paused at).
    assert sorted(n.split('.')[0] for n in os.listdir(str(pauses))) == ['after_reserve', 'during_reserve']
    assert_one_issuance(backend, ca_dir, [r.result('issue') for r in runs], tmp_path)
    issue_events = [e for e in backend.events() if e['operation'] == 'issue']
    assert [e['result'] for e in issue_events] == ['changed']


@pytest.mark.parametrize('kind', STORES)
def test_fifty_hosts_same_identity_one_issuance(kind, tmp_path, request):
    backend = Backend(kind, tmp_path, request)
    ca_dir = str(tmp_path / 'ca')
    csr = make_csr(tmp_path, 'shared.example.test')
    hosts = dict(('host%02d' % i, {'ansible_connection': 'local',
                                   'ansible_python_interpreter': sys.executable})
                 for i in range(50))
    playbook = header(backend) + profile_task(ca_dir) + header(backend, hosts='all') + """
    - name: issue
      pki.lifecycle.certificate_issue: {ra_profile: web, csr: "%s"}
""" % csr
    # The reserving fork sleeps 0.5 s inside its reserve transaction (test-only hook), so the
    # other forks arrive while it holds the write lock: without that lock they would issue too.
    pauses = tmp_path / 'pauses'
    pauses.mkdir()
    env = dict(backend.env, PKI_LIFECYCLE_TEST_PAUSE_AT='during_reserve',
               PKI_LIFECYCLE_TEST_PAUSE_DIR=str(pauses), PKI_LIFECYCLE_TEST_PAUSE_SECONDS='0.5')
    run = run_playbook(playbook, inventory={'all': {'hosts': hosts}}, env=env,
                       tmp_path=tmp_path, args=['--forks', '25'], timeout=300)
    assert run.rc == 0, run.summary()
    assert len(os.listdir(str(pauses))) == 1
    results = [run.result('issue', host) for host in sorted(hosts)]
    assert_one_issuance(backend, ca_dir, results, tmp_path)
