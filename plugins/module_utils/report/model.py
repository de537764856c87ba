# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The report's data, built once from one certificate_info result; every format renders it.

Pure functions of (the info result, the time): the same inventory at the same time gives the
same bytes in every format. Rows are sorted by end of validity, then subject, then fingerprint.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import datetime

from ansible_collections.pki.lifecycle.plugins.module_utils.vocabulary import VALIDATION_STATUSES, iso, parse_iso

# The order statuses are shown in; one the renderer does not know yet comes after these.
STATUS_ORDER = ('valid', 'expiring', 'expired', 'revoked', 'invalid', 'superseded')
SEVERITY_ORDER = ('high', 'medium', 'low')
WEEK = datetime.timedelta(days=7)


def where(location):
    """One location as people read it: host:path for a file, endpoint (server name) for a service."""
    if location.get('kind') == 'endpoint':
        text = location.get('endpoint') or '%s:%s' % (location.get('host'), location.get('port'))
        if location.get('server_name'):
            text += ' (%s)' % location['server_name']
        if location.get('starttls') and location.get('starttls') != 'none':
            text += ' starttls %s' % location['starttls']
        return text
    return '%s:%s' % (location.get('host') or '?', location.get('path') or '?')


def _location(location):
    return dict(
        where=where(location),
        kind=location.get('kind') or 'file',
        status=location.get('status') or 'present',
        host=location.get('host'),
        path=location.get('path'),
        endpoint=location.get('endpoint'),
        server_name=location.get('server_name'),
        first_seen=location.get('first_seen'),
        last_seen=location.get('last_seen'),
        gone_since=location.get('gone_since'),
    )


def _days_left(not_after, now):
    # Calendar days (UTC): the same all day long, so a report rerun the same day is the same.
    if not not_after:
        return None
    return (parse_iso(not_after).date() - now.date()).days


def _severity_key(finding):
    sev = finding.get('severity')
    return (SEVERITY_ORDER.index(sev) if sev in SEVERITY_ORDER else len(SEVERITY_ORDER), finding.get('rule') or '')


def row(cert, now):
    """One certificate, flattened for a table row (lists kept for JSON, joined by the CSV)."""
    status = cert.get('validation_status') or 'invalid'
    compliance = cert.get('compliance') or {}
    findings = sorted((dict(rule=f.get('rule'), severity=f.get('severity'), message=f.get('message'),
                            fix=f.get('fix')) for f in compliance.get('findings') or []), key=_severity_key)
    locations = sorted((_location(l) for l in cert.get('locations') or []),
                       key=lambda l: (l['status'] != 'present', l['kind'], l['where']))
    return dict(
        uuid=cert.get('uuid'),
        subject=cert.get('subject') or '',
        subject_alt_names=list(cert.get('subject_alt_names') or []),
        issuer=cert.get('issuer') or '',
        serial=cert.get('serial') or '',
        not_before=cert.get('not_before'),
        not_after=cert.get('not_after'),
        days_left=_days_left(cert.get('not_after'), now),
        validation_status=status,
        current=status != 'superseded',
        superseded_by=cert.get('superseded_by'),
        state=cert.get('state'),
        origin=cert.get('origin') or 'issued',
        ra_profile=cert.get('ra_profile'),
        replaceable=bool(cert.get('replaceable')),
        labels=dict(cert.get('labels') or {}),
        fingerprint_sha256=cert.get('fingerprint_sha256') or '',
        compliance_status=compliance.get('status'),
        findings=findings,
        locations=locations,
    )


def _row_key(r):
    return (r['not_after'] or '9999', r['subject'], r['fingerprint_sha256'], r['uuid'] or '')


def statuses(rows):
    """Every status in the data, known ones first in their order."""
    seen = set(r['validation_status'] for r in rows)
    known = [s for s in STATUS_ORDER if s in seen or s in VALIDATION_STATUSES]
    return known + sorted(seen - set(known))


def expiry_weeks(rows, now, horizon_days):
    """Current, unrevoked certificates ending within the horizon, per week from now."""
    weeks = []
    # From today's midnight (UTC): reruns on the same day bucket alike.
    start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    end = start + datetime.timedelta(days=horizon_days)
    while start < end:
        stop = min(start + WEEK, end)
        weeks.append(dict(start=iso(start), end=iso(stop), count=0, uuids=[]))
        start = stop
    expired = 0
    first = parse_iso(weeks[0]['start']) if weeks else now
    for r in rows:
        if not r['current'] or r['validation_status'] in ('revoked', 'invalid') or not r['not_after']:
            continue
        moment = parse_iso(r['not_after'])
        if moment < now:
            expired += 1
        elif moment < end:
            w = weeks[(moment - first).days // 7]
            w['count'] += 1
            w['uuids'].append(r['uuid'])
    return dict(horizon_days=horizon_days, weeks=weeks, already_expired=expired)


def summary(rows):
    """Counts by status (current ones; superseded apart), by compliance, by rule."""
    current = [r for r in rows if r['current']]
    by_status = dict((s, 0) for s in statuses(rows) if s != 'superseded')
    for r in current:
        by_status[r['validation_status']] += 1
    rules = {}
    for r in current:
        for f in r['findings']:
            rules[f['rule']] = rules.get(f['rule'], 0) + 1
    return dict(
        total=len(current),
        by_status=by_status,
        superseded=len(rows) - len(current),
        all=len(rows),
        discovered=sum(1 for r in current if r['state'] == 'discovered'),
        compliant=sum(1 for r in current if r['compliance_status'] == 'compliant'),
        noncompliant=sum(1 for r in current if r['compliance_status'] == 'noncompliant'),
        rules=dict(sorted(rules.items())),
        locations_present=sum(1 for r in current for l in r['locations'] if l['status'] == 'present'),
    )


def build(info, now, horizon_days=90, title='Certificates'):
    """The report from a certificate_info result (run with compliance; scope all when supported)."""
    rows = sorted((row(c, now) for c in info.get('certificates') or []), key=_row_key)
    return dict(
        title=title,
        generated_at=iso(now),
        statuses=statuses(rows),
        # The data knows "superseded" once the inventory derives it (counts.superseded): the
        # HTML then shows current certificates first; else every row is current.
        has_superseded='superseded' in (info.get('counts') or {}) or any(not r['current'] for r in rows),
        summary=summary(rows),
        chart=expiry_weeks(rows, now, horizon_days),
        rows=rows,
    )
