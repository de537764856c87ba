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
import traceback


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


# What LazyModule imports on first use across module_utils (x509 brings the asymmetric key
# types, hashes and serialization with it).
CRYPTOGRAPHY_MODULES = ('cryptography.x509', 'cryptography.x509.oid', 'cryptography.exceptions',
                        'cryptography.hazmat.primitives.asymmetric.padding')


def import_cryptography():
    """Import now what a task would import on first use: for a process that forks workers
    (the controller's ansible-playbook), which then find it imported."""
    for name in CRYPTOGRAPHY_MODULES:
        importlib.import_module(name)


_IMPORT_ERROR = []


def cryptography_import_error():
    """None when cryptography imports, else the traceback of its import (tried once). For the
    paths that need it at once (a host's full key check, discovery), whose message must name
    the library: ``HAS_CRYPTOGRAPHY`` says it is installed, not that it imports."""
    if not _IMPORT_ERROR:
        try:
            import_cryptography()
            _IMPORT_ERROR.append(None)
        except ImportError:
            _IMPORT_ERROR.append(traceback.format_exc())
    return _IMPORT_ERROR[0]


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
