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
from ansible_collections.pki.lifecycle.plugins.module_utils.lifecycle.records import successors_of
from ansible_collections.pki.lifecycle.plugins.module_utils.lifecycle.results import (
    public_record, record_field, validation_status,
)
from ansible_collections.pki.lifecycle.plugins.module_utils.vocabulary import VALIDATION_STATUSES, iso


def scope_of(p):
    """The task's ``scope``; unset: ``all`` when the task names one certificate (uuid, serial)
    or asks for superseded ones by status, else ``current``."""
    if p.get('scope'):
        return p['scope']
    if p.get('uuid') or p.get('serial') or 'superseded' in (p.get('validation_status') or ()):
        return 'all'
    return 'current'


def in_scope(status, scope):
    """current: every status but superseded; superseded: only that; all: everything."""
    return scope == 'all' or (status == 'superseded') == (scope == 'superseded')


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
    shape = _Shape(p)
    scope = scope_of(p)
    wanted = set(p.get('validation_status') or [])
    certificates, counts, findings = [], dict((s, 0) for s in VALIDATION_STATUSES), []
    apart = 0  # superseded certificates outside the scope: counted, neither listed nor in total
    with ctx.store.transaction(write=False) as tx:
        records = tx.find_certificates(**_filters(p, now))
        profiles = dict((r['name'], r) for r in tx.list_ra_profiles())
        check_ctx = checks.context(ctx, tx, profiles) if _wants_compliance(p) else None
        if p.get('due_within_days') is not None:
            records = [r for r in records if r['state'] == 'issued']
        successors = successors_of(tx, records)
        for record in records:
            pol = (profiles.get(record['ra_profile']) or {}).get('policy') or {}
            successor = successors.get(record['uuid'])
            status = validation_status(record, now, pol.get('renew_before'), successor)
            if wanted and status not in wanted:
                continue
            view = {}
            if not _discovery_view(record, view, p, check_ctx, profiles):
                continue
            if not in_scope(status, scope):
                if status == 'superseded':
                    apart += 1
                continue
            counts[status] += 1
            if check_ctx is not None:
                findings.append(view['compliance']['findings'])
            if shape.room(len(certificates)):
                certificates.append(shape.item(record, status, successor, view, tx))
    counts['total'] = sum(counts.values())  # every match in scope, also those limit/counts_only leave out
    counts['superseded'] += apart
    result = dict(changed=False, certificates=certificates, counts=counts)
    if check_ctx is not None:
        result['compliance'] = compliancelib.summary(findings)
    return result


class _Shape(object):
    """What each returned certificate holds and how many are returned (fields, limit,
    counts_only): large inventories make large results, and every byte of a result is
    serialised, sent to ansible-playbook and handed to each callback."""

    def __init__(self, p):
        self.fields = list(p['fields']) if p.get('fields') else None
        self.limit = 0 if p.get('counts_only') else p.get('limit')
        wanted = set(self.fields or ())
        self.pem = bool(p.get('include_pem')) or bool(wanted & set(('certificate_pem', 'chain_pem')))
        self.events = bool(p.get('include_events')) or 'events' in wanted

    def room(self, returned):
        return self.limit is None or returned < self.limit

    def item(self, record, status, successor, view, tx):
        if self.fields is None:
            item = public_record(record)
        else:  # each key derived alone; status and successor are given
            item = dict((k, record_field(record, k)) for k in self.fields if k not in ('validation_status', 'superseded_by'))
        item['validation_status'] = status  # computed once, with the RA profile's renew_before
        item['superseded_by'] = successor
        item.update(view)  # locations, origin, replaceable, compliance
        if self.pem:
            item['certificate_pem'] = record.get('certificate_pem') or ''
            item['chain_pem'] = record.get('chain_pem') or ''
        if self.events:
            item['events'] = tx.list_events(certificate_uuid=record['uuid'])
        if self.fields is not None:
            item = dict((k, item[k]) for k in self.fields if k in item)
        return item


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
