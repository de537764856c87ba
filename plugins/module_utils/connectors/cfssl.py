# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Connector ``cfssl``: the CloudFlare CFSSL ``serve`` API (tested with 1.2.0).

* issue: ``POST /api/v1/cfssl/sign`` with the CSR, or ``/authsign`` when an HMAC auth key
  is given (``connector_secrets.auth_key``, env ``CFSSL_AUTH_KEY``): the body is
  ``{"token": b64(HMAC-SHA256(key, request)), "request": b64(request)}`` where ``request`` is
  the JSON sign request, exactly the bytes the HMAC covers.
* revoke: ``POST /api/v1/cfssl/revoke`` with the serial in DECIMAL, ``authority_key_id``
  (empty in 1.2, which stores certificates under an empty AKI) and the reason.
* the CA certificate (chain and trust anchor): ``POST /api/v1/cfssl/info``.

What the API cannot do (see docs/connectors/cfssl.md): no CRL endpoint (``gencrl`` needs
the CA key, server side), no per-request validity in 1.2 (the signing profile decides),
no lookup of an issued certificate by our record (crash recovery keeps the record failed).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import base64
import binascii
import hashlib
import hmac
import json

from ansible_collections.pki.lifecycle.plugins.module_utils import x509 as x509lib
from ansible_collections.pki.lifecycle.plugins.module_utils.connectors import http
from ansible_collections.pki.lifecycle.plugins.module_utils.connectors.base import Issued
from ansible_collections.pki.lifecycle.plugins.module_utils.errors import ConnectorError, InputError
from ansible_collections.pki.lifecycle.plugins.module_utils.vocabulary import secrets_with_fallbacks

API = '/api/v1/cfssl/'


