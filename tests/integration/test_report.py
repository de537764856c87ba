"""The report role on an inventory made by real operations, checked in headless Chromium.

The inventory: the embedded CA (local_ca role) issues three certificates, one is renewed and
one revoked, through ansible-playbook; discovery (certificate_discover on two hosts,
certificate_discover_tls on a TLS endpoint) records foreign certificates made with openssl in
the test: one valid and served, one expired, one with a weak key and SHA-1, one whose subject is
an XSS payload. The report role then writes HTML, CSV and JSON; Chromium (Debian's, driven by
Playwright) loads the page offline and the test asserts on the DOM: counts, sorting by a column,
filters narrowing the rows, the XSS subject shown as text, locations, the chart, findings. The
page's screenshot and files are kept under tests/output/report/.
"""
import csv
import datetime
import io
import json
import os
import shutil
import subprocess
import sys

import pytest

from harness.playbook import REPO_ROOT
from harness.plugin import server_unavailable
from harness.tls_endpoints import TlsServer
from harness.faketime import find_libfaketime

pytestmark = pytest.mark.server

CHROMIUM = os.environ.get('PKI_LIFECYCLE_CHROMIUM', '/usr/bin/chromium')
ARTIFACTS = REPO_ROOT / 'tests' / 'output' / 'report'
# Attacker-controlled values: a subject (RFC 4514 escapes its < and >), a DNS name and a file
# name (both reach the page raw, so the page must escape them).
XSS_CN = '<script>alert(1)</script><img src=x onerror=alert(2)>'
XSS_SAN = '<script>alert(3)</script>.test'
XSS_FILE = '<img src=x onerror=alert(4)>.crt'


def openssl(*args, faketime=None, cwd=None):
    # libfaketime by LD_PRELOAD, not the faketime wrapper: the wrapper's named semaphore
    # (/faketime_sem_<pid>) collides with leftovers of killed processes ("sem_open: File exists").
    argv = ['openssl'] + list(args)
    env = None
    if faketime:
        days = int(faketime.split()[0])  # '-400 days'
        env = dict(os.environ, LD_PRELOAD=find_libfaketime(), FAKETIME='%+dd' % days)
    out = subprocess.run(argv, capture_output=True, text=True, check=False, cwd=cwd, env=env)
    assert out.returncode == 0, (argv, out.stderr)
    return out.stdout


def leaf(d, name, cn, sans, days=90, key=('-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'), digest='-sha256',
         faketime=None):
    subj = '/CN=' + cn.replace('/', '\\/')
    openssl('req', '-new', *key, '-nodes', '-keyout', name + '.key', '-out', name + '.csr', '-subj', subj, cwd=d)
    with open(os.path.join(d, name + '.ext'), 'w') as handle:
        handle.write('basicConstraints=critical,CA:FALSE\nsubjectAltName=%s\n' % ','.join('DNS:' + s for s in sans))
    openssl('x509', '-req', '-in', name + '.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-set_serial',
            str(int.from_bytes(os.urandom(8), 'big')), '-days', str(days), digest, '-extfile', name + '.ext',
            '-out', name + '.crt', faketime=faketime, cwd=d)
    return os.path.join(d, name)


def fingerprint(path):
    return openssl('x509', '-in', path, '-noout', '-fingerprint', '-sha256').strip().split('=', 1)[1] \
        .replace(':', '').lower()


SETUP = """
- name: The embedded CA issues, renews and revokes
  hosts: localhost
  gather_facts: false
  module_defaults:
    group/pki.lifecycle.certificates: {inventory: "sqlite://%(work)s/inventory.db"}
  roles:
    - role: pki.lifecycle.local_ca
      local_ca_ra_profile: web
      local_ca_directory: "%(work)s/ca"
      local_ca_subject: CN=Report Test CA
      local_ca_policy: {allowed_names: ["**.test"], max_validity_days: 60}
  tasks:
    - name: keys
      pki.lifecycle.token_profile: {name: keys, type: file, options: {path: "%(work)s/keys"}}
    - name: issue app
      pki.lifecycle.certificate_issue:
        {ra_profile: web, token_profile: keys, key: app, generate_key: true, subject: CN=app.test,
         subject_alt_names: [DNS:app.test], validity_days: 20}
      register: app
    - name: issue api
      pki.lifecycle.certificate_issue:
        {ra_profile: web, token_profile: keys, key: api, generate_key: true, subject: CN=api.test,
         subject_alt_names: [DNS:api.test], validity_days: 45}
    - name: issue db
      pki.lifecycle.certificate_issue:
        {ra_profile: web, token_profile: keys, key: db, generate_key: true, subject: CN=db.test,
         subject_alt_names: [DNS:db.test]}
      register: db
    - name: renew app
      pki.lifecycle.certificate_renew: {certificate: "{{ app.certificate.uuid }}", force: true}
      register: app2
    - name: revoke db
      pki.lifecycle.certificate_revoke: {certificate: "{{ db.certificate.uuid }}", reason: keyCompromise}
    - name: deploy app on web1
      ansible.builtin.copy: {dest: "%(web1)s/app/app.crt", content: "{{ app2.fullchain_pem }}", mode: "0644"}
"""

