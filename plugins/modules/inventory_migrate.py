#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: inventory_migrate
short_description: Copy a whole certificate inventory from one store to another, verified
version_added: 0.1.0
description:
  - Copy every RA profile, token profile, certificate record and event of one inventory
    (O(source)) into another (O(destination)), for example from the SQLite file of a laptop into
    the PostgreSQL database AWX jobs share, or from PostgreSQL into a JSON file as a readable
    backup. Any store can be the source or the destination.
  - The source is read in one consistent snapshot and never changed. The destination is written
    in one transaction (all or nothing), then read back through a new connection and compared
    with the source record for record; any difference fails the task.
  - The destination must be empty or already hold a copy of the source. Records the source does
    not have, or an event log that is not the beginning of the source's, are refused. Running the
    task again after the source grew copies only what is new; when the destination already holds
    everything, nothing changes.
  - Event ids are the destination's own; everything else in an event is copied as it is.
options:
  source:
    description:
      - The inventory to copy from, in the forms O(inventory) takes.
      - Defaults to O(inventory) (and so to its environment variable and default path).
    type: str
  source_password:
    description:
      - Password of a PostgreSQL source. Defaults to O(inventory_password).
    type: str
  destination:
    description:
      - The inventory to copy into, in the forms O(inventory) takes. A SQLite or JSON file is
        created if missing; a PostgreSQL database must exist (its tables are created).
    type: str
    required: true
  destination_password:
    description:
      - Password of a PostgreSQL destination. Without it libpq's own sources apply
        (E(PGPASSWORD), C(~/.pgpass)).
    type: str
  overwrite:
    description:
      - When a record exists on both sides with different contents, replace the destination's
        with the source's. Without it such a record fails the task and nothing is written.
      - Records only the destination has are refused either way.
    type: bool
    default: false
extends_documentation_fragment:
  - pki.lifecycle.attributes
  - pki.lifecycle.attributes.controller
  - pki.lifecycle.inventory
  - pki.lifecycle.secrets
attributes:
  check_mode:
    details: Reports what would be copied; nothing is written.
  diff_mode:
    support: none
requirements:
  - python >= 3.9
  - psycopg >= 3 (for a PostgreSQL source or destination)
notes:
  - O(connector_secrets) and O(token_secrets) are accepted for C(module_defaults) convenience and
    not used; no CA is called and no key is touched.
  - Stop the playbooks that write to the source while copying, or copy again afterwards; what
    they wrote after the snapshot is copied by the next run.
  - "Run it on the controller (C(delegate_to: localhost) or a play on C(localhost))."
author:
  - pki.lifecycle contributors (@pki-lifecycle)
seealso:
  - module: pki.lifecycle.certificate_info
'''

EXAMPLES = r'''
- name: Move the laptop's inventory into the PostgreSQL database AWX uses
  pki.lifecycle.inventory_migrate:
    source: "sqlite:///{{ lookup('env', 'HOME') }}/.local/share/pki.lifecycle/inventory.db"
    destination: "postgresql://pki@db.example.org:5432/pki?sslmode=verify-full&sslrootcert=/etc/pki/db-ca.pem"
    destination_password: "{{ pki_db_password }}"
  delegate_to: localhost
  run_once: true

- name: Nightly readable backup of the shared inventory as JSON
  pki.lifecycle.inventory_migrate:
    source: "postgresql://pki@db.example.org/pki"
    source_password: "{{ pki_db_password }}"
    destination: "json:///var/backups/pki/inventory-{{ now(fmt='%Y-%m-%d') }}.json"
  delegate_to: localhost
  run_once: true
  register: backup

- name: The copy's counts
  ansible.builtin.debug:
    msg: "{{ backup.totals.certificates }} certificates, {{ backup.totals.events }} events"
'''

RETURN = r'''
changed:
  description: Whether anything was written to the destination.
  returned: always
  type: bool
source:
  description: The source inventory, without any password.
  returned: success
  type: str
  sample: sqlite:///home/me/.local/share/pki.lifecycle/inventory.db
destination:
  description: The destination inventory, without any password.
  returned: success
  type: str
  sample: postgresql://pki@db.example.org:5432/pki
copied:
  description: How many records were written (or, in check mode, would be), per collection.
  returned: always
  type: dict
  contains:
    ra_profiles:
      description: RA profiles written.
      type: int
    token_profiles:
      description: Token profiles written.
      type: int
    certificates:
      description: Certificate records written.
      type: int
    events:
      description: Events appended.
      type: int
  sample: {"ra_profiles": 2, "token_profiles": 1, "certificates": 57, "events": 213}
totals:
  description: How many records the source holds, per collection (same keys as RV(copied)).
  returned: always
  type: dict
  sample: {"ra_profiles": 2, "token_profiles": 1, "certificates": 57, "events": 213}
verified:
  description: The destination was read back through a new connection and matches the source
    record for record. V(false) in check mode.
  returned: always
  type: bool
reason:
  description: One sentence saying what was done or why nothing was.
  returned: always
  type: str
  sample: Copied 2 ra profiles, 1 token profiles, 57 certificates, 213 events; verified record for record.
'''

from ansible_collections.pki.lifecycle.plugins.module_utils.common import PkiModule


OPERATION = 'inventory_migrate'


def module_spec():
    """The argument spec and its constraints; the action plugin of the same name validates with
    exactly these (plugins/plugin_utils/controller_action.py)."""
    return dict(
        argument_spec=dict(
            source=dict(type='str'),
            source_password=dict(type='str', no_log=True),
            destination=dict(type='str', required=True),
            destination_password=dict(type='str', no_log=True),
            overwrite=dict(type='bool', default=False),
        ),
    )


def main():
    PkiModule(**module_spec()).run(OPERATION)


if __name__ == '__main__':
    main()
