# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Token profile type ``pkcs11``: private keys inside a PKCS#11 token (HSM, smart card, SoftHSM2).

One concern per file; this package re-exports their public names:

- ``store.py``: ``Pkcs11KeyStore``, the ``keys.base.KeyStore`` adapter (options, secrets);
- ``token.py``: finding the token, its mechanisms, the process's logged-in session
  (``close_sessions``); python-pkcs11 is imported there, guarded (``HAS_PKCS11``);
- ``objects.py``: key objects by label or PKCS#11 URI (``parse_key_name``), their public
  keys, generation and destruction;
- ``signing.py``: ``Pkcs11Signer``, the mechanism for each signature algorithm.

``keys/stores.py`` imports this package only when a pkcs11 token profile is used.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.pki.lifecycle.plugins.module_utils.keys.pkcs11.objects import parse_key_name
from ansible_collections.pki.lifecycle.plugins.module_utils.keys.pkcs11.signing import Pkcs11Signer
from ansible_collections.pki.lifecycle.plugins.module_utils.keys.pkcs11.store import Pkcs11KeyStore
from ansible_collections.pki.lifecycle.plugins.module_utils.keys.pkcs11.token import (
    HAS_PKCS11, PIN_ENV, PKCS11_IMPORT_ERROR, close_sessions,
)
