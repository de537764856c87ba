"""pki.lifecycle.certificate_deploy over the harness's real sshd: one host's certificate in one task.

The no-change path is checked from the outside: on the second run the host's Python cannot
import cryptography at all (a package of that name on PYTHONPATH that raises ImportError), and
the task still succeeds without change, so the host call neither imported cryptography nor
signed anything. The same poisoned host then fails when the request or the key changed: the
stamp does not vouch for what it was not written for. Without the poison those changes give a
new CSR and certificate, which openssl checks against the deployed key.
"""
import os
import stat
import subprocess

import pytest

from harness.playbook import assert_ok
from harness.plays import local_ca_play

pytestmark = pytest.mark.server

HOST = 'deploy.test'
TASK = 'Deploy the certificate'

PLAY = local_ca_play('%(work)s', 'CN=Deploy Test CA', tasks="""  tasks:
    - name: Token profile for keys on the controller
      pki.lifecycle.token_profile: {name: keys, type: file, options: {path: "%(work)s/keys"}}
""") + """
- name: The certificate of the host
  hosts: all
  gather_facts: false
  module_defaults:
    group/pki.lifecycle.certificates: {inventory: "sqlite://%(work)s/inventory.db"}
  tasks:
    - name: Deploy the certificate
      pki.lifecycle.certificate_deploy:
        ra_profile: web
        key_location: "{{ location | default('host') }}"
        path: "{{ root }}/host.key"
        token_profile: keys
        key: "{{ inventory_hostname }}"
        subject: "CN={{ inventory_hostname }}"
        subject_alt_names: "{{ names | default(['DNS:' ~ inventory_hostname]) }}"
        cert_path: "{{ root }}/host.crt"
        fullchain_path: "{{ root }}/host.fullchain.crt"
        labels: {host: "{{ inventory_hostname }}"}
        create_dirs: true
      environment: "{{ {'PYTHONPATH': poison} if poison | default('') else {} }}"
"""


def openssl(*args):
    return subprocess.run(['openssl'] + list(args), capture_output=True, text=True, check=False)


def pubkey_of_cert(path):
    return openssl('x509', '-in', path, '-noout', '-pubkey').stdout


def pubkey_of_key(path):
    return openssl('pkey', '-in', path, '-pubout').stdout


def test_one_task_and_no_cryptography_on_a_no_change_run(sshd, run_playbook, tmp_path):
    work = str(tmp_path / 'work')
    root = os.path.join(work, 'hosts', HOST)
    os.makedirs(work)
    poison = tmp_path / 'poison' / 'cryptography'
    poison.mkdir(parents=True)
    (poison / '__init__.py').write_text("raise ImportError('cryptography is not importable on this host (test)')\n")
    inventory = sshd.inventory_for([HOST], host_vars={HOST: {'root': root}}, group_vars={'ansible_pipelining': True})
    play = PLAY % dict(work=work)
    key, crt, full = (os.path.join(root, n) for n in ('host.key', 'host.crt', 'host.fullchain.crt'))
    stamp = os.path.join(root, '.host.key.pki-lifecycle')

    first = run_playbook(play, inventory=inventory)
    assert_ok(first)
    out = first.result(TASK, HOST)
    assert out['changed'] and out['key_created'] and sorted(out['files_changed']) == sorted([crt, full]), out
    assert out['certificate']['subject'] == 'CN=%s' % HOST
    assert openssl('verify', '-CAfile', os.path.join(work, 'ca', 'ca.pem'), full).returncode == 0
    assert pubkey_of_cert(crt) == pubkey_of_key(key) != ''
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600 and stat.S_IMODE(os.stat(stamp).st_mode) == 0o600
    with open(stamp) as handle:
        assert 'PRIVATE' not in handle.read()
    before = dict((p, os.stat(p).st_mtime_ns) for p in (key, crt, full, key[:-4] + '.key.csr'))

    # No change: the host cannot import cryptography, and does not need to.
    again = run_playbook(play, inventory=inventory, extra_vars={'poison': str(poison.parent)})
    assert_ok(again)
    out = again.result(TASK, HOST)
    assert not out['changed'] and out['files_changed'] == [] and not out['renewed'], out
    assert again.changed_count() == 0
    assert dict((p, os.stat(p).st_mtime_ns) for p in before) == before

    # Other names: the stamp does not vouch for them; the poisoned host says what it lacks.
    names = ['DNS:%s' % HOST, 'DNS:www.%s' % HOST]
    refused = run_playbook(play, inventory=inventory, extra_vars={'poison': str(poison.parent), 'names': names})
    assert refused.rc != 0 and 'cryptography' in refused.result(TASK, HOST)['msg']
    assert dict((p, os.stat(p).st_mtime_ns) for p in before) == before
    renamed = run_playbook(play, inventory=inventory, extra_vars={'names': names})
    assert_ok(renamed)
    out = renamed.result(TASK, HOST)
    assert out['changed'] and out['csr_changed'] and crt in out['files_changed'], out
    assert 'DNS:www.%s' % HOST in openssl('x509', '-in', crt, '-noout', '-ext', 'subjectAltName').stdout

    # Another key in the key file: detected, a certificate for it issued and deployed.
    os.unlink(key)
    assert openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', key).returncode == 0
    os.chmod(key, 0o600)
    refused = run_playbook(play, inventory=inventory, extra_vars={'poison': str(poison.parent), 'names': names})
    assert refused.rc != 0 and 'cryptography' in refused.result(TASK, HOST)['msg']
    rekeyed = run_playbook(play, inventory=inventory, extra_vars={'names': names})
    assert_ok(rekeyed)
    assert rekeyed.result(TASK, HOST)['csr_changed'] and pubkey_of_cert(crt) == pubkey_of_key(key)

    # Drift in check mode: reported from the host's report, nothing written.
    os.chmod(crt, 0o600)
    checked = run_playbook(play, inventory=inventory, check=True, extra_vars={'names': names})
    assert_ok(checked)
    assert checked.result(TASK, HOST)['files_changed'] == [crt] and checked.status(TASK, HOST) == 'changed'
    assert stat.S_IMODE(os.stat(crt).st_mode) == 0o600
    repaired = run_playbook(play, inventory=inventory, extra_vars={'names': names})
    assert_ok(repaired)
    assert repaired.result(TASK, HOST)['files_changed'] == [crt] and stat.S_IMODE(os.stat(crt).st_mode) == 0o644


