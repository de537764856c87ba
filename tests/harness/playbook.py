"""Run real playbooks with ``ansible-playbook`` and read back every task result.

    from harness.playbook import run_playbook, assert_ok

    run = run_playbook('''
    - hosts: localhost
      tasks:
        - name: ping
          ansible.builtin.ping:
    ''', tmp_path=tmp_path)
    assert_ok(run)
    assert run.result("ping")["ping"] == "pong"

The run uses the venv's ``ansible-playbook`` with:
  ANSIBLE_COLLECTIONS_PATH=<repo>/.collections (ansible_collections/pki/lifecycle -> repo,
  the symlink is created if missing), ANSIBLE_CONFIG=<repo>/ansible.cfg (unless ``env``
  overrides it), and the test-only callback ``record_results`` writing one JSON line per
  task result per host to a file (PKI_TEST_RESULTS). The environment of the test process
  is inherited (e.g. SOFTHSM2_CONF set by the softhsm fixture).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

HARNESS_DIR = Path(__file__).resolve().parent
REPO_ROOT = HARNESS_DIR.parent.parent
COLLECTIONS_DIR = REPO_ROOT / ".collections"
CALLBACK_DIR = HARNESS_DIR / "callback_plugins"

__all__ = ["run_playbook", "assert_ok", "PlaybookRun", "ensure_collection_link", "ansible_env",
           "REPO_ROOT", "COLLECTIONS_DIR"]


def ensure_collection_link() -> Path:
    """<repo>/.collections/ansible_collections/pki/lifecycle -> <repo> (created if missing)."""
    link = COLLECTIONS_DIR / "ansible_collections" / "pki" / "lifecycle"
    if not link.exists():
        link.parent.mkdir(parents=True, exist_ok=True)
        if link.is_symlink():  # dangling
            link.unlink()
        try:
            link.symlink_to(REPO_ROOT, target_is_directory=True)
        except FileExistsError:  # another xdist worker made it meanwhile
            pass
    return COLLECTIONS_DIR


def ansible_bin(name: str = "ansible-playbook") -> str:
    candidate = Path(sys.executable).parent / name
    if candidate.exists():
        return str(candidate)
    candidate = Path(sys.prefix) / "bin" / name
    if candidate.exists():
        return str(candidate)
    return name


def ansible_env(results_file: str | os.PathLike | None = None,
                env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment run_playbook gives ansible-playbook."""
    ensure_collection_link()
    out = dict(os.environ)
    out.update({
        "ANSIBLE_COLLECTIONS_PATH": str(COLLECTIONS_DIR),
        "ANSIBLE_CONFIG": str(REPO_ROOT / "ansible.cfg"),
        "ANSIBLE_CALLBACKS_ENABLED": "record_results",
        "ANSIBLE_CALLBACK_PLUGINS": str(CALLBACK_DIR),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_FORCE_COLOR": "0",
        "ANSIBLE_RETRY_FILES_ENABLED": "0",
        "ANSIBLE_HOST_KEY_CHECKING": "0",
        "PYTHONUNBUFFERED": "1",
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), out.get("PATH", "")]),
    })
    if results_file is not None:
        out["PKI_TEST_RESULTS"] = str(results_file)
    if env:
        for k, v in env.items():
            if v is None:
                out.pop(k, None)
            else:
                out[k] = str(v)
    return out


def _tail(text: str, lines: int = 60) -> str:
    return "\n".join(text.splitlines()[-lines:])


@dataclass
class PlaybookRun:
    """What one ansible-playbook run did."""

    rc: int
    stdout: str
    stderr: str
    results: list[dict] = field(default_factory=list)   # records with type 'result', in order
    stats: dict[str, dict] = field(default_factory=dict)  # host -> {ok, changed, failures, unreachable, skipped, rescued, ignored}
    argv: list[str] = field(default_factory=list)
    duration: float = 0.0
    workdir: Path | None = None
    timed_out: bool = False

    # -- lookups
    def task_names(self) -> list[str]:
        seen: list[str] = []
        for r in self.results:
            if r["task"] not in seen:
                seen.append(r["task"])
        return seen

    def records(self, task_name: str | None = None, host: str | None = None, *,
                items: bool | None = None) -> list[dict]:
        """Raw records filtered by task name, host and whether they are loop items."""
        return [r for r in self.results
                if (task_name is None or r["task"] == task_name)
                and (host is None or r["host"] == host)
                and (items is None or r["is_item"] == items)]

    def result(self, task_name: str, host: str = "localhost") -> dict:
        """The result dict of the last result of that task on that host (a loop's aggregate
        result, not its items; use ``item_results`` for those)."""
        recs = self.records(task_name, host, items=False) or self.records(task_name, host)
        if not recs:
            hosts = sorted({r["host"] for r in self.results})
            raise AssertionError(
                f"no result for task {task_name!r} on host {host!r}; tasks recorded: {self.task_names()}; "
                f"hosts: {hosts}; rc={self.rc}\n--- stdout tail\n{_tail(self.stdout)}\n--- stderr tail\n"
                f"{_tail(self.stderr, 20)}")
        return recs[-1]["result"]

    def status(self, task_name: str, host: str = "localhost") -> str:
        self.result(task_name, host)
        recs = self.records(task_name, host, items=False) or self.records(task_name, host)
        return recs[-1]["status"]

    def item_results(self, task_name: str, host: str = "localhost") -> list[dict]:
        return [r["result"] for r in self.records(task_name, host, items=True)]

    def changed_count(self, host: str | None = None) -> int:
        """Tasks reported changed (from the play recap; per host or summed over hosts)."""
        if self.stats:
            if host is not None:
                return int(self.stats.get(host, {}).get("changed", 0))
            return sum(int(s.get("changed", 0)) for s in self.stats.values())
        return len([r for r in self.records(host=host, items=False) if r["status"] == "changed"])

    def failed_results(self) -> list[dict]:
        return [r for r in self.results if r["status"] in ("failed", "unreachable") and not r["ignore_errors"]]

    @property
    def ok(self) -> bool:
        return self.rc == 0

    def summary(self) -> str:
        return (f"ansible-playbook rc={self.rc} in {self.duration:.1f}s{' (TIMED OUT)' if self.timed_out else ''}\n"
                f"argv: {' '.join(self.argv)}\n--- stdout tail\n{_tail(self.stdout)}\n"
                f"--- stderr tail\n{_tail(self.stderr, 30)}")