DISCOVER = """
- name: Certificates in files on the hosts
  hosts: web
  gather_facts: false
  module_defaults:
    group/pki.lifecycle.certificates: {inventory: "sqlite://%(work)s/inventory.db"}
  tasks:
    - name: discover
      pki.lifecycle.certificate_discover: {paths: "{{ scan_paths }}"}
      register: found
    - name: record
      pki.lifecycle.certificate_discovered: {host: "{{ inventory_hostname }}", discovery: "{{ found }}"}
      delegate_to: localhost

- name: Certificates served on the network
  hosts: localhost
  gather_facts: false
  module_defaults:
    group/pki.lifecycle.certificates: {inventory: "sqlite://%(work)s/inventory.db"}
  tasks:
    - name: tls
      pki.lifecycle.certificate_discover_tls:
        endpoints: [{host: 127.0.0.1, port: %(port)d, server_name: site.test}]
        timeout: 3
      register: tls
    - name: record tls
      pki.lifecycle.certificate_discovered: {discovery: "{{ tls }}"}
"""

REPORT = """
- name: The report
  hosts: localhost
  gather_facts: false
  module_defaults:
    group/pki.lifecycle.certificates: {inventory: "sqlite://%(work)s/inventory.db"}
  tasks:
    - name: info
      pki.lifecycle.certificate_info: {}
    - name: info web2
      pki.lifecycle.certificate_info: {location_host: web2.test}
    - name: report
      ansible.builtin.include_role:
        name: pki.lifecycle.report
      vars:
        report_dest: "%(out)s"
        report_title: Certificates of report.test
    - name: report result
      ansible.builtin.debug: {var: report_result}
    - name: report that fails on expired
      ansible.builtin.include_role:
        name: pki.lifecycle.report
      vars:
        report_dest: "%(out)s"
        report_title: Certificates of report.test
        report_fail_on_status: [expired]
"""


@pytest.fixture
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        server_unavailable('playwright is not installed (pip install playwright; requirements-dev.txt)')
    if not os.access(CHROMIUM, os.X_OK):
        server_unavailable('%s is missing (Debian package chromium; scripts/install-servers.sh)' % CHROMIUM)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=['--no-sandbox', '--disable-gpu'])
        try:
            yield b
        finally:
            b.close()


def make_world(tmp_path):
    work, pki = tmp_path / 'work', tmp_path / 'foreign'
    web1, web2 = tmp_path / 'hosts' / 'web1', tmp_path / 'hosts' / 'web2'
    for d in (work, pki, web1 / 'nginx', web1 / 'app', web2 / 'ssl'):
        d.mkdir(parents=True)
    openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key',
            '-out', 'ca.crt', '-days', '3650', '-subj', '/O=Foreign Corp/CN=Foreign Test Root',
            '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
            faketime='-500 days', cwd=str(pki))
    site = leaf(str(pki), 'site', 'site.test', ['site.test'], days=200)
    old = leaf(str(pki), 'old', 'old.test', ['old.test'], days=30, faketime='-100 days')
    weak = leaf(str(pki), 'weak', 'weak.test', ['weak.test'], key=('-newkey', 'rsa:1024'), digest='-sha1', days=50)
    xss = leaf(str(pki), 'xss', XSS_CN, ['xss.test', XSS_SAN], days=10)
    shutil.copy(site + '.crt', str(web1 / 'nginx' / 'site.crt'))
    shutil.copy(site + '.key', str(web1 / 'nginx' / 'site.key'))
    shutil.copy(old + '.crt', str(web1 / 'nginx' / 'old.pem'))
    shutil.copy(weak + '.crt', str(web2 / 'ssl' / 'weak.crt'))
    shutil.copy(xss + '.crt', str(web2 / 'ssl' / XSS_FILE))
    shutil.copy(site + '.crt', str(web2 / 'ssl' / 'site.crt'))            # the same certificate on two hosts
    return dict(work=str(work), web1=str(web1), web2=str(web2), site=site, weak=weak, xss=xss, old=old)


