# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""certificate_report: one certificate_info query (with compliance) written as HTML, CSV and JSON.

The idempotency decision: a file is rewritten only when its content changes other than the
generated-at line, so a scheduled report on an inventory where nothing happened reports no change.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import re

from ansible_collections.pki.lifecycle.plugins.module_utils.errors import InputError
from ansible_collections.pki.lifecycle.plugins.module_utils.lifecycle.info import op_info
from ansible_collections.pki.lifecycle.plugins.module_utils.report.html import render_html
from ansible_collections.pki.lifecycle.plugins.module_utils.report.model import build
from ansible_collections.pki.lifecycle.plugins.module_utils.report.tabular import render_csv, render_json
from ansible_collections.pki.lifecycle.plugins.module_utils.vocabulary import write_atomic

RENDERERS = (('html', render_html), ('csv', render_csv), ('json', render_json))
# What differs between two renderings of the same data at different times (days left and the
# chart move with the clock too, and then the report changes, as it should).
_GENERATED = re.compile(r'(Generated at |"generated_at": ")\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ')
# The certificate_info filters a report passes through.
INFO_FILTERS = ('ra_profile', 'labels', 'state', 'origin', 'location_host', 'compliance_profile', 'trust_anchors',
                'expiring_days')


def _same(old, new):
    return _GENERATED.sub(r'\1', old) == _GENERATED.sub(r'\1', new)


def _check(p):
    dest = p['dest']
    if os.path.exists(dest) and not os.path.isdir(dest):
        raise InputError('dest %r is a file, not a directory.' % dest,
                         'Give the directory the report files go into (it is created when missing).')
    if not p.get('formats'):
        raise InputError('formats is empty: nothing to write.', 'Give one or more of html, csv, json.')
    if not 7 <= p['horizon_days'] <= 366:
        raise InputError('horizon_days %d is outside 7..366.' % p['horizon_days'],
                         'Give the days the expiry chart covers, e.g. 90 (13 weeks).')
    if not re.match(r'^0?[0-7]{3,4}$', p['mode'] or ''):
        raise InputError('mode %r is not an octal file mode.' % p['mode'], 'Give it as a string such as "0644".')
    if os.sep in p['name'] or p['name'] in ('', '.', '..'):
        raise InputError('name %r is not a file name.' % p['name'],
                         'Give a base name such as certificates; the files are <dest>/<name>.html, .csv, .json.')


def op_report(ctx):
    p = ctx.params
    _check(p)
    query = dict((k, p.get(k)) for k in INFO_FILTERS)
    # Every certificate, superseded ones included where the inventory knows them: the page
    # shows the current ones and keeps the rest one click away; CSV and JSON mark them.
    query.update(inventory=p.get('inventory'), inventory_password=p.get('inventory_password'),
                 compliance=True, scope='all', include_pem=False, include_events=False)
    params, ctx.params = ctx.params, query
    try:
        info = op_info(ctx)
    finally:
        ctx.params = params
    model = build(info, ctx.now, horizon_days=p['horizon_days'], title=p['title'])
    files, written = {}, []
    mode = int(p['mode'], 8)
    for fmt, render in RENDERERS:
        if fmt not in p['formats']:
            continue
        path = os.path.join(p['dest'], '%s.%s' % (p['name'], fmt))
        files[fmt] = path
        content = render(model)
        old = None
        if os.path.isfile(path):
            with open(path, 'rb') as handle:
                old = handle.read().decode('utf-8', 'replace')
        if old is not None and _same(old, content) and (os.stat(path).st_mode & 0o7777) == mode:
            continue
        written.append(path)
        if not ctx.check_mode:
            if not os.path.isdir(p['dest']):
                os.makedirs(p['dest'])
            write_atomic(path, content, mode=mode)
    s = model['summary']
    reason = ('%s %s: %d certificate(s) in use (%s), %d noncompliant, %d superseded.' % (
        'Would write' if ctx.check_mode else 'Wrote', ', '.join(written),
        s['total'], ', '.join('%d %s' % (n, st) for st, n in s['by_status'].items() if n and st != 'superseded'),
        s['noncompliant'], s['superseded'])
        if written else 'The report files already hold this data; nothing written.')
    return dict(changed=bool(written), files=files, written=written, reason=reason, summary=s,
                chart=model['chart'], counts=info['counts'], compliance=info.get('compliance', {}))
