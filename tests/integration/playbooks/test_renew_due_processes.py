"""A due sweep on the embedded CA spread over processes (lifecycle/processes.py), as a scheduled
sweep runs it: every certificate renewed once, by the process whose share it was; a share whose
process is SIGKILLed is recovered by the run itself (what the CA signed is stored, the rest is
reported and renewed by the next run); a run killed whole is recovered by the next sweep.

Each process of a share writes a pause file (the test-only hook PKI_LIFECYCLE_TEST_PAUSE_AT):
so the tests see how many processes took part, and can kill one of them there."""
import os
import signal
import subprocess

import pytest

from harness.inventories import Backend, ca_issued
from harness.pauses import run_until_paused
from harness.playbook import assert_ok, run_playbook

NAMES = ['n%d.split.test' % i for i in range(6)]
SHARES = 3


def issue_play(inventory, ca_dir, keys_dir):
    return [{'hosts': 'localhost', 'gather_facts': False,
             'module_defaults': {'group/pki.lifecycle.certificates': {'inventory': inventory}},
             'tasks': [
                 {'name': 'RA profile', 'pki.lifecycle.ra_profile': {
                     'name': 'split', 'connector': 'local',
                     'connector_options': {'directory': ca_dir, 'ca_subject': 'CN=Split Root CA'}}},
                 {'name': 'Token profile', 'pki.lifecycle.token_profile': {
                     'name': 'keys', 'type': 'file', 'options': {'path': keys_dir}}},
                 {'name': 'Issue', 'loop': NAMES, 'pki.lifecycle.certificate_issue': {
                     'ra_profile': 'split', 'token_profile': 'keys', 'key': '{{ item }}', 'generate_key': True,
                     'subject': 'CN={{ item }}', 'subject_alt_names': ['DNS:{{ item }}'], 'validity_days': 2}}]}]


def sweep_play(inventory, environment=None):
    """A sweep of what expires within 3 days: the 2-day originals, not their 30-day renewals."""
    task = {'name': 'Sweep', 'ignore_errors': True, 'pki.lifecycle.certificate_renew': {
        'inventory': inventory, 'due': True, 'ra_profile': 'split', 'renew_before': '3d', 'validity_days': 30,
        'fields': ['uuid', 'serial']}}
    if environment:
        task['environment'] = environment
    return [{'hosts': 'localhost', 'gather_facts': False, 'tasks': [task]}]


def pause_env(pauses, stage, seconds, processes=SHARES):
    return {'PKI_LIFECYCLE_SWEEP_PROCESSES': str(processes), 'PKI_LIFECYCLE_TEST_PAUSE_AT': stage,
            'PKI_LIFECYCLE_TEST_PAUSE_DIR': str(pauses), 'PKI_LIFECYCLE_TEST_PAUSE_SECONDS': str(seconds)}


KINDS = ['sqlite', 'postgresql', 'json']


def setup(tmp_path, kind, request):
    """Six certificates issued; returns (the inventory Backend, its URL, the pause directory)."""
    backend = Backend(kind, tmp_path, request)
    assert_ok(run_playbook(issue_play(backend.url, str(tmp_path / 'ca'), str(tmp_path / 'keys')),
                           tmp_path=tmp_path, env=backend.env))
    pauses = tmp_path / 'pauses'
    pauses.mkdir()
    return backend, backend.url, pauses


def parent_of(pid):
    with open('/proc/%d/stat' % pid) as handle:
        return int(handle.read().rsplit(')', 1)[1].split()[1])


def run_and_kill(tmp_path, play, pauses, expected, choose, env=None):
    """Run ``play`` until ``expected`` processes pause; SIGKILL the pids ``choose(pids)``
    picks; wait for the run. Returns (run, every paused pid)."""
    def kill(paused):
        for pid in choose(list(paused.values())):
            os.kill(pid, signal.SIGKILL)
    run, paused = run_until_paused(play, pauses, expected, kill, tmp_path=tmp_path, timeout=180, env=env)
    return run, list(paused.values())


