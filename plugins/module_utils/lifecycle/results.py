# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What modules return: the public view of a record, its derived validation status, the
diff, and the result dict of a certificate operation."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import datetime
import re

from ansible_collections.pki.lifecycle.plugins.module_utils import policy as policylib
from ansible_collections.pki.lifecycle.plugins.module_utils import x509 as x509lib
from ansible_collections.pki.lifecycle.plugins.module_utils.vocabulary import PEM_FIELDS, parse_iso, utcnow

# How far a certificate's notBefore may lie in the future and still count as valid.
CLOCK_SKEW_SECONDS = 300

PUBLIC_FIELDS = (
    'uuid', 'serial', 'subject', 'subject_alt_names', 'issuer', 'not_before', 'not_after',
    'fingerprint_sha256', 'spki_sha256', 'state', 'ra_profile', 'labels', 'key_source',
    'token_profile', 'key_ref', 'revocation_reason', 'revoked_at', 'failure_reason',
    'created_at', 'updated_at')
DIFF_FIELDS = (
    'state', 'serial', 'subject', 'subject_alt_names', 'issuer', 'not_before', 'not_after',
    'fingerprint_sha256', 'spki_sha256', 'revocation_reason', 'labels')


def renewal_opens(record, renew_before=None):
    """When the ``renew_before`` window of ``record`` opens (an aware datetime)."""
    not_before, not_after = parse_iso(record['not_before']), parse_iso(record['not_after'])
    window = policylib.renewal_window_seconds(renew_before, (not_after - not_before).total_seconds())
    return not_after - datetime.timedelta(seconds=window)


def validation_status(record, now=None, renew_before=None, superseded_by=None):
    """Derived, never stored: valid, expiring, expired, revoked, invalid, superseded.

    ``superseded_by``: the uuid of the certificate that replaced this one by a renewal or rekey
    (records.superseded_by). A replaced certificate is superseded whatever its dates, so that
    predecessors kept for their history never count as expired or expiring; a revoked one
    stays revoked."""
    now = now or utcnow()
    state = record.get('state')
    if state == 'revoked':
        return 'revoked'
    if superseded_by:
        return 'superseded'
    # A discovered certificate has a validity like an issued one: derived the same way.
    if state not in ('issued', 'discovered') or not record.get('not_after'):
        return 'invalid'
    not_before, not_after = parse_iso(record['not_before']), parse_iso(record['not_after'])
    if now >= not_after:
        return 'expired'
    if now < not_before - datetime.timedelta(seconds=CLOCK_SKEW_SECONDS):
        return 'invalid'
    if now >= renewal_opens(record, renew_before):
        return 'expiring'
    return 'valid'


# The keys of public_record derived from the record rather than stored in it.
DERIVED_FIELDS = ('validation_status', 'superseded_by', 'lineage', 'issued_by')


def record_field(record, key, now=None, renew_before=None, superseded_by=None):
    """One key of public_record, derived alone: a narrow ``fields`` list (certificate_info, a due
    sweep) needs no full public record per certificate."""
    if key == 'validation_status':
        return validation_status(record, now, renew_before, superseded_by)
    if key == 'superseded_by':
        return superseded_by
    if key == 'lineage':
        return dict(renewed_from=record.get('renewed_from'), rekeyed_from=record.get('rekeyed_from'))
    if key == 'issued_by':
        return issued_by(record)
    return record.get(key)


def public_record(record, now=None, renew_before=None, superseded_by=None):
    """The record as modules return it: no PEMs (those are returned beside it)."""
    return dict((k, record_field(record, k, now, renew_before, superseded_by))
                for k in PUBLIC_FIELDS + DERIVED_FIELDS)


def issued_by(record):
    """Which authority issued the record (failover.py keeps it in the connector data), and the
    CA's certificate profile when the order named one."""
    data = record.get('connector_data') or {}
    facts = dict(data.get('issued_by') or {})
    if data.get('profile'):
        facts['certificate_profile'] = data['profile']
    return facts


def diff_view(record):
    if not record:
        return {}
    return dict((k, record.get(k)) for k in DIFF_FIELDS)


