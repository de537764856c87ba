"""certificate_info's result shape: fields, limit, counts_only (both execution paths)."""
from __future__ import annotations

import pytest

from harness.playbook import assert_ok, run_playbook

pytestmark = pytest.mark.usefixtures('execution_path')

PLAY = """
- hosts: localhost
  gather_facts: false
  module_defaults:
    group/pki.lifecycle.certificates:
      inventory: "sqlite://{work}/inventory.db"
  tasks:
    - pki.lifecycle.ra_profile:
        name: web
        connector_options: {{directory: "{work}/ca"}}
        policy: {{allowed_names: ["*.example.test"]}}
    - pki.lifecycle.token_profile: {{name: keys, options: {{path: "{work}/keys"}}}}
    - pki.lifecycle.certificate_issue:
        ra_profile: web
        token_profile: keys
        key: "{{{{ item }}}}"
        generate_key: true
        subject: "CN={{{{ item }}}}.example.test"
        labels: {{n: "{{{{ item }}}}"}}
      loop: [a, b, c]
    - name: all
      pki.lifecycle.certificate_info: {{}}
    - name: fields
      pki.lifecycle.certificate_info: {{fields: [subject, validation_status, labels]}}
    - name: fields with pem
      pki.lifecycle.certificate_info: {{fields: [uuid, certificate_pem], limit: 1}}
    - name: limit
      pki.lifecycle.certificate_info: {{limit: 2}}
    - name: counts only
      pki.lifecycle.certificate_info: {{counts_only: true}}
    - name: counts only with a limit
      pki.lifecycle.certificate_info: {{counts_only: true, limit: 2}}
      ignore_errors: true
    - name: unknown field
      pki.lifecycle.certificate_info: {{fields: [subject, private_key]}}
      ignore_errors: true
"""


def test_fields_limit_counts_only(tmp_path):
    run = assert_ok(run_playbook(PLAY.format(work=tmp_path), tmp_path=tmp_path))
    full = run.result('all')
    assert full['counts']['total'] == 3 and full['counts']['valid'] == 3
    assert len(full['certificates']) == 3 and 'fingerprint_sha256' in full['certificates'][0]

    narrow = run.result('fields')
    assert narrow['counts'] == full['counts']
    assert [sorted(c) for c in narrow['certificates']] == [['labels', 'subject', 'validation_status']] * 3
    assert [c['subject'] for c in narrow['certificates']] == [c['subject'] for c in full['certificates']]
    assert sorted(c['labels']['n'] for c in narrow['certificates']) == ['a', 'b', 'c']

    pem = run.result('fields with pem')
    assert len(pem['certificates']) == 1 and sorted(pem['certificates'][0]) == ['certificate_pem', 'uuid']
    assert pem['certificates'][0]['certificate_pem'].startswith('-----BEGIN CERTIFICATE-----')
    assert pem['certificates'][0]['uuid'] == full['certificates'][0]['uuid']

    limited = run.result('limit')
    assert limited['certificates'] == full['certificates'][:2]
    assert limited['counts'] == full['counts']  # every match is counted

    counts = run.result('counts only')
    assert counts['certificates'] == [] and counts['counts'] == full['counts']

    both = run.result('counts only with a limit')
    assert run.status('counts only with a limit') == 'failed'
    assert 'counts_only' in both['msg'] and 'limit' in both['msg']
    unknown = run.result('unknown field')
    assert run.status('unknown field') == 'failed'
    assert 'private_key' in unknown['msg'] and 'subject_alt_names' in unknown['msg']
