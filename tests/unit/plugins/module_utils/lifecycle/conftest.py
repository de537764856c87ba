"""Fixtures for lifecycle's own unit tests: in-process ``lifecycle.run`` against a temporary
inventory (SQLite and JSON, each test runs on both) and the embedded CA (connector local)."""
import json

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def _lifecycle():
    # Imported when a test runs, not when this conftest loads: pytest loads the conftest of a
    # directory named on its command line before pytest-ansible puts its collection finder on
    # sys.meta_path, and a collection package imported before that finder confuses it.
    from ansible_collections.pki.lifecycle.plugins.module_utils import lifecycle
    return lifecycle


def _open_store(inventory):
    from ansible_collections.pki.lifecycle.plugins.module_utils.inventory.stores import open_store
    return open_store(inventory)


class Pki(object):
    """One inventory with an RA profile ``web`` on its own embedded CA and a file token profile ``keys``."""

    def __init__(self, tmp_path, scheme):
        suffix = 'db' if scheme == 'sqlite' else 'json'
        self.tmp_path = tmp_path
        self.inventory = '%s://%s' % (scheme, tmp_path / ('inventory.' + suffix))
        self.ca_dir = tmp_path / 'ca'
        self.keys_dir = tmp_path / 'keys'

    def run(self, operation, check_mode=False, diff_mode=False, **params):
        params.setdefault('inventory', self.inventory)
        return _lifecycle().run(operation, params, check_mode=check_mode, diff_mode=diff_mode)

    def ra_profile(self, **overrides):
        params = dict(name='web', state='present', connector='local',
                      connector_options=dict(directory=str(self.ca_dir), ca_subject='CN=Unit Test CA'),
                      policy=dict(allowed_names=['*.example.org'], renew_before='30'))
        params.update(overrides)
        return self.run('ra_profile', **params)

    def token_profile(self, **overrides):
        params = dict(name='keys', state='present', type='file', options=dict(path=str(self.keys_dir)))
        params.update(overrides)
        return self.run('token_profile', **params)

    def csr(self, name, key=None):
        """A CSR PEM for DNS:``name`` (CN too) with a new (or the given) P-256 key."""
        key = key or ec.generate_private_key(ec.SECP256R1())
        csr = (x509.CertificateSigningRequestBuilder()
               .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
               .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
               .sign(key, hashes.SHA256()))
        return csr.public_bytes(serialization.Encoding.PEM).decode()

    def issue(self, name='www.example.org', **params):
        params.setdefault('csr', self.csr(name))
        return self.run('issue', ra_profile='web', **params)

    def snapshot(self):
        """Everything the inventory holds, as JSON text: equal snapshots mean nothing was written."""
        store = _open_store(self.inventory)
        try:
            with store.transaction(write=False) as tx:
                return json.dumps(dict(
                    ra=tx.list_ra_profiles(), tokens=tx.list_token_profiles(),
                    certificates=sorted(tx.find_certificates(), key=lambda r: r['uuid']),
                    events=len(tx.list_events())), sort_keys=True, default=str)
        finally:
            store.close()

    def certificates(self, **filters):
        store = _open_store(self.inventory)
        try:
            with store.transaction(write=False) as tx:
                return tx.find_certificates(**filters)
        finally:
            store.close()


@pytest.fixture(params=['sqlite', 'json'])
def pki(request, tmp_path):
    """A fresh inventory of each store type with the RA profile and token profile in place."""
    pki = Pki(tmp_path, request.param)
    pki.ra_profile()
    pki.token_profile()
    return pki


@pytest.fixture
def forbid_ca(monkeypatch):
    """Call it to make every later call to the embedded CA fail the test; returns the list of
    the calls tried (check mode must not reach the CA)."""
    calls = []

    def refuse(name):
        def call(self, *args, **kwargs):
            calls.append(name)
            raise AssertionError('the CA was called: %s' % name)
        return call

    def arm():
        from ansible_collections.pki.lifecycle.plugins.module_utils.connectors.local import LocalConnector
        for name in ('issue', 'renew', 'revoke', 'resume', 'lookup'):
            monkeypatch.setattr(LocalConnector, name, refuse(name))
        return calls
    return arm
