#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: ra_profile
short_description: Manage RA profiles, which bind certificates to a certificate authority
version_added: 0.1.0
description:
  - Create, update or remove an RA profile in the certificate inventory.
  - Every operation on a certificate goes through the RA profile the certificate is bound to.
    The profile binds it to an authority, the CA reached through a O(connector), and holds the
    attributes that CA needs to issue and revoke, so a request needs only the profile's name,
    a key source and, if needed, attributes of its own.
  - The profile's O(policy) decides which keys, names and validity periods it accepts; a request
    that breaks it fails before the CA is called.
  - The profile is stored without secrets. The connector's credentials come in
    O(connector_secrets) with every task that reaches the CA.
  - The task declares the whole profile, options left out take their defaults. It reports a
    change only when the stored profile differs from the declared one.
options:
  name:
    description:
      - The name of the RA profile, unique in the inventory.
    type: str
    required: true
  state:
    description:
      - V(present) creates or updates the profile.
      - V(absent) removes it. A profile that issued certificates are still bound to is not removed
        (they could no longer be renewed or revoked); revoke them first, or set O(enabled=false).
    type: str
    choices: [present, absent]
    default: present
  enabled:
    description:
      - A disabled profile is kept, but every certificate operation through it (issue, renew,
        rekey, revoke) fails until it is enabled again, and sweeps with
        O(pki.lifecycle.certificate_renew#module:due=true) skip its certificates.
    type: bool
    default: true
  description:
    description:
      - A free text description of the profile.
    type: str
  connector:
    description:
      - The kind of certificate authority the profile reaches.
      - V(local), an embedded CA kept in a directory on the controller (created on first use).
      - V(acme), an RFC 8555 ACME server (Let's Encrypt, Pebble, step-ca, OpenBao, ...).
      - V(cfssl), a CloudFlare CFSSL C(serve) API.
      - V(vault), the PKI secrets engine of HashiCorp Vault or OpenBao.
    type: str
    choices: [local, acme, cfssl, vault]
    default: local
  connector_options:
    description:
      - How to reach the CA, for the O(connector). Stored in the inventory, so no secrets here
        (a key that looks like one is refused; use O(connector_secrets)).
      - Each connector declares the options it accepts, with their types, choices and which are
        required. They are checked when the profile is created or changed (not at the first
        certificate). An unknown, missing or wrongly typed option is refused with a message
        naming the profile and the option. Numbers and booleans may be given as strings
        (V(30), V(yes)), and are stored in their type.
      - "V(local): C(directory) (default: C(ca/<profile>) next to the inventory), C(ca_subject),
        C(ca_key_type), C(ca_validity_days) of a CA it creates, or C(ca_certificate),
        C(ca_private_key) and C(ca_chain) to import an existing CA; C(validity_days),
        C(crl_validity_days), C(crl_distribution_point)."
      - "V(local): C(extended_key_usage) of issued certificates, V(server), V(client), V(both)
        (default) or a list of names or dotted OIDs; C(chain_includes_root) (default V(false)):
        the self-signed root is returned as C(root_pem) and left out of C(chain_pem) and
        C(fullchain_pem) unless this is V(true)."
      - "V(local) with the CA key in a token: C(ca_token_profile), a token profile (for example of
        type V(pkcs11)), and C(ca_key), the key's name (PKCS#11 label) in it, in place of the
        C(ca.key) file. Certificates and CRLs are signed inside the token. A new CA uses the key if
        it exists, else generates it there as C(ca_key_type); an imported CA gives
        C(ca_certificate) with them instead of C(ca_private_key). The token's PIN comes from
        O(connector_secrets) C(ca_pin), else O(token_secrets) C(pin)."
      - "V(vault): for example C(url), C(mount) and C(role), the PKI engine role that signs."
    type: dict
    default: {}
  issue_attributes:
    description:
      - Attributes the CA needs to issue a certificate, used for every request through this
        profile. The O(pki.lifecycle.certificate_issue#module:attributes) of a task are merged
        over them.
      - The connector declares the attributes it accepts; an unknown one is refused with the list
        of valid ones. For V(local), C(validity_days), C(key_usage) and C(extended_key_usage).
    type: dict
    default: {}
  revoke_attributes:
    description:
      - Attributes the CA needs to revoke a certificate, used for every revocation through this
        profile. The O(pki.lifecycle.certificate_revoke#module:attributes) of a task are merged
        over them. For V(local), C(invalidity_date).
    type: dict
    default: {}
  policy:
    description:
      - What the profile accepts. A request that breaks the policy fails, naming the rule, before
        anything is written or the CA is called.
      - Suboptions left out do not restrict anything, except O(policy.min_rsa_bits).
    type: dict
    suboptions:
      key_types:
        description:
          - The key types accepted. All of them if not set.
        type: list
        elements: str
        choices: [rsa, ec, ed25519]
      min_rsa_bits:
        description:
          - The smallest RSA key accepted, in bits.
        type: int
        default: 2048
      allowed_names:
        description:
          - Patterns the subject CN and every subject alternative name must match. Any name if not set.
          - A V(*) stands for exactly one DNS label, as in certificate wildcards (V(*.example.org)
            allows V(www.example.org), not V(a.b.example.org)); a leading V(**.) stands for one or
            more labels (V(**.example.org)).
          - IP addresses match an address or a network in CIDR notation (V(10.0.0.0/8)). Email
            addresses match by the whole address or by their domain.
        type: list
        elements: str
      max_validity_days:
        description:
          - The longest validity accepted, in days. A request for more fails; without a request,
            the CA is asked for this many days.
        type: int
      renew_before:
        description:
          - When certificates of this profile are due for renewal, as days before expiry
            (V(30) or V(30d)), hours or minutes for short-lived certificates (V(8h), V(30m)), or as
            a share of the lifetime (V(33%)).
          - If not set, the last third of the lifetime; half of it for certificates valid less
            than ten days (short-lived).
          - An ACME CA's suggested renewal window (ARI) is used over this when the CA offers one.
          - O(pki.lifecycle.certificate_renew#module:renew_before) overrides it for one task.
        type: str
  fallback_ra_profile:
    description:
      - Another RA profile whose CA takes over when this profile's CA is unavailable (unreachable,
        a server error, or a rate limit), the way Apache's mod_md fails over to a second ACME CA.
      - The certificate stays in this profile (its policy, its renewals); C(issued_by.ra_profile) of
        the certificate record says which profile's CA issued it. The next renewal tries this
        profile's CA first again. Revocation goes to the CA that issued.
      - The fallback must exist, must not lead back to this profile (a loop is refused), and its
        connector must take the same issue and revoke attributes as this one's.
    type: str
  validate:
    description:
      - Check that the CA is reachable and that the credentials in O(connector_secrets) work, by
        calling the connector's check. The task fails with the connector's message if not.
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
  - module: pki.lifecycle.token_profile
  - module: pki.lifecycle.certificate_issue
'''

EXAMPLES = r'''
- name: An embedded CA on the controller, for internal web servers
  pki.lifecycle.ra_profile:
    name: internal-web
    description: Internal web servers, signed by the embedded CA
    connector: local
    connector_options:
      ca_subject: CN=Example Internal CA,O=Example Ltd,C=DE
      validity_days: 90
    connector_secrets:
      ca_passphrase: "{{ vault_ca_passphrase }}"
    policy:
      key_types: [ec, rsa]
      min_rsa_bits: 3072
      allowed_names: ["*.example.org", "10.0.0.0/8"]
      max_validity_days: 90
      renew_before: 33%
  delegate_to: localhost
  run_once: true

- name: A profile on the OpenBao / Vault PKI engine, checked on creation
  pki.lifecycle.ra_profile:
    inventory: postgresql://pki@db.example.org/pki
    name: vault-web
    connector: vault
    connector_options:
      url: https://vault.example.org:8200
      mount: pki
      role: web
    connector_secrets:
      token: "{{ vault_token }}"
    policy:
      allowed_names: ["**.example.org"]
      renew_before: 30d
    validate: true
  delegate_to: localhost
  run_once: true

- name: Let's Encrypt's short-lived profile, failing over to a second ACME CA
  pki.lifecycle.ra_profile:
    name: le-short
    connector: acme
    connector_options:
      directory_url: https://acme-v02.api.letsencrypt.org/directory
      profile: shortlived
      contact: [pki-admin@example.org]
      terms_agreed: true
    fallback_ra_profile: zerossl-web
    policy:
      renew_before: 3d
  delegate_to: localhost
  run_once: true

- name: Stop issuing through a profile, keeping it and its certificates
  pki.lifecycle.ra_profile:
    name: legacy-web
    enabled: false
  delegate_to: localhost
  run_once: true

- name: Remove a profile that no issued certificate is bound to any more
  pki.lifecycle.ra_profile:
    name: legacy-web
    state: absent
  delegate_to: localhost
  run_once: true
'''

RETURN = r'''
ra_profile:
  description:
    - The RA profile as stored in the inventory (no secrets).
    - Empty after O(state=absent).
  returned: success
  type: dict
  sample:
    name: internal-web
    enabled: true
    description: Internal web servers, signed by the embedded CA
    connector: local
    connector_options: {validity_days: 90}
    issue_attributes: {}
    revoke_attributes: {}
    policy: {key_types: [ec, rsa], min_rsa_bits: 3072, allowed_names: ["*.example.org"], renew_before: 33%}
    created_at: "2026-11-25T16:30:00Z"
    updated_at: "2026-11-25T16:30:00Z"
  contains:
    name:
      description: The name.
      type: str
    enabled:
      description: Whether the profile can be used.
      type: bool
    description:
      description: The description.
      type: str
    connector:
      description: The connector.
      type: str
    connector_options:
      description: The connector options.
      type: dict
    issue_attributes:
      description: The issue attributes.
      type: dict
    revoke_attributes:
      description: The revoke attributes.
      type: dict
    policy:
      description: The policy, with the suboptions that are set.
      type: dict
    fallback_ra_profile:
      description: The fallback RA profile, when one is set.
      type: str
      returned: when set
    created_at:
      description: When the profile was created, ISO 8601 in UTC.
      type: str
    updated_at:
      description: When the profile last changed, ISO 8601 in UTC.
      type: str
connector_changes:
  description:
    - What the connector did at the CA because its options changed. For V(acme), a changed
      C(account_key) rolls the account over to the new key (RFC 8555 keyChange).
  returned: when the connector acted
  type: dict
  sample:
    account_url: https://acme.example.org/acct/123
    account_key_rollover: rolled over
    old_key_thumbprint: -fwWB6pCCWLF0bNi_3YXRqy6X4s0UDdaCkP9QpQFZcs
    new_key_thumbprint: 90AXEFyJe0Wn7UqEHvraETQiH0pfb2GT56n8ce24jro
    message: Rolled the ACME account https://acme.example.org/acct/123 over to the new account key (keyChange).
changed:
  description: Whether the profile was (in check mode, would be) created, changed or removed.
  returned: always
  type: bool
reason:
  description: One sentence saying why the task changed something or did not.
  returned: always
  type: str
  sample: RA profile 'internal-web' is as requested.
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


OPERATION = 'ra_profile'


def module_spec():
    """The argument spec and its constraints; the action plugin of the same name validates with
    exactly these (plugins/plugin_utils/controller_action.py)."""
    return dict(
        argument_spec=dict(
            name=dict(type='str', required=True),
            state=dict(type='str', default='present', choices=['present', 'absent']),
            enabled=dict(type='bool', default=True),
            description=dict(type='str'),
            connector=dict(type='str', default='local', choices=['local', 'acme', 'cfssl', 'vault']),
            connector_options=dict(type='dict', default={}),
            issue_attributes=dict(type='dict', default={}),
            revoke_attributes=dict(type='dict', default={}),
            policy=dict(
                type='dict',
                apply_defaults=True,
                options=dict(
                    # no_log=False: key types are not secrets (ansible-test flags option names with 'key')
                    key_types=dict(type='list', elements='str', choices=['rsa', 'ec', 'ed25519'], no_log=False),
                    min_rsa_bits=dict(type='int', default=2048),
                    allowed_names=dict(type='list', elements='str'),
                    max_validity_days=dict(type='int'),
                    renew_before=dict(type='str'),
                ),
            ),
            fallback_ra_profile=dict(type='str'),
            validate=dict(type='bool', default=False),
        ),
    )


def main():
    PkiModule(**module_spec()).run(OPERATION)


if __name__ == '__main__':
    main()
