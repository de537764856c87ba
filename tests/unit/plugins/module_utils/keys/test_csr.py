# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for keys/csr.py: both signing paths, checked by `openssl req -verify`."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import shutil
import subprocess
import tempfile

import pytest
from asn1crypto import csr as asn1_csr
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID

from ansible_collections.pki.lifecycle.plugins.module_utils import x509 as X
from ansible_collections.pki.lifecycle.plugins.module_utils.errors import InputError, TokenError
from ansible_collections.pki.lifecycle.plugins.module_utils.keys import csr as C
from ansible_collections.pki.lifecycle.plugins.module_utils.keys.base import KeySpec, Signer

OPENSSL = shutil.which('openssl')
KEYS = {}


def key_for(spec):
    """One key per spec for the whole module: RSA generation is slow."""
    if spec not in KEYS:
        key_type, param = spec
        KEYS[spec] = C.generate_private_key(KeySpec(key_type, key_size=param, curve=param))
    return KEYS[spec]


class SoftwareSigner(Signer):
    def __init__(self, key):
        self.private_key = key
        self.public_key = key.public_key()


class TokenLikeSigner(Signer):
    """Wraps a software key but hides it, as a PKCS#11 token would: forces the asn1crypto path."""

    def __init__(self, key):
        self._key = key
        self.public_key = key.public_key()
        self.calls = []

    def sign(self, data, signature_algorithm, digest):
        self.calls.append((signature_algorithm, digest))
        return C.sign_with_key(self._key, data, signature_algorithm, digest)


def openssl_verify(pem_text):
    # openssl is the independent judge of our CSRs: its absence is a failure, never a skip.
    assert OPENSSL is not None, 'openssl binary not installed (make test installs it)'
    with tempfile.NamedTemporaryFile('w', suffix='.csr') as f:
        f.write(pem_text)
        f.flush()
        result = subprocess.run([OPENSSL, 'req', '-verify', '-noout', '-in', f.name],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False)
    out = result.stdout.decode()
    # OpenSSL 3.0 exits 0 even when the self-signature fails, so read what it says too.
    return result.returncode == 0 and 'verify OK' in out and 'failure' not in out, out


CASES = [
    (('rsa', 2048), 'rsa-pkcs1v15', 'sha256'),
    (('rsa', 2048), 'rsa-pkcs1v15', 'sha512'),
    (('rsa', 2048), 'rsa-pss', 'sha256'),
    (('rsa', 2048), 'rsa-pss', 'sha384'),
    (('rsa', 2048), 'rsa-pss', 'sha512'),
    (('ec', 'P-256'), 'ecdsa', 'sha256'),
    (('ec', 'P-384'), 'ecdsa', 'sha384'),
    (('ed25519', None), 'ed25519', 'sha256'),
]
EXTENSIONS = {'key_usage': ['digital_signature'], 'extended_key_usage': ['server_auth', 'client_auth'],
              'basic_constraints': {'ca': False}}


@pytest.mark.parametrize('path', ['software', 'token'])
@pytest.mark.parametrize('spec,algorithm,digest', CASES)
def test_build_csr_verifies_with_openssl(spec, algorithm, digest, path):
    key = key_for(spec)
    signer = SoftwareSigner(key) if path == 'software' else TokenLikeSigner(key)
    pem_text = C.build_csr(signer, 'CN=www.example.org,O=Example', ['DNS:www.example.org', 'IP:192.0.2.7'],
                           EXTENSIONS, algorithm, digest)
    ok, out = openssl_verify(pem_text)
    assert ok, out
    csr = X.load_csr(pem_text)
    info = X.csr_info(csr)
    assert info['subject'] == 'CN=www.example.org,O=Example'
    assert info['subject_alt_names'] == ['DNS:www.example.org', 'IP:192.0.2.7']
    assert info['spki_sha256'] == X.spki_sha256(key.public_key())
    assert info['signature_algorithm'] == algorithm
    assert info['signature_digest'] == (None if algorithm == 'ed25519' else digest)
    assert info['extensions'] == {'key_usage': ['digital_signature'],
                                  'extended_key_usage': ['server_auth', 'client_auth'],
                                  'basic_constraints': {'ca': False, 'path_length': None}}
    if algorithm == 'rsa-pss':
        params = csr.signature_algorithm_parameters
        assert isinstance(params, padding.PSS)
    if path == 'token':
        assert signer.calls == [(algorithm, None if algorithm == 'ed25519' else digest)]


