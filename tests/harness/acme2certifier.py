"""acme2certifier (PyPI) as a real ACME server: its openssl CA handler behind waitress.

It offers what Debian's Pebble lacks: ARI (``renewalInfo``, RFC 9773) and certificate
profiles (``meta.profiles``, draft-ietf-acme-profiles). Challenge validation is disabled
(``challenge_validation_disable`` + ``ACME2CERTIFIER_I_KNOW_THE_RISK=1``): it validates
http-01 on port 80 and dns-01 through resolvers on port 53 only, neither usable on loopback
here. Everything else (JWS, nonces, accounts, orders, finalize, revocation, ARI, profiles,
keyChange) is the server's own code.

    from harness.acme2certifier import Acme2Certifier
    with Acme2Certifier() as a2c:
        print(a2c.directory_url, a2c.ca_cert_path)

Attributes after start(): directory_url, url, port, ca_cert_path (the issuing CA = trust
anchor), profiles (name -> URL), validity_days, renewal_threshold_pctg, retry_after
(the Retry-After seconds of its renewalInfo answers).

``prevalidated=True`` (a2c's ``[Challenge] sectigo_sim``): authorizations are valid when the
order is made, as at CAs that pre-validate an account's domains; orders finish in one call.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Mapping

from harness.servers import LOCALHOST, Server, ServerStartError, ServerUnavailable, _http, free_port, wait_until, which

PROFILES = ("classic", "shortlived")


class Acme2Certifier(Server):
    name = "acme2certifier"

    def __init__(self, workdir: str | os.PathLike | None = None, *, port: int | None = None,
                 validity_days: int = 7, renewal_threshold_pctg: int = 85, retry_after: int = 86400,
                 prevalidated: bool = False,
                 profiles: tuple[str, ...] = PROFILES, env: Mapping[str, str] | None = None) -> None:
        super().__init__(workdir)
        self.port = port or 0
        self.validity_days = validity_days
        self.renewal_threshold_pctg = renewal_threshold_pctg
        self.retry_after = retry_after
        self.prevalidated = prevalidated
        self.profile_names = tuple(profiles)
        self.extra_env = dict(env or {})
        self.url = self.directory_url = ""
        self.ca_cert_path = ""
        self.profiles: dict[str, str] = {}

    def check_installed(self) -> None:
        if not which("waitress-serve"):
            raise ServerUnavailable("waitress-serve not found: pip install waitress (requirements-dev.txt)")
        try:
            import acme2certifier  # noqa: F401
        except ImportError as exc:
            raise ServerUnavailable(f"acme2certifier not installed: pip install acme2certifier ({exc})") from exc
        if not which("openssl"):
            raise ServerUnavailable("openssl not found: apt-get install -y openssl")

    def _make_ca(self) -> None:
        ca = self.workdir / "ca"
        (ca / "certs").mkdir(parents=True, exist_ok=True)
        key, cert = ca / "ca-key.pem", ca / "ca-cert.pem"
        if not cert.exists():
            out = subprocess.run(
                ["openssl", "req", "-x509", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key),
                 "-out", str(cert), "-days", "3650", "-subj", f"/CN=acme2certifier test CA {self.workdir.name}",
                 "-addext", "basicConstraints=critical,CA:TRUE",
                 "-addext", "keyUsage=critical,keyCertSign,cRLSign",
                 "-addext", "subjectKeyIdentifier=hash"],
                capture_output=True, text=True, check=False)
            if out.returncode != 0:
                raise ServerStartError(f"openssl req for the acme2certifier CA failed: {out.stderr}")
        self.ca_cert_path = str(cert)

    def _config(self) -> Path:
        base = f"http://{LOCALHOST}:{self.port}"
        self.profiles = {name: f"{base}/profiles/{name}" for name in self.profile_names}
        text = f"""[DEFAULT]
debug: False
[Nonce]
nonce_check_disable: False
[CAhandler]
handler_module: acme2certifier.cahandlers.openssl_ca_handler
issuing_ca_key: ca/ca-key.pem
issuing_ca_cert: ca/ca-cert.pem
issuing_ca_crl: ca/crl.pem
cert_validity_days: {self.validity_days}
cert_save_path: ca/certs
ca_cert_chain_list: []
[DBhandler]
handler: wsgi
dbfile: acme_srv.db
[Challenge]
challenge_validation_disable: True
sectigo_sim: {self.prevalidated}
[Order]
profiles: {json.dumps(self.profiles)}
[Renewalinfo]
renewalthreshold_pctg: {self.renewal_threshold_pctg}
retry_after_timeout: {self.retry_after}
"""
        path = self.workdir / "acme_srv.cfg"
        path.write_text(text)
        return path

    def _start(self) -> None:
        self._make_ca()
        if not self.port:
            self.port = free_port()
        config = self._config()
        self.url = f"http://{LOCALHOST}:{self.port}"
        self.directory_url = f"{self.url}/directory"
        env = dict(os.environ)
        env.update({"ACME_SRV_CONFIGFILE": str(config), "ACME2CERTIFIER_I_KNOW_THE_RISK": "1"})
        env.update(self.extra_env)
        proc = self.spawn("waitress", [which("waitress-serve"), f"--listen={LOCALHOST}:{self.port}",
                                       "--threads=4", "acme2certifier.share.acme2certifier_wsgi:application"],
                          env=env, cwd=self.workdir)
        wait_until(lambda: _http("GET", self.directory_url, timeout=3)[0] == 200, timeout=self.start_timeout,
                   what=f"acme2certifier directory {self.directory_url}", procs=[proc])

    def directory(self) -> dict:
        status, body = _http("GET", self.directory_url, timeout=5)
        if status != 200:
            raise RuntimeError(f"GET {self.directory_url}: HTTP {status}")
        return json.loads(body)

    def sql(self, query: str, args: tuple = ()) -> list[tuple]:
        """Read the server's own database (e.g. which profile an order was made with)."""
        import sqlite3
        conn = sqlite3.connect(f"file:{self.workdir / 'acme_srv.db'}?mode=ro", uri=True)
        try:
            return list(conn.execute(query, args))
        finally:
            conn.close()
