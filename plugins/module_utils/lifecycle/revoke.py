# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""certificate_revoke: revoke with an RFC 5280 reason. Unchanged when already revoked."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.pki.lifecycle.plugins.module_utils.errors import InputError
from ansible_collections.pki.lifecycle.plugins.module_utils.lifecycle import failover
from ansible_collections.pki.lifecycle.plugins.module_utils.lifecycle.context import (
    load_profile, make_connector, merged_attributes,
)
from ansible_collections.pki.lifecycle.plugins.module_utils.lifecycle.records import find_certificate, superseded_by
from ansible_collections.pki.lifecycle.plugins.module_utils.lifecycle.results import certificate_result, diff_view
from ansible_collections.pki.lifecycle.plugins.module_utils.vocabulary import REVOCATION_REASONS, iso, parse_iso, utcnow


def normalize_reason(reason):
    """An RFC 5280 reason name, whatever its case, underscores or spaces; None: unspecified."""
    text = (reason or 'unspecified').strip()
    for name in REVOCATION_REASONS:
        if text.lower().replace('_', '').replace(' ', '') == name.lower():
            return name
    raise InputError('Unknown revocation reason %r.' % (reason,),
                     'Use one of RFC 5280\'s reasons: %s.' % ', '.join(REVOCATION_REASONS))


def revoke_record(ctx, connector, record, reason, attributes):
    """Revoke at the CA, then record it. Returns (stored record, the connector's facts)."""
    if record.get('replaceable'):
        # Adopted from another CA: the profile's CA cannot revoke it. Retired in the inventory;
        # the event says so, and its issuer must be asked separately.
        facts = dict(revoked_at_ca=False)
    elif expired(record):
        # No relying party accepts it any more, and its CA may be gone (retired after a rollover):
        # asking the CA could only fail. Retired in the inventory; the CA's CRL is left alone.
        facts = dict(revoked_at_ca=False, expired=True)
    else:
        facts = connector.revoke(record['certificate_pem'], record['serial'], reason, attributes) or {}
    with ctx.store.transaction() as tx:
        current = tx.get_certificate(record['uuid'])
        stamp = iso(utcnow())
        current.update(state='revoked', revocation_reason=reason, revoked_at=stamp, updated_at=stamp)
        tx.put_certificate(current)
        ctx.event(tx, 'revoke', 'changed', 'Revoked serial %s (%s).' % (current['serial'], reason), current)
    return current, facts


def expired(record):
    not_after = record.get('not_after')
    return bool(not_after) and parse_iso(not_after) <= utcnow()


def op_revoke(ctx):
    p = ctx.params
    reason = normalize_reason(p.get('reason'))
    with ctx.store.transaction(write=False) as tx:
        record = find_certificate(ctx, tx, p['certificate'], 'revoked')
        successor = superseded_by(tx, record)
        before = diff_view(record)
        if record['state'] == 'revoked':
            return certificate_result(record, False, 'Already revoked (%s) at %s.' % (
                record['revocation_reason'], record['revoked_at']), ctx, before=before, superseded_by=successor)
        if record['state'] != 'issued':
            raise InputError('Certificate %s is %s; there is nothing the CA could revoke.' % (record['uuid'], record['state']),
                             'Only issued certificates are revoked.')
        profile = load_profile(ctx, tx, record['ra_profile'], 'revoke')
        attributes = merged_attributes(profile, p.get('attributes'), 'revoke')
    if ctx.check_mode:
        after = dict(record, state='revoked', revocation_reason=reason)
        return certificate_result(after, True, 'Would revoke serial %s (%s).' % (record['serial'], reason), ctx,
                                  before=before, superseded_by=successor)
    # A certificate a fallback RA profile's CA issued is revoked there (failover.py).
    connector = failover.Authorities(ctx, profile, None).for_record(record)[1] or make_connector(ctx, profile)
    current, facts = revoke_record(ctx, connector, record, reason, attributes)
    message = 'Revoked serial %s with reason %s.' % (current['serial'], reason)
    if facts.get('expired'):
        message = ('Retired serial %s (%s) in the inventory only: it expired at %s, so the CA was not asked '
                   '(no relying party accepts it; its CA may be retired).'
                   % (current['serial'], reason, current['not_after']))
    elif facts.get('revoked_at_ca') is False:
        message = ('Retired serial %s (%s) in the inventory only: %s issued it, not the CA of RA profile %r; '
                   'ask that CA to revoke it.' % (current['serial'], reason, current.get('issuer'), current['ra_profile']))
    result = certificate_result(current, True, message, ctx, before=before, superseded_by=successor)
    result.update(dict((k, facts[k]) for k in ('crl_path', 'crl_number') if k in facts))
    return result
