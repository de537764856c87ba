# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The report as one self-contained HTML page: summary, expiry chart, a sortable and filterable
table, compliance findings and where each certificate lives.

The table is rendered here, not by the script, so the page reads the same without JavaScript;
the script only sorts, filters and shows superseded rows. Every value is escaped (esc)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.pki.lifecycle.plugins.module_utils.report.assets import CSS, JS, content_security_policy
from ansible_collections.pki.lifecycle.plugins.module_utils.report.chart import render_svg
from ansible_collections.pki.lifecycle.plugins.module_utils.report.escape import esc

# Worst first when the table is sorted by status.
STATUS_RANK = dict((s, i) for i, s in enumerate(('expired', 'revoked', 'expiring', 'invalid', 'valid', 'superseded')))

# (key, heading, sort type); the key names the column in tests and in data-sorted.
COLUMNS = (
    ('subject', 'Subject', 'text'),
    ('status', 'Status', 'num'),
    ('not_after', 'Expires', 'text'),
    ('days_left', 'Days left', 'num'),
    ('issuer', 'Issuer', 'text'),
    ('managed', 'RA profile', 'text'),
    ('compliance', 'Compliance', 'num'),
    ('where', 'Where', 'text'),
    ('serial', 'Serial', 'text'),
)
DEFAULT_SORT = 'not_after'  # the model's row order


def _status_rank(status):
    return STATUS_RANK.get(status, len(STATUS_RANK))


def _card(number, label, css, ident):
    return ('<div class="card %s" id="%s"><span class="n">%d</span><span class="l">%s</span></div>'
            % (esc(css), esc(ident), number, esc(label)))


def _summary(model):
    s = model['summary']
    cards = [_card(s['total'], 'certificates in use' if model['has_superseded'] else 'certificates', 'total',
                   'count-total')]
    for status in model['statuses']:
        if status != 'superseded':
            cards.append(_card(s['by_status'].get(status, 0), status, 'st-' + status, 'count-' + status))
    cards.append(_card(s['noncompliant'], 'noncompliant', 'bad', 'count-noncompliant'))
    cards.append(_card(s['discovered'], 'discovered, unmanaged', 'unmanaged', 'count-discovered'))
    cards.append(_card(s['locations_present'], 'places deployed', 'places', 'count-locations'))
    if model['has_superseded']:
        cards.append(_card(s['superseded'], 'superseded (not counted above)', 'st-superseded apart',
                           'count-superseded'))
    return '<section id="summary"><h2>Summary</h2><div class="cards">%s</div></section>' % ''.join(cards)


def _chart(model):
    chart = model['chart']
    note = ('%d certificate(s) in use have expired already (not in the chart).' % chart['already_expired']
            if chart['already_expired'] else 'No certificate in use has expired.')
    return ('<section id="expiries"><h2>Expiries per week, next %d days</h2>%s<p id="already-expired">%s</p></section>'
            % (chart['horizon_days'], render_svg(chart), esc(note)))


def _managed(r):
    if r['ra_profile']:
        return r['ra_profile'] + (' (adopted, replaceable)' if r['replaceable'] else '')
    if r['state'] == 'discovered':
        return 'discovered, unmanaged'
    return ''


def _where_cell(r):
    items = []
    for l in r['locations']:
        if l['status'] == 'present':
            items.append('<li class="present" title="%s">%s</li>'
                         % (esc('%s, last seen %s' % (l['kind'], l['last_seen'])), esc(l['where'])))
        else:
            items.append('<li class="gone" title="%s">%s</li>'
                         % (esc('gone since %s' % l['gone_since']), esc(l['where'] + ' (gone)')))
    labels = r['labels']
    if not items and labels.get('host'):  # issued through a role: the labels say where it went
        items.append('<li class="labelled">%s</li>'
                     % esc('%s:%s' % (labels['host'], labels.get('cert_path') or labels.get('fullchain_path') or '')))
    return '<ul class="where">%s</ul>' % ''.join(items) if items else ''


def _compliance_cell(r):
    if not r['compliance_status']:
        return ''
    if not r['findings']:
        return '<span class="badge st-valid">compliant</span>'
    return ''.join('<span class="badge finding sev-%s" title="%s">%s</span> ' % (
        esc(f['severity']), esc(f['message']), esc(f['rule'])) for f in r['findings'])


