# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read certificates out of one file's bytes: PEM, DER, PKCS#7 (PEM or DER), PKCS#12.

Used on managed hosts by certificate_discover. Returns certificates and the public-key
digests of private keys found in the same bytes; private keys themselves never leave
this file (they are loaded only to compute their public key's SPKI digest).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

from ansible_collections.pki.lifecycle.plugins.module_utils import x509 as x509lib
from ansible_collections.pki.lifecycle.plugins.module_utils.x509.base import LazyModule

x509 = LazyModule('cryptography.x509')
crypto_exceptions = LazyModule('cryptography.exceptions')
serialization = LazyModule('cryptography.hazmat.primitives.serialization')
pkcs7 = LazyModule('cryptography.hazmat.primitives.serialization.pkcs7')
pkcs12 = LazyModule('cryptography.hazmat.primitives.serialization.pkcs12')

_PEM_BLOCK = re.compile(br'-----BEGIN ([A-Z0-9 #]+)-----\r?\n(.*?)-----END \1-----', re.S)
_CERT_LABELS = (b'CERTIFICATE', b'X509 CERTIFICATE', b'TRUSTED CERTIFICATE')
_PKCS7_LABELS = (b'PKCS7', b'PKCS #7 SIGNED DATA', b'CMS')
_KEY_LABELS = (b'PRIVATE KEY', b'RSA PRIVATE KEY', b'EC PRIVATE KEY', b'DSA PRIVATE KEY', b'OPENSSH PRIVATE KEY')
_ENCRYPTED_KEY = b'ENCRYPTED PRIVATE KEY'
_NOT_CERT_LABELS = (b'CERTIFICATE REQUEST', b'NEW CERTIFICATE REQUEST', b'PUBLIC KEY', b'X509 CRL',
                    b'DH PARAMETERS', b'EC PARAMETERS', b'RSA PUBLIC KEY')


class NotCertificate(Exception):
    """The file holds no certificate; ``skip`` when that is expected (a key, a CSR)."""

    def __init__(self, reason, skip=False):
        super(NotCertificate, self).__init__(reason)
        self.skip = skip


class Parsed(object):
    """certs: cryptography certificates in file order; key_spkis: SPKI sha256 of private keys
    in the file; encrypted_keys: count of keys that could not be read without a passphrase."""

    def __init__(self, fmt, certs, key_spkis=(), encrypted_keys=0):
        self.format = fmt
        self.certs = list(certs)
        self.key_spkis = set(key_spkis)
        self.encrypted_keys = encrypted_keys


def key_spki(private_key):
    """SPKI sha256 of a private key's public half; the key object is dropped by the caller."""
    return x509lib.spki_sha256(private_key.public_key())


def _pem_key_spki(block):
    try:
        key = serialization.load_pem_private_key(block, password=None)
    except TypeError:
        return None   # encrypted
    except (ValueError, crypto_exceptions.UnsupportedAlgorithm):
        return None
    return key_spki(key)


def parse_pem(data):
    certs, spkis, encrypted, other, bad = [], set(), 0, [], []
    for match in _PEM_BLOCK.finditer(data):
        label, block = match.group(1), match.group(0)
        if label in _CERT_LABELS:
            if label == b'TRUSTED CERTIFICATE':   # OpenSSL's "aux" form: DER cert followed by trust settings
                block = block.replace(b'TRUSTED CERTIFICATE', b'CERTIFICATE')
            try:
                certs.append(x509.load_pem_x509_certificate(block))
            except ValueError as exc:
                bad.append('a CERTIFICATE block does not decode (%s)' % exc)
        elif label in _PKCS7_LABELS:
            try:
                certs.extend(pkcs7.load_pem_pkcs7_certificates(block))
            except ValueError as exc:
                bad.append('a PKCS#7 block does not decode (%s)' % exc)
        elif label in _KEY_LABELS:
            spki = _pem_key_spki(block)
            if spki is None:
                encrypted += 1
            else:
                spkis.add(spki)
        elif label == _ENCRYPTED_KEY:
            encrypted += 1
        else:
            other.append(label.decode('ascii', 'replace'))
    if not certs:
        if bad:
            raise NotCertificate('PEM file whose certificate could not be read: %s' % '; '.join(bad))
        if spkis or encrypted or other:
            raise NotCertificate('no certificate in it (%s)' % ', '.join(
                (['private key'] if spkis or encrypted else []) + other), skip=True)
        raise NotCertificate('a PEM header but no complete PEM block')
    return Parsed('pem', certs, spkis, encrypted)


def _looks_like_pkcs12(data):
    # PFX ::= SEQUENCE { version INTEGER (3), ... }: 30 <len> 02 01 03
    if len(data) < 8 or data[0:1] != b'\x30':
        return False
    first = data[1] if isinstance(data[1], int) else ord(data[1])
    offset = 2 + (first & 0x7f if first & 0x80 else 0)
    return data[offset:offset + 3] == b'\x02\x01\x03'


def parse_pkcs12(data, passwords):
    last = None
    for password in [None] + [p for p in passwords if p]:
        try:
            key, cert, extra = pkcs12.load_key_and_certificates(
                data, password.encode('utf-8') if password is not None else None)
        except (ValueError, TypeError) as exc:
            last = exc
            continue
        certs = ([cert] if cert is not None else []) + list(extra or [])
        if not certs:
            raise NotCertificate('PKCS#12 file without a certificate', skip=True)
        return Parsed('pkcs12', certs, [key_spki(key)] if key is not None else [])
    del last
    raise NotCertificate('PKCS#12 file that opens with none of the %d password(s) given (nor without one)'
                         % len([p for p in passwords if p]))


def parse_bytes(data, passwords=()):
    """Parsed, or NotCertificate with the reason."""
    if not data:
        raise NotCertificate('empty file')
    if b'-----BEGIN' in data:
        return parse_pem(data)
    if _looks_like_pkcs12(data):
        return parse_pkcs12(data, passwords)
    try:
        return Parsed('der', [x509.load_der_x509_certificate(data)])
    except ValueError:
        pass
    try:
        return Parsed('pkcs7', pkcs7.load_der_pkcs7_certificates(data))
    except ValueError:
        pass
    raise NotCertificate('not a certificate: neither PEM nor DER X.509, PKCS#7 or PKCS#12')


def load_key_spki(data):
    """SPKI sha256 of the first unencrypted private key in PEM or DER bytes; 'encrypted'; None."""
    if b'-----BEGIN' in data:
        found = None
        for match in _PEM_BLOCK.finditer(data):
            if match.group(1) == _ENCRYPTED_KEY:
                found = found or 'encrypted'
            elif match.group(1) in _KEY_LABELS:
                spki = _pem_key_spki(match.group(0))
                if spki:
                    return spki
                found = 'encrypted'
        return found
    try:
        return key_spki(serialization.load_der_private_key(data, password=None))
    except TypeError:
        return 'encrypted'
    except (ValueError, crypto_exceptions.UnsupportedAlgorithm):
        return None


def order_chain(leaf, others):
    """The certificates of ``others`` on the issuer path above ``leaf`` (by name, signature not checked
    here: the controller verifies), in path order."""
    path, current, pool = [], leaf, [c for c in others if c is not leaf]
    while True:
        nxt = next((c for c in pool if c.subject == current.issuer and c is not current), None)
        if nxt is None or current.subject == current.issuer:
            return path
        path.append(nxt)
        pool.remove(nxt)
        current = nxt


def is_ca(cert):
    try:
        return bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except (x509.ExtensionNotFound, ValueError):
        return False


def pem(cert):
    return cert.public_bytes(serialization.Encoding.PEM).decode('ascii')