def test_key_in_a_token_profile_on_the_controller(sshd, run_playbook, tmp_path):
    work = str(tmp_path / 'work')
    root = os.path.join(work, 'hosts', HOST)
    os.makedirs(work)
    inventory = sshd.inventory_for([HOST], host_vars={HOST: {'root': root}}, group_vars={'ansible_pipelining': True})
    play = PLAY % dict(work=work)
    first = run_playbook(play, inventory=inventory, extra_vars={'location': 'controller'})
    assert_ok(first)
    out = first.result(TASK, HOST)
    assert out['changed'] and sorted(out['files_changed']) == sorted([os.path.join(root, 'host.crt'),
                                                                      os.path.join(root, 'host.fullchain.crt')])
    assert not os.path.exists(os.path.join(root, 'host.key'))                 # the key stays on the controller
    assert pubkey_of_cert(os.path.join(root, 'host.crt')) == pubkey_of_key(os.path.join(work, 'keys', HOST + '.pem'))
    again = run_playbook(play, inventory=inventory, extra_vars={'location': 'controller'})
    assert_ok(again)
    assert not again.result(TASK, HOST)['changed'] and again.result(TASK, HOST)['files_changed'] == []


def test_passphrase_never_in_the_result_or_output(sshd, run_playbook, tmp_path):
    """no_log: the key's passphrase reaches the host (the key is encrypted with it) and nowhere else."""
    work = str(tmp_path / 'work')
    root = os.path.join(work, 'hosts', HOST)
    os.makedirs(work)
    secret = 'Sekrit-Passphrase-4711'
    inventory = sshd.inventory_for([HOST], host_vars={HOST: {'root': root}}, group_vars={'ansible_pipelining': True})
    play = (PLAY % dict(work=work)).replace('        create_dirs: true\n',
                                            '        create_dirs: true\n        passphrase: "%s"\n' % secret)
    for _run in range(2):   # issued, then no change (a passphrase always takes the full check)
        run = run_playbook(play, inventory=inventory, verbosity=3)
        assert_ok(run)
        assert secret not in repr(run.result(TASK, HOST)) and secret not in run.stdout
    assert not run.result(TASK, HOST)['changed']
    assert not os.path.exists(os.path.join(root, '.host.key.pki-lifecycle'))
    with open(os.path.join(root, 'host.key')) as handle:
        assert 'ENCRYPTED PRIVATE KEY' in handle.read()
    assert openssl('pkey', '-in', os.path.join(root, 'host.key'), '-passin', 'pass:' + secret,
                   '-noout').returncode == 0
