"""Module-level tests: one module call at a time through pytest-ansible (harness/modules.py),
on localhost with the embedded CA, or on an SSH test host (certificate_request).

``pki``: an inventory of each kind (SQLite and JSON) in a fresh directory, with the helpers
every module test needs; ``pki.setup()`` creates the RA profile ``web`` (embedded CA in
``<work>/ca``) and the token profile ``keys`` (key files in ``<work>/keys``).
"""
from __future__ import annotations

import pytest

from harness.pki import certificate_rows, make_csr, snapshot


class Pki:
    def __init__(self, call, kind, tmp_path):
        self.call = call            # call(module_fqcn, check=False, **args) -> result dict
        self.work = tmp_path
        self.path = str(tmp_path / ('inventory.db' if kind == 'sqlite' else 'inventory.json'))
        self.url = '%s://%s' % (kind, self.path)
        self.ca_dir = str(tmp_path / 'ca')
        self.key_dir = str(tmp_path / 'keys')

    def __call__(self, module, check=False, **args):
        """Run pki.lifecycle.<module> against this inventory."""
        args.setdefault('inventory', self.url)
        return self.call('pki.lifecycle.' + module, check=check, **args)

    def setup(self):
        ra = self('ra_profile', name='web', connector='local', connector_options={'directory': self.ca_dir},
                  policy={'allowed_names': ['*.example.test', 'example.test'], 'max_validity_days': 90,
                          'renew_before': '30'})
        token = self('token_profile', name='keys', type='file', options={'path': self.key_dir})
        assert ra['changed'] and token['changed'], (ra, token)
        return self

    def csr(self, name, **kwargs):
        return make_csr(self.work, name, **kwargs)

    def issue(self, name, **args):
        """A certificate from a fresh CSR for ``name``."""
        result = self('certificate_issue', ra_profile='web', csr=self.csr(name), **args)
        assert result['changed'] and not result.get('failed'), result
        return result

    @staticmethod
    def assert_failed(result, *words):
        """A failed call whose message names the problem and the fix (``words``, all present)."""
        assert result.get('failed'), result
        missing = [w for w in words if w not in result['msg']]
        assert not missing, (missing, result['msg'])

    def snapshot(self):
        return snapshot(self.path)

    def rows(self):
        return certificate_rows(self.path)


@pytest.fixture(params=['sqlite', 'json'])
def pki(request, pki_localhost, tmp_path):
    return Pki(pki_localhost, request.param, tmp_path)
