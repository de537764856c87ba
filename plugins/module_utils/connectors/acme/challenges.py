# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ACME challenges: picking one per authorization, describing it for the user
(``challenge_data``), answering it, and dns-01 without user tasks through RFC 2136."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.pki.lifecycle.plugins.module_utils.connectors.acme.dns_rfc2136 import (
    DEFAULT_PROPAGATION_TIMEOUT, Rfc2136)
from ansible_collections.pki.lifecycle.plugins.module_utils.errors import ConnectorError, InputError

try:
    from acme import messages
except ImportError:
    pass   # io.HAS_ACME tells the connector

CHALLENGE_TYPES = ('http-01', 'dns-01')


class ChallengeMixin(object):

    @staticmethod
    def _challenge_type(value):
        value = value or 'http-01'
        if value not in CHALLENGE_TYPES:
            raise InputError('ACME challenge_type %r is not supported.' % (value,),
                             'Use one of: %s.' % ', '.join(CHALLENGE_TYPES))
        return value

    def _pick(self, authzr, challenge_type):
        for challb in authzr.body.challenges:
            if challb.chall.typ == challenge_type:
                return challb
        offered = sorted(set(c.chall.typ for c in authzr.body.challenges))
        raise ConnectorError('The ACME server offers no %s challenge for %s (offered: %s).'
                             % (challenge_type, authzr.body.identifier.value, ', '.join(offered) or 'none'),
                             'Set challenge_type to one of the offered types (IP addresses allow http-01 only).')

    def _describe(self, authzr, challb):
        jwk = self._account_jwk()
        name = authzr.body.identifier.value
        if challb.chall.typ == 'http-01':
            resource = challb.chall.path.lstrip('/')
        else:
            # A wildcard's authorization names the base domain (RFC 8555 7.1.3): same TXT name.
            resource = challb.chall.validation_domain_name(name)
        return dict(identifier=name, challenge_type=challb.chall.typ, resource=resource,
                    resource_value=challb.chall.validation(jwk))

    def dns_updater(self):
        """The RFC 2136 updater when the profile names a dns_server, else None."""
        server = self.options.get('dns_server')
        if not server:
            return None
        try:
            port = int(self.options.get('dns_port') or 53)
            timeout = float(self.options.get('dns_propagation_timeout') or DEFAULT_PROPAGATION_TIMEOUT)
        except (TypeError, ValueError):
            raise InputError('connector options dns_port / dns_propagation_timeout must be numbers.',
                             'Give e.g. dns_port: 53 and dns_propagation_timeout: 120.')
        return Rfc2136(server, self.options.get('dns_zone'), self.options.get('tsig_key_name'),
                       self.secrets.get('tsig_secret'), algorithm=self.options.get('tsig_algorithm'),
                       port=port, propagation_timeout=timeout)

    def _answer(self, client, authzr, challb, challenge_type):
        if challb.status == messages.STATUS_PENDING:
            self._call('accept the %s challenge for %s' % (challenge_type, authzr.body.identifier.value),
                       client.answer_challenge, challb, challb.chall.response(self._account_jwk()))

    def solve_dns01(self, client, orderr, updater):
        """Publish every pending dns-01 TXT record, wait for the authoritative servers, answer,
        poll; the records are removed afterwards, also when anything failed."""
        todo = []
        records = {}
        for authzr in orderr.authorizations:
            if authzr.body.status != messages.STATUS_PENDING:
                continue
            challb = self._pick(authzr, 'dns-01')
            described = self._describe(authzr, challb)
            todo.append((authzr, challb))
            values = records.setdefault(described['resource'], [])
            if described['resource_value'] not in values:
                values.append(described['resource_value'])
        if not todo:
            return None
        added = {}
        try:
            for fqdn, values in sorted(records.items()):
                updater.add(fqdn, values)
                added[fqdn] = values
            servers = updater.wait_visible(records)
            for authzr, challb in todo:
                self._answer(client, authzr, challb, 'dns-01')
            self._poll_authorizations(client, orderr)
        finally:
            cleanup_errors = []
            for fqdn, values in sorted(added.items()):
                try:
                    updater.delete(fqdn, values)
                except (ConnectorError, InputError) as exc:
                    cleanup_errors.append(exc.message)
            self.dns_cleanup_errors = cleanup_errors
        return dict(dns_records=sorted(records), dns_servers_checked=servers)
