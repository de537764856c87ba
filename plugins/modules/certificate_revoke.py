#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: certificate_revoke
short_description: Revoke a certificate through the RA profile it is bound to
version_added: 0.1.0
description:
  - Revoke a certificate with the CA that issued it, through the RA profile the certificate is
    bound to, and record the revocation (reason and time) in the inventory.
  - Idempotent. A certificate that is revoked already is returned unchanged, whatever O(reason).
  - A certificate that has expired is recorded as revoked in the inventory without asking its CA
    (no relying party accepts it, and its CA may have been retired after a rollover); RV(reason)
    says so.
options:
  certificate:
    description:
      - The certificate to revoke, as its inventory uuid, its serial number in hexadecimal (colons
        allowed), its PEM text, or the path of a PEM file on the controller.
      - It must be in the inventory, in state V(issued), bound to an enabled RA profile.
    type: str
    required: true
  reason:
    description:
      - "The RFC 5280 revocation reason: V(unspecified), V(keyCompromise), V(cACompromise),
        V(affiliationChanged), V(superseded), V(cessationOfOperation), V(certificateHold),
        V(privilegeWithdrawn) or V(aACompromise). Any other value is refused with this list."
      - Case, spaces and underscores do not matter (V(key_compromise) is V(keyCompromise)).
    type: str
    default: unspecified
  attributes:
    description:
      - Revoke attributes for this request, merged over the RA profile's
        O(pki.lifecycle.ra_profile#module:revoke_attributes), for example C(invalidity_date) for
        the V(local) connector.
      - The connector declares the attributes it accepts; an unknown one is refused with the list
        of valid ones.
    type: dict
extends_documentation_fragment:
  - pki.lifecycle.attributes
  - pki.lifecycle.attributes.controller
  - pki.lifecycle.inventory
  - pki.lifecycle.secrets
attributes:
  check_mode:
    details: Nothing is written and the CA is not called.
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
  - module: pki.lifecycle.certificate_rekey
  - module: pki.lifecycle.certificate_info
'''

EXAMPLES = r'''
- name: Revoke a decommissioned host's certificate
  pki.lifecycle.certificate_revoke:
    certificate: "{{ issued.certificate.uuid }}"
    reason: cessationOfOperation
  delegate_to: localhost

- name: Revoke after a key compromise, naming the certificate by serial
  pki.lifecycle.certificate_revoke:
    certificate: "4c:1f:0e:8b:9a:7d:6c:5b:4a:39:28:17:06:f5:e4:d3"
    reason: keyCompromise
    attributes:
      invalidity_date: "2026-11-20T00:00:00Z"
    connector_secrets:
      ca_passphrase: "{{ vault_ca_passphrase }}"
  delegate_to: localhost
  register: revoked

- name: Publish the new CRL of the embedded CA
  ansible.builtin.copy:
    src: "{{ revoked.crl_path }}"
    dest: /var/www/pki/internal.crl.pem
    mode: "0644"
  when: revoked.crl_path is defined
'''

RETURN = r'''
certificate:
  description:
    - The certificate's record in the inventory (never the private key). Other inventory fields may be present too.
    - In check mode, the record as it would be once revoked.
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
        - Derived from the record, its lineage and the current time, not stored.
        - V(valid) in use and not yet due; V(expiring) inside the renewal window (the RA profile's C(renew_before),
          by default the last third of the lifetime); V(expired) past its end of validity; V(revoked) revoked (also
          when it was replaced); V(invalid) not issued, failed, or not valid yet.
        - V(superseded) replaced by a renewal or rekey (C(superseded_by) names the replacement) and not revoked,
          whatever its dates; kept in the inventory with its history, it needs no action.
      type: str
      choices: [valid, expiring, expired, revoked, invalid, superseded]
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
    superseded_by:
      description:
        - The uuid of the certificate that replaced this one by a renewal or rekey (the newest issued or revoked
          certificate whose C(lineage) names it), or null while nothing has replaced it. Derived, not stored.
      type: str
      sample: 0d5a3c8e-8f61-4a7b-9b1e-6f0a2c4d9e17
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
    - Empty when the record holds no certificate.
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
crl_path:
  description: The path of the CRL file the CA wrote after the revocation, on the controller.
  returned: when the CA writes a CRL file (the V(local) connector) and the certificate was revoked by this task
  type: str
  sample: /root/.local/share/pki.lifecycle/ca/internal-web/crl.pem
crl_number:
  description: The number of that CRL.
  returned: when the CA writes a CRL file (the V(local) connector) and the certificate was revoked by this task
  type: int
  sample: 4
changed:
  description: Whether the inventory or the CA was changed (in check mode, whether they would be).
  returned: always
  type: bool
reason:
  description: One sentence saying why the task changed something or did not.
  returned: always
  type: str
'''


from ansible_collections.pki.lifecycle.plugins.module_utils.common import PkiModule


OPERATION = 'revoke'


def module_spec():
    """The argument spec and its constraints; the action plugin of the same name validates with
    exactly these (plugins/plugin_utils/controller_action.py)."""
    return dict(
        argument_spec=dict(
            certificate=dict(type='str', required=True),
            # No choices: the lifecycle layer normalises the spelling and refuses anything else
            # with the list of RFC 5280 reasons.
            reason=dict(type='str', default='unspecified'),
            attributes=dict(type='dict'),
        ),
    )


def main():
    PkiModule(**module_spec()).run(OPERATION)


if __name__ == '__main__':
    main()
