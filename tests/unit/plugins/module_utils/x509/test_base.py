# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for module_utils/x509/base.py: optional libraries, lazy imports, bounded caches."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import sys

import pytest

from ansible_collections.pki.lifecycle.plugins.module_utils.x509 import base


def test_optional_library():
    assert base.optional_library('json') == (True, None)
    found, why = base.optional_library('pki_lifecycle_no_such_library')
    assert not found and "'pki_lifecycle_no_such_library'" in why and 'install it' in why


def test_lazy_module_imports_on_first_use(monkeypatch):
    monkeypatch.delitem(sys.modules, 'wave', raising=False)
    lazy = base.LazyModule('wave')
    assert 'wave' not in sys.modules
    assert lazy.Error.__name__ == 'Error'
    assert 'wave' in sys.modules
    with pytest.raises(ImportError):
        base.LazyModule('pki_lifecycle_no_such_library').anything


def test_remember_is_bounded(monkeypatch):
    monkeypatch.setattr(base, 'CACHE_LIMIT', 3)
    cache = {}
    for key in range(3):
        assert base.remember(cache, key, key * 10) == key * 10
    assert cache == {0: 0, 1: 10, 2: 20}
    base.remember(cache, 3, 30)
    assert cache == {3: 30}
