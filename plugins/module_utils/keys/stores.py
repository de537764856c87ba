# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Open a token profile (key store) from its inventory record.

Ansible ships a module only the module_utils it imports statically, so every store file
is imported at the top of this file (never through importlib), each guarded so that one
store's missing dependency does not break the others.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.pki.lifecycle.plugins.module_utils.errors import InputError

KEY_STORE_TYPES = {}

try:
    from ansible_collections.pki.lifecycle.plugins.module_utils.keys.file import FileKeyStore
    KEY_STORE_TYPES[FileKeyStore.type] = FileKeyStore
except ImportError:
    pass

# --- pkcs11: add keys/pkcs11.py's store here, in the same shape -------------------------
# try:
#     from ansible_collections.pki.lifecycle.plugins.module_utils.keys.pkcs11 import Pkcs11KeyStore
#     KEY_STORE_TYPES[Pkcs11KeyStore.type] = Pkcs11KeyStore
# except ImportError:
#     pass
# -----------------------------------------------------------------------------------------


def open_key_store(profile_record, secrets=None):
    """A KeyStore for a token profile record ({name, type, options}); ``secrets`` from
    the module's ``token_secrets`` (never stored)."""
    store_type = profile_record.get('type')
    store_class = KEY_STORE_TYPES.get(store_type)
    if store_class is None:
        raise InputError("token profile '%s' has unknown type '%s'." % (profile_record.get('name'), store_type),
                         'Known types: %s.' % ', '.join(sorted(KEY_STORE_TYPES)))
    return store_class(profile_record.get('name'), profile_record.get('options') or {}, secrets or {})
