# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The certificate record is documented in five modules' RETURN; the copies must not drift.

certificate_issue, _renew, _rekey and _revoke return it as ``certificate``; certificate_info
returns a list of them as ``certificates``, with a few fields of its own on top. Each module's
RETURN is read from its source (ast, no import) and parsed as YAML, as ansible-doc does.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import ast
import json
import os

import pytest
import yaml

MODULES_DIR = os.path.join(os.path.dirname(__file__), '..', '..', '..', '..', 'plugins', 'modules')

# module -> the RETURN key holding the record
RECORD_KEY = {
    'certificate_issue': 'certificate',
    'certificate_renew': 'certificate',
    'certificate_rekey': 'certificate',
    'certificate_revoke': 'certificate',
    'certificate_info': 'certificates',
}
REFERENCE = 'certificate_issue'
# What certificate_info adds to each record it lists (and only it).
INFO_ONLY = {'certificate_pem', 'chain_pem', 'events', 'origin', 'replaceable', 'locations', 'compliance'}


def module_return(name):
    path = os.path.join(MODULES_DIR, name + '.py')
    with open(path) as handle:
        tree = ast.parse(handle.read(), path)
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, 'id', None) == 'RETURN' for t in node.targets):
            return yaml.safe_load(node.value.value)
    raise AssertionError('%s has no RETURN' % path)


def record_fields(name):
    block = module_return(name)[RECORD_KEY[name]]
    assert block['type'] == ('list' if name == 'certificate_info' else 'dict')
    return block['contains']


def _diff(got, want):
    """The field names whose documentation differs, for a readable failure."""
    return sorted(k for k in set(got) | set(want) if got.get(k) != want.get(k))


@pytest.mark.parametrize('name', sorted(set(RECORD_KEY) - {REFERENCE}))
def test_record_documented_identically(name):
    want = record_fields(REFERENCE)
    got = record_fields(name)
    if name == 'certificate_info':
        assert INFO_ONLY <= set(got), 'certificate_info no longer documents %s' % sorted(INFO_ONLY - set(got))
        got = dict((k, v) for k, v in got.items() if k not in INFO_ONLY)
    assert got == want, ('the record in %s differs from %s in: %s (copy the block from %s)'
                         % (name, REFERENCE, ', '.join(_diff(got, want)), REFERENCE))


def test_record_has_the_inventory_fields():
    # Guards the reference itself: a record block that lost its fields would still compare equal.
    fields = record_fields(REFERENCE)
    for name in ('uuid', 'ra_profile', 'state', 'serial', 'subject', 'not_after', 'fingerprint_sha256'):
        assert name in fields, json.dumps(sorted(fields))


def test_comparison_sees_a_change():
    # The comparison must be able to fail: one changed word in one field is a difference.
    want = record_fields(REFERENCE)
    changed = json.loads(json.dumps(want))
    field = sorted(changed)[0]
    changed[field]['description'] = 'something else'
    assert changed != want and _diff(changed, want) == [field]
