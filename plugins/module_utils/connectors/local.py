# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Connector 'local': the embedded CA, a certificate authority kept in a directory on the
controller. This file adapts the connector interface; the CA's storage is ``local_ca/``
(layout.py: the directory; lock.py; index.py: what was issued; crl.py: revocations and CRL;
authority.py: create/import; signing.py: a key in a file or a token).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import contextlib
import datetime
import os

from ansible_collections.pki.lifecycle.plugins.module_utils import x509 as x509lib
from ansible_collections.pki.lifecycle.plugins.module_utils.connectors.base import Connector, Issued
from ansible_collections.pki.lifecycle.plugins.module_utils.errors import ConnectorError, InputError
from ansible_collections.pki.lifecycle.plugins.module_utils.keys import csr as csrlib
from ansible_collections.pki.lifecycle.plugins.module_utils.local_ca.authority import PASSPHRASE_ENV, Authority
from ansible_collections.pki.lifecycle.plugins.module_utils.local_ca.crl import (
    Revocations, check_reason, parse_time)
from ansible_collections.pki.lifecycle.plugins.module_utils.local_ca.index import IssuedIndex
from ansible_collections.pki.lifecycle.plugins.module_utils.local_ca.layout import Layout, default_directory
from ansible_collections.pki.lifecycle.plugins.module_utils.local_ca.layout import read as layout_read
from ansible_collections.pki.lifecycle.plugins.module_utils.local_ca.lock import DirectoryLock
from ansible_collections.pki.lifecycle.plugins.module_utils.local_ca import publish as publishlib
from ansible_collections.pki.lifecycle.plugins.module_utils.local_ca.signing import CLOCK_SKEW, public_key, sign
from ansible_collections.pki.lifecycle.plugins.module_utils.vocabulary import (
    KEY_TYPES, iso, parse_serial, secrets_with_fallbacks, serial_hex, utcnow)
from ansible_collections.pki.lifecycle.plugins.module_utils.x509.base import LazyModule

x509 = LazyModule('cryptography.x509')
crypto_exceptions = LazyModule('cryptography.exceptions')
rsa = LazyModule('cryptography.hazmat.primitives.asymmetric.rsa')

HAS_CRYPTOGRAPHY = x509lib.HAS_CRYPTOGRAPHY

CA_PIN_ENV = 'PKI_LIFECYCLE_CA_PIN'


# connector option extended_key_usage: the presets and what they stand for.
EKU_PRESETS = {'server': ['server_auth'], 'client': ['client_auth'], 'both': ['server_auth', 'client_auth']}


def profile_eku(value):
    """The extended key usages (names or OIDs) of option extended_key_usage; ValueError if bad."""
    if value is None:
        return list(EKU_PRESETS['both'])
    if isinstance(value, str) and value.strip().lower() in EKU_PRESETS:
        return list(EKU_PRESETS[value.strip().lower()])
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
        raise ValueError('server, client, both or a list of extended key usage names or dotted OIDs')
    try:
        csrlib.build_extensions({'extended_key_usage': items})
    except InputError as exc:
        raise ValueError('server, client, both or a list of known names or dotted OIDs (%s)' % exc.message.rstrip('.'))
    return list(items) or [None]  # [None]: "no EKU", still true for the spec's check


_USAGE_EXTENSIONS = {}


def _usage_extensions(usage, eku):
    """build_extensions for key usage and EKU, as x509.Extension objects, built once per
    distinct pair (a due sweep asks for the same pair thousands of times; they are immutable)."""
    key = (tuple(usage), tuple(eku))
    if key not in _USAGE_EXTENSIONS:
        _USAGE_EXTENSIONS[key] = [x509.Extension(ext.oid, critical, ext) for ext, critical in
                                  csrlib.build_extensions({'key_usage': usage, 'extended_key_usage': eku})]
    return _USAGE_EXTENSIONS[key]


