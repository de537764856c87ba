# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""certificate_renew: one certificate, or every due one (``due: true``), with the same key
and the information in the inventory. Unchanged until the renewal window opens."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.pki.lifecycle.plugins.module_utils import policy as policylib
from ansible_collections.pki.lifecycle.plugins.module_utils import x509 as x509lib
from ansible_collections.pki.lifecycle.plugins.module_utils.errors import InputError, PkiError
from ansible_collections.pki.lifecycle.plugins.module_utils.lifecycle.context import (
    cached_connector, load_profile, merged_attributes,
)
from ansible_collections.pki.lifecycle.plugins.module_utils.lifecycle.pipeline import (
    Job, issue_batch, issue_one, recover_stale, writer_alive,
)
from ansible_collections.pki.lifecycle.plugins.module_utils.lifecycle import processes, renewal_info
from ansible_collections.pki.lifecycle.plugins.module_utils.lifecycle.records import (
    find_certificate, lineage_head, with_successors,
)
from ansible_collections.pki.lifecycle.plugins.module_utils.lifecycle.request import renewal_request
from ansible_collections.pki.lifecycle.plugins.module_utils.lifecycle.results import (
    certificate_entry, certificate_result, diff_view, renewal_opens,
)
from ansible_collections.pki.lifecycle.plugins.module_utils.vocabulary import iso

# Due certificates renewed per batch (one reservation and one store transaction each, and one
# flush to disk of the embedded CA). Well below x509.base.CACHE_LIMIT: the batch's CSRs, read
# when its requests are built, are found again when the CA signs them.
RENEW_BATCH_SIZE = 2000


# The failure reason of a renewal whose sweep process died before the CA returned a certificate.
SHARE_INTERRUPTED = 'interrupted before the CA returned a certificate (the sweep process renewing it failed: %s)'


# --------------------------------------------------------------------------- the due decision

def due_state(record, renew_before, now, connector=None):
    """Due when ``now`` reaches the CA's suggested renewal window (ACME ARI) when the
    connector offers one, else the ``renew_before`` window. Returns (due, opens)."""
    window = None
    if connector is not None:
        try:
            window = connector.renewal_window(record)
        except PkiError:
            window = None   # the CA's advice is optional: fall back to renew_before
    opens = window[0].replace(microsecond=0) if window else renewal_opens(record, renew_before)
    return now >= opens, opens


def renew_before_of(p, profile):
    """The ``renew_before`` window in force: the task's, else the RA profile policy's (else None)."""
    return p.get('renew_before') or (profile.get('policy') or {}).get('renew_before')


def renewal_due(ctx, record, p, profile, connectors):
    """The one due decision for renew and ``due: true``: returns (due, opens, renew_before).

    An explicit ``renew_before`` on the task wins over the CA's suggested window (ACME ARI);
    the RA profile's ``renew_before`` is only the fallback when the CA suggests none.
    ``connectors`` caches the RA profile's connector (name -> connector) for the task.
    """
    renew_before = renew_before_of(p, profile)
    advisor = None
    if not p.get('renew_before'):
        try:   # the CA may suggest the window; a connector error is reported later, if due
            advisor = cached_connector(ctx, connectors, profile)
        except PkiError:
            advisor = None
    due, opens = due_state(record, renew_before, ctx.now, advisor)
    return due, opens, renew_before


def renewed_reason(record, new, p, due, opens):
    return 'Renewed serial %s as serial %s (%s).' % (
        record['serial'], new['serial'], 'forced' if p.get('force') and not due else 'due since %s' % iso(opens))


# --------------------------------------------------------------------------- one certificate

def op_renew(ctx):
    p = ctx.params
    if p.get('due'):
        return renew_due(ctx)
    if p.get('fields'):
        raise InputError('fields shapes the entries of certificates, which only due: true returns.',
                         'Drop fields when renewing one certificate (its result is certificate and the PEMs), '
                         'or set due: true.')
    with ctx.store.transaction(write=False) as tx:
        if p.get('certificate'):
            target = find_certificate(ctx, tx, p['certificate'], 'renewed')
        else:
            target = find_by_subject(ctx, tx, p)
    before = diff_view(target)
    record, changed, reason, renew_before = renew_one(ctx, target, p)
    return certificate_result(record, changed, reason, ctx, before=before, renew_before=renew_before)


def find_by_subject(ctx, tx, p):
    if p.get('subject') is None:
        raise InputError('certificate_renew needs certificate, or ra_profile with subject.',
                         'Name the certificate by uuid or serial, or give subject.')
    load_profile(ctx, tx, p['ra_profile'], 'renew')
    subject = x509lib.normalize_subject(x509lib.parse_subject(p['subject']))
    found = [r for r in tx.find_certificates(ra_profile=p['ra_profile'], state='issued', labels=p.get('labels') or None)
             if r['subject'] == subject]
    if not found:
        raise InputError('No issued certificate with subject %s in RA profile %r.' % (subject, p['ra_profile']),
                         'Only certificates issued through an RA profile can be renewed; issue it first.')
    heads = set(lineage_head(tx, r)['uuid'] for r in found)
    if len(heads) > 1:
        raise InputError('%d certificates in RA profile %r have subject %s.' % (len(heads), p['ra_profile'], subject),
                         'Name the certificate by uuid.')
    return found[0]


