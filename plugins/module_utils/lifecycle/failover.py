# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Failover to a fallback RA profile (``fallback_ra_profile``), the way Apache's mod_md
fails over to a second ACME CA.

When the RA profile's CA is unavailable (unreachable, a server error, a rate limit: the
connector marks such an error ``details.unavailable``), the request goes through the
fallback's CA (and its fallback, in turn). The record stays in the requested RA profile (its
policy, its lineage) and says in ``issued_by`` which RA profile's CA issued it; the next
renewal tries the RA profile's own CA first again. Revocation and finishing a pending order
go to the CA that has the certificate or the order.

Refused when the profile is written: a fallback that does not exist, a loop, or a fallback
whose connector takes other issue or revoke attributes (the request's attributes must mean
the same to both CAs).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.pki.lifecycle.plugins.module_utils import x509 as x509lib
from ansible_collections.pki.lifecycle.plugins.module_utils.connectors.registry import connector_class
from ansible_collections.pki.lifecycle.plugins.module_utils.errors import InputError, PkiError, PolicyError
from ansible_collections.pki.lifecycle.plugins.module_utils.lifecycle.context import make_connector

MAX_CHAIN = 8


def check_fallback(tx, wanted):
    """At profile creation: the fallback chain of ``wanted`` exists, has no loop, and every
    member's connector takes the same issue and revoke attributes."""
    name, fallback = wanted['name'], wanted.get('fallback_ra_profile')
    if not fallback:
        return
    cls = connector_class(wanted['connector'])
    chain, current = [name], fallback
    while current:
        if current in chain:
            raise InputError('fallback_ra_profile makes a loop: %s.' % ' -> '.join(chain + [current]),
                             'Name a fallback whose own fallbacks never lead back to %r.' % name)
        profile = tx.get_ra_profile(current)
        if profile is None:
            known = sorted(p['name'] for p in tx.list_ra_profiles() if p['name'] != name)
            raise InputError('The fallback RA profile %r is not in the inventory.' % current,
                             'Create it first, or use one of: %s.' % (', '.join(known) or 'none defined yet'))
        other = connector_class(profile['connector'])
        for kind, mine, theirs in (('issue', cls.ISSUE_ATTRIBUTES, other.ISSUE_ATTRIBUTES),
                                   ('revoke', cls.REVOKE_ATTRIBUTES, other.REVOKE_ATTRIBUTES)):
            if set(mine) != set(theirs):
                raise InputError('The fallback RA profile %r uses connector %r, whose %s attributes (%s) differ '
                                 'from those of connector %r (%s).'
                                 % (current, other.name, kind, ', '.join(sorted(theirs)) or 'none', cls.name,
                                    ', '.join(sorted(mine)) or 'none'),
                                 'Use a fallback with a connector taking the same attributes (e.g. acme for acme).')
        chain.append(current)
        if len(chain) > MAX_CHAIN:
            raise InputError('The fallback chain of %r is longer than %d profiles.' % (name, MAX_CHAIN),
                             'Shorten it.')
        current = profile.get('fallback_ra_profile')


def issued_by(profile, connector, fallback_from=None, error=None):
    """What the record keeps about the authority that issued (or holds the order)."""
    facts = dict(ra_profile=profile['name'], connector=profile['connector'])
    if fallback_from:
        facts.update(fallback_from=fallback_from, fallback_reason=error)
    return facts


class Authorities(object):
    """The RA profile's connector, then its fallbacks' (made when first needed)."""

    def __init__(self, ctx, profile, connector):
        self.ctx = ctx
        self.profile = profile
        self.connectors = {profile['name']: connector}
        self.profiles = {profile['name']: profile}
        self._anchors = {}

    def _load(self, name):
        if name not in self.profiles:
            with self.ctx.store.transaction(write=False) as tx:
                profile = tx.get_ra_profile(name)
            if profile is None:
                raise InputError('The fallback RA profile %r of %r is not in the inventory.'
                                 % (name, self.profile['name']), 'Create it again, or change fallback_ra_profile.')
            if not profile.get('enabled', True):
                raise PolicyError('The fallback RA profile %r is disabled.' % name, 'Enable it.')
            self.profiles[name] = profile
        if name not in self.connectors:
            self.connectors[name] = make_connector(self.ctx, self.profiles[name])
        return self.profiles[name], self.connectors[name]

    def chain(self):
        """(profile, connector) of the RA profile, then of each fallback, lazily."""
        name, seen = self.profile['name'], set()
        while name and name not in seen and len(seen) < MAX_CHAIN:
            seen.add(name)
            profile, connector = self._load(name)
            yield profile, connector
            name = profile.get('fallback_ra_profile')

    def anchors(self, connector):
        """``connector.trust_anchors()`` parsed, asked for once per task (a due sweep validates
        thousands of certificates against the same few)."""
        key = id(connector)
        if key not in self._anchors:
            self._anchors[key] = (connector, [cert for block in connector.trust_anchors()
                                              for cert in x509lib.load_certificates(block)])
        return list(self._anchors[key][1])

    def for_record(self, record):
        """The (profile, connector) that holds ``record``'s certificate or order."""
        name = ((record or {}).get('connector_data') or {}).get('issued_by', {}).get('ra_profile')
        if not name or name == self.profile['name']:
            return self.profile, self.connectors[self.profile['name']]
        return self._load(name)


def unavailable(exc):
    return isinstance(exc, PkiError) and bool((getattr(exc, 'details', None) or {}).get('unavailable'))


def ask(authorities, call):
    """``call(connector)`` through the RA profile's CA, then through each fallback while the
    CA before was unavailable. Returns (outcome, profile, connector, issued_by facts)."""
    first, failures = None, []
    for profile, connector in authorities.chain():
        try:
            outcome = call(connector)
        except PkiError as exc:
            if not unavailable(exc) or not profile.get('fallback_ra_profile'):
                if failures:
                    exc.message = '%s (after failing over from %s)' % (exc.message, '; '.join(failures))
                raise
            failures.append('%r: %s' % (profile['name'], exc.message))
            first = first or profile['name']
            continue
        return outcome, profile, connector, issued_by(profile, connector, first, '; '.join(failures) or None)
    raise PkiError('No CA of RA profile %r or its fallbacks answered.' % authorities.profile['name'],
                   'Check the CAs.')
