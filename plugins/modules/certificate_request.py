#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: certificate_request
short_description: Keep a private key and its CSR on the managed host
version_added: 0.1.0
description:
  - Runs on the managed host (not on the controller, and not part of the
    C(pki.lifecycle.certificates) action group). Ensures that a private key file exists at
    O(path) (generated when missing as PKCS#8 PEM, mode V(0600), written atomically, never
    overwritten, optionally encrypted with O(passphrase)) and that a CSR for the requested
    subject and subject alternative names, signed by that key, exists at O(csr_path). Returns
    the CSR, which the controller sends to the CA through an RA profile; the key never leaves
    the host.
  - The CSR is rewritten only when the request changes (subject, names, extensions, signature
    algorithm or key). An existing key is never replaced; a file at O(path) that is not a
    private key is an error and is left untouched.
  - "O(rekey=true) makes a second key and CSR beside the current ones (O(path) and O(csr_path)
    with O(new_suffix) appended) and returns their CSR as RV(new_csr); the current key stays in use.
    After the new certificate is deployed as C(<file><new_suffix>), O(commit=true) moves the new
    files into place: the certificate files in O(commit_files) first, then the CSR, then the
    key, each by an atomic rename."
  - The CSR is built by the same code as the controller-side token profiles
    (C(module_utils/keys/csr.py)).
options:
  path:
    description: Absolute path of the private key file on the host.
    type: path
    required: true
  csr_path:
    description: Path of the CSR file. Default O(path) with C(.csr) appended.
    type: path
  passphrase:
    description: Encrypts a generated key; decrypts an existing encrypted key.
    type: str
  subject:
    description: Subject DN as a string (C(CN=www.example.org,O=Example)) or a dict.
    type: raw
  owner:
    description: Owner of the key and CSR files.
    type: str
  group:
    description: Group of the key and CSR files.
    type: str
  mode:
    description: Mode of the key file.
    type: raw
    default: '0600'
  csr_mode:
    description: Mode of the CSR file.
    type: raw
    default: '0644'
  rekey:
    description: Also make a new key and CSR beside the current ones (see description).
    type: bool
    default: false
  commit:
    description: Move the new key, its CSR and O(commit_files) into place (see description).
    type: bool
    default: false
  commit_files:
    description: Files whose C(<file><new_suffix>) replaces them on O(commit=true), before the key.
    type: list
    elements: path
    default: []
  files:
    description:
      - Certificate files to deploy (never keys), each written by atomic replace when its content
        or attributes differ. With O(commit=true) they are written before the new key moves in.
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description: Destination on the host.
        type: path
        required: true
      content:
        description: PEM text.
        type: str
        required: true
      owner:
        description: Owner.
        type: str
      group:
        description: Group.
        type: str
      mode:
        description: Mode.
        type: raw
        default: '0644'
  files_only:
    description: Only deploy O(files); the key and CSR are not touched.
    type: bool
    default: false
  create_dirs:
    description:
      - Create the missing parent directories of the key, the CSR and O(files). Existing
        directories are left as they are.
    type: bool
    default: false
  dir_mode:
    description: Mode of directories created by O(create_dirs) (default by umask).
    type: raw
  report_files:
    description:
      - Files to describe in RV(deployed) (SHA-256 of the content, owner, group, mode), read in the
        same run as the key and the CSR, so that the controller can tell whether a deploy has
        anything to do without another round-trip to the host (the C(certificate) role does, with
        the C(pki.lifecycle.files_to_deploy) filter). Ignored with O(files_only) and O(commit).
    type: list
    elements: path
    default: []
    version_added: 0.2.0
  new_suffix:
    description: Suffix of the new key, CSR and files during a rekey.
    type: str
    default: .new
extends_documentation_fragment:
  - pki.lifecycle.host_request
  - pki.lifecycle.attributes
  - pki.lifecycle.attributes.host
attributes:
  check_mode:
    details: Reports what would be generated or written; writes nothing.
  diff_mode:
    support: none
requirements:
  - python >= 3.9
  - cryptography on the managed host (not for O(files_only=true))
author:
  - pki.lifecycle contributors (@pki-lifecycle)
