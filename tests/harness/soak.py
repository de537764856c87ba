"""Time-travel soak: the real playbooks over a simulated calendar, checked every day by other tools.

Used by tests/integration/test_soak.py (``make test``: 30 days; ``make soak``: 400 days, PKI_LIFECYCLE_SOAK_DAYS).

The calendar: one libfaketime offset file (harness/faketime.py) read by every process of a run:
ansible-playbook and its children on the controller (environment), and every session of the
harness's sshd (``SetEnv`` in its config), so the modules on the hosts, ssh, openssl and the
``nginx -s reload`` the playbooks run all see the simulated day.

Each simulated day:
  1. the day's events (deterministic, seeded): a rekey, a rekey revoking the previous
     certificate, a decommission (playbooks/decommission.yml), a new host (certificate role);
  2. the scheduled job exactly as docs/awx.md writes it (``import_playbook:
     pki.lifecycle.renew_due`` + its extra variables);
  3. the checks, with openssl, sqlite3 and s_client — never with the collection's code:
     every deployed certificate verifies with ``openssl verify -crl_check`` against the CRL
     published on its host, is not expired and is outside its renewal window; nginx serves it;
     the CRL's nextUpdate is in the future and it lists exactly the revoked serials; no
     identity has two current certificates; no record is ``requested``; the event log has one
     entry per change; each nginx was reloaded exactly once per run that changed its files.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import random
import re
import subprocess
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from cryptography import x509

from harness.faketime import FakeClock
from harness.nginx import Nginx
from harness.playbook import REPO_ROOT, PlaybookRun

PROFILE = "soak"
CRL_HOST = "crl.test"


def revoked_at_ca(record: dict) -> bool:
    """Revoked while valid: the CA was asked. An expired certificate is retired in the inventory
    only (certificate_revoke does not ask its CA), so no CRL lists it."""
    if record["state"] != "revoked":
        return False
    return (record.get("revoked_at") or "") < (record.get("not_after") or "")   # ISO 8601 Z: text order = time


@dataclass
class Figures:
    days: int = 0
    playbook_runs: int = 0
    renewal_runs: int = 0
    issued: int = 0
    renewed: int = 0
    rekeyed: int = 0
    revoked: int = 0
    decommissioned: int = 0
    commissioned: int = 0
    reloads: int = 0
    crls_signed: int = 0
    rollovers: int = 0
    ca_end_warnings: int = 0
    checks: int = 0
    seconds: float = 0.0
    # where the wall-clock time went (seconds): the renewal runs, the day's events, the checks
    timing: dict = field(default_factory=dict)
    log: list = field(default_factory=list)

    def timed(self, what: str):
        return _Timer(self.timing, what)

    def as_dict(self) -> dict:
        out = {k: v for k, v in vars(self).items() if k != "log"}
        out["timing"] = {k: round(v, 1) for k, v in sorted(self.timing.items())}
        return out


class _Timer:
    def __init__(self, timing: dict, what: str) -> None:
        self.timing, self.what = timing, what

    def __enter__(self) -> None:
        self.t0 = time.monotonic()

    def __exit__(self, *exc: Any) -> None:
        self.timing[self.what] = self.timing.get(self.what, 0.0) + time.monotonic() - self.t0


class SoakFailure(AssertionError):
    pass


def _sha(path: str) -> str | None:
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except FileNotFoundError:
        return None


def _awx_job() -> tuple[str, dict]:
    """The renewal job of docs/awx.md: its import_playbook file and its extra variables."""
    import yaml

    text = (REPO_ROOT / "docs" / "awx.md").read_text()
    blocks = re.findall(r"```yaml\n(.*?)```", text, re.S)
    project = [b for b in blocks if "import_playbook: pki.lifecycle.renew_due" in b]
    extra = [b for b in blocks if b.lstrip().startswith("pki_inventory:")]
    assert len(project) == 1 and len(extra) == 1, "docs/awx.md: the renewal job blocks moved"
    return project[0], yaml.safe_load(extra[0])


class Soak:
    """The hosts, their nginx, the runs and the checks; subclasses bring the CA and the calendar.
    ``run(...)`` raises SoakFailure at the first failed check."""

    profile = PROFILE

    def __init__(self, work: Path, sshd, nginx_factory: Callable[..., Nginx], clock: FakeClock | None,
                 run_playbook: Callable[..., PlaybookRun], *, seed: int = 13, hosts: int = 3,
                 max_hosts: int = 5) -> None:
        self.work = Path(work)
        self.work.mkdir(parents=True, exist_ok=True)
        self.sshd = sshd
        self.nginx_factory = nginx_factory
        self.clock = clock
        self.env = clock.variables() if clock else {}
        if clock:
            self.env["PATH"] = self._ssh_wrappers()
        # an absolute remote tmp: no `echo ~` SSH round trip before each task that needs one (copy)
        self.env["ANSIBLE_REMOTE_TMP"] = str(self.work / "remote-tmp")
        self._run_playbook = run_playbook
        self.rng = random.Random(seed)
        self.max_hosts = max_hosts
        # The checks' clock: None = the calendar file's; an offset = pinned to the day being checked
        # while the file already says the next day (run_days: the runs' clock step overlaps the checks).
        self.pinned: dt.timedelta | None = None
        self.decided_at = self.now()
        self.db = self.work / "inventory.db"
        self.inventory = f"sqlite://{self.db}"
        self.figures = Figures()
        self.active: list[str] = []
        self.gone: list[str] = []
        self.webs: dict[str, Nginx] = {}
        self.next_host = 1
        self.day = 0
        self.events_seen = 0   # the id of the last event checked
        self.deployed_seen: dict[str, tuple] = {}   # host -> file hashes whose key match was checked
        self.served_seen: dict[str, tuple] = {}     # host -> (fullchain hash, reloads) nginx was seen serving
        self.ca_revoked_seen: set[str] = set()      # serials the CA confirmed revoked (CAs without a CRL)
        self.revoked_seen: set[str] = set()
        self.records_seen: set[str] = set()
        project_pb, self.awx_vars = _awx_job()
        self.awx_vars.update(pki_inventory=self.inventory, renewal_ra_profile=self.profile)
        (self.work / "project").mkdir(parents=True, exist_ok=True)
        self.awx_playbook = self.work / "project" / "renew_due.yml"
        self.awx_playbook.write_text(project_pb)
        self.hosts_file = self.work / "hosts.yml"
        self.crl_web_root = self.work / "hosts" / CRL_HOST / "www" / "pki"
        for _unused in range(hosts):
            self._new_host_name()

    def _ssh_wrappers(self) -> str:
        """PATH for the runs: ssh and sftp keep the shifted wall clock but a real monotonic one.
        Moving the calendar a day makes a faked monotonic clock jump a day too, and the SSH
        connection masters Ansible keeps (ControlPersist=60s, timed on the monotonic clock) quit
        at once: every simulated day paid a new SSH handshake per host."""
        import shutil
        import sys

        wrappers = self.work / "bin"
        wrappers.mkdir(exist_ok=True)
        for name in ("ssh", "sftp", "scp"):
            real = shutil.which(name)
            if real:
                (wrappers / name).write_text(f"#!/bin/sh\nFAKETIME_DONT_FAKE_MONOTONIC=1 exec {real} \"$@\"\n")
                (wrappers / name).chmod(0o755)
        return os.pathsep.join([str(wrappers), str(Path(sys.executable).parent), os.environ.get("PATH", "")])

    def now(self) -> dt.datetime:
        if self.pinned is not None:
            return dt.datetime.now(dt.timezone.utc) + self.pinned
        return self.clock.now() if self.clock else dt.datetime.now(dt.timezone.utc)

    # ------------------------------------------------------------------ hosts
    def _new_host_name(self) -> str:
        name = f"h{self.next_host}.test"
        self.next_host += 1
        root = self.work / "hosts" / name
        self.webs[name] = self.nginx_factory(cert_path=str(root / f"{name}.fullchain.crt"),
                                             key_path=str(root / f"{name}.key"), server_name=name)
        self.active.append(name)
        return name

    def root(self, host: str) -> Path:
        return self.work / "hosts" / host

    def _write_hosts(self) -> None:
        host_vars = {}
        for host in self.active + self.gone:
            host_vars[host] = {
                "certificate_deploy_dir": str(self.root(host)),
                "certificate_ra_profile": self.profile,
                "certificate_reload_command": self.webs[host].reload_command,
            }
        # the web server relying parties fetch the CRL from (its web root): no certificate of its own
        host_vars[CRL_HOST] = {"renewal_crl_dir": str(self.crl_web_root)}
        self.sshd.inventory_for(self.active + self.gone + [CRL_HOST], host_vars=host_vars,
                                group_vars={"ansible_pipelining": True}, path=self.hosts_file)

    # ------------------------------------------------------------------ runs
    def playbook(self, playbook: Any, what: str, **kwargs: Any) -> PlaybookRun:
        """One ansible-playbook under the shifted clock; reload accounting around it."""
        kwargs.setdefault("inventory", str(self.hosts_file))
        before = {h: self._files(h) for h in self.active}
        reloads = {h: self.webs[h].reload_count() for h in self.active}
        with self.figures.timed("single playbook runs"):
            run = self._run_playbook(playbook, env=self.env, timeout=900, **kwargs)
        self.figures.playbook_runs += 1
        if run.rc != 0:
            raise SoakFailure(f"{self.when()}: {what} failed\n{run.summary()}")
        self.figures.ca_end_warnings += (run.stdout + run.stderr).count("[WARNING]: The embedded CA")
        self._account(before, reloads, what)
        return run

    def _account(self, before: dict, reloads: dict, what: str) -> None:
        """Each nginx reloaded exactly once if its files changed during the run, else never."""
        for host in self.active:
            if host not in before:
                continue
            changed = self._files(host) != before[host]
            delta = self.webs[host].reload_count() - reloads[host]
            for _unused in range(20):   # the master logs the SIGHUP a moment after `nginx -s reload` returns
                if delta >= (1 if changed else 0):
                    break
                time.sleep(0.1)
                delta = self.webs[host].reload_count() - reloads[host]
            self.check(delta == (1 if changed else 0),
                       f"{what}: {host} files {'changed' if changed else 'unchanged'}, nginx reloaded {delta} time(s)")
            self.figures.reloads += delta

    def _files(self, host: str) -> tuple:
        root = self.root(host)
        return tuple(_sha(str(root / f"{host}{ext}")) for ext in (".crt", ".chain.crt", ".fullchain.crt", ".key"))

    def role_run(self, hosts: list[str], what: str, **extra_vars: Any) -> PlaybookRun:
        play = f"""
