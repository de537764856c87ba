"""Connector conformance: what every connector must pass, and how each one is set up.

``test_conformance.py`` runs the same playbook for every entry of ``CASES`` (one pytest
parameter each): issue from each key source (CSR, existing key in a file token profile,
generated key), rerun changes nothing, renew keeps the key, rekey changes it and refuses
the old one, revoke is recorded in the inventory AND seen by the CA, ``openssl verify`` of
every chain against the root taken from the CA itself (not from our code), and bad input
(unknown issue attribute, wrong credentials, unreachable CA) fails with a clear message and
leaves the inventory's rows exactly as they were.

Adding a connector (e.g. ``acme``, or ``local`` on a PKCS#11 CA key)
--------------------------------------------------------------------
Subclass ``Case`` below and add an instance to ``CASES``; nothing else changes. A case says:

``id``             pytest id ('acme', 'acme-eab', ...); unique.
``connector``      the connector name the RA profile uses.
``fixtures``       harness fixture names it needs (e.g. ('pebble',)); fetched lazily with
                   ``request.getfixturevalue`` so a case starts only its own servers, and with
                   PKI_LIFECYCLE_REQUIRE_SERVERS=1 a missing server FAILS the case.
``setup(env)``     optional: prepare anything (env.work is the case's directory, env.fx the
                   fixtures by name); store what later methods need on ``env``.
``options(env)``   connector_options of the working RA profile.
``secrets(env)``   connector_secrets that work ({} if none). Passed through module_defaults,
                   never stored; the suite asserts they never reach the inventory.
``bad_secrets(env)``   wrong credentials (must make issue fail), or None when the connector
                   has none (then the case must say why in ``no_bad_secrets_reason``).
``unreachable_options(env)``   connector_options of a profile whose CA cannot be reached.
``issue_attributes``   one valid issue attribute (stored in the RA profile), proving the
                   connector passes attributes through.
``domain``         DNS suffix the CA's policy allows for test names (default 'example.test').
``root_pem(env)``  the CA's root, obtained from the CA/harness, for ``openssl verify``.
``revoked_by_ca(env, serial_hex, revoke_result)``  True when the CA itself shows the serial
                   as revoked (its CRL via ``openssl crl``, its database, OCSP ...). It may
                   also return the CRL PEM as ``env.crl_pem`` for an ``openssl verify
                   -crl_check`` cross-check.
``bad_secrets_messages``  texts of which one must be in the error for wrong credentials.
``down_message``   text that must be in the error when the CA is unreachable.
``full``           False for a light case (e.g. a second auth method of a connector that has
                   a full case): issue from a CSR, rerun, revoke, bad input; no renew/rekey.
``revoke_needs_credentials``  False when the CA's revoke takes no credentials (CFSSL 1.2):
                   then 'wrong credentials revoke' is not run.
``max_lifetime_days``  upper bound of issued lifetimes (proves ``issue_attributes`` work).
``extra_tasks``    optional list of tasks (dicts) run before the lifecycle.
``issue_extra``    options added to every issue and rekey task, e.g. ``{challenge_type: dns-01}``.

Each issue task must end ``issued`` in one call. A connector that answers ``Pending`` first
(ACME waiting for challenges) needs a CA that validates on its own in its case: e.g. a Pebble
started with ``PEBBLE_VA_ALWAYS_VALID=1`` (``pebble_factory(env=...)``), or a challenge
responder started in ``setup()`` that the connector's own challenge handling reaches.

Timing: the suite records the wall time of one issue and one revoke per case (through the
playbook: timestamps around the task; and the connector call alone, in-process) and writes
them to ``tests/output/conformance-timings-<id>.json``.
"""
from __future__ import annotations

import json
import os
import urllib.request
from dataclasses import dataclass, field
from typing import Any

from harness.pki import make_csr, openssl  # noqa: F401 - openssl re-exported for test_conformance


