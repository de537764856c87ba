"""Imports for the discovery unit tests, made in a conftest as tests/unit/.../lifecycle/conftest.py
does: once pytest-ansible's collection finder is on sys.meta_path, a first import of a collection
module while a test file is collected fails in that finder."""
# pylint: disable=unused-import
from ansible_collections.pki.lifecycle.plugins.module_utils import compliance  # noqa: F401
from ansible_collections.pki.lifecycle.plugins.module_utils.discovery import files, inventory, parse, tls  # noqa: F401
