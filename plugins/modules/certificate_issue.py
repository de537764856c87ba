#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: certificate_issue
short_description: Issue a certificate through an RA profile
version_added: 0.1.0
description:
  - Issue an X.509 certificate through an RA profile, which says which CA (connector) issues it
    and holds the attributes that CA needs.
  - "The key comes from one of two sources: an external CSR (O(csr)), or a key in a token profile
    (O(token_profile) and O(key), created with O(generate_key) if needed) together with the
    request attributes (O(subject), O(subject_alt_names), O(extensions)) and signature
    attributes (O(signature_algorithm), O(digest))."
  - The request is checked against the RA profile's policy before anything is written or the CA
    is called. The certificate the CA returns is parsed and validated (chain to the profile's
    trust anchors, public key, names, validity) and stored in the inventory; one that fails is
    recorded as V(failed) and the task fails with the reason.
  - Idempotent. A request is identified by its RA profile, normalised subject, set of subject
    alternative names and public key (for a key still to be generated, its reference in the
    token profile). When an issued, unexpired certificate with the same identity exists, it is
    returned and nothing changes; O(force=true) issues anyway. Two runs asking for the same
    certificate at the same time get one issuance.
options:
  ra_profile:
    description:
      - The name of the RA profile to issue through (see M(pki.lifecycle.ra_profile)). It must
        exist and be enabled.
    type: str
    required: true
  attributes:
    description:
      - Issue attributes for this request, merged over the RA profile's
        O(pki.lifecycle.ra_profile#module:issue_attributes).
      - The connector declares the attributes it accepts; an unknown one is refused with the list
        of valid ones.
    type: dict
  validity_days:
    description:
      - The validity to ask the CA for, in days. More than the RA profile's
        O(pki.lifecycle.ra_profile#module:policy.max_validity_days) is refused.
      - If not set, the profile's maximum, else the CA's default.
      - Not part of the request's identity.
      - At least 1; V(0) and negative numbers are refused (they never mean "not set").
    type: int
  labels:
    description:
      - Labels to record with the certificate, for example the host it serves and where it is
        deployed. Values are strings (a number is kept as given); a nested value (a dict or a
        list) is refused, naming the label.
      - Not part of the request's identity. When the certificate exists already, these labels are
        merged into its labels, which is not reported as a change.
    type: dict
  force:
    description:
      - Issue a new certificate even if an issued, unexpired one with the same identity exists.
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
    details: Nothing is written, no key is generated and the CA is not called.
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
  - module: pki.lifecycle.token_profile
  - module: pki.lifecycle.certificate_renew
  - module: pki.lifecycle.certificate_info
'''

EXAMPLES = r'''
- name: Read the CSR made on the web server (the private key stays there)
  ansible.builtin.slurp:
    src: /etc/nginx/tls/server.csr
  register: host_csr

- name: Issue a certificate for that CSR
  pki.lifecycle.certificate_issue:
    ra_profile: internal-web
    csr: "{{ host_csr.content | b64decode }}"
    labels:
      host: "{{ inventory_hostname }}"
      service: nginx
  delegate_to: localhost
  register: issued

- name: Install the certificate and its chain on the web server
  ansible.builtin.copy:
    content: "{{ issued.fullchain_pem }}"
    dest: /etc/nginx/tls/server.crt
    mode: "0644"
  notify: Reload nginx

- name: Issue a certificate for a key generated and kept in a token profile on the controller
  pki.lifecycle.certificate_issue:
    ra_profile: internal-web
    token_profile: web-keys
    key: api.example.org
    generate_key: true
    key_type: ec
    curve: P-384
    digest: sha384
    subject:
      CN: api.example.org
      O: Example Ltd
    subject_alt_names:
      - DNS:api.example.org
      - DNS:api-internal.example.org
      - IP:10.1.2.3
    extensions:
      key_usage: [digital_signature]
      extended_key_usage: [server_auth]
    validity_days: 30
  delegate_to: localhost

- name: Issue through Vault with a key in an HSM, passing the secrets for this task only
  pki.lifecycle.certificate_issue:
    inventory: postgresql://pki@db.example.org/pki
    ra_profile: vault-web
    token_profile: hsm
    key: www-2026
    generate_key: true
    key_type: rsa
    key_size: 3072
    signature_algorithm: rsa-pss
    subject: CN=www.example.org,O=Example Ltd,C=DE
    subject_alt_names: [DNS:www.example.org]
    connector_secrets:
      token: "{{ vault_token }}"
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
challenge_data:
  description:
    - The challenges an ACME CA wants answered before it issues, one entry per challenge.
      Answer them (for example with the C(certificate) role's http-01 or dns-01 steps) and run
      the task again to finish the order.
    - The certificate record is then V(requested) and RV(certificate_pem) is empty.
  returned: when the connector is V(acme) and the order is pending
  type: list
  elements: dict
  contains:
    identifier:
      description: The name the challenge proves control of.
      type: str
      sample: www.example.org
    challenge_type:
      description: The challenge type.
      type: str
      sample: http-01
    resource:
      description: For V(http-01), the URL path to serve; for V(dns-01), the name of the TXT record.
      type: str
      sample: .well-known/acme-challenge/evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA
    resource_value:
      description: For V(http-01), the content to serve; for V(dns-01), the TXT record's value.
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


OPERATION = 'issue'


def module_spec():
    """The argument spec and its constraints; the action plugin of the same name validates with
    exactly these (plugins/plugin_utils/controller_action.py)."""
    argument_spec = key_source_argument_spec()
    argument_spec.update(
        ra_profile=dict(type='str', required=True),
        attributes=dict(type='dict'),
        validity_days=dict(type='int'),
        labels=dict(type='dict'),
        force=dict(type='bool', default=False),
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
