# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ModuleDocFragment(object):
    """The key and CSR a module makes on the managed host (certificate_request, certificate_deploy).
    Argument spec twin: the same keys of module_utils/argspec.py key_source_argument_spec()."""

    DOCUMENTATION = r'''
options:
  key_type:
    description: Type of a generated key.
    type: str
    choices: [rsa, ec, ed25519]
    default: ec
  key_size:
    description: Size of a generated RSA key (default 2048).
    type: int
    choices: [2048, 3072, 4096]
  curve:
    description: Curve of a generated EC key (default P-256).
    type: str
    choices: [P-256, P-384]
  subject_alt_names:
    description: Subject alternative names, each C(DNS:), C(IP:), C(email:) or C(URI:).
    type: list
    elements: str
  extensions:
    description:
      - Requested extensions, as for M(pki.lifecycle.certificate_issue).
    type: dict
    suboptions:
      key_usage:
        description: Key usages.
        type: list
        elements: str
      extended_key_usage:
        description: Extended key usages or dotted OIDs.
        type: list
        elements: str
      basic_constraints:
        description: Basic constraints.
        type: dict
        suboptions:
          ca:
            description: CA certificate.
            type: bool
            default: false
          path_length:
            description: Path length constraint.
            type: int
          critical:
            description: Mark the extension critical.
            type: bool
            default: true
  signature_algorithm:
    description: CSR signature algorithm; default by key type.
    type: str
    choices: [rsa-pkcs1v15, rsa-pss, ecdsa, ed25519]
  digest:
    description: CSR digest (ignored for Ed25519).
    type: str
    choices: [sha256, sha384, sha512]
    default: sha256
'''
