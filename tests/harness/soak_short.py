"""Short-lived certificates on real CAs whose clocks cannot be shifted, renewed in real time.

Used by tests/integration/test_soak.py (``make test``: 150 s each; ``make soak``: 10 minutes,
PKI_LIFECYCLE_SOAK_SECONDS). OpenBao and Pebble are Go programs: libfaketime does not reach
them, so instead of a fast calendar the certificates are short (minutes). The scheduled job
(docs/awx.md's, as in soak.py) runs every ``interval`` seconds; one rekey revoking the previous
certificate happens a third of the way in; the checks of soak.Soak follow every run.

* OpenBao: its PKI engine's CRL (the distribution point relying parties fetch) is checked
  with ``openssl verify -crl_check``, and must list exactly the revoked serials.
* Pebble (2.4): ``certificateValidityPeriod`` makes its certificates short; it publishes no
  CRL, so its management API (cert-status-by-serial) says what it revoked and that every
  deployed certificate is valid. The first orders are validated for real (http-01: the
  ``certificate`` role writes the challenge into a web root that a web server on Pebble's
  http-01 port serves); the scheduled renewals on the controller can answer no challenge, so
  Pebble reuses those validations (PEBBLE_AUTHZREUSE, what public CAs do for hours to days):
  an order whose authorizations are valid finishes in one call (docs/connectors/acme.md).
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import time
import urllib.request
from typing import Any, Callable

from cryptography import x509

from harness.soak import Figures, Soak


class ShortLivedSoak(Soak):
    """The calendar is real time; subclasses bring the CA (``setup``) and what relying parties
    check against."""

    def __init__(self, *args: Any, ttl: str = "2m", renew_before: str = "1m", **kwargs: Any) -> None:
        self.ttl, self.renew_before = ttl, renew_before
        super().__init__(*args, **kwargs)

    def window(self, cert: x509.Certificate) -> dt.timedelta:
        from ansible_collections.pki.lifecycle.plugins.module_utils import policy

        # the same arithmetic is re-done here by hand: '1m' is 60 s
        seconds = {"s": 1, "m": 60, "h": 3600}[self.renew_before[-1]] * int(self.renew_before[:-1])
        assert policy.renewal_window_seconds(self.renew_before, 0) == seconds
        return dt.timedelta(seconds=seconds)

    def run(self, seconds: float, interval: float = 20.0, progress: Callable[[str], None] | None = None) -> Figures:
        t0 = time.monotonic()
        self.setup()
        rekeyed = False
        while True:
            self.day += 1   # here: the n-th scheduled run
            started = time.monotonic()
            if not rekeyed and started - t0 > seconds / 3:
                self.do_event("revoke", self.active[0])
                rekeyed = True
            self.renewal_job()
            self.check_day()
            self.figures.days = self.day
            if progress:
                progress(f"run {self.day} at {time.monotonic() - t0:.0f}s: {json.dumps(self.figures.as_dict())}")
            if time.monotonic() - t0 >= seconds:
                break
            time.sleep(max(0.0, interval - (time.monotonic() - started)))
        self.figures.seconds = time.monotonic() - t0
        return self.figures


class OpenBaoSoak(ShortLivedSoak):
    """Certificates of minutes on a real OpenBao; the CRL is the one OpenBao serves at its
    distribution point."""

    profile = "bao"

    def __init__(self, *args: Any, openbao=None, **kwargs: Any) -> None:
        self.openbao = openbao
        super().__init__(*args, **kwargs)
        self.ca_path = self.work / "bao-ca.pem"
        self.ca_path.write_text(openbao.ca_pem)
        self.crl_path = self.work / "bao-crl.pem"
        self.env = dict(self.env, VAULT_TOKEN=openbao.token)

    def ca_file(self) -> str:
        return str(self.ca_path)

    def ca_crl(self) -> bytes:
        with urllib.request.urlopen(f"{self.openbao.addr}/v1/{self.openbao.mount}/crl/pem", timeout=10) as resp:
            pem = resp.read()
        self.crl_path.write_bytes(pem)
        return pem

    def host_crl(self, host):
        return self.crl_path   # what a relying party fetches from the CRL distribution point

    def setup(self) -> None:
        self._write_hosts()
        play = f"""