def crl_serials(crl_pem: str) -> set[str]:
    """Serials (lowercase hex, no leading zeros) listed in a CRL, as `openssl crl` reads it."""
    out = openssl('crl', '-noout', '-text', input_text=crl_pem)
    assert out.returncode == 0, out.stderr
    serials = set()
    for line in out.stdout.splitlines():
        line = line.strip()
        if line.startswith('Serial Number:'):
            serials.add(line.split(':', 1)[1].strip().lower().lstrip('0'))
    return serials


class Env:
    """Per-case scratch: ``work`` (directory), ``fx`` (fixtures by name), anything else."""

    def __init__(self, work: str, fx: dict[str, Any]) -> None:
        self.work = work
        self.fx = fx
        self.crl_pem: str | None = None


@dataclass
class Case:
    id: str
    connector: str
    fixtures: tuple = ()
    issue_attributes: dict = field(default_factory=dict)
    domain: str = 'example.test'
    issue_extra: dict = field(default_factory=dict)
    extra_tasks: list = field(default_factory=list)
    no_bad_secrets_reason: str = ''
    bad_secrets_messages: tuple = ()
    down_message: str = 'server down at URL: http://127.0.0.1:9'
    max_lifetime_days: float | None = None
    revoke_needs_credentials: bool = True
    full: bool = True

    def setup(self, env: Env) -> None:
        pass

    def options(self, env: Env) -> dict:
        raise NotImplementedError

    def secrets(self, env: Env) -> dict:
        return {}

    def bad_secrets(self, env: Env) -> dict | None:
        return None

    def unreachable_options(self, env: Env) -> dict:
        raise NotImplementedError

    def root_pem(self, env: Env) -> str:
        raise NotImplementedError

    def revoked_by_ca(self, env: Env, serial_hex: str, revoke_result: dict) -> bool:
        raise NotImplementedError


# ------------------------------------------------------------------------------ local

class LocalCase(Case):
    """The embedded CA, with an encrypted CA key so that 'wrong credentials' exists."""

    PASSPHRASE = 'conformance-ca-passphrase'

    def options(self, env):
        return {'directory': os.path.join(env.work, 'ca')}

    def secrets(self, env):
        return {'ca_passphrase': self.PASSPHRASE}

    def bad_secrets(self, env):
        return {'ca_passphrase': 'not-the-passphrase'}

    def unreachable_options(self, env):
        # The local analogue of "server down": the CA it should load is not there.
        missing = os.path.join(env.work, 'missing-ca')
        return {'ca_certificate': os.path.join(missing, 'ca.pem'), 'ca_private_key': os.path.join(missing, 'ca.key')}

    def root_pem(self, env):
        with open(os.path.join(env.work, 'ca', 'ca.pem')) as handle:
            return handle.read()

    def revoked_by_ca(self, env, serial_hex, revoke_result):
        with open(revoke_result['crl_path']) as handle:
            env.crl_pem = handle.read()
        return serial_hex.lower().lstrip('0') in crl_serials(env.crl_pem)


# ------------------------------------------------------------------------------ vault

def http_get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=15) as response:  # noqa: S310 - 127.0.0.1 test server
        return response.read().decode('ascii')


