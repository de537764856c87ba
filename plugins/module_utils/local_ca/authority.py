# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The embedded CA itself: its certificate and key, created or imported on first use.

The key is in ca.key (encrypted with ca_passphrase when given), in a file the user keeps
(an imported CA: ca_private_key, used in place), or in a token (ca_token_profile + ca_key:
``key_store`` is the opened token profile). signing.py signs with either.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import datetime
import os
from ansible_collections.pki.lifecycle.plugins.module_utils.x509.base import LazyModule

x509 = LazyModule('cryptography.x509')
serialization = LazyModule('cryptography.hazmat.primitives.serialization')

from ansible_collections.pki.lifecycle.plugins.module_utils import x509 as x509lib
from ansible_collections.pki.lifecycle.plugins.module_utils.errors import ConnectorError, InputError
from ansible_collections.pki.lifecycle.plugins.module_utils.keys import csr as csrlib
from ansible_collections.pki.lifecycle.plugins.module_utils.keys.base import KeySpec
from ansible_collections.pki.lifecycle.plugins.module_utils.local_ca import layout as layoutlib
from ansible_collections.pki.lifecycle.plugins.module_utils.local_ca.index import random_serial
from ansible_collections.pki.lifecycle.plugins.module_utils.local_ca.signing import CLOCK_SKEW, public_key, sign
from ansible_collections.pki.lifecycle.plugins.module_utils.vocabulary import iso, utcnow, write_atomic

PASSPHRASE_ENV = 'PKI_LIFECYCLE_CA_PASSPHRASE'
RSA_CA_KEY_SIZE = 3072


