# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""dns-01 TXT records by RFC 2136 dynamic update, signed with TSIG (RFC 8945), to the zone's
primary; then waiting until every authoritative server of the zone answers them.

dnspython is needed only when an RA profile sets ``dns_server``; its import is guarded."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import time
import traceback

try:
    import dns.exception
    import dns.flags
    import dns.message
    import dns.name
    import dns.query
    import dns.rcode
    import dns.rdatatype
    import dns.tsig
    import dns.tsigkeyring
    import dns.update
    HAS_DNSPYTHON = True
    DNSPYTHON_IMPORT_ERROR = None
except ImportError:
    HAS_DNSPYTHON = False
    DNSPYTHON_IMPORT_ERROR = traceback.format_exc()

from ansible_collections.pki.lifecycle.plugins.module_utils.errors import ConnectorError, InputError

TSIG_ALGORITHMS = ('hmac-sha256', 'hmac-sha384', 'hmac-sha512', 'hmac-sha224', 'hmac-sha1', 'hmac-md5')
DEFAULT_TTL = 60
DEFAULT_PROPAGATION_TIMEOUT = 120


class Rfc2136(object):
    """One zone on one primary: add/delete TXT records, wait for them on the authoritative servers."""

    def __init__(self, server, zone, key_name, secret, algorithm='hmac-sha256', port=53, ttl=DEFAULT_TTL,
                 timeout=10, propagation_timeout=DEFAULT_PROPAGATION_TIMEOUT):
        if not HAS_DNSPYTHON:
            raise ConnectorError('dns-01 by RFC 2136 needs the Python library dnspython.',
                                 'Install it on the controller: pip install dnspython.',
                                 details=dict(exception=DNSPYTHON_IMPORT_ERROR))
        if not zone:
            raise InputError('connector option dns_zone is missing.',
                             'Give the zone the TXT records go into, e.g. dns_zone: example.org.')
        if not key_name or not secret:
            raise InputError('RFC 2136 updates need a TSIG key: tsig_key_name (option) and tsig_secret '
                             '(connector_secrets or PKI_LIFECYCLE_ACME_TSIG_SECRET).',
                             'Give both; an unsigned update is refused by a well-configured primary.')
        algorithm = (algorithm or 'hmac-sha256').lower()
        if algorithm not in TSIG_ALGORITHMS:
            raise InputError('tsig_algorithm %r is not supported.' % algorithm,
                             'Use one of: %s.' % ', '.join(TSIG_ALGORITHMS))
        self.server, self.port = server, int(port or 53)
        self.zone = dns.name.from_text(zone)
        self.key_name = dns.name.from_text(key_name)
        try:
            self.keyring = dns.tsigkeyring.from_text({key_name: (algorithm, secret)})
        except Exception:  # pylint: disable=broad-except
            raise InputError('tsig_secret is not base64.', 'Give the secret exactly as tsig-keygen printed it.')
        self.algorithm = dns.name.from_text(algorithm)
        self.ttl, self.timeout, self.propagation_timeout = int(ttl), float(timeout), float(propagation_timeout)

    def _relative(self, fqdn):
        name = dns.name.from_text(fqdn)
        if not name.is_subdomain(self.zone):
            raise InputError('The dns-01 name %s is not in the zone %s.' % (name, self.zone),
                             'Set dns_zone to the zone that holds it (one RA profile per zone).')
        return name.relativize(self.zone)

    def _send(self, update, doing):
        try:
            response = dns.query.tcp(update, self.server, port=self.port, timeout=self.timeout)
        except dns.tsig.PeerError as exc:   # BADSIG, BADKEY, BADTIME: the server knows better
            raise ConnectorError('The DNS primary %s:%d refused the update (%s): the TSIG key was rejected: %s.'
                                 % (self.server, self.port, doing, exc),
                                 'Check tsig_key_name, tsig_algorithm and tsig_secret (connector_secrets or '
                                 'PKI_LIFECYCLE_ACME_TSIG_SECRET) against the key the zone grants updates to, and '
                                 'that the clocks agree.')
        except (dns.exception.DNSException, OSError) as exc:
            raise ConnectorError('The DNS primary %s:%d did not answer the update (%s): %s.'
                                 % (self.server, self.port, doing, exc),
                                 'Check dns_server and dns_port, and that the primary runs.')
        rcode = response.rcode()
        if rcode != dns.rcode.NOERROR:
            raise ConnectorError('The DNS primary %s:%d refused the update (%s): %s.'
                                 % (self.server, self.port, doing, dns.rcode.to_text(rcode)),
                                 'Check tsig_key_name, tsig_secret and tsig_algorithm, and that the zone\'s '
                                 'update-policy grants this key TXT records under %s.' % self.zone)

    def _update(self):
        return dns.update.UpdateMessage(self.zone, keyring=self.keyring, keyname=self.key_name,
                                        keyalgorithm=self.algorithm)

    def check(self):
        """Reach the primary and prove the TSIG key, without changing the zone: an update whose
        only content is a prerequisite (the zone's SOA exists) and no change."""
        update = self._update()
        update.present(dns.name.empty, 'SOA')
        self._send(update, 'check the TSIG key on %s' % self.zone)
        return dict(dns_server='%s:%d' % (self.server, self.port), dns_zone=self.zone.to_text())

    def add(self, fqdn, values):
        """Add TXT values at fqdn (existing values stay: a wildcard and its base share one name)."""
        update = self._update()
        for value in values:
            update.add(self._relative(fqdn), self.ttl, 'TXT', '"%s"' % value)
        self._send(update, 'add TXT at %s' % fqdn)

    def delete(self, fqdn, values):
        update = self._update()
        for value in values:
            update.delete(self._relative(fqdn), 'TXT', '"%s"' % value)
        self._send(update, 'delete TXT at %s' % fqdn)

    def _ask(self, qname, rdtype, address):
        query = dns.message.make_query(qname, rdtype)
        query.flags &= ~dns.flags.RD
        try:
            return dns.query.udp(query, address, port=self.port, timeout=min(self.timeout, 3))
        except (dns.exception.DNSException, OSError):
            return None

    def authoritative(self):
        """Addresses of the zone's name servers (NS records, their A/AAAA asked at the primary),
        always including the primary itself."""
        addresses = [self.server]
        answer = self._ask(self.zone, dns.rdatatype.NS, self.server)
        for rrset in (answer.answer if answer is not None else []):
            for ns in rrset:
                for rdtype in (dns.rdatatype.A, dns.rdatatype.AAAA):
                    glue = self._ask(ns.target, rdtype, self.server)
                    for rr in (glue.answer if glue is not None else []):
                        for item in rr:
                            if item.address not in addresses:
                                addresses.append(item.address)
        return addresses

    def _has(self, fqdn, values, address):
        response = self._ask(fqdn, dns.rdatatype.TXT, address)
        if response is None:
            return False
        found = set()
        for rrset in response.answer:
            if rrset.rdtype == dns.rdatatype.TXT:
                for item in rrset:
                    found.add(b''.join(item.strings).decode('ascii', 'replace'))
        return set(values) <= found

    def wait_visible(self, records):
        """records: {fqdn: [values]}. Wait until every authoritative server answers them all."""
        servers = self.authoritative()
        deadline, delay = time.time() + self.propagation_timeout, 0.1
        missing = []
        while True:
            missing = ['%s at %s' % (fqdn, address) for fqdn, values in sorted(records.items())
                       for address in servers if not self._has(fqdn, values, address)]
            if not missing:
                return servers
            if time.time() > deadline:
                raise ConnectorError('The dns-01 TXT record(s) did not appear on the authoritative servers within '
                                     '%d s: missing %s.' % (self.propagation_timeout, ', '.join(missing)),
                                     'Check that the zone\'s secondaries receive updates (NOTIFY/IXFR), or raise '
                                     'dns_propagation_timeout.')
            time.sleep(delay)
            delay = min(delay * 2, 2.0)
