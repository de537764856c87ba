# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""certificate_info: query the inventory (filters, validation status, counts). Reads only."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import datetime

from ansible_collections.pki.lifecycle.plugins.module_utils import compliance as compliancelib
from ansible_collections.pki.lifecycle.plugins.module_utils import x509 as x509lib
from ansible_collections.pki.lifecycle.plugins.module_utils.lifecycle import checks
from ansible_collections.pki.lifecycle.plugins.module_utils.lifecycle.results import public_record
from ansible_collections.pki.lifecycle.plugins.module_utils.vocabulary import VALIDATION_STATUSES, iso


def _filters(p, now):
    """The store query for the task's filters (validation status is filtered afterwards)."""
    kwargs = dict(ra_profile=p.get('ra_profile'), labels=p.get('labels') or None)
    if p.get('state'):
        kwargs['states'] = list(p['state'])
    if p.get('due_within_days') is not None:
        kwargs['not_after_before'] = iso(now + datetime.timedelta(days=p['due_within_days']))
    if p.get('uuid'):
        kwargs['uuid'] = p['uuid']
    if p.get('serial'):
        kwargs['serial'] = p['serial'].replace(':', '').lower()
    if p.get('subject'):
        kwargs['subject'] = x509lib.normalize_subject(x509lib.parse_subject(p['subject']))
    return kwargs


def op_info(ctx):
    p = ctx.params
    now = ctx.now
    with ctx.store.transaction(write=False) as tx:
        records = tx.find_certificates(**_filters(p, now))
        profiles = dict((r['name'], r) for r in tx.list_ra_profiles())
        events = {}
        check_ctx = checks.context(ctx, tx, profiles) if _wants_compliance(p) else None
        if p.get('include_events'):
            for r in records:
                events[r['uuid']] = tx.list_events(certificate_uuid=r['uuid'])
    if p.get('due_within_days') is not None:
        records = [r for r in records if r['state'] == 'issued']
    wanted = set(p.get('validation_status') or [])
    certificates, counts = [], dict((s, 0) for s in VALIDATION_STATUSES)
    for record in records:
        pol = (profiles.get(record['ra_profile']) or {}).get('policy') or {}
        item = public_record(record, now, pol.get('renew_before'))
        if wanted and item['validation_status'] not in wanted:
            continue
        if p.get('include_pem'):
            item['certificate_pem'] = record.get('certificate_pem') or ''
            item['chain_pem'] = record.get('chain_pem') or ''
        if p.get('include_events'):
            item['events'] = events.get(record['uuid'], [])
        if not _discovery_view(record, item, p, check_ctx, profiles):
            continue
        counts[item['validation_status']] += 1
        certificates.append(item)
    counts['total'] = len(certificates)
    result = dict(changed=False, certificates=certificates, counts=counts)
    if check_ctx is not None:
        result['compliance'] = compliancelib.summary([c['compliance']['findings'] for c in certificates])
    return result


def _wants_compliance(p):
    return bool(p.get('compliance') or p.get('compliance_status') or p.get('compliance_rules'))


def _discovery_view(record, item, p, check_ctx, profiles):
    """Add where the certificate lives (and its compliance findings); False when a discovery
    or compliance filter leaves it out."""
    locations = record.get('locations') or []
    item['locations'] = locations
    item['origin'] = record.get('origin') or 'issued'
    item['replaceable'] = bool(record.get('replaceable'))
    if p.get('origin') and item['origin'] not in p['origin']:
        return False
    if p.get('location_host') and not any(l.get('host') == p['location_host'] for l in locations):
        return False
    if check_ctx is not None:
        item['compliance'] = checks.evaluate(record, profiles, p, check_ctx)
        if p.get('compliance_status') and item['compliance']['status'] not in p['compliance_status']:
            return False
        rules = set(f['rule'] for f in item['compliance']['findings'])
        if p.get('compliance_rules') and not rules.intersection(p['compliance_rules']):
            return False
    return True
