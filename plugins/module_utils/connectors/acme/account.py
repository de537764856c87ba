# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ACME account: the account key (given PEM, or one the connector creates), the account URL
cache per directory, registration (with External Account Binding), and key rollover
(RFC 8555 section 7.3.5, keyChange)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os

from ansible_collections.pki.lifecycle.plugins.module_utils.connectors.acme.io import (
    ERROR_PREFIX, HINTS, USER_AGENT, b64url, dir_get, read_file)
from ansible_collections.pki.lifecycle.plugins.module_utils.errors import ConnectorError, InputError
from ansible_collections.pki.lifecycle.plugins.module_utils.vocabulary import as_bool, write_atomic, write_new
from ansible_collections.pki.lifecycle.plugins.module_utils.x509.base import LazyModule

try:
    import josepy as jose
    from acme import client as acme_client
    from acme import errors as acme_errors
    from acme import jws as acme_jws
    from acme import messages
except ImportError:
    pass   # io.HAS_ACME tells the connector

serialization = LazyModule('cryptography.hazmat.primitives.serialization')
ec = LazyModule('cryptography.hazmat.primitives.asymmetric.ec')
rsa = LazyModule('cryptography.hazmat.primitives.asymmetric.rsa')


def jwk_for(key):
    """(JWK, JWS algorithm) of an RSA or EC private key."""
    if isinstance(key, rsa.RSAPrivateKey):
        return jose.JWKRSA(key=key), jose.RS256
    if isinstance(key, ec.EllipticCurvePrivateKey):
        algs = {'secp256r1': jose.ES256, 'secp384r1': jose.ES384, 'secp521r1': jose.ES512}
        if key.curve.name not in algs:
            raise InputError('The ACME account key uses curve %s.' % key.curve.name,
                             'Use an RSA or EC P-256/P-384/P-521 account key.')
        return jose.JWKEC(key=key), algs[key.curve.name]
    raise InputError('The ACME account key is neither RSA nor EC.', 'Use an RSA or EC P-256 account key.')


