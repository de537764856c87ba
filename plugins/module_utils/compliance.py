# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Compliance: check certificate records against their RA profile's policy and a baseline.

Derived, never stored (like validation_status): the answer depends on the record, the
profiles and the time. ``check(record, profile_policy, context)`` returns a list of findings,
one per rule broken::

    {"rule": "weak_key", "severity": "high", "message": "RSA 1024 bits: below 2048.",
     "fix": "Rekey with an RSA key of at least 2048 bits or an EC key."}

Rules (RULES below): weak_key, key_type_not_allowed, weak_signature, validity_too_long,
names_not_allowed, missing_san, self_signed_leaf, unknown_issuer, expired, expiring,
revoked_deployed. A discovered record (no RA profile) is checked against the baseline only,
unless ``against`` names a profile (what adoption into it would mean).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import datetime

from ansible_collections.pki.lifecycle.plugins.module_utils import policy as policylib
from ansible_collections.pki.lifecycle.plugins.module_utils import x509 as x509lib
from ansible_collections.pki.lifecycle.plugins.module_utils.errors import PkiError
from ansible_collections.pki.lifecycle.plugins.module_utils.vocabulary import POLICY_CURVES, parse_iso

RULES = {
    'weak_key': 'high', 'key_type_not_allowed': 'medium', 'weak_signature': 'high',
    'validity_too_long': 'medium', 'names_not_allowed': 'medium', 'missing_san': 'medium',
    'self_signed_leaf': 'medium', 'unknown_issuer': 'medium', 'expired': 'high',
    'expiring': 'medium', 'revoked_deployed': 'high',
}
# The baseline applies to every certificate; a profile's policy tightens it.
BASELINE = dict(min_rsa_bits=2048, min_ec_bits=256, max_validity_days=398, expiring_days=30,
                weak_digests=('md5', 'sha1'))
_EC_BITS = {'P-256': 256, 'P-384': 384, 'P-521': 521, 'secp192r1': 192, 'secp224r1': 224}


def baseline(overrides=None):
    out = dict(BASELINE)
    out.update(dict((k, v) for k, v in (overrides or {}).items() if v is not None))
    return out


def _finding(rule, message, fix):
    return dict(rule=rule, severity=RULES[rule], message=message, fix=fix)


def _cert(record):
    pem = record.get('certificate_pem')
    if not pem:
        return None
    try:
        return x509lib.load_certificate(pem)
    except PkiError:
        return None


class Context(object):
    """What checking needs beyond one record: anchors (certificates known to be trusted
    issuers), issuer names of certificates issued through the profiles, the time, the baseline."""

    def __init__(self, now, anchors=(), known_issuers=(), base=None):
        self.now = now
        self.anchors = list(anchors)
        self.known_issuers = set(known_issuers)
        self.base = base or baseline()


def check(record, pol, ctx):
    """Findings for ``record`` (a certificate record with certificate_pem); ``pol`` the
    normalised policy of its RA profile, or {}."""
    cert = _cert(record)
    if cert is None:
        return []
    info = x509lib.certificate_info(cert)
    findings = []
    base = ctx.base
    findings.extend(_key(info, pol, base))
    digest = info.get('signature_digest')
    if digest in base['weak_digests']:
        findings.append(_finding('weak_signature', 'Signed with %s (%s).' % (info['signature_algorithm'], digest.upper()),
                                 'Replace it with a certificate signed with SHA-256 or better.'))
    if not info['is_ca']:
        days = (parse_iso(info['not_after']) - parse_iso(info['not_before'])).total_seconds() / 86400.0
        limit = pol.get('max_validity_days') or base['max_validity_days']
        if days > float(limit) + 1:   # a day of slack: CAs backdate not_before
            findings.append(_finding('validity_too_long', 'Valid for %d days; at most %d allowed%s.' % (
                days, int(limit), ' by the RA profile' if pol.get('max_validity_days') else ' (baseline)'),
                'Renew it through an RA profile with max_validity_days set.'))
    names = info['subject_alt_names']
    if not names and not info['is_ca']:
        findings.append(_finding('missing_san', 'No subjectAltName: clients ignore the CN.',
                                 'Replace it with a certificate that lists its names as SANs.'))
    if pol.get('allowed_names'):
        cn = _common_name(info['subject'])
        try:
            policylib.check_names(pol, cn, names)
        except PkiError as exc:
            findings.append(_finding('names_not_allowed', str(exc), 'Replace it with names the profile allows, '
                                     'or bind it to a profile that allows them.'))
    if info['self_signed'] and not info['is_ca']:
        findings.append(_finding('self_signed_leaf', 'Self-signed end-entity certificate.',
                                 'Replace it with one issued through an RA profile.'))
    elif not _known_issuer(record, cert, info, ctx):
        findings.append(_finding('unknown_issuer', 'Issuer %s is not a trust anchor of any RA profile nor one given.'
                                 % (info['issuer'] or '(empty)'),
                                 'Adopt it into an RA profile (it will be replaced at renewal), or add the '
                                 'issuer to trust_anchors if it is trusted.'))
    findings.extend(_time(record, info, pol, ctx))
    if record.get('state') == 'revoked':
        present = [l for l in record.get('locations') or [] if l.get('status') == 'present']
        if present:
            findings.append(_finding('revoked_deployed', 'Revoked (%s) but still deployed at %s.' % (
                record.get('revocation_reason') or 'unspecified',
                ', '.join(_where(l) for l in present)),
                'Deploy its replacement there and reload the service, then discover again.'))
    return findings


