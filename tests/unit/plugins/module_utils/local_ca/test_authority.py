# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""local_ca/authority.py: creating and importing the CA, checked with openssl."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import stat
import subprocess

import pytest
from cryptography import x509

from ansible_collections.pki.lifecycle.plugins.module_utils.errors import ConnectorError, InputError
from ansible_collections.pki.lifecycle.plugins.module_utils.keys.base import KeySpec
from ansible_collections.pki.lifecycle.plugins.module_utils.keys.file import FileKeyStore
from ansible_collections.pki.lifecycle.plugins.module_utils.local_ca.authority import Authority
from ansible_collections.pki.lifecycle.plugins.module_utils.local_ca.layout import Layout
from ansible_collections.pki.lifecycle.plugins.module_utils.local_ca.lock import DirectoryLock


def openssl(*args):
    return subprocess.run(('openssl',) + args, capture_output=True, text=True, check=False)


def authority(directory, **settings):
    layout = Layout(str(directory))
    settings.setdefault('subject', 'CN=Test CA,O=Example')
    return Authority(layout, DirectoryLock(layout), **settings)


@pytest.mark.parametrize('key_type, openssl_name', [
    ('ec', 'id-ecPublicKey'), ('rsa', 'rsaEncryption'), ('ed25519', 'ED25519')])
def test_create(tmp_path, key_type, openssl_name):
    setups = []
    ca = authority(tmp_path / 'ca', key_type=key_type, validity_days=10)
    cert, key = ca.open(on_setup=setups.append)
    assert setups == [(cert, key)]  # the first CRL is written under the same lock
    assert ca.open(on_setup=setups.append) == (cert, key) and len(setups) == 1
    ca_pem = str(tmp_path / 'ca' / 'ca.pem')
    assert openssl('verify', '-CAfile', ca_pem, ca_pem).returncode == 0  # self-signed, valid as a CA
    text = openssl('x509', '-in', ca_pem, '-noout', '-text').stdout
    assert openssl_name in text
    assert 'CA:TRUE, pathlen:0' in text and 'Certificate Sign, CRL Sign' in text
    assert cert.subject.rfc4514_string() == 'CN=Test CA,O=Example'
    assert 9 <= (cert.not_valid_after_utc - cert.not_valid_before_utc).days <= 10
    assert stat.S_IMODE(os.stat(str(tmp_path / 'ca')).st_mode) == 0o700
    key_file = tmp_path / 'ca' / 'ca.key'
    assert stat.S_IMODE(os.stat(str(key_file)).st_mode) == 0o600
    assert key_file.read_text().startswith('-----BEGIN PRIVATE KEY-----')  # PKCS#8, as before
    if key_type == 'rsa':
        assert 'Public-Key: (3072 bit)' in text
    # Another process (a new Authority) loads what is on disk.
    assert authority(tmp_path / 'ca').open()[0] == cert


def test_passphrase_encrypts_and_is_required(tmp_path):
    ca = authority(tmp_path / 'ca', passphrase='s3cret')
    ca.open()
    key_file = str(tmp_path / 'ca' / 'ca.key')
    assert open(key_file).read().startswith('-----BEGIN ENCRYPTED PRIVATE KEY-----')
    assert openssl('pkey', '-in', key_file, '-passin', 'pass:s3cret', '-noout').returncode == 0
    for passphrase, words in ((None, 'no passphrase was given'), ('wrong', 'wrong passphrase')):
        with pytest.raises(ConnectorError) as err:
            authority(tmp_path / 'ca', passphrase=passphrase).open()
        assert words in str(err.value) and 's3cret' not in str(err.value)
    plain = authority(tmp_path / 'plain')
    plain.open()
    with pytest.raises(ConnectorError, match='is not encrypted'):
        authority(tmp_path / 'plain', passphrase='x').open()


def test_never_replaces_a_key(tmp_path):
    ca = authority(tmp_path / 'ca')
    ca.open()
    (tmp_path / 'ca' / 'ca.pem').unlink()
    key_before = (tmp_path / 'ca' / 'ca.key').read_bytes()
    with pytest.raises(ConnectorError) as err:
        authority(tmp_path / 'ca').open()
    assert 'refusing to replace a CA key' in str(err.value) and 'Restore ca.pem' in err.value.hint
    assert (tmp_path / 'ca' / 'ca.key').read_bytes() == key_before


def test_empty_subject(tmp_path):
    with pytest.raises(InputError, match='ca_subject must not be empty'):
        authority(tmp_path / 'ca', subject='').open()


