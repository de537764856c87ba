#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: certificate_renew
short_description: Renew certificates through the RA profile they are bound to
version_added: 0.1.0
description:
  - Renew a certificate, one named by O(certificate) or by O(ra_profile) and O(subject), or,
    with O(due=true), every certificate that is due, in one task.
  - Renewal uses what the inventory holds about the certificate. The new certificate has the
    same subject, names and key, and is issued through the RA profile the certificate is bound
    to; only a certificate bound to an RA profile in the inventory can be renewed. A new CSR
    (O(csr)) may change the subject and names, but not the key (use
    M(pki.lifecycle.certificate_rekey) for that). Without one, the stored CSR is used again for
    an external key, and a new CSR is signed in the token profile for a key kept there.
  - Idempotent. Nothing changes unless the certificate is inside its renewal window
    (O(renew_before), by default the RA profile's, else the last third of the lifetime) or
    O(force=true).
  - If the certificate was renewed or rekeyed already, the newest certificate of its lineage is
    the one considered. Revoked certificates are not renewed.
options:
  certificate:
    description:
      - The certificate to renew, as its inventory uuid, its serial number in hexadecimal (colons
        allowed), its PEM text, or the path of a PEM file on the controller.
      - Cannot be used with O(ra_profile), O(subject), O(labels) or O(due).
    type: str
  ra_profile:
    description:
      - With O(subject), the RA profile of the certificate to renew.
      - With O(due=true), renew only the due certificates of this RA profile.
    type: str
  subject:
    description:
      - With O(ra_profile), selects the issued certificate with this subject, in the forms
        O(pki.lifecycle.certificate_issue#module:subject) accepts, compared after normalisation.
        If several certificates of the profile have this subject, name the one meant by
        O(certificate) instead.
      - Requires O(ra_profile). Cannot be used with O(due).
    type: raw
  csr:
    description:
      - A new CSR for the certificate's key, as PEM text or the path of a PEM file on the
        controller. Its subject and names are those of the new certificate.
      - A CSR for another key is refused.
      - Cannot be used with O(due).
    type: str
  renew_before:
    description:
      - When a certificate is due, for this task, over the RA profile's
        O(pki.lifecycle.ra_profile#module:policy.renew_before), as days before expiry (V(30) or
        V(30d)), hours or minutes (V(8h), V(30m)) or as a share of the lifetime (V(33%)).
    type: str
  force:
    description:
      - Renew even if the certificate is not due yet.
      - With O(due=true), every selected certificate is renewed, due or not.
    type: bool
    default: false
  due:
    description:
      - Renew every certificate that is due, in one task. Only the newest certificate of each
        lineage, in state V(issued), of an enabled RA profile, is considered.
      - Narrow the selection with O(ra_profile) and O(labels); without them, every certificate in
        the inventory is considered.
      - If some certificates cannot be renewed, the others are renewed anyway and the task fails
        naming those that could not, listed in RV(errors).
      - A renewal that an earlier run left unfinished (it was killed) is finished first, from the
        CA's own records where the CA issued it; its certificate is renewed again if not.
      - On the embedded CA with its key in a file, a sweep of at least 1000 due certificates is shared
        among processes, one per CPU the controller lets the task use (at most 4), each signing and
        storing its share. The environment variable E(PKI_LIFECYCLE_SWEEP_PROCESSES) sets the number
        of processes instead; V(1) keeps the whole sweep in this process.
    type: bool
    default: false
  labels:
    description:
      - With O(due=true), renew only the certificates whose labels contain all these keys and values.
    type: dict
  validity_days:
    description:
      - The validity to ask the CA for, in days. If not set, the RA profile's
        O(pki.lifecycle.ra_profile#module:policy.max_validity_days), else the CA's default.
      - At least 1; V(0) and negative numbers are refused (they never mean "not set").
    type: int
  attributes:
    description:
      - Issue attributes for this renewal, merged over the RA profile's
        O(pki.lifecycle.ra_profile#module:issue_attributes).
    type: dict
  fields:
    description:
      - With O(due=true), what each entry of RV(certificates) carries, for a smaller and faster result when
        thousands of certificates are renewed. The names are those of
        M(pki.lifecycle.certificate_info)'s O(pki.lifecycle.certificate_info#module:fields).
      - The keys of the certificate's record (V(uuid), V(not_after), V(lineage)...) go into
        RV(certificates[].certificate), which holds only those; V(certificate_pem), V(chain_pem), V(root_pem) and
        V(fullchain_pem) are returned beside it, and only when named. RV(certificates[].changed),
        RV(certificates[].reason) and RV(certificates[].renewed_from) are always there.
      - "For example V([uuid, not_after]) makes each entry
        C({certificate: {uuid: ..., not_after: ...}, renewed_from: ..., changed: true, reason: ...}), without PEMs."
      - If not set (or empty), each entry holds the whole record and every PEM.
      - Requires O(due=true).
    type: list
    elements: str
    choices: [uuid, serial, subject, subject_alt_names, issuer, not_before, not_after, fingerprint_sha256,
              spki_sha256, state, validation_status, superseded_by, ra_profile, labels, key_source, token_profile,
              key_ref, revocation_reason, revoked_at, failure_reason, created_at, updated_at, lineage, issued_by,
              certificate_pem, chain_pem, root_pem, fullchain_pem]
extends_documentation_fragment:
  - pki.lifecycle.attributes
  - pki.lifecycle.attributes.controller
  - pki.lifecycle.inventory
  - pki.lifecycle.secrets
attributes:
  check_mode:
    details: Nothing is written, no key is used and the CA is not called.
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
  - module: pki.lifecycle.certificate_rekey
  - module: pki.lifecycle.certificate_info
'''

EXAMPLES = r'''
- name: Renew a certificate if it is due (nothing happens otherwise)
  pki.lifecycle.certificate_renew:
    certificate: "{{ issued.certificate.uuid }}"
  delegate_to: localhost
  register: renewed

- name: Install the renewed certificate when there is one
  ansible.builtin.copy:
    content: "{{ renewed.fullchain_pem }}"
    dest: /etc/nginx/tls/server.crt
    mode: "0644"
  when: renewed is changed
  notify: Reload nginx

- name: Renew a certificate named by its RA profile and subject, 30 days before it expires
  pki.lifecycle.certificate_renew:
    ra_profile: internal-web
    subject: CN=www.example.org
    renew_before: 30d
  delegate_to: localhost

- name: Renew now with a new CSR for the same key, which adds a name
  pki.lifecycle.certificate_renew:
    certificate: /srv/pki/certs/www.example.org.pem
    csr: /srv/pki/csr/www.example.org.csr
    force: true
  delegate_to: localhost

- name: Renew every due certificate of one RA profile (for a scheduled job)
  pki.lifecycle.certificate_renew:
    due: true
    ra_profile: internal-web
    connector_secrets:
      ca_passphrase: "{{ vault_ca_passphrase }}"
  delegate_to: localhost
  run_once: true
  register: sweep

- name: Report what was renewed
  ansible.builtin.debug:
    msg: "{{ sweep.renewed }} renewed: {{ sweep.certificates | map(attribute='certificate.subject') | list }}"
  run_once: true

- name: Renew thousands of due certificates, returning only what the next tasks use
  pki.lifecycle.certificate_renew:
    due: true
    ra_profile: internal-web
    fields: [uuid, subject, not_after, labels]
  delegate_to: localhost
  run_once: true
  register: bulk
'''

RETURN = r'''
certificate:
  description:
    - The certificate's record in the inventory (never the private key). Other inventory fields may be present too.
    - In check mode, the current certificate.
  returned: when one certificate is renewed (not with O(due=true))
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
    - In check mode, the current certificate.
  returned: when one certificate is renewed (not with O(due=true))
  type: str
  sample: "-----BEGIN CERTIFICATE-----\nMIIB...\n-----END CERTIFICATE-----\n"
chain_pem:
  description:
    - The issuer chain, PEM, the certificate's issuer first, without the self-signed root, which is
      returned as RV(root_pem) (the embedded CA includes it only with its connector option
      C(chain_includes_root=true)).
    - Empty when the CA returns no chain or the certificate's issuer is the root.
  returned: when one certificate is renewed (not with O(due=true))
  type: str
root_pem:
  description:
    - The self-signed root certificate the chain leads to, PEM, when the CA returned it (the embedded
      CA always does), the trust anchor for clients' trust stores.
    - Empty when the CA did not return its root.
  returned: when one certificate is renewed (not with O(due=true))
  type: str
fullchain_pem:
  description:
    - The certificate followed by RV(chain_pem), the usual content of a server's certificate file.
    - Empty when RV(certificate_pem) is.
  returned: when one certificate is renewed (not with O(due=true))
  type: str
certificates:
  description:
    - With O(due=true), one entry for each certificate that was (in check mode, would be) renewed.
    - O(fields) narrows each entry to the keys it names.
  returned: when O(due=true)
  type: list
  elements: dict
  contains:
    certificate:
      description:
        - The new certificate's record, as RV(certificate) for one certificate.
        - With O(fields), only the record keys it names.
      type: dict
    certificate_pem:
      description: The new certificate, PEM.
      type: str
      returned: unless O(fields) is set without V(certificate_pem)
    chain_pem:
      description: Its issuer chain, PEM, without the self-signed root.
      type: str
      returned: unless O(fields) is set without V(chain_pem)
    root_pem:
      description: The self-signed root the chain leads to, PEM, when the CA returned it.
      type: str
      returned: unless O(fields) is set without V(root_pem)
    fullchain_pem:
      description: The certificate followed by its chain.
      type: str
      returned: unless O(fields) is set without V(fullchain_pem)
    changed:
      description: Whether it was renewed.
      type: bool
    reason:
      description: Why it was renewed.
      type: str
    renewed_from:
      description: The uuid of the certificate it renews.
      type: str
renewed:
  description: With O(due=true), how many certificates were (in check mode, would be) renewed.
  returned: when O(due=true)
  type: int
  sample: 3
errors:
  description: With O(due=true), the certificates that could not be renewed, with the reason. The task fails if any.
  returned: when O(due=true)
  type: list
  elements: dict
  contains:
    uuid:
      description: The certificate's uuid.
      type: str
    subject:
      description: The certificate's subject.
      type: str
    labels:
      description: The certificate's labels.
      type: dict
    msg:
      description: Why it could not be renewed.
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


from ansible_collections.pki.lifecycle.plugins.module_utils.common import PkiModule
from ansible_collections.pki.lifecycle.plugins.module_utils.vocabulary import PEM_FIELDS, RECORD_FIELDS


OPERATION = 'renew'
# What an entry of ``certificates`` may carry, for ``fields``: certificate_info's names of the
# record's keys (and issued_by), then the PEMs returned beside the record.
FIELDS = RECORD_FIELDS + ('issued_by',) + PEM_FIELDS


def module_spec():
    """The argument spec and its constraints; the action plugin of the same name validates with
    exactly these (plugins/plugin_utils/controller_action.py)."""
    return dict(
        argument_spec=dict(
            certificate=dict(type='str'),
            ra_profile=dict(type='str'),
            subject=dict(type='raw'),
            csr=dict(type='str'),
            renew_before=dict(type='str'),
            force=dict(type='bool', default=False),
            due=dict(type='bool', default=False),
            labels=dict(type='dict'),
            validity_days=dict(type='int'),
            attributes=dict(type='dict'),
            fields=dict(type='list', elements='str', choices=list(FIELDS)),
        ),
        mutually_exclusive=[
            ('certificate', 'ra_profile'),
            ('certificate', 'subject'),
            ('certificate', 'labels'),
            ('certificate', 'due'),
            ('subject', 'due'),
            ('csr', 'due'),
        ],
        # One certificate (by certificate, or ra_profile + subject) unless due: true.
        required_if=[('due', False, ('certificate', 'subject'), True)],
        required_by=dict(subject='ra_profile'),
    )


def main():
    PkiModule(**module_spec()).run(OPERATION)


if __name__ == '__main__':
    main()