class CfsslConnector(http.HttpConnector):
    name = 'cfssl'
    SERVER = 'CFSSL'
    OPTIONS = dict(http.HttpConnector.HTTP_OPTIONS, **{
        'url': 'Base URL of cfssl serve, e.g. https://cfssl.example.org:8888 (the API is under /api/v1/cfssl/).',
        'profile': 'Signing profile of the server\'s config (default: the server\'s default signing policy).',
        'label': 'Signer label, for a multi-root CFSSL (default: the default signer).',
        'authority_key_id': 'Authority key identifier sent with revoke (default "": CFSSL 1.2 stores '
                            'certificates under an empty one).',
        'trust_anchor': 'Root certificate (PEM text or path) chains must verify to; needed when the CFSSL '
                        'signer is an intermediate (default: the signer\'s certificate from info).',
    })
    OPTION_SPEC = dict(http.HttpConnector.HTTP_OPTION_SPEC, **{
        'url': dict(type='str', required=True), 'profile': dict(type='str'), 'label': dict(type='str'),
        'authority_key_id': dict(type='str', default=''),
    })
    REQUIRED_OPTIONS = ('url',)
    SECRETS = {'auth_key': 'Hex HMAC key of the signing profile, for /authsign (env CFSSL_AUTH_KEY).'}
    SECRET_ENV = {'auth_key': 'CFSSL_AUTH_KEY'}
    ISSUE_ATTRIBUTES = {
        'profile': 'Signing profile for this request (overrides the profile option).',
        'label': 'Signer label for this request (overrides the label option).',
    }
    REVOKE_ATTRIBUTES = {}

    def __init__(self, profile_name, options, secrets, policy=None, context=None):
        super(CfsslConnector, self).__init__(profile_name, options, secrets, policy, context)
        opts = self.options
        self._http_setup(opts.get('url'), API.rstrip('/'))
        self.profile = opts.get('profile')
        self.label = opts.get('label')
        self.authority_key_id = str(opts.get('authority_key_id') or '')
        # lifecycle applies SECRET_ENV already; again here so the class works on its own.
        key = secrets_with_fallbacks(self.secrets, self.SECRET_ENV).get('auth_key')
        self._auth_key = None
        if key:
            try:
                self._auth_key = binascii.unhexlify(str(key).strip())
            except (binascii.Error, TypeError, ValueError):
                raise InputError('connector_secrets.auth_key is not a hex string.',
                                 'Give the key as it is in the CFSSL config (auth_keys.<name>.key).')
        self._info = {}

    # ---- HTTP ------------------------------------------------------------------------------

    def _call(self, endpoint, payload):
        url = self.url + API + endpoint
        try:
            _status, body, text = self._request('POST', url, data=payload)
        except http.HttpStatusError as exc:
            raise self._explain(endpoint, url, exc.status, exc.server_message)
        if not isinstance(body, dict):
            raise ConnectorError('CFSSL answered %s with something that is not its JSON: %s'
                                 % (url, (text or '')[:200]), 'Check that url points at cfssl serve.')
        if not body.get('success'):
            raise self._explain(endpoint, url, 200, http.server_message(body))
        return body.get('result')

    def _explain(self, endpoint, url, status, said):
        said = said or 'no message'
        message = 'CFSSL refused %s: HTTP %s: %s.' % (url, status, said)
        if 'authentication required' in said:
            return ConnectorError(message, 'The signing profile requires authentication: give its hex HMAC key '
                                  'in connector_secrets.auth_key (or CFSSL_AUTH_KEY).')
        if 'invalid token' in said:
            return ConnectorError(message, 'The HMAC auth key is wrong: give the key of the profile\'s auth_key '
                                  'in connector_secrets.auth_key (or CFSSL_AUTH_KEY).')
        if 'no authentication provider' in said or 'not authenticated' in said:
            return ConnectorError(message, 'This signing profile does not use authentication: remove '
                                  'connector_secrets.auth_key, or use a profile that has an auth_key.')
        if status == 404:
            return ConnectorError(message, 'Check that url points at cfssl serve (the API is under %s).' % API)
        return ConnectorError(message, 'The message above is CFSSL\'s; fix the request or the server\'s signing '
                                       'profile it names.')

    def _ca_info(self, profile=None, label=None):
        key = (profile, label)
        if key not in self._info:
            payload = {}
            if profile:
                payload['profile'] = profile
            if label:
                payload['label'] = label
            result = self._call('info', payload) or {}
            if not result.get('certificate'):
                raise ConnectorError('CFSSL info at %s returned no CA certificate.' % self.url)
            self._info[key] = result
        return self._info[key]

    # ---- Connector interface ---------------------------------------------------------------

    def check(self):
        """The server answers info (for the profile and label), and the auth key works when given."""
        info = self._ca_info(self.profile, self.label)
        cert = x509lib.load_certificate(info['certificate'], 'the CFSSL CA certificate')
        facts = dict(url=self.url, profile=self.profile, label=self.label, ca_subject=cert.subject.rfc4514_string(),
                     usages=info.get('usages'), expiry=info.get('expiry'),
                     auth='hmac' if self._auth_key else 'none')
        if self._auth_key:
            # An authsign request that cannot sign anything: CFSSL checks the token first, so
            # 'invalid token' means a wrong key and any later complaint means the key is good.
            try:
                probe = {'certificate_request': '', 'profile': self.profile or ''}
                self._call('authsign', self._authsign_payload(probe))
            except ConnectorError as exc:
                text = exc.message
                if 'invalid token' in text or 'no authentication provider' in text:
                    raise
        return facts

    def trust_anchors(self):
        pinned = self.pinned_anchors()
        if pinned:
            return pinned
        certs = x509lib.load_certificates(self._ca_info(self.profile, self.label)['certificate'],
                                          'the CFSSL CA certificate')
        return [x509lib.pem(certs[-1])]

    def _authsign_payload(self, sign_request):
        raw = json.dumps(sign_request, sort_keys=True).encode('utf-8')
        token = hmac.new(self._auth_key, raw, hashlib.sha256).digest()
        return {'token': base64.b64encode(token).decode('ascii'), 'request': base64.b64encode(raw).decode('ascii')}

    def issue(self, csr_pem, attributes, validity_days=None, record=None):
        attributes = attributes or {}
        profile = attributes.get('profile') or self.profile
        label = attributes.get('label') or self.label
        request = {'certificate_request': csr_pem}
        if profile:
            request['profile'] = profile
        if label:
            request['label'] = label
        if self._auth_key:
            result = self._call('authsign', self._authsign_payload(request))
        else:
            result = self._call('sign', request)
        cert = (result or {}).get('certificate')
        if not cert:
            raise ConnectorError('CFSSL signed nothing: the response has no certificate.')
        chain = x509lib.load_certificates(self._ca_info(profile, label)['certificate'], 'the CFSSL CA certificate')
        serial = x509lib.load_certificate(cert).serial_number
        return Issued(cert.strip() + '\n', [x509lib.pem(c) for c in chain],
                      dict(cfssl_url=self.url, profile=profile, label=label, serial_decimal=str(serial)))

    def revoke(self, certificate_pem, serial, reason, attributes):
        serial_decimal = str(self.serial_number(certificate_pem, serial))
        self._call('revoke', {'serial': serial_decimal, 'authority_key_id': self.authority_key_id,
                              'reason': reason or 'unspecified'})
        return dict(serial_decimal=serial_decimal,
                    crl_note='CFSSL serves no CRL over its API: build one on the server with cfssl gencrl '
                             '(or serve OCSP with cfssl ocspserve) from its certificate database.')
