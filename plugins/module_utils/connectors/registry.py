# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Connector names -> classes.

Ansible ships only the module_utils a module imports, and its packer finds imports anywhere
in a file, also inside functions. Each connector is therefore imported inside
``connector_class`` when it is first asked for: the files are still shipped, but a module
using the embedded CA does not pay for loading acme, josepy or requests (measured by
bench/bench_memory.py and ``python -X importtime``). Each connector guards its own
third-party imports.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.pki.lifecycle.plugins.module_utils.errors import InputError

CONNECTORS = ('acme', 'cfssl', 'local', 'vault')


def _load(name):
    # One static import per connector (the packer must see each of them).
    if name == 'local':
        from ansible_collections.pki.lifecycle.plugins.module_utils.connectors.local import LocalConnector
        return LocalConnector
    if name == 'acme':
        from ansible_collections.pki.lifecycle.plugins.module_utils.connectors.acme.connector import AcmeConnector
        return AcmeConnector
    if name == 'vault':
        from ansible_collections.pki.lifecycle.plugins.module_utils.connectors.vault import VaultConnector
        return VaultConnector
    if name == 'cfssl':
        from ansible_collections.pki.lifecycle.plugins.module_utils.connectors.cfssl import CfsslConnector
        return CfsslConnector
    return None


def connector_class(name):
    cls = _load(name) if name in CONNECTORS else None
    if cls is None:
        raise InputError('Unknown connector %r.' % (name,),
                         'Use one of: %s.' % ', '.join(sorted(CONNECTORS)))
    return cls