def renew_one(ctx, target, p, connector=None, profile=None):
    """Renew the newest certificate of ``target``'s lineage, when due (or forced).

    Returns (record, changed, reason, renew_before)."""
    with ctx.store.transaction(write=False) as tx:
        record = lineage_head(tx, target)
        if record['state'] == 'revoked':
            raise InputError('Certificate %s is revoked; a revoked certificate is not renewed.' % record['uuid'],
                             'Issue a new certificate with pki.lifecycle.certificate_issue.')
        if record['state'] != 'issued':
            raise InputError('Certificate %s is %s, not issued; only issued certificates are renewed.'
                             % (record['uuid'], record['state']),
                             'Issue it again with pki.lifecycle.certificate_issue.')
        profile = profile or load_profile(ctx, tx, record['ra_profile'], 'renew')
        connectors = {profile['name']: connector} if connector is not None else {}
        due, opens, renew_before = renewal_due(ctx, record, p, profile, connectors)
        job = None
        if due or p.get('force'):
            job = _renewal_job(ctx, tx, profile, record, p, merged_attributes(profile, p.get('attributes')))
    # The CA's window and its Retry-After, kept on the record (after the read transaction).
    renewal_info.keep(ctx, connectors.get(profile['name']), record)
    if job is None:
        return record, False, 'Not due: valid until %s; the renewal window opens %s.%s' % (
            record['not_after'], iso(opens), renewal_info.explained(connectors.get(profile['name']), record)), \
            renew_before
    new, changed, reason = issue_one(ctx, cached_connector(ctx, connectors, profile), profile, job, 'renew',
                                     force=True)
    if new is None:
        return record, True, 'Would renew certificate %s (serial %s).' % (record['uuid'], record['serial']), \
            renew_before
    if changed and reason is None:
        reason = renewed_reason(record, new, p, due, opens) + renewal_info.explained(
            connectors.get(profile['name']), record)
    return new, changed, reason, renew_before


def _renewal_job(ctx, tx, profile, record, p, attributes):
    validity = policylib.effective_validity(profile.get('policy') or {}, p.get('validity_days'))
    return Job(renewal_request(ctx, tx, profile, record, p), record.get('labels'),
               lineage=dict(renewed_from=record['uuid']), previous=record, attributes=attributes,
               validity_days=validity)


# --------------------------------------------------------------------------- every due certificate

def renew_due(ctx):
    """Renew every due certificate (lineage heads only) of an RA profile and/or labels, in one task."""
    p = ctx.params
    results, errors, connectors = [], [], {}
    with ctx.store.transaction(write=False) as tx:
        profiles = {}
        if p.get('ra_profile'):
            profiles[p['ra_profile']] = load_profile(ctx, tx, p['ra_profile'], 'renew')
    if not ctx.check_mode:
        processes.sweep_processes()   # a bad PKI_LIFECYCLE_SWEEP_PROCESSES fails before anything is written
        _recover(ctx, profiles, connectors, lambda tx, r: not writer_alive(tx, r))
    with ctx.store.transaction(write=False) as tx:
        candidates = tx.find_certificates(ra_profile=p.get('ra_profile'), state='issued', labels=p.get('labels') or None)
        children = with_successors(tx, None, states=('issued', 'revoked', 'requested'))
        heads = [r for r in candidates if r['uuid'] not in children]
        for r in heads:
            if r['ra_profile'] not in profiles:
                profiles[r['ra_profile']] = tx.get_ra_profile(r['ra_profile'])
    batches = {}  # RA profile -> [(record, due, opens)]
    for record in heads:
        profile = profiles.get(record['ra_profile'])
        if profile is None or not profile.get('enabled', True):
            continue
        due, opens, _renew_before = renewal_due(ctx, record, p, profile, connectors)
        renewal_info.keep(ctx, connectors.get(profile['name']), record)
        if not due and not p.get('force'):
            continue
        try:
            connector = cached_connector(ctx, connectors, profile)
        except PkiError as exc:
            errors.append(_renew_error(record, exc))
            continue
        if ctx.check_mode:
            _renew_single(ctx, record, p, connector, profile, results, errors)
        else:
            batches.setdefault(profile['name'], []).append((record, due, opens))
    for name, items in batches.items():
        connector, profile = connectors[name], profiles[name]
        parts = processes.shares(items) if connector.can_fork() else [items]
        for part, outcome in zip(parts, processes.run_split(
                ctx, parts, lambda ctx, part: _renew_share(ctx, part, p, connector, profile))):
            if isinstance(outcome, processes.ShareFailed):
                _share_failed(ctx, part, p, profiles, connectors, outcome, results, errors)
            else:
                results.extend(outcome[0])
                errors.extend(outcome[1])
    renewed = sum(1 for r in results if r['changed'])
    result = dict(changed=renewed > 0, renewed=renewed, certificates=results, errors=errors,
                  reason='Renewed %d due certificate(s)%s.' % (renewed, ', %d failed' % len(errors) if errors else '')
                  if renewed or errors else 'No certificate is due for renewal.')
    if errors:
        raise PkiError('%d of %d due certificate(s) could not be renewed: %s' % (
            len(errors), len(errors) + renewed, '; '.join('%s: %s' % (e['subject'], e['msg']) for e in errors)),
            'The others were renewed; fix the cause and run again.', details=result)
    return result


