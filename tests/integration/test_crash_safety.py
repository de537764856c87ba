"""Crash safety: SIGKILL the module at named stages, then check nothing is lost or duplicated.

The test-only hook in lifecycle (PKI_LIFECYCLE_TEST_PAUSE_AT=<stage>) makes the module write
its pid to a file and sleep at that stage; the test then SIGKILLs the module and its
ansible-playbook (the whole process group) and checks that

- the inventory opens (our store, and sqlite3's integrity_check / psql independently);
- the next run resolves every stale 'requested' record: what the embedded CA had issued is
  found by its lookup and stored as issued (no second issuance); a reservation the CA never
  saw is marked failed with the reason and the certificate is issued afresh;
- the CA's own index (issued.jsonl) holds exactly one certificate per identity.

Also: a half-written JSON inventory left by a crash of an older version (a truncated temp
file beside an intact inventory; a truncated inventory beside a whole temp copy).
"""
import json
import os
import signal
import sys
import time

import pytest

from ansible_collections.pki.lifecycle.plugins.module_utils.errors import InventoryError
from ansible_collections.pki.lifecycle.plugins.module_utils.inventory.stores import open_store
from harness.pauses import run_until_paused
from harness.playbook import run_playbook
from harness.inventories import Backend, ca_issued, header, profile_task
from harness.pki import make_csr

# Stages where one process can pause without blocking the others (after its reservation
# committed), and the one that holds the inventory's write lock while it sleeps.
UNLOCKED_STAGES = ['after_reserve', 'after_ca_call', 'before_store']
LOCKED_STAGE = 'during_reserve'


def kill_at(playbook, hosts, env, pauses, tmp_path, expected):
    """Run ``playbook`` in the background until ``expected`` pause files exist, then SIGKILL
    the modules and ansible-playbook. Returns the stages the modules were killed at."""
    def kill(paused):
        for pid in paused.values():
            os.killpg(os.getpgid(pid), signal.SIGKILL)  # the module and its ansible-playbook
    run, paused = run_until_paused(playbook, pauses, expected, kill, inventory={'all': {'hosts': hosts}},
                                   env=env, tmp_path=tmp_path, timeout=180)
    assert run.rc != 0
    return sorted(name.rsplit('.', 1)[0] for name in paused)


def check_opens(backend):
    """The killed inventory opens: independently, then through our store."""
    if backend.kind == 'sqlite':
        import sqlite3
        conn = sqlite3.connect(backend.path)
        try:
            assert conn.execute('PRAGMA integrity_check').fetchone()[0] == 'ok'
        finally:
            conn.close()
    elif backend.kind == 'postgresql':
        assert backend.server.sql("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'",
                                  db=backend.database).strip() == '0'
    store = open_store(backend.url, password=backend.env.get('PKI_LIFECYCLE_INVENTORY_PASSWORD'))
    try:
        with store.transaction() as tx:  # writable: no lock left behind
            tx.find_certificates()
    finally:
        store.close()


