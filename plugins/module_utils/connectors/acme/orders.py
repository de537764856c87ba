# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ACME orders: newOrder (with ``profile``, draft-ietf-acme-profiles, and ``replaces``,
RFC 9773), polling authorizations, finalize, download and chain choice."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import time

from ansible_collections.pki.lifecycle.plugins.module_utils import x509 as x509lib
from ansible_collections.pki.lifecycle.plugins.module_utils.connectors.base import Issued
from ansible_collections.pki.lifecycle.plugins.module_utils.errors import ConnectorError

try:
    import josepy as jose
    from acme import errors as acme_errors
    from acme import messages
    from cryptography.x509.oid import NameOID
    # newOrder with ``replaces`` (RFC 9773 section 5), which acme's NewOrder lacks. Built with
    # the metaclass call because josepy wants an annotation per field.
    NewOrder = type(messages.NewOrder)('NewOrder', (messages.NewOrder,), {
        '__annotations__': {'replaces': str}, '__module__': __name__,
        'replaces': jose.field('replaces', omitempty=True)})
except ImportError:
    NewOrder = None   # io.HAS_ACME tells the connector


def issuer_cn(cert):
    values = cert.issuer.get_attributes_for_oid(NameOID.COMMON_NAME)
    return values[0].value if values else None


def choose_chain(fullchains, preferred):
    """The fullchain (leaf first) whose top certificate's issuer CN is ``preferred``;
    any certificate's issuer CN is accepted next; else the server's default (the first)."""
    parsed = [x509lib.load_certificates(text) for text in fullchains if text and text.strip()]
    if not parsed:
        raise ConnectorError('The ACME server returned an empty certificate.', 'Check the CA.')
    if preferred:
        for chain in parsed:
            if issuer_cn(chain[-1]) == preferred:
                return chain
        for chain in parsed:
            if any(issuer_cn(c) == preferred for c in chain):
                return chain
    return parsed[0]


def order_payload(csr, profile=None, replaces=None):
    """The newOrder payload for a parsed CSR: identifiers, and profile / replaces when given."""
    from acme import crypto_util
    dns_names, ip_addrs = crypto_util.get_identifiers_from_x509(csr.subject, csr.extensions)
    identifiers = [messages.Identifier(typ=messages.IDENTIFIER_FQDN, value=name) for name in dns_names]
    identifiers += [messages.Identifier(typ=messages.IDENTIFIER_IP, value=str(ip)) for ip in ip_addrs]
    kwargs = dict(identifiers=identifiers)
    if profile:
        kwargs['profile'] = profile
    if replaces:
        kwargs['replaces'] = replaces
    return NewOrder(**kwargs)


