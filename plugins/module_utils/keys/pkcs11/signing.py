# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Signing inside the token: one PKCS#11 mechanism per request, preferring the token's
combined mechanism and otherwise hashing on the host.

=============  =================================  ==========================================
algorithm      combined mechanism                 fallback (host hashes)
=============  =================================  ==========================================
rsa-pkcs1v15   CKM_SHA{256,384,512}_RSA_PKCS      CKM_RSA_PKCS over DigestInfo(hash)
rsa-pss        CKM_SHA*_RSA_PKCS_PSS + params     CKM_RSA_PKCS_PSS over the hash + params
ecdsa          CKM_ECDSA_SHA{256,384,512}         CKM_ECDSA over the hash (SoftHSM 2.6)
ed25519        CKM_EDDSA                          none
=============  =================================  ==========================================

ECDSA signatures come out of the token as r||s and are returned DER-encoded
(ECDSA-Sig-Value), as X.509 wants them. A mechanism the token lacks is refused with the
token's list of signing mechanisms.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import hashlib

from ansible_collections.pki.lifecycle.plugins.module_utils import x509 as x509_utils
from ansible_collections.pki.lifecycle.plugins.module_utils.errors import TokenError
from ansible_collections.pki.lifecycle.plugins.module_utils.keys.base import Signer
from ansible_collections.pki.lifecycle.plugins.module_utils.keys.csr import check_signature_algorithm
from ansible_collections.pki.lifecycle.plugins.module_utils.keys.pkcs11.token import mechanism_names

try:
    import pkcs11
    from pkcs11 import Mechanism
    from pkcs11 import exceptions as p11_exc
except ImportError:  # token.HAS_PKCS11 says so; the token refuses to open without it
    pass

# Only ECDSA signatures need it (r||s to DER); the token refuses to open without asn1crypto.
asn1_algos = x509_utils.LazyModule('asn1crypto.algos')

# DigestInfo DER prefixes (RFC 8017 9.2, note 1) for CKM_RSA_PKCS over a host-side hash.
_DIGEST_INFO = {
    'sha256': bytes.fromhex('3031300d060960864801650304020105000420'),
    'sha384': bytes.fromhex('3041300d060960864801650304020205000430'),
    'sha512': bytes.fromhex('3051300d060960864801650304020305000440'),
}


def _choices(signature_algorithm, digest):
    """[(mechanism, parameter, host hashes?)] for a signature algorithm, preferred first."""
    if signature_algorithm == 'ed25519':
        return [(Mechanism.EDDSA, None, False)]
    size = digest[3:]
    if signature_algorithm == 'rsa-pkcs1v15':
        return [(getattr(Mechanism, 'SHA%s_RSA_PKCS' % size), None, False),
                (Mechanism.RSA_PKCS, None, True)]
    if signature_algorithm == 'rsa-pss':
        param = (getattr(Mechanism, 'SHA%s' % size), getattr(pkcs11.MGF, 'SHA%s' % size),
                 hashlib.new(digest).digest_size)
        return [(getattr(Mechanism, 'SHA%s_RSA_PKCS_PSS' % size), param, False),
                (Mechanism.RSA_PKCS_PSS, param, True)]
    return [(getattr(Mechanism, 'ECDSA_SHA%s' % size), None, False),
            (Mechanism.ECDSA, None, True)]


class Pkcs11Signer(Signer):
    """A private key object in a token (a ``token.TokenSession``). ``private_key`` stays None:
    it never leaves the token."""

    def __init__(self, token, key_name, private_key_obj, public_key):
        self.token = token
        self.key_name = key_name
        self.key = private_key_obj
        self.public_key = public_key

    def mechanism(self, signature_algorithm, digest):
        """(mechanism, parameter, host_hash) for a signature algorithm, or TokenError naming the
        token's mechanisms."""
        available = self.token.mechanisms()
        choices = _choices(signature_algorithm, digest)
        for mech, param, host_hash in choices:
            if mech in available:
                return mech, param, host_hash
        raise TokenError("token profile '%s': the token cannot sign %s%s; it lacks %s. Its signing "
                         "mechanisms: %s." % (self.token.name, signature_algorithm,
                                              ' with %s' % digest if digest else '',
                                              ' and '.join('CKM_%s' % c[0].name for c in choices),
                                              ', '.join(mechanism_names(available)) or 'none'),
                         'Choose another signature_algorithm or digest, or a key in a token that supports it.')

    def sign(self, data, signature_algorithm=None, digest='sha256'):
        signature_algorithm, digest = check_signature_algorithm(self.public_key, signature_algorithm, digest)
        mech, param, host_hash = self.mechanism(signature_algorithm, digest)
        payload = data
        if host_hash:
            payload = hashlib.new(digest, data).digest()
            if mech == Mechanism.RSA_PKCS:
                payload = _DIGEST_INFO[digest] + payload
        try:
            if param is None:
                signature = self.key.sign(payload, mechanism=mech)
            else:
                signature = self.key.sign(payload, mechanism=mech, mechanism_param=param)
        except p11_exc.PKCS11Error as exc:
            raise self.token.error('signing with key %r (CKM_%s) failed' % (self.key_name, mech.name), exc,
                                   'Check that the key may sign (CKA_SIGN) with this mechanism.')
        if signature_algorithm == 'ecdsa':
            half = len(signature) // 2
            signature = asn1_algos.DSASignature({
                'r': int.from_bytes(signature[:half], 'big'),
                's': int.from_bytes(signature[half:], 'big'),
            }).dump()
        return signature
