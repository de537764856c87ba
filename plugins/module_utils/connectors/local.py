# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The embedded CA: a certificate authority kept in a directory on the controller.

Layout of ``directory`` (created on first use, mode 0700)::

    ca.key         CA private key, PKCS#8 PEM, 0600, encrypted when ca_passphrase is set
                   (absent when the CA is imported: the key stays where the user keeps it)
    ca.pem         CA certificate
    issued/        one PEM per issued certificate, named <serial hex>.pem
    issued.jsonl   index of issued certificates, one JSON object a line (crash recovery)
    revoked.json   {"crl_number": n, "revoked": [{"serial", "revoked_at", "reason", ...}]}
    crl.pem        the current CRL
    .lock          flock(2) target; every write to the directory happens under it

Serial numbers (CA and leaves) are 127-bit positive integers with the top bit set:
126 random bits (CA/B Forum asks for 64), never zero, always 32 hex digits, and they
encode in 16 DER octets (within RFC 5280's 20). Serials are written as lowercase hex
without separators.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import contextlib
import datetime
import errno
import json
import os
import re
import tempfile
import traceback

try:
    import fcntl
except ImportError:  # not POSIX: the controller always is
    fcntl = None

try:
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, padding, rsa
    HAS_CRYPTOGRAPHY = True
    CRYPTOGRAPHY_IMPORT_ERROR = None
except ImportError:
    HAS_CRYPTOGRAPHY = False
    CRYPTOGRAPHY_IMPORT_ERROR = traceback.format_exc()

from ansible_collections.pki.lifecycle.plugins.module_utils import x509 as x509lib
from ansible_collections.pki.lifecycle.plugins.module_utils.connectors.base import Connector, Issued
from ansible_collections.pki.lifecycle.plugins.module_utils.keys import csr as csrlib
from ansible_collections.pki.lifecycle.plugins.module_utils.keys.base import KeySpec, Signer
from ansible_collections.pki.lifecycle.plugins.module_utils.errors import ConnectorError, InputError

# asn1crypto only serves a CA key kept in a token: imported on first use (see keys/csr.py).
HAS_ASN1CRYPTO, ASN1CRYPTO_IMPORT_ERROR = x509lib.optional_library('asn1crypto')
asn1_crl = x509lib.LazyModule('asn1crypto.crl')
asn1_x509 = x509lib.LazyModule('asn1crypto.x509')

PASSPHRASE_ENV = 'PKI_LIFECYCLE_CA_PASSPHRASE'
CA_PIN_ENV = 'PKI_LIFECYCLE_CA_PIN'
CLOCK_SKEW = datetime.timedelta(seconds=60)
REASONS = ('unspecified', 'keyCompromise', 'cACompromise', 'affiliationChanged', 'superseded',
           'cessationOfOperation', 'certificateHold', 'privilegeWithdrawn', 'aACompromise')
CA_KEY_TYPES = ('ec', 'rsa', 'ed25519')


def _now():
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)