def with_diff(ctx, result, before, after):
    if ctx.diff_mode:
        result['diff'] = dict(before=before, after=after)
    return result


_PEM_BLOCK = re.compile(r'-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----\n?', re.S)


# (stored chain, chain_includes_root) -> chain_and_root's answer: a due sweep returns
# thousands of certificates with the same chain.
_CHAIN_AND_ROOT = {}


def chain_and_root(record):
    """(chain_pem, root_pem) to return: the root is the self-signed certificate the stored
    chain ends with. A server sends chain_pem, so the trust anchor stays out of it unless the
    connector recorded chain_includes_root (the embedded CA's option); records without the flag
    (other connectors, older records) keep their chain as the CA returned it."""
    key = (record.get('chain_pem') or '', (record.get('connector_data') or {}).get('chain_includes_root'))
    if key not in _CHAIN_AND_ROOT:
        if len(_CHAIN_AND_ROOT) > 64:
            _CHAIN_AND_ROOT.clear()
        _CHAIN_AND_ROOT[key] = _chain_and_root(record)
    return _CHAIN_AND_ROOT[key]


def _chain_and_root(record):
    stored = record.get('chain_pem') or ''
    blocks = _PEM_BLOCK.findall(stored)
    # Not a certificate (a result is no place to fail: the chain is returned as stored), or no root.
    if not blocks or not x509lib.self_issued(blocks[-1]):
        return stored, ''
    root = blocks[-1] if blocks[-1].endswith('\n') else blocks[-1] + '\n'
    if (record.get('connector_data') or {}).get('chain_includes_root') is False:
        return ''.join(blocks[:-1]), root
    return stored, root


def certificate_result(record, changed, reason, ctx, before=None, renew_before=None, superseded_by=None):
    chain, root = chain_and_root(record)
    cert = record.get('certificate_pem') or ''
    result = dict(
        changed=changed, reason=reason,
        certificate=public_record(record, ctx.now, renew_before, superseded_by),
        certificate_pem=cert, chain_pem=chain, root_pem=root,
        fullchain_pem=(cert + chain) if cert else '',
    )
    if changed and (record.get('connector_data') or {}).get('warning'):
        result['warnings'] = [record['connector_data']['warning']]   # e.g. a CA near its end of life
    if record.get('state') == 'requested' and (record.get('connector_data') or {}).get('challenge_data'):
        result['challenge_data'] = record['connector_data']['challenge_data']
    before = before or {}
    return with_diff(ctx, result, before, diff_view(record) if changed else before)


def certificate_entry(record, changed, reason, ctx, fields, renew_before=None, superseded_by=None):
    """certificate_result narrowed to ``fields`` (a due sweep's option of the same name, in
    certificate_info's vocabulary): ``certificate`` holds only the record keys named, the PEM
    keys named sit beside it, and changed/reason always. Built from the record directly, never
    by narrowing the full result: a sweep returns thousands of entries. Without ``fields``,
    the full certificate_result."""
    if not fields:
        return certificate_result(record, changed, reason, ctx, renew_before=renew_before,
                                  superseded_by=superseded_by)
    item = dict(changed=changed, reason=reason, certificate=dict(
        (k, record_field(record, k, ctx.now, renew_before, superseded_by)) for k in fields if k not in PEM_FIELDS))
    pems = [k for k in fields if k in PEM_FIELDS]
    if pems:
        cert = record.get('certificate_pem') or ''
        chain, root = chain_and_root(record) if set(pems) - set(['certificate_pem']) else ('', '')
        values = dict(certificate_pem=cert, chain_pem=chain, root_pem=root, fullchain_pem=(cert + chain) if cert else '')
        item.update((k, values[k]) for k in pems)
    data = record.get('connector_data') or {}
    if changed and data.get('warning'):
        item['warnings'] = [data['warning']]
    if record.get('state') == 'requested' and data.get('challenge_data'):
        item['challenge_data'] = data['challenge_data']
    return with_diff(ctx, item, {}, diff_view(record) if changed else {})


def planned_result(reason):
    """Check mode before anything exists: what would happen, no certificate yet."""
    return dict(changed=True, reason=reason, certificate={}, certificate_pem='', chain_pem='', root_pem='',
                fullchain_pem='')
