"""lifecycle.params: the checks every operation makes on its parameters before it opens the
inventory (empty names, validity_days below 1, nested labels, certificate selectors)."""
import pytest

from ansible_collections.pki.lifecycle.plugins.module_utils.errors import InputError
from ansible_collections.pki.lifecycle.plugins.module_utils.lifecycle.params import (
    certificate_selector_ok, check_params,
)


@pytest.mark.parametrize('value', [
    '4f3a', '4F:3A:00', '0x4f3a', '0c2d6a36-5c2b-4d4c-9a0e-6f3b8d9f1a2b', '-----BEGIN CERTIFICATE-----\nx\n',
])
def test_selectors_accepted(value):
    assert certificate_selector_ok(value)


@pytest.mark.parametrize('value', ['', '   ', 'zz:zz:not-hex', 'www.example.org', '4f 3a', '/no/such/file.pem'])
def test_selectors_refused(value):
    assert not certificate_selector_ok(value)
    with pytest.raises(InputError, match='is not a uuid, serial or PEM'):
        check_params({'certificate': value})


@pytest.mark.parametrize('params,words', [
    ({'name': ''}, ['name is empty']),
    ({'ra_profile': '  '}, ['ra_profile is empty', 'ra_profile: web']),
    ({'token_profile': ''}, ['token_profile is empty']),
    ({'key': ''}, ['key is empty']),
    ({'inventory': ''}, ['inventory is empty', 'Leave it out']),
    ({'validity_days': 0}, ['validity_days is 0', 'at least 1']),
    ({'validity_days': -5}, ['validity_days is -5']),
    ({'labels': {'host': {'nested': 1}}}, ['labels.host is a dict', 'strings']),
    ({'labels': {'hosts': ['a', 'b']}}, ['labels.hosts is a list']),
])
def test_refused_with_the_option_named(params, words):
    with pytest.raises(InputError) as err:
        check_params(params)
    for word in words:
        assert word in str(err.value), (word, str(err.value))


def test_accepted():
    check_params({'name': 'web', 'ra_profile': None, 'validity_days': 1, 'labels': {'host': 'www', 'port': 443},
                  'certificate': None, 'inventory': None})
