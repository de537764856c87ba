"""A private nginx (Debian nginx-light) serving TLS on 127.0.0.1, for deploy-and-reload tests.

Pure Python (stdlib + openssl CLI), no pytest, like servers.py, whose Server base it reuses.

    from harness.nginx import Nginx
    with Nginx(cert_path=..., key_path=...) as web:   # placeholder self-signed cert if missing
        web.reload_command          # shell command a playbook runs to reload it
        web.served_certificate()    # PEM of what nginx serves now (openssl s_client)
        web.reload_count()          # reloads nginx has done (SIGHUP lines in its error log)
        web.serves(predicate)       # waits until the one remaining worker serves what predicate accepts

nginx runs as ``nginx -c <workdir>/conf/nginx.conf -p <workdir>/ -g 'daemon off;'``, so the
master PID is the one the harness started and stops (SIGQUIT, then by PID like every
server). ``reload()`` / ``reload_command`` is ``nginx -s reload`` with the same -c/-p: it
signals the master from the pid file; a certificate/key mismatch makes it exit 1 and nginx
keeps serving the old certificate (ENVIRONMENT.md section 3).
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Any, Callable

from harness.servers import (LOCALHOST, Server, ServerStartError, ServerUnavailable, free_port,
                             wait_until)

__all__ = ["Nginx", "find_nginx", "served_certificate"]

NGINX_CANDIDATES = ("/usr/sbin/nginx", "/usr/bin/nginx")


def find_nginx() -> str | None:
    for path in NGINX_CANDIDATES:
        if os.access(path, os.X_OK):
            return path
    return shutil.which("nginx")


def served_certificate(port: int, server_name: str = "localhost", host: str = LOCALHOST,
                       timeout: float = 15, env: dict | None = None) -> str:
    """The leaf certificate (PEM) a TLS server presents, as `openssl s_client` sees it."""
    proc = subprocess.run(["openssl", "s_client", "-connect", f"{host}:{port}", "-servername", server_name],
                          input="", capture_output=True, text=True, timeout=timeout, check=False, env=env)
    match = re.search(r"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", proc.stdout, re.S)
    if not match:
        raise AssertionError(f"openssl s_client to {host}:{port} got no certificate (rc={proc.returncode}):\n"
                             f"{proc.stdout[-1500:]}\n{proc.stderr[-1500:]}")
    return match.group(0) + "\n"


class Nginx(Server):
    """nginx on 127.0.0.1:<port> with ssl_certificate/_key at given paths.

    Attributes after start():
      host '127.0.0.1', port, server_name, cert_path, key_path (the files nginx serves; a
      self-signed placeholder is written when they do not exist), conf_path, prefix (workdir),
      error_log, pid_file, nginx (binary), reload_command (str, for a playbook's command/shell).
    Helpers: reload(), served_certificate(), served_fingerprint(), reload_count(), master_pid(),
    workers(), serves().
    """

    name = "nginx"

    def __init__(self, workdir: str | os.PathLike | None = None, *, cert_path: str | os.PathLike | None = None,
                 key_path: str | os.PathLike | None = None, server_name: str = "localhost") -> None:
        super().__init__(workdir)
        self.host = LOCALHOST
        self.port = 0
        self.server_name = server_name
        self.prefix = self.workdir
        self.conf_dir = self.workdir / "conf"
        self.logs_dir = self.workdir / "logs"
        self.conf_path = self.conf_dir / "nginx.conf"
        self.error_log = self.logs_dir / "error.log"
        self.pid_file = self.logs_dir / "nginx.pid"
        self.cert_path = Path(cert_path) if cert_path else self.conf_dir / "cert.pem"
        self.key_path = Path(key_path) if key_path else self.conf_dir / "key.pem"
        self.nginx = find_nginx() or "nginx"

    @property
    def reload_command(self) -> str:
        return " ".join(shlex.quote(a) for a in self._argv("-s", "reload"))

    def _argv(self, *extra: str) -> list[str]:
        return [self.nginx, "-c", str(self.conf_path), "-p", f"{self.prefix}/", *extra]

    def check_installed(self) -> None:
        if not find_nginx():
            raise ServerUnavailable("nginx not found: apt-get install -y nginx-light (scripts/install-servers.sh)")
        if not shutil.which("openssl"):
            raise ServerUnavailable("openssl not found: apt-get install -y openssl")

    def _placeholder(self) -> None:
        """A self-signed certificate so nginx starts before the first deployment."""
        for path in (self.cert_path, self.key_path):
            path.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                        "-nodes", "-keyout", str(self.key_path), "-out", str(self.cert_path), "-days", "2",
                        "-subj", f"/CN=placeholder {self.server_name}"],
                       check=True, capture_output=True, timeout=30)
        self.key_path.chmod(0o600)

    def _start(self) -> None:
        self.conf_dir.mkdir(parents=True, exist_ok=True)
        self.logs_dir.mkdir(parents=True, exist_ok=True)
        if not (self.cert_path.exists() and self.key_path.exists()):
            self._placeholder()
        self.port = free_port()
        temp = self.logs_dir
        # error_log at notice: the master logs every reload ("reconfiguring"), which reload_count() reads.
        self.conf_path.write_text(f"""\
worker_processes 1;
error_log {self.error_log} notice;
pid {self.pid_file};
events {{ worker_connections 64; }}
http {{
  access_log {self.logs_dir}/access.log;
  client_body_temp_path {temp}/tmp_body; proxy_temp_path {temp}/tmp_proxy;
  fastcgi_temp_path {temp}/tmp_fastcgi; uwsgi_temp_path {temp}/tmp_uwsgi; scgi_temp_path {temp}/tmp_scgi;
  server {{
    listen {LOCALHOST}:{self.port} ssl;
    server_name {self.server_name};
    ssl_certificate {self.cert_path};
    ssl_certificate_key {self.key_path};
    location / {{ return 200 "ok\\n"; }}
  }}
}}
""")
        test = subprocess.run(self._argv("-t"), capture_output=True, text=True, timeout=30, check=False)
        if test.returncode != 0:
            raise ServerStartError(f"nginx -t rejected {self.conf_path}: {test.stderr.strip()}")
        proc = self.spawn("nginx", self._argv("-g", "daemon off;"), stop_signal=signal.SIGQUIT)

        def listening() -> bool:
            with socket.create_connection((LOCALHOST, self.port), timeout=2):
                return True

        wait_until(listening, timeout=self.start_timeout, what=f"nginx on {LOCALHOST}:{self.port}", procs=[proc])

    def master_pid(self) -> int:
        return int(self.pid_file.read_text().strip())

    def reload(self, check: bool = True) -> subprocess.CompletedProcess:
        """nginx -s reload (what a playbook's reload does); rc 1 on a bad cert/key pair."""
        proc = subprocess.run(self._argv("-s", "reload"), capture_output=True, text=True, timeout=30, check=False)
        if check and proc.returncode != 0:
            raise AssertionError(f"nginx -s reload failed: {proc.stderr.strip()}")
        return proc

    def reload_count(self) -> int:
        """Reloads the master has started (each SIGHUP logs 'reconfiguring')."""
        try:
            text = self.error_log.read_text(errors="replace")
        except OSError:
            return 0
        return len(re.findall(r"signal 1 \(SIGHUP\) received.*reconfiguring", text))

    def workers(self) -> list[int]:
        """Live (not zombie) worker PIDs of the master."""
        pids = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat", "rb") as fh:
                    fields = fh.read().decode("ascii", "replace").rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.master_pid() and fields[0] != "Z":
                pids.append(int(entry))
        return pids

    def serves(self, accept: Callable[[str], bool], timeout: float = 30) -> str:
        """The served PEM once ``accept`` takes it from the only worker left.

        After a reload the old worker keeps accepting until the master tells it to quit (100 ms
        after the new one starts, later on a loaded machine): a certificate seen once may be
        followed by the old one. Settled means one worker, and it serves an accepted certificate.
        Raises AssertionError with the error log's tail when that does not happen in time.
        """
        deadline = time.monotonic() + timeout
        served = ""
        while True:
            workers = self.workers()
            served = self.served_certificate()
            if len(workers) == 1 and accept(served) and self.workers() == workers:
                return served
            if time.monotonic() > deadline:
                try:
                    log = self.error_log.read_text(errors="replace")[-3000:]
                except OSError as exc:
                    log = f"(no error log: {exc})"
                raise AssertionError(f"nginx on port {self.port} did not settle on an accepted certificate in "
                                     f"{timeout:.0f} s (workers {workers}); it serves:\n{served}\n"
                                     f"error log:\n{log}")
            time.sleep(0.1)

    def served_certificate(self, **kwargs: Any) -> str:
        return served_certificate(self.port, self.server_name, **kwargs)

    def served_fingerprint(self) -> str:
        """SHA-256 fingerprint (hex, lower case, no colons) of the served leaf certificate."""
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes

        cert = x509.load_pem_x509_certificate(self.served_certificate().encode())
        return cert.fingerprint(hashes.SHA256()).hex()
