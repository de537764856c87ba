# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bench 7: discovery speed. Files per second on one host, endpoints per second from the controller.

Files: a tree of N certificate files (PEM leaf with its key beside it, PEM full chains, DER;
500 distinct EC P-256 certificates from one CA, spread over 100 directories, plus 10 % other
files the patterns do not match). Ours: one `certificate_discover` task (ansible_connection
local, key matching on): files / the scan time the module reports (its wall time and a `ping`
task's are printed beside it), and the scan alone in-process. Baseline in the same run: `find`
+ one `openssl x509 -noout -fingerprint -sha256 -subject -enddate` per file, the shell loop an
administrator would write (it neither matches keys nor reads chains), timed on a sample of at
most 600 files and scaled (one process per file: its cost per file does not depend on the tree).

Endpoints: K TLS servers on 127.0.0.1 (stdlib ssl, in this process), contacted E times in all.
Ours: one `certificate_discover_tls` task (workers 8): contacts / the time the module reports. Baseline: one
`openssl s_client -connect ... | openssl x509 -noout -fingerprint` per endpoint, sequential.

Targets: files/s >= 5x the find+openssl loop; endpoints/s >= 2x the s_client loop.
"""

from __future__ import annotations

import datetime
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402

from harness.tls_endpoints import TlsServer  # noqa: E402  (tests/ is on the path through common)

DISTINCT = 500
BASELINE_SAMPLE = 600


def make_pki(workdir):
    """(ca_pem, [(cert_pem, key_pem)]) made with cryptography."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, 'Bench Foreign Root')])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
          .not_valid_after(now + datetime.timedelta(days=3650))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), True).sign(ca_key, hashes.SHA256()))
    pem = serialization.Encoding.PEM
    leaves = []
    for n in range(DISTINCT):
        key = ec.generate_private_key(ec.SECP256R1())
        name = 'host%04d.bench.test' % n
        cert = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
                .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=90))
                .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), False)
                .add_extension(x509.BasicConstraints(ca=False, path_length=None), True).sign(ca_key, hashes.SHA256()))
        leaves.append((cert, key))

    def key_pem(k):
        return k.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return ca.public_bytes(pem), [(c.public_bytes(pem), c.public_bytes(serialization.Encoding.DER), key_pem(k))
                                  for c, k in leaves]


def make_tree(root, count, ca_pem, leaves):
    """count certificate files (+ keys beside the PEM leaves, + 10 % files no pattern matches)."""
    shutil.rmtree(root, ignore_errors=True)
    for n in range(count):
        cert_pem, der, key_pem = leaves[n % len(leaves)]
        d = root / ('d%03d' % (n % 100))
        d.mkdir(parents=True, exist_ok=True)
        kind = n % 3
        if kind == 0:
            (d / ('c%06d.crt' % n)).write_bytes(cert_pem)
            (d / ('c%06d.key' % n)).write_bytes(key_pem)
        elif kind == 1:
            (d / ('c%06d.pem' % n)).write_bytes(cert_pem + ca_pem)
        else:
            (d / ('c%06d.der' % n)).write_bytes(der)
        if n % 10 == 0:
            (d / ('notes%06d.txt' % n)).write_text('not a certificate\n')


def files_ours(root, count, workdir, runs):
    plays = [{'hosts': 'localhost', 'gather_facts': False, 'tasks': [
        {'name': 'discover', 'pki.lifecycle.certificate_discover': {'paths': [str(root)], 'max_files': count * 2}}]}]
    ping = [{'hosts': 'localhost', 'gather_facts': False, 'tasks': [{'ansible.builtin.ping': {}}]}]

    def check(run):
        found = run.result('discover')
        assert found['stats']['certificates'] == count and not found['errors'], found['stats']

    walls, pings, inside = [], [], []
    for _attempt in range(runs):
        run = common.play(plays, workdir, check=check)
        walls.append(run.duration)
        inside.append(run.result('discover')['stats']['seconds'])
        pings.append(common.play(ping, workdir).duration)
    return common.median(walls), common.median(pings), common.median(inside)


def files_in_process(root, count, runs):
    from ansible_collections.pki.lifecycle.plugins.module_utils.discovery.files import Scan
    times = []
    for _attempt in range(runs):
        seconds, out = common.timed(lambda: Scan([str(root)], max_files=count * 2).run())
        assert out['stats']['certificates'] == count, out['stats']
        times.append(seconds)
    return common.median(times)


