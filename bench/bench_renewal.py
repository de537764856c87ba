# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bench 3: bulk renewal. One certificate_renew task with due: true renews N due certificates.

Setup (not timed): an embedded CA (EC P-256) and N EC P-256 certificates signed by it with a
90-day lifetime of which 80 days have passed (inside the default renewal window), written
to an SQLite inventory through the store API in one transaction, the way issuance writes
them (lifecycle's records.new_record + fill_from_certificate). Timed: the whole ansible-playbook run
of ONE `certificate_renew: {due: true, ra_profile: bench, fields: [uuid]}` task (the result a
scheduled sweep needs: which certificate, uuid, replaced which, renewed_from), against a plain Python loop
that signs the same N CSRs with `cryptography` (load CSR, build the same extensions, sign
with the same CA key, PEM) in the same run. Each run starts from a fresh copy of the setup.
The sweep runs as users get it: shared among one process per CPU (lifecycle/processes.py);
the loop is one process, as a plain script is.

Target at N = 10,000: ours >= 0.3 x the raw loop's certificates per second.

The floor, at the largest size, in the same runs: the target gives the whole run raw loop / 0.3
seconds. Two parts of it are not lifecycle's logic: what ansible-playbook costs for one task
returning the same result without doing anything (action_plugins/bench_renew_result.py), and
the work the design requires per certificate with nothing around it, shared over the same
processes (read the due records; a reservation, the signature, its verification with the CA's
key, the issued record and its event, through the inventory's own store). What is left of the
budget is what lifecycle's logic may take; the table shows what it takes.
"""

from __future__ import annotations

import datetime
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402


def prepare(directory, count):
    """An inventory with ``count`` due certificates; returns (inventory URL, CSR PEMs)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    from ansible_collections.pki.lifecycle.plugins.module_utils import x509 as x509lib
    from ansible_collections.pki.lifecycle.plugins.module_utils.lifecycle.context import Context
    from ansible_collections.pki.lifecycle.plugins.module_utils.lifecycle.records import fill_from_certificate, new_record
    from ansible_collections.pki.lifecycle.plugins.module_utils.lifecycle.request import request_identity
    from ansible_collections.pki.lifecycle.plugins.module_utils.vocabulary import iso
    from ansible_collections.pki.lifecycle.plugins.module_utils.connectors.base import Issued
    directory.mkdir(parents=True, exist_ok=True)
    inventory = 'sqlite://%s' % (directory / 'inventory.db')
    connector = common.setup_local_profile(inventory, directory / 'ca')
    ca_cert, ca_key = connector._open()  # pylint: disable=protected-access
    chain = connector.trust_anchors()
    ctx = Context(dict(inventory=inventory), False, False)
    profile = dict(name='bench')
    now = datetime.datetime.now(datetime.timezone.utc)
    aki = x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key())
    csrs = []
    try:
        with ctx.store.transaction() as tx:
            for i in range(count):
                name = 'bulk%05d.bench.test' % i
                key = ec.generate_private_key(ec.SECP256R1())
                csr = (x509.CertificateSigningRequestBuilder()
                       .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
                       .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
                       .sign(key, hashes.SHA256()))
                csr_pem = csr.public_bytes(serialization.Encoding.PEM).decode()
                csrs.append(csr_pem)
                cert = (x509.CertificateBuilder().subject_name(csr.subject).issuer_name(ca_cert.subject)
                        .public_key(key.public_key()).serial_number(x509.random_serial_number())
                        .not_valid_before(now - datetime.timedelta(days=80))
                        .not_valid_after(now + datetime.timedelta(days=10))
                        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                        .add_extension(aki, critical=False)
                        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
                        .sign(ca_key, hashes.SHA256()))
                spki = x509lib.spki_sha256(key.public_key())
                subject = x509lib.normalize_subject(csr.subject)
                sans = ['DNS:' + name]
                request = dict(identity=request_identity('bench', subject, sans, spki), subject=subject,
                               subject_alt_names=sans, spki_sha256=spki, key_source='csr', csr_pem=csr_pem)
                record = new_record(ctx, profile, request, {'host': name})
                record['created_at'] = record['updated_at'] = iso(now - datetime.timedelta(days=80))
                cert_pem = cert.public_bytes(serialization.Encoding.PEM).decode()
                fill_from_certificate(record, Issued(cert_pem, chain, {}))
                record['state'] = 'issued'
                tx.put_certificate(record)
    finally:
        ctx.close()
    return inventory, csrs, (ca_cert, ca_key)


def raw_loop(csrs, ca):
    """The floor: sign the same requests with cryptography and nothing else."""
    from cryptography.hazmat.primitives import serialization
    now = datetime.datetime.now(datetime.timezone.utc)
    signer = raw_signer(ca)
    return [signer(pem, now).public_bytes(serialization.Encoding.PEM) for pem in csrs]


def raw_signer(ca):
    """``sign(csr_pem, now)``: the raw loop's certificate for one CSR (an x509.Certificate)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import ExtendedKeyUsageOID
    ca_cert, ca_key = ca
    aki = x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key())

    def sign(pem, now):
        csr = x509.load_pem_x509_csr(pem.encode())
        san = csr.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        public_key = csr.public_key()
        return (x509.CertificateBuilder().subject_name(csr.subject).issuer_name(ca_cert.subject)
                .public_key(public_key).serial_number(x509.random_serial_number())
                .not_valid_before(now).not_valid_after(now + datetime.timedelta(days=90))
                .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
                .add_extension(aki, critical=False)
                .add_extension(x509.KeyUsage(True, False, False, False, False, False, False, False, False), critical=True)
                .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]),
                               critical=False)
                .add_extension(san, critical=False)
                .sign(ca_key, hashes.SHA256()))
    return sign


# What the timed task asks each entry of its result to carry (certificate_renew's fields);
# renewed_from is in every entry.
FIELDS = ['uuid']


def verify_sample(items, ca_pem, directory, inventory):
    """Independent check of a few renewed certificates: each entry carries what ``fields`` asked,
    names the certificate it renews, and that is the inventory's word too; the PEM the inventory
    holds for it (read through certificate_info, after the timed run) is for the same key as the
    one it renews, and openssl verifies it against the CA."""
    for i, item in enumerate(items):
        if set(item) != {'certificate', 'renewed_from', 'changed', 'reason'} or set(item['certificate']) != set(FIELDS):
            raise AssertionError('entry not shaped by fields %r: %r' % (FIELDS, item))
        if not item['renewed_from'] or item['changed'] is not True:
            raise AssertionError('renewed certificate without its lineage: %r' % item)
        new = info(inventory, item['certificate']['uuid'])
        old = info(inventory, item['renewed_from'])
        if new['lineage']['renewed_from'] != old['uuid'] or new['state'] != 'issued' or \
                new['spki_sha256'] != old['spki_sha256'] or new['serial'] == old['serial']:
            raise AssertionError('the inventory does not hold %r as the renewal of %r' % (new, old))
        path = directory / ('renewed-%d.pem' % i)
        path.write_text(new['certificate_pem'])
        proc = subprocess.run(['openssl', 'verify', '-CAfile', str(ca_pem), str(path)], capture_output=True, text=True, check=False)
        if proc.returncode != 0 or ': OK' not in proc.stdout:
            raise AssertionError('openssl verify failed for %s: %s %s'
                                 % (item['certificate']['uuid'], proc.stdout, proc.stderr))
        proc = subprocess.run(['openssl', 'x509', '-noout', '-serial', '-in', str(path)], capture_output=True,
                              text=True, check=True)
        if proc.stdout.strip().split('=', 1)[1].lower().lstrip('0') != new['serial'].lstrip('0'):
            raise AssertionError('the PEM of %s is not the certificate of its record' % new['uuid'])


def info(inventory, uuid):
    [record] = common.lifecycle_run('info', inventory=inventory, uuid=uuid, include_pem=True)['certificates']
    return record


def sample(items):
    """Five entries spread over the result (first, quarters, last)."""
    n = len(items)
    return [items[i] for i in sorted(set([0, n // 4, n // 2, 3 * n // 4, n - 1]))] if n else []


# ------------------------------------------------------------------ the floor of the target

ACTION_PLUGINS = Path(__file__).resolve().parent / 'action_plugins'


def ansible_floor(n, run_dir):
    """Seconds of an ansible-playbook run of one task returning the timed task's result for ``n``
    certificates, made without any work (action_plugins/bench_renew_result.py): what Ansible
    itself costs for that task and its result."""
    def check(run):
        if len(run.result('renew due')['certificates']) != n:
            raise AssertionError('the floor task returned %d entries, not %d' % (len(run.result('renew due')['certificates']), n))
    return common.play([{'hosts': 'localhost', 'gather_facts': False, 'tasks': [
        {'name': 'renew due', 'bench_renew_result': {'count': n}}]}], run_dir,
        env={'ANSIBLE_ACTION_PLUGINS': str(ACTION_PLUGINS)}, check=check).duration


def required_work(inventory, ca):
    """Seconds of the work the design requires for the sweep, with nothing around it, shared
    over as many processes as the sweep uses: read the due records; per batch of 2,000, store a
    ``requested`` reservation for each (the inventory's own store), sign the raw loop's
    certificate, verify its signature with the CA's key, store it issued with its event."""
    from ansible_collections.pki.lifecycle.plugins.module_utils.inventory.stores import open_store
    from ansible_collections.pki.lifecycle.plugins.module_utils.lifecycle import processes
    start = time.perf_counter()
    store = open_store(inventory)
    try:
        with store.transaction(write=False) as tx:
            records = tx.find_certificates(ra_profile='bench', state='issued')
    finally:
        store.close()
    parts = processes.shares(records)
    children = []
    for part in parts[1:]:
        pid = os.fork()
        if not pid:
            code = 1
            try:
                _required_share(inventory, part, ca)
                code = 0
            finally:
                os._exit(code)  # pylint: disable=protected-access
        children.append(pid)
    _required_share(inventory, parts[0], ca)
    failed = [pid for pid in children if os.waitpid(pid, 0)[1] != 0]
    if failed:
        raise SystemExit('%d process(es) of the required work failed' % len(failed))
    return time.perf_counter() - start, len(parts)


def _required_share(inventory, records, ca):
    import uuid
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from ansible_collections.pki.lifecycle.plugins.module_utils.inventory.stores import open_store
    sign, ca_key = raw_signer(ca), ca[1].public_key()
    store = open_store(inventory)
    for begin in range(0, len(records), 2000):
        batch = []
        with store.transaction() as tx:
            for old in records[begin:begin + 2000]:
                new = dict(old, uuid=str(uuid.uuid4()), state='requested', renewed_from=old['uuid'], serial=None,
                           fingerprint_sha256=None, certificate_pem=None)
                tx.put_certificate(new)
                batch.append(new)
        now = datetime.datetime.now(datetime.timezone.utc)
        for new in batch:
            cert = sign(new['csr_pem'], now)
            ca_key.verify(cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(hashes.SHA256()))
            new.update(state='issued', serial='%x' % cert.serial_number, not_before=cert.not_valid_before_utc.isoformat(),
                       not_after=cert.not_valid_after_utc.isoformat(), fingerprint_sha256=cert.fingerprint(hashes.SHA256()).hex(),
                       certificate_pem=cert.public_bytes(serialization.Encoding.PEM).decode())
        with store.transaction() as tx:
            stamp = now.isoformat()
            for new in batch:
                tx.put_certificate(new)
                tx.add_event(dict(time=stamp, operation='renew', result='changed', certificate_uuid=new['uuid'],
                                  ra_profile='bench', message='Issued serial %s.' % new['serial'], who='bench'))
    store.close()


def floor_rows(n, budget, ours, floor):
    """The table of what the target leaves for lifecycle's own logic (medians)."""
    ansible_s, required_s = common.median(floor['ansible']), common.median(floor['required'])
    left = budget - ansible_s - required_s
    return [
        ['budget of the whole run at 0.3 x the raw loop', budget, 1.0],
        ['ansible-playbook, one task returning the same result, no work', ansible_s, ansible_s / budget],
        ['required work in %d process(es): read, reserve, sign, verify, store, event' % floor['processes'],
         required_s, required_s / budget],
        ['left for everything else (lifecycle\'s logic)', left, left / budget],
        ['ours: the whole run', ours, ours / budget],
        ['ours: what lifecycle\'s logic took (ours - ansible - required)', ours - ansible_s - required_s,
         (ours - ansible_s - required_s) / budget],
    ]


def main():
    args = common.parse_args(__doc__.splitlines()[0])
    sizes = [5] if args.smoke else [100, 1000, 10000]
    if os.environ.get('BENCH_RENEWAL_SIZES') and not args.smoke:  # e.g. 10000: only the target size
        sizes = [int(n) for n in os.environ['BENCH_RENEWAL_SIZES'].split(',')]
    rows = []
    raw = {}
    floor_size = max(sizes)
    floor = dict(ansible=[], required=[], processes=0)
    floor_table = None
    for n in sizes:
        template = args.workdir / ('template-%d' % n)
        setup_s, (inventory, csrs, ca) = common.timed(prepare, template, n)
        print('N=%d: setup %.1f s' % (n, setup_s))
        ours, theirs = [], []
        for r in range(args.runs):
            run_dir = args.workdir / ('run-%d-%d' % (n, r))
            shutil.copytree(template, run_dir)
            inv = 'sqlite://%s' % (run_dir / 'inventory.db')
            # The copy's RA profile uses the copy's CA: runs do not share (and grow) one CA index.
            common.lifecycle_run('ra_profile', inventory=inv, name='bench', state='present', connector='local',
                                 connector_options=dict(directory=str(run_dir / 'ca'), ca_subject='CN=Bench Root CA'),
                                 policy={}, validate=True)

            def check(run, n=n, run_dir=run_dir):
                res = run.result('renew due')
                if res.get('renewed') != n or res.get('errors'):
                    raise AssertionError('renewed %r of %d, errors %r' % (res.get('renewed'), n, res.get('errors')))
                new = set(item['certificate']['uuid'] for item in res['certificates'])
                old = set(item['renewed_from'] for item in res['certificates'])
                if len(new) != n or len(old) != n or new & old:
                    raise AssertionError('%d entries do not name %d distinct renewals of %d distinct certificates'
                                         % (len(res['certificates']), n, n))
                verify_sample(sample(res['certificates']), run_dir / 'ca' / 'ca.pem', run_dir, inv)
            run = common.play([{'hosts': 'localhost', 'gather_facts': False, 'tasks': [
                {'name': 'renew due', 'pki.lifecycle.certificate_renew': {
                    'inventory': inv, 'ra_profile': 'bench', 'due': True, 'fields': FIELDS}}]}], run_dir, check=check)
            issued = common.count_issued(inv)
            if issued != 2 * n:
                raise SystemExit('expected %d issued records after renewal, found %d' % (2 * n, issued))
            seconds, _certs = common.timed(raw_loop, csrs, ca)
            ours.append(run.duration)
            theirs.append(seconds)
            print('  run %d: ours %.2f s, raw loop %.2f s' % (r + 1, run.duration, seconds))
            shutil.rmtree(run_dir, ignore_errors=True)
            if n == floor_size:
                floor['ansible'].append(ansible_floor(n, args.workdir / ('floor-%d' % r)))
                shutil.copytree(template, run_dir)
                required_s, floor['processes'] = required_work('sqlite://%s' % (run_dir / 'inventory.db'), ca)
                if common.count_issued('sqlite://%s' % (run_dir / 'inventory.db')) != 2 * n:
                    raise SystemExit('the required work did not store %d renewals' % n)
                floor['required'].append(required_s)
                shutil.rmtree(run_dir, ignore_errors=True)
                print('  run %d: floor: ansible %.2f s, required work %.2f s' % (r + 1, floor['ansible'][-1], required_s))
            sys.stdout.flush()
        o, t = common.median(ours), common.median(theirs)
        # the median of the per-run ratios: a load spike in one run of either side moves one ratio,
        # not the quotient of two medians taken from different runs
        share = common.median([raw_s / ours_s for ours_s, raw_s in zip(ours, theirs)])
        target = n == 10000
        rows.append([n, o, n / o, t, n / t, share, '>= 0.3' if target else '-',
                     common.verdict(share >= 0.3) if target else '-'])
        raw[n] = dict(ours=ours, raw_loop=theirs, setup=setup_s)
        if n == floor_size:
            raw[n]['floor'] = floor
            floor_table = (n, floor_rows(n, t / 0.3, o, floor))
        shutil.rmtree(template, ignore_errors=True)
    common.print_table('Bench 3: bulk renewal, one certificate_renew due:true task (median of %d runs)' % args.runs,
                       ['N', 'ours s', 'ours cert/s', 'raw loop s', 'raw cert/s', 'ours/raw', 'target', 'verdict'], rows)
    n, table = floor_table
    common.print_table('Bench 3, floor at N=%d: what the target leaves for lifecycle\'s own logic (medians)' % n,
                       ['part', 's', 'of the budget'], table)
    common.save_results('renewal' + ('-smoke' if args.smoke else ''), raw)


if __name__ == '__main__':
    main()
