# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benches 1 and 2: issuance convergence, then the no-change rerun of the same playbooks.

Ours: one pki.lifecycle.certificate_issue task per certificate (EC P-256 key generated in a
file token profile, embedded CA, SQLite inventory). Theirs: community.crypto's
openssl_privatekey + openssl_csr + x509_certificate (provider ownca, EC P-256 CA) per
certificate. Both with the same ansible-core, interpreter and ansible.cfg; only the
collections path differs. Scenarios: 20 certificates on localhost, and one certificate on
each of 50 local-connection hosts with forks=10. Every run uses new names, so the first pass
issues and the second pass (same playbook again) changes nothing. ``ansible.builtin.ping``
with the same task count is Ansible's floor for the rerun.

On localhost our play is the issue's 22-task play: one ra_profile task and one token_profile
task (both as set up, so unchanged) and 20 certificate_issue tasks; ping gets 22 tasks. Our
tasks run in the controller's worker (the action plugins); PKI_LIFECYCLE_FORCE_MODULE=1 in the
environment measures the module path instead. BENCH_ISSUANCE_SCENARIOS=local skips the 50 hosts.

Targets (issue 14): 1. ours / theirs <= 0.2 (first pass). 2. rerun: ours / theirs <= 0.1 and
ours / ping <= 0.5.
"""

from __future__ import annotations

import datetime
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402


def make_ca(directory):
    """The baseline's ownca: an EC P-256 root like the embedded CA's."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    directory.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, 'Bench Baseline Root CA')])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    (directory / 'ca.key').write_bytes(key_pem)
    (directory / 'ca.pem').write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return directory / 'ca.pem', directory / 'ca.key'


PROFILE = dict(name='bench', state='present', connector='local',
               policy={'allowed_names': ['*.bench.test'], 'key_types': ['ec', 'rsa']})


def profile_tasks(inventory, work):
    """The RA profile and token profile tasks, as set up (setup_local_profile): unchanged."""
    return [{'name': 'RA profile', 'pki.lifecycle.ra_profile': dict(
        PROFILE, inventory=inventory,
        connector_options=dict(directory=str(work / 'ca'), ca_subject='CN=Bench Root CA'), validate=True)},
        {'name': 'token profile', 'pki.lifecycle.token_profile': {
            'inventory': inventory, 'name': 'bench-keys', 'state': 'present', 'type': 'file',
            'options': {'path': str(work / 'keys')}}}]


def ours_tasks(inventory, names):
    return [{'name': 'issue %s' % name, 'pki.lifecycle.certificate_issue': {
        'inventory': inventory, 'ra_profile': 'bench', 'token_profile': 'bench-keys', 'key': name,
        'generate_key': True, 'key_type': 'ec', 'curve': 'P-256', 'subject': 'CN=%s.bench.test' % name,
        'subject_alt_names': ['DNS:%s.bench.test' % name]}} for name in names]


def theirs_tasks(directory, ca, names):
    tasks = []
    for name in names:
        base = '%s/%s' % (directory, name)
        tasks += [
            {'name': 'key %s' % name, 'community.crypto.openssl_privatekey': {
                'path': base + '.key', 'type': 'ECC', 'curve': 'secp256r1'}},
            {'name': 'csr %s' % name, 'community.crypto.openssl_csr': {
                'path': base + '.csr', 'privatekey_path': base + '.key', 'common_name': '%s.bench.test' % name,
                'subject_alt_name': ['DNS:%s.bench.test' % name]}},
            {'name': 'cert %s' % name, 'community.crypto.x509_certificate': {
                'path': base + '.crt', 'csr_path': base + '.csr', 'provider': 'ownca',
                'ownca_path': str(ca[0]), 'ownca_privatekey_path': str(ca[1]), 'ownca_not_after': '+90d'}},
        ]
    return tasks


def ping_tasks(count):
    return [{'name': 'ping %d' % i, 'ansible.builtin.ping': {}} for i in range(count)]


def localhost_play(tasks):
    return [{'hosts': 'localhost', 'gather_facts': False, 'tasks': tasks}]


def hosts_play(tasks):
    return [{'hosts': 'all', 'gather_facts': False, 'tasks': tasks}]


def expect_changed(count):
    def check(run):
        if run.changed_count() != count:
            raise AssertionError('expected %d changed task results, got %d\n%s'
                                 % (count, run.changed_count(), run.summary()))
    return check


