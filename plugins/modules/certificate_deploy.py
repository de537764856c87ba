#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: certificate_deploy
short_description: One host's certificate in one task - key, CSR, issue or renew, deploy
version_added: 0.2.0
description:
  - Keeps the certificate of one managed host current and deployed, as the C(certificate) role
    does (the role is this task plus its rarely needed steps - ACME challenges, rekey, reload).
    An action plugin. The parts that concern the inventory and the CA run on the controller, in
    Ansible's worker process; the parts that concern files run on the managed host through
    M(pki.lifecycle.certificate_request).
  - "With O(key_location=host) (the default) the key never leaves the host. One call to the host
    ensures the key at O(path) and its CSR at O(csr_path), as M(pki.lifecycle.certificate_request)
    does, and reports what is deployed at O(cert_path), O(chain_path) and O(fullchain_path)
    (SHA-256 of the content, owner, group, mode). When the key and the CSR are unchanged since
    the last run (a stamp beside the key records their SHA-256 and the request), that call
    imports no cryptography and signs nothing."
  - With O(key_location=controller) the key is O(key) in token profile O(token_profile) on the
    controller (generated when missing); the host only receives the certificate files.
  - "Then, on the controller: the certificate is issued through O(ra_profile) as
    M(pki.lifecycle.certificate_issue) would (no change when a current certificate of the same
    identity exists), and renewed as M(pki.lifecycle.certificate_renew) would when lifecycle
    says it is due (the CA's suggested window, else O(renew_before), else the RA profile's)."
  - The certificate, chain and full chain are written to the host, by atomic replace with
    O(owner), O(group) and O(mode), only when the host's report shows that one of them differs.
    A no-change run therefore costs one round-trip to the host.
  - An empty value of an optional option (V(''), V(0), an empty dict or list) means the option is
    not set, and the options of the other key location are ignored, so that a role can pass its
    variables as they are.
  - An ACME order that waits for its challenges is not deployed. RV(challenge_data) lists them;
    answer them and call M(pki.lifecycle.certificate_issue) again with the same request (the
    C(certificate) role does, for http-01 and dns-01).
