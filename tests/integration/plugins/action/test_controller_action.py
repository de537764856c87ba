"""The controller modules' action plugins (plugins/plugin_utils/controller_action.py).

The same playbooks run in the controller's worker (the default on a local connection) and as
module processes (PKI_LIFECYCLE_FORCE_MODULE=1), each against its own fresh inventory; every
task result must be the same once the values that differ by nature (uuids, serials, times,
fingerprints, PEMs) are replaced by placeholders: check mode, diff mode, module_defaults
through the action group, environment fallbacks from the task's ``environment``, validation
errors, lifecycle errors, no_log masking in ``invocation`` and messages.
"""
from __future__ import annotations

import re
import sqlite3

from harness.playbook import assert_ok, run_playbook

SECRET = 'no-LOG-secret-61c0f3a9d7'

PLAY = """
- hosts: localhost
  gather_facts: false
  module_defaults:
    group/pki.lifecycle.certificates:
      inventory: "sqlite://{work}/inventory.db"
  tasks:
    - name: RA profile
      pki.lifecycle.ra_profile:
        name: web
        connector: local
        connector_options: {{directory: "{work}/ca"}}
        policy: {{allowed_names: ["*.example.test"], max_validity_days: 30}}
      diff: true
    - name: token profile
      pki.lifecycle.token_profile: {{name: keys, type: file, options: {{path: "{work}/keys"}}}}
    - name: issue in check mode
      pki.lifecycle.certificate_issue: &issue
        ra_profile: web
        token_profile: keys
        key: www
        generate_key: true
        subject: CN=www.example.test
        subject_alt_names: [DNS:www.example.test]
        labels: {{host: www}}
      check_mode: true
    - name: issue
      pki.lifecycle.certificate_issue: *issue
      diff: true
    - name: issue again
      pki.lifecycle.certificate_issue: *issue
    - name: inventory from the task environment (env fallback)
      pki.lifecycle.certificate_info: {{labels: {{host: www}}}}
      module_defaults: {{}}
      environment:
        PKI_LIFECYCLE_INVENTORY: "sqlite://{work}/inventory.db"
    - name: renew, not due
      pki.lifecycle.certificate_renew: {{ra_profile: web, subject: CN=www.example.test}}
    - name: unsupported option
      pki.lifecycle.certificate_issue: {{ra_profile: web, csr: x, bogus: 1}}
      ignore_errors: true
    - name: mutually exclusive options
      pki.lifecycle.certificate_issue: {{ra_profile: web, csr: x, token_profile: keys, key: k}}
      ignore_errors: true
    - name: wrong type
      pki.lifecycle.certificate_issue: {{ra_profile: web, csr: x, validity_days: many}}
      ignore_errors: true
    - name: unknown RA profile
      pki.lifecycle.certificate_issue: {{ra_profile: nope, csr: x}}
      ignore_errors: true
    - name: secret in a failing task
      pki.lifecycle.certificate_issue:
        <<: *issue
        connector_secrets: {{ca_passphrase: "{{{{ secret }}}}", unknown_secret: "{{{{ secret }}}}"}}
        token_secrets: {{passphrase: "{{{{ secret }}}}"}}
      ignore_errors: true
    - name: secret echoed in a value is masked
      pki.lifecycle.certificate_info: {{labels: {{host: "{{{{ secret }}}}"}}, inventory_password: "{{{{ secret }}}}"}}
    - name: revoke in check mode
      pki.lifecycle.certificate_revoke: {{certificate: CN=www.example.test, reason: superseded}}
      check_mode: true
      ignore_errors: true
"""

VOLATILE = [
    (re.compile(r'-----BEGIN [A-Z ]+-----[^-]+-----END [A-Z ]+-----\n?'), '<PEM>'),
    (re.compile(r'[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'), '<UUID>'),
    (re.compile(r'\b[0-9a-f]{16,64}\b'), '<HEX>'),
    (re.compile(r'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ'), '<TIME>'),
]


def normalized(value, work):
    if isinstance(value, dict):
        return dict((k, normalized(v, work)) for k, v in value.items() if not k.startswith('_ansible'))
    if isinstance(value, list):
        return [normalized(v, work) for v in value]
    if isinstance(value, str):
        value = value.replace(str(work), '<WORK>')
        for pattern, placeholder in VOLATILE:
            value = pattern.sub(placeholder, value)
    return value


