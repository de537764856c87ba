#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: certificate_rekey
short_description: Replace a certificate's key, issuing a new certificate through its RA profile
version_added: 0.1.0
description:
  - Issue a new certificate for a new key, through the RA profile the current certificate is
    bound to, to change the key that was used for the original certificate (a compromised or
    weak key, a new key type, a key rotation policy).
  - The new key comes from the same key sources as for M(pki.lifecycle.certificate_issue), an
    external CSR (O(csr)) or a key in a token profile (O(token_profile) and O(key)), and it must
    differ from the current key. Subject and names default to those of the current certificate.
  - The new certificate records the one it replaces (C(lineage.rekeyed_from)) and takes over its
    labels. O(revoke_previous) revokes the replaced certificate, O(destroy_previous_key) removes
    its key from its token profile.
  - Idempotent. Nothing changes when the newest certificate of the lineage already has the
    requested key, so running the task again does not issue again.
options:
  certificate:
    description:
      - The certificate to rekey, as its inventory uuid, its serial number in hexadecimal (colons
        allowed), its PEM text, or the path of a PEM file on the controller. If it was renewed or
        rekeyed already, the newest certificate of its lineage is the one rekeyed.
      - It must be in state V(issued) and bound to an RA profile in the inventory.
    type: str
    required: true
  attributes:
    description:
      - Issue attributes for this request, merged over the RA profile's
        O(pki.lifecycle.ra_profile#module:issue_attributes).
    type: dict
  validity_days:
    description:
      - The validity to ask the CA for, in days. If not set, the RA profile's
        O(pki.lifecycle.ra_profile#module:policy.max_validity_days), else the CA's default.
      - At least 1; V(0) and negative numbers are refused (they never mean "not set").
    type: int
  labels:
    description:
      - Labels for the new certificate, merged over those of the certificate it replaces.
    type: dict
  revoke_previous:
    description:
      - Revoke the replaced certificate, with O(revoke_reason), once the new one is issued.
    type: bool
    default: false
  revoke_reason:
    description:
      - The RFC 5280 revocation reason for O(revoke_previous), one of V(unspecified),
        V(keyCompromise), V(cACompromise), V(affiliationChanged), V(superseded),
        V(cessationOfOperation), V(certificateHold), V(privilegeWithdrawn), V(aACompromise).
    type: str
    default: superseded
  destroy_previous_key:
    description:
      - Destroy the replaced certificate's key in its token profile once the new certificate is
        issued. Only for keys kept in a token profile; an external key is left alone.
    type: bool
    default: false
extends_documentation_fragment:
  - pki.lifecycle.attributes
  - pki.lifecycle.attributes.controller
  - pki.lifecycle.inventory
  - pki.lifecycle.secrets
  - pki.lifecycle.key_source
attributes:
  check_mode:
    details: Nothing is written, no key is generated or destroyed and the CA is not called.
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
  - module: pki.lifecycle.certificate_issue
  - module: pki.lifecycle.certificate_renew
  - module: pki.lifecycle.certificate_revoke
'''

EXAMPLES = r'''
- name: Move a certificate to a new key generated in its token profile, revoking the old one
  pki.lifecycle.certificate_rekey:
    certificate: "{{ issued.certificate.uuid }}"
    token_profile: web-keys
    key: www.example.org-2027
    generate_key: true
    key_type: ec
    curve: P-384
    revoke_previous: true
  delegate_to: localhost
  register: rekeyed

- name: After a key compromise, rekey with a new CSR made on the host
  pki.lifecycle.certificate_rekey:
    certificate: 4c1f0e8b9a7d6c5b4a39281706f5e4d3
    csr: /srv/pki/csr/www.example.org.csr
    revoke_previous: true
    revoke_reason: keyCompromise
    labels:
      rotated: "2026-11"
  delegate_to: localhost

- name: Rotate to an RSA key in the HSM and remove the previous key from the token
  pki.lifecycle.certificate_rekey:
    certificate: "{{ cert_uuid }}"
    token_profile: hsm
    key: api-2027
    generate_key: true
    key_type: rsa
    key_size: 3072
    destroy_previous_key: true
    token_secrets:
      pin: "{{ vault_hsm_pin }}"
  delegate_to: localhost
'''

RETURN = r'''
certificate:
  description:
    - The certificate's record in the inventory (never the private key). Other inventory fields may be present too.
    - Empty in check mode when a new certificate would be issued.
  returned: success
  type: dict
  contains:
    uuid:
      description: The inventory's identifier of the certificate.
      type: str
      sample: 5b0d7c55-3f9e-4a49-9f2e-2f4bce0c6e1a
    serial:
      description: The serial number, lowercase hexadecimal without separators. Null until the CA has issued.
      type: str
      sample: 4c1f0e8b9a7d6c5b4a39281706f5e4d3
    subject:
      description: The subject distinguished name, RFC 4514.
      type: str
      sample: CN=www.example.org,O=Example Ltd
    subject_alt_names:
      description: The subject alternative names, each prefixed by its type.
      type: list
      elements: str
      sample: ["DNS:www.example.org", "DNS:example.org", "IP:192.0.2.10"]
    issuer:
      description: The issuer distinguished name, RFC 4514.
      type: str
      sample: CN=Example Issuing CA,O=Example Ltd
    not_before:
      description: Start of validity, ISO 8601 in UTC.
      type: str
      sample: "2026-11-25T16:30:00Z"
    not_after:
      description: End of validity, ISO 8601 in UTC.
      type: str
      sample: "2027-02-23T16:30:00Z"
    fingerprint_sha256:
      description: SHA-256 of the certificate's DER, lowercase hexadecimal.
      type: str
      sample: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
    spki_sha256:
      description: SHA-256 of the DER SubjectPublicKeyInfo (the public key), lowercase hexadecimal.
      type: str
      sample: 60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752
    state:
      description:
        - The record's state. V(requested) is written before the CA is called.
        - V(discovered) is a certificate found by discovery and bound to no RA profile yet (M(pki.lifecycle.certificate_adopt)).
      type: str
      choices: [requested, issued, revoked, failed, discovered]
      sample: issued
    validation_status:
      description:
        - Derived from the record and the current time, not stored.
        - V(expiring) means inside the renewal window (the RA profile's C(renew_before), by default the last third of the lifetime).
      type: str
      choices: [valid, expiring, expired, revoked, invalid]
      sample: valid
    ra_profile:
      description: The RA profile the certificate is bound to.
      type: str
      sample: internal-web
    labels:
      description: The labels of the certificate.
      type: dict
      sample: {"host": "web1.example.org", "service": "nginx"}
    revocation_reason:
      description: The RFC 5280 revocation reason, when revoked.
      type: str
      sample: keyCompromise
    revoked_at:
      description: When the certificate was revoked, ISO 8601 in UTC.
      type: str
      sample: "2026-12-01T08:00:00Z"
    failure_reason:
      description: Why the record is V(failed), when it is.
      type: str
    key_source:
      description: Where the key came from, V(csr) (an external CSR) or V(token) (a token profile).
      type: str
      choices: [csr, token]
      sample: token
    token_profile:
      description: The token profile holding the key, when the key source is V(token).
      type: str
      sample: web-keys
    key_ref:
      description: The reference of the key in its token profile (C(token_profile:key)); never the key itself.
      type: str
      sample: web-keys:www.example.org
    created_at:
      description: When the record was created, ISO 8601 in UTC.
      type: str
      sample: "2026-11-25T16:29:58Z"
    updated_at:
      description: When the record last changed, ISO 8601 in UTC.
      type: str
      sample: "2026-11-25T16:30:01Z"
    lineage:
      description: Where the certificate comes from.
      type: dict
      contains:
        renewed_from:
          description: The uuid of the certificate this one renews, or null.
          type: str
        rekeyed_from:
          description: The uuid of the certificate this one rekeys, or null.
          type: str
    issued_by:
      description:
        - The authority that issued the certificate (or holds its pending order). Empty for
          records from before this field existed.
      type: dict
      contains:
        ra_profile:
          description:
            - The RA profile whose CA issued it. Another than the record's C(ra_profile) when
              that profile's CA was unavailable and its O(pki.lifecycle.ra_profile#module:fallback_ra_profile)
              issued it instead.
          type: str
        connector:
          description: The connector of that RA profile.
          type: str
        fallback_from:
          description: Set after a failover, the RA profile whose CA was unavailable.
          type: str
        fallback_reason:
          description: Set after a failover, why the CA(s) before were passed over.
          type: str
        certificate_profile:
          description: The ACME certificate profile the order named (draft-ietf-acme-profiles), if any.
          type: str
certificate_pem:
  description:
    - The certificate, PEM.
    - Empty when no certificate has been issued (check mode, pending ACME order).
  returned: success
  type: str
  sample: "-----BEGIN CERTIFICATE-----\nMIIB...\n-----END CERTIFICATE-----\n"
chain_pem:
  description:
    - The issuer chain, PEM, the certificate's issuer first, without the self-signed root, which is
      returned as RV(root_pem) (the embedded CA includes it only with its connector option
      C(chain_includes_root=true)).
    - Empty when the CA returns no chain or the certificate's issuer is the root.
  returned: success
  type: str
root_pem:
  description:
    - The self-signed root certificate the chain leads to, PEM, when the CA returned it (the embedded
      CA always does), the trust anchor for clients' trust stores.
    - Empty when the CA did not return its root.
  returned: success
  type: str
fullchain_pem:
  description:
    - The certificate followed by RV(chain_pem), the usual content of a server's certificate file.
    - Empty when RV(certificate_pem) is.
  returned: success
  type: str
changed:
  description: Whether the inventory or the CA was changed (in check mode, whether they would be).
  returned: always
  type: bool
reason:
  description: One sentence saying why the task changed something or did not.
  returned: always
  type: str
'''


from ansible_collections.pki.lifecycle.plugins.module_utils.argspec import (
    KEY_SOURCE_MUTUALLY_EXCLUSIVE,
    KEY_SOURCE_REQUIRED_IF,
    KEY_SOURCE_REQUIRED_ONE_OF,
    KEY_SOURCE_REQUIRED_TOGETHER,
    key_source_argument_spec,
)
from ansible_collections.pki.lifecycle.plugins.module_utils.common import PkiModule


OPERATION = 'rekey'


def module_spec():
    """The argument spec and its constraints; the action plugin of the same name validates with
    exactly these (plugins/plugin_utils/controller_action.py)."""
    argument_spec = key_source_argument_spec()
    argument_spec.update(
        certificate=dict(type='str', required=True),
        attributes=dict(type='dict'),
        validity_days=dict(type='int'),
        labels=dict(type='dict'),
        revoke_previous=dict(type='bool', default=False),
        revoke_reason=dict(type='str', default='superseded'),
        # no_log=False: a switch, not a secret (ansible-test flags option names with 'key')
        destroy_previous_key=dict(type='bool', default=False, no_log=False),
    )
    return dict(
        argument_spec=argument_spec,
        mutually_exclusive=KEY_SOURCE_MUTUALLY_EXCLUSIVE,
        required_one_of=KEY_SOURCE_REQUIRED_ONE_OF,
        required_together=KEY_SOURCE_REQUIRED_TOGETHER,
        required_if=KEY_SOURCE_REQUIRED_IF,
    )


def main():
    PkiModule(**module_spec()).run(OPERATION)


if __name__ == '__main__':
    main()