class Authority(object):
    """The CA of one directory. ``open()`` loads it, creating or importing it first if needed."""

    def __init__(self, layout, lock, subject=None, key_type='ec', validity_days=3650, import_cert=None,
                 import_key=None, chain=None, passphrase=None, key_store=None, key_name=None, token_profile=None):
        self.layout = layout
        self.lock = lock
        self.subject = subject
        self.key_type = key_type
        self.validity_days = validity_days
        self.import_cert = import_cert
        self.key_path = layoutlib.expand(import_key) if import_key else layout.ca_key
        self.chain = chain
        self.passphrase = passphrase.encode('utf-8') if passphrase else None
        self.key_store = key_store
        self.key_name = key_name
        self.token_profile = token_profile
        self.ca = None  # (certificate, key) once loaded

    def key_description(self):
        if self.key_store is not None:
            return '%r in token profile %r' % (self.key_name, self.token_profile)
        return self.key_path

    def load_key(self):
        if self.key_store is not None:
            # The key stays in the token; TokenError (wrong PIN, missing key) says what to fix.
            return self.key_store.signer(self.key_name)
        path = self.key_path
        try:
            data = layoutlib.read(path)
        except (IOError, OSError) as exc:
            raise ConnectorError('Cannot read the CA private key %s: %s.' % (path, exc.strerror))
        encrypted = b'ENCRYPTED' in data.split(b'\n', 1)[0] or b'Proc-Type: 4,ENCRYPTED' in data
        if encrypted and not self.passphrase:
            raise ConnectorError('The CA private key %s is encrypted and no passphrase was given.' % path,
                                 hint='Give connector_secrets.ca_passphrase or set %s.' % PASSPHRASE_ENV)
        if not encrypted and self.passphrase:
            raise ConnectorError('A CA passphrase was given but the CA private key %s is not encrypted.' % path,
                                 hint='Drop ca_passphrase (and unset %s), or encrypt the key, e.g. '
                                      'openssl pkey -in ca.key -aes256 -out ca.key.new.' % PASSPHRASE_ENV)
        try:
            # Exceptions here may quote key material, never the passphrase; still, say only why.
            return serialization.load_pem_private_key(data, self.passphrase if encrypted else None)
        except (ValueError, TypeError):
            if encrypted:
                raise ConnectorError('The CA private key %s cannot be decrypted: wrong passphrase.' % path,
                                     hint='Check connector_secrets.ca_passphrase or %s.' % PASSPHRASE_ENV)
            raise ConnectorError('The CA private key %s is not a PEM private key.' % path)

    def create(self):
        """Create the CA; caller holds the lock. Never overwrites an existing key."""
        if self.key_store is None and os.path.exists(self.layout.ca_key):
            raise ConnectorError('%s holds ca.key but no ca.pem; refusing to replace a CA key.' % self.layout.directory,
                                 hint='Restore ca.pem from a backup, or move ca.key away to create a new CA.')
        subject = x509lib.parse_subject(self.subject)
        if not len(subject):
            raise InputError('ca_subject must not be empty.', hint="E.g. 'CN=Example CA,O=Example'.")
        spec = KeySpec(self.key_type, key_size=RSA_CA_KEY_SIZE)
        if self.key_store is None:
            key = csrlib.generate_private_key(spec)
        elif self.key_store.has_key(self.key_name):
            key = self.key_store.signer(self.key_name)   # an HSM key made beforehand (key ceremony)
        else:
            key = self.key_store.generate(self.key_name, spec)
        now = utcnow()
        ski = x509.SubjectKeyIdentifier.from_public_key(public_key(key))
        builder = (x509.CertificateBuilder()
                   .subject_name(subject).issuer_name(subject).public_key(public_key(key))
                   .serial_number(random_serial())
                   .not_valid_before(now - CLOCK_SKEW)
                   .not_valid_after(now + datetime.timedelta(days=self.validity_days))
                   # pathlen 0: this CA signs leaves only, never another CA.
                   .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
                   .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False,
                                                key_encipherment=False, data_encipherment=False,
                                                key_agreement=False, key_cert_sign=True, crl_sign=True,
                                                encipher_only=False, decipher_only=False), critical=True)
                   .add_extension(ski, critical=False)
                   # AKI = SKI: the CA/B Forum profile (pkilint) recommends it in roots too.
                   .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski),
                                  critical=False))
        cert = sign(builder, key)
        self.layout.restrict()
        if self.key_store is None:
            enc = (serialization.BestAvailableEncryption(self.passphrase) if self.passphrase
                   else serialization.NoEncryption())
            write_atomic(self.layout.ca_key, key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, enc), layoutlib.PRIVATE_MODE)
        # ca.pem last: its presence means "the CA exists".
        write_atomic(self.layout.ca_cert, x509lib.pem(cert))
        return cert, key

    def load_import(self):
        """Load and vet ca_certificate and its key (and ca_chain); writes nothing."""
        path = layoutlib.expand(self.import_cert)
        try:
            cert = x509lib.load_certificate(layoutlib.read(path), 'ca_certificate %s' % path)
        except (IOError, OSError) as exc:
            raise ConnectorError('Cannot read ca_certificate %s: %s.' % (path, exc.strerror))
        exts = dict((type(e.value), e.value) for e in cert.extensions)
        if not getattr(exts.get(x509.BasicConstraints), 'ca', False):
            raise InputError('ca_certificate %s is not a CA certificate (no basicConstraints CA:TRUE).' % path)
        if x509.KeyUsage in exts and not exts[x509.KeyUsage].key_cert_sign:
            raise InputError('ca_certificate %s may not sign certificates (keyUsage lacks keyCertSign).' % path)
        key = self.load_key()
        if x509lib.spki_sha256(public_key(key)) != x509lib.spki_sha256(cert.public_key()):
            raise InputError('The CA key %s does not belong to ca_certificate %s.' % (self.key_description(), path))
        if self.chain:
            try:
                x509lib.load_certificates(layoutlib.read(os.path.expanduser(self.chain)), 'ca_chain')
            except (IOError, OSError) as exc:
                raise InputError('Cannot read ca_chain %s: %s.' % (self.chain, exc.strerror))
        return cert, key

    def adopt_import(self):
        """Adopt the imported CA; copy its certificate (public) to ca.pem so the directory
        says which CA its index and CRL belong to. Caller holds the lock."""
        cert, key = self.load_import()
        existing = self.layout.ca_cert
        if os.path.exists(existing):
            owner = x509.load_pem_x509_certificate(layoutlib.read(existing))
            if owner != cert:
                raise ConnectorError('%s already belongs to another CA (%s).' % (
                    self.layout.directory, owner.subject.rfc4514_string()),
                    hint='Give this imported CA its own connector_options.directory.')
        else:
            self.layout.restrict()
            write_atomic(existing, x509lib.pem(cert))
        return cert, key

    def open(self, on_setup=None):
        """Load the CA, creating (or importing) it on first use. Returns (cert, key).

        ``on_setup(ca)`` runs under the lock right after a creation or import (the first CRL)."""
        if self.ca is None and (self.import_cert or not self.layout.exists()):
            with self.lock:
                if self.import_cert:
                    self.ca = self.adopt_import()
                elif not self.layout.exists():  # else another process made it meanwhile
                    self.ca = self.create()
                if self.ca and on_setup is not None:
                    on_setup(self.ca)
        if self.ca is None:
            # ca.pem is written once, atomically, so it can be read without the lock.
            cert, key = x509.load_pem_x509_certificate(layoutlib.read(self.layout.ca_cert)), self.load_key()
            if self.key_store is not None and x509lib.spki_sha256(public_key(key)) != \
                    x509lib.spki_sha256(cert.public_key()):
                raise ConnectorError('The CA key %s does not belong to the CA certificate in %s.' % (
                    self.key_description(), self.layout.directory),
                    hint='Point ca_token_profile/ca_key at the key of this CA, or use another directory.')
            self.ca = (cert, key)
        if self.ca[0].not_valid_after_utc <= utcnow():
            raise ConnectorError('The CA certificate in %s expired on %s.' % (
                self.layout.directory, iso(self.ca[0].not_valid_after_utc)),
                hint='Create a new CA (new directory) or import a renewed CA certificate.')
        return self.ca

    def chain_pems(self, cert):
        """The CA certificate and, for an imported intermediate, its issuers (ca_chain)."""
        pems = [x509lib.pem(cert)]
        if self.chain:
            data = layoutlib.read(layoutlib.expand(self.chain))
            pems.extend(x509lib.pem(c) for c in x509lib.load_certificates(data, 'ca_chain'))
        return pems
