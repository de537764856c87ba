# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Signing certificates and CRLs with the CA key: a key in a file or in a token."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import datetime

from ansible_collections.pki.lifecycle.plugins.module_utils import x509 as x509lib
from ansible_collections.pki.lifecycle.plugins.module_utils.errors import ConnectorError
from ansible_collections.pki.lifecycle.plugins.module_utils.keys import csr as csrlib
from ansible_collections.pki.lifecycle.plugins.module_utils.keys.base import Signer
from ansible_collections.pki.lifecycle.plugins.module_utils.x509.base import LazyModule

x509 = LazyModule('cryptography.x509')
crypto_exceptions = LazyModule('cryptography.exceptions')
hashes = LazyModule('cryptography.hazmat.primitives.hashes')
serialization = LazyModule('cryptography.hazmat.primitives.serialization')
ec = LazyModule('cryptography.hazmat.primitives.asymmetric.ec')
ed448 = LazyModule('cryptography.hazmat.primitives.asymmetric.ed448')
ed25519 = LazyModule('cryptography.hazmat.primitives.asymmetric.ed25519')
padding = LazyModule('cryptography.hazmat.primitives.asymmetric.padding')

# asn1crypto only serves a CA key kept in a token: imported on first use (keys/csr.py says
# whether it is there).
asn1_crl = x509lib.LazyModule('asn1crypto.crl')
asn1_x509 = x509lib.LazyModule('asn1crypto.x509')

# Certificates and CRLs start this much in the past, so a verifier with a slow clock accepts them.
CLOCK_SKEW = datetime.timedelta(seconds=60)


def hash_for(key):
    # Ed25519/Ed448 sign the message itself; cryptography wants no hash for them.
    return None if isinstance(key, (ed25519.Ed25519PrivateKey, ed448.Ed448PrivateKey)) else hashes.SHA256()


def public_key(key):
    """The public key of the CA key: a cryptography private key or a token Signer."""
    return key.public_key if isinstance(key, Signer) else key.public_key()


def sign(builder, key):
    """Sign a CertificateBuilder or CertificateRevocationListBuilder with the CA key.

    A software key signs through cryptography. A key in a token (a ``keys.base.Signer``
    without ``private_key``) cannot: cryptography signs only with its own key objects. So
    the builder signs with a throwaway P-256 key, asn1crypto swaps the signature algorithm
    inside the to-be-signed part, the token signs those DER bytes, and the result is
    assembled, loaded back and checked against the token's public key.
    """
    if not isinstance(key, Signer):
        return builder.sign(key, hash_for(key))
    if key.private_key is not None:   # a file token profile: a software key after all
        return builder.sign(key.private_key, hash_for(key.private_key))
    if not csrlib.HAS_ASN1CRYPTO:
        raise ConnectorError('Signing with a CA key in a token needs the Python library asn1crypto.',
                             hint='Install it on the controller: pip install asn1crypto.')
    algorithm = csrlib.default_signature_algorithm(key.public_key)
    digest = None if algorithm == 'ed25519' else 'sha256'
    draft = builder.sign(ec.generate_private_key(ec.SECP256R1()), hashes.SHA256())
    if isinstance(builder, x509.CertificateBuilder):
        outer, tbs_name, value_name, load = (asn1_x509.Certificate, 'tbs_certificate', 'signature_value',
                                             x509.load_der_x509_certificate)
    else:
        outer, tbs_name, value_name, load = (asn1_crl.CertificateList, 'tbs_cert_list', 'signature',
                                             x509.load_der_x509_crl)
    algorithm_id = csrlib._signature_algorithm_identifier(algorithm, digest)  # pylint: disable=protected-access
    tbs = outer.load(draft.public_bytes(serialization.Encoding.DER))[tbs_name]
    tbs['signature'] = algorithm_id
    tbs_der = tbs.dump()
    signature = key.sign(tbs_der, algorithm, digest)
    try:
        if algorithm == 'ed25519':
            key.public_key.verify(signature, tbs_der)
        elif algorithm == 'ecdsa':
            key.public_key.verify(signature, tbs_der, ec.ECDSA(hashes.SHA256()))
        else:
            key.public_key.verify(signature, tbs_der, padding.PKCS1v15(), hashes.SHA256())
    except crypto_exceptions.InvalidSignature:
        raise ConnectorError('The CA key in the token made a signature its public key does not verify.',
                             hint='Check that the token key named by ca_key belongs to the CA certificate.')
    return load(outer({tbs_name: tbs, 'signature_algorithm': algorithm_id, value_name: signature}).dump())
