# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where the embedded CA keeps its files, and with which modes.

Layout of the CA directory (created on first use, mode 0700)::

    ca.key         CA private key, PKCS#8 PEM, 0600, encrypted when ca_passphrase is set
                   (absent when the CA is imported or its key is in a token)
    ca.pem         CA certificate; its presence means "the CA exists"
    issued/        one PEM per certificate issued alone, named <serial hex>.pem
    issued.jsonl   index of issued certificates, one JSON object a line (crash recovery); a
                   certificate issued in a batch has its PEM in its line (certificate_pem)
    revoked.json   {"crl_number": n, "revoked": [{"serial", "revoked_at", "reason", ...}]}
    crl.pem        the current CRL
    .lock          flock(2) target; every write to the directory happens under it

Existing CA directories are read as they are: these names and modes must not change.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import re

from ansible_collections.pki.lifecycle.plugins.module_utils.errors import ConnectorError

CA_KEY = 'ca.key'
CA_CERT = 'ca.pem'
ISSUED_DIR = 'issued'
INDEX = 'issued.jsonl'
REVOKED = 'revoked.json'
CRL = 'crl.pem'
LOCK = '.lock'

DIRECTORY_MODE = 0o700   # the CA key may live here
PRIVATE_MODE = 0o600     # ca.key and .lock
PUBLIC_MODE = 0o644      # certificates, index, CRL

DEFAULT_BASE = '~/.local/share/pki.lifecycle'
WRITABLE_HINT = 'Set connector_options.directory to a writable path.'


def default_directory(inventory_dir, profile_name):
    """<inventory dir>/ca/<profile>, the profile name made a safe path component."""
    # The profile name becomes a path component: keep it from escaping ca/.
    safe = re.sub(r'[^A-Za-z0-9_.-]', '_', str(profile_name)).lstrip('.') or '_'
    return os.path.join(inventory_dir or DEFAULT_BASE, 'ca', safe)


def expand(path):
    return os.path.abspath(os.path.expanduser(str(path)))


def read(path):
    with open(path, 'rb') as handle:
        return handle.read()


class Layout(object):
    """The paths of one CA directory."""

    def __init__(self, directory):
        self.directory = expand(directory)
        self.ca_key = self.path(CA_KEY)
        self.ca_cert = self.path(CA_CERT)
        self.index = self.path(INDEX)
        self.revoked = self.path(REVOKED)
        self.crl = self.path(CRL)
        self.lock = self.path(LOCK)

    def path(self, *parts):
        return os.path.join(self.directory, *parts)

    def issued_pem(self, serial_hex):
        return self.path(ISSUED_DIR, serial_hex + '.pem')

    def exists(self):
        """The CA exists once ca.pem does (it is written last)."""
        return os.path.exists(self.ca_cert)

    def ensure(self):
        """Create the directory (0700) if missing; an error says to choose a writable one."""
        try:
            if not os.path.isdir(self.directory):
                os.makedirs(self.directory, DIRECTORY_MODE, exist_ok=True)
        except OSError as exc:
            raise ConnectorError('Cannot use the CA directory %s: %s.' % (self.directory, exc.strerror),
                                 hint=WRITABLE_HINT)

    def restrict(self):
        """Mode 0700 on the directory, before a CA is written into it (makedirs obeys umask)."""
        os.chmod(self.directory, DIRECTORY_MODE)

    def ensure_issued_dir(self):
        issued = self.path(ISSUED_DIR)
        if not os.path.isdir(issued):
            os.mkdir(issued, DIRECTORY_MODE)

    def check_creatable(self):
        """Check mode: the directory could be created (its nearest existing parent is writable)."""
        parent = self.directory
        while not os.path.exists(parent):
            parent = os.path.dirname(parent)
        if not os.access(parent, os.W_OK | os.X_OK):
            raise ConnectorError('Cannot create the CA directory %s: %s is not writable.' % (
                self.directory, parent), hint=WRITABLE_HINT)
