#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: token_profile
short_description: Manage token profiles, the key stores private keys are kept and used in
version_added: 0.1.0
description:
  - Create, update or remove a token profile in the certificate inventory.
  - A token profile is a key store, a directory of key files or a PKCS#11 token (an HSM, a smart
    card, SoftHSM). Certificates are requested with a key in a token profile
    (O(pki.lifecycle.certificate_issue#module:token_profile) and
    O(pki.lifecycle.certificate_issue#module:key)); the CSR is signed inside the token, and the
    key is never read out of it, returned, logged or stored.
  - The profile is stored without secrets. The passphrase or PIN come in O(token_secrets) with
    every task that uses the token.
  - The task declares the whole profile. It reports a change only when the stored profile
    differs from the declared one.
options:
  name:
    description:
      - The name of the token profile, unique in the inventory.
    type: str
    required: true
  state:
    description:
      - V(present) creates or updates the profile.
      - V(absent) removes the profile from the inventory. The keys in the token are left as they are.
    type: str
    choices: [present, absent]
    default: present
  type:
    description:
      - The kind of key store.
      - V(file), PEM private key files in a directory on the controller.
      - V(pkcs11), a PKCS#11 token.
    type: str
    choices: [file, pkcs11]
    default: file
  options:
    description:
      - Where the key store is. Stored in the inventory, so no secrets here (a key that looks
        like one is refused; use O(token_secrets)).
      - An unknown option for the O(type) is refused with the list of valid ones.
      - "V(file): C(path), the directory holding the key files (a relative path or V(~) is made absolute)."
      - "V(pkcs11): C(module), the path of the PKCS#11 library (for example
        V(/usr/lib/softhsm/libsofthsm2.so)); the token, by C(token_label), C(token_serial) or
        C(slot) (an integer)."
    type: dict
    default: {}
  validate:
    description:
      - Check that the token can be used (for a V(file) token its directory, for a V(pkcs11)
        token that the library loads, the token is found and the PIN in O(token_secrets) logs
        in). The task fails with the reason if not.
      - Not done in check mode.
    type: bool
    default: false
extends_documentation_fragment:
  - pki.lifecycle.attributes
  - pki.lifecycle.attributes.controller
  - pki.lifecycle.inventory
  - pki.lifecycle.secrets
attributes:
  diff_mode:
    support: full
requirements:
  - python >= 3.9
  - cryptography >= 41
notes:
  - "The module runs on the controller, where the inventory and the connector's credentials are.
    Use it in a play on C(localhost) or with C(delegate_to: localhost); the roles of the
    collection do that for you."
author:
  - pki.lifecycle contributors (@pki-lifecycle)
seealso:
  - module: pki.lifecycle.ra_profile
  - module: pki.lifecycle.certificate_issue
'''

EXAMPLES = r'''
- name: Keys in files on the controller
  pki.lifecycle.token_profile:
    name: web-keys
    type: file
    options:
      path: /var/lib/pki/keys/web
  delegate_to: localhost
  run_once: true

- name: Keys in an HSM token, checked with its PIN
  pki.lifecycle.token_profile:
    name: hsm
    type: pkcs11
    options:
      module: /usr/lib/softhsm/libsofthsm2.so
      token_label: pki
    token_secrets:
      pin: "{{ vault_hsm_pin }}"
    validate: true
  delegate_to: localhost
  run_once: true

- name: Forget a token profile (its keys stay in the token)
  pki.lifecycle.token_profile:
    name: old-hsm
    state: absent
  delegate_to: localhost
  run_once: true
'''

RETURN = r'''
token_profile:
  description:
    - The token profile as stored in the inventory (no secrets).
    - Empty after O(state=absent).
  returned: success
  type: dict
  sample:
    name: web-keys
    type: file
    options: {path: /var/lib/pki/keys/web}
    created_at: "2026-11-25T16:30:00Z"
    updated_at: "2026-11-25T16:30:00Z"
  contains:
    name:
      description: The name.
      type: str
    type:
      description: The kind of key store.
      type: str
    options:
      description: Where the key store is.
      type: dict
    created_at:
      description: When the profile was created, ISO 8601 in UTC.
      type: str
    updated_at:
      description: When the profile last changed, ISO 8601 in UTC.
      type: str
changed:
  description: Whether the profile was (in check mode, would be) created, changed or removed.
  returned: always
  type: bool
reason:
  description: One sentence saying why the task changed something or did not.
  returned: always
  type: str
  sample: Token profile 'web-keys' is as requested.
diff:
  description: The stored profile before and after, without timestamps.
  returned: in diff mode
  type: dict
  contains:
    before:
      description: The profile before the task; empty if it did not exist.
      type: dict
    after:
      description: The profile after the task; empty if removed.
      type: dict
'''


from ansible_collections.pki.lifecycle.plugins.module_utils.common import PkiModule


OPERATION = 'token_profile'


def module_spec():
    """The argument spec and its constraints; the action plugin of the same name validates with
    exactly these (plugins/plugin_utils/controller_action.py)."""
    return dict(
        argument_spec=dict(
            name=dict(type='str', required=True),
            state=dict(type='str', default='present', choices=['present', 'absent']),
            type=dict(type='str', default='file', choices=['file', 'pkcs11']),
            options=dict(type='dict', default={}),
            validate=dict(type='bool', default=False),
        ),
    )


def main():
    PkiModule(**module_spec()).run(OPERATION)


if __name__ == '__main__':
    main()
