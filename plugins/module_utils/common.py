# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one module wrapper every pki.lifecycle module uses.

A module is an argument spec plus ``PkiModule(...).run('operation')``. Options shared by
every module are defined once in ``common_argument_spec()`` (documented by the
``pki.lifecycle.inventory`` and ``pki.lifecycle.secrets`` doc fragments). Errors from any layer
(``PkiError``) and from third-party libraries become one clear ``fail_json`` here.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible.module_utils.basic import AnsibleModule, env_fallback, missing_required_lib

from ansible_collections.pki.lifecycle.plugins.module_utils.errors import PkiError
# Whether cryptography is installed (x509/base.py, without importing it: module_utils imports it
# on first use).
from ansible_collections.pki.lifecycle.plugins.module_utils.x509.base import (
    CRYPTOGRAPHY_IMPORT_ERROR, HAS_CRYPTOGRAPHY, import_cryptography,
)


def preload_cryptography():
    """For the controller's action plugins, loaded in the ansible-playbook process: import
    cryptography there, once, so that the worker forked for each task finds it loaded."""
    if HAS_CRYPTOGRAPHY:
        import_cryptography()


def common_argument_spec():
    """Options every module takes: where the inventory is, and secrets (never stored)."""
    return dict(
        inventory=dict(type='str', fallback=(env_fallback, ['PKI_LIFECYCLE_INVENTORY'])),
        inventory_password=dict(type='str', no_log=True,
                                fallback=(env_fallback, ['PKI_LIFECYCLE_INVENTORY_PASSWORD', 'PGPASSWORD'])),
        connector_secrets=dict(type='dict', no_log=True, default={}),
        token_secrets=dict(type='dict', no_log=True, default={}),
    )


def module_argument_spec(spec):
    """A module's ``module_spec()`` with the common options added: exactly what AnsibleModule
    validates on the module path and the action plugin validates in the controller's worker."""
    argument_spec = common_argument_spec()
    argument_spec.update(spec['argument_spec'])
    return dict(spec, argument_spec=argument_spec)


class PkiModule(object):
    """Wraps AnsibleModule: builds the argspec, runs one lifecycle operation, reports."""

    def __init__(self, argument_spec, **kwargs):
        kwargs['argument_spec'] = argument_spec
        kwargs = module_argument_spec(kwargs)
        kwargs.setdefault('supports_check_mode', True)
        self.module = AnsibleModule(**kwargs)

    def run(self, operation):
        if not HAS_CRYPTOGRAPHY:
            self.module.fail_json(msg=missing_required_lib('cryptography'),
                                  exception=CRYPTOGRAPHY_IMPORT_ERROR)
        # Imported here so that a missing library above is reported before anything else.
        from ansible_collections.pki.lifecycle.plugins.module_utils import lifecycle
        try:
            result = lifecycle.run(operation, self.module.params,
                                   check_mode=self.module.check_mode,
                                   diff_mode=self.module._diff)
        except PkiError as exc:
            details = dict(exc.details)
            self.module.fail_json(msg=str(exc), **details)
        except ImportError as exc:
            # cryptography is imported on first use: installed (HAS_CRYPTOGRAPHY) but broken.
            if not (exc.name or '').startswith('cryptography') and 'cryptography' not in str(exc):
                raise
            import traceback
            self.module.fail_json(msg=missing_required_lib('cryptography'), exception=traceback.format_exc())
        self.module.exit_json(**result)
