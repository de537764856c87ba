# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""certificate_rekey: a replacement certificate for a different key. The same key is
refused; unchanged when the newest certificate of the lineage already has the new key."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.pki.lifecycle.plugins.module_utils import policy as policylib
from ansible_collections.pki.lifecycle.plugins.module_utils.errors import InputError
from ansible_collections.pki.lifecycle.plugins.module_utils.lifecycle.context import (
    load_profile, make_connector, merged_attributes, token_store,
)
from ansible_collections.pki.lifecycle.plugins.module_utils.lifecycle.pipeline import Job, issue_one
from ansible_collections.pki.lifecycle.plugins.module_utils.lifecycle.records import find_certificate, lineage_head
from ansible_collections.pki.lifecycle.plugins.module_utils.lifecycle.request import resolve_request
from ansible_collections.pki.lifecycle.plugins.module_utils.lifecycle.results import (
    certificate_result, diff_view, planned_result,
)
from ansible_collections.pki.lifecycle.plugins.module_utils.lifecycle.revoke import normalize_reason, revoke_record


def op_rekey(ctx):
    p = ctx.params
    revoke_reason = normalize_reason(p.get('revoke_reason') or 'superseded')
    with ctx.store.transaction(write=False) as tx:
        given = find_certificate(ctx, tx, p['certificate'], 'rekeyed')
        record = lineage_head(tx, given)
        profile = load_profile(ctx, tx, record['ra_profile'], 'rekey')
        attributes = merged_attributes(profile, p.get('attributes'))
        request = resolve_request(ctx, tx, profile, p, previous=record)
    before = diff_view(record)
    pol = profile.get('policy') or {}
    if request['spki_sha256'] and request['spki_sha256'] == record['spki_sha256']:
        if record['uuid'] != given['uuid'] and record.get('rekeyed_from'):
            return certificate_result(record, False, 'The newest certificate of this lineage (serial %s) already '
                                      'has the requested key.' % record['serial'], ctx, before=before,
                                      renew_before=pol.get('renew_before'))
        raise InputError('The new key is the same key as certificate %s already has.' % record['uuid'],
                         'Rekey needs a different key: give a new CSR, or a new key name with generate_key: true.')
    if record['state'] != 'issued':
        raise InputError('Certificate %s is %s; only issued certificates are rekeyed.' % (record['uuid'], record['state']),
                         'Issue a new certificate with pki.lifecycle.certificate_issue.')
    policylib.check_validity(pol, p.get('validity_days'))
    connector = make_connector(ctx, profile)
    labels = dict(record.get('labels') or {})
    labels.update(p.get('labels') or {})
    job = Job(request, labels, lineage=dict(rekeyed_from=record['uuid']), attributes=attributes,
              validity_days=policylib.effective_validity(pol, p.get('validity_days')))
    new, changed, reason = issue_one(ctx, connector, profile, job, 'rekey', force=True)
    if new is None:
        return planned_result('Would rekey certificate %s.' % record['uuid'])
    reason = reason or 'Rekeyed serial %s as serial %s with a new key.' % (record['serial'], new['serial'])
    if changed and new.get('state') == 'issued' and p.get('revoke_previous'):
        revoke_record(ctx, connector, record, revoke_reason, {})
        reason += ' The previous certificate was revoked.'
    if changed and new.get('state') == 'issued' and p.get('destroy_previous_key') and record['key_source'] == 'token':
        with ctx.store.transaction(write=False) as tx:
            token_name, _sep, key_name = record['key_ref'].partition(':')
            token_store(ctx, tx, record.get('token_profile') or token_name).destroy(key_name)
        reason += ' The previous key was destroyed.'
    return certificate_result(new, changed, reason, ctx, before=before, renew_before=pol.get('renew_before'))