def _recover(ctx, profiles, connectors, stale, why=None):
    """Renewals left ``requested`` by a run that died (a crash; a sweep process that failed):
    asked of the CA as issue_one asks for one, they end issued or failed, and a head whose
    renewal failed is due again. ``stale(tx, record)``: whether to recover that record; ``why``:
    the failure reason of one the CA did not issue (default: its writer died).
    Returns the recovered records by the uuid they renew."""
    p = ctx.params
    with ctx.store.transaction(write=False) as tx:
        found = [r for r in tx.find_certificates(ra_profile=p.get('ra_profile'), state='requested',
                                                 labels=p.get('labels') or None)
                 if r.get('renewed_from') and stale(tx, r)]
        for r in found:
            if r['ra_profile'] not in profiles:
                profiles[r['ra_profile']] = tx.get_ra_profile(r['ra_profile'])
    recovered = {}
    for record in found:
        profile = profiles.get(record['ra_profile'])
        try:
            connector = cached_connector(ctx, connectors, profile) if profile else None
        except PkiError:
            connector = None
        if connector is not None:
            recovered[record['renewed_from']] = recover_stale(ctx, connector, record, why)
    return recovered


def _share_failed(ctx, items, p, profiles, connectors, failure, results, errors):
    """A sweep process died: what it left requested is recovered now (its writer, this run,
    is alive, so no later run would); a renewal the CA made counts, the rest are errors."""
    uuids = set(record['uuid'] for record, _due, _opens in items)
    recovered = _recover(ctx, profiles, connectors,
                         lambda tx, r: r['renewed_from'] in uuids and r.get('requested_by') == ctx.who,
                         SHARE_INTERRUPTED % failure)
    for record, due, opens in items:
        new = recovered.get(record['uuid'])
        if new is not None and new.get('state') == 'issued':
            reason = renewed_reason(record, new, p, due, opens) + ' Recovered after its renewal process failed.'
            _append_result(ctx, results, record, new, True, reason, renew_before_of(p, profiles[record['ra_profile']]))
        else:
            errors.append(_renew_error(record, PkiError(
                'The process renewing it failed: %s' % failure,
                'Run the task again: it is renewed then.')))


def _renew_share(ctx, items, p, connector, profile):
    """One process's share of a due sweep, in batches; returns (results, errors)."""
    results, errors = [], []
    for start in range(0, len(items), RENEW_BATCH_SIZE):
        renew_batch(ctx, items[start:start + RENEW_BATCH_SIZE], p, connector, profile, results, errors)
    return results, errors


def renew_batch(ctx, items, p, connector, profile, results, errors):
    """Renew many due lineage heads of one RA profile through the pipeline's batched entry
    (three transactions for the batch, not three each). A head the pipeline leaves out (it
    has a renewal or rekey already, done or in progress) goes through renew_one, which waits
    for, recovers or reports it. Appends to ``results`` / ``errors``."""
    renew_before = renew_before_of(p, profile)
    try:
        attributes = merged_attributes(profile, p.get('attributes'))
        connector.trust_anchors()  # the CA is there and loads, before anything is reserved
    except PkiError as exc:
        errors.extend(_renew_error(record, exc) for record, _due, _opens in items)
        return
    jobs, why = [], {}
    with ctx.store.transaction(write=False) as tx:
        for record, due, opens in items:
            try:
                jobs.append(_renewal_job(ctx, tx, profile, record, p, attributes))
            except PkiError as exc:
                errors.append(_renew_error(record, exc))
            why[record['uuid']] = (due, opens)
    done, left = issue_batch(ctx, connector, profile, jobs, 'renew')
    for job in done:
        record = job.previous
        if job.error is not None:
            errors.append(_renew_error(record, job.error))
            continue
        reason = job.pending.message if job.pending else renewed_reason(record, job.record, p, *why[record['uuid']])
        _append_result(ctx, results, record, job.record, True, reason, renew_before)
    for job in left:
        _renew_single(ctx, job.previous, p, connector, profile, results, errors)


def _renew_single(ctx, record, p, connector, profile, results, errors):
    try:
        new, changed, reason, renew_before = renew_one(ctx, record, p, connector, profile)
    except PkiError as exc:
        errors.append(_renew_error(record, exc))
        return
    _append_result(ctx, results, record, new, changed, reason, renew_before)


def _append_result(ctx, results, record, new, changed, reason, renew_before):
    item = certificate_entry(new, changed, reason, ctx, ctx.params.get('fields'), renew_before=renew_before)
    item['renewed_from'] = record['uuid']
    results.append(item)


def _renew_error(record, exc):
    return dict(uuid=record['uuid'], subject=record['subject'], labels=record.get('labels'), msg=str(exc))
