# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""local_ca/signing.py: the token path (a key cryptography cannot sign with) makes
certificates and CRLs openssl accepts. The real PKCS#11 token runs in
tests/integration (SoftHSM); here a software key hides behind the Signer interface."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import subprocess

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from ansible_collections.pki.lifecycle.plugins.module_utils.errors import ConnectorError
from ansible_collections.pki.lifecycle.plugins.module_utils.keys.base import KeySpec
from ansible_collections.pki.lifecycle.plugins.module_utils.keys.csr import generate_private_key, sign_with_key
from ansible_collections.pki.lifecycle.plugins.module_utils.keys.file import FileSigner
from ansible_collections.pki.lifecycle.plugins.module_utils.local_ca.authority import Authority
from ansible_collections.pki.lifecycle.plugins.module_utils.local_ca.crl import Revocations
from ansible_collections.pki.lifecycle.plugins.module_utils.local_ca.layout import Layout
from ansible_collections.pki.lifecycle.plugins.module_utils.local_ca.lock import DirectoryLock


class TokenLikeSigner(FileSigner):
    """Signs only through sign(), like a PKCS#11 key; ``wrong`` signs with another key."""

    def __init__(self, key, wrong=False):
        super(TokenLikeSigner, self).__init__(key)
        self._key = generate_private_key(KeySpec('ec')) if wrong else key
        self.private_key = None

    def sign(self, data, signature_algorithm=None, digest='sha256'):
        return sign_with_key(self._key, data, signature_algorithm, digest)


class OneKeyStore(object):
    def __init__(self, signer):
        self._signer = signer

    def has_key(self, name):
        return True

    def signer(self, name):
        return self._signer


def openssl(*args):
    return subprocess.run(('openssl',) + args, capture_output=True, text=True, check=False)


@pytest.mark.parametrize('spec', [KeySpec('ec'), KeySpec('rsa', key_size=2048), KeySpec('ed25519')])
def test_token_signed_ca_and_crl_verify(tmp_path, spec):
    layout = Layout(str(tmp_path / 'ca'))
    lock = DirectoryLock(layout)
    store = OneKeyStore(TokenLikeSigner(generate_private_key(spec)))
    ca = Authority(layout, lock, subject='CN=Token CA', key_store=store, key_name='ca', token_profile='hsm')
    pair = ca.open(on_setup=Revocations(layout, lock, validity_days=7).ensure_crl)
    assert not (tmp_path / 'ca' / 'ca.key').exists()
    assert openssl('verify', '-CAfile', layout.ca_cert, layout.ca_cert).returncode == 0
    Revocations(layout, lock, validity_days=7).revoke(pair, 'abc', 'keyCompromise')
    check = openssl('crl', '-in', layout.crl, '-CAfile', layout.ca_cert, '-noout', '-verify')
    assert check.returncode == 0 and 'verify OK' in check.stdout + check.stderr


def test_a_wrong_token_signature_is_caught(tmp_path):
    layout = Layout(str(tmp_path / 'ca'))
    signer = TokenLikeSigner(ec.generate_private_key(ec.SECP256R1()), wrong=True)
    ca = Authority(layout, DirectoryLock(layout), subject='CN=Token CA', key_store=OneKeyStore(signer),
                   key_name='ca', token_profile='hsm')
    with pytest.raises(ConnectorError) as err:
        ca.open()
    assert 'does not verify' in str(err.value) and 'ca_key' in err.value.hint
    assert not (tmp_path / 'ca' / 'ca.pem').exists()