def make_openssl_ca(tmp_path, name, extensions=('basicConstraints=critical,CA:TRUE',
                                                'keyUsage=critical,keyCertSign,cRLSign')):
    key, cert = str(tmp_path / (name + '.key')), str(tmp_path / (name + '.pem'))
    args = ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key,
            '-out', cert, '-days', '30', '-subj', '/CN=%s' % name]
    for ext in extensions:
        args += ['-addext', ext]
    made = openssl(*args)
    assert made.returncode == 0, made.stderr
    return cert, key


def test_import_adopts_the_directory(tmp_path):
    cert_path, key_path = make_openssl_ca(tmp_path, 'Imported')
    ca = authority(tmp_path / 'ca', import_cert=cert_path, import_key=key_path)
    cert, _key = ca.open()
    assert cert.subject.rfc4514_string() == 'CN=Imported'
    assert (tmp_path / 'ca' / 'ca.pem').read_bytes() == open(cert_path, 'rb').read()
    assert not (tmp_path / 'ca' / 'ca.key').exists()  # the key stays where the user keeps it
    assert ca.key_description() == key_path
    assert authority(tmp_path / 'ca', import_cert=cert_path, import_key=key_path).open()[0] == cert
    other_cert, other_key = make_openssl_ca(tmp_path, 'Other')
    with pytest.raises(ConnectorError) as err:
        authority(tmp_path / 'ca', import_cert=other_cert, import_key=other_key).open()
    assert 'already belongs to another CA (CN=Imported)' in str(err.value)


def test_import_vets_certificate_and_key(tmp_path):
    cert_path, key_path = make_openssl_ca(tmp_path, 'Good')
    _other_cert, other_key = make_openssl_ca(tmp_path, 'Other')
    leaf_cert, leaf_key = make_openssl_ca(tmp_path, 'Leaf', ('basicConstraints=critical,CA:FALSE',))
    signless_cert, signless_key = make_openssl_ca(tmp_path, 'NoSign', ('basicConstraints=critical,CA:TRUE',
                                                                       'keyUsage=critical,cRLSign'))
    cases = ((cert_path, other_key, 'does not belong to ca_certificate'),
             (leaf_cert, leaf_key, 'is not a CA certificate'),
             (signless_cert, signless_key, 'lacks keyCertSign'))
    for cert, key, words in cases:
        with pytest.raises(InputError, match=words):
            authority(tmp_path / 'ca', import_cert=cert, import_key=key).open()
    with pytest.raises(InputError, match='Cannot read ca_chain'):
        authority(tmp_path / 'ca', import_cert=cert_path, import_key=key_path,
                  chain=str(tmp_path / 'missing.pem')).load_import()
    assert not (tmp_path / 'ca' / 'ca.pem').exists()  # nothing adopted on a refusal


def test_chain_of_an_intermediate(tmp_path):
    root_cert, _root_key = make_openssl_ca(tmp_path, 'Root')
    cert_path, key_path = make_openssl_ca(tmp_path, 'Sub')
    ca = authority(tmp_path / 'ca', import_cert=cert_path, import_key=key_path, chain=root_cert)
    cert = ca.open()[0]
    root = x509.load_pem_x509_certificate(open(root_cert, 'rb').read())
    assert [x509.load_pem_x509_certificate(p.encode()) for p in ca.chain_pems(cert)] == [cert, root]


def test_key_in_a_token_profile(tmp_path):
    store = FileKeyStore('keys', {'path': str(tmp_path / 'keys')}, {})
    ca = authority(tmp_path / 'ca', key_store=store, key_name='ca', token_profile='keys')
    cert = ca.open()[0]
    assert store.has_key('ca') and not (tmp_path / 'ca' / 'ca.key').exists()
    assert ca.key_description() == "'ca' in token profile 'keys'"
    ca_pem = str(tmp_path / 'ca' / 'ca.pem')
    assert openssl('verify', '-CAfile', ca_pem, ca_pem).returncode == 0
    # A key made beforehand (key ceremony) is used, not replaced.
    again = authority(tmp_path / 'ca2', key_store=store, key_name='ca', token_profile='keys')
    assert again.open()[0].public_key() == cert.public_key()
    # The directory's CA and the token key must match.
    store.generate('other', KeySpec('ec'))
    with pytest.raises(ConnectorError, match='does not belong to the CA certificate'):
        authority(tmp_path / 'ca', key_store=store, key_name='other', token_profile='keys').open()
