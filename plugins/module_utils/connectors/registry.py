# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Connector names -> classes.

Ansible ships only the module_utils a module imports statically, so every connector file is
imported here at the top; each guards its own third-party imports.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.pki.lifecycle.plugins.module_utils.errors import InputError
from ansible_collections.pki.lifecycle.plugins.module_utils.connectors.local import LocalConnector

CONNECTORS = {
    'local': LocalConnector,
}


def connector_class(name):
    try:
        return CONNECTORS[name]
    except KeyError:
        raise InputError('Unknown connector %r.' % (name,),
                         'Use one of: %s.' % ', '.join(sorted(CONNECTORS)))
