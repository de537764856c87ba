"""One module call at a time through pytest-ansible, on localhost or on an SSH test host.

    def test_x(pki_localhost):
        result = pki_localhost('pki.lifecycle.ra_profile', name='web', inventory=...)
        assert result['changed']

pytest-ansible's host manager runs the module in-process through ansible's TaskQueueManager
(no ansible-playbook subprocess, no output parsing): the result is the module's own return
dict (with ``failed`` set when it failed). Roles and playbooks keep running through
``ansible-playbook`` (harness/playbook.py), as users run them.

Check mode: pytest-ansible 25+ has no ``--check`` any more (its ad-hoc play is built without
``check_mode``), so ``check=True`` sets ``check_mode`` on the one task of that play.
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from harness.playbook import ensure_collection_link


class ModuleHost:
    """Calls modules on ``host`` (a name in ``inventory``) with pytest-ansible's ansible_adhoc."""

    def __init__(self, ansible_adhoc, inventory: Path, host: str, connection: str | None = None):
        self._adhoc = ansible_adhoc
        self.inventory = inventory
        self.host = host
        self.connection = connection
        self.calls: list[tuple[str, dict]] = []

    def __call__(self, module: str, *, check: bool = False, **args: Any) -> dict:
        manager = self._adhoc(inventory=str(self.inventory), host_pattern=self.host,
                              connection=self.connection, pki_check_mode=check)
        dispatcher = manager[self.host]
        run = getattr(dispatcher, module)  # resolves the FQCN through ansible's module loader
        self.calls.append((module, dict(args, _check=check)))
        contacted = run(**args).contacted
        assert self.host in contacted, 'no result from %s: %r' % (self.host, contacted)
        return dict(contacted[self.host])


def _check_mode_aware_play(original):
    def build(self, complex_args):
        play = original(self, complex_args)
        if self.options.get('pki_check_mode'):
            play['tasks'][0]['check_mode'] = True
        return play
    return build


def install_check_mode(monkeypatch) -> None:
    from pytest_ansible.module_dispatcher.v213 import ModuleDispatcherV213
    original = ModuleDispatcherV213._build_play_ds
    if getattr(original, '__name__', '') != 'build':
        monkeypatch.setattr(ModuleDispatcherV213, '_build_play_ds', _check_mode_aware_play(original))


def localhost_inventory(path: Path) -> Path:
    """localhost, run with this venv's python (the collection's requirements live there)."""
    ensure_collection_link()
    path.write_text('localhost ansible_connection=local ansible_python_interpreter=%s\n' % sys.executable)
    return path
