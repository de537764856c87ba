#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: certificate_discovered
short_description: Record discovered certificates in the inventory
version_added: 0.2.0
description:
  - Takes what M(pki.lifecycle.certificate_discover) found on a host, or what
    M(pki.lifecycle.certificate_discover_tls) found on endpoints, and records it in the inventory.
  - One record per certificate (SHA-256 fingerprint), across every host and endpoint. A certificate
    issued through an RA profile keeps its record and gets the places where it was found. An unknown
    certificate becomes a record in state V(discovered); bind it to an RA profile with
    M(pki.lifecycle.certificate_adopt).
  - "Each place is a location: C(host) and C(path) of a file, or the endpoint, with C(first_seen) and
    C(last_seen). A location that was inside the scope of a discovery (under its C(roots),
    or among its endpoints) and is not found again is marked C(status=gone) with C(gone_since); it is
    never removed. A path that could not be read this time, or an endpoint that did not answer, is not
    marked gone."
  - "Recording the same findings again changes nothing (only C(last_seen) moves, which is not reported
    as a change). Many hosts may record at once (forks, C(delegate_to: localhost)): the inventory
    serialises the writes and a certificate found on two hosts is still one record."
  - Private keys are never part of the input or the inventory; only whether one matched, and where.
options:
  discovery:
    description:
      - The registered result of M(pki.lifecycle.certificate_discover) or M(pki.lifecycle.certificate_discover_tls).
    type: dict
  host:
    description:
      - The host the files were found on (usually V({{ inventory_hostname }})). Required with a file discovery.
    type: str
  discoveries:
    description:
      - Several discoveries at once, e.g. every host's from C(hostvars) in a C(run_once) task.
      - Each item is a dict with C(host) and C(discovery).
    type: list
    elements: dict
extends_documentation_fragment:
  - pki.lifecycle.attributes
  - pki.lifecycle.attributes.controller
  - pki.lifecycle.inventory
  - pki.lifecycle.secrets
attributes:
  check_mode:
    details: Reports what would be recorded; writes nothing.
  diff_mode:
    support: none
requirements:
  - python >= 3.9
  - cryptography >= 41
author:
  - pki.lifecycle contributors (@pki-lifecycle)
seealso:
  - module: pki.lifecycle.certificate_discover
  - module: pki.lifecycle.certificate_discover_tls
  - module: pki.lifecycle.certificate_adopt
  - module: pki.lifecycle.certificate_info
'''

EXAMPLES = r'''
- name: Find and record the certificates of every web server (one task per host, forks in parallel)
  hosts: webservers
  tasks:
    - pki.lifecycle.certificate_discover:
        paths: [/etc/nginx, /etc/ssl]
      register: found
    - pki.lifecycle.certificate_discovered:
        host: "{{ inventory_hostname }}"
        discovery: "{{ found }}"
      delegate_to: localhost

- name: Or all hosts in one task, from a fact each host set after discovery
  # on each host: ansible.builtin.set_fact: {discovery_item: {host: "{{ inventory_hostname }}", discovery: "{{ found }}"}}
  pki.lifecycle.certificate_discovered:
    discoveries: "{{ ansible_play_hosts | map('extract', hostvars, 'discovery_item') | list }}"
  run_once: true
  delegate_to: localhost
'''

RETURN = r'''
records:
  description: The records created or changed, with what changed.
  returned: always
  type: list
  elements: dict
  contains:
    uuid: {description: "The record.", type: str}
    fingerprint_sha256: {description: "Its fingerprint.", type: str}
    subject: {description: "Its subject.", type: str}
    state: {description: "Its state (V(discovered) for an unknown certificate).", type: str}
    new: {description: "Created by this task.", type: bool}
    changes: {description: "What changed, e.g. C(found at web1:/etc/nginx/site.crt), C(gone from ...).", type: list, elements: str}
counts:
  description: "C(found) (certificates in the input), C(new), C(changed) (records), C(gone) (locations), C(errors) (of the discovery)."
  returned: always
  type: dict
errors:
  description: The discovery's errors (unreadable or unparseable files, endpoints that failed), passed on with the host.
  returned: always
  type: list
  elements: dict
reason:
  description: One sentence saying what was recorded.
  returned: always
  type: str
changed:
  description: Whether a record was created, or a location was found, changed or gone.
  returned: always
  type: bool
'''

from ansible_collections.pki.lifecycle.plugins.module_utils.common import PkiModule


OPERATION = 'discover'


def module_spec():
    """The argument spec and its constraints; the action plugin of the same name validates with
    exactly these (plugins/plugin_utils/controller_action.py)."""
    return dict(
        argument_spec=dict(
            discovery=dict(type='dict'),
            host=dict(type='str'),
            discoveries=dict(type='list', elements='dict'),
        ),
        required_one_of=[('discovery', 'discoveries')],
    )


def main():
    PkiModule(**module_spec()).run(OPERATION)


if __name__ == '__main__':
    main()
