# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one issuance pipeline for issue, renew and rekey: reserve, call the CA, validate,
store, or fail.

1. reserve: a ``requested`` record is stored before any CA is called, so that a crash
   leaves a trace that the next run recovers (asks the CA, else marks it failed);
2. call the CA (issue, renew or resume), then validate what it returned;
3. store: ``issued``, or ``failed`` (kept when the CA may have issued), or the reservation
   deleted (the CA certainly did not issue: the inventory is as it was).

Two entries share these steps: ``issue_one`` (one request; waits for, recovers or finishes
a concurrent or earlier request of the same identity) and ``issue_batch`` (many renewals of
one RA profile: one reservation transaction, the CA called inside ``connector.batch()``,
one store transaction).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import datetime
import os
import socket
import time

from ansible_collections.pki.lifecycle.plugins.module_utils import x509 as x509lib
from ansible_collections.pki.lifecycle.plugins.module_utils.connectors.base import Pending
from ansible_collections.pki.lifecycle.plugins.module_utils.errors import ConnectorError, PkiError, ValidationError
from ansible_collections.pki.lifecycle.plugins.module_utils.lifecycle import failover
from ansible_collections.pki.lifecycle.plugins.module_utils.lifecycle.records import (
    current_for_identity, exists_reason, fill_from_certificate, new_record, with_successors,
)
from ansible_collections.pki.lifecycle.plugins.module_utils.lifecycle.request import (
    common_name, materialize_csr, materialize_key,
)
from ansible_collections.pki.lifecycle.plugins.module_utils.lifecycle.results import CLOCK_SKEW_SECONDS, public_record
from ansible_collections.pki.lifecycle.plugins.module_utils.vocabulary import iso, parse_iso, utcnow


# Both read per call, not at import: in the controller's worker (the action plugins) lifecycle
# is imported once, before a task's `environment:` applies.
def pending_wait_seconds():
    """How long a run waits for another run that is issuing the same certificate."""
    return float(os.environ.get('PKI_LIFECYCLE_PENDING_WAIT', '300'))


def request_lease_seconds():
    """When neither the store nor a pid can tell whether the writer of a 'requested' record (on
    another host) is alive, the record counts as in progress this long after its updated_at."""
    return float(os.environ.get('PKI_LIFECYCLE_REQUEST_LEASE', '240'))


# Reasons both entries store, log and return.
ISSUED = 'Issued serial %s through RA profile %r.'
UNEXPECTED = 'unexpected error: %s'
UNEXPECTED_MESSAGE = 'Issuing failed with an unexpected error: %s.'
UNEXPECTED_HINT = 'The record %s is kept as failed; see the event log.'
INVALID = 'The CA issued a certificate that fails validation: %s'
INVALID_HINT = 'The record %s is stored as failed; check the RA profile and the CA.'
INTERRUPTED = 'interrupted before the CA returned a certificate (writer %s died)'


class Job(object):
    """One request on its way through the pipeline, and what became of it."""

    def __init__(self, request, labels=None, lineage=None, previous=None, attributes=None, validity_days=None):
        self.request = request
        self.labels = dict(labels or {})
        self.lineage = dict(lineage or {})
        self.previous = previous          # the record renewed (the connector's renew()), else None
        self.attributes = attributes or {}
        self.validity_days = validity_days
        self.record = None                # the reservation; after store, the stored record
        self.resuming = False             # finishing a request an earlier call left pending
        self.pending = None               # the CA's Pending: stored as awaiting challenges
        self.csr_pem = None
        self.error = None                 # the PkiError to report
        self.failure = None               # failure_reason of a kept record
        self.keep = False                 # keep the record as failed: the CA may have issued
        self.keep_certificate = False     # ... with the certificate it returned
        self.authorities = None           # the RA profile's CA and its fallbacks (failover.py)

    def fail(self, error, reason, keep, keep_certificate=False):
        self.error, self.failure, self.keep, self.keep_certificate = error, reason, keep, keep_certificate
        if keep_certificate:
            self.record.update(state='failed', failure_reason=reason)


# --------------------------------------------------------------------------- entries

def issue_one(ctx, connector, profile, job, operation, force=False):
    """All steps for one request. Returns (record, changed, reason); reason None when issued.

    In check mode returns (None, True, what would happen) before writing anything. Without
    ``force`` an ``issue`` returns an issued, unexpired certificate of the same identity.
    """
    if not ctx.check_mode:
        # A generated key must exist before the identity (which holds its public key) is decided.
        materialize_key(job.request)
    early = _reserve_one(ctx, connector, profile, job, operation, force)
    if early is not None:
        return early
    _test_pause('after_reserve')
    job.authorities = job.authorities or failover.Authorities(ctx, profile, connector)
    _call_ca(connector, job)
    _test_pause('before_store')
    _store(ctx, profile, operation, [job])
    if job.error is not None:
        raise job.error
    return job.record, True, job.pending.message if job.pending else None


