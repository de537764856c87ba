# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The certificate lifecycle: every operation and EVERY idempotency decision.

Modules (and action plugins) call ``run(operation, params, check_mode, diff_mode)`` and
report what it returns. Data flows down: lifecycle -> policy / x509 / keys / connectors /
inventory, never up.

Order of work in every operation that writes:
1. read and validate everything (profile, attributes, key, names, policy) -> nothing written yet;
2. decide (unchanged / would change) inside a write transaction and reserve the work by
   storing a ``requested`` record before any CA is called (crash safety);
3. call the CA, validate what it returned, store the result.
Bad input therefore ends in step 1 and leaves the inventory exactly as it was.

Where things are: context (the call, the store, profiles and connectors), results (what
modules return), request (building the request), records (finding and filling records),
pipeline (steps 2 and 3 for issue, renew and rekey, crash recovery), then one file per
operation: issue, renew (with the due decision), rekey, revoke, info, profiles, report, crl; params
(checks every operation makes on its parameters first) and options (connector and token
profile options against the spec their class declares).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.pki.lifecycle.plugins.module_utils.inventory import migrate as migratelib
from ansible_collections.pki.lifecycle.plugins.module_utils.lifecycle.adopt import op_adopt
from ansible_collections.pki.lifecycle.plugins.module_utils.lifecycle.context import Context
from ansible_collections.pki.lifecycle.plugins.module_utils.lifecycle.crl import op_crl
from ansible_collections.pki.lifecycle.plugins.module_utils.lifecycle.discover import op_discover
from ansible_collections.pki.lifecycle.plugins.module_utils.lifecycle.info import op_info
from ansible_collections.pki.lifecycle.plugins.module_utils.lifecycle.issue import op_issue
from ansible_collections.pki.lifecycle.plugins.module_utils.lifecycle.params import check_params
from ansible_collections.pki.lifecycle.plugins.module_utils.lifecycle.profiles import op_ra_profile, op_token_profile
from ansible_collections.pki.lifecycle.plugins.module_utils.lifecycle.rekey import op_rekey
from ansible_collections.pki.lifecycle.plugins.module_utils.lifecycle.report import op_report
from ansible_collections.pki.lifecycle.plugins.module_utils.lifecycle.renew import op_renew
from ansible_collections.pki.lifecycle.plugins.module_utils.lifecycle.revoke import op_revoke


def _inventory_migrate(ctx):
    # Copies between stores; what is copied and when nothing changes: inventory/migrate.py.
    return migratelib.run(ctx.params, ctx.check_mode)


OPERATIONS = {
    'ra_profile': op_ra_profile,
    'token_profile': op_token_profile,
    'issue': op_issue,
    'renew': op_renew,
    'rekey': op_rekey,
    'revoke': op_revoke,
    'info': op_info,
    'crl': op_crl,
    'inventory_migrate': _inventory_migrate,
    'discover': op_discover,
    'adopt': op_adopt,
    'report': op_report,
}


def run(operation, params, check_mode=False, diff_mode=False):
    """Run one operation of OPERATIONS for one module invocation; returns the result dict."""
    if operation != 'inventory_migrate':
        check_params(params)  # before the store is opened: bad input touches nothing
    ctx = Context(params, check_mode, diff_mode)
    try:
        return OPERATIONS[operation](ctx)
    finally:
        ctx.close()