def _extension(value, critical):
    return x509.Extension(value.oid, critical, value)


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
        'crl_refresh': "Share of a CRL's lifetime after which pki.lifecycle.crl (every renew_due run) "
                       "re-signs it (default '50%').",
        'crl_publish_paths': 'Absolute path (or list) on the controller where every CRL signed is also '
                             'written, e.g. in a web root.',
        'ca_issuers_url': 'URL (or list of URLs) of the CA certificate, put in issued certificates as '
                          'AIA caIssuers.',
        'extended_key_usage': "Extended key usage of issued certificates: server, client, both (default) "
                              "or a list of names (server_auth, client_auth, code_signing...) or dotted OIDs; "
                              "[] for none. The issue attribute extended_key_usage overrides it per request.",
        'chain_includes_root': "true: chain_pem and fullchain_pem end with the self-signed root (default false: "
                               "the root is returned only as root_pem).",
    }
    OPTION_SPEC = {
        'directory': dict(type='str'), 'ca_subject': dict(type='str'),
        'ca_key_type': dict(type='str', choices=KEY_TYPES, default='ec'),
        'ca_validity_days': dict(type='int', default=3650), 'ca_certificate': dict(type='str'),
        'ca_private_key': dict(type='str'), 'ca_chain': dict(type='str'), 'ca_token_profile': dict(type='str'),
        'ca_key': dict(type='str'), 'validity_days': dict(type='int', default=90),
        'crl_validity_days': dict(type='int', default=7), 'crl_distribution_point': dict(type='list'),
        'extended_key_usage': dict(type='raw', default='both', check=lambda value: profile_eku(value) and value),
        'chain_includes_root': dict(type='bool', default=False),
        'crl_refresh': dict(type='str', default='50%'), 'crl_publish_paths': dict(type='list'),
        'ca_issuers_url': dict(type='list'),
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
        self.layout = Layout(opts.get('directory') or
                             default_directory(self.context.get('inventory_dir'), profile_name))
        self.directory = self.layout.directory
        self.ca_subject = opts.get('ca_subject') or 'CN=pki.lifecycle %s CA' % profile_name
        self.ca_key_type = str(opts.get('ca_key_type') or 'ec').lower()
        if self.ca_key_type not in KEY_TYPES:
            raise InputError('ca_key_type %r is not supported.' % (opts.get('ca_key_type'),),
                             hint='Use one of: %s.' % ', '.join(KEY_TYPES))
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
        aia = opts.get('ca_issuers_url') or []
        self.ca_issuers_urls = [aia] if isinstance(aia, str) else list(aia)
        self.crl_refresh = publishlib.parse_refresh(opts.get('crl_refresh'))
        self.crl_publish_paths = publishlib.publish_paths(opts.get('crl_publish_paths'))
        try:
            self.eku = [e for e in profile_eku(opts.get('extended_key_usage')) if e]
        except ValueError as exc:
            raise InputError('connector option extended_key_usage is not %s.' % exc,
                             hint="Use server, client, both or a list such as [server_auth, '1.3.6.1.5.5.7.3.17'].")
        self.chain_includes_root = opts.get('chain_includes_root') in (True, 'true', 'yes')
        # lifecycle applies SECRET_ENV; read it here too so the class works on its own.
        passphrase = secrets_with_fallbacks(self.secrets, {'ca_passphrase': PASSPHRASE_ENV}).get('ca_passphrase')
        self.lock = DirectoryLock(self.layout)
        self.authority = Authority(
            self.layout, self.lock, subject=self.ca_subject, key_type=self.ca_key_type,
            validity_days=self.ca_validity_days, import_cert=self.import_cert, import_key=self.import_key,
            chain=self.ca_chain, passphrase=passphrase, key_store=self.key_store, key_name=self.ca_key_name,
            token_profile=self.ca_token_profile)
        self.index = IssuedIndex(self.layout)
        self.revocations = Revocations(self.layout, self.lock, self.crl_validity_days,
                                       refresh_share=self.crl_refresh, publish_paths=self.crl_publish_paths)

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

    _batching = False     # inside batch(): index writes and fsyncs wait for its end
    _aki = None           # (CA certificate, the AKI extension of what it issues)
    _chain = None         # (CA certificate, the chain PEMs returned with what it issues)
    _issuer = None        # (CA certificate, (its subject, normalised)): the issuer of what it issues
    _where = None         # the CRL DP and AIA extensions of what it issues (_published)

    def _open(self):
        """Load the CA, creating (or importing) it on first use, with its first CRL.
        Returns (cert, key)."""
        return self.authority.open(on_setup=self.revocations.ensure_crl)

    # ---- Connector interface -------------------------------------------------------------

    def check(self):
        """The CA exists (or can be created: in check mode nothing is written) and its key
        loads. Returns facts about the CA."""
        if self.context.get('check_mode') and self.import_cert:
            cert = self.authority.load_import()[0]
        elif self.context.get('check_mode') and not self.layout.exists():
            self.layout.check_creatable()
            return {'directory': self.directory, 'exists': False}
        else:
            cert = self._open()[0]
        return {'directory': self.directory, 'exists': True, 'ca_subject': cert.subject.rfc4514_string(),
                'ca_not_after': iso(cert.not_valid_after_utc),
                'ca_fingerprint_sha256': x509lib.fingerprint(cert)}

    def trust_anchors(self):
        return self._chain_pems(self._open()[0])[-1:]

    def issue(self, csr_pem, attributes, validity_days=None, record=None):
        attributes = attributes or {}
        csr = x509lib.load_csr(csr_pem)  # checks the signature too
        ca_cert, ca_key = self._open()
        # The request's validity (already capped by policy) and the attribute may both be set:
        # the shorter wins, so neither can lift the other's limit.
        wanted = [self._positive_int('validity_days', v, None)
                  for v in (validity_days, attributes.get('validity_days')) if v not in (None, '')]
        days = min(wanted) if wanted else self.validity_days
        leaf_key, subject = x509lib.csr_public_key(csr), x509lib.csr_subject(csr)
        usage = attributes.get('key_usage')
        if usage is None:  # RSA keys may encrypt (TLS RSA key exchange); EC/EdDSA keys only sign
            usage = ['digital_signature'] + (['key_encipherment'] if isinstance(leaf_key, rsa.RSAPublicKey) else [])
        eku = attributes.get('extended_key_usage')
        # key_usage/EKU [] means "no such extension"; build_extensions drops empty ones.
        usage_exts = _usage_extensions(usage, self.eku if eku is None else eku)
        now = utcnow()
        not_after = min(now + datetime.timedelta(days=days), ca_cert.not_valid_after_utc)
        data = {}
        if not_after < now + datetime.timedelta(days=days):
            # Near the CA's end of life every certificate gets shorter: say so while there is time.
            data['warning'] = ('The embedded CA %s expires at %s, before the %d days asked: the certificate '
                               'ends then. Roll the CA over before it expires (docs/connectors/local.md, '
                               '"CA rollover").' % (ca_cert.subject.rfc4514_string(), iso(not_after), days))
        # The extensions in their order, most made once per CA and profile; the builder is made
        # whole rather than by add_extension() calls, whose checks cost more than the signature.
        extensions = [_extension(x509.BasicConstraints(ca=False, path_length=None), True),
                      _extension(x509.SubjectKeyIdentifier.from_public_key(leaf_key), False),
                      self._authority_key_identifier(ca_cert, ca_key)] + usage_exts
        try:
            san = csr.extensions.get_extension_for_class(x509.SubjectAlternativeName)
            # RFC 5280 4.2.1.6: with an empty subject the SAN must be critical.
            extensions.append(_extension(san.value, san.critical or not len(subject)))
        except x509.ExtensionNotFound:
            if not len(subject):
                raise InputError('The CSR has neither a subject nor subjectAltNames.')
        extensions.extend(self._published())
        # Inside batch() the serials are known and writing waits for its end: no lock needed.
        with contextlib.nullcontext() if self._batching else self.lock:
            serial = self.index.new_serial()
            cert = sign(x509.CertificateBuilder(
                issuer_name=ca_cert.subject, subject_name=subject, public_key=leaf_key, serial_number=serial,
                not_valid_before=now - CLOCK_SKEW, not_valid_after=not_after, extensions=extensions), ca_key)
            cert_pem = x509lib.pem(cert)
            made = self._made(cert, serial, now - CLOCK_SKEW, not_after, ca_cert)
            self.index.record(made['serial'][1], cert_pem, {
                'fingerprint_sha256': made['fingerprint_sha256'], 'subject': cert.subject.rfc4514_string(),
                'not_after': made['not_after'][1], 'issued_at': iso(now), 'record_uuid': (record or {}).get('uuid'),
            }, sync=not self._batching)
        issued = self._issued(cert_pem, ca_cert, made['serial'][1], data, certificate=cert)
        issued.made = made
        return issued

    def _made(self, cert, serial, not_before, not_after, ca_cert):
        """What issue() put into ``cert``, with the strings the inventory records for it
        (x509 certificate_facts' ``made``): lifecycle checks them equal and derives none again."""
        if self._issuer is None or self._issuer[0] is not ca_cert:
            self._issuer = (ca_cert, (ca_cert.subject, x509lib.normalize_subject(ca_cert.subject)))
        not_before, not_after = not_before.replace(microsecond=0), not_after.replace(microsecond=0)
        return {'serial': (serial, serial_hex(serial)), 'issuer': self._issuer[1],
                'not_before': (not_before, iso(not_before)), 'not_after': (not_after, iso(not_after)),
                'fingerprint_sha256': x509lib.fingerprint(cert)}

    def _authority_key_identifier(self, ca_cert, ca_key):
        """The AKI extension of issued certificates: the CA's SKI (else its key's), made once per CA."""
        if self._aki is None or self._aki[0] is not ca_cert:
            try:
                ca_ski = ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
                aki = x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski)
            except x509.ExtensionNotFound:
                aki = x509.AuthorityKeyIdentifier.from_issuer_public_key(public_key(ca_key))
            self._aki = (ca_cert, _extension(aki, False))
        return self._aki[1]

    def _published(self):
        """The CRL distribution point and AIA caIssuers extensions (when configured), made once."""
        if self._where is None:
            self._where = []
            if self.crl_urls:
                self._where.append(_extension(x509.CRLDistributionPoints([
                    x509.DistributionPoint([x509.UniformResourceIdentifier(u)], None, None, None)
                    for u in self.crl_urls]), False))
            if self.ca_issuers_urls:
                self._where.append(_extension(x509.AuthorityInformationAccess([
                    x509.AccessDescription(x509.AuthorityInformationAccessOID.CA_ISSUERS,
                                           x509.UniformResourceIdentifier(u))
                    for u in self.ca_issuers_urls]), False))
        return self._where

    def _chain_pems(self, ca_cert):
        """The chain returned with each certificate, read and encoded once per CA."""
        if self._chain is None or self._chain[0] is not ca_cert:
            self._chain = (ca_cert, self.authority.chain_pems(ca_cert))
        return list(self._chain[1])

    def _issued(self, cert_pem, ca_cert, serial, data=None, certificate=None):
        # The stored chain keeps the root (validation and lookup need the whole path); the
        # flag tells lifecycle's results whether chain_pem/fullchain_pem show it or root_pem only.
        # ``data``: e.g. the warning of a certificate cut short by the CA's end of life.
        return Issued(cert_pem, self._chain_pems(ca_cert),
                      dict(data or {}, serial=serial, ca_directory=self.directory,
                           chain_includes_root=self.chain_includes_root), certificate=certificate)

    def can_fork(self):
        # A key in a file is a cryptography object: it signs in a child. A token session is not.
        return self.key_store is None

    @contextlib.contextmanager
    def batch(self):
        """Issue many certificates with one flush to disk (bulk renewal).

        Inside, issue() signs and keeps each certificate; leaving writes every PEM and index
        line (local_ca/index.py end_batch: one index append with the PEMs, one fsync), before the caller
        records the results in the inventory (which holds their ``requested`` reservations until then, so a
        crash in between is recovered through lookup() like any other). The lock is held to
        read the serials issued so far and to append, not while signing: other processes of
        a due sweep sign at the same time (end_batch rules out a serial they took meanwhile)."""
        if self._batching:
            yield
            return
        self._open()  # may create the CA, which takes the lock itself
        with self.lock:
            self.index.begin_batch()
        self._batching = True
        try:
            yield
        finally:
            self._batching = False
            with self.lock:
                self.index.end_batch()  # PEMs, one sync, index lines, fsync

    def lookup(self, record):
        """The newest certificate this CA issued for ``record['uuid']``, or None."""
        uuid = (record or {}).get('uuid')
        if not uuid or not os.path.exists(self.layout.index):
            return None
        ca_cert = self._open()[0]
        found = self.index.find(uuid)
        if found is None:
            return None
        serial, cert_pem = found
        return self._issued(cert_pem, ca_cert, serial)

    # ---- revocation and CRL --------------------------------------------------------------

    def revoke(self, certificate_pem, serial, reason, attributes):
        reason = check_reason(reason)
        invalidity = (attributes or {}).get('invalidity_date')
        if invalidity:
            invalidity = iso(parse_time(invalidity))
        ca = self._open()
        ca_cert = ca[0]
        if certificate_pem:
            cert = x509lib.load_certificate(certificate_pem, 'the certificate to revoke')
            serial = serial_hex(cert.serial_number)
            try:
                cert.verify_directly_issued_by(ca_cert)
            except (ValueError, TypeError, crypto_exceptions.InvalidSignature):
                raise ConnectorError('Certificate %s was not issued by this CA (issuer %s, CA %s).' % (
                    serial, cert.issuer.rfc4514_string(), ca_cert.subject.rfc4514_string()),
                    hint='Revoke it through the RA profile of the CA that issued it.')
        elif serial is not None:
            serial = serial_hex(parse_serial(serial))
            if serial not in self.index.serials():
                raise ConnectorError('Certificate %s was not issued by this CA (issuer %s): not in its index.' % (
                    serial, ca_cert.subject.rfc4514_string()),
                    hint='Pass the certificate PEM if it was issued before the CA was imported.')
        else:
            raise InputError('Nothing to revoke: give the certificate PEM or its serial.')
        return self.revocations.revoke(ca, serial, reason, invalidity)

    SIGNS_CRL = True

    def crl(self, refresh=False, dry_run=False):
        """Re-sign the CRL when asked or past crl_refresh of its lifetime; publish it."""
        if dry_run and not self.layout.exists():
            return {'signed': True, 'crl_pem': '', 'published': [self.layout.crl] + self.crl_publish_paths}
        if self.layout.exists() and os.path.exists(self.layout.crl):
            ca_cert = x509.load_pem_x509_certificate(layout_read(self.layout.ca_cert))
            if ca_cert.not_valid_after_utc <= utcnow():
                # Every certificate of an expired CA has expired too: nothing left to revoke, and
                # a scheduled run must not fail on a CA retired by a rollover.
                crl = x509.load_pem_x509_crl(layout_read(self.layout.crl))
                return dict(publishlib.facts(crl), signed=False, ca_expired=True, crl_pem=x509lib.pem(crl),
                            published=[self.layout.crl] + self.crl_publish_paths)
        return self.revocations.keep(self._open(), refresh=refresh, dry_run=dry_run)

    def crl_pem(self, refresh=False):
        """The current CRL PEM, re-signed first when asked or past crl_refresh of its lifetime."""
        return self.revocations.current_pem(self._open(), refresh)
