# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bench 3's floor (bench_renewal.py): the result of ``certificate_renew: {due: true, fields:
[uuid]}`` for ``count`` certificates, made without any work. What ansible-playbook costs for
such a task and its result (startup, the worker, result handling, callbacks) is then the
whole run."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import uuid

from ansible.plugins.action import ActionBase


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        count = int(self._task.args['count'])
        entries = [{'certificate': {'uuid': str(uuid.uuid4())}, 'renewed_from': str(uuid.uuid4()), 'changed': True,
                    'reason': 'Renewed serial %032x as serial %032x (due since 2026-12-01T00:00:00Z).' % (i, i + count)}
                   for i in range(count)]
        result.update(changed=True, renewed=count, certificates=entries, errors=[],
                      reason='Renewed %d due certificate(s).' % count)
        return result
