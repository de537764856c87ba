# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ACME (RFC 8555) connector: Let's Encrypt, ZeroSSL, step-ca, OpenBao/Vault PKI, Pebble,
acme2certifier...

The protocol (JWS, nonces, account, order, authorizations, finalize, revoke) is the
``acme``/``josepy`` library's; this package maps it onto the connector interface:

* ``issue`` creates an order. When authorizations are pending it returns ``Pending`` with
  the challenges to answer (``challenge_data``) and the order URL; lifecycle keeps the
  record ``requested``. The next call with the same arguments reaches ``resume``, which
  answers the challenges, polls, finalizes and downloads the chain. An order whose
  authorizations are already valid, or whose dns-01 challenges the connector answers itself
  (RFC 2136, ``dns_server``), finishes in one call.
* Profiles (draft-ietf-acme-profiles): ``profile`` must be one the directory lists in
  ``meta.profiles``; the record's connector data keeps it.
* ARI (RFC 9773): renewal windows, Retry-After, explanationURL, and ``replaces`` on renewals.
* Account key rollover (RFC 8555 keyChange): ``rollover_from``, called when an RA profile's
  ``account_key`` changes.
* Problem documents (RFC 7807) reach the user with their ``type`` and ``detail`` intact.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

from ansible_collections.pki.lifecycle.plugins.module_utils import x509 as x509lib
from ansible_collections.pki.lifecycle.plugins.module_utils.connectors.acme.account import AccountMixin
from ansible_collections.pki.lifecycle.plugins.module_utils.connectors.acme.ari import AriMixin
from ansible_collections.pki.lifecycle.plugins.module_utils.connectors.acme.challenges import ChallengeMixin
from ansible_collections.pki.lifecycle.plugins.module_utils.connectors.acme.dns_rfc2136 import TSIG_ALGORITHMS
from ansible_collections.pki.lifecycle.plugins.module_utils.connectors.acme.io import (
    ACME_IMPORT_ERROR, DEFAULT_POLL_TIMEOUT, ERROR_PREFIX, HAS_ACME, AcmeIO, read_file, system_bundle)
from ansible_collections.pki.lifecycle.plugins.module_utils.connectors.acme.orders import OrderMixin
from ansible_collections.pki.lifecycle.plugins.module_utils.connectors.base import Connector, Pending
from ansible_collections.pki.lifecycle.plugins.module_utils.errors import ConnectorError, InputError
from ansible_collections.pki.lifecycle.plugins.module_utils.vocabulary import REVOCATION_REASON_CODES

try:
    from acme import messages
except ImportError:
    pass   # HAS_ACME tells


