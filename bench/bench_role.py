# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bench 8: the certificate role over SSH. 50 hosts, forks=10, no-change rerun vs a ping play.

The hosts are inventory names that all reach the harness's real sshd on 127.0.0.1 (pipelining
on, as a real deployment sets it), each with its own deploy directory; keys on the hosts, the
embedded CA (local_ca role) on the controller, one SQLite inventory. The first run issues and
deploys 50 certificates (reported beside). Then, interleaved, a no-change rerun of the role
(checked: no task changed, every host ok) and a playbook with one ansible.builtin.ping task
over the same hosts and forks. A no-change rerun costs one host round-trip per host (the
key/CSR call also reports what is deployed; the controller part runs in Ansible's worker).

Target: rerun wall / ping wall <= 1.3 (medians).
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
    ping = {'name': 'ping', 'hosts': 'all', 'gather_facts': False, 'tasks': [{'ansible.builtin.ping': {}}]}
    return setup, role, ping


def main():
    args = common.parse_args(__doc__.splitlines()[0])
    n_hosts, forks = (4, 2) if args.smoke else (50, 10)
    work = args.workdir
    inventory = 'sqlite://%s' % (work / 'inventory.db')
    setup, role, ping = _plays(inventory, work / 'ca')
    names = ['host%03d.test' % i for i in range(1, n_hosts + 1)]
    with servers.Sshd(work / 'sshd') as sshd:
        hosts = sshd.inventory_for(
            names, host_vars=dict((h, {'certificate_deploy_dir': str(work / 'hosts' / h)}) for h in names),
            group_vars={'ansible_pipelining': True, 'ansible_python_interpreter': common.PYTHON},
            path=work / 'hosts.yml')
        common.play([setup], work / 'runs')
        first = common.play([role], work / 'runs', inventory=hosts, forks=forks)
        issued = common.count_issued(inventory)
        assert issued == n_hosts, 'first run: %d certificates issued, expected %d' % (issued, n_hosts)
        print('first run: %.2f s wall, %.2f s cpu, %d certificates issued and deployed'
              % (first.duration, first.cpu, issued))
        reruns, pings = [], []
        for r in range(args.runs):
            rerun = common.play([role], work / 'runs', inventory=hosts, forks=forks)
            changed = [(x['host'], x['task']) for x in rerun.results if x['status'] == 'changed']
            assert not changed, 'the no-change rerun changed: %s' % changed
            pinged = common.play([ping], work / 'runs', inventory=hosts, forks=forks)
            reruns.append(rerun)
            pings.append(pinged)
            print('run %d/%d: role rerun %.2f s wall %.2f s cpu, ping %.2f s wall %.2f s cpu'
                  % (r + 1, args.runs, rerun.duration, rerun.cpu, pinged.duration, pinged.cpu))
            sys.stdout.flush()
        ran = [x['task'] for x in reruns[-1].results if x['host'] == names[0] and x['status'] != 'skipped']
    rerun_wall = common.median([x.duration for x in reruns])
    ping_wall = common.median([x.duration for x in pings])
    ratio = common.median([x.duration / y.duration for x, y in zip(reruns, pings)])  # per run: same load
    common.print_table('Bench 8: certificate role, %d hosts over SSH, forks=%d (median of %d runs)'
                       % (n_hosts, forks, args.runs),
                       ['first run s', 'rerun wall s', 'ping wall s', 'rerun/ping', 'target <= %.1f' % TARGET,
                        'verdict'],
                       [[first.duration, rerun_wall, ping_wall, ratio, TARGET, common.verdict(ratio <= TARGET)]])
    print('tasks not skipped on %s in the last rerun: %s' % (names[0], '; '.join(ran)))
    print('CPU seconds (median): rerun %.2f, ping %.2f'
          % (common.median([x.cpu for x in reruns]), common.median([x.cpu for x in pings])))
    common.save_results('bench_role', dict(hosts=n_hosts, forks=forks, first=first.duration,
                                           rerun=[x.duration for x in reruns], ping=[x.duration for x in pings],
                                           ratio=ratio, target=TARGET))
    return 0


if __name__ == '__main__':
    sys.exit(main())
