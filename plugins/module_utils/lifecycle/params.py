# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Checks on module parameters that every operation shares, run before anything is read or
written: names that are empty, validity_days below 1, label values that are not strings, a
certificate that is neither a uuid, a serial nor PEM. The argument spec checks types; these
are the values it lets through that would otherwise be taken as "not set" or fail later
with a message that does not name the option."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import re

from ansible_collections.pki.lifecycle.plugins.module_utils.errors import InputError
from ansible_collections.pki.lifecycle.plugins.module_utils.policy import positive_days
from ansible_collections.pki.lifecycle.plugins.module_utils.vocabulary import shorten

# Option -> what it names, for "<option> is empty" messages.
NAMES = {
    'name': 'the name of the profile',
    'ra_profile': 'the name of an RA profile',
    'token_profile': 'the name of a token profile',
    'key': 'the name of the key in the token profile',
}
_UUID_RE = re.compile(r'^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$', re.I)
_SERIAL_RE = re.compile(r'^(0x)?[0-9a-f]{1,2}(:?[0-9a-f]{1,2})*$', re.I)
# Label values are strings; a number passes as written in YAML, nested data is refused.
NESTED = (dict, list, tuple, set)


def certificate_selector_ok(value):
    """A uuid, a hex serial (colons and 0x allowed), PEM text or an existing file."""
    text = value.strip()
    return bool(text) and ('-----BEGIN' in text or os.path.isfile(os.path.expanduser(text)) or
                           bool(_UUID_RE.match(text)) or bool(_SERIAL_RE.match(text)))


def check_params(params):
    """Raise InputError naming the option and the fix; returns nothing."""
    for option, what in NAMES.items():
        value = params.get(option)
        if isinstance(value, str) and not value.strip():
            raise InputError('%s is empty; it must be %s.' % (option, what),
                             'Give %s, e.g. %s: web.' % (what, option)
                             if option not in ('key',) else 'Give the key name, e.g. key: www.')
    inventory = params.get('inventory')
    if isinstance(inventory, str) and not inventory.strip():
        # Not the default inventory in the home directory: '' is most often a variable left empty.
        raise InputError('inventory is empty.',
                         'Leave it out (or unset PKI_LIFECYCLE_INVENTORY) for the default '
                         '~/.local/share/pki.lifecycle/inventory.db, or give one, e.g. '
                         'sqlite:///var/lib/pki/inventory.db.')
    if params.get('validity_days') is not None:
        positive_days(params['validity_days'], 'validity_days')
    labels = params.get('labels')
    for key, value in (labels or {}).items():
        if isinstance(value, NESTED):
            raise InputError('labels.%s is a %s (%s); label values are strings.'
                             % (shorten(str(key), 40), type(value).__name__, shorten(repr(value), 40)),
                             "Give a string, e.g. labels: {%s: 'www1'}; put structured data in several labels."
                             % shorten(str(key), 40))
    certificate = params.get('certificate')
    if certificate is not None and not certificate_selector_ok(str(certificate)):
        raise InputError('certificate %s is not a uuid, serial or PEM (nor a file holding PEM).'
                         % shorten(repr(certificate), 60),
                         "Give the certificate's uuid (certificate.uuid of the run that issued it), its "
                         'serial in hex (colons allowed) or its PEM text or file.')
