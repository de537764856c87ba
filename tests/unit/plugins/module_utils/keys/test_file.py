# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for keys/file.py and keys/stores.py."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import stat

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding

from ansible_collections.pki.lifecycle.plugins.module_utils import x509 as X
from ansible_collections.pki.lifecycle.plugins.module_utils.errors import InputError, TokenError
from ansible_collections.pki.lifecycle.plugins.module_utils.keys import csr as C
from ansible_collections.pki.lifecycle.plugins.module_utils.keys.base import KeySpec
from ansible_collections.pki.lifecycle.plugins.module_utils.keys.file import FileKeyStore, FileSigner
from ansible_collections.pki.lifecycle.plugins.module_utils.keys.stores import KEY_STORE_TYPES, open_key_store

PASSPHRASE = 'correct horse battery staple'


def store(tmp_path, secrets=None, sub='keys'):
    return FileKeyStore('files', {'path': str(tmp_path / sub)}, secrets or {})


def mode(path):
    return stat.S_IMODE(os.stat(str(path)).st_mode)


def test_generate_writes_0600_pkcs8_in_0700_dir(tmp_path):
    s = store(tmp_path)
    assert not s.has_key('web')
    signer = s.generate('web', KeySpec('ec'))
    assert isinstance(signer, FileSigner)
    assert s.has_key('web')
    assert mode(tmp_path / 'keys') == 0o700
    assert mode(tmp_path / 'keys' / 'web.pem') == 0o600
    text = (tmp_path / 'keys' / 'web.pem').read_text()
    assert text.startswith('-----BEGIN PRIVATE KEY-----')   # PKCS#8, unencrypted
    assert os.listdir(str(tmp_path / 'keys')) == ['web.pem']  # no temp file left behind
    assert s.key_ref('web') == 'files:web'


def test_generate_refuses_to_overwrite(tmp_path):
    s = store(tmp_path)
    s.generate('web', KeySpec('ec'))
    before = (tmp_path / 'keys' / 'web.pem').read_bytes()
    with pytest.raises(TokenError, match="key 'web' already exists in token profile 'files'"):
        s.generate('web', KeySpec('ed25519'))
    # Even when the pre-check is bypassed (a concurrent run), the write itself refuses.
    with pytest.raises(TokenError, match='already exists'):
        s._write('web', C.generate_private_key(KeySpec('ec')))
    assert (tmp_path / 'keys' / 'web.pem').read_bytes() == before
    assert os.listdir(str(tmp_path / 'keys')) == ['web.pem']


@pytest.mark.parametrize('spec', [KeySpec('rsa', key_size=2048), KeySpec('ec', curve='P-384'), KeySpec('ed25519')])
def test_signer_loads_and_builds_csr(tmp_path, spec):
    s = store(tmp_path)
    generated = s.generate('k1', spec)
    signer = s.signer('k1')
    assert X.spki_sha256(signer.public_key) == X.spki_sha256(generated.public_key)
    csr = X.load_csr(C.build_csr(signer, 'CN=k1.example.org', ['DNS:k1.example.org']))
    assert X.csr_info(csr)['spki_sha256'] == X.spki_sha256(signer.public_key)


def test_file_signer_sign(tmp_path):
    s = store(tmp_path)
    rsa_signer = s.generate('r', KeySpec('rsa', key_size=2048))
    sig = rsa_signer.sign(b'data', 'rsa-pss', 'sha384')
    rsa_signer.public_key.verify(sig, b'data', padding.PSS(padding.MGF1(hashes.SHA384()), 48), hashes.SHA384())
    sig = rsa_signer.sign(b'data', 'rsa-pkcs1v15', 'sha256')
    rsa_signer.public_key.verify(sig, b'data', padding.PKCS1v15(), hashes.SHA256())
    ec_signer = s.generate('e', KeySpec('ec'))
    ec_signer.public_key.verify(ec_signer.sign(b'data', 'ecdsa', 'sha256'), b'data', ec.ECDSA(hashes.SHA256()))
    ed_signer = s.generate('d', KeySpec('ed25519'))
    ed_signer.public_key.verify(ed_signer.sign(b'data', 'ed25519', None), b'data')
    with pytest.raises(InputError, match='does not fit an EC key'):
        ec_signer.sign(b'data', 'rsa-pss', 'sha256')


def test_encrypted_key_round_trip(tmp_path):
    s = store(tmp_path, {'passphrase': PASSPHRASE})
    s.generate('web', KeySpec('ec'))
    assert (tmp_path / 'keys' / 'web.pem').read_text().startswith('-----BEGIN ENCRYPTED PRIVATE KEY-----')
    assert store(tmp_path, {'passphrase': PASSPHRASE}).signer('web').private_key is not None


@pytest.mark.parametrize('secrets', [{}, {'passphrase': 'wrong passphrase 12345'}])
def test_encrypted_key_wrong_or_missing_passphrase(tmp_path, secrets, monkeypatch):
    monkeypatch.delenv('PKI_LIFECYCLE_TOKEN_PASSPHRASE', raising=False)
    store(tmp_path, {'passphrase': PASSPHRASE}).generate('web', KeySpec('ec'))
    with pytest.raises(TokenError) as err:
        store(tmp_path, secrets).signer('web')
    text = str(err.value)
    assert ("key 'web' in token profile 'files' is encrypted and the passphrase is wrong or missing: "
            "pass token_secrets.passphrase") in text
    assert PASSPHRASE not in text and 'wrong passphrase 12345' not in text
    assert PASSPHRASE not in repr(err.value.details)