def _row(index, r):
    status = r['validation_status']
    days = '' if r['days_left'] is None else str(r['days_left'])
    where_text = ' '.join(l['where'] for l in r['locations'] if l['status'] == 'present')
    cells = [
        (r['subject'], '<span class="subject">%s</span><div class="sans">%s</div>'
         % (esc(r['subject']), esc(', '.join(r['subject_alt_names'])))),
        (_status_rank(status), '<span class="badge">%s</span>%s' % (
            esc(status), '<div class="sub">by %s</div>' % esc(r['superseded_by']) if r['superseded_by'] else '')),
        (r['not_after'] or '', esc((r['not_after'] or '')[:10])),
        (days, esc(days)),
        (r['issuer'], esc(r['issuer'])),
        (_managed(r), esc(_managed(r))),
        (len(r['findings']) if r['compliance_status'] else '', _compliance_cell(r)),
        (where_text, _where_cell(r)),
        (r['serial'], '<span class="mono">%s</span>' % esc(r['serial'])),
    ]
    tds = ''.join('<td data-v="%s">%s</td>' % (esc(v), html) for v, html in cells)
    return ('<tr class="st-%s%s" data-order="%d" data-uuid="%s" data-status="%s" data-current="%s" '
            'data-compliance="%s"%s>%s</tr>' % (
                esc(status), '' if r['current'] else ' superseded', index, esc(r['uuid']), esc(status),
                '1' if r['current'] else '0', esc(r['compliance_status'] or ''),
                '' if r['current'] else ' hidden', tds))


def _options(values, everything):
    return '<option value="">%s</option>%s' % (
        esc(everything), ''.join('<option value="%s">%s</option>' % (esc(v), esc(v)) for v in values))


def _table(model):
    s = model['summary']
    heads = ''.join('<th scope="col" data-key="%s" data-type="%s"%s><button type="button">%s</button></th>' % (
        key, kind, ' aria-sort="ascending"' if key == DEFAULT_SORT else '', esc(label)) for key, label, kind in COLUMNS)
    controls = [
        '<input type="search" id="filter" aria-label="Filter rows" placeholder="Filter: subject, name, host, path, '
        'issuer, serial, rule...">',
        '<select id="status-filter" aria-label="Status">%s</select>' % _options(model['statuses'], 'every status'),
        '<select id="compliance-filter" aria-label="Compliance">%s</select>'
        % _options(['compliant', 'noncompliant'], 'compliant or not'),
    ]
    if model['has_superseded']:
        controls.append('<label><input type="checkbox" id="show-superseded"> show superseded (%d)</label>'
                        % s['superseded'])
    controls.append('<span id="shown">%d of %d shown</span>' % (s['total'], s['all']))
    body = ''.join(_row(i, r) for i, r in enumerate(model['rows']))
    return ('<section id="certificates"><h2>Certificates</h2><div class="controls">%s</div>'
            '<table id="certs"><thead><tr>%s</tr></thead><tbody>%s</tbody></table></section>'
            % (''.join(controls), heads, body))


def _findings(model):
    s = model['summary']
    rules = sorted(((n, rule) for rule, n in s['rules'].items() if n), key=lambda x: (-x[0], x[1]))
    overview = ''.join('<li><span class="rule">%s</span>: <span class="n">%d</span></li>' % (esc(rule), n)
                       for n, rule in rules) or '<li>No finding.</li>'
    lines = []
    for r in model['rows']:
        for f in r['findings']:
            lines.append('<tr data-current="%s"%s><td>%s</td><td>%s</td><td><span class="badge sev-%s">%s</span></td>'
                         '<td>%s</td><td>%s</td></tr>' % (
                             '1' if r['current'] else '0', '' if r['current'] else ' hidden', esc(r['subject']),
                             esc(f['rule']), esc(f['severity']), esc(f['severity']), esc(f['message']),
                             esc(f['fix'])))
    return ('<section id="findings"><h2>Compliance findings</h2><ul id="rule-counts">%s</ul>'
            '<table><thead><tr><th>Certificate</th><th>Rule</th><th>Severity</th><th>What is wrong</th>'
            '<th>Fix</th></tr></thead><tbody>%s</tbody></table></section>' % (overview, ''.join(lines)))


def render_html(model):
    return ''.join([
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">',
        '<meta http-equiv="Content-Security-Policy" content="%s">' % esc(content_security_policy()),
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="generator" content="pki.lifecycle.certificate_report">',
        '<title>%s</title><style>%s</style></head>\n' % (esc(model['title']), CSS),
        '<body data-has-superseded="%s">' % ('1' if model['has_superseded'] else '0'),
        '<header><h1>%s</h1><p class="generated" id="generated-at">Generated at %s</p></header>\n'
        % (esc(model['title']), esc(model['generated_at'])),
        _summary(model), '\n', _chart(model), '\n', _table(model), '\n', _findings(model), '\n',
        '<footer>pki.lifecycle certificate report. The same data: the CSV and JSON files beside this page.</footer>',
        '<script>%s</script></body></html>\n' % JS,
    ])