def assert_ok(run: PlaybookRun) -> PlaybookRun:
    """Raise AssertionError with the output tail unless the run succeeded."""
    if run.rc != 0:
        failed = "; ".join(f"{r['host']}: {r['task']}: {r['result'].get('msg', '')}" for r in run.failed_results())
        raise AssertionError(f"playbook failed: {failed}\n{run.summary()}")
    return run


def _looks_like_path(value: Any) -> bool:
    if isinstance(value, os.PathLike):
        return True
    return isinstance(value, str) and "\n" not in value and len(value) < 4096 and os.path.exists(value)


def _write_inventory(inventory: Any, workdir: Path) -> str:
    if inventory is None:
        path = workdir / "inventory.yml"
        data = {"all": {"hosts": {"localhost": {
            "ansible_connection": "local", "ansible_python_interpreter": sys.executable}}}}
        path.write_text(json.dumps(data, indent=2))
        return str(path)
    if _looks_like_path(inventory):
        return str(inventory)
    if isinstance(inventory, Mapping):
        path = workdir / "inventory.yml"
        path.write_text(json.dumps(inventory, indent=2))
        return str(path)
    if isinstance(inventory, str):
        if "\n" not in inventory and "," in inventory:
            return inventory  # "host1,host2," host list
        text = inventory.lstrip()
        suffix = ".yml" if text.startswith(("all:", "{", "---")) else ".ini"
        path = workdir / f"inventory{suffix}"
        path.write_text(inventory)
        return str(path)
    if isinstance(inventory, Iterable):
        return ",".join(inventory) + ","
    raise TypeError(f"inventory must be a path, text, dict or host list, not {type(inventory).__name__}")


def run_playbook(playbook: str | os.PathLike | list, *, inventory: Any = None,
                 extra_vars: Mapping[str, Any] | None = None, env: Mapping[str, str] | None = None,
                 check: bool = False, diff: bool = False, verbosity: int = 0,
                 tmp_path: str | os.PathLike | None = None, timeout: float = 300,
                 limit: str | None = None, tags: str | None = None,
                 args: Iterable[str] = ()) -> PlaybookRun:
    """Run ansible-playbook and collect results.

    playbook: a path, YAML text, or a list of plays (Python data, written as YAML/JSON).
    inventory: None (localhost, local connection, this interpreter), a path, INI/YAML text,
      a dict (YAML inventory data), or a list of host names.
    extra_vars: passed as ``-e @file.json`` (types preserved).
    env: extra environment (a value None removes a variable).
    tmp_path: where the playbook, inventory, vars and results files go (a fresh temp dir if None).
    """
    workdir = Path(tmp_path) if tmp_path is not None else Path(tempfile.mkdtemp(prefix="pki-playbook-"))
    workdir.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="run-", dir=workdir))  # several runs per test don't collide

    if isinstance(playbook, (list, tuple)):
        pb_path = workdir / "playbook.yml"
        pb_path.write_text(json.dumps(list(playbook), indent=2))
    elif _looks_like_path(playbook):
        pb_path = Path(playbook)
    elif isinstance(playbook, str):
        pb_path = workdir / "playbook.yml"
        pb_path.write_text(playbook)
    else:
        raise TypeError(f"playbook must be a path, YAML text or a list of plays, not {type(playbook).__name__}")

    results_file = workdir / "results.jsonl"
    results_file.write_text("")
    argv = [ansible_bin(), str(pb_path), "-i", _write_inventory(inventory, workdir)]
    if extra_vars:
        ev = workdir / "extra_vars.json"
        ev.write_text(json.dumps(dict(extra_vars), default=str))
        argv += ["-e", f"@{ev}"]
    if check:
        argv.append("--check")
    if diff:
        argv.append("--diff")
    if verbosity:
        argv.append("-" + "v" * int(verbosity))
    if limit:
        argv += ["--limit", limit]
    if tags:
        argv += ["--tags", tags]
    argv += list(args)

    t0 = time.monotonic()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                            text=True, env=ansible_env(results_file, env), cwd=str(workdir),
                            start_new_session=True)
    timed_out = False
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # ansible-playbook and its forks
        except ProcessLookupError:
            pass
        stdout, stderr = proc.communicate()
    duration = time.monotonic() - t0

    results: list[dict] = []
    stats: dict[str, dict] = {}
    for line in results_file.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        rec = json.loads(line)
        if rec.get("type") == "stats":
            stats = rec["stats"]
        else:
            results.append(rec)
    run = PlaybookRun(rc=proc.returncode if not timed_out else -9, stdout=stdout, stderr=stderr,
                      results=results, stats=stats, argv=argv, duration=duration, workdir=workdir,
                      timed_out=timed_out)
    if timed_out:
        raise AssertionError(f"ansible-playbook timed out after {timeout}s\n{run.summary()}")
    return run