options:
  ra_profile:
    description: The RA profile to issue through (see M(pki.lifecycle.ra_profile)).
    type: str
    required: true
  key_location:
    description:
      - V(host) the key is a file on the managed host (O(path)); V(controller) it is O(key) in
        the token profile O(token_profile).
    type: str
    choices: [host, controller]
    default: host
  path:
    description: Absolute path of the private key on the host. Required with O(key_location=host).
    type: path
  csr_path:
    description: Path of the CSR on the host. Default O(path) with C(.csr) appended.
    type: path
  passphrase:
    description:
      - Encrypts a generated key; decrypts an existing encrypted key (O(key_location=host)).
      - With a passphrase the key and the CSR are checked in full on every run (no stamp).
    type: str
  key_owner:
    description: Owner of the key and CSR files on the host.
    type: str
  key_group:
    description: Group of the key and CSR files on the host.
    type: str
  key_mode:
    description: Mode of the key file on the host.
    type: raw
    default: '0600'
  token_profile:
    description: The token profile holding the key. Required with O(key_location=controller).
    type: str
  key:
    description: The key's name in O(token_profile) (generated there when missing).
    type: str
  subject:
    description:
      - Subject DN as a string (C(CN=www.example.org,O=Example)) or a dict. Required with
        O(key_location=controller).
    type: raw
  attributes:
    description: Issue attributes for this request, merged over the RA profile's.
    type: dict
  validity_days:
    description: The validity to ask the CA for, in days (as for M(pki.lifecycle.certificate_issue)).
    type: int
  renew_before:
    description:
      - The renewal window, as for M(pki.lifecycle.certificate_renew) (days like V(30), hours
        like V(8h), minutes like V(30m) or a share of the lifetime like V(33%)). Default the CA's
        suggested window, else the RA profile's.
    type: str
  labels:
    description: Labels to record with the certificate (the C(certificate) role records the host, paths and reload).
    type: dict
  cert_path:
    description: Where the certificate goes on the host.
    type: path
    required: true
  chain_path:
    description: Where the chain goes on the host (not written when unset).
    type: path
  fullchain_path:
    description: Where the certificate followed by the chain goes on the host (not written when unset).
    type: path
  owner:
    description: Owner of the certificate files.
    type: str
  group:
    description: Group of the certificate files.
    type: str
  mode:
    description: Mode of the certificate files.
    type: raw
    default: '0644'
  create_dirs:
    description: Create the missing parent directories of the key, the CSR and the certificate files.
    type: bool
    default: false
  dir_mode:
    description: Mode of directories created by O(create_dirs) (default by umask).
    type: raw
  from_role_variables:
    description:
      - Take every option from the variables of the C(pki.lifecycle.certificate) role
        (C(certificate_<option>); C(certificate_key_path) for O(path), C(certificate_key_passphrase)
        for O(passphrase), C(certificate_token_key) for O(key)), and build O(labels) from them
        (where and how the certificate is deployed, for the C(renewal) and C(decommission) roles).
      - Each variable is templated once and validated against the role's argument spec, so that
        the role needs no separate validation task on every host (see the role's documentation).
      - Only for the task inside that role. The options no role variable sets (the inventory
        and the secrets, usually from C(module_defaults)) are taken as given.
    type: bool
    default: false
extends_documentation_fragment:
  - pki.lifecycle.host_request
  - pki.lifecycle.attributes
  - pki.lifecycle.attributes.controller
  - pki.lifecycle.inventory
  - pki.lifecycle.secrets
attributes:
  check_mode:
    details: Nothing is written on the host or in the inventory and the CA is not called; the result says what would change.
  diff_mode:
    support: partial
    details: The diff of the certificate record when it is issued or renewed.
  platform:
    details: The inventory and the CA on the controller; the key and the files on the managed host.
requirements:
  - python >= 3.9 and cryptography on the controller
  - cryptography on the managed host when a key or CSR is made or checked in full
author:
  - pki.lifecycle contributors (@pki-lifecycle)
seealso:
  - module: pki.lifecycle.certificate_request
  - module: pki.lifecycle.certificate_issue
  - module: pki.lifecycle.certificate_renew
'''

EXAMPLES = r'''
- name: The certificate of this host, issued on the controller, key and files on the host
  pki.lifecycle.certificate_deploy:
    ra_profile: internal-web
    path: /etc/pki/tls/private/www.key
    subject: CN=www.example.org
    subject_alt_names: [DNS:www.example.org]
    cert_path: /etc/pki/tls/certs/www.crt
    fullchain_path: /etc/pki/tls/certs/www.fullchain.crt
  register: www
  notify: reload nginx
'''

RETURN = r'''
certificate:
  description:
    - The certificate's record in the inventory, as M(pki.lifecycle.certificate_issue) returns it.
    - Empty in check mode when a new certificate would be issued.
  returned: success
  type: dict
certificate_pem:
  description: The certificate (PEM).
  returned: success
  type: str
chain_pem:
  description: The chain (PEM), without the root.
  returned: success
  type: str
fullchain_pem:
  description: The certificate followed by the chain.
  returned: success
  type: str
root_pem:
  description: The root the chain ends with, when known.
  returned: success
  type: str
renewed:
  description: Whether the certificate was renewed (due) in this run.
  returned: success
  type: bool
files_changed:
  description: The certificate files written (or that would be, in check mode).
  returned: success
  type: list
  elements: str
challenge_data:
  description: The challenges an ACME order waits for (as M(pki.lifecycle.certificate_issue) returns them); nothing was deployed.
  returned: when an ACME order is pending
  type: list
  elements: dict
csr:
  description: The CSR of the host's key (PEM), to finish the pending ACME order with.
  returned: with O(key_location=host) when an ACME order is pending
  type: str
spki_sha256:
  description: SHA-256 of the host key's SubjectPublicKeyInfo.
  returned: with O(key_location=host)
  type: str
key_created:
  description: Whether the key was generated on the host in this run.
  returned: with O(key_location=host)
  type: bool
csr_changed:
  description: Whether the CSR file on the host was (re)written.
  returned: with O(key_location=host)
  type: bool
deployed:
  description:
    - What the host reported at the certificate paths before any write
      (RV(pki.lifecycle.certificate_request#module:deployed) of M(pki.lifecycle.certificate_request)).
  returned: with O(key_location=host) when an ACME order is pending
  type: dict
labels:
  description: The labels recorded on the certificate (with O(from_role_variables), the ones built from the role's variables).
  returned: success
  type: dict
reason:
  description: What changed and why, or why nothing did.
  returned: always
  type: str
'''
