# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bench 5: memory. What one controller task adds to peak RSS, against one ping module process.

On the controller a certificate_issue task runs in Ansible's worker (the action plugin), so the
figure is the peak RSS of that worker beyond the peak RSS of the worker of an
``ansible.builtin.debug`` task (an action plugin that does nothing): ansible-playbook runs
in a small wrapper that reads, when it exits, the kernel's peak RSS over its waited-for
children (the workers forked per task; RUSAGE_CHILDREN ru_maxrss), for a play of one
debug task and for a play of one certificate_issue task. What the action plugin imports in
ansible-playbook itself before forking is in the worker's peak too.

For other targets the module runs as a process, as before: a playbook runs certificate_issue (force: true, so every run issues: key generated once, CSR
built, embedded CA signs, chain validated, SQLite written) and ping with
ANSIBLE_KEEP_REMOTE_FILES=1; the AnsiballZ payloads Ansible wrote are then run directly,
each as its own process, and the kernel's peak RSS of that process (os.wait4 ru_maxrss) is
read. The no-change path (force: false) is shown too.

Target (issue 14): (issue worker - debug worker) / ping module process <= 1.5. The module
process of certificate_issue against ping is shown beside it.
"""

from __future__ import annotations

import glob
import json
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402


# Runs the payload from a small intermediate process and reports the payload's own peak RSS.
# (A child forked straight from this big process would inherit its high-water mark: Linux
# carries ru_maxrss across exec.)
MEASURE = (
    "import resource, subprocess, sys\n"
    "proc = subprocess.run([sys.executable, sys.argv[1]], stdin=subprocess.DEVNULL, capture_output=True)\n"
    "sys.stdout.write('%d\\n' % resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    "sys.stdout.write('%d\\n' % proc.returncode)\n"
    "sys.stdout.buffer.write(proc.stdout)\n"
)


def peak_rss_kib(payload):
    """Run one AnsiballZ payload; (peak RSS in KiB, stdout)."""
    out = subprocess.run([common.PYTHON, '-S', '-c', MEASURE, payload], capture_output=True, check=True,
                         cwd=os.path.dirname(payload)).stdout
    rss, returncode, output = out.split(b'\n', 2)
    if int(returncode) != 0 or b'"failed": true' in output:
        raise SystemExit('%s failed (rc %s): %s' % (payload, returncode, output[-2000:]))
    return int(rss), output


def payloads(args, force):
    remote_tmp = args.workdir / ('remote-tmp-%s' % ('force' if force else 'nochange'))
    remote_tmp.mkdir(parents=True, exist_ok=True)
    inventory = 'sqlite://%s' % (args.workdir / 'inventory.db')
    common.play([{'hosts': 'localhost', 'gather_facts': False, 'tasks': [
        {'name': 'issue', 'pki.lifecycle.certificate_issue': {
            'inventory': inventory, 'ra_profile': 'bench', 'token_profile': 'bench-keys', 'key': 'mem',
            'generate_key': True, 'key_type': 'ec', 'curve': 'P-256', 'subject': 'CN=mem.bench.test',
            'subject_alt_names': ['DNS:mem.bench.test'], 'force': force}},
        {'name': 'ping', 'ansible.builtin.ping': {}}]}], args.workdir / 'runs',
        env={'ANSIBLE_KEEP_REMOTE_FILES': '1', 'ANSIBLE_REMOTE_TMP': str(remote_tmp),
             'PKI_LIFECYCLE_FORCE_MODULE': '1'})  # the module path: a payload to run
    found = {}
    for name in ('certificate_issue', 'ping'):
        files = glob.glob(str(remote_tmp / '*' / ('AnsiballZ_%s.py' % name)))
        if len(files) != 1:
            raise SystemExit('expected one AnsiballZ_%s.py under %s, found %r' % (name, remote_tmp, files))
        found[name] = files[0]
    return found


# ansible-playbook in this process; at exit, the peak RSS over its children (the workers).
WORKER_PEAK = (
    "import atexit, os, resource, sys\n"
    "atexit.register(lambda: open(os.environ['BENCH_RSS_OUT'], 'w').write(\n"
    "    '%d' % resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))\n"
    "sys.argv[0] = 'ansible-playbook'\n"
    "from ansible.cli.playbook import main\n"
    "main()\n"
)


def worker_peak_kib(args, task, label):
    """Peak RSS (KiB) of the worker processes of a one-task play on localhost."""
    sys.path.insert(0, str(common.REPO / 'tests'))
    from harness.playbook import ansible_env
    work = args.workdir / 'worker-peak'
    work.mkdir(parents=True, exist_ok=True)
    playbook = work / ('%s.yml' % label)
    playbook.write_text(json.dumps([{'hosts': 'localhost', 'gather_facts': False, 'tasks': [task]}]))
    inventory = work / 'inventory.json'
    inventory.write_text(json.dumps({'all': {'hosts': {'localhost': {
        'ansible_connection': 'local', 'ansible_python_interpreter': common.PYTHON}}}}))
    out = work / ('%s.rss' % label)
    env = ansible_env(env={'BENCH_RSS_OUT': str(out)})
    # From a small intermediate process: a child forked straight from this big one would
    # start with its high-water mark.
    proc = subprocess.run([common.PYTHON, '-c', WORKER_PEAK, str(playbook), '-i', str(inventory)],
                          capture_output=True, text=True, env=env, cwd=str(work), check=False)
    if proc.returncode != 0 or 'failed=0' not in proc.stdout:
        raise SystemExit('%s play failed (rc %d): %s %s' % (label, proc.returncode, proc.stdout[-2000:], proc.stderr[-2000:]))
    return int(out.read_text())


def main():
    args = common.parse_args(__doc__.splitlines()[0])
    inventory = 'sqlite://%s' % (args.workdir / 'inventory.db')
    common.setup_local_profile(inventory, args.workdir / 'ca', keys_dir=args.workdir / 'keys')
    runs = max(args.runs, 3) if not args.smoke else 1
    rows, raw = [], {}
    ping_process = []
    issue_tasks = dict((force, {'name': 'issue', 'pki.lifecycle.certificate_issue': {
        'inventory': inventory, 'ra_profile': 'bench', 'token_profile': 'bench-keys', 'key': 'worker',
        'generate_key': True, 'key_type': 'ec', 'curve': 'P-256', 'subject': 'CN=worker.bench.test',
        'subject_alt_names': ['DNS:worker.bench.test'], 'force': force}}) for force in (True, False))
    debug_task = {'name': 'debug', 'ansible.builtin.debug': {'msg': 'hello'}}
    worker = dict(debug=[], force=[], nochange=[])
    for _unused in range(runs):
        worker['debug'].append(worker_peak_kib(args, debug_task, 'debug'))
        worker['force'].append(worker_peak_kib(args, issue_tasks[True], 'force'))
        worker['nochange'].append(worker_peak_kib(args, issue_tasks[False], 'nochange'))
    for force, label in ((True, 'issue (force: true)'), (False, 'no-change')):
        found = payloads(args, force)
        issue = [peak_rss_kib(found['certificate_issue'])[0] for _unused in range(runs)]
        ping = [peak_rss_kib(found['ping'])[0] for _unused in range(runs)]
        ping_process += ping
        ratio = common.median(issue) / common.median(ping)
        rows.append([label, common.median(issue) / 1024.0, common.median(ping) / 1024.0, ratio,
                     common.verdict(ratio <= 1.5) if force else '-'])
        raw[label] = dict(issue_kib=issue, ping_kib=ping)
    ping_mib = common.median(ping_process) / 1024.0
    debug_mib = common.median(worker['debug']) / 1024.0
    rows5 = []
    for key, label in (('force', 'issue (force: true)'), ('nochange', 'no-change')):
        ours_mib = common.median(worker[key]) / 1024.0
        added = ours_mib - debug_mib
        rows5.append([label, ours_mib, debug_mib, added, ping_mib, added / ping_mib,
                      common.verdict(added / ping_mib <= 1.5) if key == 'force' else '-'])
    common.print_table("Bench 5: what one certificate_issue task adds to its worker's peak RSS beyond a debug task's "
                       "worker, against a ping module process (MiB, median of %d runs)" % runs,
                       ['certificate_issue', 'worker MiB', 'debug worker MiB', 'added MiB', 'ping process MiB',
                        'added/ping', 'target <= 1.5'], rows5)
    common.print_table('Bench 5b: peak RSS of one module process (other targets; MiB, median of %d runs)' % runs,
                       ['certificate_issue', 'issue MiB', 'ping MiB', 'issue/ping', '<= 1.5'], rows)
    raw['worker_kib'] = worker
    common.save_results('memory' + ('-smoke' if args.smoke else ''), raw)


if __name__ == '__main__':
    main()
