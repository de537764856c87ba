"""Unattended for months: the scheduled lifecycle over a simulated calendar (see soak.py), and
certificates of minutes on OpenBao and Pebble renewed in real time (soak_short.py).

``make test`` runs 30 simulated days (PKI_LIFECYCLE_SOAK_DAYS, default 30) and 150 s of each
short-lived run (PKI_LIFECYCLE_SOAK_SECONDS); ``make soak`` 400 days (a CA of 90 days,
PKI_LIFECYCLE_SOAK_CA_DAYS) and 600 s. The figures are printed and written to
<tmp>/soak-figures.json.
"""
import json
import os

import pytest

from harness.faketime import FakeClock
from harness.plugin import server_unavailable
from harness import servers as S

from harness.soak import EmbeddedCASoak
from harness.soak_short import OpenBaoSoak, PebbleSoak

pytestmark = pytest.mark.server

DAYS = int(os.environ.get("PKI_LIFECYCLE_SOAK_DAYS", "30"))
# The embedded CA lives 20 days: every soak crosses its end of life, with a rollover 6 days before.
CA_DAYS = int(os.environ.get("PKI_LIFECYCLE_SOAK_CA_DAYS", "20"))


@pytest.fixture
def clock(tmp_path):
    c = FakeClock(tmp_path)
    if not c.available:
        server_unavailable("libfaketime not found: apt-get install -y faketime (scripts/install-servers.sh)")
    return c


@pytest.fixture
def shifted_sshd(server_factory, clock):
    """An sshd whose sessions (every task on a host) run under the soak's clock."""
    return server_factory(S.Sshd, extra_config=clock.sshd_config())


def test_clock_reaches_every_process(shifted_sshd, clock, run_playbook, tmp_path):
    """ansible-playbook, a module on a host behind sshd, a module delegated to localhost and openssl
    all see the simulated date."""
    clock.set_days(123)
    inventory = shifted_sshd.inventory_for(["h.test"])
    run = run_playbook("""
- hosts: all
  gather_facts: false
  tasks:
    - name: on the host
      ansible.builtin.command: date -u +%Y-%m-%d
      changed_when: false
      register: host_date
    - name: on the controller
      ansible.builtin.command: date -u +%Y-%m-%d
      delegate_to: localhost
      vars: {ansible_python_interpreter: "{{ ansible_playbook_python }}"}
      changed_when: false
    - name: in ansible-playbook itself
      ansible.builtin.debug:
        msg: "{{ now(utc=true).strftime('%Y-%m-%d') }}"
""", inventory=inventory, env=clock.variables())
    assert run.rc == 0, run.summary()
    want = clock.now().strftime("%Y-%m-%d")
    assert run.result("on the host", "h.test")["stdout"] == want
    assert run.result("on the controller", "h.test")["stdout"] == want
    assert run.result("in ansible-playbook itself", "h.test")["msg"] == want
    assert clock.run(["date", "-u", "+%Y-%m-%d"]).stdout.strip() == want
    clock.set_days(0)
    assert shifted_sshd.run("date", "-u", "+%Y-%m-%d").stdout.strip() != want


def test_soak_embedded_ca(shifted_sshd, nginx_factory, clock, run_playbook, tmp_path):
    soak = EmbeddedCASoak(tmp_path / "soak", shifted_sshd, nginx_factory, clock, run_playbook, ca_days=CA_DAYS)
    try:
        figures = soak.run(DAYS, progress=print)
    finally:
        summary = dict(soak.figures.as_dict(), events=soak.figures.log)
        (tmp_path / "soak-figures.json").write_text(json.dumps(summary, indent=1))
        print("\nsoak figures: " + json.dumps(summary))
    assert figures.days == DAYS
    assert figures.renewed > 0 and figures.revoked > 0 and figures.reloads > 0
    if DAYS > CA_DAYS:   # the first CA's end of life was crossed: warned, then rolled over
        assert figures.rollovers >= 1 and figures.ca_end_warnings > 0


SECONDS = float(os.environ.get("PKI_LIFECYCLE_SOAK_SECONDS", "150"))


def _short_lived(soak):
    try:
        figures = soak.run(SECONDS, progress=print)
    finally:
        print(f"\nshort-lived figures ({soak.profile}): "
              + json.dumps(dict(soak.figures.as_dict(), events=soak.figures.log)))
    assert figures.seconds >= SECONDS
    if SECONDS >= 150:
        assert figures.renewed > 0, "no certificate lived long enough to be renewed"
    assert figures.revoked > 0 and figures.reloads > 0
    return figures


def test_short_lived_openbao(sshd, nginx_factory, server_factory, run_playbook, tmp_path):
    """Certificates of 2 minutes on a real OpenBao (its own instance: its CRL lists exactly
    this test's revocations), renewed 1 minute before expiry by the scheduled job, in real time."""
    bao = server_factory(S.OpenBao)
    _short_lived(OpenBaoSoak(tmp_path / "bao-soak", sshd, nginx_factory, None, run_playbook, openbao=bao, hosts=2))


def test_short_lived_pebble(sshd, nginx_factory, pebble_factory, run_playbook, tmp_path):
    """Certificates of 2 minutes on a real Pebble (certificateValidityPeriod; its own instance:
    its revocations are this test's), renewed 1 minute before expiry by the scheduled job, in
    real time. The first orders are validated over http-01; the scheduled renewals reuse those
    validations (PEBBLE_AUTHZREUSE). Pebble has no CRL: its management API is the revocation check."""
    pebble = pebble_factory(own_http=True, validity_seconds=120, env={"PEBBLE_AUTHZREUSE": "100"})
    soak = PebbleSoak(tmp_path / "pebble-soak", sshd, nginx_factory, None, run_playbook, pebble=pebble, hosts=2)
    try:
        _short_lived(soak)
    finally:
        soak.stop()
