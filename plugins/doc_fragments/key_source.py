# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ModuleDocFragment(object):
    """The key source of a certificate request: an external CSR, or a key in a token profile
    plus the request and signature attributes. Argument spec twin:
    module_utils/argspec.py key_source_argument_spec()."""

    DOCUMENTATION = r'''
options:
  csr:
    description:
      - "External key source: a PKCS#10 certificate signing request, as PEM text or as the path
        of a PEM file on the controller. The private key stays wherever the CSR was made (for
        example on the managed host, with M(pki.lifecycle.certificate_request))."
      - The CSR's signature must verify. Its subject, subject alternative names and requested
        extensions are the request, so O(subject), O(subject_alt_names) and O(extensions) cannot
        be given with it.
      - Exactly one of O(csr) and O(token_profile) is required.
    type: str
  token_profile:
    description:
      - "Existing key source: the name of the token profile (see M(pki.lifecycle.token_profile))
        that holds the private key O(key). The CSR is built from O(subject), O(subject_alt_names)
        and O(extensions) and signed inside the token; the key never leaves it."
      - Requires O(key). Exactly one of O(csr) and O(token_profile) is required.
      - Unlock the token with O(token_secrets).
    type: str
  key:
    description:
      - The name of the private key in O(token_profile) (for a V(pkcs11) token, the key's label).
        Only the name is recorded in the inventory, never the key.
      - Required with O(token_profile).
    type: str
  generate_key:
    description:
      - Create O(key) in O(token_profile) as O(key_type), O(key_size) and O(curve) describe when it
        does not exist yet. An existing key is used as it is, never replaced.
      - If V(false), the key must already exist in the token profile.
      - Requires O(token_profile).
    type: bool
    default: false
  key_type:
    description:
      - The type of key O(generate_key) creates.
      - Only used when a key is generated; the type of an existing key or of a CSR's key is
        whatever it is, and the RA profile's policy decides whether it is accepted.
    type: str
    choices: [rsa, ec, ed25519]
    default: ec
  key_size:
    description:
      - The size in bits of a generated RSA key. Default V(2048) when O(key_type=rsa).
      - Only for O(key_type=rsa).
    type: int
    choices: [2048, 3072, 4096]
  curve:
    description:
      - The curve of a generated EC key. Default V(P-256) when O(key_type=ec).
      - Only for O(key_type=ec).
    type: str
    choices: [P-256, P-384]
  subject:
    description:
      - "The subject distinguished name to request: an RFC 4514 string (most specific first)
        such as V(CN=www.example.org,O=Example Ltd,C=DE), an OpenSSL string such as
        V(/C=DE/O=Example Ltd/CN=www.example.org), or a dictionary of attribute names to
        values such as V({CN: www.example.org, O: Example Ltd})."
      - Short or long attribute names (V(CN), V(commonName)) work, case-insensitively; a
        dictionary is put in the conventional order C, ST, L, O, OU, CN.
      - The request's identity (for idempotency) uses the normalised subject.
      - Required with O(token_profile) for M(pki.lifecycle.certificate_issue). For
        M(pki.lifecycle.certificate_rekey), defaults to the subject of the current certificate.
      - Cannot be used with O(csr).
    type: raw
  subject_alt_names:
    description:
      - The subject alternative names to request, each prefixed by its type
        (V(DNS:www.example.org), V(IP:192.0.2.10), V(email:admin@example.org),
        V(URI:https://www.example.org/)).
      - They are a set; order and duplicates do not matter.
      - For M(pki.lifecycle.certificate_rekey), defaults to the names of the current certificate.
      - Cannot be used with O(csr).
    type: list
    elements: str
  extensions:
    description:
      - Extensions to request in the CSR. The RA profile's policy and the CA decide what the
        certificate finally carries.
      - Cannot be used with O(csr).
    type: dict
    suboptions:
      key_usage:
        description:
          - "Key usages, requested as a critical extension: V(digital_signature),
            V(content_commitment) (alias V(non_repudiation)), V(key_encipherment),
            V(data_encipherment), V(key_agreement), V(key_cert_sign), V(crl_sign),
            V(encipher_only), V(decipher_only)."
          - The OpenSSL spelling (V(digitalSignature)) works too.
        type: list
        elements: str
      extended_key_usage:
        description:
          - "Extended key usages, requested as a non-critical extension: V(server_auth),
            V(client_auth), V(code_signing), V(email_protection), V(time_stamping),
            V(ocsp_signing), V(any_extended_key_usage), or a dotted OID such as
            V(1.3.6.1.5.5.7.3.1)."
          - The OpenSSL spelling (V(serverAuth)) works too.
        type: list
        elements: str
      basic_constraints:
        description:
          - The basic constraints to request.
        type: dict
        suboptions:
          ca:
            description:
              - Whether the subject is a CA.
            type: bool
            default: false
          path_length:
            description:
              - The maximum number of CA certificates that may follow this one in a chain.
              - Only with O(extensions.basic_constraints.ca=true).
            type: int
          critical:
            description:
              - Whether the extension is marked critical.
            type: bool
            default: true
  signature_algorithm:
    description:
      - The algorithm the CSR is signed with in the token.
      - Default by key type, V(rsa-pkcs1v15) for RSA, V(ecdsa) for EC and V(ed25519) for Ed25519.
        V(rsa-pss) needs an RSA key.
      - Not used with O(csr).
    type: str
    choices: [rsa-pkcs1v15, rsa-pss, ecdsa, ed25519]
  digest:
    description:
      - The hash the CSR signature uses. Ignored for Ed25519, which hashes internally.
      - Not used with O(csr).
    type: str
    choices: [sha256, sha384, sha512]
    default: sha256
'''