class VaultCase(Case):
    """OpenBao's PKI engine (harness fixture ``openbao``), role 'web'."""

    def __init__(self, id, approle=False, **kwargs):
        super().__init__(id=id, connector='vault', fixtures=('openbao',),
                         issue_attributes={'ttl': '240h'}, max_lifetime_days=10, **kwargs)
        self.approle = approle

    def options(self, env):
        bao = env.fx['openbao']
        opts = {'url': bao.addr, 'mount': bao.mount, 'role': bao.role}
        if self.approle:
            opts['approle_mount'] = bao.approle['mount']
        return opts

    def secrets(self, env):
        bao = env.fx['openbao']
        if self.approle:
            # A fresh secret ID per case: they may carry use limits.
            return {'role_id': bao.approle['role_id'], 'secret_id': bao.new_secret_id()}
        return {'token': bao.token}

    def bad_secrets(self, env):
        if self.approle:
            return {'role_id': env.fx['openbao'].approle['role_id'], 'secret_id': 'not-a-secret-id'}
        return {'token': 'not-a-valid-token'}

    def unreachable_options(self, env):
        return dict(self.options(env), url='http://127.0.0.1:9')  # discard port: nothing listens

    def root_pem(self, env):
        return env.fx['openbao'].ca_pem

    def revoked_by_ca(self, env, serial_hex, revoke_result):
        bao = env.fx['openbao']
        env.crl_pem = http_get('%s/v1/%s/crl/pem' % (bao.addr, bao.mount))
        return serial_hex.lower().lstrip('0') in crl_serials(env.crl_pem)


# ------------------------------------------------------------------------------ cfssl

class CfsslCase(Case):
    """``cfssl serve`` 1.2 (harness fixture ``cfssl``): profile 'server' (sign) or
    'authserver' (authsign with the HMAC key)."""

    def __init__(self, id, profile, auth=False, **kwargs):
        # CFSSL 1.2's /revoke is unauthenticated: whoever reaches the API can revoke.
        super().__init__(id=id, connector='cfssl', fixtures=('cfssl',), revoke_needs_credentials=False,
                         issue_attributes={'profile': profile}, max_lifetime_days=30, **kwargs)
        self.profile = profile
        self.auth = auth

    def options(self, env):
        return {'url': env.fx['cfssl'].url, 'profile': self.profile}

    def secrets(self, env):
        return {'auth_key': env.fx['cfssl'].auth_key} if self.auth else {}

    def bad_secrets(self, env):
        # Wrong key on an authsign profile; on a plain profile, a key where none is wanted.
        return {'auth_key': 'ab' * 16}

    def unreachable_options(self, env):
        return dict(self.options(env), url='http://127.0.0.1:9')

    def root_pem(self, env):
        return env.fx['cfssl'].ca_pem

    def revoked_by_ca(self, env, serial_hex, revoke_result):
        server = env.fx['cfssl']
        row = server.cert_status('0x' + serial_hex)  # (a hex serial of only digits is not decimal)
        if not row or row.get('status') != 'revoked':
            return False
        env.crl_pem = server.gencrl()  # CFSSL 1.2 has no CRL endpoint: the server-side tool
        return serial_hex.lower().lstrip('0') in crl_serials(env.crl_pem)


# ------------------------------------------------------------------------------ acme

