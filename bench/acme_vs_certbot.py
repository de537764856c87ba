# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One ACME issuance on the same Pebble, in one run: pki.lifecycle vs `certbot certonly`.

Both do the same work against one Pebble started here with real http-01 validation by
pebble-challtestsrv: an account that already exists (registered before timing), a new
EC P-256 key, an order for one name, the http-01 challenge published through
challtestsrv's management API, validation, finalize, chain download.

* Ours: ``ansible-playbook`` with three tasks, as a user runs it: certificate_issue (the
  order; returns challenge_data), ansible.builtin.uri to challtestsrv /add-http01,
  certificate_issue again (answers, polls, finalizes, validates, stores in SQLite).
* Theirs: ``certbot certonly --manual`` with an auth hook (curl to challtestsrv
  /add-http01) and a cleanup hook, REQUESTS_CA_BUNDLE = Pebble's TLS CA (TLS verified).

Wall time of each whole process (what the user waits for); runs alternate, medians
reported. For context two more rows: Ansible's floor (a playbook of 4 ping tasks) and the
same two calls through ``lifecycle.run`` in this process (the work without Ansible). certbot comes from a SEPARATE venv (default /tmp/certbot-venv, or
CERTBOT=/path/to/certbot); it is never a dependency of the collection:

    python3 -m venv /tmp/certbot-venv && /tmp/certbot-venv/bin/pip install certbot
    .venv/bin/python bench/acme_vs_certbot.py --runs 5

Not run by `make test`.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402
from harness import servers  # noqa: E402  (common put tests/ on sys.path)

CERTBOT = os.environ.get('CERTBOT', '/tmp/certbot-venv/bin/certbot')


def ours_playbook(inventory, cts, name):
    issue = {'inventory': inventory, 'ra_profile': 'acme', 'token_profile': 'keys', 'key': name,
             'generate_key': True, 'key_type': 'ec', 'curve': 'P-256', 'subject': 'CN=%s' % name,
             'subject_alt_names': ['DNS:%s' % name]}
    return [{'hosts': 'localhost', 'gather_facts': False, 'tasks': [
        {'name': 'order', 'register': 'order', 'pki.lifecycle.certificate_issue': issue},
        {'name': 'publish', 'loop': '{{ order.challenge_data | default([]) }}',
         'ansible.builtin.uri': {'url': cts + '/add-http01', 'method': 'POST', 'body_format': 'json',
                                 'body': {'token': '{{ item.resource | basename }}',
                                          'content': '{{ item.resource_value }}'}}},
        {'name': 'finish', 'register': 'done', 'pki.lifecycle.certificate_issue': issue},
        {'name': 'check', 'ansible.builtin.assert': {'that': ["done.certificate.state == 'issued'"]}},
    ]}]


def ours_in_process(inventory, pebble, name):
    """The same two calls through lifecycle.run in this process: the work without Ansible."""
    issue = dict(inventory=inventory, ra_profile='acme', token_profile='keys', key=name, generate_key=True,
                 key_type='ec', curve='P-256', subject='CN=%s' % name, subject_alt_names=['DNS:%s' % name])
    order = common.lifecycle_run('issue', **issue)
    for challenge in order.get('challenge_data') or []:
        pebble.add_http01(challenge['resource'].rsplit('/', 1)[1], challenge['resource_value'])
    done = common.lifecycle_run('issue', **issue)
    assert done['certificate']['state'] == 'issued', done


def certbot_argv(pebble, workdir, name, hooks):
    return [CERTBOT, 'certonly', '--non-interactive', '--server', pebble.directory_url,
            '--config-dir', str(workdir / 'certbot' / 'config'), '--work-dir', str(workdir / 'certbot' / 'work'),
            '--logs-dir', str(workdir / 'certbot' / 'logs'), '--key-type', 'ecdsa', '--elliptic-curve', 'secp256r1',
            '--manual', '--preferred-challenges', 'http', '--manual-auth-hook', str(hooks[0]),
            '--manual-cleanup-hook', str(hooks[1]), '-d', name]


def write_hooks(workdir, cts):
    auth, cleanup = workdir / 'auth-hook.sh', workdir / 'cleanup-hook.sh'
    auth.write_text('#!/bin/sh\nexec curl -sf -X POST -d "{\\"token\\":\\"$CERTBOT_TOKEN\\",'
                    '\\"content\\":\\"$CERTBOT_VALIDATION\\"}" %s/add-http01\n' % cts)
    cleanup.write_text('#!/bin/sh\nexec curl -sf -X POST -d "{\\"token\\":\\"$CERTBOT_TOKEN\\"}" '
                       '%s/del-http01\n' % cts)
    for hook in (auth, cleanup):
        hook.chmod(0o755)
    return auth, cleanup


