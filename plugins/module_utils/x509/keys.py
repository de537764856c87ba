# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Public keys and fingerprints: what a certificate or CSR's key is, and the digests that
identify a key (SPKI SHA-256, the request identity and key comparisons) and a certificate.

Public keys are described as ``('rsa', 2048)``, ``('ec', 'P-256')``, ``('ed25519', None)``.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import binascii
from ansible_collections.pki.lifecycle.plugins.module_utils.x509.base import LazyModule

hashes = LazyModule('cryptography.hazmat.primitives.hashes')
serialization = LazyModule('cryptography.hazmat.primitives.serialization')
dsa = LazyModule('cryptography.hazmat.primitives.asymmetric.dsa')
ec = LazyModule('cryptography.hazmat.primitives.asymmetric.ec')
ed448 = LazyModule('cryptography.hazmat.primitives.asymmetric.ed448')
ed25519 = LazyModule('cryptography.hazmat.primitives.asymmetric.ed25519')
rsa = LazyModule('cryptography.hazmat.primitives.asymmetric.rsa')

_CURVE_NAMES = {'secp256r1': 'P-256', 'secp384r1': 'P-384', 'secp521r1': 'P-521'}


def fingerprint(cert, algorithm='sha256'):
    """Lowercase hex digest of the certificate DER, no colons."""
    algo = {'sha256': hashes.SHA256, 'sha1': hashes.SHA1, 'sha384': hashes.SHA384,
            'sha512': hashes.SHA512}[algorithm]()
    return binascii.hexlify(cert.fingerprint(algo)).decode('ascii')


def spki_sha256(public_key):
    """Lowercase hex SHA-256 over the SubjectPublicKeyInfo DER (also takes a cert or CSR)."""
    if hasattr(public_key, 'public_key'):
        public_key = public_key.public_key()
    der = public_key.public_bytes(serialization.Encoding.DER,
                                  serialization.PublicFormat.SubjectPublicKeyInfo)
    digest = hashes.Hash(hashes.SHA256())
    digest.update(der)
    return binascii.hexlify(digest.finalize()).decode('ascii')


def public_key_spec(public_key):
    """('rsa', bits), ('ec', 'P-256'), ('ed25519', None); other types reported, not refused."""
    if hasattr(public_key, 'public_key'):
        public_key = public_key.public_key()
    if isinstance(public_key, rsa.RSAPublicKey):
        return 'rsa', public_key.key_size
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        return 'ec', _CURVE_NAMES.get(public_key.curve.name, public_key.curve.name)
    if isinstance(public_key, ed25519.Ed25519PublicKey):
        return 'ed25519', None
    if isinstance(public_key, ed448.Ed448PublicKey):
        return 'ed448', None
    if isinstance(public_key, dsa.DSAPublicKey):
        return 'dsa', public_key.key_size
    return type(public_key).__name__.lower(), None


def public_key_dict(public_key):
    """``public_key_spec`` as the inventory records it: {type, size} or {type, curve}."""
    key_type, param = public_key_spec(public_key)
    if key_type == 'ec':
        return {'type': key_type, 'curve': param}
    if param is not None:
        return {'type': key_type, 'size': param}
    return {'type': key_type}
