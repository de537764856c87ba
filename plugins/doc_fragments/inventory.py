# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ModuleDocFragment(object):
    """Where the certificate inventory is kept. Argument spec: module_utils/common.py."""

    DOCUMENTATION = r'''
options:
  inventory:
    description:
      - The certificate inventory on the controller, addressed by one string. It holds RA profiles,
        token profiles, certificates and the event log; never a private key or a secret.
      - V(sqlite:///path/to/inventory.db) is a SQLite file, created on first use.
      - V(json:///path/to/inventory.json) is a JSON file, created on first use.
      - V(postgresql://user@host:port/dbname) is a PostgreSQL database; give the password in
        O(inventory_password), not in the string.
      - A bare file path is a JSON file if it ends in V(.json), else a SQLite file. V(~) is
        expanded and relative paths are relative to the current directory.
      - If not set, the environment variable E(PKI_LIFECYCLE_INVENTORY) is used; if that is not set
        either, V(~/.local/share/pki.lifecycle/inventory.db) (SQLite; E(XDG_DATA_HOME) is
        honoured).
      - Set it once for all the modules of the collection with C(module_defaults) and the action
        group C(group/pki.lifecycle.certificates).
    type: str
  inventory_password:
    description:
      - Password of the PostgreSQL inventory user. Not used by the file stores.
      - If not set, the environment variable E(PKI_LIFECYCLE_INVENTORY_PASSWORD) is used, then
        E(PGPASSWORD); without either, libpq's usual sources apply (for example C(~/.pgpass)).
      - Never logged and never stored.
    type: str
'''