class AccountMixin(object):

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
        data = read_file(path, 'the ACME account key',
                         'Fix connector option account_key, or leave it unset to let the connector keep one.')
        try:
            return serialization.load_pem_private_key(data, password=self._passphrase())
        except TypeError:
            raise InputError('The ACME account key %s is encrypted and no passphrase was given.' % path,
                             'Give account_key_passphrase in connector_secrets.')
        except ValueError:
            raise InputError('The ACME account key %s is not a PEM private key, or the passphrase is wrong.' % path,
                             'Check the file and account_key_passphrase.')

    def _default_key_path(self):
        return os.path.join(self.state_dir(), 'account.key')

    def _account_private_key(self):
        if self.options.get('account_key'):
            return self._load_key(os.path.expanduser(self.options['account_key']))
        path = self._default_key_path()
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
            self._jwk, self._alg = jwk_for(self._account_private_key())
        return self._jwk

    def _accounts_path(self):
        return os.path.join(self.state_dir(), 'accounts.json')

    def _cache_key(self, jwk=None):
        return '%s %s' % (self.directory_url, b64url((jwk or self._account_jwk()).thumbprint()))

    def _cached_account(self):
        try:
            with open(self._accounts_path()) as handle:
                return json.load(handle).get(self._cache_key())
        except (IOError, OSError, ValueError):
            return None

    def _cache_account(self, uri, jwk=None):
        self._ensure_state_dir()
        try:
            with open(self._accounts_path()) as handle:
                data = json.load(handle)
        except (IOError, OSError, ValueError):
            data = {}
        if uri is None:
            data.pop(self._cache_key(jwk), None)
        else:
            data[self._cache_key(jwk)] = uri
        write_atomic(self._accounts_path(), json.dumps(data, indent=1, sort_keys=True), 0o600)

    def _register(self, client, only_existing=False):
        if only_existing:
            registration = messages.NewRegistration(only_return_existing=True)
            try:
                return self._call('find the account', client.new_account, registration).uri
            except acme_errors.ConflictError as exc:
                return exc.location
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

    # ------------------------------------------------------------- key rollover

    def reconfigure(self, old_options, check_mode=False):
        """A changed account_key on the same directory rolls the account over to the new key."""
        if old_options.get('directory_url') != self.directory_url:
            return None   # another CA: the account there is registered on first use
        if old_options.get('account_key') == self.options.get('account_key'):
            return None
        facts = self.rollover_from(old_options, check_mode)
        if facts:
            facts['message'] = ('Would roll the ACME account over to the new account key.' if check_mode else
                                'Rolled the ACME account %s over to the new account key (keyChange); the old '
                                'key is refused from now on.' % facts['account_url'])
        return facts

    def rollover_from(self, old_options, check_mode=False):
        """RFC 8555 keyChange: the account of the key ``old_options`` name (its account_key,
        or the key the connector created) moves to this connector's account key.

        Returns a dict of facts, or None when both options name the same key. A connector-made
        key that is rolled away from is kept as ``account.key.old`` (not deleted: evidence)."""
        old_path = os.path.expanduser(old_options.get('account_key') or self._default_key_path())
        new_path = os.path.expanduser(self.options.get('account_key') or self._default_key_path())
        if os.path.abspath(old_path) == os.path.abspath(new_path):
            return None
        if not os.path.exists(old_path):
            return None   # the old key was never used (never created): nothing to roll over
        old_jwk, old_alg = jwk_for(self._load_key(old_path))
        new_jwk = self._account_jwk()
        if old_jwk.thumbprint() == new_jwk.thumbprint():
            return None
        if check_mode:
            return dict(account_key_rollover='would roll over')
        client = self.client(with_account=False)
        net = client.net
        net.key, net.alg = old_jwk, old_alg
        account = None
        with_cache = self._cache_key(old_jwk)
        try:
            with open(self._accounts_path()) as handle:
                account = json.load(handle).get(with_cache)
        except (IOError, OSError, ValueError):
            account = None
        if not account:
            try:
                account = self._register(client, only_existing=True)
            except ConnectorError as exc:
                if (exc.details.get('problem') or {}).get('type') == ERROR_PREFIX + 'accountDoesNotExist':
                    self._client = None
                    return None   # the old key never had an account here: nothing to roll over
                raise
        net.account = messages.RegistrationResource(uri=account, body=messages.Registration())
        url = dir_get(client.directory, 'keyChange')
        if not url:
            raise ConnectorError('The ACME server %s offers no keyChange.' % self.directory_url,
                                 'This CA cannot roll an account key over; keep the old account_key.')
        # Inner JWS: signed by the NEW key, jwk header, url = keyChange, payload {account, oldKey}.
        # (no nonce, no kid: acme's JWS omits empty header fields and adds jwk without a kid)
        inner = acme_jws.JWS.sign(
            json.dumps(dict(account=account, oldKey=old_jwk.public_key().to_partial_json())).encode('utf-8'),
            key=new_jwk, alg=self._alg, nonce=None, url=url)
        self._call('roll the account key over', client._post, url,  # pylint: disable=protected-access
                   _RawJson(json.loads(inner.json_dumps())))
        self._cache_account(account, new_jwk)
        self._cache_account(None, old_jwk)
        net.key, net.alg, net.account = new_jwk, self._alg, None
        self._client = None
        if not old_options.get('account_key') and os.path.exists(old_path):
            os.rename(old_path, old_path + '.old')
        return dict(account_url=account, account_key_rollover='rolled over',
                    old_key_thumbprint=b64url(old_jwk.thumbprint()), new_key_thumbprint=b64url(new_jwk.thumbprint()))


class _RawJson(object):
    """A ready JSON object for ClientV2._post (the inner JWS of keyChange)."""

    def __init__(self, data):
        self.data = data

    def json_dumps(self, **kwargs):
        return json.dumps(self.data, **kwargs)

    def to_partial_json(self):
        return self.data

    def to_json(self):
        return self.data
