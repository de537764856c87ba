#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: certificate_discover_tls
short_description: Find the certificates TLS endpoints serve
version_added: 0.2.0
description:
  - Contacts each endpoint in O(endpoints) with a real TLS handshake (STARTTLS first for SMTP), and
    returns the chain it serves, the protocol and cipher, whether the chain verifies against
    O(trust_anchors), and whether the certificate names the server name asked for.
  - The handshake accepts any certificate (expired, self-signed, foreign) so that it can be recorded;
    verification is reported, not enforced.
  - Every network operation is bounded by O(timeout) seconds and each endpoint by O(deadline)
    seconds in all, so an endpoint that hangs or does not speak TLS costs at most that; it is listed
    in RV(errors) with the reason and the others are still contacted. O(workers) endpoints are
    contacted at once.
  - "Runs where the task runs (usually the controller, C(hosts: localhost) or C(delegate_to: localhost)).
    Record the result with M(pki.lifecycle.certificate_discovered)."
options:
  endpoints:
    description:
      - V(host:port) strings (V([2001:db8::1]:443) for IPv6), or dicts with C(host), C(port),
        C(server_name) (SNI; default the host when it is a name) and C(starttls) (V(none) or V(smtp)).
    type: list
    elements: raw
    required: true
  trust_anchors:
    description:
      - PEM text or a path to a PEM file with the root certificates the served chains should verify
        to. Without it RV(endpoints[].verified) is null.
    type: str
  timeout:
    description: Seconds each connect, read or handshake step may take.
    type: float
    default: 5
  deadline:
    description: Seconds one endpoint may take in all (STARTTLS dialogue and handshake). Default 3 x O(timeout).
    type: float
  workers:
    description: Endpoints contacted at the same time.
    type: int
    default: 8
extends_documentation_fragment:
  - pki.lifecycle.attributes
attributes:
  check_mode:
    details: The module only reads.
  diff_mode:
    support: N/A
    details: The module only reads.
  platform:
    details: Wherever the task runs; usually the controller.
requirements:
  - python >= 3.9
  - cryptography
author:
  - pki.lifecycle contributors (@pki-lifecycle)
'''

EXAMPLES = r'''
- name: What the web and mail endpoints serve
  pki.lifecycle.certificate_discover_tls:
    endpoints:
      - www.example.org:443
      - {host: 192.0.2.10, port: 443, server_name: shop.example.org}
      - {host: mail.example.org, port: 25, starttls: smtp}
    trust_anchors: /etc/pki/roots.pem
    timeout: 3
  register: tls

- name: Record it in the inventory
  pki.lifecycle.certificate_discovered:
    discovery: "{{ tls }}"
'''

RETURN = r'''
kind:
  description: Always V(endpoint); tells M(pki.lifecycle.certificate_discovered) what kind of scan this was.
  returned: always
  type: str
scanned:
  description: "The endpoints contacted, as V(host:port): the scope within which a certificate no longer served is marked gone."
  returned: always
  type: list
  elements: str
endpoints:
  description: One item per endpoint that completed a handshake.
  returned: always
  type: list
  elements: dict
  contains:
    endpoint: {description: "V(host:port).", type: str}
    host: {description: "Host contacted.", type: str}
    port: {description: "Port.", type: int}
    server_name: {description: "SNI sent (null for an IP address without server_name).", type: str}
    starttls: {description: "V(none) or V(smtp).", type: str}
    protocol: {description: "Negotiated protocol, e.g. V(TLSv1.3).", type: str}
    cipher: {description: "Negotiated cipher suite.", type: str}
    seconds: {description: "Time the endpoint took.", type: float}
    certificate_pem: {description: "The leaf certificate served.", type: str}
    chain_pem: {description: "The rest of the served chain, in the order served.", type: str}
    chain_length: {description: "Certificates served.", type: int}
    verified:
      description: The chain verifies to O(trust_anchors) now; null without trust anchors.
      type: bool
    verify_error: {description: "Why it does not verify, or null.", type: str}
    name_matches: {description: "The leaf names the server name; null without one.", type: bool}
    fingerprint_sha256: {description: "SHA-256 of the leaf DER.", type: str}
    subject: {description: "Subject of the leaf.", type: str}
    issuer: {description: "Issuer of the leaf.", type: str}
    not_after: {description: "ISO 8601 UTC.", type: str}
errors:
  description: Endpoints that gave no certificate, with the reason (C(endpoint), C(reason)).
  returned: always
  type: list
  elements: dict
  sample: [{endpoint: "127.0.0.1:8025", reason: "TLS handshake failed (WRONG_VERSION_NUMBER): not a TLS endpoint, or STARTTLS needed"}]
stats:
  description: "C(contacted), C(served), C(errors), C(seconds)."
  returned: always
  type: dict
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.pki.lifecycle.plugins.module_utils.discovery.tls import run_module


def main():
    module = AnsibleModule(argument_spec=dict(
        endpoints=dict(type='list', elements='raw', required=True),
        trust_anchors=dict(type='str'),
        timeout=dict(type='float', default=5),
        deadline=dict(type='float'),
        workers=dict(type='int', default=8),
    ), supports_check_mode=True)
    run_module(module)


if __name__ == '__main__':
    main()
