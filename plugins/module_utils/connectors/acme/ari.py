# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ACME Renewal Information (RFC 9773): the certificate identifier, the suggested window,
Retry-After (when to ask again), explanationURL, and ``replaces`` for renewal orders.

The window is kept on the record (``connector_data.ari``) with the time the server said to
ask again; until then the kept window is used without a request."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import base64
import datetime
import json

from ansible_collections.pki.lifecycle.plugins.module_utils import x509 as x509lib
from ansible_collections.pki.lifecycle.plugins.module_utils.connectors.acme.io import dir_get, retry_after_seconds
from ansible_collections.pki.lifecycle.plugins.module_utils.errors import ConnectorError
from ansible_collections.pki.lifecycle.plugins.module_utils.vocabulary import as_utc, iso, parse_iso, utcnow
from ansible_collections.pki.lifecycle.plugins.module_utils.x509.base import LazyModule

cx509 = LazyModule('cryptography.x509')

# RFC 9773 section 4.3: without Retry-After, ask again in about six hours.
DEFAULT_RETRY_AFTER = 6 * 3600
# Bounds for a server's Retry-After: not hammering (1 min), not trusting a stale window for days.
MIN_RETRY_AFTER, MAX_RETRY_AFTER = 60, 86400
BROKEN_HINT = 'The CA\'s ARI is broken; the profile\'s renew_before is used instead.'


def _b64u(data):
    return base64.urlsafe_b64encode(data).rstrip(b'=').decode('ascii')


def _serial_octets(serial):
    """The DER INTEGER content octets of a positive serial (leading 0x00 when the top bit is set)."""
    length = max(1, (serial.bit_length() + 8) // 8)
    return serial.to_bytes(length, 'big')


def certificate_id(key_identifier, serial):
    """RFC 9773 section 4.1: base64url(AKI keyIdentifier) '.' base64url(serial DER octets)."""
    return '%s.%s' % (_b64u(key_identifier), _b64u(_serial_octets(serial)))


def ari_certificate_id(cert):
    """The certificate identifier of a parsed certificate; ValueError without an AKI keyIdentifier."""
    try:
        aki = cert.extensions.get_extension_for_class(cx509.AuthorityKeyIdentifier).value
    except cx509.ExtensionNotFound:
        raise ValueError('the certificate has no Authority Key Identifier')
    if not aki.key_identifier:
        raise ValueError('the Authority Key Identifier has no keyIdentifier')
    return certificate_id(aki.key_identifier, cert.serial_number)


def _parse_time(text):
    # RFC 3339 as servers write it: 'Z' or an offset, optional fractions.
    value = str(text).strip().replace('z', 'Z')
    if value.endswith('Z'):
        value = value[:-1] + '+00:00'
    if '.' in value:
        head, _dot, tail = value.partition('.')
        digits = ''.join(c for c in tail if c.isdigit())
        value = head + '.' + digits[:6].ljust(6, '0') + tail[len(digits):]
    return as_utc(datetime.datetime.fromisoformat(value))


def parse_renewal_info(document, with_explanation=False):
    """An ARI renewalInfo document -> (start, end) as aware UTC datetimes (and the
    explanationURL or None when ``with_explanation``). ConnectorError when unusable."""
    if isinstance(document, (str, bytes)):
        document = json.loads(document)
    try:
        window = document['suggestedWindow']
        start, end = _parse_time(window['start']), _parse_time(window['end'])
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ConnectorError('The ACME server returned a renewalInfo document without a valid suggestedWindow: %s.'
                             % exc, BROKEN_HINT)
    if end < start:
        raise ConnectorError('The ACME renewalInfo window ends (%s) before it starts (%s).' % (end, start),
                             BROKEN_HINT)
    if with_explanation:
        return start, end, document.get('explanationURL')
    return start, end


def kept_window(record, now=None):
    """The window kept on the record while the server's Retry-After has not passed, else None."""
    kept = ((record or {}).get('connector_data') or {}).get('ari') or {}
    if not kept.get('next_check') or kept.get('serial') != record.get('serial'):
        return None
    now = now or utcnow()
    try:
        if now >= parse_iso(kept['next_check']):
            return None
        return parse_iso(kept['start']), parse_iso(kept['end'])
    except (KeyError, TypeError, ValueError):
        return None


class AriMixin(object):

    def ari_supported(self):
        return bool(dir_get(self.client(with_account=False).directory, 'renewalInfo'))

    def replaces_id(self, previous):
        """The certificate identifier for ``replaces`` in a renewal order, or None (no ARI at
        the CA, no previous certificate, no AKI in it, or it came from another directory: a
        fallback's CA, an adopted certificate; a CA refuses to replace what it did not issue)."""
        if not previous or not previous.get('certificate_pem'):
            return None
        if (previous.get('connector_data') or {}).get('directory_url') != self.directory_url:
            return None
        if not self.ari_supported():
            return None
        try:
            return ari_certificate_id(x509lib.load_certificate(previous['certificate_pem']))
        except ValueError:
            return None

    def renewal_info(self, record, now=None):
        """Ask the server: dict(start, end, explanation_url, next_check, serial) as stored on the
        record (ISO strings), or None without ARI. Retry-After sets next_check."""
        if not record.get('certificate_pem'):
            return None
        client = self.client(with_account=False)
        base = dir_get(client.directory, 'renewalInfo')
        if not base:
            return None
        cert = x509lib.load_certificate(record['certificate_pem'])
        try:
            cert_id = ari_certificate_id(cert)
        except ValueError:
            return None    # no AKI: no ARI for this certificate
        response = self._call('return renewal information', client.net.get, base.rstrip('/') + '/' + cert_id,
                              content_type='application/json')
        start, end, explanation = parse_renewal_info(response.json(), with_explanation=True)
        now = now or utcnow()
        wait = retry_after_seconds(response.headers.get('Retry-After'), now)
        wait = DEFAULT_RETRY_AFTER if wait is None else min(max(wait, MIN_RETRY_AFTER), MAX_RETRY_AFTER)
        info = dict(start=iso(start), end=iso(end), next_check=iso(now + datetime.timedelta(seconds=wait)),
                    checked_at=iso(now), retry_after=wait, serial=record.get('serial'), cert_id=cert_id)
        if explanation:
            info['explanation_url'] = explanation
        return info

    def renewal_window(self, record):
        """(start, end): the window kept on the record until Retry-After passes, else the server's.
        A fresh answer is left in ``self.ari_updates[uuid]`` for lifecycle to keep on the record."""
        kept = kept_window(record)
        if kept is not None:
            return kept
        info = self.renewal_info(record)
        if info is None:
            return None
        self.ari_updates[record.get('uuid')] = info
        return parse_iso(info['start']), parse_iso(info['end'])

    def renewal_updates(self, record):
        """The fresh ARI answer for ``record`` to keep in its connector data (once), or None."""
        fresh = self.ari_updates.pop(record.get('uuid'), None)
        return dict(ari=fresh) if fresh else None

    def renewal_explanation(self, record):
        """The explanationURL of the window for this record (fresh or kept), or None."""
        fresh = self.ari_updates.get(record.get('uuid'))
        if fresh:
            return fresh.get('explanation_url')
        return (((record or {}).get('connector_data') or {}).get('ari') or {}).get('explanation_url')