def main():
    args = common.parse_args(__doc__.splitlines()[0])
    n_local = 2 if args.smoke else 20
    n_hosts = 3 if args.smoke else 50
    forks = 10
    collections = common.baseline_collections(required=not args.smoke)
    work = args.workdir
    inventory = 'sqlite://%s' % (work / 'inventory.db')
    common.setup_local_profile(inventory, work / 'ca', keys_dir=work / 'keys', policy=PROFILE['policy'])
    with_hosts = os.environ.get('BENCH_ISSUANCE_SCENARIOS', 'local,hosts') != 'local'
    path = 'module process' if os.environ.get('PKI_LIFECYCLE_FORCE_MODULE') == '1' else "controller's worker"
    print('our controller tasks run in: %s' % path)
    # The profiles as the play's own tasks write them (argspec defaults included): unchanged from now on.
    common.play(localhost_play(profile_tasks(inventory, work)), work / 'runs')
    theirs_dir = work / 'theirs'
    theirs_dir.mkdir(exist_ok=True)
    ca = make_ca(work / 'theirs-ca') if collections else None
    hosts = common.hosts_inventory(n_hosts)
    t = dict((k, []) for k in ('ours_local', 'ours_local_rerun', 'theirs_local', 'theirs_local_rerun', 'ping_local',
                               'ours_hosts', 'ours_hosts_rerun', 'theirs_hosts', 'theirs_hosts_rerun', 'ping_hosts'))
    cpu = dict((k, []) for k in t)
    base_env = common.baseline_env(collections) if collections else None

    def timed_play(key, plays, changed, **kw):
        run = common.play(plays, work / 'runs', check=expect_changed(changed) if changed is not None else None, **kw)
        t[key].append(run.duration)
        cpu[key].append(run.cpu)
        print('  %-20s %6.2f s wall %6.2f s cpu' % (key, run.duration, run.cpu))
        sys.stdout.flush()

    for r in range(args.runs):
        print('run %d/%d' % (r + 1, args.runs))
        names = ['svc%02d-r%d' % (i, r) for i in range(n_local)]
        host_name = '{{ inventory_hostname }}-r%d' % r
        ours = localhost_play(profile_tasks(inventory, work) + ours_tasks(inventory, names))
        timed_play('ours_local', ours, n_local)
        timed_play('ours_local_rerun', ours, 0)
        ours_h = hosts_play(ours_tasks(inventory, [host_name]))
        if with_hosts:
            timed_play('ours_hosts', ours_h, n_hosts, inventory=hosts, forks=forks)
            timed_play('ours_hosts_rerun', ours_h, 0, inventory=hosts, forks=forks)
        if collections:
            theirs = localhost_play(theirs_tasks(theirs_dir, ca, names))
            timed_play('theirs_local', theirs, 3 * n_local, env=base_env)
            timed_play('theirs_local_rerun', theirs, 0, env=base_env)
            theirs_h = hosts_play(theirs_tasks(theirs_dir, ca, [host_name]))
            if with_hosts:
                timed_play('theirs_hosts', theirs_h, 3 * n_hosts, inventory=hosts, forks=forks, env=base_env)
                timed_play('theirs_hosts_rerun', theirs_h, 0, inventory=hosts, forks=forks, env=base_env)
        timed_play('ping_local', localhost_play(ping_tasks(n_local + 2)), 0)
        if with_hosts:
            timed_play('ping_hosts', hosts_play(ping_tasks(1)), 0, inventory=hosts, forks=forks)

    issued = common.count_issued(inventory, ra_profile='bench')
    expected = args.runs * (n_local + (n_hosts if with_hosts else 0))
    if issued != expected:
        raise SystemExit('expected %d issued certificates in the inventory, found %d' % (expected, issued))
    m = dict((k, common.median(v) if v else None) for k, v in t.items())
    c = dict((k, common.median(v) if v else None) for k, v in cpu.items())

    def ratio(a, b, table=None):
        table = m if table is None else table
        return table[a] / table[b] if table[a] is not None and table[b] else None

    def ok(value, target):
        return None if value is None else value <= target

    print('\nbaseline: community.crypto %s (%s)' % (common.community_crypto_version(collections), collections)
          if collections else '\nbaseline: not installed (smoke run; `make bench` installs it)')
    rows1, rows2 = [], []
    scenarios = [('%d certs on localhost' % n_local, 'local', n_local)]
    if with_hosts:
        scenarios.append(('%d hosts x 1 cert, forks=%d' % (n_hosts, forks), 'hosts', n_hosts))
    for label, key, count in scenarios:
        r1 = ratio('ours_' + key, 'theirs_' + key)
        rows1.append([label, m['ours_' + key], m['theirs_' + key], r1, '<= 0.2', common.verdict(ok(r1, 0.2))])
        r2 = ratio('ours_%s_rerun' % key, 'theirs_%s_rerun' % key)
        r3 = ratio('ours_%s_rerun' % key, 'ping_' + key)
        rows2.append([label, m['ours_%s_rerun' % key], m['theirs_%s_rerun' % key], r2, common.verdict(ok(r2, 0.1)),
                      m['ping_' + key], r3, common.verdict(ok(r3, 0.5))])
    common.print_table('Bench 1: issuance convergence (median of %d runs, wall seconds)' % args.runs,
                       ['scenario', 'ours', 'theirs', 'ours/theirs', 'target', 'verdict'], rows1)
    common.print_table('Bench 2: no-change rerun (median of %d runs, wall seconds)' % args.runs,
                       ['scenario', 'ours', 'theirs', 'ours/theirs', '<=0.1', 'ping', 'ours/ping', '<=0.5'], rows2)
    rows3 = []
    for label, key, _count in scenarios:
        rows3.append([label, c['ours_' + key], c['theirs_' + key], ratio('ours_' + key, 'theirs_' + key, c),
                      c['ours_%s_rerun' % key], c['theirs_%s_rerun' % key],
                      ratio('ours_%s_rerun' % key, 'theirs_%s_rerun' % key, c), c['ping_' + key],
                      ratio('ours_%s_rerun' % key, 'ping_' + key, c)])
    common.print_table('Benches 1-2 in CPU seconds of the whole ansible-playbook process tree (median; less moved by '
                       'other load than wall time)',
                       ['scenario', 'issue ours', 'theirs', 'ratio', 'rerun ours', 'theirs', 'ratio', 'ping',
                        'rerun/ping'], rows3)
    common.save_results('issuance' + ('-smoke' if args.smoke else ''),
                        dict(runs=t, cpu=cpu, medians=m, cpu_medians=c))


if __name__ == '__main__':
    main()
