# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Token profile type ``file``: private keys as PEM files in a directory on the controller.

Options: ``path`` (absolute directory; created 0700 when missing). Secrets:
``passphrase`` (``token_secrets.passphrase``, env ``PKI_LIFECYCLE_TOKEN_PASSPHRASE``): new
keys are encrypted with it, existing encrypted keys need it.

Key ``web`` lives in ``<path>/web.pem``: PKCS#8 PEM, mode 0600, written atomically and
never overwritten (a key that signed a certificate must not silently change).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import errno
import os
import re

from ansible_collections.pki.lifecycle.plugins.module_utils import x509 as x509_utils
from ansible_collections.pki.lifecycle.plugins.module_utils.errors import InputError, TokenError
from ansible_collections.pki.lifecycle.plugins.module_utils.keys.base import KeyStore, Signer
from ansible_collections.pki.lifecycle.plugins.module_utils.keys.csr import (
    check_signature_algorithm, default_signature_algorithm, generate_private_key, sign_with_key,
)
from ansible_collections.pki.lifecycle.plugins.module_utils.vocabulary import write_new
from ansible_collections.pki.lifecycle.plugins.module_utils.x509.base import LazyModule

serialization = LazyModule('cryptography.hazmat.primitives.serialization')

# No leading dot: temp files are '.<name>...' and a key name must never be a path.
KEY_NAME_RE = re.compile(r'^[A-Za-z0-9_-][A-Za-z0-9._-]{0,199}$')


def check_key_name(key_name):
    if not isinstance(key_name, str) or not KEY_NAME_RE.match(key_name):
        raise InputError('key name %r is not allowed: a key name is a file name inside the token '
                         'directory, never a path.' % (key_name,),
                         "Use letters, digits, '.', '_' and '-', not starting with '.'.")
    return key_name


class FileSigner(Signer):
    """A software key loaded from a file; ``build_csr`` uses ``private_key`` directly."""

    def __init__(self, private_key):
        self.private_key = private_key
        self.public_key = private_key.public_key()

    def sign(self, data, signature_algorithm=None, digest='sha256'):
        signature_algorithm, digest = check_signature_algorithm(self.public_key, signature_algorithm, digest)
        return sign_with_key(self.private_key, data, signature_algorithm, digest)


