# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Token profile type ``pkcs11``: the ``keys.base.KeyStore`` adapter over a token
(``token.py``), its key objects (``objects.py``) and signing inside it (``signing.py``).

Options (stored): ``module`` (absolute path of the PKCS#11 library), and the token by
``token_label``, ``token_serial`` or ``slot`` (slot id). Secret (never stored):
``pin`` (``token_secrets.pin``, env ``PKI_LIFECYCLE_PKCS11_PIN``), the user PIN.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

from ansible_collections.pki.lifecycle.plugins.module_utils.errors import InputError
from ansible_collections.pki.lifecycle.plugins.module_utils.keys.base import KeyStore
from ansible_collections.pki.lifecycle.plugins.module_utils.keys.pkcs11.objects import KeyObjects
from ansible_collections.pki.lifecycle.plugins.module_utils.keys.pkcs11.signing import Pkcs11Signer
from ansible_collections.pki.lifecycle.plugins.module_utils.keys.pkcs11.token import (
    PIN_ENV, SELECTORS, TokenSession, mechanism_names,
)


class Pkcs11KeyStore(KeyStore):
    type = 'pkcs11'
    OPTIONS = {
        'module': 'absolute path of the PKCS#11 library, e.g. /usr/lib/softhsm/libsofthsm2.so',
        'token_label': 'label of the token',
        'token_serial': 'serial number of the token',
        'slot': 'slot id of the token (an integer)',
    }
    OPTION_SPEC = {
        'module': dict(type='str', required=True),
        'token_label': dict(type='str'),
        'token_serial': dict(type='str'),
        'slot': dict(type='int', min=0),
    }
    REQUIRED_OPTIONS = ('module',)
    SECRETS = {'pin': 'the user PIN of the token'}
    SECRET_ENV = {'pin': PIN_ENV}

    def __init__(self, name, options, secrets):
        super(Pkcs11KeyStore, self).__init__(name, options, secrets)  # refuses unknown names
        module = self.options.get('module')
        if not module or not isinstance(module, str):
            raise InputError("token profile '%s' (type pkcs11) needs option module, the path of the "
                             "PKCS#11 library." % name,
                             'Set options: {module: /usr/lib/softhsm/libsofthsm2.so, token_label: ...}.')
        self.module = os.path.expanduser(module)
        if not any(self.options.get(o) not in (None, '') for o in SELECTORS):
            raise InputError("token profile '%s' (type pkcs11) does not say which token to use." % name,
                             'Set token_label, token_serial or slot in its options.')
        slot = self.options.get('slot')
        if slot not in (None, ''):
            try:
                slot = int(str(slot), 0)
            except ValueError:
                raise InputError("token profile '%s': slot %r is not an integer." % (name, slot),
                                 'Give the slot id, e.g. as listed by pkcs11-tool -L or softhsm2-util --show-slots.')
        else:
            slot = None
        pin = self.secret('pin')
        self.token = TokenSession(name, self.module, self.options, slot, None if pin in (None, '') else str(pin))
        self.objects = KeyObjects(self.token)

    def check(self):
        self.token.session()
        token = self.token.token()
        return {'token': token.label, 'slot': token.slot.slot_id,
                'mechanisms': mechanism_names(self.token.mechanisms())}

    def has_key(self, key_name):
        return self.objects.private(key_name) is not None

    def public_key(self, key_name):
        """A cryptography public key from the token's public key attributes."""
        return self.objects.public_key(key_name)

    def signer(self, key_name):
        private = self.objects.private(key_name)
        if private is None:
            raise self.objects.missing(key_name)
        return Pkcs11Signer(self.token, key_name, private, self.objects.public_key(key_name, private))

    def generate(self, key_name, spec):
        private, public_key = self.objects.generate(key_name, spec)
        return Pkcs11Signer(self.token, key_name, private, public_key)

    def destroy(self, key_name):
        """Destroy the private key and its public key object; False when there was none."""
        return self.objects.destroy(key_name)