def a_child(pids):
    """One share's process: a paused process whose parent paused too (the one that forked it)."""
    children = [pid for pid in pids if parent_of(pid) in pids]
    assert len(children) == SHARES - 1, (pids, [parent_of(p) for p in pids])
    return [children[0]]


def check_renewed_once(tmp_path, backend, ca_dir):
    """Every original certificate has exactly one issued renewal, for its key, that openssl
    verifies against the CA, and the CA signed each serial once."""
    found = backend.certificates()
    originals = [r for r in found if not r.get('renewed_from')]
    assert len(originals) == len(NAMES)
    issued = dict((e['serial'], e) for e in ca_issued(ca_dir))
    assert len(issued) == len(ca_issued(ca_dir))   # no serial twice
    for old in originals:
        renewals = [r for r in found if r.get('renewed_from') == old['uuid'] and r['state'] == 'issued']
        lineage = [(r['state'], r.get('failure_reason')) for r in found if r.get('renewed_from') == old['uuid']]
        assert len(renewals) == 1, (old['subject'], lineage)
        new = renewals[0]
        assert new['spki_sha256'] == old['spki_sha256'] and new['serial'] in issued
        leaf = tmp_path / ('%s.pem' % new['uuid'])
        leaf.write_text(new['certificate_pem'])
        proc = subprocess.run(['openssl', 'verify', '-CAfile', os.path.join(ca_dir, 'ca.pem'), str(leaf)],
                              capture_output=True, text=True, check=False)
        assert proc.returncode == 0 and ': OK' in proc.stdout, proc.stdout + proc.stderr
    assert not [r for r in found if r['state'] == 'requested']
    return found


@pytest.mark.usefixtures('execution_path')   # in Ansible's worker, and as a module process
@pytest.mark.parametrize('kind', KINDS)
def test_a_sweep_in_three_processes_renews_each_certificate_once(tmp_path, kind, request):
    backend, inventory, pauses = setup(tmp_path, kind, request)
    run = run_playbook(sweep_play(inventory, pause_env(pauses, 'batch_before_store', 0.2)), tmp_path=tmp_path,
                       env=backend.env)
    assert_ok(run)
    sweep = run.result('Sweep')
    assert sweep['renewed'] == len(NAMES) and sweep['errors'] == [], sweep
    # Three processes, each with a batch of its own.
    pids = set(int(name.rsplit('.', 1)[1]) for name in os.listdir(str(pauses)))
    assert len(pids) == SHARES, pids
    found = check_renewed_once(tmp_path, backend, str(tmp_path / 'ca'))
    # The entries come back in the order of the shares, one per certificate renewed.
    renewed = dict((r['uuid'], r) for r in found)
    assert sorted(renewed[i['renewed_from']]['subject'] for i in sweep['certificates']) == \
        sorted('CN=%s' % n for n in NAMES)
    for item in sweep['certificates']:
        assert renewed[item['certificate']['uuid']]['serial'] == item['certificate']['serial']
    assert len(ca_issued(str(tmp_path / 'ca'))) == 2 * len(NAMES)
    again = run_playbook(sweep_play(inventory, pause_env(pauses, 'none', 0)), tmp_path=tmp_path, env=backend.env)
    assert again.result('Sweep')['renewed'] == 0 and again.result('Sweep')['changed'] is False


