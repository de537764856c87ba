# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Open the inventory store an ``inventory`` string names.

Accepted forms:

- unset or empty: ``$PKI_LIFECYCLE_INVENTORY`` if set, else SQLite at
  ``$XDG_DATA_HOME/pki.lifecycle/inventory.db`` (``~/.local/share/...`` by default);
- ``sqlite:///abs/path.db`` and ``json:///abs/path.json``: after ``scheme://`` comes the
  path; a path starting with ``/`` is absolute however many slashes precede it, so the
  SQLAlchemy spelling ``sqlite:////abs/path.db`` means the same file. Without a leading
  slash (``sqlite://data/inventory.db``, ``sqlite:data/inventory.db``) the path is relative
  to the current directory; ``~`` is expanded;
- a bare path: ``*.json`` is a JSON store, anything else SQLite;
- ``postgresql://user@host[:port]/db`` (or ``postgres://``): PostgreSQL; the password comes
  from ``password`` (option ``inventory_password``) rather than the URL.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import re

from ansible_collections.pki.lifecycle.plugins.module_utils.errors import InventoryError
from ansible_collections.pki.lifecycle.plugins.module_utils.inventory.base import without_password
from ansible_collections.pki.lifecycle.plugins.module_utils.inventory.jsonfile import JsonStore
from ansible_collections.pki.lifecycle.plugins.module_utils.inventory.sqlite import SqliteStore


_NOT_LOADED = object()
postgresql = _NOT_LOADED  # the postgresql store module once loaded; None when it cannot be
POSTGRESQL_IMPORT_ERROR = None


def _postgresql():
    """The postgresql store module, or (None, why not).

    Imported on first use, not at the top: Ansible's packer finds (and ships) imports inside
    functions too, and SQLite and JSON users do not pay for loading psycopg on every task.
    Inside try so the packer treats it as optional and a missing driver only matters to
    PostgreSQL users.
    """
    global postgresql, POSTGRESQL_IMPORT_ERROR  # pylint: disable=global-statement
    if postgresql is _NOT_LOADED:
        try:
            from ansible_collections.pki.lifecycle.plugins.module_utils.inventory import postgresql as module
        except ImportError as exc:
            module, POSTGRESQL_IMPORT_ERROR = None, str(exc)
        postgresql = module
    return postgresql, POSTGRESQL_IMPORT_ERROR


FORMS = ("sqlite:///path/inventory.db, json:///path/inventory.json, "
         "postgresql://user@host/db, a bare path (*.json is JSON, anything else SQLite), "
         "or nothing for the default %s")
_SCHEME = re.compile(r'^([A-Za-z][A-Za-z0-9+.-]*):(.*)$', re.S)


def default_path():
    data_home = os.environ.get('XDG_DATA_HOME')
    if not data_home or not os.path.isabs(data_home):  # the XDG spec says ignore relative
        data_home = os.path.join(os.path.expanduser('~'), '.local', 'share')
    return os.path.join(data_home, 'pki.lifecycle', 'inventory.db')


def _path(rest):
    if rest.startswith('//'):
        rest = rest[2:]
    if rest.startswith('/'):
        rest = '/' + rest.lstrip('/')
    if not rest:
        raise InventoryError("The inventory URL has no path.",
                             "Use one of: " + FORMS % default_path() + ".")
    return os.path.abspath(os.path.expanduser(rest))


def parse(inventory):
    """(kind, target): kind 'sqlite' or 'json' with an absolute path, or 'postgresql' with
    the URL as given."""
    if inventory is None or not inventory.strip():
        inventory = os.environ.get('PKI_LIFECYCLE_INVENTORY', '').strip()
        if not inventory:
            return 'sqlite', default_path()
    inventory = inventory.strip()
    match = _SCHEME.match(inventory)
    # One letter is a Windows drive, not a scheme; 'name:x' without '//' may be a file name.
    if match and len(match.group(1)) > 1:
        scheme, rest = match.group(1).lower(), match.group(2)
        if scheme in ('sqlite', 'sqlite3'):
            return 'sqlite', _path(rest)
        if scheme == 'json':
            return 'json', _path(rest)
        if scheme in ('postgresql', 'postgres'):
            return 'postgresql', inventory
        if rest.startswith('//'):
            raise InventoryError("The inventory %s has an unknown scheme %r."
                                 % (without_password(inventory), scheme),
                                 "Use one of: " + FORMS % default_path() + ".")
    kind = 'json' if inventory.lower().endswith('.json') else 'sqlite'
    return kind, os.path.abspath(os.path.expanduser(inventory))


def open_store(inventory=None, password=None):
    """The ``InventoryStore`` for an ``inventory`` string (see the module docstring).

    ``password`` is only used by PostgreSQL; file stores ignore it (it may come from a
    PGPASSWORD environment fallback that has nothing to do with them).
    """
    kind, target = parse(inventory)
    if kind == 'sqlite':
        return SqliteStore(target)
    if kind == 'json':
        return JsonStore(target)
    postgresql, import_error = _postgresql()
    if postgresql is None:
        raise InventoryError("The inventory %s needs the postgresql store, which is not "
                             "available (%s)." % (describe(target), import_error),
                             "Use an SQLite or JSON inventory, or install what is missing.")
    return postgresql.PostgresqlStore(target, password=password)


def describe(inventory):
    """How to show ``inventory`` to a user: normalised, with no password in it."""
    try:
        kind, target = parse(inventory)
    except InventoryError:
        return without_password((inventory or '').strip())
    if kind == 'postgresql':
        return without_password(target)
    return '%s://%s' % (kind, target)