def _iso(dt):
    return dt.astimezone(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')


def _random_serial():
    return (int.from_bytes(os.urandom(16), 'big') >> 1) | (1 << 126)


def _serial_hex(value):
    """An int, or hex with optional 0x / colons, to lowercase hex."""
    if isinstance(value, int):
        return '%x' % value
    text = str(value).strip().lower().replace(':', '')
    text = text[2:] if text.startswith('0x') else text
    try:
        return '%x' % int(text, 16)
    except ValueError:
        raise InputError('Serial number %r is not hexadecimal.' % (value,),
                         hint='Give the serial in hex, e.g. 4f3a...')


def _hash_for(key):
    # Ed25519/Ed448 sign the message itself; cryptography wants no hash for them.
    return None if isinstance(key, (ed25519.Ed25519PrivateKey, ed448.Ed448PrivateKey)) else hashes.SHA256()


def _pem(obj):
    # x509lib.pem covers certificates and CSRs; this also takes CRLs.
    return obj.public_bytes(serialization.Encoding.PEM).decode('ascii')


def _public_key(key):
    """The public key of the CA key: a cryptography private key or a token Signer."""
    return key.public_key if isinstance(key, Signer) else key.public_key()


def _sign(builder, key):
    """Sign a CertificateBuilder or CertificateRevocationListBuilder with the CA key.

    A software key signs through cryptography. A key in a token (a ``keys.base.Signer``
    without ``private_key``) cannot: cryptography signs only with its own key objects. So
    the builder signs with a throwaway P-256 key, asn1crypto swaps the signature algorithm
    inside the to-be-signed part, the token signs those DER bytes, and the result is
    assembled, loaded back and checked against the token's public key.
    """
    if not isinstance(key, Signer):
        return builder.sign(key, _hash_for(key))
    if key.private_key is not None:   # a file token profile: a software key after all
        return builder.sign(key.private_key, _hash_for(key.private_key))
    if not HAS_ASN1CRYPTO:
        raise ConnectorError('Signing with a CA key in a token needs the Python library asn1crypto.',
                             hint='Install it on the controller: pip install asn1crypto.')
    algorithm = csrlib.default_signature_algorithm(key.public_key)
    digest = None if algorithm == 'ed25519' else 'sha256'
    draft = builder.sign(ec.generate_private_key(ec.SECP256R1()), hashes.SHA256())
    if isinstance(builder, x509.CertificateBuilder):
        outer, tbs_name, value_name, load = (asn1_x509.Certificate, 'tbs_certificate', 'signature_value',
                                             x509.load_der_x509_certificate)
    else:
        outer, tbs_name, value_name, load = (asn1_crl.CertificateList, 'tbs_cert_list', 'signature',
                                             x509.load_der_x509_crl)
    algorithm_id = csrlib._signature_algorithm_identifier(algorithm, digest)  # pylint: disable=protected-access
    tbs = outer.load(draft.public_bytes(serialization.Encoding.DER))[tbs_name]
    tbs['signature'] = algorithm_id
    tbs_der = tbs.dump()
    signature = key.sign(tbs_der, algorithm, digest)
    try:
        if algorithm == 'ed25519':
            key.public_key.verify(signature, tbs_der)
        elif algorithm == 'ecdsa':
            key.public_key.verify(signature, tbs_der, ec.ECDSA(hashes.SHA256()))
        else:
            key.public_key.verify(signature, tbs_der, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        raise ConnectorError('The CA key in the token made a signature its public key does not verify.',
                             hint='Check that the token key named by ca_key belongs to the CA certificate.')
    return load(outer({tbs_name: tbs, 'signature_algorithm': algorithm_id, value_name: signature}).dump())


def _write_atomic(path, data, mode=0o644, sync=True):
    """Write to a temp file in the same directory, fsync, rename: readers see old or new.

    ``sync=False``: no fsync here; the caller flushes later (LocalConnector.batch)."""
    fd, tmp = tempfile.mkstemp(prefix='.tmp-', dir=os.path.dirname(path))
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, 'wb') as handle:
            handle.write(data if isinstance(data, bytes) else data.encode('utf-8'))
            handle.flush()
            if sync:
                os.fsync(handle.fileno())
        os.rename(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _read(path):
    with open(path, 'rb') as handle:
        return handle.read()


class LocalConnector(Connector):
    name = 'local'
    OPTIONS = {
        'directory': 'Directory of the CA (default: <inventory dir>/ca/<profile>).',
        'ca_subject': "Subject DN of a created CA (default 'CN=pki.lifecycle <profile> CA').",
        'ca_key_type': 'Key of a created CA: ec (P-256, default), rsa (3072) or ed25519.',
        'ca_validity_days': 'Lifetime of a created CA certificate (default 3650).',
        'ca_certificate': 'Path to an existing CA certificate to import (with ca_private_key).',
        'ca_private_key': 'Path to the private key of ca_certificate; it is used in place, not copied.',
        'ca_chain': 'Path to PEM issuers of an imported intermediate CA, up to its root.',
        'ca_token_profile': 'Token profile (e.g. pkcs11) holding the CA key; with ca_key, in place of ca.key.',
        'ca_key': 'Name (pkcs11: label) of the CA key in ca_token_profile; generated there as ca_key_type '
                  'when a new CA is created and the key does not exist.',
        'validity_days': 'Default validity of issued certificates (default 90).',
        'crl_validity_days': 'Days until a CRL\'s nextUpdate (default 7).',
        'crl_distribution_point': 'URL (or list of URLs) of the CRL, put in issued certificates.',
    }
    SECRETS = {'ca_passphrase': 'Passphrase of the CA private key; a created key is encrypted with it.',
               'ca_pin': 'PIN of the token holding the CA key (ca_token_profile); default token_secrets.pin.'}
    SECRET_ENV = {'ca_passphrase': PASSPHRASE_ENV, 'ca_pin': CA_PIN_ENV}
    ISSUE_ATTRIBUTES = {
        'validity_days': 'Validity in days (the shorter of this and the request\'s; capped at the CA\'s expiry).',
        'key_usage': 'List of key usages (default by key type: EC/Ed25519 digital_signature, '
                     'RSA digital_signature + key_encipherment).',
        'extended_key_usage': 'List of extended key usages or dotted OIDs (default server_auth, '
                              'client_auth; [] for none).',
    }
    REVOKE_ATTRIBUTES = {
        'invalidity_date': 'ISO 8601 time since when the key is known or suspected to be compromised.',
    }

    def __init__(self, profile_name, options, secrets, policy=None, context=None):
        super(LocalConnector, self).__init__(profile_name, options, secrets, policy, context)
        if not HAS_CRYPTOGRAPHY:
            raise ConnectorError('The local connector needs the Python library cryptography.',
                                 hint='Install it on the controller: pip install cryptography.')
        opts = self.options
        directory = opts.get('directory')
        if not directory:
            base = self.context.get('inventory_dir') or '~/.local/share/pki.lifecycle'
            # The profile name becomes a path component: keep it from escaping ca/.
            safe = re.sub(r'[^A-Za-z0-9_.-]', '_', str(profile_name)).lstrip('.') or '_'
            directory = os.path.join(base, 'ca', safe)
        self.directory = os.path.abspath(os.path.expanduser(str(directory)))
        self.ca_subject = opts.get('ca_subject') or 'CN=pki.lifecycle %s CA' % profile_name
        self.ca_key_type = str(opts.get('ca_key_type') or 'ec').lower()
        if self.ca_key_type not in CA_KEY_TYPES:
            raise InputError('ca_key_type %r is not supported.' % (opts.get('ca_key_type'),),
                             hint='Use one of: %s.' % ', '.join(CA_KEY_TYPES))
        self.ca_validity_days = self._positive_int('ca_validity_days', opts.get('ca_validity_days'), 3650)
        self.validity_days = self._positive_int('validity_days', opts.get('validity_days'), 90)
        self.crl_validity_days = self._positive_int('crl_validity_days', opts.get('crl_validity_days'), 7)
        self.import_cert = opts.get('ca_certificate')
        self.import_key = opts.get('ca_private_key')
        # The CA key in a token profile: lifecycle resolves the profile into context['ca_key_store'].
        self.ca_token_profile = opts.get('ca_token_profile')
        self.ca_key_name = opts.get('ca_key')
        if bool(self.ca_token_profile) != bool(self.ca_key_name):
            raise InputError('ca_token_profile and ca_key go together.',
                             hint='Name the token profile and the key in it, or neither to keep the key in ca.key.')
        if self.ca_token_profile and self.import_key:
            raise InputError('ca_private_key and ca_token_profile both name the CA key.',
                             hint='Keep one: a key file (ca_private_key) or a key in a token (ca_token_profile + ca_key).')
        self.key_store = self.context.get('ca_key_store') if self.ca_token_profile else None
        if self.ca_token_profile and self.key_store is None:
            raise InputError('ca_token_profile %r was not resolved to a key store.' % self.ca_token_profile,
                             hint='Use the connector through pki.lifecycle modules, which open the token profile.')
        if (self.import_key and not self.import_cert) or \
                (self.import_cert and not (self.import_key or self.ca_token_profile)):
            raise InputError('ca_certificate and ca_private_key (or ca_token_profile + ca_key) go together.',
                             hint='Give both to import a CA, or neither to create one.')
        self.ca_chain = opts.get('ca_chain')
        cdp = opts.get('crl_distribution_point') or []
        self.crl_urls = [cdp] if isinstance(cdp, str) else list(cdp)
        # lifecycle applies SECRET_ENV; read it here too so the class works on its own.
        passphrase = self.secrets.get('ca_passphrase') or os.environ.get(PASSPHRASE_ENV)
        self._passphrase = passphrase.encode('utf-8') if passphrase else None
        self._ca = None  # (certificate, private key) once loaded

    @staticmethod
    def _positive_int(name, value, default):
        if value is None or value == '':
            return default
        try:
            value = int(value)
        except (TypeError, ValueError):
            value = 0
        if value <= 0:
            raise InputError('%s must be a positive number of days.' % name)
        return value

    # ---- paths and locking -------------------------------------------------------------

    _batching = False     # inside batch(): the lock is held, fsyncs wait for its end
    _serials = None       # serials of issued.jsonl read so far (see _index_serials)
    _serials_at = 0       # ... up to this byte offset

    def _path(self, *parts):
        return os.path.join(self.directory, *parts)

    @property
    def _key_path(self):
        return os.path.abspath(os.path.expanduser(self.import_key)) if self.import_key else self._path('ca.key')

    @contextlib.contextmanager
    def _lock(self):
        """Exclusive flock on <directory>/.lock: serialises creation, issuance, revocation
        across forks and playbook runs on this controller."""
        try:
            if not os.path.isdir(self.directory):
                os.makedirs(self.directory, 0o700, exist_ok=True)
            fd = os.open(self._path('.lock'), os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise ConnectorError('Cannot use the CA directory %s: %s.' % (self.directory, exc.strerror),
                                 hint='Set connector_options.directory to a writable path.')
        try:
            if fcntl:
                fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the lock

    # ---- the CA itself -------------------------------------------------------------------

    def _load_key(self):
        if self.key_store is not None:
            # The key stays in the token; TokenError (wrong PIN, missing key) says what to fix.
            return self.key_store.signer(self.ca_key_name)
        path = self._key_path
        try:
            data = _read(path)
        except (IOError, OSError) as exc:
            raise ConnectorError('Cannot read the CA private key %s: %s.' % (path, exc.strerror))
        encrypted = b'ENCRYPTED' in data.split(b'\n', 1)[0] or b'Proc-Type: 4,ENCRYPTED' in data
        if encrypted and not self._passphrase:
            raise ConnectorError('The CA private key %s is encrypted and no passphrase was given.' % path,
                                 hint='Give connector_secrets.ca_passphrase or set %s.' % PASSPHRASE_ENV)
        if not encrypted and self._passphrase:
            raise ConnectorError('A CA passphrase was given but the CA private key %s is not encrypted.' % path,
                                 hint='Drop ca_passphrase (and unset %s), or encrypt the key, e.g. '
                                      'openssl pkey -in ca.key -aes256 -out ca.key.new.' % PASSPHRASE_ENV)
        try:
            # Exceptions here may quote key material, never the passphrase; still, say only why.
            return serialization.load_pem_private_key(data, self._passphrase if encrypted else None)
        except (ValueError, TypeError):
            if encrypted:
                raise ConnectorError('The CA private key %s cannot be decrypted: wrong passphrase.' % path,
                                     hint='Check connector_secrets.ca_passphrase or %s.' % PASSPHRASE_ENV)
            raise ConnectorError('The CA private key %s is not a PEM private key.' % path)

    def _create(self):
        """Create the CA; caller holds the lock. Never overwrites an existing key."""
        if self.key_store is None and os.path.exists(self._path('ca.key')):
            raise ConnectorError('%s holds ca.key but no ca.pem; refusing to replace a CA key.' % self.directory,
                                 hint='Restore ca.pem from a backup, or move ca.key away to create a new CA.')
        subject = x509lib.parse_subject(self.ca_subject)
        if not len(subject):
            raise InputError('ca_subject must not be empty.', hint="E.g. 'CN=Example CA,O=Example'.")
        spec = KeySpec(self.ca_key_type, key_size=3072)
        if self.key_store is None:
            key = csrlib.generate_private_key(spec)
        elif self.key_store.has_key(self.ca_key_name):
            key = self.key_store.signer(self.ca_key_name)   # an HSM key made beforehand (key ceremony)
        else:
            key = self.key_store.generate(self.ca_key_name, spec)
        now = _now()
        ski = x509.SubjectKeyIdentifier.from_public_key(_public_key(key))
        builder = (x509.CertificateBuilder()
                   .subject_name(subject).issuer_name(subject).public_key(_public_key(key))
                   .serial_number(_random_serial())
                   .not_valid_before(now - CLOCK_SKEW)
                   .not_valid_after(now + datetime.timedelta(days=self.ca_validity_days))
                   # pathlen 0: this CA signs leaves only, never another CA.
                   .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
                   .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False,
                                                key_encipherment=False, data_encipherment=False,
                                                key_agreement=False, key_cert_sign=True, crl_sign=True,
                                                encipher_only=False, decipher_only=False), critical=True)
                   .add_extension(ski, critical=False))
        cert = _sign(builder, key)
        os.chmod(self.directory, 0o700)
        if self.key_store is None:
            enc = (serialization.BestAvailableEncryption(self._passphrase) if self._passphrase
                   else serialization.NoEncryption())
            _write_atomic(self._path('ca.key'), key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, enc), 0o600)
        # ca.pem last: its presence means "the CA exists".
        _write_atomic(self._path('ca.pem'), _pem(cert))
        return cert, key

    def _load_import(self):
        """Load and vet ca_certificate/ca_private_key (and ca_chain); writes nothing."""
        path = os.path.abspath(os.path.expanduser(self.import_cert))
        try:
            cert = x509lib.load_certificate(_read(path), 'ca_certificate %s' % path)
        except (IOError, OSError) as exc:
            raise ConnectorError('Cannot read ca_certificate %s: %s.' % (path, exc.strerror))
        exts = dict((type(e.value), e.value) for e in cert.extensions)
        if not getattr(exts.get(x509.BasicConstraints), 'ca', False):
            raise InputError('ca_certificate %s is not a CA certificate (no basicConstraints CA:TRUE).' % path)
        if x509.KeyUsage in exts and not exts[x509.KeyUsage].key_cert_sign:
            raise InputError('ca_certificate %s may not sign certificates (keyUsage lacks keyCertSign).' % path)
        key = self._load_key()
        if _public_key(key).public_bytes(serialization.Encoding.DER,
                                         serialization.PublicFormat.SubjectPublicKeyInfo) != \
                cert.public_key().public_bytes(serialization.Encoding.DER,
                                               serialization.PublicFormat.SubjectPublicKeyInfo):
            raise InputError('The CA key %s does not belong to ca_certificate %s.' % (
                self._key_description(), path))
        if self.ca_chain:
            try:
                x509lib.load_certificates(_read(os.path.expanduser(self.ca_chain)), 'ca_chain')
            except (IOError, OSError) as exc:
                raise InputError('Cannot read ca_chain %s: %s.' % (self.ca_chain, exc.strerror))
        return cert, key

    def _import(self):
        """Adopt the imported CA; copy its certificate (public) to ca.pem so the directory
        says which CA its index and CRL belong to. Caller holds the lock."""
        cert, key = self._load_import()
        existing = self._path('ca.pem')
        if os.path.exists(existing):
            owner = x509.load_pem_x509_certificate(_read(existing))
            if owner != cert:
                raise ConnectorError('%s already belongs to another CA (%s).' % (
                    self.directory, owner.subject.rfc4514_string()),
                    hint='Give this imported CA its own connector_options.directory.')
        else:
            os.chmod(self.directory, 0o700)
            _write_atomic(existing, _pem(cert))
        return cert, key

    def _open(self):
        """Load the CA, creating (or importing) it on first use. Returns (cert, key)."""
        ca_pem = self._path('ca.pem')
        if self._ca is None and (self.import_cert or not os.path.exists(ca_pem)):
            with self._lock():
                if self.import_cert:
                    self._ca = self._import()
                elif not os.path.exists(ca_pem):  # else another process made it meanwhile
                    self._ca = self._create()
                if self._ca and not os.path.exists(self._path('crl.pem')):
                    self._write_crl(self._ca, self._read_revoked())
        if self._ca is None:
            # ca.pem is written once, atomically, so it can be read without the lock.
            cert, key = x509.load_pem_x509_certificate(_read(ca_pem)), self._load_key()
            if self.key_store is not None and x509lib.spki_sha256(_public_key(key)) != \
                    x509lib.spki_sha256(cert.public_key()):
                raise ConnectorError('The CA key %s does not belong to the CA certificate in %s.' % (
                    self._key_description(), self.directory),
                    hint='Point ca_token_profile/ca_key at the key of this CA, or use another directory.')
            self._ca = (cert, key)
        if self._ca[0].not_valid_after_utc <= _now():
            raise ConnectorError('The CA certificate in %s expired on %s.' % (
                self.directory, _iso(self._ca[0].not_valid_after_utc)),
                hint='Create a new CA (new directory) or import a renewed CA certificate.')
        return self._ca

    def _key_description(self):
        if self.key_store is not None:
            return '%r in token profile %r' % (self.ca_key_name, self.ca_token_profile)
        return self._key_path

    def _chain_pems(self, cert):
        pems = [_pem(cert)]
        if self.ca_chain:
            data = _read(os.path.abspath(os.path.expanduser(self.ca_chain)))
            pems.extend(_pem(c) for c in x509lib.load_certificates(data, 'ca_chain'))
        return pems

    # ---- Connector interface -------------------------------------------------------------

    def check(self):
        """The CA exists (or can be created: in check mode nothing is written) and its key
        loads. Returns facts about the CA."""
        if self.context.get('check_mode') and self.import_cert:
            cert = self._load_import()[0]
        elif self.context.get('check_mode') and not os.path.exists(self._path('ca.pem')):
            parent = self.directory
            while not os.path.exists(parent):
                parent = os.path.dirname(parent)
            if not os.access(parent, os.W_OK | os.X_OK):
                raise ConnectorError('Cannot create the CA directory %s: %s is not writable.' % (
                    self.directory, parent), hint='Set connector_options.directory to a writable path.')
            return {'directory': self.directory, 'exists': False}
        else:
            cert = self._open()[0]
        return {'directory': self.directory, 'exists': True, 'ca_subject': cert.subject.rfc4514_string(),
                'ca_not_after': _iso(cert.not_valid_after_utc),
                'ca_fingerprint_sha256': x509lib.fingerprint(cert)}

    def trust_anchors(self):
        pems = self._chain_pems(self._open()[0])
        return pems[-1:]

    def issue(self, csr_pem, attributes, validity_days=None, record=None):
        attributes = attributes or {}
        csr = x509lib.load_csr(csr_pem)  # checks the signature too
        ca_cert, ca_key = self._open()
        # The request's validity (already capped by policy) and the attribute may both be set:
        # the shorter wins, so neither can lift the other's limit.
        wanted = [self._positive_int('validity_days', v, None)
                  for v in (validity_days, attributes.get('validity_days')) if v not in (None, '')]
        days = min(wanted) if wanted else self.validity_days
        public_key = csr.public_key()
        usage = attributes.get('key_usage')
        if usage is None:  # RSA keys may encrypt (TLS RSA key exchange); EC/EdDSA keys only sign
            usage = ['digital_signature'] + (['key_encipherment'] if isinstance(public_key, rsa.RSAPublicKey) else [])
        eku = attributes.get('extended_key_usage')
        # key_usage/EKU [] means "no such extension"; build_extensions drops empty ones.
        usage_exts = csrlib.build_extensions({'key_usage': usage, 'extended_key_usage': (
            ['server_auth', 'client_auth'] if eku is None else eku)})
        now = _now()
        not_after = min(now + datetime.timedelta(days=days), ca_cert.not_valid_after_utc)
        try:
            ca_ski = ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
            aki = x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski)
        except x509.ExtensionNotFound:
            aki = x509.AuthorityKeyIdentifier.from_issuer_public_key(_public_key(ca_key))
        builder = (x509.CertificateBuilder()
                   .subject_name(csr.subject).issuer_name(ca_cert.subject).public_key(public_key)
                   .not_valid_before(now - CLOCK_SKEW).not_valid_after(not_after)
                   .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                   .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
                   .add_extension(aki, critical=False))
        for ext, critical in usage_exts:
            builder = builder.add_extension(ext, critical=critical)
        try:
            san = csr.extensions.get_extension_for_class(x509.SubjectAlternativeName)
            # RFC 5280 4.2.1.6: with an empty subject the SAN must be critical.
            builder = builder.add_extension(san.value, critical=san.critical or not len(csr.subject))
        except x509.ExtensionNotFound:
            if not len(csr.subject):
                raise InputError('The CSR has neither a subject nor subjectAltNames.')
        if self.crl_urls:
            builder = builder.add_extension(x509.CRLDistributionPoints([
                x509.DistributionPoint([x509.UniformResourceIdentifier(u)], None, None, None)
                for u in self.crl_urls]), critical=False)
        with self._issue_lock():
            known = self._index_serials()
            serial = _random_serial()
            while '%x' % serial in known:  # 2^-126 per try; cheap to rule out anyway
                serial = _random_serial()
            cert = _sign(builder.serial_number(serial), ca_key)
            cert_pem = _pem(cert)
            serial_hex = '%x' % serial
            issued_dir = self._path('issued')
            if not os.path.isdir(issued_dir):
                os.mkdir(issued_dir, 0o700)
            # The PEM first, then the index line: an index entry always has its PEM.
            _write_atomic(os.path.join(issued_dir, serial_hex + '.pem'), cert_pem, sync=not self._batching)
            entry = {'serial': serial_hex, 'fingerprint_sha256': x509lib.fingerprint(cert),
                     'subject': cert.subject.rfc4514_string(), 'not_after': _iso(not_after),
                     'issued_at': _iso(now), 'record_uuid': (record or {}).get('uuid')}
            with open(self._path('issued.jsonl'), 'ab+') as index:
                if index.seek(0, os.SEEK_END):
                    index.seek(-1, os.SEEK_END)
                    if index.read(1) != b'\n':
                        index.write(b'\n')  # end a line torn by a crash so this one stays whole
                index.write((json.dumps(entry, sort_keys=True) + '\n').encode('utf-8'))
                index.flush()
                if not self._batching:
                    os.fsync(index.fileno())
        return Issued(cert_pem, self._chain_pems(ca_cert),
                      {'serial': serial_hex, 'ca_directory': self.directory})

    def _index(self):
        try:
            with open(self._path('issued.jsonl')) as handle:
                lines = handle.read().splitlines()
        except (IOError, OSError) as exc:
            if exc.errno == errno.ENOENT:
                return []
            raise
        entries = []
        for line in lines:
            try:
                entries.append(json.loads(line))
            except ValueError:
                continue  # a line torn by a crash: its certificate was never returned
        return entries

    def _index_serials(self):
        """Serials in issued.jsonl. Called under the lock, where the file only grows: only the
        lines appended since the last call are read, so bulk issuance stays linear."""
        path = self._path('issued.jsonl')
        try:
            size = os.path.getsize(path)
        except OSError:
            size = 0
        if self._serials is None or size < self._serials_at:
            self._serials, self._serials_at = set(), 0
        if size > self._serials_at:
            with open(path, 'rb') as handle:
                handle.seek(self._serials_at)
                data = handle.read()
            end = data.rfind(b'\n') + 1  # whole lines only; a torn tail is read again next time
            for line in data[:end].splitlines():
                try:
                    self._serials.add(json.loads(line).get('serial'))
                except (ValueError, AttributeError):
                    continue  # a line torn by a crash: its certificate was never returned
            self._serials_at += end
        return self._serials

    @contextlib.contextmanager
    def _issue_lock(self):
        if self._batching:
            yield  # batch() holds the lock already (flock is not re-entrant across open files)
        else:
            with self._lock():
                yield

    @contextlib.contextmanager
    def batch(self):
        """Issue many certificates under one lock and one flush to disk (bulk renewal).

        Inside, issue() writes each PEM and index line as usual but without an fsync each;
        leaving flushes everything with one sync(), before the caller records the results
        in the inventory (which holds their ``requested`` reservations until then, so a
        crash in between is recovered through lookup() like any other)."""
        if self._batching:
            yield
            return
        self._open()  # may create the CA, which takes the lock itself
        with self._lock():
            self._batching = True
            try:
                yield
            finally:
                self._batching = False
                os.sync()

    def lookup(self, record):
        """The newest certificate this CA issued for ``record['uuid']``, or None."""
        uuid = (record or {}).get('uuid')
        if not uuid or not os.path.exists(self._path('issued.jsonl')):
            return None
        self._open()
        for entry in reversed(self._index()):
            if entry.get('record_uuid') == uuid:
                path = self._path('issued', entry['serial'] + '.pem')
                if os.path.exists(path):
                    return Issued(_read(path).decode('ascii'), self._chain_pems(self._ca[0]),
                                  {'serial': entry['serial'], 'ca_directory': self.directory})
        return None

    # ---- revocation and CRL --------------------------------------------------------------

    def _read_revoked(self):
        try:
            return json.loads(_read(self._path('revoked.json')).decode('utf-8'))
        except (IOError, OSError) as exc:
            if exc.errno == errno.ENOENT:
                return {'crl_number': 0, 'revoked': []}
            raise
        except ValueError:
            raise ConnectorError('%s is corrupted.' % self._path('revoked.json'),
                                 hint='Restore it from a backup; the CRL cannot be built without it.')

    def _write_crl(self, ca, state):
        """Sign and atomically replace crl.pem with the next CRL number. Caller holds the lock."""
        cert, key = ca
        state['crl_number'] = int(state.get('crl_number', 0)) + 1
        now = _now()
        builder = (x509.CertificateRevocationListBuilder()
                   .issuer_name(cert.subject)
                   # Backdated like certificates, so a verifier with a slow clock accepts it.
                   .last_update(now - CLOCK_SKEW)
                   .next_update(now + datetime.timedelta(days=self.crl_validity_days))
                   .add_extension(x509.CRLNumber(state['crl_number']), critical=False))
        try:
            ski = cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
            builder = builder.add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False)
        except x509.ExtensionNotFound:
            pass
        for entry in state['revoked']:
            revoked = (x509.RevokedCertificateBuilder().serial_number(int(entry['serial'], 16))
                       .revocation_date(datetime.datetime.strptime(entry['revoked_at'], '%Y-%m-%dT%H:%M:%SZ')
                                        .replace(tzinfo=datetime.timezone.utc)))
            if entry.get('reason', 'unspecified') != 'unspecified':
                # RFC 5280 5.3.1: omit the reason code rather than say "unspecified".
                revoked = revoked.add_extension(x509.CRLReason(x509.ReasonFlags(entry['reason'])),
                                                critical=False)
            if entry.get('invalidity_date'):
                revoked = revoked.add_extension(x509.InvalidityDate(_parse_time(entry['invalidity_date'])),
                                                critical=False)
            builder = builder.add_revoked_certificate(revoked.build())
        crl = _sign(builder, key)
        _write_atomic(self._path('revoked.json'), json.dumps(state, indent=1, sort_keys=True) + '\n')
        _write_atomic(self._path('crl.pem'), _pem(crl))
        return crl

    def revoke(self, certificate_pem, serial, reason, attributes):
        reason = reason or 'unspecified'
        if reason not in REASONS:
            raise InputError('Unknown revocation reason %r.' % (reason,), hint='Use one of: %s.' % ', '.join(REASONS))
        attributes = attributes or {}
        invalidity = attributes.get('invalidity_date')
        if invalidity:
            invalidity = _iso(_parse_time(invalidity))
        ca = self._open()
        ca_cert = ca[0]
        if certificate_pem:
            cert = x509lib.load_certificate(certificate_pem, 'the certificate to revoke')
            serial_hex = '%x' % cert.serial_number
            try:
                cert.verify_directly_issued_by(ca_cert)
            except (ValueError, TypeError, InvalidSignature):
                raise ConnectorError('Certificate %s was not issued by this CA (issuer %s, CA %s).' % (
                    serial_hex, cert.issuer.rfc4514_string(), ca_cert.subject.rfc4514_string()),
                    hint='Revoke it through the RA profile of the CA that issued it.')
        elif serial is not None:
            serial_hex = _serial_hex(serial)
            if serial_hex not in self._index_serials():
                raise ConnectorError('Certificate %s was not issued by this CA (issuer %s): not in its index.' % (
                    serial_hex, ca_cert.subject.rfc4514_string()),
                    hint='Pass the certificate PEM if it was issued before the CA was imported.')
        else:
            raise InputError('Nothing to revoke: give the certificate PEM or its serial.')
        with self._lock():
            state = self._read_revoked()
            for entry in state['revoked']:
                if entry['serial'] == serial_hex:
                    # Already on the CRL: keep the first entry (its time and reason stand).
                    if not os.path.exists(self._path('crl.pem')):
                        self._write_crl(ca, state)
                    return {'crl_path': self._path('crl.pem'), 'crl_number': state['crl_number'],
                            'revoked_at': entry['revoked_at'], 'already_revoked': True}
            entry = {'serial': serial_hex, 'revoked_at': _iso(_now()), 'reason': reason}
            if invalidity:
                entry['invalidity_date'] = invalidity
            state['revoked'].append(entry)
            self._write_crl(ca, state)
        return {'crl_path': self._path('crl.pem'), 'crl_number': state['crl_number'],
                'revoked_at': entry['revoked_at'], 'already_revoked': False}

    def crl_pem(self, refresh=False):
        """The current CRL PEM. Re-signed when asked, missing, or past half its validity, so a
        periodic run (e.g. renew_due) keeps it from expiring."""
        ca = self._open()
        path = self._path('crl.pem')
        with self._lock():
            stale = refresh or not os.path.exists(path)
            if not stale:
                crl = x509.load_pem_x509_crl(_read(path))
                remaining = crl.next_update_utc - _now()
                stale = remaining < datetime.timedelta(days=self.crl_validity_days) / 2
            if stale:
                self._write_crl(ca, self._read_revoked())
            return _read(path).decode('ascii')


def _parse_time(value):
    if isinstance(value, datetime.datetime):
        dt = value
    else:
        try:
            dt = datetime.datetime.fromisoformat(str(value).strip().replace('Z', '+00:00'))
        except ValueError:
            raise InputError('invalidity_date %r is not an ISO 8601 time.' % (value,),
                             hint="Write it like '2026-01-31T12:00:00Z'.")
    return (dt if dt.tzinfo else dt.replace(tzinfo=datetime.timezone.utc)).astimezone(datetime.timezone.utc)
