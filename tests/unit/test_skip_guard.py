"""CI (PKI_LIFECYCLE_REQUIRE_SERVERS=1) cannot pass by skipping: the harness turns every skip
into a failure, whether it comes from the harness, from a test's own pytest.skip, or from a
whole file skipped while collected (pytest.skip(allow_module_level=True), importorskip)."""
import os
import subprocess
import sys

from harness.playbook import REPO_ROOT

SAMPLE = '''
import pytest
def test_skips():
    pytest.skip('no server here')
@pytest.mark.xfail(reason='known bug')
def test_xfails():
    assert False
'''


SKIPPED_FILE = '''
import pytest
pytest.importorskip('a_library_that_is_not_installed')
def test_never_collected():
    assert False
'''


def run_sample(tmp_path, require, text=SAMPLE):
    sample = tmp_path / 'test_sample.py'
    sample.write_text(text)
    env = dict(os.environ, PKI_LIFECYCLE_REQUIRE_SERVERS=require, PYTHONPATH=str(REPO_ROOT / 'tests'), COLUMNS='400')
    return subprocess.run([sys.executable, '-m', 'pytest', '-q', '-rfs', '-p', 'no:cacheprovider', '-p', 'harness.plugin',
                           '-c', os.devnull, '--rootdir', str(tmp_path), str(sample)],
                          capture_output=True, text=True, env=env, cwd=str(tmp_path), check=False)


def test_a_skip_fails_when_servers_are_required(tmp_path):
    out = run_sample(tmp_path, '1')
    assert out.returncode == 1, out.stdout + out.stderr
    assert '1 failed, 1 xfailed' in out.stdout, out.stdout
    assert 'forbids skips: Skipped: no server here' in out.stdout, out.stdout


def test_a_skip_is_a_skip_otherwise(tmp_path):
    out = run_sample(tmp_path, '')
    assert out.returncode == 0, out.stdout + out.stderr
    assert '1 skipped, 1 xfailed' in out.stdout, out.stdout


def test_a_file_skipped_while_collected_fails_when_servers_are_required(tmp_path):
    out = run_sample(tmp_path, '1', SKIPPED_FILE)
    assert out.returncode != 0, out.stdout + out.stderr
    assert '1 error' in out.stdout and 'forbids skips' in out.stdout, out.stdout
    assert 'a_library_that_is_not_installed' in out.stdout, out.stdout


def test_a_file_skipped_while_collected_is_a_skip_otherwise(tmp_path):
    out = run_sample(tmp_path, '', SKIPPED_FILE)
    # 5: nothing ran (pytest's "no tests collected"), not a failure
    assert out.returncode == 5 and '1 skipped' in out.stdout and 'forbids' not in out.stdout, out.stdout + out.stderr
