# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ACME (RFC 8555) connector: Let's Encrypt, ZeroSSL, step-ca, OpenBao/Vault PKI, Pebble...

The protocol (JWS, nonces, account, order, authorizations, finalize, revoke) is the
``acme``/``josepy`` library's; this file maps it onto the connector interface:

* ``issue`` creates an order. When authorizations are pending it returns ``Pending`` with
  the challenges to answer (``challenge_data``) and the order URL; lifecycle keeps the
  record ``requested``. The next call with the same arguments reaches ``resume``, which
  answers the challenges, polls, finalizes and downloads the chain. An order whose
  authorizations are already valid finishes in one call.
* The account key is a PEM file named by ``account_key`` or, by default, an EC P-256 key the
  connector creates (0600) in ``<inventory dir>/acme/<profile>/account.key``; the account URL
  per directory is cached beside it (``accounts.json``), never a secret.
* Problem documents (RFC 7807) reach the user with their ``type`` and ``detail`` intact,
  in the message and in ``details.problem``.
* ARI (RFC 9773): when the directory offers ``renewalInfo``, ``renewal_window`` returns the
  server's suggested window for lifecycle's due decision.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import ssl
import time
import traceback

try:
    import josepy as jose
    import requests
    from acme import client as acme_client
    from acme import errors as acme_errors
    from acme import messages
    HAS_ACME = True
    ACME_IMPORT_ERROR = None
except ImportError:
    HAS_ACME = False
    ACME_IMPORT_ERROR = traceback.format_exc()


try:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    from cryptography.x509.oid import NameOID
    HAS_CRYPTOGRAPHY = True
except ImportError:
    HAS_CRYPTOGRAPHY = False

from ansible_collections.pki.lifecycle.plugins.module_utils import x509 as x509lib
from ansible_collections.pki.lifecycle.plugins.module_utils.connectors.base import Connector, Issued, Pending
from ansible_collections.pki.lifecycle.plugins.module_utils.errors import ConnectorError, InputError
from ansible_collections.pki.lifecycle.plugins.module_utils.vocabulary import (
    REVOCATION_REASON_CODES, as_bool, as_utc, write_atomic, write_new,
)

CHALLENGE_TYPES = ('http-01', 'dns-01')
DEFAULT_POLL_TIMEOUT = 90
BAD_NONCE_RETRIES = 3
USER_AGENT = 'pki.lifecycle-acme'
ERROR_PREFIX = 'urn:ietf:params:acme:error:'
HINTS = {
    'badNonce': 'The server kept rejecting nonces; run the task again.',
    'rateLimited': 'The CA rate-limits this account or these names; wait until the limit resets (see the detail).',
    'externalAccountRequired': 'This CA needs External Account Binding: give eab_kid and eab_hmac_key in '
                               'connector_secrets.',
    'unauthorized': 'The account may not issue for these names, or the challenge answer was wrong.',
    'rejectedIdentifier': 'The CA will not issue for this name; change subject_alt_names or use another CA.',
    'unsupportedIdentifier': 'The CA does not issue for this kind of identifier (e.g. IP addresses).',
    'caa': 'A CAA DNS record forbids this CA for the name; fix the CAA record.',
    'dns': 'The CA could not resolve the name; check DNS.',
    'connection': 'The CA could not connect to the host to validate; check firewalls, the webroot or the DNS record.',
    'incorrectResponse': 'The answer the CA found is not the expected one; place resource_value exactly at '
                         'resource and run again.',
    'agreementRequired': 'Read the CA\'s terms of service, then set connector option terms_agreed: true.',
    'userActionRequired': 'Visit the URL in the detail (often new terms of service), then set terms_agreed.',
    'malformed': 'The request is malformed for this CA; see the detail.',
    'badRevocationReason': 'This CA does not accept that revocation reason; use another RFC 5280 reason.',
    'alreadyRevoked': 'The certificate is already revoked at the CA.',
    'accountDoesNotExist': 'The account is unknown to the CA; it is registered again on the next run.',
    'badCSR': 'The CA refused the CSR; check the key type and the names.',
}


