"""discovery/parse.py and files.py on files made here: formats, keys beside, bad input, limits."""
import os

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs7, pkcs12

from ansible_collections.pki.lifecycle.plugins.module_utils.discovery import files, parse

from harness.x509_factory import ca_and_leaf

PEM = serialization.Encoding.PEM
DER = serialization.Encoding.DER


def key_pem(k):
    return k.private_bytes(PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


@pytest.fixture
def tree(tmp_path):
    ca, _ca_key, leaf, leaf_key = ca_and_leaf()
    d = tmp_path / 'etc'
    (d / 'sub' / 'deeper').mkdir(parents=True)
    (d / 'site.crt').write_bytes(leaf.public_bytes(PEM) + ca.public_bytes(PEM))
    (d / 'site.key').write_bytes(key_pem(leaf_key))
    (d / 'sub' / 'site.der').write_bytes(leaf.public_bytes(DER))
    (d / 'sub' / 'bundle.p7b').write_bytes(pkcs7.serialize_certificates([leaf, ca], DER))
    (d / 'sub' / 'both.pem').write_bytes(key_pem(leaf_key) + leaf.public_bytes(PEM))
    (d / 'sub' / 'open.p12').write_bytes(pkcs12.serialize_key_and_certificates(
        b'x', leaf_key, leaf, [ca], serialization.NoEncryption()))
    (d / 'sub' / 'locked.p12').write_bytes(pkcs12.serialize_key_and_certificates(
        b'x', leaf_key, leaf, [ca], serialization.BestAvailableEncryption(b'right')))
    (d / 'sub' / 'garbage.pem').write_bytes(os.urandom(300))
    (d / 'sub' / 'roots.pem').write_bytes(ca.public_bytes(PEM) * 2)   # a bundle of CA certificates
    (d / 'sub' / 'deeper' / 'key-only.pem').write_bytes(key_pem(leaf_key))
    os.symlink(str(d), str(d / 'sub' / 'deeper' / 'loop'))
    return d, leaf


def scan(paths, **kwargs):
    return files.Scan([str(p) for p in paths], **kwargs).run()


def test_every_format_and_the_key_beside_it(tree):
    d, leaf = tree
    out = scan([d], passwords=['wrong', 'right'])
    by_path = dict((os.path.relpath(c['path'], str(d)), c) for c in out['certificates'])
    assert sorted(by_path) == ['site.crt', 'sub/both.pem', 'sub/bundle.p7b', 'sub/locked.p12', 'sub/open.p12',
                               'sub/site.der']
    assert set(c['fingerprint_sha256'] for c in by_path.values()) == {by_path['site.crt']['fingerprint_sha256']}
    assert by_path['site.crt']['private_key']['matches'] is True
    assert by_path['site.crt']['chain_pem'].count('BEGIN CERTIFICATE') == 1
    both = by_path['sub/both.pem']['private_key']
    assert both == {'path': str(d / 'sub' / 'both.pem'), 'matches': True, 'reason': 'in the same file'}
    assert by_path['sub/locked.p12']['format'] == 'pkcs12' and by_path['sub/bundle.p7b']['format'] == 'pkcs7'
    assert [e['path'] for e in out['errors']] == [str(d / 'sub' / 'garbage.pem')]
    left = dict((os.path.relpath(e['path'], str(d)), e['reason']) for e in out['left_out'])
    assert 'CA certificates only' in left['sub/roots.pem'] and 'private key' in left['sub/deeper/key-only.pem']
    assert 'BEGIN' not in repr([c.get('private_key') for c in out['certificates']])


def test_wrong_password_is_listed_not_fatal(tree):
    d, _leaf = tree
    out = scan([d / 'sub'], passwords=['wrong'])
    errors = dict((os.path.basename(e['path']), e['reason']) for e in out['errors'])
    assert 'PKCS#12' in errors['locked.p12'] and '1 password' in errors['locked.p12']
    assert 'open.p12' in [os.path.basename(c['path']) for c in out['certificates']]


def test_limits_depth_size_count_and_loops(tree):
    d, _leaf = tree
    shallow = scan([d], max_depth=0)
    assert [os.path.basename(c['path']) for c in shallow['certificates']] == ['site.crt']
    assert any('max_depth 0' in e['reason'] for e in shallow['left_out'])
    small = scan([d], max_file_size=10)
    assert not small['certificates'] and all('max_file_size' in e['reason'] for e in small['left_out']
                                             if e['path'].endswith(('.crt', '.der')))
    few = scan([d], max_files=2)
    assert few['stats']['truncated'] is True and few['stats']['files_examined'] == 2
    # the loop symlink points back at the root: every directory once
    assert scan([d])['stats']['directories'] == 3


def test_missing_paths_and_globs(tmp_path):
    out = scan([tmp_path / 'nope', str(tmp_path / 'no*match')])
    reasons = [e['reason'] for e in out['errors']]
    assert 'does not exist' in reasons[0] and 'no file matches' in reasons[1]


@pytest.mark.parametrize('data, reason', [
    (b'', 'empty file'),
    (b'-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n', 'could not be read'),
    (b'-----BEGIN CERTIFICATE-----\nMIIB', 'no complete PEM block'),
    (b'\x30\x82\x01\x00\x02\x01\x03' + b'\x00' * 40, 'PKCS#12'),
])
def test_bad_bytes(data, reason):
    with pytest.raises(parse.NotCertificate) as exc:
        parse.parse_bytes(data)
    assert reason in str(exc.value)
