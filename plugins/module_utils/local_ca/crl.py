# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Revocations of the embedded CA (revoked.json) and its CRL (crl.pem): signing, writing."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import datetime
import errno
import json
import os
from ansible_collections.pki.lifecycle.plugins.module_utils.x509.base import LazyModule

x509 = LazyModule('cryptography.x509')

from ansible_collections.pki.lifecycle.plugins.module_utils import x509 as x509lib
from ansible_collections.pki.lifecycle.plugins.module_utils.errors import ConnectorError, InputError
from ansible_collections.pki.lifecycle.plugins.module_utils.local_ca import layout as layoutlib
from ansible_collections.pki.lifecycle.plugins.module_utils.local_ca import publish as publishlib
from ansible_collections.pki.lifecycle.plugins.module_utils.local_ca.signing import CLOCK_SKEW, sign
from ansible_collections.pki.lifecycle.plugins.module_utils.vocabulary import (
    REVOCATION_REASONS, as_utc, iso, parse_iso, utcnow, write_atomic)


def check_reason(reason):
    """The RFC 5280 reason name (default unspecified), or InputError listing the valid ones."""
    reason = reason or 'unspecified'
    if reason not in REVOCATION_REASONS:
        raise InputError('Unknown revocation reason %r.' % (reason,),
                         hint='Use one of: %s.' % ', '.join(REVOCATION_REASONS))
    return reason


def parse_time(value):
    """An ISO 8601 time (or datetime) as an aware UTC datetime (invalidity_date)."""
    if isinstance(value, datetime.datetime):
        dt = value
    else:
        try:
            dt = datetime.datetime.fromisoformat(str(value).strip().replace('Z', '+00:00'))
        except ValueError:
            raise InputError('invalidity_date %r is not an ISO 8601 time.' % (value,),
                             hint="Write it like '2026-01-31T12:00:00Z'.")
    return as_utc(dt)


class Revocations(object):
    """revoked.json and crl.pem of one CA directory; ``lock`` is its DirectoryLock."""

    def __init__(self, layout, lock, validity_days, refresh_share=0.5, publish_paths=()):
        self.layout = layout
        self.lock = lock
        self.validity_days = validity_days
        self.refresh_share = refresh_share          # re-signed once this share of its lifetime passed
        self.publish_paths = list(publish_paths)    # copies for relying parties, beside crl.pem

    def read(self):
        try:
            return json.loads(layoutlib.read(self.layout.revoked).decode('utf-8'))
        except (IOError, OSError) as exc:
            if exc.errno == errno.ENOENT:
                return {'crl_number': 0, 'revoked': []}
            raise
        except ValueError:
            raise ConnectorError('%s is corrupted.' % self.layout.revoked,
                                 hint='Restore it from a backup; the CRL cannot be built without it.')

    def write_crl(self, ca, state):
        """Sign and atomically replace crl.pem with the next CRL number. Caller holds the lock."""
        cert, key = ca
        state['crl_number'] = int(state.get('crl_number', 0)) + 1
        now = utcnow()
        builder = (x509.CertificateRevocationListBuilder()
                   .issuer_name(cert.subject)
                   # Backdated like certificates, so a verifier with a slow clock accepts it.
                   .last_update(now - CLOCK_SKEW)
                   .next_update(now + datetime.timedelta(days=self.validity_days))
                   .add_extension(x509.CRLNumber(state['crl_number']), critical=False))
        try:
            ski = cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
            builder = builder.add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False)
        except x509.ExtensionNotFound:
            pass
        for entry in state['revoked']:
            revoked = (x509.RevokedCertificateBuilder().serial_number(int(entry['serial'], 16))
                       .revocation_date(parse_iso(entry['revoked_at'])))
            if entry.get('reason', 'unspecified') != 'unspecified':
                # RFC 5280 5.3.1: omit the reason code rather than say "unspecified".
                revoked = revoked.add_extension(x509.CRLReason(x509.ReasonFlags(entry['reason'])),
                                                critical=False)
            if entry.get('invalidity_date'):
                revoked = revoked.add_extension(x509.InvalidityDate(parse_time(entry['invalidity_date'])),
                                                critical=False)
            builder = builder.add_revoked_certificate(revoked.build())
        crl = sign(builder, key)
        write_atomic(self.layout.revoked, json.dumps(state, indent=1, sort_keys=True) + '\n')
        write_atomic(self.layout.crl, x509lib.pem(crl))
        publishlib.publish(x509lib.pem(crl), self.publish_paths)
        return crl

    def ensure_crl(self, ca):
        """A first CRL for a CA just created or imported. Caller holds the lock."""
        if not os.path.exists(self.layout.crl):
            self.write_crl(ca, self.read())

    def revoke(self, ca, serial, reason, invalidity_date=None):
        """Put ``serial`` (hex) on the CRL once; a second call keeps the first entry.
        ``reason``: checked by check_reason(); ``invalidity_date``: ISO text (parse_time + iso).
        Returns the facts the connector reports (crl_path, crl_number, revoked_at, already_revoked)."""
        with self.lock:
            state = self.read()
            for entry in state['revoked']:
                if entry['serial'] == serial:
                    # Already on the CRL: keep the first entry (its time and reason stand).
                    self.ensure_crl(ca)
                    return self._facts(state, entry, True)
            entry = {'serial': serial, 'revoked_at': iso(utcnow()), 'reason': reason}
            if invalidity_date:
                entry['invalidity_date'] = invalidity_date
            state['revoked'].append(entry)
            self.write_crl(ca, state)
        return self._facts(state, entry, False)

    def _facts(self, state, entry, already):
        return {'crl_path': self.layout.crl, 'crl_number': state['crl_number'],
                'revoked_at': entry['revoked_at'], 'already_revoked': already}

    def current_pem(self, ca, refresh=False):
        """The current CRL PEM, re-signed first when keep() says so."""
        return self.keep(ca, refresh)['crl_pem']

    def keep(self, ca, refresh=False, dry_run=False):
        """Re-sign the CRL when asked, missing, or past ``refresh_share`` of its lifetime (every
        scheduled run calls this, so a CRL never expires while nothing is revoked), and make
        sure every publish path holds the current one. ``dry_run``: decide, write nothing.
        Returns signed, crl_pem, crl_number, this_update, next_update, revoked, published."""
        path = self.layout.crl
        with self.lock:
            crl = x509.load_pem_x509_crl(layoutlib.read(path)) if os.path.exists(path) else None
            stale = refresh or crl is None or publishlib.due(
                crl, self.refresh_share, utcnow(), datetime.timedelta(days=self.validity_days))
            if stale and not dry_run:
                crl = self.write_crl(ca, self.read())
            pem = x509lib.pem(crl) if crl is not None else ''
            if not dry_run and not stale:
                # a publish path added (or emptied) since the last signature gets the current CRL
                missing = [p for p in self.publish_paths
                           if not os.path.exists(p) or layoutlib.read(p).decode('ascii') != pem]
                publishlib.publish(pem, missing)
        out = dict(publishlib.facts(crl) if crl is not None else {}, signed=bool(stale), crl_pem=pem,
                   published=[path] + list(self.publish_paths))
        return out
