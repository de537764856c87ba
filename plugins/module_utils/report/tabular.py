# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The report as CSV (one row per certificate) and JSON (the whole model), deterministic."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import csv
import io
import json

CSV_COLUMNS = ('subject', 'validation_status', 'current', 'not_after', 'days_left', 'state', 'origin', 'ra_profile',
               'replaceable', 'compliance_status', 'findings', 'locations', 'gone_locations', 'subject_alt_names',
               'issuer', 'serial', 'not_before', 'fingerprint_sha256', 'uuid', 'superseded_by')

# A cell starting with one of these is a formula to a spreadsheet; subjects and paths come from
# whoever made the certificate, so such cells get a leading apostrophe (OWASP "CSV injection").
_FORMULA_START = ('=', '+', '-', '@', '\t', '\r')


def _cell(value):
    if value is None:
        return ''
    if isinstance(value, bool):
        return 'true' if value else 'false'
    text = str(value)
    if text.startswith(_FORMULA_START) and not _is_number(text):
        return "'" + text
    return text


def _is_number(text):
    try:
        int(text)
        return True
    except ValueError:
        return False


def csv_row(r):
    present = [l['where'] for l in r['locations'] if l['status'] == 'present']
    gone = [l['where'] for l in r['locations'] if l['status'] != 'present']
    values = dict(r)
    values.update(
        findings='; '.join('%s (%s)' % (f['rule'], f['severity']) for f in r['findings']),
        locations='; '.join(present),
        gone_locations='; '.join(gone),
        subject_alt_names='; '.join(r['subject_alt_names']),
    )
    return [_cell(values.get(c)) for c in CSV_COLUMNS]


def render_csv(model):
    out = io.StringIO()
    writer = csv.writer(out, lineterminator='\r\n')
    writer.writerow(CSV_COLUMNS)
    for r in model['rows']:
        writer.writerow(csv_row(r))
    return out.getvalue()


def render_json(model):
    return json.dumps(model, indent=2, sort_keys=True, ensure_ascii=False) + '\n'