- name: An RA profile on OpenBao issuing {self.ttl} certificates, due {self.renew_before} before expiry
  hosts: localhost
  gather_facts: false
  tasks:
    - pki.lifecycle.ra_profile:
        inventory: "{self.inventory}"
        name: {self.profile}
        connector: vault
        connector_options: {{url: "{self.openbao.addr}", mount: {self.openbao.mount}, role: any}}
        connector_secrets: {{token: "{self.openbao.token}"}}
        issue_attributes: {{ttl: "{self.ttl}"}}
        policy: {{allowed_names: ["**.test"], renew_before: "{self.renew_before}"}}
"""
        self.playbook(play, "setup")
        self.role_run(self.active, "first deployment")


class PebbleSoak(ShortLivedSoak):
    """Certificates of minutes on a real Pebble (started with ``validity_seconds`` = the
    lifetime, ``own_http=True`` and PEBBLE_AUTHZREUSE=100): see the module docstring."""

    profile = "pebble"
    publishes_crl = False

    def __init__(self, *args: Any, pebble=None, **kwargs: Any) -> None:
        self.pebble = pebble
        super().__init__(*args, **kwargs)
        self.root_path = self.work / "pebble-root.pem"
        self.root_path.write_text(pebble.roots_pem())
        # one web root for every host's http-01 files, served where Pebble validates http-01
        self.webroot = self.work / "acme-webroot"
        self.webroot.mkdir(exist_ok=True)
        self._http: subprocess.Popen | None = None

    def ca_file(self) -> str:
        return str(self.root_path)

    def window(self, cert: x509.Certificate) -> dt.timedelta:
        lifetime = (cert.not_valid_after_utc - cert.not_valid_before_utc).total_seconds()
        self.check(abs(lifetime - self.pebble.validity_seconds) <= 5,
                   f"a certificate of {lifetime:.0f} s, Pebble's certificateValidityPeriod is {self.pebble.validity_seconds}")
        return super().window(cert)

    def revocation_status(self, serial_hex: str) -> str:
        return self.pebble.cert_status(serial_hex).get("Status", "")

    def _write_hosts(self) -> None:
        super()._write_hosts()
        import yaml   # the hosts also get the web root the certificate role answers http-01 in

        inventory = yaml.safe_load(self.hosts_file.read_text())
        for host, host_vars in inventory["all"]["hosts"].items():
            if host in self.webs:
                host_vars["certificate_acme_webroot"] = str(self.webroot)
        self.hosts_file.write_text(json.dumps(inventory, indent=2))

    def setup(self) -> None:
        self._http = subprocess.Popen([sys.executable, "-m", "http.server", str(self.pebble.http_port),
                                       "--bind", "127.0.0.1", "--directory", str(self.webroot)],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self._write_hosts()
        options = {"directory_url": self.pebble.directory_url, "ca_bundle": self.pebble.ca_bundle,
                   "terms_agreed": True, "trust_anchor": str(self.root_path), "poll_timeout": 60}
        play = f"""
- name: An RA profile on Pebble ({self.pebble.validity_seconds} s certificates), due {self.renew_before} before expiry
  hosts: localhost
  gather_facts: false
  tasks:
    - pki.lifecycle.ra_profile:
        inventory: "{self.inventory}"
        name: {self.profile}
        connector: acme
        connector_options: {json.dumps(options)}
        policy: {{allowed_names: ["**.test"], renew_before: "{self.renew_before}"}}
"""
        self.playbook(play, "setup")
        self.role_run(self.active, "first deployment (http-01 validated)")

    def stop(self) -> None:
        if self._http is not None:
            self._http.terminate()
            self._http.wait(timeout=10)
            self._http = None