@pytest.mark.parametrize('kind', ['sqlite', 'postgresql'])
def test_sigkill_at_every_stage_then_recover(kind, tmp_path, request):
    backend = Backend(kind, tmp_path, request)
    ca_dir = str(tmp_path / 'ca')
    stages = UNLOCKED_STAGES + [LOCKED_STAGE]
    csrs = dict((stage, make_csr(tmp_path, '%s.example.test' % stage.replace('_', '-')))
                for stage in stages)
    hosts = dict((stage, {'ansible_connection': 'local', 'csr': csrs[stage],
                          'ansible_python_interpreter': sys.executable})
                 for stage in stages)
    setup = run_playbook(header(backend) + profile_task(ca_dir), env=backend.env, tmp_path=tmp_path)
    assert setup.rc == 0, setup.summary()

    pauses = tmp_path / 'pauses'
    pauses.mkdir()
    issue = header(backend, hosts='all') + """
    - name: issue
      pki.lifecycle.certificate_issue: {ra_profile: web, csr: "{{ csr }}"}
      environment:
        PKI_LIFECYCLE_TEST_PAUSE_AT: "{{ inventory_hostname }}"
        PKI_LIFECYCLE_TEST_PAUSE_DIR: "%s"
        PKI_LIFECYCLE_TEST_PAUSE_SECONDS: "120"
""" % pauses
    # The three stages after the reservation in one run (they do not block each other) ...
    killed = kill_at(issue, dict((s, hosts[s]) for s in UNLOCKED_STAGES), backend.env, pauses,
                     tmp_path, 3)
    assert killed == sorted(UNLOCKED_STAGES)
    # ... and the one inside the reserve transaction alone: it holds the write lock.
    killed = kill_at(issue, {LOCKED_STAGE: hosts[LOCKED_STAGE]}, backend.env, pauses, tmp_path, 1)
    assert killed == [LOCKED_STAGE]

    check_opens(backend)
    by_subject = {}
    for record in backend.certificates():
        by_subject.setdefault(record['subject'], []).append(record)
    cn = dict((s, 'CN=%s.example.test' % s.replace('_', '-')) for s in stages)
    assert cn[LOCKED_STAGE] not in by_subject  # killed before commit: nothing written
    for stage in UNLOCKED_STAGES:
        assert [r['state'] for r in by_subject[cn[stage]]] == ['requested']
    ca_before = dict((e['serial'], e) for e in ca_issued(ca_dir))
    assert len(ca_before) == 2  # after_ca_call and before_store: the CA had signed

    # The next run, no hook: every stale record is resolved, nothing issued twice.
    again = header(backend, hosts='all') + """
    - name: issue
      pki.lifecycle.certificate_issue: {ra_profile: web, csr: "{{ csr }}"}
    - name: info
      pki.lifecycle.certificate_info: {}
      run_once: true
"""
    run = run_playbook(again, inventory={'all': {'hosts': hosts}}, env=backend.env,
                       tmp_path=tmp_path, timeout=180)
    assert run.rc == 0, run.summary()
    results = dict((s, run.result('issue', s)) for s in stages)
    for stage in ('after_ca_call', 'before_store'):
        # Recovered from the CA's own records: the certificate it signed before the crash.
        assert results[stage]['changed'] is False, results[stage]['reason']
        assert results[stage]['certificate']['serial'] in ca_before
    for stage in ('after_reserve', LOCKED_STAGE):
        assert results[stage]['changed'] is True
        assert results[stage]['certificate']['serial'] not in ca_before
    records = backend.certificates()
    assert not [r for r in records if r['state'] == 'requested']
    states = dict((s, sorted(r['state'] for r in records if r['subject'] == cn[s])) for s in stages)
    assert states == {'after_reserve': ['failed', 'issued'], 'after_ca_call': ['issued'],
                      'before_store': ['issued'], LOCKED_STAGE: ['issued']}
    failed = [r for r in records if r['state'] == 'failed'][0]
    assert 'interrupted before the CA returned a certificate' in failed['failure_reason']
    assert failed['requested_by'] in failed['failure_reason']
    # One CA issuance per identity, and each issued record is the CA's certificate.
    issued = ca_issued(ca_dir)
    assert len(issued) == 4 and len(set(e['serial'] for e in issued)) == 4
    assert sorted(r['serial'] for r in records if r['state'] == 'issued') == \
        sorted(e['serial'] for e in issued)
    recover_events = [e for e in backend.events() if e['operation'] == 'recover']
    assert sorted(e['result'] for e in recover_events) == ['changed', 'changed', 'failed']
    counts = [r['result'] for r in run.records('info', items=False)][0]['counts']
    assert counts['valid'] == 4


def _inventory_with_one_certificate(tmp_path):
    path = tmp_path / 'inventory.json'
    store = open_store('json://%s' % path)
    with store.transaction() as tx:
        tx.put_ra_profile({'name': 'web', 'connector': 'local'})
        tx.put_certificate({'uuid': 'c1', 'ra_profile': 'web', 'state': 'issued',
                            'subject': 'CN=a', 'labels': {}, 'created_at': '2026-01-01T00:00:00Z'})
    return path


def test_truncated_temp_file_beside_intact_json_is_harmless(tmp_path):
    path = _inventory_with_one_certificate(tmp_path)
    # What an older version killed mid-write leaves: a half temp file; the rename never ran.
    tmp = tmp_path / '.inventory.json.k2j3h4.tmp'
    half = path.read_bytes()[:40]
    tmp.write_bytes(half)
    store = open_store('json://%s' % path)
    with store.transaction() as tx:
        assert tx.get_certificate('c1')['state'] == 'issued'
        tx.put_certificate(dict(tx.get_certificate('c1'), labels={'x': 'y'}))
    assert json.loads(path.read_text())['certificates']['c1']['labels'] == {'x': 'y'}
    assert tmp.read_bytes() == half  # left alone: it may be someone's only copy