def main():
    args = common.parse_args(__doc__.splitlines()[0])
    if not os.access(CERTBOT, os.X_OK):
        raise SystemExit('certbot not found at %s: python3 -m venv /tmp/certbot-venv && '
                         '/tmp/certbot-venv/bin/pip install certbot (or set CERTBOT).' % CERTBOT)
    work = args.workdir
    with servers.Pebble(work / 'pebble') as pebble:
        root = work / 'pebble-root.pem'
        root.write_text(pebble.roots_pem())
        inventory = 'sqlite://%s' % (work / 'inventory.db')
        # Setup outside timing: RA profile (validate registers the ACME account), token profile.
        common.lifecycle_run('ra_profile', inventory=inventory, name='acme', state='present', connector='acme',
                             connector_options=dict(directory_url=pebble.directory_url, ca_bundle=pebble.ca_bundle,
                                                    terms_agreed=True, trust_anchor=str(root)),
                             validate=True)
        common.lifecycle_run('token_profile', inventory=inventory, name='keys', state='present', type='file',
                             options=dict(path=str(work / 'keys')))
        env = dict(os.environ, REQUESTS_CA_BUNDLE=pebble.ca_bundle)
        hooks = write_hooks(work, pebble.challtestsrv_url)
        reg = subprocess.run([CERTBOT, 'register', '--non-interactive', '--agree-tos', '-m', 'bench@example.test',
                              '--server', pebble.directory_url, '--config-dir', str(work / 'certbot' / 'config'),
                              '--work-dir', str(work / 'certbot' / 'work'), '--logs-dir', str(work / 'certbot' / 'logs')],
                             env=env, capture_output=True, text=True, check=False)
        if reg.returncode != 0:
            raise SystemExit('certbot register failed: %s' % reg.stderr[-2000:])

        ours, theirs, floor, engine = [], [], [], []
        ping = [{'hosts': 'localhost', 'gather_facts': False,
                 'tasks': [{'ansible.builtin.ping': {}} for _unused in range(4)]}]
        for i in range(args.runs):
            floor.append(common.timed(common.play, ping, work)[0])
            engine.append(common.timed(ours_in_process, inventory, pebble, 'engine-%d.bench.test' % i)[0])
            seconds, _run = common.timed(common.play, ours_playbook(inventory, pebble.challtestsrv_url,
                                                                    'ours-%d.bench.test' % i), work)
            ours.append(seconds)
            start = time.perf_counter()
            out = subprocess.run(certbot_argv(pebble, work, 'certbot-%d.bench.test' % i, hooks), env=env,
                                 capture_output=True, text=True, check=False)
            theirs.append(time.perf_counter() - start)
            if out.returncode != 0:
                raise SystemExit('certbot certonly failed: %s' % (out.stderr or out.stdout)[-2000:])
            live = work / 'certbot' / 'config' / 'live' / ('certbot-%d.bench.test' % i) / 'fullchain.pem'
            assert live.exists(), live
        ours_m, theirs_m = common.median(ours), common.median(theirs)
        common.print_table('one ACME issuance on the same Pebble (http-01, real validation), seconds',
                           ['tool', 'median', 'runs'],
                           [['pki.lifecycle (ansible-playbook, 3 tasks)', ours_m, ' '.join('%.2f' % s for s in ours)],
                            ['certbot certonly --manual', theirs_m, ' '.join('%.2f' % s for s in theirs)],
                            ['ratio ours / certbot', ours_m / theirs_m, ''],
                            ['(ansible floor: 4 ping tasks)', common.median(floor),
                             ' '.join('%.2f' % s for s in floor)],
                            ['(ours in-process: lifecycle.run x2)', common.median(engine),
                             ' '.join('%.2f' % s for s in engine)]])
        common.save_results('acme_vs_certbot', dict(ours=ours, certbot=theirs, ours_median=ours_m,
                                                    certbot_median=theirs_m, ratio=ours_m / theirs_m,
                                                    ping_floor=floor, in_process=engine,
                                                    load=os.getloadavg()))


if __name__ == '__main__':
    main()
