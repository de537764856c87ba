# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What one call works with: the parameters and modes, the store (opened once), the RA
profile, its connector (with secrets) and its attributes, and token profiles."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import getpass
import os
import socket

from ansible_collections.pki.lifecycle.plugins.module_utils.connectors.registry import connector_class
from ansible_collections.pki.lifecycle.plugins.module_utils.errors import InputError, PolicyError
from ansible_collections.pki.lifecycle.plugins.module_utils.inventory.stores import describe, open_store
from ansible_collections.pki.lifecycle.plugins.module_utils.keys.stores import open_key_store
from ansible_collections.pki.lifecycle.plugins.module_utils.vocabulary import iso, secrets_with_fallbacks, utcnow


def who():
    """user@host:pid, stored as ``requested_by`` so that others can tell whether we live."""
    try:
        user = getpass.getuser()
    except Exception:  # pylint: disable=broad-except
        user = str(os.getuid())
    return '%s@%s:%d' % (user, socket.gethostname(), os.getpid())


class Context(object):
    """One module invocation: parameters, modes, the store (opened once)."""

    def __init__(self, params, check_mode, diff_mode):
        self.params = params
        self.check_mode = check_mode
        self.diff_mode = diff_mode
        self.now = utcnow()
        self.who = who()
        self._store = None
        self._inherited_store = None

    @property
    def store(self):
        if self._store is None:
            self._store = open_store(self.params.get('inventory'), password=self.params.get('inventory_password'))
            self._store.set_writer(self.who)  # lets other controllers see this writer is alive
        return self._store

    @property
    def inventory_dir(self):
        path = getattr(self.store, 'path', None)
        if path:
            return os.path.dirname(os.path.abspath(path))
        base = os.environ.get('XDG_DATA_HOME') or os.path.expanduser('~/.local/share')
        return os.path.join(base, 'pki.lifecycle')

    def event(self, tx, operation, result, message, record=None, ra_profile=None, stamp=None):
        """Log an event; ``stamp``: its time when the caller has it (iso), else now."""
        tx.add_event(dict(
            time=stamp or iso(utcnow()), operation=operation, result=result, message=message,
            certificate_uuid=record['uuid'] if record else None,
            ra_profile=ra_profile or (record['ra_profile'] if record else None),
            who=self.who,
        ))

    def reopen_store(self):
        """In a forked child (lifecycle/processes.py): a connection of its own from now on. The
        parent's stays referenced and unused: closing it here could end the parent's session."""
        self._inherited_store, self._store = self._store, None

    def close(self):
        if self._store is not None:
            self._store.close()


def load_profile(ctx, tx, name, for_what='issue'):
    profile = tx.get_ra_profile(name)
    if profile is None:
        known = [p['name'] for p in tx.list_ra_profiles()]
        raise InputError('RA profile %r is not in the inventory %s.' % (name, describe(ctx.params.get('inventory'))),
                         'Create it with pki.lifecycle.ra_profile, or use one of: %s.'
                         % (', '.join(sorted(known)) or 'none defined yet'))
    if not profile.get('enabled', True):
        raise PolicyError('RA profile %r is disabled, so it cannot %s certificates.' % (name, for_what),
                          'Enable it with pki.lifecycle.ra_profile (enabled: true) or use another profile.')
    return profile


def token_store(ctx, tx, name, secrets=None):
    """The key store of token profile ``name``; ``secrets`` default to the task's token_secrets."""
    record = tx.get_token_profile(name)
    if record is None:
        known = [p['name'] for p in tx.list_token_profiles()]
        raise InputError('Token profile %r is not in the inventory.' % name,
                         'Create it with pki.lifecycle.token_profile, or use one of: %s.'
                         % (', '.join(sorted(known)) or 'none defined yet'))
    return open_key_store(record, (ctx.params.get('token_secrets') or {}) if secrets is None else secrets)


def connector_secrets(cls, given):
    """Module-given secrets over environment fallbacks; unknown names refused."""
    given = dict((k, v) for k, v in (given or {}).items() if v not in (None, ''))
    unknown = sorted(set(given) - set(cls.SECRETS))
    if unknown:
        raise InputError('Unknown connector secret(s) %s for connector %r.' % (', '.join(unknown), cls.name),
                         'Valid secrets are: %s.' % (', '.join(sorted(cls.SECRETS)) or 'none'))
    return secrets_with_fallbacks(given, cls.SECRET_ENV)


def make_connector(ctx, profile):
    cls = connector_class(profile['connector'])
    secrets = connector_secrets(cls, ctx.params.get('connector_secrets'))
    context = dict(inventory_dir=ctx.inventory_dir, check_mode=ctx.check_mode)
    ca_token = (profile.get('connector_options') or {}).get('ca_token_profile')
    if ca_token:
        # The CA key is in a token profile; a connector never reads the inventory, so the store
        # is resolved here (its PIN: connector_secrets.ca_pin, else token_secrets).
        token_secrets = dict(ctx.params.get('token_secrets') or {})
        if secrets.get('ca_pin'):
            token_secrets['pin'] = secrets['ca_pin']
        with ctx.store.transaction(write=False) as tx:
            context['ca_key_store'] = token_store(ctx, tx, ca_token, token_secrets)
    return cls(profile['name'], profile.get('connector_options') or {}, secrets,
               policy=profile.get('policy') or {}, context=context)


def cached_connector(ctx, connectors, profile):
    """One connector per RA profile for the whole task (``connectors``: name -> connector)."""
    if profile['name'] not in connectors:
        connectors[profile['name']] = make_connector(ctx, profile)
    return connectors[profile['name']]


def check_attributes(cls, attributes, kind):
    accepted = cls.ISSUE_ATTRIBUTES if kind == 'issue' else cls.REVOKE_ATTRIBUTES
    unknown = sorted(set(attributes or {}) - set(accepted))
    if unknown:
        raise InputError('Unknown %s attribute(s) %s for connector %r.' % (kind, ', '.join(unknown), cls.name),
                         'Valid %s attributes are: %s.' % (kind, ', '.join(sorted(accepted)) or 'none'))


def merged_attributes(profile, given, kind='issue'):
    """The RA profile's issue (or revoke) attributes, overridden by the task's; checked."""
    attributes = dict(profile.get('%s_attributes' % kind) or {})
    attributes.update(dict((k, v) for k, v in (given or {}).items() if v is not None))
    if attributes:  # none to check: the connector's module is not imported for nothing
        check_attributes(connector_class(profile['connector']), attributes, kind)
    return attributes
