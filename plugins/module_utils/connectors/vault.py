# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Connector ``vault``: the PKI secrets engine of HashiCorp Vault or OpenBao.

The CSR (from any key source) is signed by ``POST /v1/<mount>/sign/<role>`` (or
``sign-verbatim[/<role>]`` when ``sign_verbatim`` is set); revocation is
``POST /v1/<mount>/revoke`` with the serial in Vault's colon form; the CRL is
``GET /v1/<mount>/crl/pem``; the chain comes from the response (``ca_chain``) and the trust
anchor from ``GET /v1/<mount>/cert/ca_chain`` (its self-signed root) unless the profile
pins one with ``trust_anchor``.

Authentication: a token (``connector_secrets.token``, env ``VAULT_TOKEN``), or an AppRole
login (``role_id`` + ``secret_id``, env ``VAULT_ROLE_ID``/``VAULT_SECRET_ID`` when no
token is given) at ``auth/<approle_mount>/login``. Vault's own error messages (its
``errors`` list) are passed to the user intact. See docs/connectors/vault.md.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import re

from ansible_collections.pki.lifecycle.plugins.module_utils import x509 as x509lib
from ansible_collections.pki.lifecycle.plugins.module_utils.connectors import http
from ansible_collections.pki.lifecycle.plugins.module_utils.connectors.base import Issued
from ansible_collections.pki.lifecycle.plugins.module_utils.errors import ConnectorError, InputError
from ansible_collections.pki.lifecycle.plugins.module_utils.vocabulary import (
    as_bool, secrets_with_fallbacks, serial_colons,
)

_DURATION_RE = re.compile(r'(\d+(?:\.\d+)?)([smhd])')
_UNIT_SECONDS = {'s': 1, 'm': 60, 'h': 3600, 'd': 86400}
TOKEN_HINT = ('Check connector_secrets.token (env VAULT_TOKEN), or role_id and secret_id for AppRole: '
              'the token may be wrong or expired, or its policy may not allow this path.')


def duration_seconds(value, name='ttl'):
    """Vault durations: seconds as a number, or '72h', '30m', '1h30m', '30d'."""
    if isinstance(value, bool):
        value = None
    if isinstance(value, (int, float)) and value > 0:
        return int(value)
    text = str(value if value is not None else '').strip().lower()
    if text.isdigit() and int(text) > 0:
        return int(text)
    parts = _DURATION_RE.findall(text)
    if parts and ''.join(n + u for n, u in parts) == text:
        seconds = int(sum(float(n) * _UNIT_SECONDS[u] for n, u in parts))
        if seconds > 0:
            return seconds
    raise InputError('%s %r is not a duration.' % (name, value),
                     "Write it as Vault does: seconds, or e.g. '72h', '30m', '30d'.")


