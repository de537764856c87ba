"""A shifted clock for every process of a run: libfaketime (Debian ``faketime``) driven by one file.

Why libfaketime and not a clock the code reads from one place: the soak must shift the clock
of processes we do not write — ansible-playbook and its workers, the modules on the hosts,
ssh, openssl, nginx's reload — exactly as a calendar passing would. A Python-level clock would
leave openssl, the CA's signing times and Ansible's own timestamps on the real date.

How the clock reaches every process:
  * controller: ``env()`` gives ansible-playbook ``LD_PRELOAD`` + ``FAKETIME_TIMESTAMP_FILE``;
    every child inherits them (forks, the local modules delegated to localhost, ssh, openssl).
  * hosts behind the harness's sshd: sshd builds each session's environment itself and does NOT
    pass on its own, so the same variables go into sshd_config as ``SetEnv`` (``sshd_config()``):
    the shell sshd starts for each Ansible task and the module's python get them.
  * checks run by the test: ``run()`` / ``env()`` for openssl.
The offset is in one file (``set_days``/``set_offset``); a process reads it when it starts
(and again after FAKETIME_CACHE_DURATION seconds), so moving the calendar is one write, with
no restart of sshd. The monotonic clock is shifted too (libfaketime's default): with
FAKETIME_DONT_FAKE_MONOTONIC=1, Python's time.sleep() in ansible-playbook failed with EINVAL.
nginx itself (started by the harness) keeps the real clock: it only serves files.
"""

from __future__ import annotations

import datetime as _dt
import glob
import os
import subprocess
from pathlib import Path
from typing import Mapping

__all__ = ["FakeClock", "find_libfaketime"]


def find_libfaketime() -> str | None:
    for pattern in ("/usr/lib/*/faketime/libfaketime.so.1", "/usr/lib/faketime/libfaketime.so.1",
                    "/usr/local/lib/faketime/libfaketime.so.1"):
        found = sorted(glob.glob(pattern))
        if found:
            return found[0]
    return None


class FakeClock:
    """A calendar offset from real time, shared through one timestamp file."""

    def __init__(self, directory: str | os.PathLike) -> None:
        self.library = find_libfaketime()
        self.path = Path(directory) / "faketime.rc"
        self.offset = _dt.timedelta(0)
        self.set_offset(_dt.timedelta(0))

    @property
    def available(self) -> bool:
        return self.library is not None

    def set_offset(self, offset: _dt.timedelta) -> None:
        self.offset = offset
        seconds = int(offset.total_seconds())
        # libfaketime's relative form: "+<seconds>" (also "-<seconds>")
        self.path.write_text(("+%d" % seconds if seconds >= 0 else "%d" % seconds) + "\n")

    def set_days(self, days: float) -> None:
        self.set_offset(_dt.timedelta(days=days))

    def now(self) -> _dt.datetime:
        """The simulated time (UTC) as the shifted processes see it."""
        return _dt.datetime.now(_dt.timezone.utc) + self.offset

    def variables(self) -> dict[str, str]:
        if not self.library:
            raise RuntimeError("libfaketime not found: apt-get install -y faketime (scripts/install-servers.sh)")
        return {"LD_PRELOAD": self.library, "FAKETIME_TIMESTAMP_FILE": str(self.path),
                "FAKETIME_CACHE_DURATION": "1"}

    def pinned_variables(self, offset: _dt.timedelta) -> dict[str, str]:
        """libfaketime at a fixed offset, not read from the file: a check of day N keeps running
        at day N while the file already says day N+1 for the runs (see soak.run_days)."""
        if not self.library:
            raise RuntimeError("libfaketime not found: apt-get install -y faketime (scripts/install-servers.sh)")
        return {"LD_PRELOAD": self.library, "FAKETIME": "%+d" % int(offset.total_seconds())}

    def env(self, base: Mapping[str, str] | None = None) -> dict[str, str]:
        out = dict(os.environ if base is None else base)
        out.update(self.variables())
        return out

    def sshd_config(self) -> str:
        """SetEnv lines for sshd_config: every session (every Ansible task on a host) is shifted."""
        return "SetEnv " + " ".join(f"{k}={v}" for k, v in self.variables().items())

    def run(self, argv: list[str], **kwargs) -> subprocess.CompletedProcess:
        kwargs.setdefault("capture_output", True)
        kwargs.setdefault("text", True)
        kwargs.setdefault("timeout", 60)
        check = kwargs.pop("check", False)
        return subprocess.run(argv, env=self.env(kwargs.pop("env", None)), check=check, **kwargs)
