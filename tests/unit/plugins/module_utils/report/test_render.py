"""The report's renderers on certificate_info-shaped data: escaping, determinism, counts,
superseded apart, the expiry weeks, CSV formula cells, the page's Content-Security-Policy."""
import base64
import csv
import datetime
import hashlib
import io
import json
import random
import re

import pytest

from ansible_collections.pki.lifecycle.plugins.module_utils.report import model, tabular
from ansible_collections.pki.lifecycle.plugins.module_utils.report.html import render_html

NOW = datetime.datetime(2026, 12, 1, 12, 0, 0, tzinfo=datetime.timezone.utc)
XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def at(days):
    return (NOW + datetime.timedelta(days=days)).strftime('%Y-%m-%dT%H:%M:%SZ')


def cert(uuid, subject, status, days, findings=(), locations=(), **extra):
    record = dict(uuid=uuid, subject=subject, validation_status=status, not_after=at(days), not_before=at(-10),
                  issuer='CN=Test CA', serial=uuid * 2, fingerprint_sha256=uuid * 8, state='issued', origin='issued',
                  ra_profile='web', labels={}, subject_alt_names=['DNS:%s.test' % uuid], locations=list(locations),
                  compliance=dict(status='noncompliant' if findings else 'compliant', findings=[
                      dict(rule=r, severity=s, message='%s broken' % r, fix='fix %s' % r) for r, s in findings]))
    record.update(extra)
    return record


def file_at(host, path, status='present'):
    return dict(id='file:%s:%s' % (host, path), kind='file', host=host, path=path, status=status,
                first_seen=at(-5), last_seen=at(0), gone_since=at(-1) if status == 'gone' else None)


def endpoint(port, name):
    return dict(id='endpoint:127.0.0.1:%d/%s' % (port, name), kind='endpoint', host='127.0.0.1', port=port,
                endpoint='127.0.0.1:%d' % port, server_name=name, starttls='none', status='present',
                first_seen=at(-5), last_seen=at(0), gone_since=None)


def info(superseded=True):
    certs = [
        cert('aa', 'CN=a.test', 'valid', 80, locations=[endpoint(8443, 'a.test'), file_at('web1', '/etc/a.pem')]),
        cert('bb', 'CN=' + XSS, 'expired', -3, findings=[('expired', 'high'), ('missing_san', 'medium')],
             locations=[file_at('web2', '/etc/<b>evil</b>.pem'), file_at('web2', '/old/x.pem', 'gone')],
             state='discovered', origin='discovered', ra_profile=None),
        cert('cc', 'CN=c.test', 'expiring', 3, findings=[('expiring', 'medium')]),
        cert('dd', 'CN=d.test', 'revoked', 40, findings=[('revoked_deployed', 'high')]),
        cert('ee', '=HYPERLINK("http://evil")', 'valid', 200, state='discovered', origin='discovered', ra_profile=None),
    ]
    counts = dict(total=5)
    if superseded:
        certs.append(cert('ff', 'CN=a.test', 'superseded', 10, superseded_by='aa'))
        counts['superseded'] = 1
    return dict(certificates=certs, counts=counts)


def test_summary_counts_current_and_superseded_apart():
    m = model.build(info(), NOW)
    s = m['summary']
    assert s['total'] == 5 and s['superseded'] == 1 and s['all'] == 6
    assert s['by_status'] == dict(valid=2, expiring=1, expired=1, revoked=1, invalid=0)
    assert s['noncompliant'] == 3 and s['compliant'] == 2 and s['discovered'] == 2
    assert s['rules'] == {'expired': 1, 'expiring': 1, 'missing_san': 1, 'revoked_deployed': 1}
    assert m['has_superseded'] is True
    assert [r['uuid'] for r in m['rows']] == ['bb', 'cc', 'ff', 'dd', 'aa', 'ee']   # by end of validity


def test_without_superseded_in_the_data_every_row_is_current():
    m = model.build(info(superseded=False), NOW)
    assert m['has_superseded'] is False and m['summary']['total'] == 5
    page = render_html(m)
    assert 'id="show-superseded"' not in page and ' hidden>' not in page and 'count-superseded' not in page


