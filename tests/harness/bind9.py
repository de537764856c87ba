"""BIND9 (Debian ``bind9``) as the authoritative primary of a test zone, taking RFC 2136
dynamic updates signed with TSIG; and a Pebble that resolves through it (``-dnsserver``),
so dns-01 is validated against what BIND really serves.

    from harness.bind9 import Bind9, PebbleOnDns
    with Bind9() as bind, PebbleOnDns(dns_server=bind.address) as pebble:
        ...

Bind9(extra_ns={"ns2": "127.0.0.2"}) adds a name server nobody runs (for timeout tests).
Bind9 attributes after start(): host, port, address ("127.0.0.1:PORT"), zone ("example.test"),
tsig_key_name, tsig_algorithm, tsig_secret (base64), dig_txt(name) (asks with dig),
zone_dir. PebbleOnDns: as harness.servers.Pebble (directory_url, ca_bundle, roots_pem(),
cert_status(), ...) without challtestsrv: every lookup goes to ``dns_server``.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import ssl
import subprocess
from typing import Any, Mapping

from harness.servers import (LOCALHOST, Pebble, Server, ServerStartError, ServerUnavailable, free_port, free_ports,
                             make_tls_cert, wait_until, which)

NAMED = "/usr/sbin/named"


class Bind9(Server):
    name = "bind9"
    # named -g can take long to come up on a loaded 2-core CI machine (seen: 30 s before its
    # first log line); a slow start is not a failure of what the tests check.
    start_timeout = 120.0

    def __init__(self, workdir: str | os.PathLike | None = None, *, zone: str = "example.test",
                 tsig_key_name: str = "acme-key", tsig_algorithm: str = "hmac-sha256",
                 hosts: Mapping[str, str] | None = None, extra_ns: Mapping[str, str] | None = None) -> None:
        super().__init__(workdir)
        self.zone = zone
        self.tsig_key_name = tsig_key_name
        self.tsig_algorithm = tsig_algorithm
        self.tsig_secret = base64.b64encode(secrets.token_bytes(32)).decode()
        self.hosts = dict(hosts or {"www": LOCALHOST, "api": LOCALHOST, "@": LOCALHOST})
        # more NS records for the zone (name -> address); nothing answers there unless you run it:
        # a way to make "wait until every authoritative server has the TXT" time out for real.
        self.extra_ns = dict(extra_ns or {})
        self.host, self.port = LOCALHOST, 0
        self.address = ""

    def check_installed(self) -> None:
        if not os.path.exists(NAMED):
            raise ServerUnavailable(f"{NAMED} not found: apt-get install -y bind9 bind9-utils dnsutils "
                                    "(scripts/install-servers.sh)")
        for tool in ("named-checkconf", "dig"):
            if not which(tool):
                raise ServerUnavailable(f"{tool} not found: apt-get install -y bind9-utils dnsutils")

    def _files(self) -> str:
        d = self.workdir
        (d / "tsig.conf").write_text(
            f'key "{self.tsig_key_name}" {{ algorithm {self.tsig_algorithm}; secret "{self.tsig_secret}"; }};\n')
        (d / "tsig.conf").chmod(0o600)
        records = "\n".join(f"{name} IN A {addr}" for name, addr in self.hosts.items())
        records += "".join(f"\n@ IN NS {name}.{self.zone}.\n{name} IN A {addr}" for name, addr in self.extra_ns.items())
        (d / f"{self.zone}.zone").write_text(
            "$TTL 60\n"
            f"@ IN SOA ns1.{self.zone}. hostmaster.{self.zone}. 1 3600 600 86400 60\n"
            f"@ IN NS ns1.{self.zone}.\n"
            f"ns1 IN A {LOCALHOST}\n{records}\n")
        conf = d / "named.conf"
        conf.write_text(f"""include "{d}/tsig.conf";