def test_passphrase_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv('PKI_LIFECYCLE_TOKEN_PASSPHRASE', PASSPHRASE)
    store(tmp_path).generate('web', KeySpec('ec'))
    assert b'ENCRYPTED' in (tmp_path / 'keys' / 'web.pem').read_bytes()
    assert store(tmp_path).signer('web')
    monkeypatch.delenv('PKI_LIFECYCLE_TOKEN_PASSPHRASE')
    with pytest.raises(TokenError, match='passphrase is wrong or missing'):
        store(tmp_path).signer('web')


def test_passphrase_given_for_plain_key_is_tolerated(tmp_path):
    store(tmp_path).generate('plain', KeySpec('ec'))
    assert store(tmp_path, {'passphrase': PASSPHRASE}).signer('plain').private_key is not None


def test_missing_and_corrupt_key(tmp_path):
    s = store(tmp_path)
    with pytest.raises(TokenError, match="key 'nope' not found in token profile 'files'"):
        s.signer('nope')
    os.makedirs(str(tmp_path / 'keys'))
    (tmp_path / 'keys' / 'bad.pem').write_text('-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n')
    with pytest.raises(TokenError, match='not a readable PEM private key'):
        s.signer('bad')


@pytest.mark.parametrize('name', ['../escape', 'a/b', '.hidden', '', 'sp ace', '..', 'x' * 201, None])
def test_key_names_cannot_be_paths(tmp_path, name):
    s = store(tmp_path)
    for call in (lambda: s.generate(name, KeySpec('ec')), lambda: s.signer(name),
                 lambda: s.has_key(name), lambda: s.destroy(name)):
        with pytest.raises(InputError, match='is not allowed'):
            call()
    assert not (tmp_path / 'escape.pem').exists()


def test_destroy(tmp_path):
    s = store(tmp_path)
    s.generate('gone', KeySpec('ec'))
    assert s.destroy('gone') is True
    assert not s.has_key('gone')
    assert s.destroy('gone') is False


def test_import_key(tmp_path):
    key = C.generate_private_key(KeySpec('ec'))
    traditional = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                    serialization.BestAvailableEncryption(b'import-pass')).decode()
    s = store(tmp_path, {'passphrase': PASSPHRASE})
    with pytest.raises(InputError, match='encrypted and no passphrase'):
        s.import_key('imp', traditional)
    with pytest.raises(InputError, match='passphrase is wrong'):
        s.import_key('imp', traditional, 'nope')
    signer = s.import_key('imp', traditional, 'import-pass')
    assert X.spki_sha256(signer.public_key) == X.spki_sha256(key.public_key())
    text = (tmp_path / 'keys' / 'imp.pem').read_text()
    assert text.startswith('-----BEGIN ENCRYPTED PRIVATE KEY-----')   # re-encoded with the store's passphrase
    assert mode(tmp_path / 'keys' / 'imp.pem') == 0o600
    with pytest.raises(TokenError, match='already exists'):
        s.import_key('imp', traditional, 'import-pass')
    with pytest.raises(InputError, match='not PEM'):
        s.import_key('other', 'not a key\nat all')


def test_options_and_secrets_validated(tmp_path):
    with pytest.raises(InputError, match="unknown option dir.*Valid options: path"):
        FileKeyStore('files', {'path': str(tmp_path), 'dir': 'x'}, {})
    with pytest.raises(InputError, match="unknown secret password.*Valid secrets: passphrase"):
        FileKeyStore('files', {'path': str(tmp_path)}, {'password': 'x'})
    with pytest.raises(InputError, match='needs option path'):
        FileKeyStore('files', {}, {})
    with pytest.raises(InputError, match='is not absolute'):
        FileKeyStore('files', {'path': 'relative/keys'}, {})
    assert FileKeyStore('files', {'path': '~/keys'}, {}).path == os.path.expanduser('~/keys')


def test_check(tmp_path):
    store(tmp_path, sub='not/yet/there').check()         # can be created: fine
    assert not (tmp_path / 'not').exists()                # check() creates nothing
    store(tmp_path).generate('x', KeySpec('ec'))
    store(tmp_path).check()
    (tmp_path / 'afile').write_text('x')
    with pytest.raises(TokenError, match='is not a directory'):
        store(tmp_path, sub='afile').check()


def test_check_unwritable(tmp_path, monkeypatch):
    # os.access is patched rather than chmod-ing, which root (CI containers) ignores.
    ro = tmp_path / 'ro'
    ro.mkdir()
    real_access = os.access
    monkeypatch.setattr(os, 'access', lambda p, m: False if str(p) == str(ro) else real_access(p, m))
    with pytest.raises(TokenError, match='not writable'):
        store(tmp_path, sub='ro').check()
    with pytest.raises(TokenError, match='cannot be created'):
        store(tmp_path, sub='ro/keys').check()


def test_open_key_store(tmp_path):
    assert 'file' in KEY_STORE_TYPES
    s = open_key_store({'name': 'files', 'type': 'file', 'options': {'path': str(tmp_path)}},
                       {'passphrase': PASSPHRASE})
    assert isinstance(s, FileKeyStore) and s.name == 'files'
    with pytest.raises(InputError, match="token profile 'hsm' has unknown type 'tpm'.*Known types: file"):
        open_key_store({'name': 'hsm', 'type': 'tpm', 'options': {}}, {})
