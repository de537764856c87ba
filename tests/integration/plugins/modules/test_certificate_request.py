"""pki.lifecycle.certificate_request through pytest-ansible on a host behind the harness's real
sshd (the module runs over SSH), then certificate_issue on the controller (localhost) with the
CSR it returned, as the module's EXAMPLES do with delegate_to: localhost."""
import os
import stat

import pytest

from harness.pki import openssl, verify


def request_args(tmp_path, name='www'):
    return dict(path=str(tmp_path / 'host' / ('%s.key' % name)), csr_path=str(tmp_path / 'host' / ('%s.csr' % name)),
                subject='CN=%s.example.test' % name, subject_alt_names=['DNS:%s.example.test' % name],
                create_dirs=True)


def test_key_and_csr_on_the_host_then_issued_on_the_controller(pki_ssh_host, pki, tmp_path):
    args = request_args(tmp_path)
    first = pki_ssh_host('pki.lifecycle.certificate_request', **args)
    assert first['changed'] and first['key_created'] and first['csr_changed'], first
    assert 'PRIVATE KEY' not in repr(first)
    assert stat.S_IMODE(os.stat(args['path']).st_mode) == 0o600
    with open(args['csr_path']) as handle:
        assert handle.read() == first['csr']
    assert openssl('req', '-verify', '-noout', input_text=first['csr']).returncode == 0

    again = pki_ssh_host('pki.lifecycle.certificate_request', **args)
    assert not again['changed'] and not again['key_created'] and not again['csr_changed'], again
    assert again['spki_sha256'] == first['spki_sha256'] and again['csr'] == first['csr']

    pki.setup()
    issued = pki('certificate_issue', ra_profile='web', csr=first['csr'])
    assert issued['changed'] and issued['certificate']['spki_sha256'] == first['spki_sha256'], issued
    assert verify(issued['certificate_pem'], issued['chain_pem'] + issued['root_pem'], tmp_path).returncode == 0


def test_check_mode_on_the_host_writes_nothing(pki_ssh_host, tmp_path):
    args = request_args(tmp_path, 'new')
    planned = pki_ssh_host('pki.lifecycle.certificate_request', check=True, **args)
    assert planned['changed'] and not planned.get('failed'), planned
    assert not os.path.exists(args['path']) and not os.path.exists(args['csr_path'])
    assert not os.path.exists(str(tmp_path / 'host'))


def test_bad_input_fails_with_the_fix(pki_ssh_host, tmp_path):
    args = dict(request_args(tmp_path, 'bad'), key_type='rsa', key_size=1024)
    bad = pki_ssh_host('pki.lifecycle.certificate_request', **args)
    assert bad.get('failed') and 'key_size' in bad['msg'] and '2048' in bad['msg'], bad
    assert not os.path.exists(args['path'])


@pytest.mark.parametrize('bad, named', [
    (dict(subject_alt_names=['www.example.test']), ('www.example.test', 'DNS:')),
    (dict(extensions={'key_usage': ['signing']}), ("'signing'", 'digital_signature')),
    (dict(key_type='ec', signature_algorithm='rsa-pss'), ('rsa-pss', 'ecdsa')),
], ids=['names', 'extensions', 'algorithm'])
def test_bad_request_writes_no_key(pki_ssh_host, tmp_path, bad, named):
    """Names, extensions and the algorithm of a new key are checked before the key, its
    directory or the CSR is written: a failed task leaves the host as it was."""
    args = dict(request_args(tmp_path, 'bad'), **bad)
    result = pki_ssh_host('pki.lifecycle.certificate_request', **args)
    assert result.get('failed') and all(word in result['msg'] for word in named), result
    assert not os.path.exists(args['path']) and not os.path.exists(str(tmp_path / 'host')), \
        os.listdir(str(tmp_path / 'host'))
