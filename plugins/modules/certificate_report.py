#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: certificate_report
short_description: Write the certificate inventory as one self-contained HTML page, CSV and JSON
version_added: 0.2.0
description:
  - Read the inventory with one M(pki.lifecycle.certificate_info) query (compliance findings
    included) and write C(<dest>/<name>.html), C(.csv) and C(.json) from the same data.
  - The HTML page is one file that fetches nothing (inline style, script and SVG; a
    Content-Security-Policy allows nothing else), so it opens offline, as a mail attachment or
    from AWX artifacts. It holds a summary (counts by status, noncompliant, discovered and
    unmanaged, superseded apart), a chart of expiries per week over O(horizon_days), the
    certificates in a table that sorts by any column and filters by text, status and compliance,
    status colours, where each certificate lives (C(host:path) or C(endpoint (server name)); places
    where it is gone struck through) and the compliance findings with their fixes.
  - Certificates a renewal or rekey replaced (V(superseded), when the inventory derives it) are in
    the data but the page shows the current ones; a check box shows the others.
  - Every value is escaped; subjects and paths come from whoever made the certificate or the host.
  - CSV cells that a spreadsheet would take for a formula (starting with C(=), C(+), C(-), C(@))
    get a leading apostrophe.
  - Output is deterministic (rows by end of validity, then subject, then fingerprint). A file is
    rewritten only when more than its generated-at line would change.
options:
  dest:
    description:
      - The directory the files go into; created when missing.
    type: path
    required: true
  name:
    description:
      - The files' base name.
    type: str
    default: certificates
  formats:
    description:
      - Which files to write.
    type: list
    elements: str
    choices: [html, csv, json]
    default: [html, csv, json]
  title:
    description:
      - The page's title and heading.
    type: str
    default: Certificates
  horizon_days:
    description:
      - Days ahead the expiry chart covers, in weeks from now (7 to 366).
    type: int
    default: 90
  mode:
    description:
      - File mode of the files written (octal string).
    type: str
    default: '0644'
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
  origin:
    description:
      - Only certificates first recorded by discovery (V(discovered)) or issued through a profile (V(issued)).
    type: list
    elements: str
    choices: [issued, discovered]
  location_host:
    description:
      - Only certificates found on this host.
    type: str
  compliance_profile:
    description:
      - Check discovered certificates against this RA profile's policy too, as
        O(pki.lifecycle.certificate_info#module:compliance_profile) does.
    type: str
  trust_anchors:
    description:
      - PEM text or a path to a PEM file with issuers to treat as known for the V(unknown_issuer) rule.
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
    support: none
requirements:
  - python >= 3.9
  - cryptography >= 41
notes:
  - "The module runs on the controller, where the inventory is, and writes the files there. Use it
    in a play on C(localhost) or with C(delegate_to: localhost); the C(pki.lifecycle.report) role
    does that for you."
author:
  - pki.lifecycle contributors (@pki-lifecycle)
seealso:
  - module: pki.lifecycle.certificate_info
'''

EXAMPLES = r'''
- name: The whole inventory as HTML, CSV and JSON
  pki.lifecycle.certificate_report:
    dest: /var/www/pki-report
    title: Certificates of example.org
  delegate_to: localhost
  run_once: true

- name: One RA profile's certificates, the next 30 days, HTML only
  pki.lifecycle.certificate_report:
    dest: "{{ playbook_dir }}/reports"
    name: internal-web
    ra_profile: internal-web
    horizon_days: 30
    formats: [html]
  delegate_to: localhost
  run_once: true
  register: report
'''

RETURN = r'''
files:
  description: The path of each file, by format (also the ones that did not change).
  returned: always
  type: dict
  sample: {"html": "/var/www/pki-report/certificates.html", "csv": "/var/www/pki-report/certificates.csv"}
written:
  description: The files written by this run (in check mode, that would be written).
  returned: always
  type: list
  elements: str
reason:
  description: What was written and the counts, in one sentence.
  returned: always
  type: str
summary:
  description:
    - The report's summary over the current certificates. C(total), C(by_status) (each status, 0
      included), C(superseded) (counted apart), C(all), C(discovered) (discovered and bound to no RA
      profile), C(compliant), C(noncompliant), C(rules) (findings per rule), C(locations_present).
  returned: always
  type: dict
  sample: {"total": 5, "by_status": {"valid": 3, "expiring": 1, "expired": 1, "revoked": 0, "invalid": 0},
           "superseded": 1, "all": 6, "discovered": 2, "compliant": 2, "noncompliant": 3,
           "rules": {"expired": 1, "unknown_issuer": 2}, "locations_present": 4}
chart:
  description: The expiry chart's data, C(horizon_days), C(weeks) (C(start), C(end), C(count), C(uuids)) and C(already_expired).
  returned: always
  type: dict
counts:
  description: The counts of the M(pki.lifecycle.certificate_info) query behind the report.
  returned: always
  type: dict
compliance:
  description: The compliance summary of that query (C(compliant), C(noncompliant), C(rules)).
  returned: always
  type: dict
'''


from ansible_collections.pki.lifecycle.plugins.module_utils.common import PkiModule


OPERATION = 'report'


def module_spec():
    """The argument spec and its constraints; the action plugin of the same name validates with
    exactly these (plugins/plugin_utils/controller_action.py)."""
    return dict(
        argument_spec=dict(
            dest=dict(type='path', required=True),
            name=dict(type='str', default='certificates'),
            formats=dict(type='list', elements='str', choices=['html', 'csv', 'json'], default=['html', 'csv', 'json']),
            title=dict(type='str', default='Certificates'),
            horizon_days=dict(type='int', default=90),
            mode=dict(type='str', default='0644'),
            ra_profile=dict(type='str'),
            labels=dict(type='dict'),
            state=dict(type='list', elements='str', choices=['requested', 'issued', 'revoked', 'failed', 'discovered']),
            origin=dict(type='list', elements='str', choices=['issued', 'discovered']),
            location_host=dict(type='str'),
            compliance_profile=dict(type='str'),
            trust_anchors=dict(type='str'),
            expiring_days=dict(type='int', default=30),
        ),
    )


def main():
    PkiModule(**module_spec()).run(OPERATION)


if __name__ == '__main__':
    main()
