"""The deploy decision of the certificate role: what the host reported vs what would be written."""
import hashlib
import os

from ansible_collections.pki.lifecycle.plugins.module_utils.host_state import describe_files
from ansible_collections.pki.lifecycle.plugins.module_utils.lifecycle.deployed import files_differ

PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n'


def _write(path, text, mode):
    with open(path, 'w') as handle:
        handle.write(text)
    os.chmod(path, mode)


def test_same_content_and_mode_is_nothing_to_do(tmp_path):
    path = str(tmp_path / 'a.crt')
    _write(path, PEM, 0o644)
    seen = describe_files([path])
    assert seen[path]['sha256'] == hashlib.sha256(PEM.encode()).hexdigest()
    assert files_differ([{'path': path, 'content': PEM, 'mode': '0644'}], seen) == []
    assert files_differ([{'path': path, 'content': PEM, 'mode': 0o644}], seen) == []


def test_content_mode_owner_group_or_missing_differ(tmp_path):
    path = str(tmp_path / 'a.crt')
    missing = str(tmp_path / 'b.crt')
    _write(path, PEM, 0o644)
    seen = describe_files([path, missing])
    assert seen[missing] == {'exists': False}
    me = seen[path]
    assert files_differ([{'path': path, 'content': PEM + '\n', 'mode': '0644'}], seen) == [path]
    assert files_differ([{'path': path, 'content': PEM, 'mode': '0640'}], seen) == [path]
    assert files_differ([{'path': path, 'content': PEM, 'mode': 'u=rw,go=r'}], seen) == [path]   # cannot tell
    assert files_differ([{'path': path, 'content': PEM, 'owner': me['owner'], 'group': str(me['gid'])}], seen) == []
    assert files_differ([{'path': path, 'content': PEM, 'owner': 'no-such-user-x'}], seen) == [path]
    assert files_differ([{'path': path, 'content': PEM, 'group': 'no-such-group-x'}], seen) == [path]
    assert files_differ([{'path': missing, 'content': PEM}], seen) == [missing]


def test_no_report_means_deploy(tmp_path):
    path = str(tmp_path / 'a.crt')
    assert files_differ([{'path': path, 'content': PEM}], None) == [path]
    assert files_differ([{'path': path, 'content': PEM}], {}) == [path]
