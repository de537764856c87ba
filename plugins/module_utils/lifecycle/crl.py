# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""crl: keep the CRLs the embedded CA signs fresh and published (every scheduled run, or on demand).

The decision (is the CRL past its refresh point?) belongs to the connector that signs it; this
operation picks the RA profiles, asks each connector, and logs one event per CRL signed.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.pki.lifecycle.plugins.module_utils.connectors.registry import connector_class
from ansible_collections.pki.lifecycle.plugins.module_utils.errors import InputError
from ansible_collections.pki.lifecycle.plugins.module_utils.lifecycle.context import load_profile, make_connector


def _signs_crl(profile):
    return bool(getattr(connector_class(profile['connector']), 'SIGNS_CRL', False))


def op_crl(ctx):
    p = ctx.params
    with ctx.store.transaction(write=False) as tx:
        if p.get('ra_profile'):
            profile = load_profile(ctx, tx, p['ra_profile'], 'sign CRLs for')
            if not _signs_crl(profile):
                raise InputError('RA profile %r uses connector %r, whose CA publishes its own CRL.'
                                 % (profile['name'], profile['connector']),
                                 'Name an RA profile on the embedded CA (connector local), or none for all of them.')
            profiles = [profile]
        else:
            profiles = [r for r in tx.list_ra_profiles() if r.get('enabled', True) and _signs_crl(r)]
    crls, signed = [], []
    seen = set()
    for profile in sorted(profiles, key=lambda r: r['name']):
        connector = make_connector(ctx, profile)
        # Two profiles on one CA directory share one CRL: sign it once.
        key = getattr(connector, 'directory', profile['name'])
        facts = connector.crl(refresh=bool(p.get('refresh')) and key not in seen, dry_run=ctx.check_mode)
        seen.add(key)
        item = dict(facts, ra_profile=profile['name'])
        crls.append(item)
        if item.get('signed'):
            signed.append(item)
            if not ctx.check_mode:
                with ctx.store.transaction() as tx:
                    ctx.event(tx, 'crl', 'changed', 'Signed CRL number %s (next update %s) for RA profile %r.'
                              % (item.get('crl_number'), item.get('next_update'), profile['name']),
                              ra_profile=profile['name'])
    if signed:
        verb = 'Would re-sign the' if ctx.check_mode else 'Re-signed the'
        reason = '%s CRL(s) of %s.' % (verb, ', '.join(repr(i['ra_profile']) for i in signed))
    elif crls:
        fresh = ['%s until %s' % (i['ra_profile'], i.get('next_update')) for i in crls]
        reason = 'Every CRL is fresh: %s.' % ', '.join(fresh)
    else:
        reason = 'No RA profile on the embedded CA: no CRL to keep.'
    return dict(changed=bool(signed), crls=crls, reason=reason)