class FileKeyStore(KeyStore):
    type = 'file'
    OPTIONS = {'path': 'absolute directory on the controller holding <key>.pem files (created 0700)'}
    OPTION_SPEC = {'path': dict(type='str', required=True)}
    REQUIRED_OPTIONS = ('path',)
    SECRETS = {'passphrase': 'encrypts new keys, decrypts existing encrypted keys'}
    SECRET_ENV = {'passphrase': 'PKI_LIFECYCLE_TOKEN_PASSPHRASE'}

    def __init__(self, name, options, secrets):
        super(FileKeyStore, self).__init__(name, options, secrets)  # refuses unknown names
        path = self.options.get('path')
        if not path or not isinstance(path, str):
            raise InputError("token profile '%s' (type file) needs option path." % name,
                             'Set options: {path: /absolute/directory/for/keys}.')
        path = os.path.expanduser(path)
        if not os.path.isabs(path):
            # Modules do not run in the playbook directory, so a relative path would move.
            raise InputError("token profile '%s': option path %r is not absolute." % (name, path),
                             'Use an absolute path, e.g. "{{ playbook_dir }}/keys" or ~/pki/keys.')
        self.path = os.path.normpath(path)
        passphrase = self.secret('passphrase')
        self._passphrase = passphrase.encode('utf-8') if isinstance(passphrase, str) else passphrase

    # --- paths ---------------------------------------------------------------------

    def key_path(self, key_name):
        return os.path.join(self.path, check_key_name(key_name) + '.pem')

    def _ensure_dir(self):
        if os.path.isdir(self.path):
            return
        try:
            os.makedirs(self.path, 0o700)
            os.chmod(self.path, 0o700)   # makedirs' mode is filtered by the umask
        except OSError as exc:
            if exc.errno != errno.EEXIST or not os.path.isdir(self.path):
                raise TokenError("token profile '%s': cannot create directory %s: %s."
                                 % (self.name, self.path, exc.strerror or exc),
                                 'Create it (mode 0700) or fix option path.')

    # --- KeyStore --------------------------------------------------------------------

    def check(self):
        if os.path.exists(self.path):
            if not os.path.isdir(self.path):
                raise TokenError("token profile '%s': %s is not a directory." % (self.name, self.path),
                                 'Fix option path.')
            if not os.access(self.path, os.W_OK | os.X_OK):
                raise TokenError("token profile '%s': directory %s is not writable." % (self.name, self.path),
                                 'Fix its owner or mode (0700, owned by the user running Ansible).')
            return
        parent = os.path.dirname(self.path)
        while not os.path.exists(parent):
            parent = os.path.dirname(parent)
        if not os.path.isdir(parent) or not os.access(parent, os.W_OK | os.X_OK):
            raise TokenError("token profile '%s': directory %s does not exist and cannot be created "
                             "(%s is not writable)." % (self.name, self.path, parent),
                             'Create it (mode 0700) or fix option path.')

    def has_key(self, key_name):
        return os.path.isfile(self.key_path(key_name))

    def generate(self, key_name, spec):
        if self.has_key(key_name):
            raise TokenError("key '%s' already exists in token profile '%s'." % (key_name, self.name),
                             'Use it (generate_key: false) or choose another key name.')
        private_key = generate_private_key(spec)
        self._write(key_name, private_key)
        return FileSigner(private_key)

    def import_key(self, key_name, private_key_pem, passphrase=None):
        """Store an existing private key (PEM text or path, optionally encrypted with
        ``passphrase``) under ``key_name``, re-encoded like a generated one."""
        check_key_name(key_name)
        text = x509_utils.read_pem_input(private_key_pem, 'private key')
        if isinstance(passphrase, str):
            passphrase = passphrase.encode('utf-8')
        try:
            private_key = serialization.load_pem_private_key(text.encode('utf-8'), passphrase)
        except TypeError:
            if passphrase is not None:   # given but not needed
                private_key = serialization.load_pem_private_key(text.encode('utf-8'), None)
            else:
                raise InputError('the private key to import is encrypted and no passphrase was given.',
                                 'Pass its passphrase.')
        except ValueError:
            raise InputError('the private key to import cannot be read: it is malformed, or encrypted '
                             'and the passphrase is wrong.', 'Check the key and its passphrase.')
        default_signature_algorithm(private_key.public_key())   # refuses unsupported key types
        if self.has_key(key_name):
            raise TokenError("key '%s' already exists in token profile '%s'." % (key_name, self.name),
                             'Choose another key name or destroy the old key first.')
        self._write(key_name, private_key)
        return FileSigner(private_key)

    def signer(self, key_name):
        path = self.key_path(key_name)
        try:
            with open(path, 'rb') as f:
                data = f.read()
        except (IOError, OSError) as exc:
            if exc.errno == errno.ENOENT:
                raise TokenError("key '%s' not found in token profile '%s' (%s)." % (key_name, self.name, path),
                                 'Generate it (generate_key: true) or check the key name.')
            raise TokenError("key '%s' in token profile '%s' cannot be read: %s."
                             % (key_name, self.name, exc.strerror or exc),
                             'Check the owner and mode of %s.' % path)
        try:
            private_key = serialization.load_pem_private_key(data, self._passphrase)
        except TypeError:
            if self._passphrase is None:
                raise self._passphrase_error(key_name)
            # A passphrase was given (e.g. through module_defaults) for a plain key: use it as is.
            private_key = serialization.load_pem_private_key(data, None)
        except ValueError:
            if b'ENCRYPTED' in data:
                raise self._passphrase_error(key_name)
            raise TokenError("key '%s' in token profile '%s' is not a readable PEM private key (%s)."
                             % (key_name, self.name, path),
                             'Restore the file from backup, or destroy it and generate a new key.')
        return FileSigner(private_key)

    def destroy(self, key_name):
        """Remove the key file; returns False when there was none."""
        try:
            os.unlink(self.key_path(key_name))
            return True
        except OSError as exc:
            if exc.errno == errno.ENOENT:
                return False
            raise TokenError("key '%s' in token profile '%s' cannot be removed: %s."
                             % (key_name, self.name, exc.strerror or exc), 'Check the directory mode.')

    # --- internals -------------------------------------------------------------------

    def _passphrase_error(self, key_name):
        # Never include the passphrase or the library's message (it may echo input).
        return TokenError("key '%s' in token profile '%s' is encrypted and the passphrase is wrong "
                          "or missing:" % (key_name, self.name), 'pass token_secrets.passphrase.')

    def _write(self, key_name, private_key):
        encryption = (serialization.BestAvailableEncryption(self._passphrase) if self._passphrase
                      else serialization.NoEncryption())
        data = private_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                         encryption)
        final = self.key_path(key_name)
        self._ensure_dir()
        # Never overwritten, even when two runs generate the same key at once.
        try:
            write_new(final, data, 0o600)
        except FileExistsError:
            raise TokenError("key '%s' already exists in token profile '%s'." % (key_name, self.name),
                             'Use it (generate_key: false) or choose another key name.')
        except OSError as exc:
            raise TokenError("key '%s' cannot be written in token profile '%s': %s."
                             % (key_name, self.name, exc.strerror or exc), 'Check the directory %s.' % self.path)