def files_baseline(root, count, runs):
    """Seconds for ``count`` files (one openssl process per file: measured on a sample of at most
    BASELINE_SAMPLE files, d000.. directories, and scaled: its cost per file does not depend on the tree)."""
    dirs = sorted(p for p in root.iterdir() if p.is_dir())
    sample, picked = 0, []
    for d in dirs:
        n = sum(1 for f in d.iterdir() if f.suffix in ('.pem', '.crt', '.der'))
        if picked and sample + n > BASELINE_SAMPLE:
            break
        picked.append(str(d))
        sample += n
    script = ("find %s -type f \\( -name '*.pem' -o -name '*.crt' -o -name '*.der' \\) | while read -r f; do "
              "openssl x509 -in \"$f\" -noout -fingerprint -sha256 -subject -enddate 2>/dev/null || "
              "openssl x509 -inform der -in \"$f\" -noout -fingerprint -sha256 -subject -enddate; done" % ' '.join(picked))
    times = []
    for _attempt in range(runs):
        start = time.perf_counter()
        out = subprocess.run(['bash', '-c', script], capture_output=True, text=True, check=True)
        times.append(time.perf_counter() - start)
        assert out.stdout.count('Fingerprint=') == sample, (out.stdout.count('Fingerprint='), sample)
    return common.median(times) * count / sample


def endpoints_ours(endpoints, workdir, runs, ca_path):
    plays = [{'hosts': 'localhost', 'gather_facts': False, 'tasks': [
        {'name': 'tls', 'pki.lifecycle.certificate_discover_tls': {
            'endpoints': endpoints, 'trust_anchors': ca_path, 'timeout': 5, 'workers': 8}}]}]
    ping = [{'hosts': 'localhost', 'gather_facts': False, 'tasks': [{'ansible.builtin.ping': {}}]}]

    def check(run):
        out = run.result('tls')
        assert out['stats']['served'] == len(endpoints) and all(e['verified'] for e in out['endpoints']), out['stats']

    walls, pings, inside = [], [], []
    for _attempt in range(runs):
        run = common.play(plays, workdir, check=check)
        walls.append(run.duration)
        inside.append(run.result('tls')['stats']['seconds'])
        pings.append(common.play(ping, workdir).duration)
    return common.median(walls), common.median(pings), common.median(inside)


def endpoints_baseline(endpoints, runs):
    times = []
    for _attempt in range(runs):
        start = time.perf_counter()
        for endpoint in endpoints:
            out = subprocess.run(['bash', '-c', 'openssl s_client -connect %s </dev/null 2>/dev/null | '
                                  'openssl x509 -noout -fingerprint -sha256' % endpoint],
                                 capture_output=True, text=True, check=True, timeout=30)
            assert 'Fingerprint=' in out.stdout
        times.append(time.perf_counter() - start)
    return common.median(times)


def main():
    args = common.parse_args(__doc__)
    file_counts = [200] if args.smoke else [2000, 20000]
    servers, contacts = (4, 12) if args.smoke else (20, 100)
    ca_pem, leaves = make_pki(args.workdir)
    if args.smoke:
        leaves = leaves[:50]
    raw = dict(files=[], endpoints=[])
    rows = []
    for count in file_counts:
        root = args.workdir / ('tree-%d' % count)
        make_tree(root, count, ca_pem, leaves)
        wall, ping, inside = files_ours(root, count, args.workdir, args.runs)
        inproc = files_in_process(root, count, args.runs)
        base = files_baseline(root, count, args.runs)
        ours_rate = count / inside
        base_rate = count / base
        rows.append(['%d files' % count, ours_rate, count / inproc, wall, ping, base_rate, ours_rate / base_rate,
                     common.verdict(ours_rate >= 5 * base_rate) if not args.smoke else 'n/a'])
        raw['files'].append(dict(count=count, task_wall=wall, ping_wall=ping, module_seconds=inside,
                                 in_process=inproc, baseline=base))
    common.print_table('Bench 7a: discovery on one host, files/s',
                       ['tree', 'ours files/s (module)', 'scan in-process files/s', 'task wall s', 'ping wall s',
                        'find+openssl files/s', 'ratio', 'target >= 5x'], rows)

    ca_path = args.workdir / 'bench-ca.pem'
    ca_path.write_bytes(ca_pem)
    cert_path, key_path = args.workdir / 'server.pem', args.workdir / 'server.key'
    cert_path.write_bytes(leaves[0][0] + ca_pem)
    key_path.write_bytes(leaves[0][2])
    started = [TlsServer(str(cert_path), str(key_path)) for _server in range(servers)]
    try:
        endpoints = [started[n % servers].endpoint for n in range(contacts)]
        wall, ping, inside = endpoints_ours(endpoints, args.workdir, args.runs, str(ca_path))
        base = endpoints_baseline(endpoints, args.runs)
    finally:
        for server in started:
            server.stop()
    ours_rate = contacts / inside
    base_rate = contacts / base
    common.print_table('Bench 7b: discovery from the controller, endpoints/s',
                       ['endpoints', 'ours endpoints/s (module)', 'task wall s', 'ping wall s', 's_client endpoints/s',
                        'ratio', 'target >= 2x'],
                       [['%d contacts, %d servers' % (contacts, servers), ours_rate, wall, ping, base_rate,
                         ours_rate / base_rate, common.verdict(ours_rate >= 2 * base_rate) if not args.smoke else 'n/a']])
    raw['endpoints'].append(dict(contacts=contacts, servers=servers, task_wall=wall, ping_wall=ping,
                                 module_seconds=inside, baseline=base))
    common.save_results('discovery' + ('-smoke' if args.smoke else ''), raw)


if __name__ == '__main__':
    main()
