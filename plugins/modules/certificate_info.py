#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: certificate_info
short_description: List certificates in the inventory, with their validation status
version_added: 0.1.0
description:
  - Return the certificates of the inventory that match every filter given, with their
    validation status, and counts by validation status. By default the current certificates
    (see O(scope)); without filters, all of them.
  - The validation status is derived from the record, its lineage and the current time, not
    stored. V(valid), V(expiring) (inside the renewal window of the RA profile's
    O(pki.lifecycle.ra_profile#module:policy.renew_before), by default the last third of the
    lifetime), V(expired), V(revoked), V(invalid) (not issued, V(failed), or not valid yet), or
    V(superseded) (replaced by a renewal or rekey and not revoked, whatever its dates).
  - A certificate is current unless it is superseded. Renewals and rekeys keep the certificates
    they replace, with their history; they are counted apart (RV(counts.superseded)) so that
    counts and filters tell what is in use.
  - Read only; the CA is not called.
options:
  uuid:
    description:
      - Only the certificate with this inventory uuid.
    type: str
  serial:
    description:
      - Only certificates with this serial number, in hexadecimal (colons and leading zeros do not matter).
    type: str
  subject:
    description:
      - Only certificates with this subject, in the forms
        O(pki.lifecycle.certificate_issue#module:subject) accepts, compared after normalisation.
    type: raw
  ra_profile:
    description:
      - Only certificates bound to this RA profile.
    type: str
  labels:
    description:
      - Only certificates whose labels contain all these keys and values.
    type: dict
  state:
    description:
      - Only records in one of these states.
    type: list
    elements: str
    choices: [requested, issued, revoked, failed, discovered]
  validation_status:
    description:
      - Only certificates with one of these validation statuses.
    type: list
    elements: str
    choices: [valid, expiring, expired, revoked, invalid, superseded]
  scope:
    description:
      - Which certificates to list and count by status. V(current) those in use (every status
        but V(superseded)), V(superseded) only those a renewal or rekey replaced, V(all) both.
      - Other filters apply within the scope. With V(current), the superseded certificates that
        match the other filters are counted in RV(counts.superseded) but neither listed nor in
        RV(counts.total).
      - Default V(current), or V(all) when O(uuid) or O(serial) names a certificate, or
        O(validation_status) asks for V(superseded).
    type: str
    choices: [current, superseded, all]
  due_within_days:
    description:
      - Only issued certificates that expire within this many days from now, including those
        that have expired already (combine with O(validation_status) to leave them out).
      - Within O(scope), by default the current certificates, so a certificate already renewed
        is not due again.
    type: int
  include_pem:
    description:
      - Return each certificate's PEM and chain as well.
    type: bool
    default: false
  include_events:
    description:
      - Return each certificate's event log (what was done to it, when, by whom, with what result).
    type: bool
    default: false
  fields:
    description:
      - Return only these keys of each certificate, for a smaller and faster result on a large
        inventory. V(certificate_pem) and V(chain_pem) imply O(include_pem), V(events) implies
        O(include_events).
      - If not set, every key of RV(certificates) is returned.
    type: list
    elements: str
    choices: [uuid, serial, subject, subject_alt_names, issuer, not_before, not_after, fingerprint_sha256,
              spki_sha256, state, validation_status, superseded_by, ra_profile, labels, key_source, token_profile,
              key_ref,
              revocation_reason, revoked_at, failure_reason, created_at, updated_at, lineage,
              locations, origin, replaceable, compliance, certificate_pem, chain_pem, events]
  limit:
    description:
      - Return at most this many certificates (the oldest first). RV(counts) still counts every match,
        so RV(counts.total) greater than the length of RV(certificates) means some were left out.
    type: int
  counts_only:
    description:
      - Return only RV(counts); RV(certificates) is empty.
    type: bool
    default: false
  origin:
    description:
      - Only certificates first recorded by discovery (V(discovered)) or issued through a profile (V(issued)).
    type: list
    elements: str
    choices: [issued, discovered]
  location_host:
    description:
      - Only certificates found on this host (a location's C(host), an inventory hostname or an endpoint's host).
    type: str
  compliance:
    description:
      - Check each certificate against its RA profile's policy and the baseline, and return the findings
        in RV(certificates[].compliance) and a summary in RV(compliance). See the rules in
        R(docs/discovery.md,https://github.com/pki-lifecycle/pki.lifecycle/blob/main/docs/discovery.md).
      - Implied by O(compliance_status) and O(compliance_rules).
    type: bool
    default: false
  compliance_status:
    description:
      - Only certificates with this compliance status.
    type: list
    elements: str
    choices: [compliant, noncompliant]
  compliance_rules:
    description:
      - Only certificates with a finding for one of these rules.
    type: list
    elements: str
    choices: [weak_key, key_type_not_allowed, weak_signature, validity_too_long, names_not_allowed, missing_san,
              self_signed_leaf, unknown_issuer, expired, expiring, revoked_deployed]
  compliance_profile:
    description:
      - Check discovered certificates (bound to no RA profile) against this profile's policy too, as
        if they were adopted into it. Bound certificates are always checked against their own profile.
    type: str
  trust_anchors:
    description:
      - PEM text or a path to a PEM file with issuers to treat as known for the V(unknown_issuer) rule,
        besides the RA profiles on the embedded CA and the issuers of certificates issued through a profile.
    type: str
  expiring_days:
    description:
      - For certificates without a renewal window from their RA profile, the V(expiring) rule fires this
        many days before the end of validity.
    type: int
    default: 30
extends_documentation_fragment:
  - pki.lifecycle.attributes
  - pki.lifecycle.attributes.controller
  - pki.lifecycle.inventory
  - pki.lifecycle.secrets
attributes:
  diff_mode:
    support: N/A
    details: The module only reads.
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
  - module: pki.lifecycle.certificate_renew
'''

EXAMPLES = r'''
- name: Current certificates that expire within 30 days (renewed ones are superseded, not due)
  pki.lifecycle.certificate_info:
    due_within_days: 30
    validation_status: [valid, expiring]
  delegate_to: localhost
  run_once: true
  register: soon

- name: On a large inventory, ask only for what is used
  pki.lifecycle.certificate_info:
    due_within_days: 7
    fields: [uuid, subject, not_after, labels]
    limit: 100
  delegate_to: localhost
  run_once: true
  register: due_soon

- name: Only the numbers
  pki.lifecycle.certificate_info:
    ra_profile: internal-web
    counts_only: true
  delegate_to: localhost
  run_once: true
  register: web_counts

- name: What is in use, by status (superseded certificates counted apart)
  pki.lifecycle.certificate_info:
  delegate_to: localhost
  run_once: true
  register: inventory

- name: Fail the run when a certificate in use has expired
  ansible.builtin.assert:
    that: inventory.counts.expired == 0
    fail_msg: >-
      {{ inventory.counts.expired }} certificate(s) in use have expired:
      {{ inventory.certificates | selectattr('validation_status', '==', 'expired') | map(attribute='subject') | join(', ') }}
    success_msg: >-
      {{ inventory.counts.total }} certificates in use ({{ inventory.counts.valid }} valid,
      {{ inventory.counts.expiring }} expiring, {{ inventory.counts.revoked }} revoked);
      {{ inventory.counts.superseded }} superseded by renewals or rekeys
  run_once: true

- name: The certificates renewal or rekey replaced, with the uuid of each replacement
  pki.lifecycle.certificate_info:
    scope: superseded
  delegate_to: localhost
  run_once: true
  register: replaced

- name: The certificates of one host, with PEMs and history
  pki.lifecycle.certificate_info:
    ra_profile: internal-web
    labels:
      host: "{{ inventory_hostname }}"
    state: [issued]
    include_pem: true
    include_events: true
  delegate_to: localhost
  register: host_certs

- name: Look a certificate up by serial
  pki.lifecycle.certificate_info:
    serial: "4c:1f:0e:8b:9a:7d:6c:5b:4a:39:28:17:06:f5:e4:d3"
  delegate_to: localhost
  run_once: true
'''

RETURN = r'''
certificates:
  description: The matching certificates' records (never a private key), oldest first.
  returned: always
  type: list
  elements: dict
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
      description: The certificate, PEM (empty when the record holds none).
      type: str
      returned: when O(include_pem=true)
    chain_pem:
      description: Its issuer chain, PEM.
      type: str
      returned: when O(include_pem=true)
    origin:
      description: V(discovered) when the record was created by discovery, else V(issued).
      type: str
      choices: [issued, discovered]
    replaceable:
      description: Adopted from another CA; its renewal issues through the RA profile (M(pki.lifecycle.certificate_adopt)).
      type: bool
    locations:
      description:
        - Where the certificate was found (M(pki.lifecycle.certificate_discovered)); empty when it never was.
          A place where it is no longer found is kept with C(status=gone).
      type: list
      elements: dict
      contains:
        id: {description: "Stable key: C(file:<host>:<path>) or C(endpoint:<host>:<port>/<server name>).", type: str}
        kind: {description: "V(file) or V(endpoint).", type: str}
        host: {description: "The inventory hostname (files) or the host contacted (endpoints).", type: str}
        path: {description: "The file (kind V(file)).", type: str}
        port: {description: "The port (kind V(endpoint)).", type: int}
        endpoint: {description: "V(host:port) (kind V(endpoint)).", type: str}
        server_name: {description: "SNI sent (kind V(endpoint)).", type: str}
        status: {description: "V(present) or V(gone).", type: str}
        first_seen: {description: "ISO 8601 UTC.", type: str}
        last_seen: {description: "ISO 8601 UTC.", type: str}
        gone_since: {description: "ISO 8601 UTC when gone, else null.", type: str}
        owner: {description: "File owner.", type: str}
        group: {description: "File group.", type: str}
        mode: {description: "File mode (octal string).", type: str}
        format: {description: "V(pem), V(der), V(pkcs7) or V(pkcs12).", type: str}
        private_key: {description: "The key found beside the file: C(path), C(matches), C(reason); never the key.", type: dict}
        protocol: {description: "TLS protocol served (kind V(endpoint)).", type: str}
        verified: {description: "The served chain verified against the trust anchors given at discovery.", type: bool}
    compliance:
      description: The compliance check of this certificate.
      type: dict
      returned: when O(compliance), O(compliance_status) or O(compliance_rules) is set
      contains:
        status: {description: "V(compliant) or V(noncompliant).", type: str}
        findings:
          description: One per rule broken.
          type: list
          elements: dict
          contains:
            rule: {description: "The rule, e.g. V(weak_key).", type: str}
            severity: {description: "V(high) or V(medium).", type: str}
            message: {description: "What is wrong.", type: str}
            fix: {description: "What to do.", type: str}
    events:
      description: The certificate's event log, oldest first.
      type: list
      elements: dict
      returned: when O(include_events=true)
      contains:
        id:
          description: The event's number, increasing.
          type: int
        time:
          description: When, ISO 8601 in UTC.
          type: str
        operation:
          description: What was done, for example V(issue), V(renew), V(rekey), V(revoke), V(recover).
          type: str
        result:
          description: V(changed), V(unchanged), V(failed) or V(requested).
          type: str
        message:
          description: What happened, in one sentence.
          type: str
        who:
          description: Who did it, C(user@host:pid).
          type: str
        certificate_uuid:
          description: The certificate's uuid.
          type: str
        ra_profile:
          description: The RA profile at the time.
          type: str
compliance:
  description: "Summary over the certificates returned: C(compliant), C(noncompliant), C(rules) (count per rule)."
  returned: when O(compliance), O(compliance_status) or O(compliance_rules) is set
  type: dict
  sample: {"compliant": 10, "noncompliant": 2, "rules": {"weak_key": 1, "expired": 1, "unknown_issuer": 2}}
counts:
  description:
    - How many certificates match, in total and by validation status, within O(scope); and how many
      superseded ones match the other filters (with the default O(scope=current), counted apart).
    - Every match is counted, also those O(limit) or O(counts_only) leave out of RV(certificates).
  returned: always
  type: dict
  sample: {"total": 12, "valid": 9, "expiring": 2, "expired": 0, "revoked": 1, "invalid": 0, "superseded": 7}
  contains:
    total:
      description: All matching certificates in O(scope) (with O(scope=current), the superseded ones are not).
      type: int
    valid:
      description: Valid and not yet due for renewal.
      type: int
    expiring:
      description: Valid but inside the renewal window.
      type: int
    expired:
      description: Past their end of validity (a superseded certificate is not counted here, whatever its dates).
      type: int
    revoked:
      description: Revoked.
      type: int
    invalid:
      description: Not issued, failed, or not valid yet.
      type: int
    superseded:
      description:
        - Replaced by a renewal or rekey and not revoked, whatever their dates.
        - Counted for every O(scope); with O(scope=current) they are not returned and not in RV(counts.total).
      type: int
'''


from ansible_collections.pki.lifecycle.plugins.module_utils.common import PkiModule
from ansible_collections.pki.lifecycle.plugins.module_utils.vocabulary import RECORD_FIELDS


OPERATION = 'info'
# The keys of a returned certificate, for ``fields``.
FIELDS = RECORD_FIELDS + ('locations', 'origin', 'replaceable', 'compliance', 'certificate_pem', 'chain_pem', 'events')


def module_spec():
    """The argument spec and its constraints; the action plugin of the same name validates with
    exactly these (plugins/plugin_utils/controller_action.py)."""
    return dict(
        argument_spec=dict(
            uuid=dict(type='str'),
            serial=dict(type='str'),
            subject=dict(type='raw'),
            ra_profile=dict(type='str'),
            labels=dict(type='dict'),
            state=dict(type='list', elements='str', choices=['requested', 'issued', 'revoked', 'failed', 'discovered']),
            validation_status=dict(type='list', elements='str',
                                   choices=['valid', 'expiring', 'expired', 'revoked', 'invalid', 'superseded']),
            scope=dict(type='str', choices=['current', 'superseded', 'all']),
            due_within_days=dict(type='int'),
            include_pem=dict(type='bool', default=False),
            include_events=dict(type='bool', default=False),
            fields=dict(type='list', elements='str', choices=list(FIELDS)),
            limit=dict(type='int'),
            counts_only=dict(type='bool', default=False),
            origin=dict(type='list', elements='str', choices=['issued', 'discovered']),
            location_host=dict(type='str'),
            compliance=dict(type='bool', default=False),
            compliance_status=dict(type='list', elements='str', choices=['compliant', 'noncompliant']),
            compliance_rules=dict(type='list', elements='str', choices=[
                'weak_key', 'key_type_not_allowed', 'weak_signature', 'validity_too_long', 'names_not_allowed',
                'missing_san', 'self_signed_leaf', 'unknown_issuer', 'expired', 'expiring', 'revoked_deployed']),
            compliance_profile=dict(type='str'),
            trust_anchors=dict(type='str'),
            expiring_days=dict(type='int', default=30),
        ),
        mutually_exclusive=[('counts_only', 'limit'), ('counts_only', 'fields')],
    )


def main():
    PkiModule(**module_spec()).run(OPERATION)


if __name__ == '__main__':
    main()