def visible(page, selector='#certs tbody tr'):
    return page.eval_on_selector_all(selector, 'rs => rs.filter(r => !r.hidden).map(r => r.getAttribute("data-uuid"))')


def column(page, key):
    """The data-v of column ``key`` in the visible rows, top to bottom."""
    return page.evaluate('''key => {
        const ths = Array.from(document.querySelectorAll('#certs thead th'));
        const i = ths.findIndex(t => t.dataset.key === key);
        return Array.from(document.querySelectorAll('#certs tbody tr')).filter(r => !r.hidden)
            .map(r => r.cells[i].getAttribute('data-v'));
    }''', key)


def test_report_in_chromium(run_playbook, tmp_path, browser):
    w = make_world(tmp_path)
    out = tmp_path / 'report'
    python = sys.executable
    local = {'ansible_connection': 'local', 'ansible_python_interpreter': python}
    inventory = {'all': {'hosts': {'localhost': local}, 'children': {'web': {'hosts': {
        'web1.test': dict(local, scan_paths=[w['web1']]), 'web2.test': dict(local, scan_paths=[w['web2']])}}}}}

    setup = run_playbook(SETUP % w, inventory=inventory, tmp_path=tmp_path)
    assert setup.rc == 0, setup.summary()
    with TlsServer(w['site'] + '.crt', w['site'] + '.key') as tls:
        found = run_playbook(DISCOVER % dict(w, port=tls.port), inventory=inventory, tmp_path=tmp_path)
    assert found.rc == 0, found.summary()
    assert not found.result('tls').get('errors'), found.result('tls')

    first = run_playbook(REPORT % dict(w, out=out), inventory=inventory, tmp_path=tmp_path)
    assert first.rc != 0                                                # report_fail_on_status: [expired]
    info, info_web2 = first.result('info'), first.result('info web2')
    writes = first.records('pki.lifecycle.report : Write the certificate report (one task on the controller)')
    written = writes[0]['result']
    assert written['changed'] and sorted(written['files']) == ['csv', 'html', 'json'], written
    failed = first.result('pki.lifecycle.report : Fail when certificates in use need action')
    assert first.status('pki.lifecycle.report : Fail when certificates in use need action') == 'failed'
    assert '1 expired' in failed['msg'] and 'certificates.html' in failed['msg']
    assert len(writes) == 2 and not writes[1]['result']['changed']    # same data: nothing rewritten
    counts = info['counts']
    superseded = counts.get('superseded', 0)
    assert counts['expired'] == 1 and counts['revoked'] == 1
    html_path = written['files']['html']

    # --- CSV and JSON: the same rows, one per certificate (superseded ones included)
    data = json.loads(open(written['files']['json']).read())
    rows = list(csv.DictReader(io.StringIO(open(written['files']['csv'], newline='').read())))
    assert [r['uuid'] for r in rows] == [r['uuid'] for r in data['rows']]
    assert len(rows) == counts['total'] + superseded
    assert set(c['uuid'] for c in info['certificates']) <= set(r['uuid'] for r in rows)
    by_fp = dict((r['fingerprint_sha256'], r) for r in data['rows'])
    weak_row = by_fp[fingerprint(w['weak'] + '.crt')]
    assert weak_row['subject'] == 'CN=weak.test' and weak_row['state'] == 'discovered'
    assert set(f['rule'] for f in weak_row['findings']) >= {'weak_key', 'weak_signature'}
    site_row = by_fp[fingerprint(w['site'] + '.crt')]
    assert sorted(l['where'] for l in site_row['locations']) == sorted([
        'web1.test:%s/nginx/site.crt' % w['web1'], 'web2.test:%s/ssl/site.crt' % w['web2'],
        '127.0.0.1:%d (site.test)' % tls.port])
    xss_row = by_fp[fingerprint(w['xss'] + '.crt')]
    assert 'DNS:' + XSS_SAN in xss_row['subject_alt_names']
    assert [l['path'] for l in xss_row['locations']] == ['%s/ssl/%s' % (w['web2'], XSS_FILE)]
    assert any(XSS_SAN in r['subject_alt_names'] and XSS_FILE in r['locations'] for r in rows)   # CSV: as is
    html_text = open(html_path).read()
    assert '<script>alert' not in html_text and '<img' not in html_text

    # --- the page in Chromium, offline
    page = browser.new_page(viewport={'width': 1400, 'height': 1000})
    requests, errors, dialogs = [], [], []
    page.on('request', lambda r: requests.append(r.url))
    page.on('console', lambda m: errors.append(m.text) if m.type == 'error' else None)
    page.on('pageerror', lambda e: errors.append(str(e)))
    page.on('dialog', lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto('file://' + html_path)
    page.wait_for_selector('body[data-ready="1"]', timeout=10000)
    assert all(u.startswith('file://') for u in requests), requests   # nothing fetched
    assert errors == [] and dialogs == []                             # CSP hashes right, no script injected

    # summary: the counts of certificate_info's own query
    def card(ident):
        return int(page.text_content('#%s .n' % ident))
    assert card('count-total') == counts['total']
    for status in ('valid', 'expiring', 'expired', 'revoked', 'invalid'):
        assert card('count-' + status) == counts[status], status
    assert card('count-noncompliant') == data['summary']['noncompliant'] > 0
    assert card('count-discovered') == 4                               # site, old, weak, xss
    assert len(visible(page)) == counts['total']
    assert page.text_content('#shown') == '%d of %d shown' % (counts['total'], counts['total'] + superseded)
    if superseded:                                                     # the renewed app.test certificate
        page.check('#show-superseded')
        assert len(visible(page)) == counts['total'] + superseded
        page.uncheck('#show-superseded')
        assert len(visible(page)) == counts['total']

    # the XSS subject is text, not markup
    xss_tr = '#certs tr[data-uuid="%s"]' % xss_row['uuid']
    assert page.text_content(xss_tr + ' .subject') == xss_row['subject']
    assert 'DNS:' + XSS_SAN in page.text_content(xss_tr + ' .sans')
    assert page.text_content(xss_tr + ' ul.where') == 'web2.test:%s/ssl/%s' % (w['web2'], XSS_FILE)
    assert page.evaluate('document.scripts.length') == 1 and page.evaluate('document.images.length') == 0

    # sorting by a column, both ways; then by days left (numbers)
    page.click('#certs th[data-key="subject"] button')
    asc = column(page, 'subject')
    assert asc == sorted(asc, key=str.lower) and len(asc) == counts['total']
    assert page.get_attribute('body', 'data-sorted') == 'subject:ascending'
    page.click('#certs th[data-key="subject"] button')
    assert column(page, 'subject') == list(reversed(asc))
    page.click('#certs th[data-key="days_left"] button')
    days = [int(v) for v in column(page, 'days_left')]
    assert days == sorted(days) and days[0] < 0                        # old.test, expired, first

    # filters narrow the rows: text (a host), status, compliance
    page.fill('#filter', 'web2.test')
    shown = visible(page)
    assert sorted(shown) == sorted(c['uuid'] for c in info_web2['certificates']) and 0 < len(shown) < counts['total']
    page.fill('#filter', '')
    page.select_option('#status-filter', 'expired')
    assert [by_uuid['subject'] for by_uuid in data['rows'] if by_uuid['uuid'] in visible(page)] == ['CN=old.test']
    page.select_option('#status-filter', '')
    page.select_option('#compliance-filter', 'compliant')
    assert len(visible(page)) == data['summary']['compliant']
    page.select_option('#compliance-filter', '')

    # where each certificate lives, the chart, the findings
    where = page.text_content('#certs tr[data-uuid="%s"] ul.where' % site_row['uuid'])
    assert '127.0.0.1:%d (site.test)' % tls.port in where and 'web1.test:%s/nginx/site.crt' % w['web1'] in where
    today = datetime.datetime.now(datetime.timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    horizon = today + datetime.timedelta(days=90)
    expected = sum(1 for c in info['certificates'] if c['validation_status'] in ('valid', 'expiring') and
                   c['not_after'] < horizon.strftime('%Y-%m-%dT%H:%M:%SZ'))
    bars = page.eval_on_selector_all('#expiry-chart g.week', 'gs => gs.map(g => +g.getAttribute("data-count"))')
    assert len(bars) == 13 and sum(bars) == expected > 0
    findings = page.text_content('#findings')
    assert 'weak_key' in findings and 'CN=weak.test' in findings and 'expired' in findings

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / 'report.png'), full_page=True)
    for path in written['files'].values():
        shutil.copy(path, str(ARTIFACTS / os.path.basename(path)))
    assert (ARTIFACTS / 'report.png').stat().st_size > 10000
