# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Compliance for certificate_info: which policy applies to a record and which issuers are known.

The rules themselves are in module_utils/compliance.py. Here: the policy of the record's RA
profile (or of ``compliance_profile`` for discovered records, i.e. "what if it were adopted
there"), the trust anchors of the RA profiles on the embedded CA (read from disk, no network)
plus those the task gives, and the issuers of certificates issued through any profile.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.pki.lifecycle.plugins.module_utils import compliance as compliancelib
from ansible_collections.pki.lifecycle.plugins.module_utils import x509 as x509lib
from ansible_collections.pki.lifecycle.plugins.module_utils.errors import InputError, PkiError
from ansible_collections.pki.lifecycle.plugins.module_utils.lifecycle.context import make_connector

# Connectors whose trust anchors are local files: asking them costs no network round trip.
LOCAL_ANCHORS = ('local',)


def context(ctx, tx, profiles):
    p = ctx.params
    anchors = []
    if p.get('trust_anchors'):
        try:
            anchors.extend(x509lib.load_certificates(x509lib.read_pem_input(p['trust_anchors'], 'trust_anchors',
                                                                            label='CERTIFICATE')))
        except PkiError as exc:
            raise InputError('trust_anchors: %s' % exc, 'Pass PEM certificates or a path to a PEM file.')
    for profile in profiles.values():
        if profile.get('connector') in LOCAL_ANCHORS:
            try:
                for block in make_connector(ctx, profile).trust_anchors():
                    anchors.extend(x509lib.load_certificates(block))
            except PkiError:
                pass   # a profile whose CA directory is gone: its certificates show as unknown issuers
    known = set(r['issuer'] for r in tx.find_certificates(states=['issued', 'revoked'])
                if r.get('ra_profile') and not r.get('replaceable') and r.get('issuer'))
    base = compliancelib.baseline(dict(expiring_days=p.get('expiring_days')))
    return compliancelib.Context(ctx.now, anchors=anchors, known_issuers=known, base=base)


def policy_for(record, profiles, params):
    name = record.get('ra_profile') or params.get('compliance_profile')
    if not name:
        return {}
    return (profiles.get(name) or {}).get('policy') or {}


def evaluate(record, profiles, params, check_ctx):
    findings = compliancelib.check(record, policy_for(record, profiles, params), check_ctx)
    return dict(status='noncompliant' if findings else 'compliant', findings=findings)
