#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: certificate_adopt
short_description: Bind a discovered certificate to an RA profile
version_added: 0.2.0
description:
  - Binds a certificate recorded by M(pki.lifecycle.certificate_discovered) (state V(discovered)) to
    an RA profile, so that M(pki.lifecycle.certificate_renew), M(pki.lifecycle.certificate_rekey) and
    M(pki.lifecycle.certificate_revoke) work on it. Its record becomes V(issued) in that profile.
  - When the profile's CA issued it (its chain verifies to the profile's trust anchors), it is an
    ordinary issued certificate of the profile.
  - "When another CA issued it, it is adopted as replaceable: its renewal issues a new
    certificate through the profile with the same names and key (give O(pki.lifecycle.certificate_renew#module:csr),
    made from the key where it was found, e.g. with M(pki.lifecycle.certificate_request)), to be deployed
    to the locations where it was found (C(playbooks/renew_adopted.yml) does all of that).
    Revoking it retires it in the inventory only: the profile's CA cannot revoke another CA's certificate."
  - Its names must be allowed by the profile's policy (else no renewal could succeed); otherwise the
    task fails with the names and the patterns, and nothing changes.
  - Unchanged when it is already bound to the same profile.
options:
  certificate:
    description:
      - The discovered certificate - its inventory uuid, its SHA-256 fingerprint (hex, colons allowed),
        its serial, its PEM, or a path to a PEM file.
    type: str
    required: true
  ra_profile:
    description: The RA profile to bind it to.
    type: str
    required: true
  labels:
    description: Labels merged into the certificate's labels (e.g. the service it belongs to).
    type: dict
extends_documentation_fragment:
  - pki.lifecycle.attributes
  - pki.lifecycle.attributes.controller
  - pki.lifecycle.inventory
  - pki.lifecycle.secrets
attributes:
  check_mode:
    details: Reports the adoption it would make (and whether the profile's CA issued it); writes nothing.
  diff_mode:
    support: full
requirements:
  - python >= 3.9
  - cryptography >= 41
author:
  - pki.lifecycle contributors (@pki-lifecycle)
seealso:
  - module: pki.lifecycle.certificate_discovered
  - module: pki.lifecycle.certificate_renew
'''

EXAMPLES = r'''
- name: The discovered certificates
  pki.lifecycle.certificate_info:
    state: [discovered]
    location_host: shop1.example.org
  register: discovered

- name: Adopt them into the web profile
  pki.lifecycle.certificate_adopt:
    certificate: "{{ item.uuid }}"
    ra_profile: internal-web
    labels: {service: shop}
  loop: "{{ discovered.certificates }}"

- name: Adopt one by fingerprint
  pki.lifecycle.certificate_adopt:
    certificate: "3b:7e:...:91"
    ra_profile: internal-web
'''

RETURN = r'''
certificate:
  description:
    - The certificate's record after adoption, in the shape M(pki.lifecycle.certificate_issue) returns,
      plus C(replaceable) (true when another CA issued it) and C(adoption) (when, and whether the
      profile's CA issued it) in the inventory record.
  returned: always
  type: dict
certificate_pem:
  description: The certificate, PEM.
  returned: always
  type: str
chain_pem:
  description: The chain recorded with it (as found), PEM.
  returned: always
  type: str
root_pem:
  description: The self-signed root at the end of RV(chain_pem), PEM, if the chain found holds one; else empty.
  returned: always
  type: str
fullchain_pem:
  description: The certificate followed by RV(chain_pem).
  returned: always
  type: str
changed:
  description: Whether the certificate was bound (in check mode, would be).
  returned: always
  type: bool
reason:
  description: One sentence - adopted as the profile's own, adopted as replaceable, or already bound.
  returned: always
  type: str
'''

from ansible_collections.pki.lifecycle.plugins.module_utils.common import PkiModule


OPERATION = 'adopt'


def module_spec():
    """The argument spec and its constraints; the action plugin of the same name validates with
    exactly these (plugins/plugin_utils/controller_action.py)."""
    return dict(
        argument_spec=dict(
            certificate=dict(type='str', required=True),
            ra_profile=dict(type='str', required=True),
            labels=dict(type='dict'),
        ),
    )


def main():
    PkiModule(**module_spec()).run(OPERATION)


if __name__ == '__main__':
    main()
