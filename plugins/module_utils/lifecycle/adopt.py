# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""certificate_adopt: bind a discovered certificate to an RA profile.

Afterwards it is an ``issued`` record of that profile, so renew, rekey and revoke work on it:
- issued by the profile's CA (its chain verifies to the profile's trust anchors): an ordinary
  issued record, as if it had been issued through the profile;
- issued by another CA: ``replaceable``. Its renewal issues a certificate through the profile
  with the same names and key (a CSR from the key where it was found), to be deployed to the
  locations where it was found; revoking it retires it in the inventory only (the profile's
  CA cannot revoke what another CA issued).
The names must be allowed by the profile (else renewal could never succeed): refused with the
names and the profile's patterns. Unchanged when already adopted into the same profile.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import datetime
import re

from ansible_collections.pki.lifecycle.plugins.module_utils import policy as policylib
from ansible_collections.pki.lifecycle.plugins.module_utils import x509 as x509lib
from ansible_collections.pki.lifecycle.plugins.module_utils.errors import InputError, PkiError, PolicyError
from ansible_collections.pki.lifecycle.plugins.module_utils.lifecycle.context import load_profile, make_connector
from ansible_collections.pki.lifecycle.plugins.module_utils.lifecycle.records import find_certificate
from ansible_collections.pki.lifecycle.plugins.module_utils.lifecycle.request import common_name, request_identity
from ansible_collections.pki.lifecycle.plugins.module_utils.lifecycle.results import certificate_result, diff_view
from ansible_collections.pki.lifecycle.plugins.module_utils.vocabulary import iso, parse_iso

_FINGERPRINT = re.compile(r'^[0-9a-fA-F:]{64,95}$')


def find_discovered(ctx, tx, value):
    """uuid, serial, PEM, path, or the SHA-256 fingerprint (hex, colons allowed)."""
    text = (value or '').strip()
    if _FINGERPRINT.match(text) and len(text.replace(':', '')) == 64:
        found = tx.find_certificates(fingerprint_sha256=text.replace(':', '').lower())
        if len(found) == 1:
            return found[0]
        if not found:
            raise InputError('No certificate with fingerprint %s in the inventory.' % text,
                             'Record it with pki.lifecycle.certificate_discovered first.')
    return find_certificate(ctx, tx, text, 'adopted')


def issued_by_profile(connector, record, cert):
    """(True, None) when the chain verifies to the profile's anchors; (False, why) otherwise."""
    try:
        anchors = []
        for block in connector.trust_anchors():
            anchors.extend(x509lib.load_certificates(block))
    except PkiError as exc:
        raise PkiError('Cannot read the trust anchors of the RA profile: %s' % exc,
                       'Check the RA profile (pki.lifecycle.ra_profile with validate: true).')
    chain = x509lib.load_certificates(record['chain_pem']) if record.get('chain_pem') else []
    # Checked inside the certificate's validity: an expired certificate of our own CA is still ours.
    at = min(parse_iso(record['not_after']) - datetime.timedelta(seconds=1),
             max(parse_iso(record['not_before']) + datetime.timedelta(seconds=1), datetime.datetime.now(
                 datetime.timezone.utc)))
    try:
        x509lib.verify_chain(cert, chain, anchors, at_time=at)
        return True, None
    except PkiError as exc:
        return False, str(exc)


def deploy_labels(record):
    """The labels the renewal role deploys by (host, cert_path, fullchain_path, key_path), read from
    where the certificate was found: files on one host, with its key beside them. Else none: the
    renewal playbook then has nowhere to deploy and says so."""
    files = [l for l in record.get('locations') or [] if l.get('kind') == 'file' and l.get('status') == 'present']
    if not files or len(set(l['host'] for l in files)) != 1:
        return {}
    keys = [l['private_key']['path'] for l in files if (l.get('private_key') or {}).get('matches')]
    labels = dict(host=files[0]['host'])
    if keys:
        labels['key_path'] = keys[0]
    for loc in files:
        if loc.get('format') != 'pem' or (loc.get('private_key') or {}).get('reason') == 'in the same file':
            continue   # DER, PKCS#12 and cert+key files are not rewritten by a PEM deployment
        labels.setdefault('fullchain_path' if loc.get('has_chain') else 'cert_path', loc['path'])
    if files[0].get('mode'):
        labels['mode'] = files[0]['mode']
    return labels


def op_adopt(ctx):
    p = ctx.params
    with ctx.store.transaction(write=False) as tx:
        record = find_discovered(ctx, tx, p['certificate'])
        before = diff_view(record)
        if record['state'] != 'discovered':
            if record.get('ra_profile') == p['ra_profile']:
                return certificate_result(record, False, 'Already bound to RA profile %r (%s).' % (
                    p['ra_profile'], 'replaceable' if record.get('replaceable') else 'issued by its CA'), ctx,
                    before=before)
            raise InputError('Certificate %s is %s in RA profile %r, not a discovered certificate.'
                             % (record['uuid'], record['state'], record.get('ra_profile')),
                             'Only discovered certificates are adopted; it is already managed.')
        profile = load_profile(ctx, tx, p['ra_profile'], 'adopt')
    cert = x509lib.load_certificate(record['certificate_pem'])
    info = x509lib.certificate_info(cert)
    pol = profile.get('policy') or {}
    cn = common_name(cert.subject)
    try:
        policylib.check_names(pol, cn, x509lib.normalize_sans(info['subject_alt_names']))
    except PolicyError as exc:
        raise PolicyError('Certificate %s cannot be adopted into RA profile %r: %s'
                          % (record['uuid'], profile['name'], exc.message),
                          'Adopt it into a profile that allows its names, or change the profile policy; '
                          'nothing was changed.')
    own, why = issued_by_profile(make_connector(ctx, profile), record, cert)
    stamp = iso(ctx.now)
    after = dict(record)
    after.update(
        state='issued', ra_profile=profile['name'], key_source='csr', replaceable=not own,
        subject_alt_names=x509lib.normalize_sans(info['subject_alt_names']),
        identity=request_identity(profile['name'], record['subject'],
                                  x509lib.normalize_sans(info['subject_alt_names']), record['spki_sha256']),
        adoption=dict(adopted_at=stamp, issued_by_profile_ca=own, foreign_issuer=None if own else record['issuer'],
                      chain_check=why, by=ctx.who),
        updated_at=stamp)
    labels = deploy_labels(record)
    labels.update(record.get('labels') or {})
    labels.update(p.get('labels') or {})
    after['labels'] = labels
    if own:
        reason = 'Adopted into RA profile %r: its CA issued serial %s, so it is an ordinary issued certificate.' % (
            profile['name'], record['serial'])
    else:
        reason = ('Adopted into RA profile %r as replaceable: %s issued it, so its renewal issues a new '
                  'certificate through the profile for the same names.' % (profile['name'], record['issuer']))
    if not ctx.check_mode:
        with ctx.store.transaction() as tx:
            current = tx.get_certificate(record['uuid'])
            if current is None or current['state'] != 'discovered':
                raise InputError('Certificate %s changed while it was being adopted.' % record['uuid'],
                                 'Run the task again.')
            after['locations'] = current.get('locations') or []
            tx.put_certificate(after)
            ctx.event(tx, 'adopt', 'changed', reason, record=after)
    return certificate_result(after, True, reason, ctx, before=before)
