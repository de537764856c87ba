# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lock of a CA directory: an exclusive flock(2) on <directory>/.lock.

It serialises creation, issuance and revocation across forks and playbook runs on this
controller. flock is not re-entrant across open files of one process, so the lock counts
its holders: a nested ``with lock:`` (e.g. issuance inside a batch) does not block on itself.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

try:
    import fcntl
except ImportError:  # not POSIX: the controller always is
    fcntl = None

from ansible_collections.pki.lifecycle.plugins.module_utils.errors import ConnectorError
from ansible_collections.pki.lifecycle.plugins.module_utils.local_ca import layout as layoutlib


class DirectoryLock(object):
    """``with lock:`` holds the directory's lock, creating the directory if needed."""

    def __init__(self, layout):
        self.layout = layout
        self.depth = 0
        self._fd = None

    @property
    def held(self):
        return self.depth > 0

    def __enter__(self):
        if self.depth:
            self.depth += 1
            return self
        self.layout.ensure()
        try:
            fd = os.open(self.layout.lock, os.O_RDWR | os.O_CREAT, layoutlib.PRIVATE_MODE)
        except OSError as exc:
            raise ConnectorError('Cannot use the CA directory %s: %s.' % (self.layout.directory, exc.strerror),
                                 hint=layoutlib.WRITABLE_HINT)
        try:
            if fcntl:
                fcntl.flock(fd, fcntl.LOCK_EX)
        except BaseException:
            os.close(fd)
            raise
        self._fd, self.depth = fd, 1
        return self

    def __exit__(self, *exc_info):
        self.depth -= 1
        if not self.depth:
            fd, self._fd = self._fd, None
            os.close(fd)  # closing releases the lock
        return False
