# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Describing certificates and CSRs as plain dicts (what the inventory records and modules
return), and the names of the extensions they carry.

Key usage names are the ``cryptography.x509.KeyUsage`` attribute names
(``digital_signature``, ``key_encipherment``, ...); extended key usage names are
``server_auth``, ``client_auth``, ... or dotted OIDs. ``keys/csr.py`` builds extensions from
the same names, so a request can be compared with what was issued.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.pki.lifecycle.plugins.module_utils.errors import InputError
from ansible_collections.pki.lifecycle.plugins.module_utils.vocabulary import iso, serial_hex
from ansible_collections.pki.lifecycle.plugins.module_utils.x509.base import LazyModule, remember
from ansible_collections.pki.lifecycle.plugins.module_utils.x509.keys import (
    fingerprint, public_key_dict, spki_sha256,
)
from ansible_collections.pki.lifecycle.plugins.module_utils.x509.loading import csr_public_key, csr_subject
from ansible_collections.pki.lifecycle.plugins.module_utils.x509.names import (
    format_san, normalize_sans, normalize_subject,
)

x509 = LazyModule('cryptography.x509')
crypto_exceptions = LazyModule('cryptography.exceptions')
ec = LazyModule('cryptography.hazmat.primitives.asymmetric.ec')
padding = LazyModule('cryptography.hazmat.primitives.asymmetric.padding')

KEY_USAGES = ('digital_signature', 'content_commitment', 'key_encipherment', 'data_encipherment',
              'key_agreement', 'key_cert_sign', 'crl_sign', 'encipher_only', 'decipher_only')
KEY_USAGE_ALIASES = {'non_repudiation': 'content_commitment'}

# Extended key usage name -> dotted OID; input also takes the OpenSSL spelling (serverAuth).
EXTENDED_KEY_USAGES = {
    'server_auth': '1.3.6.1.5.5.7.3.1',
    'client_auth': '1.3.6.1.5.5.7.3.2',
    'code_signing': '1.3.6.1.5.5.7.3.3',
    'email_protection': '1.3.6.1.5.5.7.3.4',
    'time_stamping': '1.3.6.1.5.5.7.3.8',
    'ocsp_signing': '1.3.6.1.5.5.7.3.9',
    'any_extended_key_usage': '2.5.29.37.0',
}
_EKU_BY_OID = dict((v, k) for k, v in EXTENDED_KEY_USAGES.items())

# Keyed by the certificate (its DER): the due sweep describes each new certificate twice.
_INFO_CACHE = {}


def _copy_info(info):
    return dict((k, list(v) if isinstance(v, list) else dict(v) if isinstance(v, dict) else v)
                for k, v in info.items())


def _signature_info(obj):
    """(algorithm in the collection's vocabulary, digest name) of a certificate or CSR."""
    try:
        params = obj.signature_algorithm_parameters
        digest = obj.signature_hash_algorithm
    except (crypto_exceptions.UnsupportedAlgorithm, ValueError):
        return obj.signature_algorithm_oid.dotted_string, None
    digest = digest.name if digest is not None else None
    if isinstance(params, padding.PSS):
        return 'rsa-pss', digest
    if isinstance(params, padding.PKCS1v15):
        return 'rsa-pkcs1v15', digest
    if isinstance(params, ec.ECDSA):
        return 'ecdsa', digest
    if obj.signature_algorithm_oid.dotted_string == '1.3.101.112':
        return 'ed25519', None
    return getattr(obj.signature_algorithm_oid, '_name', None) or \
        obj.signature_algorithm_oid.dotted_string, digest


def _extensions_info(extensions):
    """Fields derived from extensions, shared by certificate_info and csr_info.

    ``extensions`` is in the shape ``keys.csr.build_extensions`` accepts, so a request
    can be compared with what was asked.
    """
    info = {'subject_alt_names': [], 'key_usage': [], 'extended_key_usage': [], 'is_ca': False,
            'path_length': None, 'extensions': {}}
    for ext in extensions:
        value = ext.value
        if isinstance(value, x509.SubjectAlternativeName):
            info['subject_alt_names'] = [format_san(n) for n in value]
        elif isinstance(value, x509.KeyUsage):
            names = []
            for usage in KEY_USAGES:
                try:
                    if getattr(value, usage):
                        names.append(usage)
                except ValueError:   # encipher_only/decipher_only are undefined without key_agreement
                    pass
            info['key_usage'] = names
            info['extensions']['key_usage'] = list(names)
        elif isinstance(value, x509.ExtendedKeyUsage):
            names = [_EKU_BY_OID.get(oid.dotted_string, oid.dotted_string) for oid in value]
            info['extended_key_usage'] = names
            info['extensions']['extended_key_usage'] = list(names)
        elif isinstance(value, x509.BasicConstraints):
            info['is_ca'] = value.ca
            info['path_length'] = value.path_length
            info['extensions']['basic_constraints'] = {'ca': value.ca, 'path_length': value.path_length}
    return info