def run_on(path, tmp_path, monkeypatch, verbosity=0):
    work = tmp_path / path
    work.mkdir()
    if path == 'module':
        monkeypatch.setenv('PKI_LIFECYCLE_FORCE_MODULE', '1')
    else:
        monkeypatch.delenv('PKI_LIFECYCLE_FORCE_MODULE', raising=False)
    run = run_playbook(PLAY.format(work=work), tmp_path=work, verbosity=verbosity, extra_vars={'secret': SECRET})
    monkeypatch.delenv('PKI_LIFECYCLE_FORCE_MODULE', raising=False)
    return run, work


def test_both_paths_give_the_same_results(tmp_path, monkeypatch):
    runs = {}
    for path in ('in_process', 'module'):
        run, work = run_on(path, tmp_path, monkeypatch, verbosity=3)
        assert run.rc == 0, run.summary()
        runs[path] = run, work
        # Which path ran: only the module path writes and runs AnsiballZ payloads.
        if path == 'module':
            assert 'AnsiballZ_certificate_issue.py' in run.stdout
        else:
            assert 'AnsiballZ_' not in run.stdout, run.stdout[-3000:]
            assert "pki.lifecycle.certificate_issue: in the controller's worker" in run.stdout
        # The secret never shows, at -vvv, in any result or in the inventory.
        assert SECRET not in run.stdout + run.stderr
        assert SECRET not in repr(run.results)
        conn = sqlite3.connect(str(work / 'inventory.db'))
        try:
            assert SECRET not in '\n'.join(conn.iterdump())
        finally:
            conn.close()
        issued = run.result('issue')
        assert issued['changed'] and issued['diff']['after']['subject'] == 'CN=www.example.test'
        assert run.status('issue in check mode') == 'changed' and run.result('issue in check mode')['certificate'] == {}
        assert run.status('issue again') == 'ok'
        assert run.result('inventory from the task environment (env fallback)')['counts']['total'] == 1
        assert 'bogus' in run.result('unsupported option')['msg']
        assert "'nope'" in run.result('unknown RA profile')['msg']
        masked = run.result('secret in a failing task')['invocation']['module_args']
        assert masked['connector_secrets'] != {'ca_passphrase': SECRET, 'unknown_secret': SECRET}
        assert run.result('secret echoed in a value is masked')['invocation']['module_args']['labels'] == {
            'host': 'VALUE_SPECIFIED_IN_NO_LOG_PARAMETER'}
    (a, work_a), (b, work_b) = runs['in_process'], runs['module']
    assert a.task_names() == b.task_names()
    for name in a.task_names():
        assert a.status(name) == b.status(name), name
        assert normalized(a.result(name), work_a) == normalized(b.result(name), work_b), name


def test_delegated_to_the_controller(tmp_path):
    """A task on an unreachable host delegated to localhost runs in the worker; the host is never contacted."""
    inventory = {'all': {'hosts': {'web1': {'ansible_host': '127.0.0.1', 'ansible_port': 1,
                                            'ansible_connection': 'ssh'},
                                   'localhost': {'ansible_connection': 'local',
                                                 'ansible_python_interpreter': '{{ ansible_playbook_python }}'}}}}
    play = """
- hosts: web1
  gather_facts: false
  tasks:
    - name: token profile
      pki.lifecycle.token_profile:
        inventory: "sqlite://%s/inventory.db"
        name: keys
        options: {path: "%s/keys"}
      delegate_to: localhost
""" % (tmp_path, tmp_path)
    run = assert_ok(run_playbook(play, inventory=inventory, tmp_path=tmp_path, verbosity=3))
    assert run.status('token profile', 'web1') == 'changed'
    assert 'AnsiballZ_' not in run.stdout


def test_async_runs_the_module(tmp_path):
    play = """
- hosts: localhost
  gather_facts: false
  tasks:
    - name: token profile
      pki.lifecycle.token_profile:
        inventory: "sqlite://%s/inventory.db"
        name: keys
        options: {path: "%s/keys"}
      async: 60
      poll: 1
""" % (tmp_path, tmp_path)
    run = assert_ok(run_playbook(play, tmp_path=tmp_path, verbosity=3))
    assert run.result('token profile')['changed'] is True
    assert 'AnsiballZ_token_profile.py' in run.stdout
    assert 'module process (async is requested)' in run.stdout
