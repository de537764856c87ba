#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: crl
short_description: Keep the CRLs of the embedded CA fresh and published
version_added: 0.1.0
description:
  - For each RA profile on the embedded CA (connector V(local)), re-sign the CA's CRL when a part
    of its lifetime has passed (the profile's connector option C(crl_refresh), by default half of
    C(crl_validity_days)), or always with O(refresh=true), and write it to the CA directory and
    to every path in the connector option C(crl_publish_paths).
  - Returns each CRL's PEM, so a play can copy it to the hosts or web roots relying parties fetch
    it from (the C(renewal) role does, to each host's C(renewal_crl_dir)).
  - C(playbooks/renew_due.yml) runs it on every scheduled run, so that a CRL never expires while
    nothing is revoked.
  - RA profiles on other connectors are skipped; their CA publishes its own CRL.
options:
  ra_profile:
    description:
      - Only this RA profile. Without it, every enabled RA profile on the V(local) connector.
      - A named profile that is not on the V(local) connector is refused.
    type: str
  refresh:
    description: Re-sign the CRL now, even if it is fresh.
    type: bool
    default: false
extends_documentation_fragment:
  - pki.lifecycle.attributes
  - pki.lifecycle.attributes.controller
  - pki.lifecycle.inventory
  - pki.lifecycle.secrets
attributes:
  check_mode:
    details: Nothing is signed or written; RV(crls) says which CRLs would be re-signed.
  diff_mode:
    support: none
requirements:
  - python >= 3.9
  - cryptography >= 41
notes:
  - "The module runs on the controller, where the inventory and the CA directory are.
    Use it in a play on C(localhost) or with C(delegate_to: localhost); the renewal role does
    that for you."
author:
  - pki.lifecycle contributors (@pki-lifecycle)
'''

EXAMPLES = r'''
- name: Re-sign the embedded CA's CRLs that are due and copy them to the web root
  pki.lifecycle.crl:
  register: crls

- name: Publish them
  ansible.builtin.copy:
    content: "{{ item.crl_pem }}"
    dest: "/var/www/pki/{{ item.ra_profile }}.crl"
    mode: "0644"
  loop: "{{ crls.crls }}"
  loop_control:
    label: "{{ item.ra_profile }}"

- name: Re-sign now (on demand)
  pki.lifecycle.crl:
    ra_profile: internal-web
    refresh: true
'''

RETURN = r'''
crls:
  description: One entry per RA profile on the embedded CA.
  returned: always
  type: list
  elements: dict
  contains:
    ra_profile:
      description: The RA profile.
      type: str
      sample: internal-web
    signed:
      description: Whether this task re-signed the CRL (in check mode, whether it would).
      type: bool
    crl_pem:
      description: The current CRL, PEM (in check mode, the one on disk).
      type: str
    crl_number:
      description: The CRL number.
      type: int
      sample: 12
    this_update:
      description: The CRL's thisUpdate, ISO 8601 in UTC.
      type: str
    next_update:
      description: The CRL's nextUpdate, ISO 8601 in UTC.
      type: str
    revoked:
      description: How many certificates the CRL lists.
      type: int
    published:
      description: The paths on the controller the CRL was written to (the CA directory's crl.pem first).
      type: list
      elements: str
    ca_expired:
      description:
        - True when the CA itself has expired (for example retired by a rollover); its CRL is then left
          as it is, since every certificate it issued has expired too.
      type: bool
      returned: when the CA has expired
changed:
  description: Whether a CRL was re-signed (in check mode, whether one would be).
  returned: always
  type: bool
reason:
  description: One sentence saying what was re-signed.
  returned: always
  type: str
'''


from ansible_collections.pki.lifecycle.plugins.module_utils.common import PkiModule


OPERATION = 'crl'


def module_spec():
    """The argument spec; the action plugin of the same name validates with exactly this
    (plugins/plugin_utils/controller_action.py)."""
    return dict(
        argument_spec=dict(
            ra_profile=dict(type='str'),
            refresh=dict(type='bool', default=False),
        ),
    )


def main():
    PkiModule(**module_spec()).run(OPERATION)


if __name__ == '__main__':
    main()