def _key(info, pol, base):
    key = info['public_key']
    kind = key['type']
    out = []
    allowed = pol.get('key_types')
    if allowed and kind not in allowed:
        out.append(_finding('key_type_not_allowed', '%s key; the RA profile allows %s.' % (kind.upper(), ', '.join(allowed)),
                            'Rekey with a %s key.' % ' or '.join(allowed)))
    if kind in ('rsa', 'dsa'):
        minimum = max(int(pol.get('min_rsa_bits') or 0), base['min_rsa_bits'])
        if key['size'] < minimum:
            out.append(_finding('weak_key', '%s %d bits: below %d.' % (kind.upper(), key['size'], minimum),
                                'Rekey with an RSA key of at least %d bits or an EC key.' % minimum))
    elif kind == 'ec':
        bits = _EC_BITS.get(key.get('curve'), 0)
        if bits < base['min_ec_bits'] or (allowed is not None and key.get('curve') not in POLICY_CURVES):
            out.append(_finding('weak_key', 'EC curve %s is not accepted.' % key.get('curve'),
                                'Rekey with P-256 or P-384.'))
    return out


def _time(record, info, pol, ctx):
    not_before, not_after = parse_iso(info['not_before']), parse_iso(info['not_after'])
    if ctx.now >= not_after:
        deployed = [l for l in record.get('locations') or [] if l.get('status') == 'present']
        return [_finding('expired', 'Expired %s%s.' % (info['not_after'], ', still deployed at %s' % ', '.join(
            _where(l) for l in deployed) if deployed else ''), 'Renew or replace it, and deploy the new one.')]
    if pol.get('renew_before') or record.get('ra_profile'):
        # A certificate bound to a profile is expiring exactly when its validation status says so:
        # the same window (the profile's renew_before, else a third of the lifetime).
        window = policylib.renewal_window_seconds(pol.get('renew_before'), (not_after - not_before).total_seconds())
    else:
        window = ctx.base['expiring_days'] * 86400
    if ctx.now >= not_after - datetime.timedelta(seconds=window):
        return [_finding('expiring', 'Expires %s.' % info['not_after'], 'Renew it (pki.lifecycle.certificate_renew, '
                         'or adopt it into an RA profile first).')]
    return []


def _known_issuer(record, cert, info, ctx):
    if record.get('state') in ('issued', 'revoked') and record.get('ra_profile') and not record.get('replaceable'):
        return True   # validated against the profile's anchors when it was issued or adopted
    if info['issuer'] in ctx.known_issuers:
        return True
    if ctx.anchors:
        chain = []
        if record.get('chain_pem'):
            try:
                chain = x509lib.load_certificates(record['chain_pem'])
            except PkiError:
                chain = []
        try:
            x509lib.verify_chain(cert, chain, ctx.anchors, at_time=parse_iso(info['not_after']) - datetime.timedelta(seconds=1))
            return True
        except PkiError:
            return False
    return False


def _common_name(subject):
    for part in (subject or '').split(','):
        if part.strip().upper().startswith('CN='):
            return part.strip()[3:]
    return None


def _where(location):
    if location.get('kind') == 'endpoint':
        return location.get('endpoint') or '%s:%s' % (location.get('host'), location.get('port'))
    return '%s:%s' % (location.get('host'), location.get('path'))


def summary(results):
    """counts per rule and per status over [{'findings': [...]}, ...]."""
    per_rule = dict((r, 0) for r in RULES)
    compliant = 0
    for item in results:
        if not item:
            compliant += 1
        for f in item:
            per_rule[f['rule']] += 1
    return dict(compliant=compliant, noncompliant=len(results) - compliant, rules=per_rule)