def issue_batch(ctx, connector, profile, jobs, operation):
    """All steps for many requests whose keys exist (renewals of lineage heads), with one
    transaction per step. A job whose previous record already has a successor (done, failed
    or in progress by another run) is not reserved: it is returned for ``issue_one``, which
    waits for, recovers or reports it. Returns (reserved jobs, jobs left for issue_one)."""
    reserved, left = [], []
    with ctx.store.transaction() as tx:
        taken = with_successors(tx, [job.previous['uuid'] for job in jobs if job.previous is not None])
        for job in jobs:
            if job.previous is not None and job.previous['uuid'] in taken:
                left.append(job)
                continue
            job.record = new_record(ctx, profile, job.request, job.labels, job.lineage)
            tx.put_certificate(job.record)
            reserved.append(job)
    _test_pause('batch_after_reserve')
    # The embedded CA holds its lock once and flushes to disk once, on leaving: what it wrote
    # is on disk before the inventory says issued.
    authorities = failover.Authorities(ctx, profile, connector)
    with connector.batch():
        for job in reserved:
            job.authorities = job.authorities or authorities
            _call_ca(connector, job)
    _test_pause('batch_before_store')
    _store(ctx, profile, operation, reserved)
    return reserved, left


# --------------------------------------------------------------------------- 1. reserve

def _reserve_one(ctx, connector, profile, job, operation, force):
    """Decide inside a write transaction and store the reservation (or claim a request an
    earlier call left waiting). Returns None when reserved, else (record, changed, reason)."""
    request = job.request
    wait = pending_wait_seconds()
    deadline = time.time() + wait
    while True:
        with ctx.store.transaction() as tx:
            if not force and operation == 'issue':
                existing = current_for_identity(tx, request['identity'], ctx.now)
                if existing is not None:
                    return existing, False, exists_reason(existing)
            pending = [p for p in tx.find_certificates(identity=request['identity'], state='requested')
                       if operation == 'issue' or p.get('renewed_from') == job.lineage.get('renewed_from')]
            # A request an earlier call left waiting (ACME challenges): this call finishes it.
            awaiting = sorted([p for p in pending if (p.get('connector_data') or {}).get('awaiting_challenges')],
                              key=lambda p: (p['created_at'], p['uuid']))
            if awaiting:
                if ctx.check_mode:
                    return None, True, 'Would finish the pending request %s through RA profile %r.' % (
                        awaiting[-1]['uuid'], profile['name'])
                record = awaiting[-1]
                # Claimed: from now on it is this run's request; another run waits for it.
                record['connector_data'] = dict(record['connector_data'], awaiting_challenges=False)
                record.update(requested_by=ctx.who, updated_at=iso(utcnow()))
                tx.put_certificate(record)
                job.record, job.resuming = record, True
                return None
            alive = [p for p in pending if writer_alive(tx, p)]
            stale = [p for p in pending if p not in alive]
            if not alive and not stale:
                if ctx.check_mode:
                    return None, True, 'Would %s a certificate through RA profile %r.' % (operation, profile['name'])
                job.record = new_record(ctx, profile, request, job.labels, job.lineage)
                tx.put_certificate(job.record)
                _test_pause('during_reserve')
                return None
        # Another run is issuing the same certificate, or one crashed: wait or recover, then decide again.
        for record in stale:
            recover_stale(ctx, connector, record)
        if alive:
            if time.time() > deadline:
                raise ConnectorError('Another run (%s) has been issuing the same certificate for more than %d s.'
                                     % (alive[0].get('requested_by'), wait),
                                     'Wait for it to finish, or check the CA.')
            time.sleep(0.2)
        if operation != 'issue' and alive:
            # For renew and rekey the other run's result is ours: return it once done.
            with ctx.store.transaction(write=False) as tx:
                done = tx.get_certificate(alive[0]['uuid'])
            if done and done['state'] == 'issued':
                return done, False, 'Another run renewed this certificate at the same time (serial %s).' % done['serial']


# --------------------------------------------------------------------------- 2. call the CA, validate

