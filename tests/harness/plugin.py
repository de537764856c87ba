"""pytest plugin: real servers on 127.0.0.1, started lazily once per session.

Fixtures (session scope; a server starts only when a test asks for it, and is stopped by
PID at the end of the session). Each returns the server object from harness/servers.py;
attributes also read as ``obj["name"]``.

  pebble            Pebble + pebble-challtestsrv, real http-01/dns-01/tls-alpn-01 validation.
                    directory_url, ca_bundle, management_url, challtestsrv_url, dns_address,
                    http_port, tls_port, roots_pem(), intermediates_pem(), cert_status(serial),
                    add_http01(token, keyauth), del_http01(token), set_txt(host, value),
                    clear_txt(host), add_a(host, [ip]), clear_a(host)
  pebble_eab        same, a separate Pebble requiring EAB: + eab_kid, eab_hmac_key, eab_keys
  pebble_own_http   same, a separate Pebble where nothing serves http-01: run your own
                    responder on 127.0.0.1:<pebble_own_http.http_port> (Pebble connects there
                    for every http-01 challenge; every name resolves to 127.0.0.1)
  pebble_http_port  int: pebble_own_http.http_port
  pebble_factory    callable(**Pebble kwargs) -> a new started Pebble (eab=, own_http=,
                    validity_seconds=, env=)
  openbao           addr, token, mount, role, roles, ca_pem, acme_directory_url, approle,
                    api(method, path, data), new_secret_id()
  cfssl             url, auth_key, auth_key_name, profiles, ca_pem, ca_cert_path, ca_key_path,
                    db_path, gencrl(), cert_status(serial), revoked_serials(), info()
  softhsm           module, token_label, user_pin, so_pin, env, conf_path, token_dir, slot;
                    os.environ['SOFTHSM2_CONF'] is set for the whole session once it starts
  postgresql        url, dsn, user, password, database, host, port, data_dir,
                    create_database(name), sql(text)
  sshd              host, port, user, private_key, public_key, authorized_keys, ssh_common_args,
                    inventory_for(hosts, host_vars=None, group_vars=None, groups=None),
                    host_vars(), ssh_argv(*cmd), run(*cmd)
  server_factory    callable(ServerClass, **kwargs) -> a new started server (own state)
  run_playbook      (function scope) harness.playbook.run_playbook with tmp_path defaulted
  execution_path    (function scope, parametrized) 'in_process' or 'module': the controller
                    modules' action plugins run lifecycle in Ansible's worker, or (with
                    PKI_LIFECYCLE_FORCE_MODULE=1 in the environment playbooks inherit) the
                    module as a process; `pytestmark = pytest.mark.usefixtures('execution_path')`
                    runs a whole suite on both paths

The require_servers() rule: when a binary/package is missing or a server fails to start,
the test is skipped, or FAILS when PKI_LIFECYCLE_REQUIRE_SERVERS=1 (CI). Startup errors
carry the log file paths and their tails. Tests using any server fixture get the
``server`` marker.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable, NoReturn

import pytest

from harness import servers as S
from harness.playbook import run_playbook as _run_playbook

SERVER_FIXTURES = {"pebble", "pebble_eab", "pebble_own_http", "pebble_http_port", "pebble_factory",
                   "openbao", "cfssl", "softhsm", "postgresql", "sshd", "server_factory"}

_STARTED: list[tuple[str, float]] = []


def require_servers() -> bool:
    """True when a missing or broken server must fail the test (PKI_LIFECYCLE_REQUIRE_SERVERS=1)."""
    return os.environ.get("PKI_LIFECYCLE_REQUIRE_SERVERS", "").strip().lower() in ("1", "true", "yes", "on")


def server_unavailable(reason: str) -> NoReturn:
    """Fail (PKI_LIFECYCLE_REQUIRE_SERVERS=1) or skip with the reason."""
    if require_servers():
        pytest.fail(f"{reason}\n(PKI_LIFECYCLE_REQUIRE_SERVERS=1: a missing server is a failure)",
                    pytrace=False)
    pytest.skip(reason)


def start_server(server: S.Server, label: str | None = None) -> S.Server:
    """Start a server under the require_servers() rule."""
    label = label or server.name
    try:
        server.start()
    except S.ServerUnavailable as exc:
        server_unavailable(f"{label} not available: {exc}")
    except Exception as exc:  # noqa: BLE001 - ServerStartError carries the log tail
        try:
            server.stop()
        except Exception:  # noqa: BLE001
            pass
        server_unavailable(f"{label} failed to start: {exc}")
    _STARTED.append((label, server.startup_seconds or 0.0))
    return server


class _Pool:
    """Servers started in this session, stopped at its end in reverse order."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.servers: list[S.Server] = []

    def start(self, cls: type[S.Server], label: str | None = None, **kwargs: Any) -> S.Server:
        label = label or cls.name
        workdir = self.root / f"{label}-{len(self.servers)}"
        server = cls(workdir, **kwargs)
        self.servers.append(server)
        return start_server(server, label)

    def stop_all(self) -> None:
        while self.servers:
            server = self.servers.pop()
            try:
                server.stop()
            except Exception:  # noqa: BLE001 - keep stopping the others
                pass


@pytest.fixture(scope="session")
def _server_pool(tmp_path_factory: pytest.TempPathFactory):
    pool = _Pool(tmp_path_factory.mktemp("servers"))
    yield pool
    pool.stop_all()


@pytest.fixture(scope="session")
def server_factory(_server_pool: _Pool) -> Callable[..., S.Server]:
    """server_factory(S.OpenBao, key_type='rsa') -> a new started server for this session."""
    def factory(cls: type[S.Server], **kwargs: Any) -> S.Server:
        return _server_pool.start(cls, **kwargs)
    return factory