def test_truncated_json_names_the_copy_to_restore(tmp_path):
    path = _inventory_with_one_certificate(tmp_path)
    whole = path.read_bytes()
    (tmp_path / '.inventory.json.a1b2c3.tmp').write_bytes(whole)  # complete, not yet renamed
    (tmp_path / '.inventory.json.zzzzzz.tmp').write_bytes(whole[:25])
    path.write_bytes(whole[:len(whole) // 2])  # a non-atomic writer died halfway
    before = path.read_bytes()
    with pytest.raises(InventoryError) as info:
        with open_store('json://%s' % path).transaction(write=False) as tx:
            tx.list_events()
    message = str(info.value)
    assert 'is not valid JSON' in message
    assert '%s (a whole inventory, 1 certificates' % (tmp_path / '.inventory.json.a1b2c3.tmp') in message
    assert '%s (damaged too' % (tmp_path / '.inventory.json.zzzzzz.tmp') in message
    assert 'move the right one over %s' % path in message
    assert path.read_bytes() == before
    # Following the advice works.
    os.replace(str(tmp_path / '.inventory.json.a1b2c3.tmp'), str(path))
    with open_store('json://%s' % path).transaction(write=False) as tx:
        assert tx.get_certificate('c1') is not None


@pytest.mark.parametrize('kind', ['sqlite', 'postgresql'])
def test_requested_record_of_a_dead_controller_elsewhere(kind, tmp_path, request):
    """A 'requested' record left by another controller (an AWX job pod killed after the CA
    call): its pid means nothing here. PostgreSQL sees that writer's connection is gone and
    recovers at once; a file store trusts it for the lease, then recovers."""
    backend = Backend(kind, tmp_path, request)
    ca_dir = str(tmp_path / 'ca')
    csr = make_csr(tmp_path, 'pod.example.test')
    first = run_playbook(header(backend) + profile_task(ca_dir) + """
    - name: issue
      pki.lifecycle.certificate_issue: {ra_profile: web, csr: "%s"}
""" % csr, env=backend.env, tmp_path=tmp_path)
    assert first.rc == 0, first.summary()
    serial = first.result('issue')['certificate']['serial']
    # Turn it back into what the pod left: requested, written just now by a writer elsewhere.
    store = open_store(backend.url, password=backend.env.get('PKI_LIFECYCLE_INVENTORY_PASSWORD'))
    with store.transaction() as tx:
        record = tx.find_certificates()[0]
        stamp = time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())
        tx.put_certificate(dict(record, state='requested', serial=None, certificate_pem=None,
                                requested_by='awx@job-pod-7:12', updated_at=stamp))
    store.close()
    run = run_playbook(header(backend) + """
    - name: within the lease
      pki.lifecycle.certificate_issue: {ra_profile: web, csr: "%s"}
      environment: {PKI_LIFECYCLE_PENDING_WAIT: "1"}
      ignore_errors: true
    - name: lease over
      pki.lifecycle.certificate_issue: {ra_profile: web, csr: "%s"}
      environment: {PKI_LIFECYCLE_REQUEST_LEASE: "0"}
""" % (csr, csr), env=backend.env, tmp_path=tmp_path)
    within = run.result('within the lease')
    if kind == 'postgresql':
        assert run.status('within the lease') == 'ok', within
        assert within['changed'] is False and within['certificate']['serial'] == serial
    else:
        assert run.status('within the lease') == 'failed'
        assert 'Another run (awx@job-pod-7:12) has been issuing the same certificate' in within['msg']
    over = run.result('lease over')
    assert over['changed'] is False and over['certificate']['serial'] == serial
    assert [(r['state'], r['serial']) for r in backend.certificates()] == [('issued', serial)]
    assert [e['serial'] for e in ca_issued(ca_dir)] == [serial]
    assert [e['result'] for e in backend.events() if e['operation'] == 'recover'] == ['changed']