@pytest.mark.parametrize('kind', ['sqlite', 'postgresql'])
def test_a_share_killed_after_the_ca_signed_is_recovered_by_the_same_run(tmp_path, kind, request):
    backend, inventory, pauses = setup(tmp_path, kind, request)
    run, _pids = run_and_kill(tmp_path, sweep_play(inventory, pause_env(pauses, 'batch_before_store', 5)),
                              pauses, SHARES, a_child, backend.env)
    sweep = run.result('Sweep')
    # The CA had written the killed share's certificates: stored now, not signed again.
    assert sweep['renewed'] == len(NAMES) and sweep['errors'] == [], sweep
    recovered = [i for i in sweep['certificates'] if 'Recovered after its renewal process failed' in i['reason']]
    assert len(recovered) == 2, sweep['certificates']
    check_renewed_once(tmp_path, backend, str(tmp_path / 'ca'))
    assert len(ca_issued(str(tmp_path / 'ca'))) == 2 * len(NAMES)


def test_a_share_killed_before_the_ca_is_reported_and_renewed_by_the_next_run(tmp_path, request):
    backend, inventory, pauses = setup(tmp_path, 'sqlite', request)
    run, _pids = run_and_kill(tmp_path, sweep_play(inventory, pause_env(pauses, 'batch_after_reserve', 5)),
                              pauses, SHARES, a_child)
    sweep = run.result('Sweep')
    assert [r['status'] for r in run.records('Sweep')] == ['failed']
    assert sweep['renewed'] == len(NAMES) - 2 and len(sweep['errors']) == 2, sweep
    for error in sweep['errors']:
        assert 'The process renewing it failed: it was killed by signal 9' in error['msg'], error
    failed = [r for r in backend.certificates() if r['state'] == 'failed']
    assert len(failed) == 2 and all('interrupted before the CA returned a certificate (the sweep process renewing '
                                    'it failed: it was killed by signal 9)' == r['failure_reason'] for r in failed)
    again = run_playbook(sweep_play(inventory), tmp_path=tmp_path)
    assert again.result('Sweep')['renewed'] == 2 and again.result('Sweep')['errors'] == []
    check_renewed_once(tmp_path, backend, str(tmp_path / 'ca'))
    assert len(ca_issued(str(tmp_path / 'ca'))) == 2 * len(NAMES)


def test_a_sweep_killed_whole_is_recovered_by_the_next_sweep(tmp_path, request):
    """Every process of the run killed after the CA signed: the next sweep finds the certificates
    in the CA's index (no second issuance) instead of skipping their lineages for good."""
    backend, inventory, pauses = setup(tmp_path, 'sqlite', request)
    run, pids = run_and_kill(tmp_path, sweep_play(inventory, pause_env(pauses, 'batch_before_store', 60, 1)),
                             pauses, 1, lambda pids: pids)
    assert len(pids) == 1
    assert len([r for r in backend.certificates() if r['state'] == 'requested']) == len(NAMES)
    again = run_playbook(sweep_play(inventory), tmp_path=tmp_path)
    assert again.result('Sweep')['errors'] == [], again.result('Sweep')
    check_renewed_once(tmp_path, backend, str(tmp_path / 'ca'))
    assert len(ca_issued(str(tmp_path / 'ca'))) == 2 * len(NAMES)


def test_a_bad_process_count_fails_before_anything_is_written(tmp_path, request):
    backend, inventory, pauses = setup(tmp_path, 'sqlite', request)
    before = backend.certificates()
    # A run killed whole leaves requested renewals: the refusal must not even recover those.
    run, _pids = run_and_kill(tmp_path, sweep_play(inventory, pause_env(pauses, 'batch_before_store', 60, 1)),
                              pauses, 1, lambda pids: pids)
    left = backend.certificates()
    assert len(left) == len(before) + len(NAMES)
    run = run_playbook(sweep_play(inventory, {'PKI_LIFECYCLE_SWEEP_PROCESSES': 'all'}), tmp_path=tmp_path)
    assert [r['status'] for r in run.records('Sweep')] == ['failed']
    msg = run.result('Sweep')['msg']
    assert "PKI_LIFECYCLE_SWEEP_PROCESSES='all' is not a positive whole number" in msg and 'unset it' in msg, msg
    assert backend.certificates() == left