class OrderMixin(object):

    def _new_order(self, client, csr_bytes, profile=None, replaces=None):
        payload = order_payload(x509lib.load_csr(csr_bytes), profile, replaces)
        response = self._call('create an order', client._post, client.directory['newOrder'], payload)  # pylint: disable=protected-access
        body = messages.Order.from_json(response.json())
        authorizations = []
        for url in body.authorizations:
            authorizations.append(messages.AuthorizationResource(
                body=messages.Authorization.from_json(self._post_as_get(client, url, 'return an authorization').json()),
                uri=url))
        return messages.OrderResource(body=body, uri=response.headers.get('Location'),
                                      authorizations=authorizations, csr_pem=csr_bytes)

    def _order_body(self, client, url):
        return messages.Order.from_json(self._post_as_get(client, url, 'return the order').json())

    def _fetch_order(self, client, url, csr_bytes):
        body = self._order_body(client, url)
        authorizations = []
        for authz_url in body.authorizations:
            response = self._post_as_get(client, authz_url, 'return an authorization')
            authorizations.append(messages.AuthorizationResource(
                body=messages.Authorization.from_json(response.json()), uri=authz_url))
        return messages.OrderResource(body=body, uri=url, authorizations=authorizations, csr_pem=csr_bytes)

    def _deadline(self):
        return time.time() + self.poll_timeout

    @staticmethod
    def _sleep(delay):
        time.sleep(delay)
        return min(delay * 2, 2.0)

    def _poll_authorizations(self, client, orderr):
        """Poll until no authorization is pending; short first sleeps (servers are often quick)."""
        deadline, delay = self._deadline(), 0.05
        pending = list(orderr.body.authorizations)
        failed = []
        while pending:
            still = []
            for url in pending:
                response = self._post_as_get(client, url, 'return an authorization')
                authzr = messages.AuthorizationResource(body=messages.Authorization.from_json(response.json()),
                                                        uri=url)
                if authzr.body.status == messages.STATUS_PENDING:
                    still.append(url)
                elif authzr.body.status != messages.STATUS_VALID:
                    failed.append(authzr)
            pending = still
            if failed:
                raise self._translate(acme_errors.ValidationError(failed), 'issue the certificate')
            if pending:
                if time.time() > deadline:
                    raise self._translate(acme_errors.TimeoutError(), 'validate the challenges')
                delay = self._sleep(delay)

    def _invalid_order(self, client, orderr):
        failed = [a for a in orderr.authorizations if a.body.status == messages.STATUS_INVALID]
        if failed:
            return self._translate(acme_errors.ValidationError(failed), 'issue the certificate')
        if orderr.body.error is not None:
            return self._translate(orderr.body.error, 'issue the certificate')
        return ConnectorError('The ACME order %s is invalid and the server gives no reason.' % orderr.uri,
                              'Run the task again; a new order is created.')

    def _finish(self, client, orderr, data):
        """Finalize (ready), wait (processing), download (valid)."""
        deadline, delay = self._deadline(), 0.05
        body = orderr.body
        finalized = body.status in (messages.STATUS_PROCESSING, messages.STATUS_VALID)
        try:
            while True:
                if body.status == messages.STATUS_READY and not finalized:
                    csr = messages.CertificateRequest(csr=x509lib.load_csr(orderr.csr_pem))
                    body = messages.Order.from_json(self._call(
                        'finalize the order', client._post, body.finalize, csr).json())  # pylint: disable=protected-access
                    finalized = True
                    continue
                if body.status == messages.STATUS_VALID and body.certificate:
                    return self._download(client, orderr.update(body=body), data)
                if body.status == messages.STATUS_INVALID:
                    raise self._invalid_order(client, orderr.update(body=body))
                if time.time() > deadline:
                    raise self._translate(acme_errors.TimeoutError(), 'finalize the order')
                delay = self._sleep(delay)
                body = self._order_body(client, orderr.uri)
        except ConnectorError as exc:
            if finalized:
                # The CA may issue after all: lifecycle keeps the record (failed, order URL) for lookup.
                exc.details['maybe_issued'] = True
                exc.details['unavailable'] = False
                exc.details.setdefault('order_url', orderr.uri)
            raise

    def _download(self, client, orderr, data):
        response = self._post_as_get(client, orderr.body.certificate, 'return the certificate')
        fullchains = [response.text]
        preferred = data.get('preferred_chain') or self.options.get('preferred_chain')
        if preferred:
            for url in client._get_links(response, 'alternate'):  # pylint: disable=protected-access
                fullchains.append(self._post_as_get(client, url, 'return an alternative chain').text)
        chain = choose_chain(fullchains, preferred)
        facts = dict(order_url=orderr.uri, certificate_url=orderr.body.certificate,
                     account_url=data.get('account_url'), directory_url=self.directory_url,
                     chain_issuer=issuer_cn(chain[-1]))
        for kept in ('profile', 'replaces', 'dns_records'):
            if data.get(kept):
                facts[kept] = data[kept]
        return Issued(x509lib.pem(chain[0]), [x509lib.pem(c) for c in chain[1:]], connector_data=facts)
