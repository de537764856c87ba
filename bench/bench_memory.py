# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bench 5: memory. Peak RSS of one certificate_issue module process against one ping module process.

A playbook runs certificate_issue (force: true, so every run issues: key generated once, CSR
built, embedded CA signs, chain validated, SQLite written) and ping with
ANSIBLE_KEEP_REMOTE_FILES=1; the AnsiballZ payloads Ansible wrote are then run directly,
each as its own process, and the kernel's peak RSS of that process (os.wait4 ru_maxrss) is
read. The no-change path (force: false) is shown too.

Target: certificate_issue / ping <= 1.5.
"""

from __future__ import annotations

import glob
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
        env={'ANSIBLE_KEEP_REMOTE_FILES': '1', 'ANSIBLE_REMOTE_TMP': str(remote_tmp)})
    found = {}
    for name in ('certificate_issue', 'ping'):
        files = glob.glob(str(remote_tmp / '*' / ('AnsiballZ_%s.py' % name)))
        if len(files) != 1:
            raise SystemExit('expected one AnsiballZ_%s.py under %s, found %r' % (name, remote_tmp, files))
        found[name] = files[0]
    return found


def main():
    args = common.parse_args(__doc__.splitlines()[0])
    inventory = 'sqlite://%s' % (args.workdir / 'inventory.db')
    common.setup_local_profile(inventory, args.workdir / 'ca', keys_dir=args.workdir / 'keys')
    runs = max(args.runs, 3) if not args.smoke else 1
    rows, raw = [], {}
    for force, label in ((True, 'issue (force: true)'), (False, 'no-change')):
        found = payloads(args, force)
        issue = [peak_rss_kib(found['certificate_issue'])[0] for _unused in range(runs)]
        ping = [peak_rss_kib(found['ping'])[0] for _unused in range(runs)]
        ratio = common.median(issue) / common.median(ping)
        rows.append([label, common.median(issue) / 1024.0, common.median(ping) / 1024.0, ratio,
                     common.verdict(ratio <= 1.5) if force else '-'])
        raw[label] = dict(issue_kib=issue, ping_kib=ping)
    common.print_table('Bench 5: peak RSS of one module process (MiB, median of %d runs)' % runs,
                       ['certificate_issue', 'issue MiB', 'ping MiB', 'issue/ping', 'target <= 1.5'], rows)
    common.save_results('memory' + ('-smoke' if args.smoke else ''), raw)


if __name__ == '__main__':
    main()
