# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""local_ca/lock.py: one writer per CA directory across processes; nesting in one process."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import fcntl
import multiprocessing
import os
import stat

import pytest

from ansible_collections.pki.lifecycle.plugins.module_utils.errors import ConnectorError
from ansible_collections.pki.lifecycle.plugins.module_utils.local_ca.layout import Layout
from ansible_collections.pki.lifecycle.plugins.module_utils.local_ca.lock import DirectoryLock


def _try_lock(path, queue):
    """In another process: can the lock file be flocked right now?"""
    fd = os.open(path, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        queue.put('free')
    except BlockingIOError:
        queue.put('held')
    finally:
        os.close(fd)


def probe(path):
    queue = multiprocessing.Queue()
    proc = multiprocessing.Process(target=_try_lock, args=(path, queue))
    proc.start()
    proc.join(30)
    return queue.get(timeout=5)


def test_lock_excludes_other_processes_and_nests(tmp_path):
    layout = Layout(str(tmp_path / 'ca'))
    lock = DirectoryLock(layout)
    with lock:  # creates the directory and .lock
        assert stat.S_IMODE(os.stat(layout.lock).st_mode) == 0o600
        assert probe(layout.lock) == 'held'
        with lock:  # a nested holder (issue() inside batch()) must not block on itself
            assert lock.held and lock.depth == 2
        assert lock.held and probe(layout.lock) == 'held'  # the inner exit does not release
    assert not lock.held
    assert probe(layout.lock) == 'free'


def test_lock_released_on_error(tmp_path):
    lock = DirectoryLock(Layout(str(tmp_path / 'ca')))
    with pytest.raises(RuntimeError):
        with lock:
            raise RuntimeError('boom')
    assert not lock.held
    assert probe(lock.layout.lock) == 'free'


def test_unusable_directory(tmp_path):
    (tmp_path / 'file').write_text('x')
    lock = DirectoryLock(Layout(str(tmp_path / 'file' / 'ca')))
    with pytest.raises(ConnectorError) as err:
        with lock:
            pass
    assert 'connector_options.directory' in err.value.hint
    assert not lock.held
