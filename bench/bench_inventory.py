# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bench 4: inventory scale. SQLite inventory with 10k, 100k and 1M certificate records.

Records are synthetic but shaped like real ones (a real certificate PEM and CSR PEM, labels,
every indexed column filled) and are written through the store's own column list and JSON
encoding with one executemany in one transaction (bulk-load pragmas on that connection:
large page cache, rollback journal; the file is back in WAL mode afterwards). 1 in 1000 records is due within 30 days;
the rest expire 31 to 365 days from now. Measured per size: load time, bytes per record
(database file after a WAL checkpoint), the time of the query behind
`certificate_info: {due_within_days: 30}` (the store's find_certificates, warm, median of 5),
its query plan, and the wall time of a playbook with that certificate_info task (all fields; four
fields; counts only) against the same playbook with one ping task.

Targets at 1M: due query <= 50 ms; certificate_info task - ping task <= 0.3 s.
"""

from __future__ import annotations

import datetime
import json
import os
import random
import sys
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402

DUE_EVERY = 1000
# The task measured: every field of every due certificate (the default), only the fields a
# report uses, and only the counts.
INFO_VARIANTS = {
    'all fields': {},
    'fields: 4': {'fields': ['uuid', 'subject', 'not_after', 'labels']},
    'counts_only': {'counts_only': True},
}


def sample_pems():
    """One real certificate and CSR (sizes as issued by the embedded CA)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, 'host0000000.bench.test')])
    san = x509.SubjectAlternativeName([x509.DNSName('host0000000.bench.test')])
    csr = x509.CertificateSigningRequestBuilder().subject_name(name).add_extension(san, False).sign(key, hashes.SHA256())
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now)
            .not_valid_after(now + datetime.timedelta(days=90)).add_extension(san, False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
            .sign(key, hashes.SHA256()))
    return (cert.public_bytes(serialization.Encoding.PEM).decode(),
            csr.public_bytes(serialization.Encoding.PEM).decode())


def records(count, now, cert_pem, csr_pem):
    from ansible_collections.pki.lifecycle.plugins.module_utils.inventory import sql as sqlstores
    rnd = random.Random(count)
    iso = '%Y-%m-%dT%H:%M:%SZ'
    created = (now - datetime.timedelta(days=60)).strftime(iso)
    for i in range(count):
        due = i % DUE_EVERY == 0
        days = rnd.randint(1, 29) if due else rnd.randint(31, 365)
        not_after = now + datetime.timedelta(days=days, seconds=rnd.randint(0, 86399))
        name = 'host%07d.bench.test' % i
        record = dict(
            uuid=str(uuid.UUID(int=rnd.getrandbits(128), version=4)), ra_profile='bench', state='issued',
            identity='%064x' % rnd.getrandbits(256), serial='%032x' % (rnd.getrandbits(126) | 1 << 126),
            issuer='CN=Bench Root CA', subject='CN=' + name, subject_alt_names=['DNS:' + name],
            not_before=(not_after - datetime.timedelta(days=90)).strftime(iso), not_after=not_after.strftime(iso),
            fingerprint_sha256='%064x' % rnd.getrandbits(256), spki_sha256='%064x' % rnd.getrandbits(256),
            key_source='csr', token_profile=None, key_ref=None, certificate_pem=cert_pem, chain_pem='',
            csr_pem=csr_pem, renewed_from=None, rekeyed_from=None, revocation_reason=None, revoked_at=None,
            labels={'host': name, 'service': 'web'}, failure_reason=None, connector_data={},
            requested_by='bench@localhost:1', created_at=created, updated_at=created, request_attributes={})
        yield [record['uuid']] + [record.get(c) for c in sqlstores.CERTIFICATE_COLUMNS] + [sqlstores.dumps(record)]


def load(inventory, count, now, pems):
    """Write ``count`` records in one transaction with one executemany."""
    from ansible_collections.pki.lifecycle.plugins.module_utils.inventory import sql as sqlstores
    from ansible_collections.pki.lifecycle.plugins.module_utils.inventory.stores import open_store
    store = open_store(inventory)
    conn = store._conn  # pylint: disable=protected-access
    columns = ('uuid',) + sqlstores.CERTIFICATE_COLUMNS + ('data',)
    try:
        # Bulk-load settings for this connection only: a 1 GB page cache for the index inserts,
        # and a rollback journal instead of the WAL, so the data is written once, not twice
        # (WAL, then checkpoint). The file is switched back to WAL, as the store keeps it.
        conn.execute('PRAGMA cache_size=-1000000')
        conn.execute('PRAGMA journal_mode=DELETE')
        conn.execute('PRAGMA synchronous=OFF')
        with store.transaction() as tx:
            tx._conn.executemany('INSERT INTO certificates (%s) VALUES (%s)' % (  # pylint: disable=protected-access
                ', '.join(columns), ', '.join('?' * len(columns))), records(count, now, *pems))
        conn.execute('PRAGMA journal_mode=WAL')
    finally:
        store.close()