def _b64url(data):
    return jose.b64.b64encode(data).decode('ascii')


def parse_renewal_info(document):
    """An ARI renewalInfo document (RFC 9773) -> (start, end) as aware UTC datetimes.

    Raises ConnectorError when the document is not a usable window (end before start)."""
    if isinstance(document, (str, bytes)):
        document = json.loads(document)
    try:
        info = messages.RenewalInfo.from_json(document)
        start, end = as_utc(info.suggested_window.start), as_utc(info.suggested_window.end)
    except (jose.DeserializationError, AttributeError, TypeError, ValueError) as exc:
        raise ConnectorError('The ACME server returned a renewalInfo document without a valid suggestedWindow: %s.'
                             % exc, 'The CA\'s ARI is broken; the profile\'s renew_before is used instead.')
    if end < start:
        raise ConnectorError('The ACME renewalInfo window ends (%s) before it starts (%s).' % (end, start),
                             'The CA\'s ARI is broken; the profile\'s renew_before is used instead.')
    return start, end


def ari_certificate_id(cert):
    """RFC 9773 CertID: base64url(AKI keyIdentifier) '.' base64url(DER serial octets)."""
    return acme_client._renewal_info_path_component(cert)  # pylint: disable=protected-access


def problem_dict(error):
    """A messages.Error as a plain dict (type, detail, title, identifier, subproblems)."""
    out = dict(type=error.typ, detail=error.detail, title=error.title)
    if error.identifier is not None:
        out['identifier'] = '%s:%s' % (error.identifier.typ.name, error.identifier.value)
    if error.subproblems:
        out['subproblems'] = [problem_dict(sub) for sub in error.subproblems]
    return dict((k, v) for k, v in out.items() if v is not None)


def problem_text(error):
    text = '%s (%s)' % (error.detail or error.title or error.description or 'no detail', error.typ)
    for sub in error.subproblems or ():
        text += '; %s%s' % ('%s: ' % sub.identifier.value if sub.identifier is not None else '',
                            problem_text(sub))
    return text


def _dir_get(directory, name):
    try:
        return directory[name]
    except (KeyError, AttributeError):
        return None


def _issuer_cn(cert):
    values = cert.issuer.get_attributes_for_oid(NameOID.COMMON_NAME)
    return values[0].value if values else None


def choose_chain(fullchains, preferred):
    """The fullchain (leaf first) whose top certificate's issuer CN is ``preferred``;
    any certificate's issuer CN is accepted next; else the server's default (the first)."""
    parsed = [x509lib.load_certificates(text) for text in fullchains if text and text.strip()]
    if not parsed:
        raise ConnectorError('The ACME server returned an empty certificate.', 'Check the CA.')
    if preferred:
        for chain in parsed:
            if _issuer_cn(chain[-1]) == preferred:
                return chain
        for chain in parsed:
            if any(_issuer_cn(c) == preferred for c in chain):
                return chain
    return parsed[0]


def _system_bundle():
    """The system's CA bundle (OpenSSL's default), else the one requests ships (certifi)."""
    return ssl.get_default_verify_paths().cafile or getattr(requests.utils, 'DEFAULT_CA_BUNDLE_PATH', None)


def _read_file(path, what, hint):
    try:
        with open(path, 'rb') as handle:
            return handle.read()
    except (IOError, OSError) as exc:
        raise InputError('Cannot read %s %s: %s.' % (what, path, exc.strerror or exc), hint)