class VaultConnector(http.HttpConnector):
    name = 'vault'
    SERVER = 'Vault'
    OPTIONS = dict(http.HttpConnector.HTTP_OPTIONS, **{
        'url': 'Address of Vault/OpenBao, e.g. https://vault.example.org:8200 (default: env VAULT_ADDR).',
        'mount': 'Mount path of the PKI secrets engine (default pki).',
        'role': 'PKI role that signs (required unless sign_verbatim is set).',
        'namespace': 'Vault Enterprise / OpenBao namespace (sent as X-Vault-Namespace).',
        'ca_bundle': 'PEM file with the CA of the server\'s TLS certificate (default: env VAULT_CACERT, '
                     'else the system store).',
        'sign_verbatim': 'Sign with sign-verbatim[/<role>]: the CSR\'s subject and extensions as they are '
                         '(default false).',
        'approle_mount': 'Mount path of the AppRole auth method (default approle).',
        'trust_anchor': 'Root certificate (PEM text or path) chains must verify to (default: the '
                        'self-signed root of the mount\'s CA chain).',
    })
    OPTION_SPEC = dict(http.HttpConnector.HTTP_OPTION_SPEC, **{
        'url': dict(type='str'), 'mount': dict(type='str', default='pki'), 'role': dict(type='str'),
        'namespace': dict(type='str'), 'sign_verbatim': dict(type='bool', default=False),
        'approle_mount': dict(type='str', default='approle'),
    })
    SECRETS = {
        'token': 'Vault/OpenBao token (env VAULT_TOKEN).',
        'role_id': 'AppRole role ID (env VAULT_ROLE_ID when no token is given).',
        'secret_id': 'AppRole secret ID (env VAULT_SECRET_ID when no token is given).',
    }
    SECRET_ENV = {'token': 'VAULT_TOKEN'}
    APPROLE_ENV = {'role_id': 'VAULT_ROLE_ID', 'secret_id': 'VAULT_SECRET_ID'}
    ISSUE_ATTRIBUTES = {
        'role': 'Sign with this PKI role instead of the profile\'s role option.',
        'ttl': "Requested lifetime as a Vault duration ('72h', '30d', seconds); the shorter of this and "
               "the request's validity_days wins, and the role's max_ttl caps both.",
        'not_after': "Exact expiry, 'YYYY-MM-DDTHH:MM:SSZ' (instead of ttl).",
        'exclude_cn_from_sans': 'Do not copy the CN into the subjectAltNames (default false).',
        'issuer_ref': 'Sign with this issuer of the mount (name or id) instead of its default issuer.',
        'key_usage': 'List of key usages, with sign_verbatim only (e.g. [DigitalSignature]).',
        'ext_key_usage': 'List of extended key usages, with sign_verbatim only (e.g. [ServerAuth]).',
    }
    REVOKE_ATTRIBUTES = {}

    def __init__(self, profile_name, options, secrets, policy=None, context=None):
        super(VaultConnector, self).__init__(profile_name, options, secrets, policy, context)
        opts = self.options
        url = opts.get('url') or os.environ.get('VAULT_ADDR')
        if not url:
            raise InputError('Connector vault needs the Vault address.',
                             'Set connector_options.url (e.g. https://vault.example.org:8200) or VAULT_ADDR.')
        self._http_setup(url, '/v1', ca_bundle=opts.get('ca_bundle') or os.environ.get('VAULT_CACERT'))
        self.mount = str(opts.get('mount') or 'pki').strip('/')
        self.role = opts.get('role')
        self.namespace = opts.get('namespace')
        self.sign_verbatim = as_bool(opts.get('sign_verbatim'), 'sign_verbatim')
        if not self.role and not self.sign_verbatim:
            raise InputError('Connector vault needs the PKI role that signs.',
                             'Set connector_options.role, or sign_verbatim: true.')
        self.approle_mount = str(opts.get('approle_mount') or 'approle').strip('/')
        secrets = dict(self.secrets)
        if not secrets.get('token') and not secrets.get('role_id'):
            # AppRole from the environment only when no token or role is given at all.
            secrets = secrets_with_fallbacks(secrets, self.APPROLE_ENV)
        self._approle = None
        if secrets.get('role_id') or secrets.get('secret_id'):
            if not (secrets.get('role_id') and secrets.get('secret_id')):
                raise InputError('AppRole login needs both role_id and secret_id.',
                                 'Give both in connector_secrets (or VAULT_ROLE_ID and VAULT_SECRET_ID).')
            self._approle = (secrets['role_id'], secrets['secret_id'])
        self._token = None if self._approle else secrets.get('token')
        self._anchors = None

    # ---- HTTP ------------------------------------------------------------------------------

    def _call(self, method, path, data=None, auth=True):
        headers = {}
        if auth:
            headers['X-Vault-Token'] = self._login()
        if self.namespace:
            headers['X-Vault-Namespace'] = str(self.namespace)
        url = '%s/v1/%s' % (self.url, path.lstrip('/'))
        try:
            return self._request(method, url, data=data, headers=headers)
        except http.HttpStatusError as exc:
            raise self._explain(exc, method, path)

    def _explain(self, exc, method, path):
        """Keep Vault's own words; add what the user should do."""
        said = exc.server_message or 'no message'
        where = '%s %s/v1/%s' % (method, self.url, path)
        if exc.status == 403:
            return ConnectorError('Vault denied %s: HTTP 403: %s.' % (where, said), TOKEN_HINT)
        if exc.status == 404 and 'no handler for route' in said and path.startswith(self.mount + '/'):
            return ConnectorError('Vault has no PKI secrets engine at mount %r (%s: HTTP 404: %s).'
                                  % (self.mount, where, said),
                                  'Set connector_options.mount to the path the PKI engine is mounted at.')
        if 'unknown role' in said:
            return ConnectorError('Vault refused %s: HTTP %s: %s.' % (where, exc.status, said),
                                  'Create the role in the mount, or set connector_options.role to an existing one.')
        error = ConnectorError('Vault refused %s: HTTP %s: %s.' % (where, exc.status, said),
                               'The message above is Vault\'s; fix the request or the role it names.')
        error.status = exc.status
        return error

    def _login(self):
        if self._token:
            return self._token
        if self._approle is None:
            raise ConnectorError('No Vault token for RA profile %r.' % self.profile_name,
                                 'Give connector_secrets.token (or VAULT_TOKEN), or role_id and secret_id '
                                 'for AppRole.')
        role_id, secret_id = self._approle
        path = 'auth/%s/login' % self.approle_mount
        try:
            _status, body, _text = self._request(
                'POST', '%s/v1/%s' % (self.url, path), data={'role_id': role_id, 'secret_id': secret_id},
                headers={'X-Vault-Namespace': str(self.namespace)} if self.namespace else None)
        except http.HttpStatusError as exc:
            said = exc.server_message or 'no message'
            if exc.status == 404 or 'no handler for route' in said:
                raise ConnectorError('Vault AppRole login failed: no AppRole auth method at %r (HTTP %s: %s).'
                                     % (self.approle_mount, exc.status, said),
                                     'Set connector_options.approle_mount to where AppRole is enabled.')
            raise ConnectorError('Vault AppRole login at %s/v1/%s failed: HTTP %s: %s.'
                                 % (self.url, path, exc.status, said),
                                 'Check connector_secrets.role_id and secret_id (secret IDs expire and may '
                                 'have a use limit).')
        token = ((body or {}).get('auth') or {}).get('client_token')
        if not token:
            raise ConnectorError('Vault AppRole login at %s/v1/%s returned no token.' % (self.url, path))
        self._token = token
        return token

    def _data(self, body, what):
        data = (body or {}).get('data') if isinstance(body, dict) else None
        if not isinstance(data, dict):
            raise ConnectorError('Vault answered %s without data.' % what,
                                 'Check that url points at Vault/OpenBao and mount at a PKI engine.')
        return data

    # ---- Connector interface ---------------------------------------------------------------

    def check(self):
        """Token (or AppRole login), the mount, the role: each with its own message."""
        _s, body, _t = self._call('GET', 'auth/token/lookup-self')
        token_data = (body or {}).get('data') or {}
        anchors = self._fetch_anchors()
        facts = dict(url=self.url, mount=self.mount, role=self.role, namespace=self.namespace,
                     auth='approle' if self._approle else 'token',
                     token_policies=sorted(token_data.get('policies') or []),
                     ca_subject=x509lib.load_certificate(anchors[0]).subject.rfc4514_string())
        if self.role:
            try:
                self._call('GET', '%s/roles/%s' % (self.mount, self.role))
            except ConnectorError as exc:
                if getattr(exc, 'status', None) != 404:
                    raise
                known = []
                try:
                    _s, listing, _t = self._call('GET', '%s/roles?list=true' % self.mount)
                    known = sorted(((listing or {}).get('data') or {}).get('keys') or [])
                except ConnectorError:
                    pass
                raise ConnectorError('Vault mount %r has no role %r.' % (self.mount, self.role),
                                     'Create it (bao/vault write %s/roles/%s ...) or set connector_options.role%s.'
                                     % (self.mount, self.role, ' to one of: %s' % ', '.join(known) if known else ''))
        return facts

    def _fetch_anchors(self):
        if self._anchors is None:
            pinned = self.pinned_anchors()
            if pinned:
                self._anchors = pinned
            else:
                _s, body, _t = self._call('GET', '%s/cert/ca_chain' % self.mount)
                data = self._data(body, 'the CA chain')
                pem = data.get('ca_chain') or data.get('certificate') or ''
                certs = x509lib.load_certificates(pem, 'the CA chain of mount %s' % self.mount)
                if not certs:
                    raise ConnectorError('Vault mount %r has no CA certificate yet.' % self.mount,
                                         'Generate or import a root or intermediate CA in the mount.')
                roots = [c for c in certs if c.subject == c.issuer]
                # An intermediate mount whose chain stops below the root: its top is the anchor.
                self._anchors = [x509lib.pem(c) for c in roots[-1:] or certs[-1:]]
        return self._anchors

    def trust_anchors(self):
        return list(self._fetch_anchors())

    def _sign_path(self, role, issuer_ref):
        prefix = '%s/issuer/%s' % (self.mount, issuer_ref) if issuer_ref else self.mount
        if self.sign_verbatim:
            return '%s/sign-verbatim%s' % (prefix, '/%s' % role if role else '')
        return '%s/sign/%s' % (prefix, role)

    def issue(self, csr_pem, attributes, validity_days=None, record=None):
        attributes = dict(attributes or {})
        role = attributes.pop('role', None) or self.role
        body = {'csr': csr_pem, 'format': 'pem'}
        seconds = []
        if validity_days not in (None, ''):
            seconds.append(int(validity_days) * 86400)
        if attributes.get('ttl') not in (None, ''):
            seconds.append(duration_seconds(attributes['ttl']))
        if attributes.get('not_after'):
            if attributes.get('ttl') not in (None, ''):
                raise InputError('Give ttl or not_after, not both.')
            body['not_after'] = str(attributes['not_after'])
        elif seconds:
            body['ttl'] = '%ds' % min(seconds)
        if attributes.get('exclude_cn_from_sans') is not None:
            body['exclude_cn_from_sans'] = as_bool(attributes['exclude_cn_from_sans'], 'exclude_cn_from_sans')
        for name in ('key_usage', 'ext_key_usage'):
            if attributes.get(name) is not None:
                if not self.sign_verbatim:
                    raise InputError('Issue attribute %s works with sign_verbatim only; a role decides it '
                                     'otherwise.' % name, 'Set the usages on the Vault role, or sign_verbatim: true.')
                value = attributes[name]
                body[name] = [value] if isinstance(value, str) else list(value)
        _s, out, _t = self._call('POST', self._sign_path(role, attributes.get('issuer_ref')), body)
        data = self._data(out, 'the sign request')
        cert = data.get('certificate')
        if not cert:
            raise ConnectorError('Vault signed nothing: the response has no certificate.')
        chain = data.get('ca_chain') or ([data['issuing_ca']] if data.get('issuing_ca') else [])
        if isinstance(chain, str):
            chain = [chain]
        facts = dict(serial_number=data.get('serial_number'), mount=self.mount, role=role,
                     vault_url=self.url)
        if (out or {}).get('warnings'):
            facts['warnings'] = list(out['warnings'])
        return Issued(cert.strip() + '\n', [c.strip() + '\n' for c in chain], facts)

    def revoke(self, certificate_pem, serial, reason, attributes):
        number = self.serial_number(certificate_pem, serial)
        _s, out, _t = self._call('POST', '%s/revoke' % self.mount, {'serial_number': serial_colons(number)})
        data = (out or {}).get('data') or {}
        facts = dict(crl_url='%s/v1/%s/crl/pem' % (self.url, self.mount),
                     revocation_time=data.get('revocation_time_rfc3339') or data.get('revocation_time'))
        if reason and reason != 'unspecified':
            facts['note'] = ('Vault records no revocation reason: its CRL lists the serial without %s.' % reason)
        return facts

    def crl_pem(self):
        """The mount's current CRL, PEM (unauthenticated in Vault; the token is sent anyway)."""
        _s, _body, text = self._call('GET', '%s/crl/pem' % self.mount, auth=False)
        return text
