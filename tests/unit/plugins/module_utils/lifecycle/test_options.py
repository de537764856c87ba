"""lifecycle.options: connector and token profile options against the spec of their class."""
import pytest

import json
import os
import subprocess
import sys

from ansible_collections.pki.lifecycle.plugins.module_utils.connectors import local as local_connector
from ansible_collections.pki.lifecycle.plugins.module_utils.errors import InputError
from ansible_collections.pki.lifecycle.plugins.module_utils.keys import file as file_store
from ansible_collections.pki.lifecycle.plugins.module_utils.lifecycle.options import check_options, check_secrets

# Read in a plain interpreter: under pytest's collection finder, modules that import
# ansible.module_utils.urls (vault, cfssl) or python-pkcs11 glue do not load.
SPEC_DUMP = """
import json, sys
from ansible_collections.pki.lifecycle.plugins.module_utils.connectors.registry import CONNECTORS, connector_class
from ansible_collections.pki.lifecycle.plugins.module_utils.keys.stores import KEY_STORE_TYPES
classes = dict(('connector ' + n, connector_class(n)) for n in CONNECTORS)
classes.update(('token ' + n, load()) for n, load in KEY_STORE_TYPES.items())
json.dump(dict((k, dict(options=sorted(c.OPTIONS), required=list(c.REQUIRED_OPTIONS),
                        spec=dict((n, sorted(v)) for n, v in c.OPTION_SPEC.items()),
                        types=dict((n, v.get('type', 'str')) for n, v in c.OPTION_SPEC.items()),
                        spec_required=sorted(n for n, v in c.OPTION_SPEC.items() if v.get('required'))))
               for k, c in classes.items()), sys.stdout)
"""
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), *(['..'] * 5)))


def test_every_option_has_a_spec_and_every_spec_an_option():
    # A new option needs both: its description (docs, messages) and its type (checked at creation).
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, '.collections'))
    out = subprocess.run([sys.executable, '-c', SPEC_DUMP], capture_output=True, text=True, env=env, check=True)
    classes = json.loads(out.stdout)
    assert len(classes) >= 6, sorted(classes)
    for kind, c in classes.items():
        assert set(c['options']) == set(c['spec']), (kind, set(c['options']) ^ set(c['spec']))
        for name, keys in c['spec'].items():
            assert set(keys) <= {'type', 'required', 'default', 'choices', 'min', 'check'}, (kind, name)
            assert c['types'][name] in ('str', 'int', 'number', 'bool', 'list', 'raw'), (kind, name)
        assert set(c['required']) <= set(c['spec_required']), kind


@pytest.fixture
def local():
    return local_connector.LocalConnector


@pytest.mark.parametrize('given,words', [
    ({'validity_days': 'ninety'}, ['connector_options.validity_days', "'ninety'", 'whole number']),
    ({'validity_days': 0}, ['connector_options.validity_days', 'at least 1']),
    ({'ca_key_type': 'dsa'}, ['connector_options.ca_key_type', 'rsa, ec, ed25519']),
    ({'crl_distribution_point': [{'url': 'x'}]}, ['crl_distribution_point', 'list of non-empty strings']),
    ({'chain_includes_root': 'maybe'}, ['chain_includes_root', 'true or false']),
    ({'extended_key_usage': 'servers'}, ['extended_key_usage', 'server, client, both']),
    ({'extended_key_usage': ['server_auth', 'flying']}, ['extended_key_usage', 'flying']),
    ({'colour': 'red'}, ['unknown connector_options colour', 'validity_days']),
    ({'ca_password': 'x'}, ['looks like a secret', 'connector_secrets']),
])
def test_local_options_refused_naming_profile_and_option(local, given, words):
    with pytest.raises(InputError) as err:
        check_options(local, given, "RA profile 'web'", 'connector_options', 'connector_secrets')
    text = str(err.value)
    assert "RA profile 'web'" in text
    for word in words:
        assert word in text, (word, text)


def test_options_are_stored_in_their_type(local):
    got = check_options(local, {'validity_days': '30', 'chain_includes_root': 'yes', 'directory': '/x',
                                'extended_key_usage': ['client_auth', '1.3.6.1.5.5.7.3.17'], 'ca_key': None},
                        'RA profile', 'connector_options', 'connector_secrets')
    assert got == {'validity_days': 30, 'chain_includes_root': True, 'directory': '/x',
                   'extended_key_usage': ['client_auth', '1.3.6.1.5.5.7.3.17']}


def test_required_options_of_token_types():
    with pytest.raises(InputError, match=r"token profile 'k': options.path is required \(token type file\)"):
        check_options(file_store.FileKeyStore, {}, "token profile 'k'", 'options', 'token_secrets')
    with pytest.raises(InputError, match=r"options.path is \['a'\], not a string"):
        check_options(file_store.FileKeyStore, {'path': ['a']}, "token profile 'k'", 'options', 'token_secrets')


def test_secrets_names_and_shape_never_the_value(local):
    check_secrets(local, {'ca_passphrase': 's3cret', 'ca_pin': 1234}, 'p', 'connector_secrets')
    with pytest.raises(InputError, match='unknown connector_secrets ca_password') as err:
        check_secrets(local, {'ca_password': 's3cret'}, "RA profile 'web'", 'connector_secrets')
    assert 's3cret' not in str(err.value)
    with pytest.raises(InputError, match='ca_passphrase is a dict') as err:
        check_secrets(local, {'ca_passphrase': {'nested': 's3cret'}}, 'p', 'connector_secrets')
    assert 's3cret' not in str(err.value)