class AcmeConnector(Connector):
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
                       'default: an EC P-256 key created in <inventory dir>/acme/<profile>/account.key (0600).',
        'challenge_type': 'http-01 (default) or dns-01.',
        'preferred_chain': 'Common name of the issuer to prefer among the alternative chains the CA offers.',
        'trust_anchor': 'PEM file of the root(s) issued chains must verify to when the server does not send '
                        'its root (default: the system trust store).',
        'poll_timeout': 'Seconds to wait for validation and finalization (default %d).' % DEFAULT_POLL_TIMEOUT,
    }
    REQUIRED_OPTIONS = ('directory_url',)
    SECRETS = {
        'eab_kid': 'External Account Binding key id.',
        'eab_hmac_key': 'External Account Binding HMAC key (base64url, as the CA gave it).',
        'account_key_passphrase': 'Passphrase of the account key (a key the connector creates is encrypted with it).',
    }
    SECRET_ENV = {
        'eab_kid': 'PKI_LIFECYCLE_ACME_EAB_KID',
        'eab_hmac_key': 'PKI_LIFECYCLE_ACME_EAB_HMAC_KEY',
        'account_key_passphrase': 'PKI_LIFECYCLE_ACME_ACCOUNT_KEY_PASSPHRASE',
    }
    ISSUE_ATTRIBUTES = {
        'challenge_type': 'http-01 or dns-01 for this order (default: the profile\'s challenge_type).',
        'preferred_chain': 'Issuer common name of the preferred chain for this order.',
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

    # ----------------------------------------------------------------- plumbing

    @staticmethod
    def _challenge_type(value):
        value = value or 'http-01'
        if value not in CHALLENGE_TYPES:
            raise InputError('ACME challenge_type %r is not supported.' % (value,),
                             'Use one of: %s.' % ', '.join(CHALLENGE_TYPES))
        return value

    def _verify(self):
        bundle = self.options.get('ca_bundle')
        if bundle:
            bundle = os.path.expanduser(bundle)
            if not os.path.isfile(bundle):
                raise InputError('connector option ca_bundle %s is not a file.' % bundle,
                                 'Give the PEM file of the CA that signed the ACME server\'s TLS certificate.')
            return bundle
        return _system_bundle() or True

    def state_dir(self):
        base = self.context.get('inventory_dir') or os.path.expanduser('~/.local/share/pki.lifecycle')
        return os.path.join(base, 'acme', self.profile_name)

    def _ensure_state_dir(self):
        path = self.state_dir()
        if not os.path.isdir(path):
            os.makedirs(path, 0o700)
            os.chmod(path, 0o700)
        return path

    def _passphrase(self):
        value = self.secrets.get('account_key_passphrase')
        return value.encode('utf-8') if isinstance(value, str) else value

    def _load_key(self, path):
        data = _read_file(path, 'the ACME account key',
                          'Fix connector option account_key, or leave it unset to let the connector keep one.')
        try:
            return serialization.load_pem_private_key(data, password=self._passphrase())
        except TypeError:
            raise InputError('The ACME account key %s is encrypted and no passphrase was given.' % path,
                             'Give account_key_passphrase in connector_secrets.')
        except ValueError:
            raise InputError('The ACME account key %s is not a PEM private key, or the passphrase is wrong.' % path,
                             'Check the file and account_key_passphrase.')

    def _account_private_key(self):
        if self.options.get('account_key'):
            return self._load_key(os.path.expanduser(self.options['account_key']))
        path = os.path.join(self.state_dir(), 'account.key')
        if not os.path.exists(path):
            self._ensure_state_dir()
            key = ec.generate_private_key(ec.SECP256R1())
            passphrase = self._passphrase()
            encryption = serialization.BestAvailableEncryption(passphrase) if passphrase \
                else serialization.NoEncryption()
            data = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)
            try:
                write_new(path, data, 0o600)
                return key
            except FileExistsError:
                pass   # another run created it a moment ago: use that one
        return self._load_key(path)

    def _account_jwk(self):
        if self._jwk is None:
            key = self._account_private_key()
            if isinstance(key, rsa.RSAPrivateKey):
                self._jwk, self._alg = jose.JWKRSA(key=key), jose.RS256
            elif isinstance(key, ec.EllipticCurvePrivateKey):
                algs = {'secp256r1': jose.ES256, 'secp384r1': jose.ES384, 'secp521r1': jose.ES512}
                if key.curve.name not in algs:
                    raise InputError('The ACME account key uses curve %s.' % key.curve.name,
                                     'Use an RSA or EC P-256/P-384/P-521 account key.')
                self._jwk, self._alg = jose.JWKEC(key=key), algs[key.curve.name]
            else:
                raise InputError('The ACME account key is neither RSA nor EC.',
                                 'Use an RSA or EC P-256 account key.')
        return self._jwk

    def _translate(self, exc, doing):
        """Any library/transport error -> ConnectorError with the problem intact."""
        if isinstance(exc, messages.Error):
            code = exc.code or str(exc.typ).rsplit(':', 1)[-1]
            return ConnectorError('The ACME server %s refused to %s: %s.'
                                  % (self.directory_url, doing, problem_text(exc)),
                                  HINTS.get(code, 'See the problem detail from the CA.'),
                                  details=dict(problem=problem_dict(exc)))
        if isinstance(exc, acme_errors.IssuanceError):
            return self._translate(exc.error, doing)
        if isinstance(exc, acme_errors.ValidationError):
            problems, reasons = [], []
            for authzr in exc.failed_authzrs:
                for chall in authzr.body.challenges:
                    if chall.error is not None:
                        problems.append(dict(problem_dict(chall.error), identifier=authzr.body.identifier.value,
                                             challenge_type=chall.chall.typ))
                        reasons.append('%s (%s): %s' % (authzr.body.identifier.value, chall.chall.typ,
                                                        problem_text(chall.error)))
            return ConnectorError('The ACME server could not validate the challenge(s) to %s: %s.'
                                  % (doing, '; '.join(reasons) or 'no reason given'),
                                  'Answer each challenge exactly as challenge_data says, then run the task again '
                                  '(a new order is created).',
                                  details=dict(problem=problems[0] if len(problems) == 1 else problems))
        if isinstance(exc, acme_errors.TimeoutError):
            return ConnectorError('The ACME server did not finish (%s) within %d s.' % (doing, self.poll_timeout),
                                  'Raise connector option poll_timeout, or check the CA.')
        if isinstance(exc, requests.exceptions.SSLError):
            return ConnectorError('TLS verification of the ACME server %s failed: %s.' % (self.directory_url, exc),
                                  'Set connector option ca_bundle to the PEM of the CA that signed the server\'s '
                                  'TLS certificate (TLS verification is never turned off).')
        if isinstance(exc, (requests.exceptions.ConnectionError, requests.exceptions.Timeout)):
            return ConnectorError('The ACME server %s is unreachable: %s.' % (self.directory_url, exc),
                                  'Check directory_url, the network and that the server runs.')
        if isinstance(exc, acme_errors.ClientError):
            response = exc.args[0] if exc.args else None
            if isinstance(response, tuple):
                response = response[0]
            if isinstance(response, requests.Response):
                return ConnectorError('The ACME server %s answered HTTP %d to %s at %s: %s.'
                                      % (self.directory_url, response.status_code, doing, response.url,
                                         (response.text or '')[:200].strip() or response.reason),
                                      'Check directory_url: it must be the ACME directory resource.')
            return ConnectorError('ACME request failed (%s): %s.' % (doing, exc), 'Check directory_url and the CA.')
        if isinstance(exc, (jose.DeserializationError, ValueError, KeyError)):
            return ConnectorError('The ACME server %s sent an unexpected answer to %s: %s.'
                                  % (self.directory_url, doing, exc),
                                  'Check that directory_url is an RFC 8555 directory.')
        return ConnectorError('ACME request failed (%s): %s.' % (doing, exc), 'See the CA\'s logs.')

    def _call(self, doing, func, *args, **kwargs):
        """Run a library call; badNonce retried, everything else translated."""
        for attempt in range(BAD_NONCE_RETRIES + 1):
            try:
                return func(*args, **kwargs)
            except acme_errors.ConflictError:
                raise   # "account exists": the caller wants its Location
            except messages.Error as exc:
                if exc.code == 'badNonce' and attempt < BAD_NONCE_RETRIES:
                    continue
                raise self._translate(exc, doing)
            except ConnectorError:
                raise
            except (acme_errors.Error, requests.exceptions.RequestException, jose.DeserializationError,
                    ValueError, KeyError) as exc:
                raise self._translate(exc, doing)

    def _directory(self, net):
        directory = self._call('return its directory', acme_client.ClientV2.get_directory, self.directory_url, net)
        for needed in ('newNonce', 'newAccount', 'newOrder'):
            if not _dir_get(directory, needed):
                raise ConnectorError('%s is not an ACME directory: it has no %s.' % (self.directory_url, needed),
                                     'Check directory_url.')
        return directory

    # ----------------------------------------------------------------- account

    def _accounts_path(self):
        return os.path.join(self.state_dir(), 'accounts.json')

    def _cache_key(self):
        return '%s %s' % (self.directory_url, _b64url(self._account_jwk().thumbprint()))

    def _cached_account(self):
        try:
            with open(self._accounts_path()) as handle:
                return json.load(handle).get(self._cache_key())
        except (IOError, OSError, ValueError):
            return None

    def _cache_account(self, uri):
        self._ensure_state_dir()
        try:
            with open(self._accounts_path()) as handle:
                data = json.load(handle)
        except (IOError, OSError, ValueError):
            data = {}
        if uri is None:
            data.pop(self._cache_key(), None)
        else:
            data[self._cache_key()] = uri
        write_atomic(self._accounts_path(), json.dumps(data, indent=1, sort_keys=True), 0o600)

    def _register(self, client):
        contacts = []
        given = self.options.get('contact') or []
        for item in [given] if isinstance(given, str) else given:
            contacts.append(item if ':' in item else 'mailto:' + item)
        eab = None
        kid, hmac_key = self.secrets.get('eab_kid'), self.secrets.get('eab_hmac_key')
        if bool(kid) != bool(hmac_key):
            raise InputError('External Account Binding needs both eab_kid and eab_hmac_key.',
                             'Give both in connector_secrets.')
        if kid:
            try:
                eab = messages.ExternalAccountBinding.from_data(self._account_jwk().public_key(), kid, hmac_key,
                                                                client.directory)
            except (ValueError, TypeError, jose.DeserializationError):
                raise InputError('eab_hmac_key is not base64url.', 'Give the HMAC key exactly as the CA issued it.')
        elif client.external_account_required():
            raise ConnectorError('The ACME server %s requires External Account Binding, and no eab_kid / '
                                 'eab_hmac_key was given.' % self.directory_url, HINTS['externalAccountRequired'])
        kwargs = dict(contact=tuple(contacts))
        if as_bool(self.options.get('terms_agreed', False), 'connector option terms_agreed'):
            kwargs['terms_of_service_agreed'] = True
        if eab is not None:
            kwargs['external_account_binding'] = eab
        registration = messages.NewRegistration(**kwargs)
        try:
            return self._call('create the account', client.new_account, registration).uri
        except acme_errors.ConflictError as exc:   # the key has an account already: use it
            return exc.location

    def client(self, with_account=True):
        """The ClientV2 (directory fetched once per task); with the account registered or cached."""
        if self._client is None:
            net = acme_client.ClientNetwork(None, verify_ssl=self._verify(), user_agent=USER_AGENT, timeout=30)
            self._client = acme_client.ClientV2(self._directory(net), net)
        net = self._client.net
        if with_account and net.account is None:
            net.key, net.alg = self._account_jwk(), self._alg
            uri = self._cached_account()
            if not uri:
                uri = self._register(self._client)
                self._cache_account(uri)
            net.account = messages.RegistrationResource(uri=uri, body=messages.Registration())
        return self._client

    def _with_account(self, doing, func):
        """Run func(client); when the CA forgot the cached account, register again once."""
        client = self.client()
        try:
            return func(client)
        except ConnectorError as exc:
            problem = exc.details.get('problem') if isinstance(exc.details.get('problem'), dict) else {}
            if problem.get('type') != ERROR_PREFIX + 'accountDoesNotExist':
                raise
            self._cache_account(None)
            client.net.account = None
            return func(self.client())

    # ----------------------------------------------------------------- interface

    def check(self):
        client = self.client()
        return dict(account_url=client.net.account.uri, directory_url=self.directory_url)

    def trust_anchors(self):
        path = self.options.get('trust_anchor')
        if path:
            path = os.path.expanduser(path)
        else:
            path = _system_bundle()
            if not path:
                raise InputError('The RA profile %r names no trust_anchor and the system has no CA bundle.'
                                 % self.profile_name, 'Set connector option trust_anchor to the CA\'s root PEM.')
        return [_read_file(path, 'trust_anchor', 'Set connector option trust_anchor to the PEM file of the '
                           'CA\'s root.')]

    def issue(self, csr_pem, attributes, validity_days=None, record=None):
        attributes = attributes or {}
        challenge_type = self._challenge_type(attributes.get('challenge_type') or self.challenge_type)
        csr_bytes = csr_pem.encode('ascii') if isinstance(csr_pem, str) else csr_pem

        def create(client):
            return self._call('create an order', client.new_order, csr_bytes)
        orderr = self._with_account('create an order', create)
        client = self._client
        data = dict(order_url=orderr.uri, account_url=client.net.account.uri, directory_url=self.directory_url,
                    challenge_type=challenge_type, preferred_chain=attributes.get('preferred_chain'))
        if orderr.body.status in (messages.STATUS_READY, messages.STATUS_VALID, messages.STATUS_PROCESSING):
            return self._finish(client, orderr, data)
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
            jwk = self._account_jwk()
            for authzr in orderr.authorizations:
                if authzr.body.status != messages.STATUS_PENDING:
                    continue
                challb = self._pick(authzr, challenge_type)
                if challb.status == messages.STATUS_PENDING:
                    self._call('accept the %s challenge for %s' % (challenge_type, authzr.body.identifier.value),
                               client.answer_challenge, challb, challb.chall.response(jwk))
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

    def renewal_window(self, record):
        """ARI (RFC 9773): the server's suggested (start, end), or None without ARI."""
        if not record.get('certificate_pem'):
            return None
        client = self.client(with_account=False)
        base = _dir_get(client.directory, 'renewalInfo')
        if not base:
            return None
        cert = x509lib.load_certificate(record['certificate_pem'])
        try:
            cert_id = ari_certificate_id(cert)
        except Exception:  # pylint: disable=broad-except
            return None    # no AKI: no ARI for this certificate
        response = self._call('return renewal information', client.net.get, base.rstrip('/') + '/' + cert_id,
                              content_type='application/json')
        return parse_renewal_info(response.json())

    # ----------------------------------------------------------------- order helpers

    def _pick(self, authzr, challenge_type):
        for challb in authzr.body.challenges:
            if challb.chall.typ == challenge_type:
                return challb
        offered = sorted(set(c.chall.typ for c in authzr.body.challenges))
        raise ConnectorError('The ACME server offers no %s challenge for %s (offered: %s).'
                             % (challenge_type, authzr.body.identifier.value, ', '.join(offered) or 'none'),
                             'Set challenge_type to one of the offered types (IP addresses allow http-01 only).')

    def _describe(self, authzr, challb):
        jwk = self._account_jwk()
        name = authzr.body.identifier.value
        if challb.chall.typ == 'http-01':
            resource = challb.chall.path.lstrip('/')
            value = challb.chall.validation(jwk)
        else:
            resource = challb.chall.validation_domain_name(name)
            value = challb.chall.validation(jwk)
        return dict(identifier=name, challenge_type=challb.chall.typ, resource=resource, resource_value=value)

    def _order_body(self, client, url):
        response = self._call('return the order', client._post_as_get, url)  # pylint: disable=protected-access
        return messages.Order.from_json(response.json())

    def _fetch_order(self, client, url, csr_bytes):
        body = self._order_body(client, url)
        authorizations = []
        for authz_url in body.authorizations:
            response = self._call('return an authorization', client._post_as_get, authz_url)  # pylint: disable=protected-access
            authorizations.append(messages.AuthorizationResource(
                body=messages.Authorization.from_json(response.json()), uri=authz_url))
        return messages.OrderResource(body=body, uri=url, authorizations=authorizations, csr_pem=csr_bytes)

    def _deadline(self):
        return time.time() + self.poll_timeout

    @staticmethod
    def _sleep(delay):
        time.sleep(delay)
        return min(delay * 2, 2.0)

    def _poll_authorizations(self, client, orderr):
        """Poll until no authorization is pending; short first sleeps (servers are often quick)."""
        deadline, delay = self._deadline(), 0.05
        pending = list(orderr.body.authorizations)
        failed = []
        while pending:
            still = []
            for url in pending:
                response = self._call('return an authorization', client._post_as_get, url)  # pylint: disable=protected-access
                authzr = messages.AuthorizationResource(body=messages.Authorization.from_json(response.json()),
                                                        uri=url)
                if authzr.body.status == messages.STATUS_PENDING:
                    still.append(url)
                elif authzr.body.status != messages.STATUS_VALID:
                    failed.append(authzr)
            pending = still
            if failed:
                raise self._translate(acme_errors.ValidationError(failed), 'issue the certificate')
            if pending:
                if time.time() > deadline:
                    raise self._translate(acme_errors.TimeoutError(), 'validate the challenges')
                delay = self._sleep(delay)

    def _invalid_order(self, client, orderr):
        failed = [a for a in orderr.authorizations if a.body.status == messages.STATUS_INVALID]
        if failed:
            return self._translate(acme_errors.ValidationError(failed), 'issue the certificate')
        if orderr.body.error is not None:
            return self._translate(orderr.body.error, 'issue the certificate')
        return ConnectorError('The ACME order %s is invalid and the server gives no reason.' % orderr.uri,
                              'Run the task again; a new order is created.')

    def _finish(self, client, orderr, data):
        """Finalize (ready), wait (processing), download (valid)."""
        deadline, delay = self._deadline(), 0.05
        body = orderr.body
        finalized = body.status in (messages.STATUS_PROCESSING, messages.STATUS_VALID)
        try:
            while True:
                if body.status == messages.STATUS_READY and not finalized:
                    csr = messages.CertificateRequest(csr=x509lib.load_csr(orderr.csr_pem))
                    body = messages.Order.from_json(self._call(
                        'finalize the order', client._post, body.finalize, csr).json())  # pylint: disable=protected-access
                    finalized = True
                    continue
                if body.status == messages.STATUS_VALID and body.certificate:
                    return self._download(client, orderr.update(body=body), data)
                if body.status == messages.STATUS_INVALID:
                    raise self._invalid_order(client, orderr.update(body=body))
                if time.time() > deadline:
                    raise self._translate(acme_errors.TimeoutError(), 'finalize the order')
                delay = self._sleep(delay)
                body = self._order_body(client, orderr.uri)
        except ConnectorError as exc:
            if finalized:
                # The CA may issue after all: lifecycle keeps the record (failed, order URL) for lookup.
                exc.details['maybe_issued'] = True
                exc.details.setdefault('order_url', orderr.uri)
            raise

    def _download(self, client, orderr, data):
        response = self._call('return the certificate', client._post_as_get, orderr.body.certificate)  # pylint: disable=protected-access
        fullchains = [response.text]
        preferred = data.get('preferred_chain') or self.options.get('preferred_chain')
        if preferred:
            for url in client._get_links(response, 'alternate'):  # pylint: disable=protected-access
                fullchains.append(self._call('return an alternative chain', client._post_as_get, url).text)  # pylint: disable=protected-access
        chain = choose_chain(fullchains, preferred)
        facts = dict(order_url=orderr.uri, certificate_url=orderr.body.certificate,
                     account_url=data.get('account_url'), directory_url=self.directory_url,
                     chain_issuer=_issuer_cn(chain[-1]))
        return Issued(x509lib.pem(chain[0]), [x509lib.pem(c) for c in chain[1:]], connector_data=facts)