def _safe_extensions(obj, what):
    try:
        return list(obj.extensions)
    except ValueError as exc:   # duplicate or malformed extension
        raise InputError('%s has malformed extensions: %s.' % (what, exc),
                         'Generate it again with a standard tool.')


def certificate_info(cert):
    """A plain dict describing a certificate (what the inventory records and modules return)."""
    if cert in _INFO_CACHE:
        return _copy_info(_INFO_CACHE[cert])
    return _copy_info(remember(_INFO_CACHE, cert, _certificate_info(cert)))


def _certificate_info(cert):
    algorithm, digest = _signature_info(cert)
    info = {
        'serial': serial_hex(cert.serial_number),
        'subject': normalize_subject(cert.subject),
        'issuer': normalize_subject(cert.issuer),
        'not_before': iso(cert.not_valid_before_utc),
        'not_after': iso(cert.not_valid_after_utc),
        'fingerprint_sha256': fingerprint(cert),
        'spki_sha256': spki_sha256(cert.public_key()),
        'public_key': public_key_dict(cert.public_key()),
        'signature_algorithm': algorithm,
        'signature_digest': digest,
        'self_signed': cert.subject == cert.issuer,
    }
    info.update(_extensions_info(_safe_extensions(cert, 'certificate')))
    return info


def _san_value(obj):
    try:
        return obj.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return None


def subject_alt_names_of(obj, what):
    """The normalised SANs (names.normalize_sans) of a certificate or CSR, [] without any."""
    try:
        sans = _san_value(obj)
    except ValueError as exc:   # duplicate or malformed extension
        raise InputError('%s has malformed extensions: %s.' % (what, exc), 'Generate it again with a standard tool.')
    return normalize_sans(list(sans or []))


def certificate_facts(cert, request=None, made=None):
    """What the inventory records of a certificate (lifecycle's records.fill_from_certificate):
    certificate_info's serial, names, dates, fingerprint and SPKI, with the SANs normalised,
    and nothing else. Issuance asks for it once per new certificate (a due sweep: thousands).

    ``request``: (CSR, its normalised subject, SANs and SPKI SHA-256). A certificate that
    carries the CSR's very key, subject and SANs (a CA that copies them, as the embedded one
    does) has those strings too: compared as objects, they are not derived again.

    ``made``: what the connector that built ``cert`` put into it (the embedded CA), with the
    strings it wrote for them: {'serial': (int, hex), 'not_before'/'not_after': (datetime
    without microseconds, iso), 'issuer': (Name, normalised), 'fingerprint_sha256': hex of
    ``cert`` itself}. Each is used once the certificate is checked to carry that value."""
    facts = None
    if request is not None:
        csr, subject, sans, spki = request
        try:
            if cert.public_key() == csr_public_key(csr) and cert.subject == csr_subject(csr) and \
                    _san_value(cert) == _san_value(csr):
                facts = {'subject': subject, 'subject_alt_names': list(sans), 'spki_sha256': spki}
        except (ValueError, TypeError, crypto_exceptions.UnsupportedAlgorithm):
            facts = None   # described the long way, which says what is wrong
    if facts is None:
        facts = {'subject': normalize_subject(cert.subject),
                 'subject_alt_names': subject_alt_names_of(cert, 'certificate'),
                 'spki_sha256': spki_sha256(cert.public_key())}
    if made is not None and cert.serial_number == made['serial'][0] and cert.issuer == made['issuer'][0] and \
            cert.not_valid_before_utc == made['not_before'][0] and cert.not_valid_after_utc == made['not_after'][0]:
        facts.update((k, made[k][1]) for k in ('serial', 'issuer', 'not_before', 'not_after'))
        facts['fingerprint_sha256'] = made['fingerprint_sha256']
        return facts
    facts.update({
        'serial': serial_hex(cert.serial_number),
        'issuer': normalize_subject(cert.issuer),
        'not_before': iso(cert.not_valid_before_utc),
        'not_after': iso(cert.not_valid_after_utc),
        'fingerprint_sha256': fingerprint(cert),
    })
    return facts


def csr_info(csr):
    """The same shape as certificate_info for what a CSR carries."""
    algorithm, digest = _signature_info(csr)
    info = {
        'subject': normalize_subject(csr.subject),
        'spki_sha256': spki_sha256(csr.public_key()),
        'public_key': public_key_dict(csr.public_key()),
        'signature_algorithm': algorithm,
        'signature_digest': digest,
    }
    info.update(_extensions_info(_safe_extensions(csr, 'csr')))
    return info
