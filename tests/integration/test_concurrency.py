"""Single issuance under concurrency, with real ansible-playbook processes.

Two ansible-playbook runs asking for the same certificate identity at the same moment, and
one run of 50 hosts at forks=25 all asking for the same identity, must produce ONE issuance
and ONE record; every other task returns that certificate with changed=false. Checked on the
returned values, on the inventory read independently (sqlite3 / psql), on the embedded CA's
own index (issued.jsonl, one line per certificate it signed) and with openssl verify.
Run against SQLite and against a real PostgreSQL started by the harness.
"""
import os
import sys
import threading

import pytest

from harness.playbook import run_playbook
from harness.inventories import Backend, ca_issued, header, profile_task
from harness.pki import make_csr, openssl

STORES = ['sqlite', 'postgresql']


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
