"""host_state: the stamp that lets certificate_request skip cryptography vouches only for the
exact key file, CSR file and request it was written for."""
import json
import os
import stat
import subprocess
import sys

import pytest

from ansible_collections.pki.lifecycle.plugins.module_utils import host_state

REQUEST = dict(subject='CN=www.example.test', subject_alt_names=['DNS:www.example.test'], extensions=None,
               signature_algorithm=None, digest='sha256')


@pytest.fixture
def files(tmp_path):
    key, csr = tmp_path / 'www.key', tmp_path / 'www.csr'
    key.write_text('-----BEGIN PRIVATE KEY-----\nnot really\n-----END PRIVATE KEY-----\n')
    csr.write_text('-----BEGIN CERTIFICATE REQUEST-----\nabc\n-----END CERTIFICATE REQUEST-----\n')
    host_state.write_stamp(str(key), str(csr), REQUEST, 'ab' * 32)
    return key, csr


def test_the_stamp_vouches_for_what_it_was_written_for(files):
    key, csr = files
    assert host_state.checked_csr(str(key), str(csr), dict(REQUEST)) == (csr.read_text(), 'ab' * 32)
    stamp = host_state.stamp_path(str(key))
    assert os.path.basename(stamp) == '.www.key.pki-lifecycle'
    assert stat.S_IMODE(os.stat(stamp).st_mode) == 0o600
    assert 'not really' not in open(stamp).read()      # hashes only


@pytest.mark.parametrize('change', ['key', 'csr', 'subject', 'names', 'extensions', 'algorithm', 'digest'])
def test_any_change_takes_the_full_check(files, change):
    key, csr = files
    request = dict(REQUEST)
    if change == 'key':
        key.write_text(key.read_text().replace('really', 'the same'))
    elif change == 'csr':
        csr.write_text(csr.read_text() + '\n')
    elif change == 'subject':
        request['subject'] = 'CN=other.example.test'
    elif change == 'names':
        request['subject_alt_names'] = ['DNS:www.example.test', 'DNS:example.test']
    elif change == 'extensions':
        request['extensions'] = {'key_usage': ['digital_signature']}
    elif change == 'algorithm':
        request['signature_algorithm'] = 'ecdsa'
    else:
        request['digest'] = 'sha384'
    assert host_state.checked_csr(str(key), str(csr), request) is None


def test_missing_or_foreign_stamps_and_passphrases_take_the_full_check(files):
    key, csr = files
    stamp = host_state.stamp_path(str(key))
    assert host_state.checked_csr(str(key), str(csr), dict(REQUEST, passphrase='secret')) is None
    data = json.loads(open(stamp).read())
    with open(stamp, 'w') as handle:
        json.dump(dict(data, version=data['version'] + 1), handle)
    assert host_state.checked_csr(str(key), str(csr), dict(REQUEST)) is None
    with open(stamp, 'w') as handle:
        handle.write('{not json')
    assert host_state.checked_csr(str(key), str(csr), dict(REQUEST)) is None
    os.unlink(stamp)
    assert host_state.checked_csr(str(key), str(csr), dict(REQUEST)) is None
    os.unlink(str(csr))
    host_state.write_stamp(str(key), str(csr), REQUEST, 'ab' * 32)   # nothing to vouch for: no stamp
    assert not os.path.exists(stamp)


def test_no_stamp_is_written_for_a_passphrase_protected_key(tmp_path):
    key, csr = tmp_path / 'k.key', tmp_path / 'k.csr'
    key.write_text('k')
    csr.write_text('c')
    host_state.write_stamp(str(key), str(csr), dict(REQUEST, passphrase='secret'), 'cd' * 32)
    assert not os.path.exists(host_state.stamp_path(str(key)))


def test_describe_files(tmp_path):
    present = tmp_path / 'a.crt'
    present.write_text('PEM\n')
    os.chmod(str(present), 0o640)
    out = host_state.describe_files([str(present), str(tmp_path / 'missing.crt')])
    assert out[str(present)]['exists'] and out[str(present)]['mode'] == 0o640
    assert out[str(present)]['sha256'] == host_state.sha256_hex(b'PEM\n')
    assert out[str(tmp_path / 'missing.crt')] == {'exists': False}


def test_host_state_imports_no_cryptography():
    """The point of the no-change path: host_request and host_state load without cryptography."""
    code = ('import sys; '
            'from ansible_collections.pki.lifecycle.plugins.module_utils import host_request; '
            'print("cryptography" in sys.modules)')
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, check=True,
                         env=dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path)))
    assert out.stdout.strip() == 'False', out.stderr