def due_query(inventory, now, runs=5):
    """(median seconds, found, plan) of the store query behind due_within_days: 30."""
    from ansible_collections.pki.lifecycle.plugins.module_utils.inventory import sqlite as sqlitestore
    from ansible_collections.pki.lifecycle.plugins.module_utils.inventory.stores import open_store
    store = open_store(inventory)
    before = (now + datetime.timedelta(days=30)).strftime('%Y-%m-%dT%H:%M:%SZ')
    times, found = [], None
    try:
        for _unused in range(runs):
            with store.transaction(write=False) as tx:
                seconds, result = common.timed(tx.find_certificates, not_after_before=before)
            times.append(seconds)
            found = len(result)
        sql, params = sqlitestore.find_sql(not_after_before=before)
        plan = '; '.join(row[-1] for row in store._conn.execute('EXPLAIN QUERY PLAN ' + sql, params))  # pylint: disable=protected-access
    finally:
        store.close()
    return common.median(times), found, plan


def main():
    args = common.parse_args(__doc__.splitlines()[0])
    sizes = [2000] if args.smoke else [10000, 100000, 1000000]
    pems = sample_pems()
    rows, raw = [], {}
    for n in sizes:
        path = args.workdir / ('inventory-%d.db' % n)
        inventory = 'sqlite://%s' % path
        common.setup_local_profile(inventory, args.workdir / 'ca')
        now = datetime.datetime.now(datetime.timezone.utc)
        load_s, _unused = common.timed(load, inventory, n, now, pems)
        size = os.path.getsize(str(path))
        query_s, found, plan = due_query(inventory, now)
        expected = (n + DUE_EVERY - 1) // DUE_EVERY
        if found != expected:
            raise SystemExit('due query found %d records, expected %d' % (found, expected))
        print('N=%d: loaded in %.1f s, %d bytes/record, due query %.1f ms (%d found), plan: %s'
              % (n, load_s, size // n, query_s * 1000, found, plan))
        walls = dict((k, []) for k in list(INFO_VARIANTS) + ['ping'])
        returned = {}
        for _unused in range(args.runs):
            for label, extra in INFO_VARIANTS.items():
                def check(run, expected=expected, label=label):
                    counts = run.result('due')['counts']
                    if counts['total'] != expected:
                        raise AssertionError('certificate_info found %r, expected %d' % (counts, expected))
                    returned[label] = len(json.dumps(run.result('due')))
                run = common.play([{'hosts': 'localhost', 'gather_facts': False, 'tasks': [
                    {'name': 'due', 'pki.lifecycle.certificate_info': dict(
                        extra, inventory=inventory, due_within_days=30)}]}],
                    args.workdir / 'runs', check=check)
                walls[label].append(run.duration)
            run = common.play([{'hosts': 'localhost', 'gather_facts': False, 'tasks': [
                {'name': 'ping', 'ansible.builtin.ping': {}}]}], args.workdir / 'runs')
            walls['ping'].append(run.duration)
        big = n == sizes[-1]
        ping = common.median(walls['ping'])
        for label in INFO_VARIANTS:
            diff = common.median(walls[label]) - ping
            rows.append([n, label, load_s, size // n, query_s * 1000, found, returned[label] // 1024,
                         common.verdict(query_s <= 0.05) if big else '-', common.median(walls[label]), ping, diff,
                         common.verdict(diff <= 0.3) if big else '-'])
        raw[n] = dict(load=load_s, bytes=size, query=query_s, plan=plan, walls=walls, returned=returned)
        os.unlink(str(path))
    common.print_table('Bench 4: inventory scale (SQLite; task walls are medians of %d runs)' % args.runs,
                       ['records', 'certificate_info', 'load s', 'bytes/rec', 'due query ms', 'due', 'result KiB',
                        '<=50 ms', 'info task s', 'ping task s', 'info-ping s', '<=0.3 s'], rows)
    print('query plan: %s' % plan)
    common.save_results('inventory' + ('-smoke' if args.smoke else ''), raw)


if __name__ == '__main__':
    main()
