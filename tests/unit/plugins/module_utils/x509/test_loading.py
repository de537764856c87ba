# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for module_utils/x509/loading.py: PEM text or a path, certificates, verified CSRs."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type


import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from ansible_collections.pki.lifecycle.plugins.module_utils.errors import InputError
from ansible_collections.pki.lifecycle.plugins.module_utils.x509.loading import (
    csr_public_key, csr_subject, load_certificate, load_certificates, load_csr, load_stored_csr, pem,
    read_pem_input, self_issued,
)
from harness.certs import make_csr


def test_read_pem_input_text_and_path(tmp_path, pki):
    text = pem(pki['leaf'])
    assert read_pem_input(text, 'certificate') == text
    path = tmp_path / 'leaf.pem'
    path.write_text(text)
    assert read_pem_input(str(path), 'certificate') == text


def test_read_pem_input_missing_path(tmp_path):
    with pytest.raises(InputError, match='does not exist'):
        read_pem_input(str(tmp_path / 'nope.csr'), 'csr')


def test_read_pem_input_not_pem():
    with pytest.raises(InputError) as err:
        read_pem_input('hello world\nnot a csr', 'csr')
    assert "csr is not PEM: expected '-----BEGIN CERTIFICATE REQUEST-----'" in str(err.value)
    assert 'pass the PEM text or a path to it' in str(err.value)


def test_read_pem_input_wrong_type(pki):
    with pytest.raises(InputError, match='CERTIFICATE REQUEST'):
        read_pem_input(pem(pki['leaf']), 'csr')


def test_read_pem_input_empty():
    with pytest.raises(InputError, match='empty'):
        read_pem_input('  ', 'csr')


def test_load_certificate_malformed(pki):
    text = pem(pki['leaf'])
    lines = text.splitlines()
    broken = '\n'.join(lines[:2] + ['!!!!' + lines[2][4:]] + lines[3:])
    with pytest.raises(InputError, match='not a PEM/DER certificate'):
        load_certificate(broken)
    with pytest.raises(InputError, match='not PEM'):
        load_certificate('garbage')


def test_load_certificates_bundle(pki):
    bundle = pem(pki['inter']) + pem(pki['root'])
    certs = load_certificates(bundle)
    assert [c.subject for c in certs] == [pki['inter'].subject, pki['root'].subject]
    assert load_certificates('') == []
    assert load_certificate(bundle).subject == pki['inter'].subject


def test_load_csr_ok():
    csr = load_csr(pem(make_csr()))
    assert csr.is_signature_valid


def test_load_csr_tampered_signature():
    der = bytearray(make_csr().public_bytes(serialization.Encoding.DER))
    der[-5] ^= 0x01    # inside the signature BIT STRING
    tampered = x509.load_der_x509_csr(bytes(der))
    with pytest.raises(InputError) as err:
        load_csr(pem(tampered))
    assert 'CSR signature does not verify' in str(err.value)
    assert 'generate it again' in str(err.value)


def test_load_csr_tampered_subject():
    pem_text = pem(make_csr(subject='CN=aaaa'))
    der = bytearray(x509.load_pem_x509_csr(pem_text.encode()).public_bytes(serialization.Encoding.DER))
    idx = der.find(b'aaaa')
    der[idx] = ord('b')
    with pytest.raises(InputError, match='does not verify'):
        load_csr(pem(x509.load_der_x509_csr(bytes(der))))


def test_load_csr_malformed():
    body = '-----BEGIN CERTIFICATE REQUEST-----\nTUlJQmFkZGF0YQ==\n-----END CERTIFICATE REQUEST-----\n'
    with pytest.raises(InputError, match='csr is not a PEM/DER CSR'):
        load_csr(body)
    with pytest.raises(InputError, match='not PEM'):
        load_csr('not a csr')


def test_load_stored_csr_is_not_verified_again():
    # A CSR the inventory keeps was verified when it was accepted: read back for a renewal it is
    # parsed only (this one's signature was broken afterwards, which a new request would refuse).
    der = bytearray(make_csr().public_bytes(serialization.Encoding.DER))
    der[-5] ^= 0x01
    stored = pem(x509.load_der_x509_csr(bytes(der)))
    csr = load_stored_csr(stored)
    assert not csr.is_signature_valid
    assert load_csr(stored) is csr   # the CA's load_csr of the same PEM: the stored request
    assert csr_public_key(csr) is csr_public_key(csr) and csr_public_key(csr) == csr.public_key()
    assert csr_subject(csr) is csr_subject(csr) and csr_subject(csr) == csr.subject
    with pytest.raises(InputError, match='stored CSR is not a PEM CSR'):
        load_stored_csr('-----BEGIN CERTIFICATE REQUEST-----\nTUlJQmFkZGF0YQ==\n-----END CERTIFICATE REQUEST-----\n')


def test_self_issued_reads_issuer_and_subject_without_cryptography(pki):
    # The DER reader agrees with cryptography's names on a root, an intermediate and a leaf.
    for name in ('root', 'inter', 'leaf'):
        cert = pki[name]
        assert self_issued(pem(cert)) is (cert.subject == cert.issuer), name
    assert self_issued(pem(pki['root'])) is True and self_issued(pem(pki['leaf'])) is False
    body = pem(pki['leaf']).splitlines()
    assert self_issued('\n'.join(body[:3] + body[-1:])) is None   # cut short
    assert self_issued('-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n') is None