options {{
    directory "{d}"; pid-file "{d}/named.pid"; session-keyfile "{d}/session.key";
    listen-on port {self.port} {{ 127.0.0.1; }}; listen-on-v6 {{ none; }};
    recursion no; dnssec-validation no; allow-query {{ 127.0.0.1; }};
    notify no;
}};
controls {{ }};
zone "{self.zone}" {{
    type primary; file "{d}/{self.zone}.zone";
    update-policy {{ grant {self.tsig_key_name} zonesub TXT; }};
}};
""")
        return str(conf)

    def _start(self) -> None:
        # CI saw named up ("all zones loaded") yet never answering on its port for 120 s (twice,
        # both times a port in the ephemeral range other processes' DNS clients also use): on
        # silence, start again on another port instead of waiting longer.
        last: Exception | None = None
        for _attempt in range(3):
            self.port = free_port(udp_too=True)
            self.address = f"{LOCALHOST}:{self.port}"
            conf = self._files()
            for check in (["named-checkconf", conf],
                          ["named-checkzone", self.zone, str(self.workdir / f"{self.zone}.zone")]):
                out = subprocess.run([which(check[0])] + check[1:], capture_output=True, text=True, check=False)
                if out.returncode != 0:
                    raise ServerStartError(f"{' '.join(check)}: {out.stdout}{out.stderr}")
            proc = self.spawn("named", [NAMED, "-g", "-4", "-c", conf], cwd=self.workdir)
            try:
                wait_until(lambda: self.dig("SOA", self.zone) != "", timeout=self.start_timeout / 3,
                           what=f"named answering SOA {self.zone} on {self.address}", procs=[proc])
                return
            except ServerStartError as exc:
                last = ServerStartError(f"{exc}\n{self.diagnose(proc.pid)}")
                self._stop_processes()
                self.processes.clear()
        raise last

    def diagnose(self, pid: int) -> str:
        """Why named is silent: dig's own words, named's sockets and state, the port's owners."""
        parts = []
        for argv in ([which("dig"), f"@{LOCALHOST}", "-p", str(self.port), "+norecurse", "+time=2", "+tries=1",
                      "SOA", self.zone],
                     [which("dig"), f"@{LOCALHOST}", "-p", str(self.port), "+tcp", "+norecurse", "+time=2",
                      "+tries=1", "SOA", self.zone],
                     ["ss", "-uanp", f"( sport = :{self.port} )"], ["ss", "-tanp", f"( sport = :{self.port} )"]):
            try:
                out = subprocess.run(argv, capture_output=True, text=True, timeout=15, check=False,
                                     stdin=subprocess.DEVNULL)
                parts.append(f"$ {' '.join(argv)} -> rc {out.returncode}\n{out.stdout[-1500:]}{out.stderr[-800:]}")
            except (OSError, subprocess.TimeoutExpired) as exc:
                parts.append(f"$ {' '.join(argv)} -> {exc!r}")
        try:
            status = open(f"/proc/{pid}/status").read()
            wanted = ("State", "Threads", "SigBlk", "SigIgn", "Cpus_allowed_list")
            parts.append("named status: " + " | ".join(line for line in status.splitlines()
                                                       if line.split(":")[0] in wanted))
            parts.append("named fds: " + str(len(os.listdir(f"/proc/{pid}/fd"))))
            limits = open(f"/proc/{pid}/limits").read().splitlines()
            kept = [line for line in limits if "open files" in line or "processes" in line]
            parts.append("named limits:\n" + "\n".join(kept))
            env = open(f"/proc/{pid}/environ", "rb").read().split(b"\0")
            parts.append("named env keys: " + " ".join(sorted(e.split(b"=", 1)[0].decode() for e in env if e)))
        except OSError as exc:
            parts.append(f"named /proc: {exc!r}")
        parts.append(f"this process: {os.getpid()}, loadavg {os.getloadavg()}")
        return "\n".join(parts)

    def dig(self, rdtype: str, name: str) -> str:
        out = subprocess.run([which("dig"), f"@{LOCALHOST}", "-p", str(self.port), "+short", "+norecurse",
                              "+time=2", "+tries=1", rdtype, name], capture_output=True, text=True, check=False,
                             stdin=subprocess.DEVNULL, timeout=30)
        return out.stdout.strip() if out.returncode == 0 else ""

    def dig_txt(self, name: str) -> list[str]:
        return [line.strip('"') for line in self.dig("TXT", name).splitlines() if line]


class PebbleOnDns(Pebble):
    """Pebble resolving every name through ``dns_server`` (host:port), e.g. a Bind9: dns-01 is
    validated against the real zone. No challtestsrv; http-01 is not served."""

    name = "pebble-dns"

    def __init__(self, workdir: str | os.PathLike | None = None, *, dns_server: str = "",
                 env: Mapping[str, str] | None = None, **kwargs: Any) -> None:
        super().__init__(workdir, env=env, **kwargs)
        self.dns_address = dns_server

    def check_installed(self) -> None:
        if not which("pebble"):
            raise ServerUnavailable("pebble not found: apt-get install -y pebble (scripts/install-servers.sh)")
        if not self.dns_address:
            raise ServerStartError("PebbleOnDns needs dns_server='127.0.0.1:PORT'")

    def _start(self) -> None:
        ca, cert, key = make_tls_cert(self.workdir)
        self.ca_bundle = str(ca)
        self._ssl = ssl.create_default_context(cafile=self.ca_bundle)
        acme_port, mgmt_port, http_port, tls_port = free_ports(4)
        self.http_port, self.tls_port = http_port, tls_port
        self.directory_url = f"https://{LOCALHOST}:{acme_port}/dir"
        self.management_url = f"https://{LOCALHOST}:{mgmt_port}"
        cfg = {"listenAddress": f"{LOCALHOST}:{acme_port}", "managementListenAddress": f"{LOCALHOST}:{mgmt_port}",
               "certificate": str(cert), "privateKey": str(key), "httpPort": http_port, "tlsPort": tls_port,
               "ocspResponderURL": "", "externalAccountBindingRequired": False}
        if self.validity_seconds:
            cfg["certificateValidityPeriod"] = int(self.validity_seconds)
        config_path = self.workdir / "pebble-config.json"
        config_path.write_text(json.dumps({"pebble": cfg}, indent=2))
        env = {k: v for k, v in os.environ.items() if not k.startswith("PEBBLE_")}
        env.update({"PEBBLE_VA_NOSLEEP": "1", "PEBBLE_WFE_NONCEREJECT": "0", "PEBBLE_AUTHZREUSE": "0"})
        env.update(self.extra_env)
        peb = self.spawn("pebble", [which("pebble"), "-config", str(config_path), "-dnsserver", self.dns_address],
                         env=env, cwd=self.workdir)
        wait_until(lambda: self._get(self.directory_url)[0] == 200, timeout=self.start_timeout,
                   what=f"Pebble directory {self.directory_url}", procs=[peb])
        wait_until(lambda: self._get(self.management_url + "/roots/0")[0] == 200,
                   timeout=self.start_timeout, what="Pebble management API", procs=[peb])
