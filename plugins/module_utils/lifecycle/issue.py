# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""certificate_issue: a certificate through an RA profile. Unchanged when an issued,
unexpired certificate of the same identity (RA profile, subject, names, key) exists."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.pki.lifecycle.plugins.module_utils import policy as policylib
from ansible_collections.pki.lifecycle.plugins.module_utils.lifecycle.context import (
    load_profile, make_connector, merged_attributes,
)
from ansible_collections.pki.lifecycle.plugins.module_utils.lifecycle.pipeline import Job, issue_one
from ansible_collections.pki.lifecycle.plugins.module_utils.lifecycle.records import (
    current_for_identity, exists_reason, update_labels,
)
from ansible_collections.pki.lifecycle.plugins.module_utils.lifecycle.request import resolve_request
from ansible_collections.pki.lifecycle.plugins.module_utils.lifecycle.results import certificate_result, planned_result


def op_issue(ctx):
    p = ctx.params
    with ctx.store.transaction(write=False) as tx:
        profile = load_profile(ctx, tx, p['ra_profile'])
        attributes = merged_attributes(profile, p.get('attributes'))
        request = resolve_request(ctx, tx, profile, p)
        # The no-change path decides in this read snapshot: no write lock, no connector. (When
        # nothing is found, the pipeline decides again under the write lock.)
        existing = None
        if not p.get('force') and request.get('spki_sha256'):
            existing = current_for_identity(tx, request['identity'], ctx.now)
    pol = profile.get('policy') or {}
    policylib.check_validity(pol, p.get('validity_days'))
    validity = policylib.effective_validity(pol, p.get('validity_days'))
    if existing is not None:
        record, changed, reason = existing, False, exists_reason(existing)
    else:
        job = Job(request, p.get('labels'), attributes=attributes, validity_days=validity)
        record, changed, reason = issue_one(ctx, make_connector(ctx, profile), profile, job, 'issue',
                                            force=p.get('force'))
    if record is None:
        return planned_result(reason)
    if changed and reason is None:
        reason = 'Issued a new certificate (serial %s) through RA profile %r%s.' % (
            record['serial'], profile['name'], ' because force is set' if p.get('force') else '')
    if not changed and p.get('labels') and not ctx.check_mode:
        record = update_labels(ctx, record, p['labels'])
    return certificate_result(record, changed, reason, ctx, renew_before=pol.get('renew_before'))