def _call_ca(connector, job):
    """Ask the CA for the reserved job's certificate and validate it; record the outcome in
    ``job`` (issued, pending, or failed with whether the record must be kept). An unavailable
    CA hands the request to the RA profile's fallback (failover.py)."""
    request, record = job.request, job.record
    try:
        if job.resuming:
            # Finish with the CSR the CA's order was made for; a failure leaves the record failed
            # (with its connector data, e.g. the ACME order URL) and a rerun starts afresh.
            csr_pem = record.get('csr_pem') or materialize_csr(request)
            if job.authorities is not None:   # the CA that has the order (maybe a fallback's)
                connector = job.authorities.for_record(record)[1]
            outcome = connector.resume(record, csr_pem)
            if outcome is None:
                raise ConnectorError('The CA has nothing to finish for the pending request %s.' % record['uuid'],
                                     'Run the task again: a new request is made.')
            record['connector_data'] = dict((k, v) for k, v in record['connector_data'].items()
                                            if k not in ('awaiting_challenges', 'challenge_data'))
        else:
            csr_pem = materialize_csr(request)

            def call(ca):
                if job.previous is None:
                    return ca.issue(csr_pem, job.attributes, validity_days=job.validity_days, record=record)
                return ca.renew(csr_pem, job.previous, job.attributes, validity_days=job.validity_days,
                                record=record)
            if job.authorities is None:
                outcome = call(connector)
            else:
                outcome, _profile, connector, facts = failover.ask(job.authorities, call)
                outcome.connector_data['issued_by'] = facts
    except PkiError as exc:
        # Refused, unreachable, bad input found late: forget the reservation, unless the
        # connector says it may have issued (or an earlier call's order is being finished).
        return job.fail(exc, exc.message, keep=job.resuming or bool(exc.details.get('maybe_issued')))
    except Exception as exc:  # pylint: disable=broad-except
        # Unknown failure after the CA may have been called: keep the record for recovery.
        return job.fail(PkiError(UNEXPECTED_MESSAGE % exc, UNEXPECTED_HINT % record['uuid']),
                        UNEXPECTED % exc, keep=True)
    _test_pause('after_ca_call')
    job.csr_pem = csr_pem
    if isinstance(outcome, Pending):
        job.pending = outcome
        return None
    record['csr_pem'] = csr_pem
    try:
        cert = fill_from_certificate(record, outcome, request)
        anchors = job.authorities.anchors(connector) if job.authorities is not None else None
        validate_issued(connector, request, outcome, cert, utcnow(), facts=record, anchors=anchors)
    except PkiError as exc:
        job.fail(None, exc.message, keep=True, keep_certificate=True)
        job.error = ValidationError(INVALID % exc.message, INVALID_HINT % record['uuid'],
                                    details=dict(certificate=public_record(record)))
    return None


def validate_issued(connector, request, issued, cert, now, facts=None, anchors=None):
    """Validate before storing: chain, key, names, validity. ``facts``: the certificate's
    (x509 certificate_facts, or the record fill_from_certificate filled); ``anchors``: the
    connector's trust anchors, parsed (failover.Authorities keeps them for the task)."""
    facts = facts or x509lib.certificate_facts(cert)
    chain = []
    for block in issued.chain_pems:
        chain.extend(x509lib.load_certificates(block))
    if anchors is None:
        anchors = []
        for block in connector.trust_anchors():
            anchors.extend(x509lib.load_certificates(block))
    # A CA clock up to CLOCK_SKEW_SECONDS ahead may date notBefore in our future: accept it, and
    # check the chain at notBefore then. Expiry is checked at now, not now + skew: a certificate
    # of a few minutes (short-lived profiles) is valid, and was refused before.
    skewed = now + datetime.timedelta(seconds=CLOCK_SKEW_SECONDS)
    not_before, not_after = parse_iso(facts['not_before']), parse_iso(facts['not_after'])
    x509lib.verify_chain(cert, chain, anchors, at_time=max(now, min(not_before, skewed)))
    if request['spki_sha256'] and facts['spki_sha256'] != request['spki_sha256']:
        raise ValidationError('The CA returned a certificate for a different public key than the request\'s.')
    issued_sans = set(facts['subject_alt_names'])
    missing = sorted(set(request['subject_alt_names']) - issued_sans)
    if missing:
        raise ValidationError('The issued certificate lacks the requested name(s) %s.' % ', '.join(missing))
    extra = issued_sans - set(request['subject_alt_names'])
    if request.get('common_name'):
        extra.discard('DNS:%s' % request['common_name'].lower())
        extra.discard('IP:%s' % request['common_name'])
    if extra:
        raise ValidationError('The issued certificate names %s, which was not requested.' % ', '.join(sorted(extra)))
    if connector.KEEPS_SUBJECT and request.get('common_name'):
        if common_name(cert.subject) != request['common_name']:
            raise ValidationError('The issued certificate\'s subject %s does not carry the requested CN %s.'
                                  % (facts['subject'], request['common_name']))
    if not (not_before <= skewed and now < not_after):
        raise ValidationError('The issued certificate is not currently valid (%s to %s).'
                              % (facts['not_before'], facts['not_after']))


