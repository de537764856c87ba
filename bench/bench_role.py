# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bench 8: the certificate role over SSH. 50 hosts, forks=10, no-change rerun vs a ping play.

The hosts are inventory names that all reach the harness's real sshd on 127.0.0.1 (pipelining
on, as a real deployment sets it), each with its own deploy directory; keys on the hosts, the
embedded CA (local_ca role) on the controller, one SQLite inventory. The first run issues and
deploys 50 certificates (reported beside). Then, interleaved, a no-change rerun of the role
(checked: no task changed, every host ok) in the two ways a play includes it (``roles:``, where
Ansible adds its own validation task on every host, and ``import_role`` with
``rolespec_validate: false``, the at-scale form of docs/roles.md, where the role's one task
validates its variables against the same spec), and a playbook with one ansible.builtin.ping
task over the same hosts and forks. A no-change rerun costs one host round-trip per host (the
key/CSR call also reports what is deployed; the controller part runs in Ansible's worker).

Target: rerun wall / ping wall <= 1.3 (median of the per-run ratios), in the at-scale form;
the roles: form is reported beside it.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402
from harness import servers  # noqa: E402  (common put tests/ on sys.path)

TARGET = 1.3


def _plays(inventory, ca_dir):
    defaults = {'group/pki.lifecycle.certificates': {'inventory': inventory}}
    setup = {'name': 'CA on the controller', 'hosts': 'localhost', 'gather_facts': False,
             'module_defaults': defaults,
             'roles': [{'role': 'pki.lifecycle.local_ca', 'local_ca_ra_profile': 'bench',
                        'local_ca_directory': str(ca_dir), 'local_ca_subject': 'CN=Role Bench CA',
                        'local_ca_policy': {'allowed_names': ['**.test']}}]}
    role = {'name': 'Certificates on the hosts', 'hosts': 'all', 'gather_facts': False,
            'module_defaults': defaults,
            'roles': [{'role': 'pki.lifecycle.certificate', 'certificate_ra_profile': 'bench'}]}
    # The at-scale form (docs/roles.md): the role's one task validates its variables against the
    # same argument spec, so Ansible's own validation task (a worker per host) is left out.
    imported = {'name': 'Certificates on the hosts', 'hosts': 'all', 'gather_facts': False,
                'module_defaults': defaults,
                'tasks': [{'ansible.builtin.import_role': {'name': 'pki.lifecycle.certificate',
                                                           'rolespec_validate': False},
                           'vars': {'certificate_ra_profile': 'bench'}}]}
    ping = {'name': 'ping', 'hosts': 'all', 'gather_facts': False, 'tasks': [{'ansible.builtin.ping': {}}]}
    return setup, role, imported, ping


def main():
    args = common.parse_args(__doc__.splitlines()[0])
    n_hosts, forks = (4, 2) if args.smoke else (50, 10)
    work = args.workdir
    inventory = 'sqlite://%s' % (work / 'inventory.db')
    setup, role, imported, ping = _plays(inventory, work / 'ca')
    names = ['host%03d.test' % i for i in range(1, n_hosts + 1)]
    forms = (('roles: (Ansible validates too)', role), ('import_role, rolespec_validate: false', imported))
    with servers.Sshd(work / 'sshd') as sshd:
        hosts = sshd.inventory_for(
            names, host_vars=dict((h, {'certificate_deploy_dir': str(work / 'hosts' / h)}) for h in names),
            group_vars={'ansible_pipelining': True, 'ansible_python_interpreter': common.PYTHON},
            path=work / 'hosts.yml')
        common.play([setup], work / 'runs')
        first = common.play([imported], work / 'runs', inventory=hosts, forks=forks)
        issued = common.count_issued(inventory)
        assert issued == n_hosts, 'first run: %d certificates issued, expected %d' % (issued, n_hosts)
        print('first run: %.2f s wall, %.2f s cpu, %d certificates issued and deployed'
              % (first.duration, first.cpu, issued))
        reruns = dict((form[0], []) for form in forms)
        pings, ran = [], {}
        for r in range(args.runs):
            for label, play in forms:
                rerun = common.play([play], work / 'runs', inventory=hosts, forks=forks)
                changed = [(x['host'], x['task']) for x in rerun.results if x['status'] == 'changed']
                assert not changed, 'the no-change rerun changed: %s' % changed
                reruns[label].append(rerun)
                ran[label] = [x['task'] for x in rerun.results if x['host'] == names[0] and x['status'] != 'skipped']
            pinged = common.play([ping], work / 'runs', inventory=hosts, forks=forks)
            pings.append(pinged)
            print('run %d/%d: %s, ping %.2f s wall %.2f s cpu'
                  % (r + 1, args.runs, ', '.join('%s %.2f s wall %.2f s cpu' % (label, x[-1].duration, x[-1].cpu)
                                                 for label, x in reruns.items()), pinged.duration, pinged.cpu))
            sys.stdout.flush()
    ping_wall = common.median([x.duration for x in pings])
    rows, ratios = [], {}
    for label in reruns:
        runs = reruns[label]
        ratios[label] = common.median([x.duration / y.duration for x, y in zip(runs, pings)])  # per run: same load
        rows.append([label, first.duration, common.median([x.duration for x in runs]), ping_wall, ratios[label],
                     TARGET, common.verdict(ratios[label] <= TARGET)])
    common.print_table('Bench 8: certificate role, %d hosts over SSH, forks=%d (median of %d runs)'
                       % (n_hosts, forks, args.runs),
                       ['how the play includes the role', 'first run s', 'rerun wall s', 'ping wall s', 'rerun/ping',
                        'target <= %.1f' % TARGET, 'verdict'], rows)
    for label in reruns:
        print('tasks not skipped on %s in the last rerun (%s): %s' % (names[0], label, '; '.join(ran[label])))
        print('CPU seconds (median), %s: rerun %.2f, ping %.2f'
              % (label, common.median([x.cpu for x in reruns[label]]), common.median([x.cpu for x in pings])))
    common.save_results('bench_role', dict(hosts=n_hosts, forks=forks, first=first.duration,
                                           rerun=dict((k, [x.duration for x in v]) for k, v in reruns.items()),
                                           ping=[x.duration for x in pings], ratio=ratios, target=TARGET))
    return 0


if __name__ == '__main__':
    sys.exit(main())
