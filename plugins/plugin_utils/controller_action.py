# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one action plugin behind every controller module (plugins/action/<module>.py).

When the task's target is the controller (connection ``local``: a play on localhost, or
``delegate_to: localhost``), the arguments are validated with the module's own argument spec
(``module_spec()`` in the module file plus ``common_argument_spec()``, the same two AnsibleModule
uses) and ``lifecycle.run`` is called in Ansible's worker process: no module process, no
AnsiballZ payload, no second interpreter start and import of lifecycle per task. Everything else
runs the module as before (``_execute_module``): another host, ``become``, ``async``, and
``PKI_LIFECYCLE_FORCE_MODULE=1`` in the controller's environment (or the variable
``pki_lifecycle_in_process: false``), which the tests use to run every path twice.

The in-process path keeps the module's semantics: check and diff mode from the task, the
task's ``environment`` applied to the environment fallbacks and to lifecycle (``os.environ`` of
the worker, restored afterwards), the same validation messages, ``PkiError`` -> failed result
with the same ``msg``, ``invocation.module_args``, and ``no_log`` values masked everywhere in the
result exactly as ``AnsibleModule._return_formatted`` masks them.

lifecycle is imported when this file is, which for the linear and free strategies happens in the
``ansible-playbook`` process itself (they load an action's class to read BYPASS_HOST_LOOP): the
worker processes forked per task then find it imported, so a task pays neither the import of
lifecycle nor of cryptography. lifecycle imports cryptography on first use only (a module
process that the inventory alone decides imports none), so this file imports it here, once.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import contextlib
import gc
import json
import os

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.common.parameters import remove_values
from ansible.module_utils.errors import UnsupportedError
from ansible.plugins.action import ActionBase
from ansible.utils.display import Display
from ansible.utils.vars import merge_hash

from ansible_collections.pki.lifecycle.plugins.module_utils.common import module_argument_spec

try:
    from ansible_collections.pki.lifecycle.plugins.module_utils.common import HAS_CRYPTOGRAPHY, preload_cryptography
    from ansible_collections.pki.lifecycle.plugins.module_utils.errors import PkiError
    from ansible_collections.pki.lifecycle.plugins.module_utils import lifecycle
    preload_cryptography()   # here, in the process that forks the workers (see above)
except ImportError:  # the module path reports what is missing, on the interpreter that runs it
    HAS_CRYPTOGRAPHY = False
    lifecycle = None

display = Display()

FORCE_MODULE_ENV = 'PKI_LIFECYCLE_FORCE_MODULE'
IN_PROCESS_VAR = 'pki_lifecycle_in_process'


@contextlib.contextmanager
def task_environment(environment):
    """The task's ``environment:`` in os.environ while the task runs (a module process gets it
    in its environment); the worker's own values come back afterwards."""
    saved = dict((k, os.environ.get(k)) for k in environment)
    try:
        for key, value in environment.items():
            os.environ[key] = str(value)
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def plain(data):
    """Task arguments as a module receives them: plain JSON types (no tagged strings)."""
    return json.loads(json.dumps(data, default=str))


def call_operation(module, args, check_mode, diff_mode, action):
    """Validate ``args`` with ``module``'s argument spec and run its lifecycle operation here:
    (result, no_log values). What ControllerAction does for a task; certificate_deploy calls it
    for the issue and renew steps of one host's certificate."""
    spec = module_argument_spec(module.module_spec())
    params = plain(args)
    validated = ArgumentSpecValidator(**spec).validate(params)
    params.update(validated.validated_parameters)
    if lifecycle is None or not HAS_CRYPTOGRAPHY:
        return dict(failed=True, msg="The controller's Python lacks cryptography (or lifecycle cannot be imported): "
                                     "install the collection's requirements.txt there."), set()
    return _operation_result(module.OPERATION, params, validated, check_mode, diff_mode, action), \
        set(validated._no_log_values)


def _operation_result(operation, params, validated, check_mode, diff_mode, action):
    try:
        error = validated.errors[0]
    except IndexError:
        error = None
    if error is not None:
        # AnsibleModule's words, so both paths fail alike.
        msg = validated.errors.msg
        if isinstance(error, UnsupportedError):
            msg = 'Unsupported parameters for (%s) module: %s' % (action, msg)
        return dict(failed=True, msg=msg)
    try:
        return lifecycle.run(operation, params, check_mode=bool(check_mode), diff_mode=bool(diff_mode))
    except PkiError as exc:
        out = dict(exc.details)
        out.update(failed=True, msg=str(exc))
        return out


def _true(value):
    return str(value).strip().lower() in ('1', 'true', 'yes', 'on')


class ControllerAction(ActionBase):
    """Subclasses set MODULE: the module file (its OPERATION and module_spec())."""

    MODULE = None
    _supports_check_mode = True
    _supports_async = True

    def module_path_reason(self, task_vars):
        """Why this task must run the module (a sentence for -vvv), or None to run it here."""
        if _true(os.environ.get(FORCE_MODULE_ENV, '')):
            return '%s is set' % FORCE_MODULE_ENV
        if IN_PROCESS_VAR in task_vars and not _true(self._templar.template(task_vars[IN_PROCESS_VAR])):
            return '%s is false' % IN_PROCESS_VAR
        if self._task.async_val:
            return 'async is requested'
        if getattr(self._connection, 'transport', None) != 'local':
            return 'the target is not the controller'
        if self._play_context.become:
            return 'become is set (the module runs as the become user)'
        if lifecycle is None or not HAS_CRYPTOGRAPHY:
            return "the controller's Python lacks a required library"
        return None

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super(ControllerAction, self).run(tmp, task_vars)
        del tmp  # tmp no longer has any effect
        reason = self.module_path_reason(task_vars)
        if reason is not None:
            display.vvv('%s: module process (%s)' % (self._task.action, reason), host=self._play_context.remote_addr)
            return self._run_module(result, task_vars)
        display.vvv("%s: in the controller's worker, no module process" % self._task.action,
                    host=self._play_context.remote_addr)
        return merge_hash(result, self.run_in_process())

    def _run_module(self, result, task_vars):
        # What ansible.builtin.normal does for a module without an action plugin.
        wrap_async = self._task.async_val and not self._connection.has_native_async
        result = merge_hash(result, self._execute_module(task_vars=task_vars, wrap_async=wrap_async))
        if not wrap_async:
            self._remove_tmp_path(self._connection._shell.tmpdir)
        return result

    def run_in_process(self):
        # The worker is a fork of ansible-playbook and inherits its whole heap; without this,
        # every full garbage collection during a large operation (a due sweep allocates a lot)
        # walks, and copies on write, all of those objects again. This worker runs one task.
        gc.freeze()
        environment = {}
        self._compute_environment_string(environment)
        with task_environment(environment):
            spec = module_argument_spec(self.MODULE.module_spec())
            params = plain(self._task.args)
            validated = ArgumentSpecValidator(**spec).validate(params)
            params.update(validated.validated_parameters)
            out = self._call(params, validated)
        return self._formatted(out, params, validated)

    def _call(self, params, validated):
        return _operation_result(self.MODULE.OPERATION, params, validated, self._task.check_mode, self._task.diff,
                                 self._task.action)

    @staticmethod
    def _formatted(out, params, validated):
        """AnsibleModule._return_formatted: invocation, warnings, deprecations, no_log masking."""
        out.setdefault('invocation', dict(module_args=params))
        warnings = ['Both option {option} and its alias {alias} are set.'.format(**w) for w in validated._warnings]
        if warnings:
            out['warnings'] = list(out.get('warnings') or []) + warnings
        if validated._deprecations:
            out['deprecations'] = list(out.get('deprecations') or []) + [
                dict((k, d.get(k)) for k in ('msg', 'version', 'date', 'collection_name') if d.get(k) is not None)
                for d in validated._deprecations]
        if validated._no_log_values:  # with none, remove_values would only copy (a due sweep: MBs)
            preserved = dict((k, v) for k, v in out.items() if v is None or isinstance(v, bool))
            out = remove_values(out, validated._no_log_values)
            out.update(preserved)
        return out
