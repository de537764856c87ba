# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one JSON-over-HTTP helper the HTTP connectors (vault, cfssl, ...) share, and their
common base class ``HttpConnector`` (URL, TLS options, timeout, pinned trust anchor).

Built on ``ansible.module_utils.urls.open_url`` (part of ansible-core: no third-party
library). TLS certificates are verified by default, against the system store or
``ca_bundle``. Failures become ``ConnectorError``:

* nothing answers (refused, DNS, timeout, TLS handshake): ``<Server> server down at URL: ...``
  with the cause and a hint;
* an HTTP error status: ``HttpStatusError`` (a ConnectorError) carrying ``status``, the
  parsed ``body`` and ``server_message``, the server's own error text, intact.

Callers put secrets only in ``headers`` or ``data``, never in the URL: neither is ever
repeated in a message.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import re
import socket
import ssl

from ansible.module_utils.six.moves.urllib.error import HTTPError, URLError
from ansible.module_utils.urls import open_url

from ansible_collections.pki.lifecycle.plugins.module_utils import x509 as x509lib
from ansible_collections.pki.lifecycle.plugins.module_utils.connectors.base import Connector
from ansible_collections.pki.lifecycle.plugins.module_utils.errors import ConnectorError, InputError
from ansible_collections.pki.lifecycle.plugins.module_utils.vocabulary import as_bool, parse_serial

try:  # the class open_url raises for certificate problems; absent in some versions
    from ansible.module_utils.urls import SSLValidationError
except ImportError:  # pragma: no cover
    SSLValidationError = ssl.SSLError

DEFAULT_TIMEOUT = 30


class HttpStatusError(ConnectorError):
    """The server answered with an error status. ``server_message`` is its own text."""

    def __init__(self, message, hint=None, status=None, body=None, server_message=None, url=None):
        super(HttpStatusError, self).__init__(message, hint)
        self.status = status
        self.body = body
        self.server_message = server_message
        self.url = url


def server_message(body, raw=None):
    """The error text a JSON API put in its body: Vault's ``errors`` (strings), CFSSL's
    ``errors`` (objects with ``message``), or ``error``/``message``; else the raw text."""
    if isinstance(body, dict):
        errors = body.get('errors')
        if isinstance(errors, list) and errors:
            texts = []
            for err in errors:
                if isinstance(err, dict):
                    text = err.get('message') or json.dumps(err, sort_keys=True)
                    if err.get('code') not in (None, ''):
                        text = '%s (code %s)' % (text, err['code'])
                    texts.append(text)
                else:
                    texts.append(str(err))
            return '; '.join(texts)
        for key in ('error', 'message', 'detail'):
            if isinstance(body.get(key), str) and body[key]:
                return body[key]
    text = raw if raw is not None else (body if isinstance(body, str) else '')
    text = (text or '').strip()
    return text[:2000]


def ca_bundle_path(value, option='ca_bundle'):
    """``ca_bundle``: a path to PEM CA certificates (absolute after ~ expansion)."""
    if not value:
        return None
    path = os.path.abspath(os.path.expanduser(str(value)))
    if not os.path.isfile(path):
        raise InputError('%s %s does not exist.' % (option, path),
                         'Give the path of a PEM file holding the CA certificate(s) of the server\'s TLS certificate.')
    return path


def timeout_seconds(value, default=DEFAULT_TIMEOUT):
    if value in (None, ''):
        return default
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        seconds = 0
    if seconds <= 0:
        raise InputError('timeout must be a positive number of seconds, not %r.' % (value,))
    return seconds


def _decode(raw):
    text = raw.decode('utf-8', 'replace') if isinstance(raw, bytes) else (raw or '')
    if not text.strip():
        return None, text
    try:
        return json.loads(text), text
    except ValueError:
        return None, text


