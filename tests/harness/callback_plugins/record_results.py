# Test-only callback: one JSON line per task result per host, for tests/harness/playbook.py.
from __future__ import annotations

DOCUMENTATION = """
    name: record_results
    type: aggregate
    short_description: write every task result as a JSON line (pki.lifecycle test harness)
    description:
      - Appends one JSON object per task result per host (loop items too) and the play
        recap to the file named by the environment variable C(PKI_TEST_RESULTS).
      - "Result lines have keys type (result), play, task, action, host, status (ok, changed,
        failed, skipped, unreachable), is_item, item, ignore_errors and result (the result dict)."
      - "The last line has type stats and stats, the play recap per host (ok, changed, failures, ...)."
    requirements:
      - enable in ANSIBLE_CALLBACKS_ENABLED and set PKI_TEST_RESULTS
"""

import json
import os

from ansible.plugins.callback import CallbackBase

try:
    from ansible.module_utils.common.json import AnsibleJSONEncoder
except ImportError:  # pragma: no cover - older ansible-core
    AnsibleJSONEncoder = json.JSONEncoder


def _dumps(obj):
    # The C encoder first (tagged strings are str): AnsibleJSONEncoder encodes in Python, which
    # costs a due sweep's 10,000-entry result half a second. It takes what the C one refuses.
    try:
        return json.dumps(obj, sort_keys=False)
    except (TypeError, ValueError):
        pass
    try:
        return json.dumps(obj, cls=AnsibleJSONEncoder, sort_keys=False)
    except (TypeError, ValueError):
        return json.dumps(obj, default=repr, sort_keys=False)


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "record_results"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._path = os.environ.get("PKI_TEST_RESULTS")
        self._play = None

    # -- writing
    def _write(self, record):
        if not self._path:
            return
        with open(self._path, "a", encoding="utf-8") as fh:
            fh.write(_dumps(record) + "\n")

    @staticmethod
    def _data(result):
        data = getattr(result, "result", None)
        if data is None:
            data = result._result
        return dict(data)

    def _record(self, result, status, *, is_item=False, ignore_errors=False):
        task = getattr(result, "task", None) or result._task
        host = getattr(result, "host", None) or result._host
        data = self._data(result)
        if status == "ok" and data.get("changed"):
            status = "changed"
        rec = {
            "type": "result",
            "play": self._play,
            "task": task.get_name().strip(),
            "action": task.action,
            "host": host.get_name(),
            "status": status,
            "is_item": is_item,
            "ignore_errors": bool(ignore_errors),
            "result": data,
        }
        if is_item:
            loop_var = data.get("ansible_loop_var", "item")
            rec["item"] = data.get(loop_var)
        self._write(rec)

    # -- events
    def v2_playbook_on_play_start(self, play):
        self._play = play.get_name().strip()

    def v2_runner_on_ok(self, result):
        self._record(result, "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result, "failed", ignore_errors=ignore_errors)

    def v2_runner_on_skipped(self, result):
        self._record(result, "skipped")

    def v2_runner_on_unreachable(self, result):
        self._record(result, "unreachable")

    def v2_runner_item_on_ok(self, result):
        self._record(result, "ok", is_item=True)

    def v2_runner_item_on_failed(self, result):
        self._record(result, "failed", is_item=True)

    def v2_runner_item_on_skipped(self, result):
        self._record(result, "skipped", is_item=True)

    def v2_playbook_on_stats(self, stats):
        recap = {}
        for host in sorted(stats.processed.keys()):
            recap[host] = stats.summarize(host)
        self._write({"type": "stats", "stats": recap})