seealso:
  - module: pki.lifecycle.certificate_issue
  - module: pki.lifecycle.certificate_rekey
'''

EXAMPLES = r'''
- name: Key and CSR on the host
  pki.lifecycle.certificate_request:
    path: /etc/ssl/private/www.key
    csr_path: /etc/ssl/www.csr
    subject: CN=www.example.org
    subject_alt_names: [DNS:www.example.org]
  register: req

- name: Issue it on the controller
  pki.lifecycle.certificate_issue:
    ra_profile: internal-web
    csr: "{{ req.csr }}"
  delegate_to: localhost
'''

RETURN = r'''
csr:
  description: The CSR (PEM) of the current key; empty in check mode when the key is still to be made.
  returned: unless O(commit)
  type: str
spki_sha256:
  description: SHA-256 of the current key's SubjectPublicKeyInfo (hex).
  returned: unless O(commit)
  type: str
key_path:
  description: The key file.
  returned: always
  type: str
csr_path:
  description: The CSR file.
  returned: always
  type: str
key_created:
  description: Whether the key was generated by this run.
  returned: unless O(commit)
  type: bool
csr_changed:
  description: Whether the CSR file was (re)written.
  returned: unless O(commit)
  type: bool
new_csr:
  description: The CSR of the new key.
  returned: when O(rekey=true)
  type: str
new_key_path:
  description: The new key file.
  returned: when O(rekey=true)
  type: str
new_spki_sha256:
  description: SHA-256 of the new key's SubjectPublicKeyInfo.
  returned: when O(rekey=true)
  type: str
deployed:
  description:
    - For each of O(report_files) (absolute path), what is there. C(exists) false when missing;
      otherwise C(sha256) (hex, of the file's bytes), C(mode) (integer), C(uid), C(gid), C(owner)
      and C(group) (names when known).
  returned: when O(report_files) is given, unless O(files_only) or O(commit)
  type: dict
  sample: {"/etc/pki/www.crt": {"exists": true, "sha256": "9f86d0...", "mode": 420, "uid": 0, "gid": 0, "owner": "root", "group": "root"}}
files_changed:
  description: The O(files) written or whose attributes were changed.
  returned: when O(files) is given
  type: list
  elements: str
dirs_created:
  description: Directories created by O(create_dirs).
  returned: unless O(commit)
  type: list
  elements: str
committed:
  description: The files replaced by their new versions.
  returned: when O(commit=true)
  type: list
  elements: str
reason:
  description: One sentence saying what changed or why nothing did.
  returned: always
  type: str
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.pki.lifecycle.plugins.module_utils.argspec import key_source_argument_spec
from ansible_collections.pki.lifecycle.plugins.module_utils.host_request import run_module


def main():
    shared = key_source_argument_spec()
    argument_spec = dict((k, shared[k]) for k in ('key_type', 'key_size', 'curve', 'subject', 'subject_alt_names',
                                                  'extensions', 'signature_algorithm', 'digest'))
    argument_spec.update(
        path=dict(type='path', required=True),
        csr_path=dict(type='path'),
        passphrase=dict(type='str', no_log=True),
        owner=dict(type='str'),
        group=dict(type='str'),
        mode=dict(type='raw', default='0600'),
        csr_mode=dict(type='raw', default='0644'),
        rekey=dict(type='bool', default=False),
        commit=dict(type='bool', default=False),
        commit_files=dict(type='list', elements='path', default=[]),
        files=dict(type='list', elements='dict', default=[], options=dict(
            path=dict(type='path', required=True),
            content=dict(type='str', required=True),
            owner=dict(type='str'),
            group=dict(type='str'),
            mode=dict(type='raw', default='0644'),
        )),
        files_only=dict(type='bool', default=False),
        create_dirs=dict(type='bool', default=False),
        dir_mode=dict(type='raw'),
        new_suffix=dict(type='str', default='.new'),
        report_files=dict(type='list', elements='path', default=[]),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True,
                           mutually_exclusive=[('rekey', 'commit'), ('rekey', 'files_only'), ('commit', 'files_only')])
    run_module(module)


if __name__ == '__main__':
    main()
