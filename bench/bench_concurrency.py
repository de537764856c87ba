# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bench 6: concurrency. 50 local-connection hosts, forks=25, all issuing into one SQLite inventory.

Each host's task issues one certificate (EC P-256 key generated, embedded CA) into the same
SQLite file at the same time, the worst case for its write lock. Each run uses new names.
Checked after every run: every task succeeded, and the inventory holds exactly 50 new issued
records. Compared with a playbook running one ping task on the same hosts and forks.

Target: records = 50, errors = 0, wall / ping wall <= 1.5.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402


def main():
    args = common.parse_args(__doc__.splitlines()[0])
    n_hosts, forks = (6, 3) if args.smoke else (50, 25)
    inventory = 'sqlite://%s' % (args.workdir / 'inventory.db')
    common.setup_local_profile(inventory, args.workdir / 'ca', keys_dir=args.workdir / 'keys')
    hosts = common.hosts_inventory(n_hosts)
    ours, ping, records, errors, cpu_ours, cpu_ping = [], [], [], [], [], []
    for r in range(args.runs):
        name = '{{ inventory_hostname }}-r%d' % r
        before = common.cpu_of_children()
        run = common.run_playbook([{'hosts': 'all', 'gather_facts': False, 'tasks': [
            {'name': 'issue', 'pki.lifecycle.certificate_issue': {
                'inventory': inventory, 'ra_profile': 'bench', 'token_profile': 'bench-keys', 'key': name,
                'generate_key': True, 'key_type': 'ec', 'curve': 'P-256', 'subject': 'CN=%s.bench.test' % name,
                'subject_alt_names': ['DNS:%s.bench.test' % name], 'labels': {'run': str(r)}}}]}],
            inventory=hosts, tmp_path=args.workdir / 'runs', args=['--forks', str(forks)], timeout=1800)
        cpu_ours.append(common.cpu_of_children() - before)
        failed = len(run.failed_results()) + (0 if run.rc == 0 else int(not run.failed_results()))
        stored = common.count_issued(inventory, labels={'run': str(r)})
        ours.append(run.duration)
        errors.append(failed)
        records.append(stored)
        ping_run = common.play([{'hosts': 'all', 'gather_facts': False, 'tasks': [
            {'name': 'ping', 'ansible.builtin.ping': {}}]}], args.workdir / 'runs', inventory=hosts, forks=forks)
        ping.append(ping_run.duration)
        cpu_ping.append(ping_run.cpu)
        print('run %d/%d: issue %.2f s wall %.2f s cpu (records %d, errors %d), ping %.2f s wall %.2f s cpu'
              % (r + 1, args.runs, run.duration, cpu_ours[-1], stored, failed, ping_run.duration, ping_run.cpu))
        sys.stdout.flush()
    ratio = common.median(ours) / common.median(ping)
    ok = all(n == n_hosts for n in records) and not any(errors) and ratio <= 1.5
    common.print_table('Bench 6: %d hosts, forks=%d, one SQLite inventory (median of %d runs)'
                       % (n_hosts, forks, args.runs),
                       ['records/run', 'errors', 'issue wall s', 'ping wall s', 'issue/ping', 'target <= 1.5', 'verdict'],
                       [['/'.join(str(n) for n in records), sum(errors), common.median(ours), common.median(ping),
                         ratio, '%d, 0' % n_hosts, common.verdict(ok)]])
    print('CPU seconds of the process trees (median): issue %.2f, ping %.2f, ratio %.2f'
          % (common.median(cpu_ours), common.median(cpu_ping), common.median(cpu_ours) / common.median(cpu_ping)))
    common.save_results('concurrency' + ('-smoke' if args.smoke else ''),
                        dict(ours=ours, ping=ping, records=records, errors=errors, cpu_ours=cpu_ours, cpu_ping=cpu_ping))
    if any(errors) or any(n != n_hosts for n in records):
        raise SystemExit('concurrency bench: lost records or errors: records %r errors %r' % (records, errors))


if __name__ == '__main__':
    main()
