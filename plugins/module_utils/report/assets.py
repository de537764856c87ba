# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The report page's only style sheet and script, inlined: the file fetches nothing, so it opens
offline, from a mail attachment or from AWX artifacts. Their hashes go into the page's
Content-Security-Policy, so no other script can run in it even if a value escaped escaping."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import base64
import hashlib

CSS = """
:root{--valid:#1a7f37;--expiring:#b35900;--expired:#c62828;--revoked:#6a1b9a;--invalid:#546e7a;
--superseded:#9e9e9e;--other:#37474f;--ink:#1f2328;--muted:#57606a;--line:#d0d7de;--bg:#f6f8fa}
*{box-sizing:border-box}
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);margin:0;padding:16px 24px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:24px 0 8px}
.generated{color:var(--muted);margin:0}
.cards{display:flex;flex-wrap:wrap;gap:10px}
.card{border:1px solid var(--line);border-left:6px solid var(--other);border-radius:6px;padding:8px 14px;min-width:110px;background:#fff}
.card .n{display:block;font-size:24px;font-weight:600}.card .l{color:var(--muted)}
.card.apart{border-style:dashed;border-left-style:solid}
.st-valid{--c:var(--valid)}.st-expiring{--c:var(--expiring)}.st-expired{--c:var(--expired)}
.st-revoked{--c:var(--revoked)}.st-invalid{--c:var(--invalid)}.st-superseded{--c:var(--superseded)}
.card[class*="st-"]{border-left-color:var(--c)}
.card.bad{border-left-color:var(--expired)}.card.unmanaged{border-left-color:var(--expiring)}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;color:#fff;background:var(--c,var(--other));font-size:12px;white-space:nowrap}
.sev-high{background:var(--expired)}.sev-medium{background:var(--expiring)}.sev-low{background:var(--invalid)}
.finding{margin:1px 2px 1px 0}
#expiry-chart{max-width:100%;height:auto;background:#fff;border:1px solid var(--line);border-radius:6px}
#expiry-chart .bar{fill:#0969da}#expiry-chart .bar.soon{fill:var(--expired)}
#expiry-chart .grid{stroke:var(--line)}#expiry-chart .axis{fill:var(--muted);font-size:11px}
#expiry-chart .value{fill:var(--ink);font-size:12px;font-weight:600}
.controls{display:flex;flex-wrap:wrap;gap:10px;align-items:center;margin:8px 0}
.controls input[type=search]{min-width:320px;padding:5px 8px}
#shown{color:var(--muted)}
table{border-collapse:collapse;width:100%;background:#fff}
th,td{border-bottom:1px solid var(--line);padding:6px 8px;text-align:left;vertical-align:top}
th{background:var(--bg);position:sticky;top:0}
th button{font:inherit;font-weight:600;border:0;background:none;padding:0;cursor:pointer;color:inherit}
th[aria-sort=ascending] button::after{content:" \\25B2"}th[aria-sort=descending] button::after{content:" \\25BC"}
#certs tbody tr{border-left:5px solid var(--c,var(--other))}
tr.superseded td{color:var(--muted)}
.sans,.days,.sub{color:var(--muted);font-size:12px}
.mono{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:12px;word-break:break-all}
ul.where{margin:0;padding-left:16px}li.gone{color:var(--superseded);text-decoration:line-through}
.subject{word-break:break-word;font-weight:600}
footer{color:var(--muted);margin-top:24px;font-size:12px}
"""

JS = """
(function () {
  'use strict';
  var table = document.getElementById('certs');
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  var text = document.getElementById('filter');
  var status = document.getElementById('status-filter');
  var compliance = document.getElementById('compliance-filter');
  var superseded = document.getElementById('show-superseded');
  var shown = document.getElementById('shown');
  var findings = Array.prototype.slice.call(document.querySelectorAll('#findings tbody tr'));
  // Read once: what the filter searches, and each row's facts (no DOM reads while filtering).
  var facts = rows.map(function (r) {
    return {text: r.textContent.toLowerCase(), current: r.getAttribute('data-current') === '1',
            status: r.getAttribute('data-status'), compliance: r.getAttribute('data-compliance')};
  });

  function apply() {
    var words = text.value.toLowerCase().split(/\\s+/).filter(Boolean);
    var all = superseded ? superseded.checked : true;
    var n = 0;
    rows.forEach(function (r, i) {
      var f = facts[i];
      var ok = (all || f.current) && (!status.value || f.status === status.value) &&
        (!compliance.value || f.compliance === compliance.value) &&
        words.every(function (w) { return f.text.indexOf(w) >= 0; });
      if (r.hidden === ok) { r.hidden = !ok; }
      if (ok) { n += 1; }
    });
    findings.forEach(function (f) { f.hidden = !all && f.getAttribute('data-current') !== '1'; });
    shown.textContent = n + ' of ' + rows.length + ' shown';
    document.body.setAttribute('data-shown', String(n));
  }

  function sortBy(th) {
    var col = th.cellIndex;
    var num = th.getAttribute('data-type') === 'num';
    var dir = th.getAttribute('aria-sort') === 'ascending' ? -1 : 1;
    Array.prototype.forEach.call(th.parentNode.cells, function (c) { c.removeAttribute('aria-sort'); });
    th.setAttribute('aria-sort', dir === 1 ? 'ascending' : 'descending');
    var keyed = rows.map(function (r, i) {
      var v = r.cells[col].getAttribute('data-v') || '';
      return {row: r, i: i, order: parseInt(r.getAttribute('data-order'), 10),
              v: num ? (v === '' ? Infinity : parseFloat(v)) : v.toLowerCase()};
    });
    keyed.sort(function (a, b) {
      if (a.v < b.v) { return -dir; }
      if (a.v > b.v) { return dir; }
      return a.order - b.order;
    });
    var fragment = document.createDocumentFragment();
    var sortedFacts = [];
    keyed.forEach(function (k) { fragment.appendChild(k.row); sortedFacts.push(facts[k.i]); });
    rows = keyed.map(function (k) { return k.row; });
    facts = sortedFacts;
    body.appendChild(fragment);
    document.body.setAttribute('data-sorted', th.getAttribute('data-key') + ':' + th.getAttribute('aria-sort'));
  }

  Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th) {
    var button = th.querySelector('button');
    if (button) { button.addEventListener('click', function () { sortBy(th); }); }
  });
  text.addEventListener('input', apply);
  [status, compliance, superseded].forEach(function (el) { if (el) { el.addEventListener('change', apply); } });
  apply();
  document.body.setAttribute('data-ready', '1');
}());
"""


def csp_hash(text):
    return "'sha256-%s'" % base64.b64encode(hashlib.sha256(text.encode('utf-8')).digest()).decode('ascii')


def content_security_policy():
    """Nothing but this page's own style and script; no fetch of any kind."""
    return ("default-src 'none'; style-src %s; script-src %s; img-src data:; base-uri 'none'; form-action 'none'"
            % (csp_hash(CSS), csp_hash(JS)))
