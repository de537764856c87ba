# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The token profile interface: where private keys live and how they sign.

A token profile is a key store (a directory of PEM files, a PKCS#11 token). The
collection never reads a private key out of a token for anything but signing inside the
same process, and never returns, logs or stores it. Keys are addressed by name.

Key types, sizes, curves, algorithms and digests: ``vocabulary``.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.pki.lifecycle.plugins.module_utils.errors import InputError
from ansible_collections.pki.lifecycle.plugins.module_utils.vocabulary import secrets_with_fallbacks


class KeySpec(object):
    """What key to generate: ``key_type`` rsa/ec/ed25519, ``key_size`` (rsa), ``curve`` (ec)."""

    def __init__(self, key_type='ec', key_size=None, curve=None):
        self.key_type = key_type
        self.key_size = key_size if key_type == 'rsa' else None
        self.curve = curve if key_type == 'ec' else None
        if key_type == 'rsa' and not self.key_size:
            self.key_size = 2048
        if key_type == 'ec' and not self.curve:
            self.curve = 'P-256'

    def describe(self):
        if self.key_type == 'rsa':
            return 'RSA %d' % self.key_size
        if self.key_type == 'ec':
            return 'EC %s' % self.curve
        return 'Ed25519'


class Signer(object):
    """A handle on one private key that can sign. Built by a ``KeyStore``.

    ``public_key``: a cryptography public key object.
    ``private_key``: a cryptography private key object when the key is in software
    (file tokens), else None (hardware tokens sign through ``sign``).
    """

    public_key = None
    private_key = None

    def sign(self, data, signature_algorithm, digest):
        """Raw signature bytes over ``data`` (X.509 encoding: DER ECDSA-Sig-Value for ECDSA)."""
        raise NotImplementedError


class KeyStore(object):
    """One token profile. ``options`` from the inventory, ``secrets`` from the module.

    Subclasses declare the ``OPTIONS`` and ``SECRETS`` they accept (name -> description) and
    ``SECRET_ENV`` (secret name -> environment variable it falls back to)."""

    type = None
    OPTIONS = {}
    # name -> dict(type, required, default, choices, min): checked by lifecycle.options when the
    # token profile is created or changed (as the connectors' OPTION_SPEC).
    OPTION_SPEC = {}
    REQUIRED_OPTIONS = ()
    SECRETS = {}
    SECRET_ENV = {}

    def __init__(self, name, options, secrets):
        self.name = name
        self.options = options or {}
        self.secrets = secrets or {}
        for kind, given, valid in (('option', self.options, self.OPTIONS), ('secret', self.secrets, self.SECRETS)):
            unknown = sorted(set(given) - set(valid))
            if unknown:
                # Refused, not ignored: a mistyped 'passphrase' would write unencrypted keys.
                raise InputError("token profile '%s' (type %s): unknown %s %s."
                                 % (name, self.type, kind, ', '.join(unknown)),
                                 'Valid %ss: %s.' % (kind, ', '.join(sorted(valid))))

    def secret(self, name):
        """A secret from ``secrets``, else its ``SECRET_ENV`` variable, else None."""
        return secrets_with_fallbacks(self.secrets, self.SECRET_ENV).get(name)

    def check(self):
        """Raise TokenError if the store cannot be used (missing dir, wrong PIN...)."""
        raise NotImplementedError

    def has_key(self, key_name):
        raise NotImplementedError

    def generate(self, key_name, spec):
        """Create key ``key_name`` from a KeySpec. Refuse (TokenError) if it exists."""
        raise NotImplementedError

    def signer(self, key_name):
        """A Signer for an existing key; TokenError naming the key if it is missing."""
        raise NotImplementedError

    def destroy(self, key_name):
        raise NotImplementedError

    def key_ref(self, key_name):
        """A non-secret string that stands for the key in the inventory."""
        return '%s:%s' % (self.name, key_name)
