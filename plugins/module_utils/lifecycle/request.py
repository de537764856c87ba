# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Building the request: from the key-source options (an external CSR, an existing key in
a token profile, or a key generated there) to subject, names, key, identity and CSR, all
checked against the RA profile's policy before anything is written."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import hashlib
import json

from ansible_collections.pki.lifecycle.plugins.module_utils import policy as policylib
from ansible_collections.pki.lifecycle.plugins.module_utils import x509 as x509lib
from ansible_collections.pki.lifecycle.plugins.module_utils.errors import InputError, TokenError
from ansible_collections.pki.lifecycle.plugins.module_utils.keys import csr as csrlib
from ansible_collections.pki.lifecycle.plugins.module_utils.keys.base import KeySpec
from ansible_collections.pki.lifecycle.plugins.module_utils.lifecycle.context import token_store


def request_identity(ra_profile, subject, subject_alt_names, key_id):
    """RA profile + normalised subject + SAN set + public key (SPKI SHA-256)."""
    blob = json.dumps([ra_profile, subject, sorted(subject_alt_names), key_id], separators=(',', ':'))
    return hashlib.sha256(blob.encode('utf-8')).hexdigest()


def common_name(name):
    """The first CN of an x509.Name, or None."""
    from cryptography.x509.oid import NameOID  # guarded by the module wrapper
    values = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    return values[0].value if values else None


def _from_csr(request, csr_input):
    csr_pem = x509lib.read_pem_input(csr_input, 'csr')
    csr = x509lib.load_csr(csr_pem)
    # Here, not in load_csr: a stored CSR still parses whatever its lengths; only a request
    # (a renewal of such a CSR too) is refused before the CA signs an over-long name.
    subject = x509lib.csr_subject(csr)
    x509lib.check_name_bounds(subject, 'csr')
    info = x509lib.csr_info(csr)
    request.update(
        key_source='csr', csr_pem=x509lib.pem(csr), csr=csr, public_key=x509lib.csr_public_key(csr),
        subject=x509lib.normalize_subject(subject),
        subject_alt_names=x509lib.normalize_sans(info['subject_alt_names']),
        spki_sha256=info['spki_sha256'], common_name=common_name(subject),
    )


def _from_token(ctx, tx, request, params, previous):
    store = token_store(ctx, tx, params['token_profile'])
    key_name = params['key']
    if params.get('subject') is not None:
        subject = x509lib.parse_subject(params['subject'])
    elif previous is not None:
        subject = x509lib.parse_subject(previous['subject'])
    else:
        raise InputError('subject is required when the key comes from a token profile.',
                         "Give subject, e.g. 'CN=www.example.org'.")
    if params.get('subject_alt_names') is not None:
        sans = x509lib.normalize_sans(params['subject_alt_names'])
    else:
        sans = list(previous['subject_alt_names']) if previous else []
    request.update(key_source='token', token_profile=params['token_profile'], key_ref=store.key_ref(key_name),
                   subject=x509lib.normalize_subject(subject), subject_alt_names=sans,
                   common_name=common_name(subject), key_store=store, key_name=key_name,
                   subject_name=subject)
    spec = KeySpec(params.get('key_type') or 'ec', params.get('key_size'), params.get('curve'))
    if store.has_key(key_name):
        signer = store.signer(key_name)
        request.update(signer=signer, public_key=signer.public_key,
                       spki_sha256=x509lib.spki_sha256(signer.public_key))
    elif params.get('generate_key'):
        # The key does not exist yet: policy is checked on the spec, the key made later.
        request.update(signer=None, public_key=None, spki_sha256=None, generate_spec=spec)
    else:
        raise TokenError('Key %r is not in token profile %r.' % (key_name, params['token_profile']),
                         'Set generate_key: true to create it, or name an existing key.')
    request['extensions'] = params.get('extensions')
    request['signature_algorithm'] = params.get('signature_algorithm')
    request['digest'] = params.get('digest') or 'sha256'


def resolve_request(ctx, tx, profile, params, previous=None):
    """Turn the key-source options into a request: subject, SANs, key, identity, CSR (lazy).

    ``params`` holds ``csr``, or ``token_profile`` + ``key`` (+ ``generate_key``, subject,
    names, request and signature attributes). ``previous``: the record being rekeyed or
    renewed, whose subject and names are the defaults. Raises before anything is written.
    """
    request = dict(ra_profile=profile['name'])
    if params.get('csr'):
        _from_csr(request, params['csr'])
    else:
        _from_token(ctx, tx, request, params, previous)
    pol = profile.get('policy') or {}
    if request.get('public_key') is not None:
        policylib.check_key(pol, x509lib.public_key_spec(request['public_key']))
        if request['key_source'] == 'token':
            csrlib.check_signature_algorithm(request['public_key'], request['signature_algorithm'])
    else:
        spec = request['generate_spec']
        policylib.check_key(pol, (spec.key_type, spec.key_size if spec.key_type == 'rsa' else spec.curve))
    policylib.check_names(pol, request['common_name'], request['subject_alt_names'])
    if not request['subject_alt_names'] and not request['common_name']:
        raise InputError('The request names nothing: no subject CN and no subject_alt_names.',
                         "Give subject_alt_names such as ['DNS:www.example.org'].")
    request['identity'] = request_identity(profile['name'], request['subject'], request['subject_alt_names'],
                                           request['spki_sha256'] or request.get('key_ref'))
    return request