class AcmeCase(Case):
    """Pebble (harness ``pebble_factory``) started with ``PEBBLE_AUTHZREUSE=100``: it reuses an
    account's valid authorizations, so once ``setup`` has validated every name the suite asks
    for (http-01 answered through challtestsrv, with the connector itself, in-process), each
    issue/renew/rekey order is ready at once and finishes in one call. The account key is an
    explicit, passphrase-encrypted file shared by setup, the playbook's profiles and the
    in-process timing (Pebble's authorizations belong to the account); the passphrase is
    the credential that 'wrong credentials' gets wrong."""

    PASSPHRASE = 'conformance-acme-account-passphrase'
    HOSTS = ('csr', 'existing', 'gen', 'timing')  # the names test_conformance issues for

    def setup(self, env):
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        env.pebble = env.fx['pebble_factory'](env={'PEBBLE_AUTHZREUSE': '100'})
        env.account_key = os.path.join(env.work, 'acme-account.key')
        with open(env.account_key, 'wb') as handle:
            handle.write(ec.generate_private_key(ec.SECP256R1()).private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                serialization.BestAvailableEncryption(self.PASSPHRASE.encode())))
        os.chmod(env.account_key, 0o600)
        env.trust_anchor = os.path.join(env.work, 'pebble-root.pem')
        with open(env.trust_anchor, 'w') as handle:
            handle.write(env.pebble.roots_pem())
        self._prevalidate(env)

    def _prevalidate(self, env):
        """One order for every name, its http-01 challenges answered: the account's
        authorizations are valid afterwards."""
        import pathlib
        import sys
        from harness.playbook import ensure_collection_link
        sys.path.insert(0, str(ensure_collection_link()))
        from ansible_collections.pki.lifecycle.plugins.module_utils.connectors.registry import connector_class
        from ansible_collections.pki.lifecycle.plugins.module_utils.connectors.base import Issued, Pending
        dom = '%s.%s' % (self.id, self.domain)
        names = ['%s.%s' % (host, dom) for host in self.HOSTS]
        with open(make_csr(pathlib.Path(env.work), names[0], sans=','.join('DNS:' + n for n in names))) as handle:
            csr = handle.read()
        conn = connector_class(self.connector)('prevalidate', self.options(env), self.secrets(env),
                                               context={'inventory_dir': env.work})
        pending = conn.issue(csr, {})
        assert isinstance(pending, Pending), 'fresh names on a fresh Pebble should need challenges'
        assert sorted(c['identifier'] for c in pending.challenge_data) == sorted(names)
        for chall in pending.challenge_data:
            env.pebble.add_http01(chall['resource'].rsplit('/', 1)[1], chall['resource_value'])
        issued = conn.resume({'connector_data': pending.connector_data}, csr)
        assert isinstance(issued, Issued), issued

    def options(self, env):
        return {'directory_url': env.pebble.directory_url, 'ca_bundle': env.pebble.ca_bundle,
                'terms_agreed': True, 'account_key': env.account_key, 'trust_anchor': env.trust_anchor,
                'poll_timeout': 20}

    def secrets(self, env):
        return {'account_key_passphrase': self.PASSPHRASE}

    def bad_secrets(self, env):
        return {'account_key_passphrase': 'not-the-account-passphrase'}

    def unreachable_options(self, env):
        return dict(self.options(env), directory_url='http://127.0.0.1:9/dir')  # discard port: nothing listens

    def root_pem(self, env):
        return env.pebble.roots_pem()

    def revoked_by_ca(self, env, serial_hex, revoke_result):
        # Pebble has no CRL; its management API is its database's view.
        return env.pebble.cert_status(serial_hex).get('Status') == 'Revoked'


class Acme2CertifierCase(AcmeCase):
    """acme2certifier (harness ``acme2certifier_factory``, its openssl CA handler) with
    pre-validated authorizations (a2c's ``sectigo_sim``), so orders finish in one call. The
    issue attribute is the ACME certificate profile ``shortlived`` from its ``meta.profiles``
    (7-day certificates here); renewals carry ``replaces`` (RFC 9773, accepted and ignored by
    a2c; the wire format is proven against the RFC's example in the unit tests). Revocation is
    checked in the CA's own CRL (openssl crl)."""

    def setup(self, env):
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        env.a2c = env.fx['acme2certifier_factory'](prevalidated=True)
        env.account_key = os.path.join(env.work, 'acme-account.key')
        with open(env.account_key, 'wb') as handle:
            handle.write(ec.generate_private_key(ec.SECP256R1()).private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                serialization.BestAvailableEncryption(self.PASSPHRASE.encode())))
        os.chmod(env.account_key, 0o600)

    def options(self, env):
        return {'directory_url': env.a2c.directory_url, 'terms_agreed': True, 'contact': ['pki@example.test'],
                'account_key': env.account_key, 'trust_anchor': env.a2c.ca_cert_path, 'poll_timeout': 20}

    def root_pem(self, env):
        with open(env.a2c.ca_cert_path) as handle:
            return handle.read()

    def revoked_by_ca(self, env, serial_hex, revoke_result):
        # Its CRL, read by openssl. Not handed to `openssl verify -crl_check` (env.crl_pem):
        # a2c 0.46's openssl handler writes nextUpdate == lastUpdate, so openssl calls it expired.
        with open(os.path.join(str(env.a2c.workdir), 'ca', 'crl.pem')) as handle:
            return serial_hex.lower().lstrip('0') in crl_serials(handle.read())


