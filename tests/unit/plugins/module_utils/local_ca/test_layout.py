# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""local_ca/layout.py: the file names existing CA directories use, modes, safe defaults."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import stat

import pytest

from ansible_collections.pki.lifecycle.plugins.module_utils.errors import ConnectorError
from ansible_collections.pki.lifecycle.plugins.module_utils.local_ca.layout import Layout, default_directory


def test_file_names_are_those_of_existing_directories(tmp_path):
    # Changing one of these orphans every CA directory already on disk.
    layout = Layout(str(tmp_path / 'ca'))
    names = dict((attr, os.path.relpath(getattr(layout, attr), layout.directory))
                 for attr in ('ca_key', 'ca_cert', 'index', 'revoked', 'crl', 'lock'))
    assert names == {'ca_key': 'ca.key', 'ca_cert': 'ca.pem', 'index': 'issued.jsonl',
                     'revoked': 'revoked.json', 'crl': 'crl.pem', 'lock': '.lock'}
    assert layout.issued_pem('4f3a') == str(tmp_path / 'ca' / 'issued' / '4f3a.pem')


def test_directory_is_absolute_and_expanded(tmp_path, monkeypatch):
    monkeypatch.setenv('HOME', str(tmp_path))
    monkeypatch.chdir(tmp_path)
    assert Layout('~/x').directory == str(tmp_path / 'x')
    assert Layout('rel').directory == str(tmp_path / 'rel')


@pytest.mark.parametrize('profile, expected', [
    ('web', 'web'), ('../../etc', '_.._etc'), ('a/b c', 'a_b_c'), ('..', '_'), ('', '_'),
])
def test_default_directory_keeps_profile_inside_ca(profile, expected, tmp_path):
    path = default_directory(str(tmp_path), profile)
    assert path == os.path.join(str(tmp_path), 'ca', expected)
    assert os.path.dirname(os.path.normpath(path)) == os.path.join(str(tmp_path), 'ca')


def test_default_directory_without_inventory_dir():
    assert default_directory(None, 'web') == os.path.join('~/.local/share/pki.lifecycle', 'ca', 'web')


def test_ensure_creates_private_directories(tmp_path):
    layout = Layout(str(tmp_path / 'a' / 'ca'))
    assert not layout.exists()
    layout.ensure()
    layout.ensure_issued_dir()
    layout.ensure_issued_dir()  # a second call finds it
    os.chmod(layout.directory, 0o755)
    layout.restrict()
    assert stat.S_IMODE(os.stat(layout.directory).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(layout.path('issued')).st_mode) & 0o077 == 0
    assert not layout.exists()  # only ca.pem says the CA exists
    open(layout.ca_cert, 'w').close()
    assert layout.exists()


def test_unusable_directory_says_what_to_set(tmp_path):
    blocker = tmp_path / 'file'
    blocker.write_text('not a directory')
    blocker.chmod(0o644)
    layout = Layout(str(blocker / 'ca'))
    with pytest.raises(ConnectorError) as err:
        layout.ensure()
    assert str(blocker / 'ca') in str(err.value) and 'connector_options.directory' in err.value.hint
    with pytest.raises(ConnectorError) as err:
        layout.check_creatable()  # check mode: nothing created, same advice
    assert 'not writable' in str(err.value) and 'connector_options.directory' in err.value.hint
    Layout(str(tmp_path / 'new' / 'ca')).check_creatable()
    assert not (tmp_path / 'new').exists()