@pytest.mark.parametrize('spec,algorithm,digest', CASES)
def test_both_paths_encode_the_same_request(spec, algorithm, digest):
    key = key_for(spec)
    args = ({'CN': 'same', 'O': 'Example'}, ['DNS:same.example.org', 'email:a@example.org'], EXTENSIONS,
            algorithm, digest)
    soft = x509.load_pem_x509_csr(C.build_csr(SoftwareSigner(key), *args).encode())
    token = x509.load_pem_x509_csr(C.build_csr(TokenLikeSigner(key), *args).encode())
    assert soft.tbs_certrequest_bytes == token.tbs_certrequest_bytes
    # The AlgorithmIdentifier (including RSASSA-PSS parameters) is encoded the same way too.
    soft_der, token_der = (c.public_bytes(serialization.Encoding.DER) for c in (soft, token))
    soft_alg, token_alg = (asn1_csr.CertificationRequest.load(d)['signature_algorithm'].dump()
                           for d in (soft_der, token_der))
    assert soft_alg == token_alg
    if algorithm in ('rsa-pkcs1v15', 'ed25519'):    # deterministic signatures: identical CSRs
        assert soft_der == token_der


@pytest.mark.parametrize('path', ['software', 'token'])
def test_tampered_csr_refused(path):
    key = key_for(('ec', 'P-256'))
    signer = SoftwareSigner(key) if path == 'software' else TokenLikeSigner(key)
    der = bytearray(x509.load_pem_x509_csr(C.build_csr(signer, 'CN=t', ['DNS:t.example.org']).encode())
                    .public_bytes(serialization.Encoding.DER))
    der[-3] ^= 0x01   # a byte of the signature
    tampered = X.pem(x509.load_der_x509_csr(bytes(der)))
    ok, out = openssl_verify(tampered)
    assert not ok, out
    with pytest.raises(InputError, match='CSR signature does not verify'):
        X.load_csr(tampered)


def test_token_that_signs_wrongly_is_caught():
    class BadToken(TokenLikeSigner):
        def sign(self, data, signature_algorithm, digest):
            return C.sign_with_key(key_for(('ec', 'P-384')), data, signature_algorithm, digest)
    with pytest.raises(TokenError, match='does not verify with the public key'):
        C.build_csr(BadToken(key_for(('ec', 'P-256'))), 'CN=x')


def test_defaults_and_empty_subject():
    key = key_for(('ec', 'P-256'))
    csr = X.load_csr(C.build_csr(SoftwareSigner(key), None, ['DNS:only-san.example.org']))
    assert X.csr_info(csr)['signature_algorithm'] == 'ecdsa'
    san = csr.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    assert san.critical is True   # RFC 5280: empty subject -> SAN critical
    csr = X.load_csr(C.build_csr(SoftwareSigner(key), 'CN=x', ['DNS:x.example.org']))
    assert csr.extensions.get_extension_for_class(x509.SubjectAlternativeName).critical is False
    with pytest.raises(InputError, match='neither a subject nor subject_alt_names'):
        C.build_csr(SoftwareSigner(key), '', [])


def test_default_signature_algorithm():
    assert C.default_signature_algorithm(key_for(('rsa', 2048)).public_key()) == 'rsa-pkcs1v15'
    assert C.default_signature_algorithm(key_for(('ec', 'P-256')).public_key()) == 'ecdsa'
    assert C.default_signature_algorithm(key_for(('ed25519', None)).public_key()) == 'ed25519'


