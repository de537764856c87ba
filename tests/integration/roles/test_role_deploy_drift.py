"""The certificate role's one-round-trip no-change run still repairs drift on the host.

The role's one task (pki.lifecycle.certificate_deploy) has the host report what is deployed
(SHA-256, owner, group, mode) with the key and the CSR, and the controller writes only when
something differs. Here, over the harness's real sshd: a no-change rerun writes nothing and
makes one call to the host; a certificate file whose content or mode was changed on the host is
deployed again (handler notified, openssl sees the issued certificate again); a missing chain
file is restored; check mode reports the drift and writes nothing.
"""
import hashlib
import os
import stat

import pytest

from harness.plays import local_ca_play

pytestmark = pytest.mark.server

HOST = 'drift.test'
DEPLOY = 'pki.lifecycle.certificate : Key, CSR, certificate and deployed files'

PLAY = """
- name: Certificate on the host
  hosts: all
  gather_facts: false
  module_defaults:
    group/pki.lifecycle.certificates: {inventory: "sqlite://%(work)s/inventory.db"}
  roles:
    - role: pki.lifecycle.certificate
      certificate_ra_profile: web
      certificate_notify: [reload service]
  handlers:
    - name: reload service
      ansible.builtin.copy:
        dest: "{{ certificate_deploy_dir }}/reloaded"
        content: "{{ inventory_hostname }}\\n"
        mode: "0644"
"""


def _sha(path):
    with open(path, 'rb') as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def test_no_change_skips_deploy_and_drift_is_repaired(sshd, run_playbook, tmp_path):
    work = str(tmp_path / 'work')
    root = os.path.join(work, 'hosts', HOST)
    os.makedirs(work)
    inventory = sshd.inventory_for([HOST], host_vars={HOST: {'certificate_deploy_dir': root}},
                                   group_vars={'ansible_pipelining': True})
    play = local_ca_play(work, 'CN=Drift Test CA') + PLAY % dict(work=work)
    crt, chain = os.path.join(root, HOST + '.crt'), os.path.join(root, HOST + '.chain.crt')
    reloaded = os.path.join(root, 'reloaded')

    first = run_playbook(play, inventory=inventory)
    assert first.rc == 0, first.summary()
    assert first.status(DEPLOY, HOST) == 'changed'
    issued = {crt: _sha(crt), chain: _sha(chain)}
    os.unlink(reloaded)

    second = run_playbook(play, inventory=inventory)
    assert second.rc == 0, second.summary()
    assert second.status(DEPLOY, HOST) == 'ok'                # decided on the controller
    assert second.result(DEPLOY, HOST)['files_changed'] == []
    assert second.changed_count() == 0
    assert not os.path.exists(reloaded)

    # Drift: the certificate's content and the chain's mode changed on the host, then the chain removed.
    with open(crt, 'a') as handle:
        handle.write('# edited\n')
    os.chmod(chain, 0o600)
    checked = run_playbook(play, inventory=inventory, check=True)
    assert checked.rc == 0, checked.summary()
    assert checked.status(DEPLOY, HOST) == 'changed'
    assert _sha(crt) != issued[crt] and stat.S_IMODE(os.stat(chain).st_mode) == 0o600   # nothing written
    assert not os.path.exists(reloaded)

    third = run_playbook(play, inventory=inventory)
    assert third.rc == 0, third.summary()
    assert third.status(DEPLOY, HOST) == 'changed'
    assert sorted(third.result(DEPLOY, HOST)['files_changed']) == sorted([crt, chain])
    assert _sha(crt) == issued[crt] and _sha(chain) == issued[chain]
    assert stat.S_IMODE(os.stat(chain).st_mode) == 0o644
    assert os.path.exists(reloaded)                           # the handler ran
    os.unlink(reloaded)

    os.unlink(chain)
    fourth = run_playbook(play, inventory=inventory)
    assert fourth.rc == 0, fourth.summary()
    assert fourth.result(DEPLOY, HOST)['files_changed'] == [chain]
    assert _sha(chain) == issued[chain]