class AcmeConnector(AcmeIO, AccountMixin, ChallengeMixin, OrderMixin, AriMixin, Connector):
    name = 'acme'
    # ACME servers write the subject themselves (often only a CN of the first name, or none).
    KEEPS_SUBJECT = False
    OPTIONS = {
        'directory_url': 'URL of the ACME directory, e.g. https://acme-v02.api.letsencrypt.org/directory.',
        'ca_bundle': 'PEM file of the CAs that sign the ACME server\'s TLS certificate '
                     '(default: the system trust store). TLS is always verified.',
        'contact': 'List of contact URLs or e-mail addresses for the account (mailto: is added).',
        'terms_agreed': 'true to agree to the CA\'s terms of service when the account is created.',
        'account_key': 'PEM file of the account private key on the controller (RSA or EC P-256/P-384); '
                       'default: an EC P-256 key created in <inventory dir>/acme/<profile>/account.key (0600). '
                       'Changing it on an existing RA profile rolls the account over to the new key (keyChange).',
        'challenge_type': 'http-01 (default) or dns-01.',
        'preferred_chain': 'Common name of the issuer to prefer among the alternative chains the CA offers.',
        'trust_anchor': 'PEM file of the root(s) issued chains must verify to when the server does not send '
                        'its root (default: the system trust store).',
        'poll_timeout': 'Seconds to wait for validation and finalization (default %d).' % DEFAULT_POLL_TIMEOUT,
        'profile': 'ACME certificate profile to order (one the directory lists in meta.profiles, e.g. shortlived).',
        'dns_server': 'Address of the zone\'s primary DNS server for dns-01 by RFC 2136 dynamic update '
                      '(the connector then answers dns-01 itself, in one call).',
        'dns_port': 'Port of dns_server and of the authoritative servers checked for the TXT record (default 53).',
        'dns_zone': 'The zone the _acme-challenge TXT records go into, e.g. example.org.',
        'tsig_key_name': 'Name of the TSIG key the update is signed with.',
        'tsig_algorithm': 'TSIG algorithm (default hmac-sha256; one of %s).' % ', '.join(TSIG_ALGORITHMS),
        'dns_propagation_timeout': 'Seconds to wait until every authoritative server answers the TXT record '
                                   '(default 120).',
    }
    OPTION_SPEC = {
        'directory_url': dict(type='str', required=True), 'ca_bundle': dict(type='str'),
        'contact': dict(type='list'), 'terms_agreed': dict(type='bool', default=False),
        'account_key': dict(type='str'), 'challenge_type': dict(type='str', choices=('http-01', 'dns-01')),
        'preferred_chain': dict(type='str'), 'trust_anchor': dict(type='str'),
        'poll_timeout': dict(type='number', default=DEFAULT_POLL_TIMEOUT),
        'profile': dict(type='str'), 'dns_server': dict(type='str'), 'dns_port': dict(type='int', min=1),
        'dns_zone': dict(type='str'), 'tsig_key_name': dict(type='str'),
        'tsig_algorithm': dict(type='str', choices=tuple(TSIG_ALGORITHMS)),
        'dns_propagation_timeout': dict(type='number'),
    }
    REQUIRED_OPTIONS = ('directory_url',)
    SECRETS = {
        'eab_kid': 'External Account Binding key id.',
        'eab_hmac_key': 'External Account Binding HMAC key (base64url, as the CA gave it).',
        'account_key_passphrase': 'Passphrase of the account key (a key the connector creates is encrypted with it).',
        'tsig_secret': 'TSIG key secret (base64, as tsig-keygen prints it) for RFC 2136 dns-01.',
    }
    SECRET_ENV = {
        'eab_kid': 'PKI_LIFECYCLE_ACME_EAB_KID',
        'eab_hmac_key': 'PKI_LIFECYCLE_ACME_EAB_HMAC_KEY',
        'account_key_passphrase': 'PKI_LIFECYCLE_ACME_ACCOUNT_KEY_PASSPHRASE',
        'tsig_secret': 'PKI_LIFECYCLE_ACME_TSIG_SECRET',
    }
    ISSUE_ATTRIBUTES = {
        'challenge_type': 'http-01 or dns-01 for this order (default: the profile\'s challenge_type).',
        'preferred_chain': 'Issuer common name of the preferred chain for this order.',
        'profile': 'ACME certificate profile for this order (default: the RA profile\'s connector option profile).',
    }
    REVOKE_ATTRIBUTES = {}

    def __init__(self, profile_name, options, secrets, policy=None, context=None):
        super(AcmeConnector, self).__init__(profile_name, options, secrets, policy, context)
        if not HAS_ACME:
            raise ConnectorError('The ACME connector needs the Python libraries acme and josepy.',
                                 'Install them on the controller: pip install acme.',
                                 details=dict(exception=ACME_IMPORT_ERROR))
        self.directory_url = self.options.get('directory_url')
        if not self.directory_url or not str(self.directory_url).startswith(('https://', 'http://')):
            raise InputError('connector option directory_url %r is not an http(s) URL.' % (self.directory_url,),
                             'Give the ACME directory URL, e.g. https://acme-v02.api.letsencrypt.org/directory.')
        self.challenge_type = self._challenge_type(self.options.get('challenge_type'))
        try:
            self.poll_timeout = float(self.options.get('poll_timeout') or DEFAULT_POLL_TIMEOUT)
        except (TypeError, ValueError):
            raise InputError('connector option poll_timeout %r is not a number of seconds.'
                             % (self.options.get('poll_timeout'),), 'Give e.g. poll_timeout: 90.')
        self._client = None
        self._jwk = None
        self._alg = None
        self.ari_updates = {}
        self.dns_cleanup_errors = []

    # ----------------------------------------------------------------- interface

    def check(self):
        client = self.client()
        facts = dict(account_url=client.net.account.uri, directory_url=self.directory_url)
        if self.options.get('profile'):
            facts['profile'] = self.checked_profile(client, self.options['profile'])
        updater = self.dns_updater() if self.challenge_type == 'dns-01' else None
        if updater is not None:
            facts.update(updater.check())
        return facts

    def offered_profiles(self, client):
        meta = getattr(client.directory, 'meta', None)
        return dict(getattr(meta, 'profiles', None) or {})

    def checked_profile(self, client, profile):
        """The profile, when the directory's meta.profiles lists it; else InputError naming the offered ones."""
        offered = self.offered_profiles(client)
        if profile not in offered:
            raise InputError('The ACME server %s does not offer the profile %r (offered: %s).'
                             % (self.directory_url, profile, ', '.join(sorted(offered)) or 'no profiles at all'),
                             'Set profile to one of the offered ones%s.'
                             % ('' if offered else ', or remove it: this CA has no profiles'))
        return profile

    def trust_anchors(self):
        path = self.options.get('trust_anchor')
        if path:
            path = os.path.expanduser(path)
        else:
            path = system_bundle()
            if not path:
                raise InputError('The RA profile %r names no trust_anchor and the system has no CA bundle.'
                                 % self.profile_name, 'Set connector option trust_anchor to the CA\'s root PEM.')
        return [read_file(path, 'trust_anchor', 'Set connector option trust_anchor to the PEM file of the '
                          'CA\'s root.')]

    def issue(self, csr_pem, attributes, validity_days=None, record=None, replaces=None):
        attributes = attributes or {}
        challenge_type = self._challenge_type(attributes.get('challenge_type') or self.challenge_type)
        csr_bytes = csr_pem.encode('ascii') if isinstance(csr_pem, str) else csr_pem
        profile = attributes.get('profile') or self.options.get('profile')
        updater = self.dns_updater() if challenge_type == 'dns-01' else None
        if profile:
            self.checked_profile(self.client(with_account=False), profile)

        def create(client):
            return self._new_order(client, csr_bytes, profile, replaces)
        orderr = self._with_account('create an order', create)
        client = self._client
        data = dict(order_url=orderr.uri, account_url=client.net.account.uri, directory_url=self.directory_url,
                    challenge_type=challenge_type, preferred_chain=attributes.get('preferred_chain'),
                    profile=profile, replaces=replaces)
        if orderr.body.status in (messages.STATUS_READY, messages.STATUS_VALID, messages.STATUS_PROCESSING):
            return self._finish(client, orderr, data)
        if updater is not None:
            solved = self.solve_dns01(client, orderr, updater)
            if solved:
                data['dns_records'] = solved['dns_records']
            return self._finish(client, self._fetch_order(client, orderr.uri, csr_bytes), data)
        challenge_data = []
        for authzr in orderr.authorizations:
            if authzr.body.status == messages.STATUS_VALID:
                continue
            if authzr.body.status != messages.STATUS_PENDING:
                raise ConnectorError('The ACME server made the authorization for %s %s.'
                                     % (authzr.body.identifier.value, authzr.body.status),
                                     'Run the task again; a new order is created.',
                                     details=dict(order_url=orderr.uri))
            challb = self._pick(authzr, challenge_type)
            challenge_data.append(self._describe(authzr, challb))
        if not challenge_data:   # every authorization was valid already (pre-validated)
            return self._finish(client, orderr, data)
        return Pending(challenge_data, connector_data=data,
                       message='The ACME order %s waits for %d %s challenge(s): answer them (challenge_data) and '
                               'run the task again to finish.' % (orderr.uri, len(challenge_data), challenge_type))

    def renew(self, csr_pem, previous, attributes, validity_days=None, record=None):
        """A renewal order names the certificate it replaces (RFC 9773 section 5) when the CA has ARI."""
        return self.issue(csr_pem, attributes, validity_days=validity_days, record=record,
                          replaces=self.replaces_id(previous))

    def resume(self, record, csr_pem):
        data = dict((record or {}).get('connector_data') or {})
        if not data.get('order_url'):
            return self.lookup(record)
        try:
            return self._resume(data, csr_pem)
        except ConnectorError as exc:
            exc.details.setdefault('order_url', data['order_url'])
            exc.hint = (exc.hint or '') + ' The order was %s.' % data['order_url']
            raise

    def _resume(self, data, csr_pem):
        challenge_type = data.get('challenge_type') or self.challenge_type
        csr_bytes = csr_pem.encode('ascii') if isinstance(csr_pem, str) else csr_pem
        client = self.client()
        orderr = self._fetch_order(client, data['order_url'], csr_bytes)
        if orderr.body.status == messages.STATUS_INVALID:
            raise self._invalid_order(client, orderr)
        if orderr.body.status == messages.STATUS_PENDING:
            for authzr in orderr.authorizations:
                if authzr.body.status == messages.STATUS_PENDING:
                    self._answer(client, authzr, self._pick(authzr, challenge_type), challenge_type)
            self._poll_authorizations(client, orderr)
        return self._finish(client, orderr, data)

    def lookup(self, record):
        data = dict((record or {}).get('connector_data') or {})
        if not data.get('order_url'):
            return None
        client = self.client()
        body = self._order_body(client, data['order_url'])
        if body.status != messages.STATUS_VALID or not body.certificate:
            return None
        orderr = messages.OrderResource(body=body, uri=data['order_url'], authorizations=[],
                                        csr_pem=(record.get('csr_pem') or '').encode('ascii'))
        return self._download(client, orderr, data)

    def revoke(self, certificate_pem, serial, reason, attributes):
        cert = x509lib.load_certificate(certificate_pem)
        code = REVOCATION_REASON_CODES[reason]

        def revoke(client):
            return self._call('revoke serial %s with reason %s (%d)' % (serial, reason, code),
                              client.revoke, cert, code)
        try:
            self._with_account('revoke', revoke)
        except ConnectorError as exc:
            problem = exc.details.get('problem') if isinstance(exc.details.get('problem'), dict) else {}
            if problem.get('type') != ERROR_PREFIX + 'alreadyRevoked':
                raise
            return dict(acme_detail=problem.get('detail') or 'already revoked')
        return dict(revocation_reason_code=code)