def request(method, url, data=None, headers=None, what='CA', ca_bundle=None, validate_certs=True,
            timeout=DEFAULT_TIMEOUT):
    """Send ``data`` (a dict -> JSON, bytes/str as is, None -> no body) and return
    ``(status, parsed JSON or None, text)``. ``what`` names the server in messages
    ('Vault', 'CFSSL'). Raises ConnectorError / HttpStatusError."""
    hdrs = {'Accept': 'application/json'}
    body = None
    if data is not None:
        if isinstance(data, (dict, list)):
            body = json.dumps(data).encode('utf-8')
            hdrs['Content-Type'] = 'application/json'
        else:
            body = data.encode('utf-8') if isinstance(data, str) else data
    hdrs.update(headers or {})
    tls_hint = ('Check the URL and that the server runs; for TLS, give the CA certificate of the '
                'server in ca_bundle.')
    try:
        response = open_url(url, data=body, headers=hdrs, method=method, validate_certs=validate_certs,
                            timeout=timeout, ca_path=ca_bundle, use_proxy=True, follow_redirects='safe',
                            http_agent='pki.lifecycle')
        raw = response.read()
        status = response.getcode()
    except HTTPError as exc:
        try:
            raw = exc.read()
        except Exception:  # pylint: disable=broad-except
            raw = b''
        parsed, text = _decode(raw)
        said = server_message(parsed, text) or (exc.reason if isinstance(exc.reason, str) else '')
        raise HttpStatusError('%s refused %s %s: HTTP %s: %s' % (what, method, url, exc.code, said or 'no message'),
                              status=exc.code, body=parsed, server_message=said, url=url)
    except (SSLValidationError, URLError, socket.timeout, ssl.SSLError, ConnectionError, OSError) as exc:
        reason = getattr(exc, 'reason', exc)
        if isinstance(exc, (SSLValidationError, ssl.SSLCertVerificationError)) \
                or isinstance(reason, ssl.SSLCertVerificationError) or 'CERTIFICATE_VERIFY_FAILED' in str(reason):
            raise ConnectorError('%s server at URL %s failed TLS verification: %s.' % (what, url, _cause(exc)),
                                 'Give the CA certificate of the server\'s TLS certificate in ca_bundle '
                                 '(TLS verification stays on).')
        raise ConnectorError('%s server down at URL: %s (%s).' % (what, url, _cause(exc)), tls_hint)
    parsed, text = _decode(raw)
    return status, parsed, text


def _cause(exc):
    reason = getattr(exc, 'reason', None)
    if reason is not None and not isinstance(reason, str):
        exc = reason
    text = getattr(exc, 'strerror', None) or str(exc) or exc.__class__.__name__
    if isinstance(exc, (socket.timeout,)) or 'timed out' in text:
        return 'timed out: %s' % text if 'timed out' not in text else text
    return text


class HttpConnector(Connector):
    """What the HTTP connectors share: base URL, TLS options, timeout, a pinned trust anchor,
    the serial of the certificate to revoke. Subclasses set ``SERVER`` (name in messages)
    and merge ``HTTP_OPTIONS`` into their ``OPTIONS``."""

    SERVER = 'CA'
    HTTP_OPTIONS = {
        'ca_bundle': 'PEM file with the CA of the server\'s TLS certificate (default: the system store).',
        'validate_certs': 'Verify the server\'s TLS certificate (default true; keep it on).',
        'timeout': 'Seconds to wait for the server (default 30).',
        'trust_anchor': 'Root certificate (PEM text or path) issued chains must verify to (default: the '
                        'root the CA publishes).',
    }

    HTTP_OPTION_SPEC = {
        'ca_bundle': dict(type='str'),
        'validate_certs': dict(type='bool', default=True),
        'timeout': dict(type='number', default=30),
        'trust_anchor': dict(type='str'),
    }

    def _http_setup(self, url, strip_suffix, ca_bundle=None):
        """Normalise the base URL and read the TLS options. ``url`` already has env fallbacks."""
        opts = self.options
        url = str(url or '').strip().rstrip('/')
        if strip_suffix and url.endswith(strip_suffix):
            url = url[:-len(strip_suffix)]
        if not re.match(r'^https?://[^/]', url):
            raise InputError('%s url %r is not an http(s) URL.' % (self.SERVER, url or None),
                             'Set connector_options.url, e.g. https://ca.example.org:8443.')
        self.url = url
        self.validate_certs = as_bool(True if opts.get('validate_certs') is None else opts['validate_certs'],
                                      'validate_certs')
        self.ca_bundle = ca_bundle_path(ca_bundle or opts.get('ca_bundle'))
        self.timeout = timeout_seconds(opts.get('timeout'))
        self.trust_anchor = opts.get('trust_anchor')

    def _request(self, method, url, data=None, headers=None):
        return request(method, url, data=data, headers=headers, what=self.SERVER, ca_bundle=self.ca_bundle,
                       validate_certs=self.validate_certs, timeout=self.timeout)

    def pinned_anchors(self):
        """PEMs of the ``trust_anchor`` option, or None when the profile pins none."""
        if not self.trust_anchor:
            return None
        text = x509lib.read_pem_input(self.trust_anchor, 'trust_anchor', 'CERTIFICATE')
        return [x509lib.pem(c) for c in x509lib.load_certificates(text, 'trust_anchor')]

    @staticmethod
    def serial_number(certificate_pem, serial):
        """The serial (int) of the certificate to revoke: from its PEM, else the hex serial."""
        if certificate_pem:
            return x509lib.load_certificate(certificate_pem, 'the certificate to revoke').serial_number
        if serial:
            return parse_serial(serial)
        raise InputError('Nothing to revoke: give the certificate PEM or its serial.')