def renewal_request(ctx, tx, profile, record, p):
    """The request renewing ``record``, with the same key: a new CSR given in ``p``, else the
    key of the certificate's token profile, else the CSR stored with the certificate."""
    if p.get('csr'):
        request = resolve_request(ctx, tx, profile, dict(csr=p['csr']))
        if request['spki_sha256'] != record['spki_sha256']:
            raise InputError('The CSR is for a different key than certificate %s.' % record['uuid'],
                             'Renewal keeps the key; use pki.lifecycle.certificate_rekey to change it.')
    elif record['key_source'] == 'token':
        token_name, _sep, key_name = (record.get('key_ref') or '').partition(':')
        built = record.get('request_attributes') or {}
        request = resolve_request(ctx, tx, profile, dict(
            token_profile=record.get('token_profile') or token_name, key=key_name,
            subject=record['subject'], subject_alt_names=record['subject_alt_names'],
            extensions=built.get('extensions'), signature_algorithm=built.get('signature_algorithm'),
            digest=built.get('digest') or 'sha256'), previous=record)
        if request['spki_sha256'] != record['spki_sha256']:
            raise TokenError('The key %r in token profile %r no longer matches certificate %s.'
                             % (key_name, record.get('token_profile'), record['uuid']),
                             'Rekey the certificate with pki.lifecycle.certificate_rekey.')
    elif not record.get('csr_pem') and record.get('adoption'):
        raise InputError('Certificate %s was adopted (found at %s), so the inventory holds no CSR for its key.'
                         % (record['uuid'], _found_at(record)),
                         'Pass csr: a CSR made with the key beside it (pki.lifecycle.certificate_request with '
                         'path: that key), or rekey it with pki.lifecycle.certificate_rekey.')
    else:
        request = stored_csr_request(profile, record)
    return request


def stored_csr_request(profile, record):
    """The request of ``record``'s stored CSR, as resolve_request builds it from a CSR given,
    but without the checks that CSR passed when it was accepted (its signature, the bounds of
    its names): a due sweep renews thousands. What may have changed since is checked again:
    the RA profile's policy on the key and the names."""
    csr = x509lib.load_stored_csr(record['csr_pem'])
    public_key, subject = x509lib.csr_public_key(csr), x509lib.csr_subject(csr)
    request = dict(ra_profile=profile['name'], key_source='csr', csr_pem=record['csr_pem'], csr=csr,
                   public_key=public_key, subject=x509lib.normalize_subject(subject),
                   subject_alt_names=x509lib.subject_alt_names_of(
                       csr, 'the CSR stored with certificate %s' % record['uuid']),
                   spki_sha256=x509lib.spki_sha256(public_key), common_name=common_name(subject))
    pol = profile.get('policy') or {}
    policylib.check_key(pol, x509lib.public_key_spec(public_key))
    policylib.check_names(pol, request['common_name'], request['subject_alt_names'])
    if not request['subject_alt_names'] and not request['common_name']:
        raise InputError('The request names nothing: no subject CN and no subject_alt_names.',
                         "Give subject_alt_names such as ['DNS:www.example.org'].")
    request['identity'] = request_identity(profile['name'], request['subject'], request['subject_alt_names'],
                                           request['spki_sha256'])
    return request


def _found_at(record):
    places = ['%s:%s' % (l.get('host'), l.get('path') or l.get('port')) for l in record.get('locations') or []]
    return ', '.join(places) or 'no recorded location'


def materialize_key(request):
    """Generate a requested key (never in check mode) and fill in key facts + identity."""
    if request.get('public_key') is None and request.get('generate_spec') is not None:
        store = request['key_store']
        try:
            store.generate(request['key_name'], request['generate_spec'])
        except TokenError:
            # Another run generated the same key a moment ago: use it.
            if not store.has_key(request['key_name']):
                raise
        signer = store.signer(request['key_name'])
        request.update(signer=signer, public_key=signer.public_key,
                       spki_sha256=x509lib.spki_sha256(signer.public_key))
        csrlib.check_signature_algorithm(signer.public_key, request['signature_algorithm'])
        request['identity'] = request_identity(request['ra_profile'], request['subject'],
                                               request['subject_alt_names'], request['spki_sha256'])


def materialize_csr(request):
    """The request's CSR, built (and signed by the token's key) on first use."""
    if not request.get('csr_pem'):
        request['csr_pem'] = csrlib.build_csr(
            request['signer'], request['subject_name'], request['subject_alt_names'],
            extensions=request.get('extensions'), signature_algorithm=request.get('signature_algorithm'),
            digest=request.get('digest') or 'sha256')
    return request['csr_pem']