def test_expiry_weeks():
    chart = model.build(info(), NOW, horizon_days=90)['chart']
    assert len(chart["weeks"]) == 13 and chart["weeks"][-1]["end"] == "2027-03-01T00:00:00Z"
    counts = dict((w['start'], w['uuids']) for w in chart['weeks'] if w['count'])
    # c in week 0 (3 days), a in week 11 (80 days); revoked d, superseded f, expired b, e beyond 90 days: not charted
    assert counts == {"2026-12-01T00:00:00Z": ["cc"], "2027-02-16T00:00:00Z": ["aa"]}
    assert chart['already_expired'] == 1


def test_html_escapes_every_attacker_controlled_value():
    page = render_html(model.build(info(), NOW))
    assert XSS not in page and '<b>evil</b>' not in page and 'onerror=alert' not in page.replace('onerror=alert(1)&gt;', '')
    assert '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;' in page
    assert 'web2:/etc/&lt;b&gt;evil&lt;/b&gt;.pem' in page
    assert len(re.findall(r'<script\b', page)) == 1          # only the page's own script


def test_html_content_security_policy_allows_only_its_own_style_and_script():
    page = render_html(model.build(info(), NOW))
    style = re.search(r'<style>(.*?)</style>', page, re.S).group(1)
    script = re.search(r'<script>(.*?)</script>', page, re.S).group(1)
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]*)"', page).group(1).replace('&#x27;', "'")
    for text in (style, script):
        digest = base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()
        assert "'sha256-%s'" % digest in csp
    assert "default-src 'none'" in csp and 'http' not in csp
    assert not re.search(r'(src|href)="(https?:)?//', page)   # nothing to fetch


def test_html_rows_locations_findings_and_hidden_superseded():
    page = render_html(model.build(info(), NOW))
    rows = re.findall(r'<tr class="st-(\w+)[^"]*" data-order="(\d)" data-uuid="(\w+)"[^>]*?( hidden)?>', page)
    assert [(r[0], r[2], bool(r[3])) for r in rows] == [
        ('expired', 'bb', False), ('expiring', 'cc', False), ('superseded', 'ff', True), ('revoked', 'dd', False),
        ('valid', 'aa', False), ('valid', 'ee', False)]
    assert '127.0.0.1:8443 (a.test)' in page and 'web1:/etc/a.pem' in page
    assert '<li class="gone" title="gone since %s">web2:/old/x.pem (gone)</li>' % at(-1) in page
    assert 'id="count-total"><span class="n">5</span>' in page and 'id="count-superseded"><span class="n">1</span>' in page
    assert '5 of 6 shown' in page
    assert page.count('<span class="badge sev-high">high</span>') == 2


def test_deterministic_whatever_the_input_order():
    data = info()
    outputs = set()
    for seed in range(5):
        shuffled = dict(data, certificates=random.Random(seed).sample(data['certificates'], len(data['certificates'])))
        m = model.build(shuffled, NOW)
        outputs.add((render_html(m), tabular.render_csv(m), tabular.render_json(m)))
    assert len(outputs) == 1
    later = model.build(data, NOW + datetime.timedelta(seconds=5))
    html_now, html_later = render_html(model.build(data, NOW)), render_html(later)
    assert html_now != html_later
    assert re.sub(r'Generated at \S+<', '', html_now) == re.sub(r'Generated at \S+<', '', html_later)


def test_csv_same_rows_and_no_formula_cells():
    m = model.build(info(), NOW)
    rows = list(csv.DictReader(io.StringIO(tabular.render_csv(m))))
    assert [r['uuid'] for r in rows] == [r['uuid'] for r in m['rows']]
    by_uuid = dict((r['uuid'], r) for r in rows)
    assert by_uuid['ee']['subject'] == '\'=HYPERLINK("http://evil")'
    assert by_uuid['bb']['subject'] == 'CN=' + XSS
    assert by_uuid['bb']['findings'] == 'expired (high); missing_san (medium)'
    assert by_uuid['bb']['locations'] == 'web2:/etc/<b>evil</b>.pem' and by_uuid['bb']['gone_locations'] == 'web2:/old/x.pem'
    assert by_uuid['bb']['days_left'] == '-3' and by_uuid['ff']['current'] == 'false'


def test_json_is_the_model():
    m = model.build(info(), NOW)
    assert json.loads(tabular.render_json(m)) == json.loads(json.dumps(m))


@pytest.mark.parametrize('value, expected', [
    (None, ''), ('<&>"\'`', '&lt;&amp;&gt;&quot;&#x27;&#x60;'), (3, '3')])
def test_escape(value, expected):
    from ansible_collections.pki.lifecycle.plugins.module_utils.report.escape import esc
    assert esc(value) == expected