class AcmeRfc2136Case(AcmeCase):
    """Pebble resolving through a real BIND9 (``pebble_bind9`` on ``bind9``): dns-01 answered by
    the connector itself with RFC 2136 updates signed by TSIG, validated by Pebble against
    what BIND serves, in one call per issue. The TSIG secret is the credential that 'wrong
    credentials' gets wrong (BIND refuses the update); revocation needs no TSIG."""

    def setup(self, env):
        env.bind = env.fx['bind9']
        env.pebble = env.fx['pebble_bind9']
        env.trust_anchor = os.path.join(env.work, 'pebble-root.pem')
        with open(env.trust_anchor, 'w') as handle:
            handle.write(env.pebble.roots_pem())

    def options(self, env):
        return {'directory_url': env.pebble.directory_url, 'ca_bundle': env.pebble.ca_bundle, 'terms_agreed': True,
                'trust_anchor': env.trust_anchor, 'poll_timeout': 20, 'challenge_type': 'dns-01',
                'dns_server': env.bind.host, 'dns_port': env.bind.port, 'dns_zone': env.bind.zone,
                'tsig_key_name': env.bind.tsig_key_name, 'tsig_algorithm': env.bind.tsig_algorithm,
                'dns_propagation_timeout': 20}

    def secrets(self, env):
        return {'tsig_secret': env.bind.tsig_secret}

    def bad_secrets(self, env):
        import base64
        return {'tsig_secret': base64.b64encode(b'not the key of this zone, 32 b.').decode()}


CASES: dict[str, Case] = dict((c.id, c) for c in [
    LocalCase(id='local', connector='local', issue_attributes={'validity_days': 30}, max_lifetime_days=30,
              bad_secrets_messages=('wrong passphrase',), down_message='missing-ca'),
    VaultCase(id='vault', bad_secrets_messages=('permission denied',)),
    VaultCase(id='vault-approle', approle=True, full=False, bad_secrets_messages=('invalid role or secret ID',)),
    CfsslCase(id='cfssl', profile='server', bad_secrets_messages=('no authentication provider',)),
    CfsslCase(id='cfssl-authsign', profile='authserver', auth=True, full=False,
              bad_secrets_messages=('invalid token',)),
    AcmeCase(id='acme', connector='acme', fixtures=('pebble_factory',), issue_attributes={'challenge_type': 'http-01'},
             bad_secrets_messages=('passphrase is wrong',), down_message='http://127.0.0.1:9/dir is unreachable'),
    Acme2CertifierCase(id='acme2certifier', connector='acme', fixtures=('acme2certifier_factory',),
                       issue_attributes={'profile': 'shortlived'}, max_lifetime_days=7,
                       bad_secrets_messages=('passphrase is wrong',),
                       down_message='http://127.0.0.1:9/dir is unreachable'),
    AcmeRfc2136Case(id='acme-rfc2136', connector='acme', fixtures=('bind9', 'pebble_bind9'),
                    issue_attributes={'challenge_type': 'dns-01'}, revoke_needs_credentials=False,
                    bad_secrets_messages=('refused the update',),
                    down_message='http://127.0.0.1:9/dir is unreachable'),
])


def write_timings(output_dir: str, case_id: str, timings: dict) -> str:
    os.makedirs(output_dir, exist_ok=True)
    path = os.path.join(output_dir, 'conformance-timings-%s.json' % case_id)
    with open(path, 'w') as handle:
        json.dump(dict(case=case_id, **timings), handle, indent=1, sort_keys=True)
    return path