# --------------------------------------------------------------------------- 3. store or fail

def _store(ctx, profile, operation, jobs):
    """One write transaction for the outcome of every job."""
    with ctx.store.transaction() as tx:
        stamp = iso(utcnow())   # one moment: the transaction's
        for job in jobs:
            record = job.record
            if job.pending is not None:
                current = tx.get_certificate(record['uuid'])
                current['connector_data'] = dict(job.pending.connector_data, awaiting_challenges=True,
                                                 challenge_data=job.pending.challenge_data)
                current.update(csr_pem=job.csr_pem, updated_at=stamp)
                tx.put_certificate(current)
                job.record = current
            elif job.error is None:
                record.update(state='issued', updated_at=stamp)
                tx.put_certificate(record)
                ctx.event(tx, operation, 'changed', ISSUED % (record['serial'], profile['name']), record, stamp=stamp)
            elif job.keep:
                current = record if job.keep_certificate else (tx.get_certificate(record['uuid']) or record)
                current.update(state='failed', failure_reason=job.failure, updated_at=stamp)
                tx.put_certificate(current)
                ctx.event(tx, operation, 'failed', job.failure, current)
                job.record = current
            else:
                tx.delete_certificate(record['uuid'])


# --------------------------------------------------------------------------- crash recovery

def recover_stale(ctx, connector, record, why=None):
    """A 'requested' record whose writer died: ask the CA, else mark it failed (``why``: the
    failure reason; by default, which writer died)."""
    try:
        issued = connector.lookup(record)
    except PkiError:
        issued = None
    with ctx.store.transaction() as tx:
        current = tx.get_certificate(record['uuid'])
        if current is None or current['state'] != 'requested':
            return current
        if issued is not None:
            fill_from_certificate(current, issued)
            current['state'] = 'issued'
            ctx.event(tx, 'recover', 'changed', 'Recovered a certificate the CA issued before a crash.', current)
        else:
            current['state'] = 'failed'
            current['failure_reason'] = why or INTERRUPTED % record.get('requested_by')
            ctx.event(tx, 'recover', 'failed', current['failure_reason'], current)
        current['updated_at'] = iso(utcnow())
        tx.put_certificate(current)
        return current


def _writer_host(requested_by):
    """The host of a ``who()`` string (user@host:pid), or None."""
    try:
        return requested_by.rsplit(':', 1)[0].split('@', 1)[1]
    except (AttributeError, IndexError):
        return None


def _pid_alive(requested_by):
    """Is the process of a ``who()`` string on this host still running?"""
    try:
        pid = int(requested_by.rsplit(':', 1)[1])
    except (AttributeError, ValueError, IndexError):
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def writer_alive(tx, record):
    """Is the writer of a 'requested' record still at work? The store's word first (PostgreSQL
    sees whether that writer's connection is open, on any controller), then the pid when the
    writer ran on this host, else a lease: request_lease_seconds() from the record's updated_at."""
    requested_by = record.get('requested_by')
    known = tx.writer_alive(requested_by) if requested_by else None
    if known is not None:
        return known
    if _writer_host(requested_by) == socket.gethostname():
        return _pid_alive(requested_by)
    try:
        age = (utcnow() - parse_iso(record.get('updated_at'))).total_seconds()
    except (TypeError, ValueError):
        return True
    return age < request_lease_seconds()


def _test_pause(stage):
    """TEST-ONLY crash hook; inert unless the environment variable PKI_LIFECYCLE_TEST_PAUSE_AT
    (comma-separated stage names: during_reserve, after_reserve, after_ca_call, before_store;
    a due sweep's batches: batch_after_reserve, batch_before_store) names ``stage``. Then this
    process writes its pid to $PKI_LIFECYCLE_TEST_PAUSE_DIR/<stage>.<pid> and sleeps, so that the crash-safety tests can SIGKILL it right there.
    Never set it outside tests."""
    stages = os.environ.get('PKI_LIFECYCLE_TEST_PAUSE_AT')
    if not stages or stage not in stages.split(','):
        return
    directory = os.environ.get('PKI_LIFECYCLE_TEST_PAUSE_DIR') or '.'
    with open(os.path.join(directory, '%s.%d' % (stage, os.getpid())), 'w') as handle:
        handle.write(str(os.getpid()))
    time.sleep(float(os.environ.get('PKI_LIFECYCLE_TEST_PAUSE_SECONDS', '120')))
