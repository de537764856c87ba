# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every file of ``x509/`` shares: whether cryptography is installed, lazy imports of
third-party libraries, and the small caches of bulk work.

Every file of module_utils that uses ``cryptography`` names its modules with ``LazyModule``
(imported on first use, never at import) and relies on ``HAS_CRYPTOGRAPHY`` here, which the
module wrappers report.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import importlib


def _find_spec(name):
    try:
        from importlib.util import find_spec
        return find_spec(name)
    except (ImportError, ValueError):
        return None


# Whether cryptography is installed, found without importing it: the siblings import it on
# first use (LazyModule), so that a task the inventory alone decides (a certificate not due,
# one already revoked, an unchanged profile, certificate_info) imports no cryptography at all.
HAS_CRYPTOGRAPHY = _find_spec('cryptography') is not None
CRYPTOGRAPHY_IMPORT_ERROR = None if HAS_CRYPTOGRAPHY else "No module named 'cryptography'"


class LazyModule(object):
    """A third-party module imported on first attribute access.

    cryptography everywhere (its import costs every module run about 40 ms and 9 MB), and
    libraries only some paths need (asn1crypto: hardware-key signing). Each attribute is
    kept once read: later reads are plain attribute lookups (a due sweep reads thousands).
    Check availability with ``optional_library`` or ``HAS_CRYPTOGRAPHY`` first."""

    def __init__(self, name):
        self.__name = name
        self.__module = None

    def __getattr__(self, attr):
        if attr.startswith('__'):   # copy, pickle and inspect probe dunders: not the module's
            raise AttributeError(attr)
        if self.__module is None:
            self.__module = importlib.import_module(self.__name)
        value = getattr(self.__module, attr)
        setattr(self, attr, value)
        return value


def optional_library(name):
    """(installed, why not) for a third-party library, without importing it."""
    found = _find_spec(name) is not None
    return found, None if found else 'No module named %r; install it on the controller.' % name


def to_bytes(text):
    return text.encode('utf-8') if isinstance(text, str) else text


# Bulk work (the due sweep) reads each stored CSR for the request and again in the CA: callers
# keep the last few results in a dict. Cleared when full rather than evicted one by one: the
# sweep's working set (lifecycle.renew RENEW_BATCH_SIZE CSRs) is far smaller than the limit.
CACHE_LIMIT = 4096


def remember(cache, key, value):
    """``cache[key] = value`` (``cache`` emptied first when full); returns ``value``."""
    if len(cache) >= CACHE_LIMIT:
        cache.clear()
    cache[key] = value
    return value