@pytest.mark.parametrize('spec,algorithm,message', [
    (('rsa', 2048), 'ecdsa', 'signature_algorithm ecdsa does not fit an RSA key; use rsa-pkcs1v15 or rsa-pss'),
    (('rsa', 2048), 'ed25519', 'does not fit an RSA key'),
    (('ec', 'P-256'), 'rsa-pss', 'signature_algorithm rsa-pss does not fit an EC key; use ecdsa'),
    (('ed25519', None), 'ecdsa', 'does not fit an Ed25519 key; use ed25519'),
    (('ec', 'P-256'), 'dsa', "signature_algorithm 'dsa' is unknown.*rsa-pkcs1v15, rsa-pss, ecdsa, ed25519"),
])
def test_signature_algorithm_must_fit_key(spec, algorithm, message):
    with pytest.raises(InputError, match=message):
        C.build_csr(SoftwareSigner(key_for(spec)), 'CN=x', signature_algorithm=algorithm)


def test_bad_digest():
    with pytest.raises(InputError, match="digest 'md5' is not supported.*sha256, sha384, sha512"):
        C.build_csr(SoftwareSigner(key_for(('ec', 'P-256'))), 'CN=x', digest='md5')
    # Ed25519 hashes internally: the default digest must not get in the way.
    assert C.check_signature_algorithm(key_for(('ed25519', None)).public_key(), None, 'sha512') == \
        ('ed25519', None)


def test_build_extensions_parsing():
    exts = C.build_extensions({
        'key_usage': ['digitalSignature', 'non_repudiation', 'key-encipherment'],
        'extended_key_usage': ['serverAuth', 'OCSPSigning', 'time_stamping', '1.3.6.1.5.5.7.3.17'],
        'basic_constraints': {'ca': 'yes', 'path_length': '1'},
    })
    (bc, bc_crit), (ku, ku_crit), (eku, eku_crit) = exts
    assert bc == x509.BasicConstraints(ca=True, path_length=1) and bc_crit is True
    assert ku_crit is True and ku.digital_signature and ku.content_commitment and ku.key_encipherment
    assert not ku.key_cert_sign
    assert eku_crit is False
    assert list(eku) == [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.OCSP_SIGNING,
                         ExtendedKeyUsageOID.TIME_STAMPING, x509.ObjectIdentifier('1.3.6.1.5.5.7.3.17')]
    assert C.build_extensions(None) == [] and C.build_extensions({}) == []
    assert C.build_extensions({'key_usage': [], 'extended_key_usage': []}) == []
    (bc, crit), = C.build_extensions({'basic_constraints': {'ca': False, 'critical': False}})
    assert crit is False


@pytest.mark.parametrize('extensions,message', [
    ({'subject_alt_names': ['DNS:x']}, 'unknown extension subject_alt_names.*key_usage, extended_key_usage, '
                                       'basic_constraints'),
    ({'key_usage': ['sign_everything']}, "unknown usage 'sign_everything'.*digital_signature"),
    ({'extended_key_usage': ['web']}, "unknown usage 'web'.*server_auth"),
    ({'basic_constraints': {'ca': False, 'path_length': 2}}, 'path_length needs ca: true'),
    ({'basic_constraints': {'cA': True}}, 'unknown key cA'),
    ({'basic_constraints': True}, 'must be a dict'),
    ({'key_usage': ['encipher_only']}, 'key_agreement'),
    (['key_usage'], 'extensions must be a dict'),
])
def test_build_extensions_bad(extensions, message):
    with pytest.raises(InputError, match=message):
        C.build_extensions(extensions)


def test_generate_private_key():
    assert isinstance(C.generate_private_key(KeySpec('ec', curve='P-384')).curve, ec.SECP384R1)
    assert isinstance(C.generate_private_key(KeySpec('ec', curve='prime256v1')).curve, ec.SECP256R1)
    assert isinstance(C.generate_private_key(KeySpec('ed25519')), ed25519.Ed25519PrivateKey)
    assert isinstance(key_for(('rsa', 2048)), rsa.RSAPrivateKey)
    with pytest.raises(InputError, match="key_type 'dsa' is not supported"):
        C.generate_private_key(KeySpec('dsa'))
    with pytest.raises(InputError, match="curve 'P-192' is not supported.*P-256, P-384"):
        C.generate_private_key(KeySpec('ec', curve='P-192'))
    with pytest.raises(InputError, match='not a usable RSA key size'):
        C.generate_private_key(KeySpec('rsa', key_size=512))