# ---------------------------------------------------------------------- Pebble

@pytest.fixture(scope="session")
def pebble_factory(_server_pool: _Pool) -> Callable[..., S.Pebble]:
    def factory(**kwargs: Any) -> S.Pebble:
        label = "pebble" + ("-eab" if kwargs.get("eab") else "") + ("-own-http" if kwargs.get("own_http") else "")
        return _server_pool.start(S.Pebble, label, **kwargs)  # type: ignore[return-value]
    return factory


@pytest.fixture(scope="session")
def pebble(pebble_factory) -> S.Pebble:
    return pebble_factory()


@pytest.fixture(scope="session")
def pebble_eab(pebble_factory) -> S.Pebble:
    return pebble_factory(eab=True)


@pytest.fixture(scope="session")
def pebble_own_http(pebble_factory) -> S.Pebble:
    return pebble_factory(own_http=True)


@pytest.fixture(scope="session")
def pebble_http_port(pebble_own_http) -> int:
    return pebble_own_http.http_port


# ------------------------------------------------------------------ the others

@pytest.fixture(scope="session")
def openbao(_server_pool: _Pool) -> S.OpenBao:
    return _server_pool.start(S.OpenBao)  # type: ignore[return-value]


@pytest.fixture(scope="session")
def cfssl(_server_pool: _Pool) -> S.Cfssl:
    return _server_pool.start(S.Cfssl)  # type: ignore[return-value]


@pytest.fixture(scope="session")
def softhsm(_server_pool: _Pool) -> S.SoftHSM:
    hsm: S.SoftHSM = _server_pool.start(S.SoftHSM)  # type: ignore[assignment]
    hsm.activate()  # SOFTHSM2_CONF for this process and every subprocess (ansible-playbook)
    return hsm


@pytest.fixture(scope="session")
def postgresql(_server_pool: _Pool) -> S.PostgreSQL:
    return _server_pool.start(S.PostgreSQL)  # type: ignore[return-value]


@pytest.fixture(scope="session")
def sshd(_server_pool: _Pool) -> S.Sshd:
    return _server_pool.start(S.Sshd)  # type: ignore[return-value]


# ---------------------------------------------------------------- playbooks

@pytest.fixture(params=["in_process", "module"])
def execution_path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "module":
        monkeypatch.setenv("PKI_LIFECYCLE_FORCE_MODULE", "1")
    else:
        monkeypatch.delenv("PKI_LIFECYCLE_FORCE_MODULE", raising=False)
    return request.param


@pytest.fixture
def run_playbook(tmp_path: Path) -> Callable[..., Any]:
    """run_playbook(playbook, **kw) with tmp_path defaulting to the test's tmp_path."""
    def runner(playbook: Any, **kwargs: Any):
        kwargs.setdefault("tmp_path", tmp_path)
        return _run_playbook(playbook, **kwargs)
    return runner


# -------------------------------------------------------------------- hooks

def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if SERVER_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.server)


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:  # noqa: ARG001
    if _STARTED:
        started = ", ".join(f"{name} {secs:.2f}s" for name, secs in _STARTED)
        terminalreporter.write_line(f"harness servers started: {started}")


# -- module-level tests through pytest-ansible (harness/modules.py)

@pytest.fixture
def pki_localhost(ansible_adhoc, monkeypatch, tmp_path) -> Any:
    """Call a module on localhost (local connection, this venv's python) through pytest-ansible."""
    from harness import modules
    modules.install_check_mode(monkeypatch)
    inventory = modules.localhost_inventory(tmp_path / 'pytest-ansible-localhost.ini')
    return modules.ModuleHost(ansible_adhoc, inventory, 'localhost', connection='local')


@pytest.fixture
def pki_ssh_host(ansible_adhoc, monkeypatch, sshd, tmp_path) -> Any:
    """Call a module on a host behind the harness's real sshd (name ``web1.test``) through
    pytest-ansible; the module runs over SSH with this venv's python."""
    from harness import modules
    modules.install_check_mode(monkeypatch)
    inventory = sshd.inventory_for(['web1.test'], path=tmp_path / 'pytest-ansible-ssh.yml')
    return modules.ModuleHost(ansible_adhoc, inventory, 'web1.test', connection='ssh')


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item, nextitem):  # noqa: ARG001
    """Give fds 0-2 back to every later test if a test (or what it ran in this process) closed
    one: a tool started later would get a socket as fd 0-2 (libuv in dig aborts on that:
    `uv__close: Assertion fd > STDERR_FILENO`). The test is named in a warning."""
    yield
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
        except OSError:
            devnull = os.open(os.devnull, os.O_RDWR)
            if devnull != fd:
                os.dup2(devnull, fd)
                os.close(devnull)
            item.warn(pytest.PytestWarning('this test closed fd %d of the pytest process; the harness gave it '
                                           '/dev/null back' % fd))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):  # noqa: ARG001
    """With PKI_LIFECYCLE_REQUIRE_SERVERS=1 (CI) no test may pass by skipping: any skip, from
    the harness or from a test's own ``pytest.skip``/``skipif``, is reported as a failure."""
    outcome = yield
    _forbid_skip(outcome.get_result())


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector):  # noqa: ARG001
    """The same for a whole file skipped while collected (``pytest.skip(allow_module_level=True)``,
    ``pytest.importorskip``): with PKI_LIFECYCLE_REQUIRE_SERVERS=1 it is a collection error."""
    outcome = yield
    _forbid_skip(outcome.get_result())


def _forbid_skip(report):
    if require_servers() and report.skipped and not hasattr(report, 'wasxfail'):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = 'failed'
        report.longrepr = 'skipped, but PKI_LIFECYCLE_REQUIRE_SERVERS=1 forbids skips: %s' % reason
