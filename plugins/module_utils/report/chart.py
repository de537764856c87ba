# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The expiry chart as inline SVG: one bar per week of the horizon (no script, no fetch)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.pki.lifecycle.plugins.module_utils.report.escape import esc

WIDTH, HEIGHT = 760, 230
LEFT, RIGHT, TOP, BOTTOM = 36, 8, 18, 44


def render_svg(chart):
    weeks = chart['weeks']
    peak = max([w['count'] for w in weeks] + [1])
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM
    slot = plot_w / float(max(len(weeks), 1))
    bar_w = slot * 0.7
    out = ['<svg id="expiry-chart" xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 %d %d" '
           'width="%d" height="%d" aria-labelledby="expiry-chart-title">' % (WIDTH, HEIGHT, WIDTH, HEIGHT),
           '<title id="expiry-chart-title">Certificates expiring per week over the next %d days</title>'
           % chart['horizon_days']]
    # horizontal grid: 0, half and the peak
    for value in sorted(set([0, peak // 2, peak])):
        y = TOP + plot_h - plot_h * value / float(peak)
        out.append('<line class="grid" x1="%d" x2="%d" y1="%.1f" y2="%.1f"/>' % (LEFT, WIDTH - RIGHT, y, y))
        out.append('<text class="axis" x="%d" y="%.1f" text-anchor="end">%d</text>' % (LEFT - 6, y + 4, value))
    for i, w in enumerate(weeks):
        h = plot_h * w['count'] / float(peak)
        x = LEFT + i * slot + (slot - bar_w) / 2
        y = TOP + plot_h - h
        label = w['start'][5:10]
        out.append('<g class="week" data-start="%s" data-count="%d">' % (esc(w['start']), w['count']))
        out.append('<rect class="bar%s" x="%.1f" y="%.1f" width="%.1f" height="%.1f"><title>%s</title></rect>'
                   % (' soon' if i < 2 else '', x, y, bar_w, h,
                      esc('Week from %s to %s: %d certificate(s) expire' % (w['start'][:10], w['end'][:10], w['count']))))
        if w['count']:
            out.append('<text class="value" x="%.1f" y="%.1f" text-anchor="middle">%d</text>' % (x + bar_w / 2, y - 4, w['count']))
        out.append('<text class="axis" x="%.1f" y="%d" text-anchor="middle">%s</text>' % (x + bar_w / 2, HEIGHT - BOTTOM + 16, esc(label)))
        out.append('</g>')
    out.append('<text class="axis" x="%d" y="%d">week starting (UTC, month-day)</text>' % (LEFT, HEIGHT - 6))
    out.append('</svg>')
    return ''.join(out)
