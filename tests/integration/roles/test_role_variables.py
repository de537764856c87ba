"""The certificate role's variables are validated in its one task, the same with or without
Ansible's own validation task (``rolespec_validate: false``, the at-scale form in docs/roles.md).

Over the harness's real sshd: invalid variables end the play before anything is made, with a
message naming each variable, and leave the inventory empty; Ansible's validation task (the
``roles:`` form) rejects the same variables. A valid run without the validation task issues an
encrypted key on the host (openssl opens it with the passphrase), records the deployment labels
built from the variables, and never shows the passphrase, even at -vvv; its rerun costs the host
one task and changes nothing.
"""
import os
import subprocess

import pytest

from ansible_collections.pki.lifecycle.plugins.module_utils.inventory.stores import open_store
from harness.plays import local_ca_play

pytestmark = pytest.mark.server

HOST = 'vars.test'
DEPLOY = 'pki.lifecycle.certificate : Key, CSR, certificate and deployed files'
PASSPHRASE = 'Pass-phrase-9d41c7e2'

IMPORTED = """
- name: Certificate on the host, without Ansible's validation task
  hosts: all
  gather_facts: false
  module_defaults:
    group/pki.lifecycle.certificates: {inventory: "sqlite://%(work)s/inventory.db"}
  tasks:
    - name: The certificate role
      ansible.builtin.import_role:
        name: pki.lifecycle.certificate
        rolespec_validate: false
      vars: %(vars)s
"""

ROLES = """
- name: Certificate on the host, with Ansible's validation task
  hosts: all
  gather_facts: false
  module_defaults:
    group/pki.lifecycle.certificates: {inventory: "sqlite://%(work)s/inventory.db"}
  roles:
    - role: pki.lifecycle.certificate
      vars: %(vars)s
"""

BAD = '{certificate_ra_profile: web, certificate_key_size: big, certificate_reload_state: rebooted}'


def _records(work):
    path = os.path.join(work, 'inventory.db')
    store = open_store('sqlite://%s' % path)
    try:
        with store.transaction(write=False) as tx:
            return tx.find_certificates()
    finally:
        store.close()


@pytest.fixture
def setup(sshd, run_playbook, tmp_path):
    work = str(tmp_path / 'work')
    root = os.path.join(work, 'hosts', HOST)
    os.makedirs(work)
    inventory = sshd.inventory_for([HOST], host_vars={HOST: {'certificate_deploy_dir': root}},
                                   group_vars={'ansible_pipelining': True})
    ca = run_playbook(local_ca_play(work, 'CN=Role Variables CA'))
    assert ca.rc == 0, ca.summary()
    return work, root, inventory


def test_invalid_variables_fail_before_anything_is_made(setup, run_playbook):
    work, root, inventory = setup
    for play in (IMPORTED, ROLES):
        run = run_playbook(play % dict(work=work, vars=BAD), inventory=inventory)
        assert run.rc != 0, run.summary()
        output = run.stdout + run.stderr
        assert 'certificate_key_size' in output and 'certificate_reload_state' in output, run.summary()
        assert _records(work) == []
        assert not os.path.exists(os.path.join(root, HOST + '.key'))
    # Without Ansible's task, the role's own task says which file lists the types and choices.
    run = run_playbook(IMPORTED % dict(work=work, vars=BAD), inventory=inventory)
    assert 'meta/argument_specs.yml' in run.stdout, run.summary()


def test_valid_variables_without_the_validation_task(setup, run_playbook):
    work, root, inventory = setup
    variables = ('{certificate_ra_profile: web, certificate_key_passphrase: %s, certificate_key_type: rsa, '
                 'certificate_key_size: 2048, certificate_reload_command: "true", certificate_labels: {team: web}}'
                 % PASSPHRASE)
    play = IMPORTED % dict(work=work, vars=variables)

    first = run_playbook(play, inventory=inventory, verbosity=3)
    assert first.rc == 0, first.summary()
    assert PASSPHRASE not in first.stdout + first.stderr
    assert first.status(DEPLOY, HOST) == 'changed'
    labels = first.result(DEPLOY, HOST)['labels']
    crt = os.path.join(root, HOST + '.crt')
    key = os.path.join(root, HOST + '.key')
    assert labels['host'] == HOST and labels['role'] == 'certificate' and labels['team'] == 'web'
    assert labels['cert_path'] == crt and labels['key_path'] == key and labels['reload_command'] == 'true'
    assert labels['reload_state'] == ''          # no reload_service: the state is not recorded
    (record,) = _records(work)
    assert record['labels'] == labels
    assert PASSPHRASE not in repr(record)
    opened = subprocess.run(['openssl', 'pkey', '-in', key, '-passin', 'pass:' + PASSPHRASE, '-noout'],
                            capture_output=True, text=True, check=False)
    assert opened.returncode == 0, opened.stderr
    refused = subprocess.run(['openssl', 'pkey', '-in', key, '-passin', 'pass:wrong', '-noout'],
                             capture_output=True, text=True, check=False)
    assert refused.returncode != 0                # encrypted with the passphrase
    verified = subprocess.run(['openssl', 'verify', '-CAfile', os.path.join(work, 'ca', 'ca.pem'), crt],
                              capture_output=True, text=True, check=False)
    assert verified.returncode == 0, verified.stdout + verified.stderr

    second = run_playbook(play, inventory=inventory, verbosity=3)
    assert second.rc == 0, second.summary()
    assert PASSPHRASE not in second.stdout + second.stderr
    assert second.changed_count() == 0
    ran = [r['task'] for r in second.results if r['host'] == HOST and r['status'] != 'skipped']
    assert ran == [DEPLOY], ran                    # no validation task: one task per host
    assert len(_records(work)) == 1
