# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Issuance throughput with 2 and with 25 concurrent writers on each inventory store.

W writer processes (2 or 25) each issue their share of TOTAL distinct certificates (EC P-256
CSRs made beforehand, outside the timing) through the collection's own ``lifecycle.run('issue')``
on the embedded CA, all into ONE inventory, all starting at the same moment. Every issuance
is the full path: reserve ('requested', write transaction under the store's write lock), CA
call, validate, store ('issued', write transaction). Ansible is not involved, so the numbers
are those of the inventory + CA, not of process start-up.

Reported per store and W: certificates per second (TOTAL / wall time from the start signal
to the last writer done), median and max latency of one issuance. Checked after each run:
the inventory holds exactly TOTAL issued records and the CA's index TOTAL new lines.

PostgreSQL: ``--postgresql URL`` (password in PGPASSWORD), else a throwaway server is
started with the test harness (tests/harness/servers.py; NOTE it runs with fsync=off and
synchronous_commit=off, so its commits are cheaper than a production server's; SQLite and
JSON fsync every commit).

    .venv/bin/python bench/inventory_concurrency.py [--smoke] [--runs N] [--total 100]
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402

WRITERS = (2, 25)


def make_csrs(count, prefix):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    out = []
    for i in range(count):
        name = '%s-%04d.bench.test' % (prefix, i)
        key = ec.generate_private_key(ec.SECP256R1())
        csr = (x509.CertificateSigningRequestBuilder()
               .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
               .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
               .sign(key, hashes.SHA256()))
        out.append(csr.public_bytes(serialization.Encoding.PEM).decode('ascii'))
    return out


def writer(inventory, password, csrs, start, latencies):
    sys.path.insert(0, str(common.COLLECTIONS_DIR))
    from ansible_collections.pki.lifecycle.plugins.module_utils import lifecycle
    start.wait(120)
    mine = []
    for csr in csrs:
        t0 = time.perf_counter()
        result = lifecycle.run('issue', dict(inventory=inventory, inventory_password=password,
                                             ra_profile='bench', csr=csr))
        mine.append(time.perf_counter() - t0)
        assert result['changed'], result
    latencies.put(mine)


def measure(inventory, password, ca_dir, writers, total, run):
    csrs = make_csrs(total, 'w%d-r%d-%d' % (writers, run, os.getpid()))
    shares = [csrs[i::writers] for i in range(writers)]
    ctx = multiprocessing.get_context('fork')
    start, latencies = ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=writer, args=(inventory, password, share, start, latencies))
             for share in shares]
    for proc in procs:
        proc.start()
    time.sleep(0.5)  # every writer imported and waiting
    lines_before = _ca_lines(ca_dir)
    t0 = time.perf_counter()
    start.set()
    collected = []
    for _unused in procs:
        collected.extend(latencies.get(timeout=900))
    wall = time.perf_counter() - t0
    for proc in procs:
        proc.join(60)
    if any(p.exitcode for p in procs) or len(collected) != total:
        raise SystemExit('a writer failed: exit codes %r' % [p.exitcode for p in procs])
    issued = _ca_lines(ca_dir) - lines_before
    if issued != total:
        raise SystemExit('the CA issued %d certificates for %d requests' % (issued, total))
    collected.sort()
    return dict(wall=wall, per_second=total / wall, p50=collected[len(collected) // 2], max=collected[-1])


def _ca_lines(ca_dir):
    path = Path(ca_dir) / 'issued.jsonl'
    return sum(1 for _unused in path.open()) if path.exists() else 0


def main():
    sys.argv, total = _pop_option(sys.argv, '--total', None)
    sys.argv, pg_url = _pop_option(sys.argv, '--postgresql', None)
    args = common.parse_args(__doc__.splitlines()[0])
    total = int(total or (10 if args.smoke else 100))
    writers_list = (2, 3) if args.smoke else WRITERS
    server = None
    password = os.environ.get('PGPASSWORD')
    if pg_url is None:
        from harness.servers import PostgreSQL
        server = PostgreSQL(workdir=str(args.workdir / 'postgresql'))
        server.start()
        pg_url, password = server.url, server.password
    try:
        rows, raw = [], {}
        for kind in ('sqlite', 'json', 'postgresql'):
            if kind == 'postgresql':
                if server is not None:
                    inventory = server.create_database('bench_%d' % os.getpid())
                else:
                    inventory = pg_url
            else:
                inventory = '%s://%s' % (kind, args.workdir / kind / ('inventory.' + ('db' if kind == 'sqlite' else 'json')))
            ca_dir = args.workdir / kind / 'ca'
            common.lifecycle_run('ra_profile', inventory=inventory, inventory_password=password, name='bench',
                                 state='present', connector='local',
                                 connector_options=dict(directory=str(ca_dir)), policy={})
            for writers in writers_list:
                runs = [measure(inventory, password, ca_dir, writers, total, r) for r in range(args.runs)]
                raw['%s-%d' % (kind, writers)] = runs
                best = sorted(runs, key=lambda m: m['per_second'])[len(runs) // 2]  # the median run
                rows.append([kind, writers, total, best['per_second'], best['p50'] * 1000, best['max'] * 1000])
                print('%s, %d writers: %s certificates/s (runs: %s)' % (
                    kind, writers, common.fmt(best['per_second'], 1),
                    ', '.join(common.fmt(m['per_second'], 1) for m in runs)))
                sys.stdout.flush()
            stored = common.count_issued(inventory) if kind != 'postgresql' else _count_pg(inventory, password)
            expected = total * len(writers_list) * args.runs
            if stored != expected:
                raise SystemExit('%s: %d issued records, expected %d' % (kind, stored, expected))
        common.print_table('Issuance throughput, %d distinct certificates per run, embedded CA (median of %d runs)'
                           % (total, args.runs),
                           ['store', 'writers', 'certificates', 'cert/s', 'p50 ms', 'max ms'], rows)
        common.save_results('inventory-concurrency' + ('-smoke' if args.smoke else ''), raw)
    finally:
        if server is not None:
            server.stop()


def _count_pg(inventory, password):
    from ansible_collections.pki.lifecycle.plugins.module_utils.inventory.stores import open_store
    store = open_store(inventory, password=password)
    try:
        with store.transaction(write=False) as tx:
            return len(tx.find_certificates(state='issued'))
    finally:
        store.close()


def _pop_option(argv, name, default):
    if name in argv:
        i = argv.index(name)
        value = argv[i + 1]
        return argv[:i] + argv[i + 2:], value
    return argv, default


if __name__ == '__main__':
    main()
