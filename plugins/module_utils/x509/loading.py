# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading certificates and CSRs: PEM text or a path to it in, ``cryptography`` objects out.

A CSR is returned only once its signature verifies (it proves possession of its key).
Malformed input is an ``InputError`` naming the option and what to pass instead.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import base64
import binascii
import os

from ansible_collections.pki.lifecycle.plugins.module_utils.errors import InputError
from ansible_collections.pki.lifecycle.plugins.module_utils.x509.base import (
    HAS_CRYPTOGRAPHY, LazyModule, remember, to_bytes,
)

x509 = LazyModule('cryptography.x509')
crypto_exceptions = LazyModule('cryptography.exceptions')
serialization = LazyModule('cryptography.hazmat.primitives.serialization')

_PEM_LABELS = {'csr': 'CERTIFICATE REQUEST', 'certificate': 'CERTIFICATE'}

# Keyed by the exact PEM bytes: a CSR parsed and verified before is not verified again.
_CSR_CACHE = {}
# Keyed by the exact PEM bytes: certificate bundles (a CA's chain, asked for per certificate).
_CHAIN_CACHE = {}


def read_pem_input(value, what, label=None):
    """Return PEM text from ``value``: the PEM text itself or a path to a file holding it.

    ``what`` names the option in messages ('csr', 'certificate'); ``label`` is the PEM
    type expected ('CERTIFICATE REQUEST'); by default derived from ``what``, else any.
    """
    label = label or _PEM_LABELS.get(what)
    begin = '-----BEGIN %s-----' % label if label else '-----BEGIN '
    hint = 'Pass the PEM text or a path to a file holding it.'
    if isinstance(value, bytes):
        value = value.decode('utf-8', 'replace')
    if not isinstance(value, str) or not value.strip():
        raise InputError('%s is empty.' % what, hint)
    text = value
    if '-----BEGIN' not in value and '\n' not in value.strip():
        path = os.path.expanduser(value.strip())
        if os.path.isfile(path):
            try:
                with open(path, 'rb') as f:
                    text = f.read().decode('utf-8', 'replace')
            except (IOError, OSError) as exc:
                raise InputError('%s: cannot read %s: %s.' % (what, path, exc.strerror or exc), hint)
        elif os.sep in value or value.startswith(('~', '.')) or \
                value.lower().endswith(('.pem', '.crt', '.cer', '.csr', '.req')):
            # Looks like a path, so say that the file is missing rather than "not PEM".
            raise InputError('%s: file %s does not exist.' % (what, path), hint)
    if begin not in text:
        raise InputError("%s is not PEM: expected '%s'; pass the PEM text or a path to it."
                         % (what, begin if label else '-----BEGIN ...-----'))
    return text


def load_certificate(pem, what='certificate'):
    """One certificate from PEM text (the first if several); InputError if malformed."""
    if HAS_CRYPTOGRAPHY and isinstance(pem, x509.Certificate):
        return pem
    certs = load_certificates(pem, what)
    if not certs:
        raise InputError('%s is empty.' % what, 'Pass the PEM text or a path to it.')
    return certs[0]


def self_issued(pem_block):
    """Whether one PEM certificate names itself as its issuer (its issuer and subject are the same
    DER), read without cryptography: a result tells the stored chain's root apart on a run that
    signs nothing (a certificate not due), which then imports no cryptography. None when the block
    is no certificate."""
    try:
        body = ''.join(line for line in pem_block.strip().splitlines()[1:-1] if ':' not in line)
        der = base64.b64decode(body)
        tbs = _der_children(der, *_der_element(der, 0)[1:3])[0]
        fields = _der_children(der, tbs[1], tbs[2])
        if fields[0][0] == 0xa0:   # [0] version, absent in v1 certificates
            fields = fields[1:]
        issuer, subject = fields[2], fields[4]   # serialNumber, signature, issuer, validity, subject
        return der[issuer[3]:issuer[2]] == der[subject[3]:subject[2]]
    except (ValueError, IndexError, TypeError, binascii.Error):
        return None


def _der_element(der, offset):
    """(tag, content start, end, element start) of the DER element at ``offset``."""
    tag, length, start = der[offset], der[offset + 1], offset + 2
    if length & 0x80:
        count = length & 0x7f
        if not 0 < count <= 4:
            raise ValueError('bad DER length')
        length, start = int.from_bytes(der[start:start + count], 'big'), start + count
    if start + length > len(der):
        raise ValueError('truncated DER')
    return tag, start, start + length, offset


def _der_children(der, start, end):
    children = []
    while start < end:
        children.append(_der_element(der, start))
        start = children[-1][2]
    return children


