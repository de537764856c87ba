# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Certificate records in the inventory: a new reservation, filling in what the CA
returned, and finding records (by what the user names, by identity, by lineage)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import uuid as uuidlib

from ansible_collections.pki.lifecycle.plugins.module_utils import x509 as x509lib
from ansible_collections.pki.lifecycle.plugins.module_utils.errors import InputError
from ansible_collections.pki.lifecycle.plugins.module_utils.inventory.stores import describe
from ansible_collections.pki.lifecycle.plugins.module_utils.vocabulary import iso, parse_iso, utcnow


def new_record(ctx, profile, request, labels, lineage=None):
    """A ``requested`` record for ``request``: the reservation stored before any CA is called."""
    stamp = iso(ctx.now)
    record = dict(
        uuid=str(uuidlib.uuid4()), ra_profile=profile['name'], state='requested',
        identity=request['identity'], serial=None, issuer=None, subject=request['subject'],
        subject_alt_names=request['subject_alt_names'], not_before=None, not_after=None,
        fingerprint_sha256=None, spki_sha256=request['spki_sha256'],
        key_source=request['key_source'], token_profile=request.get('token_profile'),
        key_ref=request.get('key_ref'), certificate_pem=None, chain_pem='',
        csr_pem=request.get('csr_pem') or '', renewed_from=None, rekeyed_from=None,
        revocation_reason=None, revoked_at=None, labels=dict(labels or {}), failure_reason=None,
        connector_data={}, requested_by=ctx.who, created_at=stamp, updated_at=stamp,
        # How a token-key CSR was built, so renewal can build the same request again.
        request_attributes=dict((k, request.get(k)) for k in ('extensions', 'signature_algorithm', 'digest')
                                if request.get(k)),
    )
    record.update(lineage or {})
    return record


def fill_from_certificate(record, issued, request=None):
    """Copy the facts of the certificate the CA returned (an ``Issued``) into ``record``;
    returns the parsed certificate (the connector's own object when it has one). ``request``:
    the request it answers, whose names and key are the certificate's when it carries the
    request's CSR's own (x509 certificate_facts)."""
    cert = issued.certificate
    if cert is None:
        cert = x509lib.load_certificate(issued.certificate_pem)
        certificate_pem = x509lib.pem(cert)
    else:
        certificate_pem = issued.certificate_pem
    like = None
    if request is not None and request.get('csr') is not None:
        like = (request['csr'], request['subject'], request['subject_alt_names'], request['spki_sha256'])
    record.update(x509lib.certificate_facts(cert, like, issued.made if issued.certificate is not None else None))
    record.update(certificate_pem=certificate_pem, chain_pem=''.join(issued.chain_pems))
    if issued.connector_data:
        data = dict(record.get('connector_data') or {})
        data.update(issued.connector_data)
        record['connector_data'] = data
    return cert


def lineage_head(tx, record):
    """The newest certificate descending from ``record`` by renewal or rekey."""
    seen = set()
    current = record
    while current['uuid'] not in seen:
        seen.add(current['uuid'])
        children = [c for c in tx.find_certificates(renewed_from=current['uuid'])
                    + tx.find_certificates(rekeyed_from=current['uuid'])
                    if c['state'] in ('issued', 'revoked')]
        if not children:
            break
        children.sort(key=lambda c: (c['created_at'], c['uuid']))
        current = children[-1]
    return current


# Past this many records, one read of every lineage link costs less than asking in batches.
SUCCESSORS_BY_UUID_MAX = 2000


def successors_of(tx, records):
    """{uuid: uuid of the certificate that replaced it} for those of ``records`` a renewal or
    rekey replaced (an issued or revoked successor): the superseded ones."""
    uuids = [r['uuid'] for r in records]
    if not uuids:
        return {}
    return tx.successors(uuids if len(uuids) <= SUCCESSORS_BY_UUID_MAX else None)


def superseded_by(tx, record):
    """The uuid of the certificate that replaced ``record``, or None."""
    return tx.successors([record['uuid']]).get(record['uuid']) if record else None


def with_successors(tx, uuids, states=None):
    """Those of ``uuids`` (None: any record) that a record in one of ``states`` (None: any state)
    was renewed or rekeyed from: one read of the lineage indexes, no record read."""
    found = set()
    for _uuid, _created, renewed_from, rekeyed_from, state in tx.lineage_links(uuids):
        if states is None or state in states:
            found.update((renewed_from, rekeyed_from))
    found.discard(None)
    return found if uuids is None else found.intersection(uuids)


def current_for_identity(tx, identity, now):
    """Newest issued, unexpired certificate with this identity, or None."""
    found = [r for r in tx.find_certificates(identity=identity, state='issued')
             if parse_iso(r['not_after']) > now]
    if not found:
        return None
    return sorted(found, key=lambda r: (r['created_at'], r['uuid']))[-1]


def exists_reason(existing):
    return 'An issued, unexpired certificate with the same RA profile, subject, names and key exists ' \
        '(serial %s).' % existing['serial']


def find_certificate(ctx, tx, value, purpose):
    """uuid, hex serial (colons allowed), PEM text or a path to a PEM file."""
    value = (value or '').strip()
    found = []
    if value.startswith('-----BEGIN') or os.path.isfile(value):
        cert = x509lib.load_certificate(x509lib.read_pem_input(value, 'certificate'))
        found = tx.find_certificates(fingerprint_sha256=x509lib.certificate_info(cert)['fingerprint_sha256'])
    elif value.count('-') == 4:
        found = [tx.get_certificate(value.lower())]
    else:
        # A 32-digit hex serial also parses as a UUID, so serials are matched on their own.
        serial = value.replace(':', '').lower()
        found = tx.find_certificates(serial=serial)
        if not found and serial.lstrip('0') != serial:
            found = tx.find_certificates(serial=serial.lstrip('0'))
    found = [r for r in found if r]
    short = value if len(value) < 80 else value[:60] + '...'
    if not found:
        raise InputError('Certificate %r is not in the inventory %s.' % (short, describe(ctx.params.get('inventory'))),
                         'Only certificates issued through an RA profile can be %s; issue it with '
                         'pki.lifecycle.certificate_issue first, or check the uuid or serial.' % purpose)
    if len(found) > 1:
        raise InputError('%r matches %d certificates in the inventory.' % (short, len(found)), 'Name it by uuid.')
    return found[0]


def update_labels(ctx, record, labels):
    """Labels are bookkeeping, not part of the identity: merge new ones in without a change report."""
    merged = dict(record.get('labels') or {})
    merged.update(labels)
    if merged == record.get('labels'):
        return record
    with ctx.store.transaction() as tx:
        current = tx.get_certificate(record['uuid'])
        current['labels'] = merged
        current['updated_at'] = iso(utcnow())
        tx.put_certificate(current)
    return current