- name: Certificates on the hosts
  hosts: all
  gather_facts: false
  module_defaults:
    group/pki.lifecycle.certificates: {{inventory: "{self.inventory}"}}
  roles:
    - role: pki.lifecycle.certificate
"""
        return self.playbook(play, what, limit=",".join(hosts), extra_vars=extra_vars or None)

    # ------------------------------------------------------------------ events
    def schedule(self, days: int) -> dict[int, str]:
        """Which event happens on which day: first occurrences on fixed days (so 30 days see
        each), then random (seeded)."""
        out = {3: "rekey", 5: "revoke", 9: "decommission", 12: "commission"}
        for day in range(13, days + 1):
            r = self.rng.random()
            for limit, kind in ((0.05, "rekey"), (0.09, "revoke"), (0.11, "decommission"), (0.15, "commission")):
                if r < limit:
                    out[day] = kind
                    break
        return {d: k for d, k in out.items() if d <= days}

    def events_for(self, day: int, schedule: dict[int, str]) -> list[tuple[str, str]]:
        """The day's event with its host, picked among the hosts active that day."""
        events = []
        for kind in [schedule[day]] if day in schedule else []:
            if kind == "decommission" and len(self.active) <= 2:
                kind = "commission"
            if kind == "commission" and len(self.active) >= self.max_hosts:
                continue
            host = self.rng.choice(self.active) if kind != "commission" else ""
            events.append((kind, host))
        return events

    def do_event(self, kind: str, host: str) -> None:
        if kind == "rekey":
            self.role_run([host], f"rekey {host}", certificate_rekey=True)
            self.figures.rekeyed += 1
        elif kind == "revoke":
            # a new key, the replaced certificate revoked (superseded), in one role run
            self.role_run([host], f"rekey+revoke {host}", certificate_rekey=True,
                          certificate_rekey_revoke_previous=True)
            self.figures.rekeyed += 1
        elif kind == "decommission":
            self.active.remove(host)
            self.gone.append(host)
            self.playbook(str(REPO_ROOT / "playbooks" / "decommission.yml"), f"decommission {host}",
                          extra_vars={"decommission_hosts": host, "pki_inventory": self.inventory})
            self.webs[host].stop()   # the service goes away with its host
            self.check(not (self.root(host) / f"{host}.crt").exists(), f"decommission left {host}'s files")
            self.figures.decommissioned += 1
        elif kind == "rollover":
            self.rollover()
        elif kind == "commission":
            host = self._new_host_name()
            self._write_hosts()
            self.role_run([host], f"new host {host}")
            self.figures.commissioned += 1
        self.figures.log.append((self.day, kind, host))

    # ------------------------------------------------------------------ checks
    def check(self, ok: bool, message: str) -> None:
        self.figures.checks += 1
        if not ok:
            raise SoakFailure(f"{self.when()}: {message}")

    def records(self) -> list[dict]:
        conn = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True)
        try:
            return [json.loads(r[0]) for r in conn.execute("SELECT data FROM certificates")]
        finally:
            conn.close()

    def events(self, after: int = 0) -> list[dict]:
        """The event log's entries with an id above ``after`` (the log only grows)."""
        conn = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True)
        try:
            return [dict(json.loads(r[1]), id=r[0])
                    for r in conn.execute("SELECT id, data FROM events WHERE id > ? ORDER BY id", (after,))]
        finally:
            conn.close()

    def when(self) -> str:
        return f"day {self.day} ({self.now():%Y-%m-%d %H:%M:%S})"

    def openssl(self, *args: str, input: str | None = None):
        self.figures.timing["openssl calls"] = self.figures.timing.get("openssl calls", 0) + 1
        if self.clock and self.pinned is not None:
            return self.clock.run(["openssl", *args], input=input,
                                  env=dict(os.environ, **self.clock.pinned_variables(self.pinned)))
        if self.clock:
            return self.clock.run(["openssl", *args], input=input)
        return subprocess.run(["openssl", *args], input=input, capture_output=True, text=True, check=False, timeout=60)

    # -- what the CA subclass says
    def ca_file(self) -> str:
        raise NotImplementedError

    def ca_crl(self) -> bytes:
        """The CA's current CRL (PEM), from where the CA keeps or serves it."""
        raise NotImplementedError

    def host_crl(self, host: str) -> Path:
        """The CRL file a relying party on ``host`` checks against."""
        raise NotImplementedError

    def crls(self) -> dict[str, bytes]:
        """RA profile -> its CA's current CRL."""
        return {self.profile: self.ca_crl()}

    def ca_expired(self, profile: str) -> bool:
        return False

    def window(self, cert: x509.Certificate) -> dt.timedelta:
        """How long before notAfter the renewal window opens (the RA profile's renew_before)."""
        return (cert.not_valid_after_utc - cert.not_valid_before_utc) / 3

    def check_day(self) -> None:
        with self.figures.timed("checks: all"):
            self._check_day()

    def _check_day(self) -> None:
        now = self.now()
        records = self.records()
        by_uuid = {r["uuid"]: r for r in records}
        self.check(not [r for r in records if r["state"] == "requested"],
                   f"records left requested: {[r['uuid'] for r in records if r['state'] == 'requested']}")
        self.check(not [r for r in records if r["state"] == "failed"],
                   f"failed records: {[(r['uuid'], r.get('failure_reason')) for r in records if r['state'] == 'failed']}")
        parents = {r.get("renewed_from") for r in records} | {r.get("rekeyed_from") for r in records}
        heads: dict[tuple, list] = {}
        for r in records:
            if r["state"] != "issued" or r["uuid"] in parents:
                continue
            if dt.datetime.strptime(r["not_after"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc) <= now:
                continue
            heads.setdefault((r["ra_profile"], r["subject"], tuple(sorted(r["subject_alt_names"]))), []).append(r)
        for identity, current in heads.items():
            self.check(len(current) == 1, f"identity {identity} has {len(current)} current certificates")
        current_hosts = sorted(r["labels"]["host"] for rs in heads.values() for r in rs)
        self.check(current_hosts == sorted(self.active),
                   f"current certificates for {current_hosts}, active hosts {sorted(self.active)}")

        # the event log: one entry per change since yesterday
        events = self.events(after=self.events_seen)
        new_events = [e for e in events if e.get("certificate_uuid")]
        self.events_seen = max([e["id"] for e in events] + [self.events_seen])
        new_records = {u for u, r in by_uuid.items() if r["state"] in ("issued", "revoked")} - self.records_seen
        newly_revoked = {u for u, r in by_uuid.items() if r["state"] == "revoked"} - self.revoked_seen
        expected = sorted([("issue", u) for u in new_records] + [("revoke", u) for u in newly_revoked])
        got = sorted([("revoke" if e["operation"] == "revoke" else "issue", e["certificate_uuid"]) for e in new_events])
        self.check(got == expected, f"event log: {len(got)} new entries {got} for changes {expected}")
        for u in new_records:
            r = by_uuid[u]
            if r.get("renewed_from"):
                self.figures.renewed += 1
            else:
                self.figures.issued += 1
        self.figures.revoked += len(newly_revoked)
        self.records_seen |= new_records
        self.revoked_seen |= newly_revoked

        ca_pem = self.ca_file()
        if not self.publishes_crl:
            self._check_revocations(records)
            self._check_hosts(now, None, ca_pem)
            return
        # the CRLs: fresh, exactly the revoked serials of each CA
        crls = self.crls()
        signed = 0
        for profile, pem in sorted(crls.items()):
            crl = x509.load_pem_x509_crl(pem)
            if not self.ca_expired(profile):
                self.check(crl.next_update_utc > now, f"{profile}: CRL nextUpdate {crl.next_update_utc} is not after {now}")
            listed = sorted("%x" % e.serial_number for e in crl)
            revoked = sorted(r["serial"].lower().replace(":", "").lstrip("0") for r in records
                             if revoked_at_ca(r) and r["ra_profile"] == profile)
            self.check(listed == revoked, f"{profile}: CRL lists {listed}, the inventory has revoked {revoked}")
            signed += crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number
        self.figures.crls_signed = max(self.figures.crls_signed, signed)
        crl_pem = b"".join(pem for _profile, pem in sorted(crls.items()))
        self._check_hosts(now, crl_pem, ca_pem)

    # A CA without a CRL (Pebble 2.4 has none) says what it revoked through its own API instead.
    publishes_crl = True

    def revocation_status(self, serial_hex: str) -> str:
        """'Valid' or 'Revoked', as the CA itself says (CAs without a CRL)."""
        raise NotImplementedError

    def _check_revocations(self, records: list[dict]) -> None:
        """Every serial the inventory revoked is revoked at the CA (each checked once)."""
        for r in records:
            serial = r["serial"].lower().replace(":", "")
            if revoked_at_ca(r) and serial not in self.ca_revoked_seen:
                status = self.revocation_status(serial)
                self.check(status == "Revoked", f"the inventory revoked {serial}, the CA says {status}")
                self.ca_revoked_seen.add(serial)

    def _check_hosts(self, now: dt.datetime, crl_pem: bytes | None, ca_pem: str) -> None:
        """Every deployed certificate, every day: openssl verify -crl_check against the CRL its
        host fetches (one openssl call for the hosts that send the same chain: the call prints
        one line per file), not expired, outside its renewal window. What only changes with the
        files is checked again when they change: the key matches the certificate (openssl), and
        nginx serves the deployed certificate (s_client; also after any reload, and weekly)."""
        by_chain: dict[tuple, list[str]] = {}
        files: dict[str, tuple] = {}
        for host in self.active:
            root = self.root(host)
            crl_file = ""
            if crl_pem is not None:
                published = self.host_crl(host)
                self.check(published.exists(), f"no CRL published on {host} at {published}")
                self.check(published.read_bytes() == crl_pem, f"the CRL(s) {host} fetches are not the CAs' current ones")
                crl_file = str(published)
            chain = root / f"{host}.chain.crt"   # empty when the CA is the root (no intermediate to send)
            chain_pem = chain.read_bytes() if chain.exists() else b""
            by_chain.setdefault((chain_pem.strip(), crl_file), []).append(host)
            files[host] = self._files(host)

        for (chain_pem, crl_file), hosts in sorted(by_chain.items()):
            untrusted = ["-untrusted", str(self.root(hosts[0]) / f"{hosts[0]}.chain.crt")] if chain_pem else []
            crl_args = ["-crl_check", "-CRLfile", crl_file] if crl_file else []
            certs = [str(self.root(h) / f"{h}.crt") for h in hosts]
            out = self.openssl("verify", *crl_args, "-CAfile", ca_pem, *untrusted, *certs)
            for host, cert_file in zip(hosts, certs):
                self.check(out.returncode == 0 and f"{cert_file}: OK" in out.stdout.splitlines(),
                           f"openssl verify {' '.join(crl_args[:1])} {host}: {out.stdout.strip()} {out.stderr.strip()}")

        for host in self.active:
            root = self.root(host)
            cert_file = root / f"{host}.crt"
            cert = x509.load_pem_x509_certificate(cert_file.read_bytes())
            if crl_pem is None:   # no CRL to check against: the CA's own word on this serial
                status = self.revocation_status(format(cert.serial_number, "x"))
                self.check(status == "Valid", f"{host}'s certificate is {status} at the CA")
            # verify above rejects an expired certificate too; this says which date failed
            self.check(cert.not_valid_after_utc > now, f"{host}'s certificate expired at {cert.not_valid_after_utc}")
            opens = cert.not_valid_after_utc - self.window(cert)
            # judged at the time the run decided, not seconds later when this check runs
            self.check(self.decided_at < opens, f"{host}'s certificate (until {cert.not_valid_after_utc}) is in "
                                                f"its renewal window (open since {opens}) after the run")
            if self.deployed_seen.get(host) != files[host]:
                out = self.openssl("x509", "-noout", "-pubkey", "-in", str(cert_file))
                key = self.openssl("pkey", "-pubout", "-in", str(root / f"{host}.key"))
                self.check(out.stdout == key.stdout and out.stdout, f"{host}'s key does not match its certificate")
                self.deployed_seen[host] = files[host]
            served = (files[host][2], self.webs[host].reload_count())
            if self.served_seen.get(host) != served or self.day % 7 == 0:
                deployed = cert_file.read_text().strip()
                settled = ""
                try:   # the reloaded master hands over to a new worker; the old one quits a moment later
                    with self.figures.timed("checks: nginx serves"):
                        self.webs[host].serves(lambda pem, want=deployed: pem.strip() == want, timeout=10)
                except AssertionError as exc:
                    settled = str(exc)
                self.check(not settled, f"nginx on {host} serves another certificate than the deployed one: {settled}")
                self.served_seen[host] = served

    def renewal_job(self) -> PlaybookRun:
        """The scheduled job exactly as docs/awx.md writes it."""
        self.decided_at = self.now()
        self.figures.renewal_runs += 1
        return self.playbook(str(self.awx_playbook), "the AWX renewal job", extra_vars=self.awx_vars)


class EmbeddedCASoak(Soak):
    """The embedded CA over a simulated calendar: one renewal job per simulated day."""

    def __init__(self, *args: Any, leaf_days: int = 9, crl_days: int = 4, ca_days: int = 3650, **kwargs: Any) -> None:
        self.leaf_days, self.crl_days, self.ca_days = leaf_days, crl_days, ca_days
        super().__init__(*args, **kwargs)
        self.ca_dir = self.work / "ca"
        self.ca_dirs = {self.profile: self.ca_dir}   # every CA the relying parties trust (rollover: two)
        self.warnings: list[str] = []
        self.retired: set[str] = set()   # RA profiles of expired CAs, disabled

    def ca_file(self) -> str:
        bundle = self.work / "trusted-cas.pem"   # what relying parties trust: every CA not expired
        bundle.write_bytes(b"".join((d / "ca.pem").read_bytes() for p, d in sorted(self.ca_dirs.items())
                                    if not self.ca_expired(p)))
        return str(bundle)

    def ca_expired(self, profile: str) -> bool:
        cert = x509.load_pem_x509_certificate((self.ca_dirs[profile] / "ca.pem").read_bytes())
        return cert.not_valid_after_utc <= self.now()

    def crls(self) -> dict[str, bytes]:
        return {p: (d / "crl.pem").read_bytes() for p, d in self.ca_dirs.items()}

    def host_crl(self, host: str) -> Path:
        """What the host's relying parties fetch from the web host: every published CRL, in one file."""
        both = self.work / "fetched-crls.pem"
        both.write_bytes(b"".join((self.crl_web_root / f"{p}.crl").read_bytes()
                                  for p in sorted(self.ca_dirs) if (self.crl_web_root / f"{p}.crl").exists()))
        return both

    def _ca_play(self, profile: str, directory: Path) -> str:
        return f"""
- name: The embedded CA {profile}
  hosts: localhost
  gather_facts: false
  module_defaults:
    group/pki.lifecycle.certificates: {{inventory: "{self.inventory}"}}
  roles:
    - role: pki.lifecycle.local_ca
      local_ca_ra_profile: {profile}
      local_ca_directory: "{directory}"
      local_ca_subject: CN=Soak CA {profile}
      local_ca_validity_days: {self.ca_days}
      local_ca_certificate_validity_days: {self.leaf_days}
      local_ca_crl_validity_days: {self.crl_days}
      local_ca_policy: {{allowed_names: ["**.test"], max_validity_days: {self.leaf_days}}}
"""

    def setup(self) -> None:
        self.clock.set_days(0)
        self._write_hosts()
        self.playbook(self._ca_play(self.profile, self.ca_dir), "setup")
        self.role_run(self.active, "first deployment")

    rollover_days_left = 6   # the CA is rolled over when it has this many days left

    def schedule(self, days: int) -> dict[int, str]:
        out = super().schedule(days)
        step = self.ca_days - self.rollover_days_left
        for day in range(step, days + 1, step):
            out[day] = "rollover"   # the documented procedure (docs/connectors/local.md, "CA rollover")
        return out

    def rollover(self) -> None:
        """docs/connectors/local.md "CA rollover": a new CA (key and certificate) behind a new RA
        profile, trusted beside the old one; every host re-issued on it in one role run; every
        certificate of the old CA still `issued` revoked (superseded), predecessors that renewals
        replaced included; its CRL kept fresh until it expires. (With only the current ones revoked,
        a decommission after the old CA expired failed on the others: see docs/soak.md.)"""
        old = self.profile
        new = f"soak{len(self.ca_dirs) + 1}"
        directory = self.work / f"ca-{new}"
        self.playbook(self._ca_play(new, directory), f"rollover: the new CA {new}")
        self.ca_dirs[new] = directory
        self.profile = new
        self.awx_vars["renewal_ra_profile"] = new   # the job template's extra variable
        self._write_hosts()
        self.role_run(self.active, f"rollover: every host re-issued on {new}")
        self.playbook(f"""
- name: The certificates of the old CA {old} are superseded
  hosts: localhost
  gather_facts: false
  module_defaults:
    group/pki.lifecycle.certificates: {{inventory: "{self.inventory}"}}
  tasks:
    - name: Find them (superseded ones too, as decommission does)
      pki.lifecycle.certificate_info: {{ra_profile: {old}, state: [issued], scope: all}}
      register: old_certs
    - name: Revoke them
      pki.lifecycle.certificate_revoke: {{certificate: "{{{{ item.uuid }}}}", reason: superseded}}
      loop: "{{{{ old_certs.certificates }}}}"
""", f"rollover: the certificates of {old} revoked")
        self.figures.rollovers += 1
        for profile in sorted(self.ca_dirs):
            if profile not in self.retired and self.ca_expired(profile):
                self.retire(profile)

    def retire(self, profile: str) -> None:
        """The last step of the rollover, once the old CA has expired: its RA profile disabled
        (the same options as the local_ca role gave it, enabled: false). The scheduled job then
        leaves its CRL alone: no re-signing or publishing every day for a CA nobody trusts."""
        directory = self.ca_dirs[profile]
        self.playbook(f"""
- name: The expired CA {profile} is retired
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Its RA profile disabled
      pki.lifecycle.ra_profile:
        inventory: "{self.inventory}"
        name: {profile}
        enabled: false
        description: RA profile on the embedded CA
        connector: local
        connector_options:
          directory: "{directory}"
          ca_subject: CN=Soak CA {profile}
          ca_key_type: ec
          ca_validity_days: {self.ca_days}
          validity_days: {self.leaf_days}
          crl_validity_days: {self.crl_days}
          crl_refresh: 50%
        policy: {{allowed_names: ["**.test"], max_validity_days: {self.leaf_days}}}
""", f"rollover: the expired CA {profile} retired")
        self.retired.add(profile)

    # ------------------------------------------------------------------ calendar
    def run(self, days: int, progress: Callable[[str], None] | None = None) -> Figures:
        """Day 0: setup. Every day: its event (its own playbook run), then the renewal job, then
        the checks. Days without an event between two events run in ONE ansible-playbook (the
        job's plays imported once per day), which waits on a FIFO after each day while this
        process checks it and moves the calendar: the same runs, without an ansible-playbook
        start and new SSH connections per day."""
        t0 = time.monotonic()
        schedule = self.schedule(days)
        self.setup()
        day = 0
        while day <= days:
            self.day = day
            self.clock.set_days(day)
            for kind, host in self.events_for(day, schedule):
                self.do_event(kind, host)
            last = day
            while last + 1 <= days and last + 1 not in schedule and last - day < self.batch_days - 1:
                last += 1
            self.run_days(day, last, progress, days)
            day = last + 1
        self.figures.seconds = time.monotonic() - t0
        return self.figures

    batch_days = 60

    def run_days(self, first: int, last: int, progress: Callable[[str], None] | None, total: int) -> None:
        import subprocess as sp

        from harness.playbook import ansible_bin, ansible_env

        sync = self.work / "sync"
        sync.mkdir(exist_ok=True)
        plays = []
        for day in range(first, last + 1):
            fifo = sync / f"day-{day}"
            if not fifo.exists():
                os.mkfifo(fifo)
            plays.append({"ansible.builtin.import_playbook": str(self.awx_playbook)})
            # the file lookup reads the FIFO in ansible-playbook itself: no module process per day
            plays.append({"name": f"Day {day} is checked (the soak writes the FIFO's other end)",
                          "hosts": "localhost", "gather_facts": False, "tasks": [{
                              "name": "Wait for the checks", "ansible.builtin.assert": {
                                  "that": [f"lookup('ansible.builtin.file', '{fifo}') == 'ok'"],
                                  "quiet": True}}]})
        book = sync / f"days-{first}-{last}.yml"
        book.write_text(json.dumps(plays, indent=1))
        extra = sync / "extra_vars.json"
        extra.write_text(json.dumps(self.awx_vars))
        log = open(sync / f"days-{first}-{last}.log", "w")
        argv = [ansible_bin(), str(book), "-i", str(self.hosts_file), "-e", f"@{extra}"]
        proc = sp.Popen(argv, stdout=log, stderr=sp.STDOUT, stdin=sp.DEVNULL, cwd=str(sync),
                        env=ansible_env(None, dict(self.env, ANSIBLE_LOG_PATH=str(sync / "ansible.log"))),
                        start_new_session=True)
        self.figures.playbook_runs += 1
        try:
            for day in range(first, last + 1):
                self.day = day
                before = {h: self._files(h) for h in self.active}
                reloads = {h: self.webs[h].reload_count() for h in self.active}
                self.decided_at = self.now()
                with self.figures.timed("batched renewal runs"):
                    fd = self._open_fifo(sync / f"day-{day}", proc, sync / f"days-{first}-{last}.log")
                try:
                    # The run waits on the FIFO: the calendar moves on now for the next run
                    # (libfaketime in ansible-playbook re-reads the offset after 1 s), while
                    # the checks stay pinned to this day.
                    self.pinned, stepped = self.clock.offset, time.monotonic()
                    if day < last:
                        self.clock.set_days(day + 1)
                    with self.figures.timed("checks: reloads"):
                        self._account(before, reloads, f"the AWX renewal job of day {day}")
                    self.check_day()
                    self.figures.days = day
                    self.figures.renewal_runs += 1
                    if progress and (day % 10 == 0 or day == total):
                        progress(f"day {day}: {json.dumps(self.figures.as_dict())}")
                    self.pinned = None
                    if day < last:   # the next day's run starts when the FIFO is written
                        with self.figures.timed("clock step"):
                            time.sleep(max(0.0, 1.2 - (time.monotonic() - stepped)))
                    os.write(fd, b"ok")
                finally:
                    self.pinned = None
                    os.close(fd)
            rc = proc.wait(timeout=600)
            self.figures.ca_end_warnings += (sync / f"days-{first}-{last}.log").read_text().count(
                "[WARNING]: The embedded CA")
            if rc != 0:
                raise SoakFailure(f"{self.when()}: the renewal runs of days {first}-{last} ended with rc={rc}\n"
                                  + (sync / f"days-{first}-{last}.log").read_text()[-4000:])
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, 9)
                proc.wait()
            log.close()

    def _open_fifo(self, fifo: Path, proc, log: Path) -> int:
        """Open the FIFO for writing once ansible-playbook reads it (= the day's run is done)."""
        while True:
            try:
                return os.open(str(fifo), os.O_WRONLY | os.O_NONBLOCK)
            except OSError as exc:
                if exc.errno != 6:   # ENXIO: no reader yet
                    raise
            if proc.poll() is not None:
                raise SoakFailure(f"{self.when()}: ansible-playbook ended (rc={proc.returncode}) before the day's "
                                  f"checks\n" + log.read_text()[-6000:])
            time.sleep(0.1)
