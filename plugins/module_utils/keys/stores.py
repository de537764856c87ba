# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Open a token profile (key store) from its inventory record.

Ansible ships a module only the module_utils it imports, and its packer finds imports inside
functions too; so each store file is imported (statically, never through importlib) inside
the loader below when its type is first used. A module working with file keys does not pay
for loading python-pkcs11. Each import is guarded so that one store's missing dependency does
not break the others.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.pki.lifecycle.plugins.module_utils.errors import InputError


def _file_store():
    try:
        from ansible_collections.pki.lifecycle.plugins.module_utils.keys.file import FileKeyStore
    except ImportError:
        return None
    return FileKeyStore


def _pkcs11_store():
    # pkcs11 guards python-pkcs11 itself and reports it missing when a pkcs11 profile is used.
    try:
        from ansible_collections.pki.lifecycle.plugins.module_utils.keys.pkcs11 import Pkcs11KeyStore
    except ImportError:
        return None
    return Pkcs11KeyStore


# type -> loader of its KeyStore class
KEY_STORE_TYPES = {
    'file': _file_store,
    'pkcs11': _pkcs11_store,
}


def open_key_store(profile_record, secrets=None):
    """A KeyStore for a token profile record ({name, type, options}); ``secrets`` from
    the module's ``token_secrets`` (never stored)."""
    store_type = profile_record.get('type')
    loader = KEY_STORE_TYPES.get(store_type)
    store_class = loader() if loader else None
    if store_class is None:
        raise InputError("token profile '%s' has unknown type '%s'." % (profile_record.get('name'), store_type),
                         'Known types: %s.' % ', '.join(sorted(KEY_STORE_TYPES)))
    return store_class(profile_record.get('name'), profile_record.get('options') or {}, secrets or {})