def load_certificates(pem, what='certificate chain'):
    """Every certificate in a PEM bundle, in order; [] for empty text."""
    if not pem or not to_bytes(pem).strip():
        return []
    data = to_bytes(pem)
    if data in _CHAIN_CACHE:
        return list(_CHAIN_CACHE[data])  # the CA's chain, once per due sweep (objects are immutable)
    if b'-----BEGIN CERTIFICATE-----' not in data:
        raise InputError("%s is not PEM: expected '-----BEGIN CERTIFICATE-----'; "
                         "pass the PEM text or a path to it." % what)
    try:
        return list(remember(_CHAIN_CACHE, data, x509.load_pem_x509_certificates(data)))
    except ValueError:
        raise InputError('%s is not a PEM/DER certificate: a block between the BEGIN and END lines does '
                         'not decode to an X.509 certificate.' % what,
                         'Pass the certificate exactly as the CA issued it.')


def as_certificate_list(value, what):
    """A list of certificates from None, PEM text, a certificate, or a list of either."""
    if value is None:
        return []
    if isinstance(value, (str, bytes)):
        return load_certificates(value, what)
    if HAS_CRYPTOGRAPHY and isinstance(value, x509.Certificate):
        return [value]
    return [load_certificate(v, what) for v in value]


def load_csr(pem, what='csr'):
    """A CSR from PEM text whose signature is verified: a CSR proves possession of its key."""
    data = None
    if HAS_CRYPTOGRAPHY and isinstance(pem, x509.CertificateSigningRequest):
        csr = pem
    else:
        data = to_bytes(pem or b'')
        if data in _CSR_CACHE:
            return _CSR_CACHE[data]  # parsed and verified before
        if b'-----BEGIN CERTIFICATE REQUEST-----' not in data:
            raise InputError("%s is not PEM: expected '-----BEGIN CERTIFICATE REQUEST-----'; "
                             "pass the PEM text or a path to it." % what)
        try:
            csr = x509.load_pem_x509_csr(data)
        except ValueError:
            # Not the parser's text (a Rust ParseError): it says nothing a user can act on.
            raise InputError('%s is not a PEM/DER CSR: the block between the BEGIN and END lines does not '
                             'decode to a PKCS#10 certificate request.' % what,
                             'Pass the CSR exactly as it was generated (e.g. by openssl req -new), as PEM text '
                             'or a path to the file.')
    try:
        valid = csr.is_signature_valid
    except (crypto_exceptions.UnsupportedAlgorithm, ValueError, TypeError) as exc:
        raise InputError('%s cannot be verified: %s.' % (what, exc),
                         'Use an RSA, EC or Ed25519 key with a standard signature algorithm.')
    if not valid:
        raise InputError('CSR signature does not verify: the CSR was altered or not signed by its '
                         'key; generate it again.')
    if data is not None:
        remember(_CSR_CACHE, data, csr)
        # lifecycle hands the connector pem(csr): the same request, verified already.
        remember(_CSR_CACHE, csr.public_bytes(serialization.Encoding.PEM), csr)
    return csr


def load_stored_csr(pem, what='the stored CSR'):
    """A CSR the inventory keeps with a certificate (the request it was issued for), parsed but
    not verified again: it was verified when it was accepted, and ECDSA/RSA verification costs
    more than signing a certificate (a due sweep renews thousands). It then counts as verified:
    ``load_csr`` of the same PEM (the connector's) returns it without another check."""
    data = to_bytes(pem or b'')
    if data in _CSR_CACHE:
        return _CSR_CACHE[data]
    try:
        csr = x509.load_pem_x509_csr(data)
    except ValueError:
        raise InputError('%s is not a PEM CSR.' % what,
                         'Renew with csr: a CSR made with the certificate\'s key, or rekey the certificate.')
    return remember(_CSR_CACHE, data, csr)


# Keyed by the CSR: its public key and its subject, which cryptography builds anew at every
# call (a certificate keeps its own); the request, the CA and the validation each ask.
_CSR_KEYS = {}
_CSR_SUBJECTS = {}


def csr_public_key(csr):
    """``csr.public_key()``, made once per CSR (the request and the CA both ask for it)."""
    key = _CSR_KEYS.get(csr)
    return key if key is not None else remember(_CSR_KEYS, csr, csr.public_key())


def csr_subject(csr):
    """``csr.subject``, made once per CSR."""
    name = _CSR_SUBJECTS.get(csr)
    return name if name is not None else remember(_CSR_SUBJECTS, csr, csr.subject)


def pem(obj):
    """PEM text of a certificate or CSR."""
    return obj.public_bytes(serialization.Encoding.PEM).decode('ascii')
