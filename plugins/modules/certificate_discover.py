#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: certificate_discover
short_description: Find the certificates on a managed host
version_added: 0.2.0
description:
  - Runs on the managed host (not part of the C(pki.lifecycle.certificates) action group). Walks the
    O(paths) (files, directories or globs) and reads every file whose name matches O(patterns) -
    PEM (certificates, PKCS#7 blocks, full chains, certificate and key in one file), DER, PKCS#7
    (DER) and PKCS#12 (without a password, or with one of O(pkcs12_passwords)).
  - For each end-entity certificate it returns the location (path, owner, group, mode, format),
    the certificate and the chain found in the same file, and whether a private key beside it
    (in the same file, or a file such as C(name.key) or C(privkey.pem) in the same directory)
    matches its public key. The key itself is never returned, stored or logged.
  - Files that cannot be read or parsed are listed in RV(errors) with the reason; they never end
    the task. Files that are expected not to hold a certificate (a key, a CSR, a CA bundle when
    O(include_ca=false)) or exceed a limit are listed in RV(left_out).
  - Large trees are bounded by O(max_depth), O(max_file_size) and O(max_files). Directory
    symlinks are followed, each real directory at most once, so a symlink loop cannot trap the scan.
  - Record the result in the inventory on the controller with M(pki.lifecycle.certificate_discovered).
options:
  paths:
    description:
      - Files, directories or globs (V(/etc/*/tls)) to scan. A file named here is read whatever its name.
    type: list
    elements: str
    required: true
  patterns:
    description: File name patterns (shell style) of the files read inside directories.
    type: list
    elements: str
    default: ['*.pem', '*.crt', '*.cer', '*.cert', '*.der', '*.p7b', '*.p7c', '*.pfx', '*.p12']
  excludes:
    description: Path or file name patterns (shell style) left out, e.g. V(*/archive/*).
    type: list
    elements: str
    default: []
  max_depth:
    description: Directory levels scanned below each directory in O(paths).
    type: int
    default: 8
  max_file_size:
    description: Files larger than this many bytes are skipped (listed in RV(left_out)).
    type: int
    default: 1048576
  max_files:
    description: The scan stops after examining this many files (C(stats.truncated) is then true).
    type: int
    default: 100000
  include_ca:
    description:
      - Also report CA certificates (trust bundles, roots, intermediates on their own). By default a
        file holding only CA certificates is skipped, and CA certificates beside a leaf are its chain.
    type: bool
    default: false
  match_keys:
    description: Look for the private key of each certificate beside it and report whether it matches.
    type: bool
    default: true
  pkcs12_passwords:
    description: Passwords tried, in order, on PKCS#12 files that do not open without one. Never logged.
    type: list
    elements: str
    default: []
extends_documentation_fragment:
  - pki.lifecycle.attributes
  - pki.lifecycle.attributes.host
attributes:
  check_mode:
    details: The module only reads.
  diff_mode:
    support: N/A
    details: The module only reads.
requirements:
  - python >= 3.9
  - cryptography on the managed host
author:
  - pki.lifecycle contributors (@pki-lifecycle)
'''

EXAMPLES = r'''
- name: Find every certificate under the usual places
  pki.lifecycle.certificate_discover:
    paths: [/etc/nginx, /etc/ssl, /etc/pki, /etc/letsencrypt/live, /opt/*/conf]
    excludes: ['*/archive/*']
    pkcs12_passwords: ["{{ vault_p12_password }}"]
  register: found

- name: Record what was found in the inventory
  pki.lifecycle.certificate_discovered:
    host: "{{ inventory_hostname }}"
    discovery: "{{ found }}"
  delegate_to: localhost
'''

RETURN = r'''
kind:
  description: Always V(file); tells M(pki.lifecycle.certificate_discovered) what kind of scan this was.
  returned: always
  type: str
  sample: file
roots:
  description: "The O(paths) as given: the scope within which a certificate no longer found is marked gone."
  returned: always
  type: list
  elements: str
certificates:
  description: One item per end-entity certificate found (per certificate in a file).
  returned: always
  type: list
  elements: dict
  contains:
    path: {description: "The file.", type: str}
    real_path: {description: "Where the file really is when O(paths) reached it through a symlink, else null.", type: str}
    index: {description: "Position of the certificate in the file (0 first).", type: int}
    format: {description: "V(pem), V(der), V(pkcs7) or V(pkcs12).", type: str}
    owner: {description: "Owner of the file.", type: str}
    group: {description: "Group of the file.", type: str}
    mode: {description: "Permissions, octal string such as V(0644).", type: str}
    size: {description: "Bytes.", type: int}
    certificates_in_file: {description: "How many certificates the file holds.", type: int}
    certificate_pem: {description: "The certificate.", type: str}
    chain_pem: {description: "The issuer chain found in the same file (issuer first), or empty.", type: str}
    fingerprint_sha256: {description: "SHA-256 of the DER, lowercase hex.", type: str}
    spki_sha256: {description: "SHA-256 of the public key info, lowercase hex.", type: str}
    subject: {description: "RFC 4514 subject.", type: str}
    issuer: {description: "RFC 4514 issuer.", type: str}
    serial: {description: "Serial number, lowercase hex.", type: str}
    not_before: {description: "ISO 8601 UTC.", type: str}
    not_after: {description: "ISO 8601 UTC.", type: str}
    subject_alt_names: {description: "Names such as V(DNS:www.example.org).", type: list, elements: str}
    public_key: {description: "Key type and size or curve, e.g. V({type: rsa, size: 2048}).", type: dict}
    signature_algorithm: {description: "Signature algorithm.", type: str}
    signature_digest: {description: "Digest of the signature (V(sha1) is weak).", type: str}
    self_signed: {description: "Subject equals issuer.", type: bool}
    is_ca: {description: "basicConstraints CA.", type: bool}
    private_key:
      description:
        - The private key found for it, or null when none was found. C(path); C(matches) true, false, or
          null when it could not be compared (encrypted, unreadable); C(reason). Never the key.
      type: dict
errors:
  description: Paths that could not be read or parsed, with the reason (C(path), C(reason)).
  returned: always
  type: list
  elements: dict
  sample: [{path: /etc/ssl/broken.pem, reason: "not a certificate: neither PEM nor DER X.509, PKCS#7 or PKCS#12"}]
left_out:
  description: Paths left out on purpose (keys, CSRs, CA-only bundles, limits), with the reason (C(path), C(reason)).
  returned: always
  type: list
  elements: dict
stats:
  description: "C(files_examined), C(directories), C(certificates), C(errors), C(left_out), C(truncated), C(seconds)."
  returned: always
  type: dict
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.pki.lifecycle.plugins.module_utils.discovery.files import DEFAULT_PATTERNS, run_module


def main():
    module = AnsibleModule(argument_spec=dict(
        paths=dict(type='list', elements='str', required=True),
        patterns=dict(type='list', elements='str', default=list(DEFAULT_PATTERNS)),
        excludes=dict(type='list', elements='str', default=[]),
        max_depth=dict(type='int', default=8),
        max_file_size=dict(type='int', default=1048576),
        max_files=dict(type='int', default=100000),
        include_ca=dict(type='bool', default=False),
        match_keys=dict(type='bool', default=True),
        pkcs12_passwords=dict(type='list', elements='str', default=[], no_log=True),
    ), supports_check_mode=True)
    run_module(module)


if __name__ == '__main__':
    main()
