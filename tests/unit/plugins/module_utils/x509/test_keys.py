# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for module_utils/x509/keys.py: public key type and size, SPKI fingerprint."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import hashlib

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from ansible_collections.pki.lifecycle.plugins.module_utils.x509.keys import public_key_spec, spki_sha256
from harness.certs import ec_key


def test_public_key_spec():
    assert public_key_spec(rsa.generate_private_key(65537, 2048).public_key()) == ('rsa', 2048)
    assert public_key_spec(ec_key().public_key()) == ('ec', 'P-256')
    assert public_key_spec(ec.generate_private_key(ec.SECP384R1()).public_key()) == ('ec', 'P-384')
    assert public_key_spec(ed25519.Ed25519PrivateKey.generate().public_key()) == ('ed25519', None)


def test_spki_sha256_matches_hashlib():
    key = ec_key().public_key()
    der = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    assert spki_sha256(key) == hashlib.sha256(der).hexdigest()
