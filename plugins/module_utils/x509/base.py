# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every file of ``x509/`` shares: whether cryptography is installed, lazy imports of
optional libraries, and the small caches of bulk work.

Each sibling guards its own ``cryptography`` import (``except ImportError: pass``) and
relies on ``HAS_CRYPTOGRAPHY`` here, which the module wrappers report.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import importlib
import traceback

try:
    # Only whether it imports: the siblings import what they use themselves.
    from cryptography import x509  # pylint: disable=unused-import
    HAS_CRYPTOGRAPHY = True
    CRYPTOGRAPHY_IMPORT_ERROR = None
except ImportError:
    HAS_CRYPTOGRAPHY = False
    CRYPTOGRAPHY_IMPORT_ERROR = traceback.format_exc()


class LazyModule(object):
    """A third-party module imported on first attribute access.

    For libraries only some paths need (asn1crypto: hardware-key signing), which would
    otherwise cost every module run their import time and memory. Check availability with
    ``optional_library`` first, as a guarded top-level import would."""

    def __init__(self, name):
        self.__name = name
        self.__module = None

    def __getattr__(self, attr):
        if self.__module is None:
            self.__module = importlib.import_module(self.__name)
        return getattr(self.__module, attr)


def optional_library(name):
    """(installed, why not) for a third-party library, without importing it."""
    try:
        from importlib.util import find_spec
        found = find_spec(name) is not None
    except (ImportError, ValueError):
        found = False
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
