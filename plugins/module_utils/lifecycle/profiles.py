# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ra_profile and token_profile: create, update or remove a profile record. Both go through
one upsert: unchanged when the stored profile equals the requested one; nothing written in
check mode; options checked against their class's spec and secrets refused in stored options
(lifecycle.options)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

from ansible_collections.pki.lifecycle.plugins.module_utils import policy as policylib
from ansible_collections.pki.lifecycle.plugins.module_utils.connectors.registry import connector_class
from ansible_collections.pki.lifecycle.plugins.module_utils.errors import InputError, PolicyError
from ansible_collections.pki.lifecycle.plugins.module_utils.lifecycle import failover
from ansible_collections.pki.lifecycle.plugins.module_utils.keys.stores import KEY_STORE_TYPES, open_key_store
from ansible_collections.pki.lifecycle.plugins.module_utils.lifecycle.context import check_attributes, make_connector
from ansible_collections.pki.lifecycle.plugins.module_utils.lifecycle.options import check_options, check_secrets
from ansible_collections.pki.lifecycle.plugins.module_utils.lifecycle.results import with_diff
from ansible_collections.pki.lifecycle.plugins.module_utils.vocabulary import iso


def _profile_view(record):
    return dict((k, v) for k, v in (record or {}).items() if k not in ('created_at', 'updated_at'))


def upsert_profile(ctx, kind, noun, build, guard_removal=None):
    """The one create / update / remove of a profile record.

    ``kind``: 'ra_profile' or 'token_profile' (the store's get_/put_/delete_ methods and the
    result key); ``noun``: how messages name it; ``build()``: the wanted record without
    timestamps, validated (it raises on bad input before anything is written);
    ``guard_removal(tx, name)``: raises when the profile may not be removed."""
    p = ctx.params
    name = p['name']
    title = noun[0].upper() + noun[1:]
    ra_profile = name if kind == 'ra_profile' else None
    with ctx.store.transaction(write=False) as tx:
        existing = getattr(tx, 'get_' + kind)(name)
        if p['state'] == 'absent' and existing is not None and guard_removal is not None:
            guard_removal(tx, name)
    before = _profile_view(existing)
    if p['state'] == 'absent':
        if existing is None:
            return {'changed': False, 'reason': '%s %r does not exist.' % (title, name), kind: {}}
        message = 'Removed %s %r.' % (noun, name)
        if not ctx.check_mode:
            with ctx.store.transaction() as tx:
                getattr(tx, 'delete_' + kind)(name)
                ctx.event(tx, kind, 'changed', message, ra_profile=ra_profile)
        return with_diff(ctx, {'changed': True, 'reason': message, kind: {}}, before, {})
    wanted = build()
    if existing is not None and _profile_view(existing) == wanted:
        return with_diff(ctx, {'changed': False, 'reason': '%s %r is as requested.' % (title, name), kind: existing},
                         before, before)
    stamp = iso(ctx.now)
    record = dict(wanted, created_at=(existing or {}).get('created_at') or stamp, updated_at=stamp)
    message = '%s %s %r.' % ('Created' if existing is None else 'Updated', noun, name)
    if not ctx.check_mode:
        with ctx.store.transaction() as tx:
            getattr(tx, 'put_' + kind)(record)
            ctx.event(tx, kind, 'changed', message, ra_profile=ra_profile)
    return with_diff(ctx, {'changed': True, 'reason': message, kind: record}, before, _profile_view(record))


def _ra_profile_in_use(tx, name):
    in_use = list(tx.find_certificates(ra_profile=name, state='issued'))
    if in_use:
        raise PolicyError('RA profile %r still has %d issued certificate(s); removing it would leave them '
                          'unrenewable and unrevocable.' % (name, len(in_use)),
                          'Revoke them first, or disable the profile with enabled: false.')
    users = sorted(p['name'] for p in tx.list_ra_profiles() if p.get('fallback_ra_profile') == name)
    if users:
        raise PolicyError('RA profile %r is the fallback of %s.' % (name, ', '.join(users)),
                          'Remove fallback_ra_profile from them first.')


def op_ra_profile(ctx):
    p = ctx.params
    changes = {}

    def build():
        cls = connector_class(p.get('connector') or 'local')
        where = 'RA profile %r' % p['name']
        options = check_options(cls, p.get('connector_options'), where, 'connector_options', 'connector_secrets')
        check_secrets(cls, p.get('connector_secrets'), where, 'connector_secrets')
        check_attributes(cls, p.get('issue_attributes'), 'issue')
        check_attributes(cls, p.get('revoke_attributes'), 'revoke')
        wanted = dict(
            name=p['name'], enabled=p.get('enabled', True), description=p.get('description') or '',
            connector=cls.name, connector_options=options,
            issue_attributes=dict(p.get('issue_attributes') or {}),
            revoke_attributes=dict(p.get('revoke_attributes') or {}),
            policy=policylib.normalize_policy(p.get('policy')),
        )
        if p.get('fallback_ra_profile'):
            wanted['fallback_ra_profile'] = p['fallback_ra_profile']
            with ctx.store.transaction(write=False) as tx:
                failover.check_fallback(tx, wanted)
        connector = None
        if p.get('validate'):
            connector = make_connector(ctx, wanted)
            if not ctx.check_mode:
                connector.check()
        with ctx.store.transaction(write=False) as tx:
            existing = tx.get_ra_profile(p['name'])
        if existing is not None and existing.get('connector') == wanted['connector'] \
                and existing.get('connector_options') != wanted['connector_options']:
            # The connector may have to act on the change (ACME: a new account_key rolls the
            # account over, RFC 8555 keyChange), before the new options are stored.
            connector = connector or make_connector(ctx, wanted)
            facts = connector.reconfigure(existing.get('connector_options') or {}, check_mode=ctx.check_mode)
            if facts:
                changes.update(facts)
        return wanted
    result = upsert_profile(ctx, 'ra_profile', 'RA profile', build, guard_removal=_ra_profile_in_use)
    if changes:
        result['connector_changes'] = changes
        result['changed'] = True
        result['reason'] = ('%s %s' % (result['reason'], changes.get('message', ''))).strip()
    return result


def op_token_profile(ctx):
    p = ctx.params

    def build():
        token_type = p.get('type') or 'file'
        loader = KEY_STORE_TYPES.get(token_type)
        cls = loader() if loader else None
        if cls is None:
            raise InputError('Unknown token profile type %r.' % token_type,
                             'Use one of: %s.' % ', '.join(KEY_STORE_TYPES))
        where = 'token profile %r' % p['name']
        options = check_options(cls, p.get('options'), where, 'options', 'token_secrets')
        check_secrets(cls, p.get('token_secrets'), where, 'token_secrets')
        if token_type == 'file' and options.get('path'):
            options['path'] = os.path.abspath(os.path.expanduser(options['path']))
        wanted = dict(name=p['name'], type=token_type, options=options)
        if p.get('validate') and not ctx.check_mode:
            open_key_store(wanted, p.get('token_secrets') or {}).check()
        return wanted
    return upsert_profile(ctx, 'token_profile', 'token profile', build)
