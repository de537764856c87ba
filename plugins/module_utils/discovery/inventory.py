# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Merge discovery results into inventory records (pure: no store, no clock of its own).

A certificate is one record, found by its SHA-256 fingerprint, wherever it was seen: a record
issued through an RA profile gets the places it was found added to it; an unknown certificate
becomes a record in state ``discovered``. Every place is a *location* in the record's
``locations`` list::

    {"id": "file:web1:/etc/nginx/tls/site.crt", "kind": "file", "host": "web1",
     "path": "/etc/nginx/tls/site.crt", "status": "present" | "gone",
     "first_seen": ISO, "last_seen": ISO, "gone_since": ISO or null,
     "owner", "group", "mode", "format", "index", "private_key": {"path", "matches", "reason"} or null}
    {"id": "endpoint:127.0.0.1:8443/www.example.org", "kind": "endpoint", "host": "127.0.0.1",
     "port": 8443, "server_name", "starttls", "protocol", "verified", "verify_error", ...same times}

A location inside the scanned scope that is not seen again is marked ``gone`` (kept, never
dropped); seen again, it is ``present`` again. Only ``last_seen`` moving is bookkeeping, not a
change: discovering the same hosts again reports nothing changed.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import fnmatch
import os
import uuid as uuidlib

from ansible_collections.pki.lifecycle.plugins.module_utils import x509 as x509lib

FILE_FACTS = ('owner', 'group', 'mode', 'format', 'index', 'private_key', 'real_path')
# Facts that say the same thing in other words from one run to the next (a verification error
# names the time it was checked at): kept up to date, never reported as a change.
VOLATILE = ('verify_error',)
ENDPOINT_FACTS = ('server_name', 'starttls', 'protocol', 'cipher', 'verified', 'verify_error', 'name_matches')


def file_location_id(host, path, index=0):
    return 'file:%s:%s%s' % (host, path, '#%d' % index if index else '')


def endpoint_location_id(host, port, server_name=None):
    return 'endpoint:%s:%s/%s' % (host, port, server_name or '')


def file_location(host, finding):
    loc = dict(id=file_location_id(host, finding['path'], finding.get('index') or 0), kind='file',
               host=host, path=finding['path'])
    loc.update((k, finding.get(k)) for k in FILE_FACTS)
    loc['has_chain'] = bool(finding.get('chain_pem'))
    return loc


def endpoint_location(finding):
    loc = dict(id=endpoint_location_id(finding['host'], finding['port'], finding.get('server_name')),
               kind='endpoint', host=finding['host'], port=finding['port'], endpoint=finding['endpoint'])
    loc.update((k, finding.get(k)) for k in ENDPOINT_FACTS)
    return loc


def in_scope(path, roots):
    """Was ``path`` inside what a file scan of ``roots`` covered?"""
    for root in roots:
        root = os.path.expanduser(root).rstrip('/') or '/'
        if path == root or path.startswith(root + '/') or (root == '/' and path.startswith('/')):
            return True
        head = path
        while head not in ('', '/'):
            if fnmatch.fnmatch(head, root):
                return True
            head = os.path.dirname(head)
    return False


def new_discovered_record(cert, finding, chain_pem, stamp):
    info = x509lib.certificate_info(cert)
    return dict(
        uuid=str(uuidlib.uuid4()), ra_profile=None, state='discovered', identity=None,
        serial=info['serial'], issuer=info['issuer'], subject=info['subject'],
        subject_alt_names=info['subject_alt_names'], not_before=info['not_before'],
        not_after=info['not_after'], fingerprint_sha256=info['fingerprint_sha256'],
        spki_sha256=info['spki_sha256'], key_source=None, token_profile=None, key_ref=None,
        certificate_pem=x509lib.pem(cert), chain_pem=chain_pem or '', csr_pem='',
        renewed_from=None, rekeyed_from=None, revocation_reason=None, revoked_at=None,
        labels={}, failure_reason=None, connector_data={}, requested_by=None,
        request_attributes={}, origin='discovered', locations=[], created_at=stamp, updated_at=stamp)


class Merge(object):
    """Apply one discovery (its scope and its findings) to the records of a transaction.

    ``records_by_fp``: fingerprint -> record for every record that may be touched; the caller
    reads them inside the write transaction (so two forks merging at once never duplicate)."""

    def __init__(self, stamp):
        self.stamp = stamp
        self.touched = {}      # uuid -> record to write
        self.changes = {}      # uuid -> list of sentences (what changed)
        self.bookkeeping = set()   # uuids whose last_seen alone moved
        self.created = []

    def _change(self, record, sentence):
        self.touched[record['uuid']] = record
        self.changes.setdefault(record['uuid'], []).append(sentence)

    def see(self, record, location):
        """``location`` seen now on ``record``."""
        locations = record.setdefault('locations', [])
        current = next((l for l in locations if l.get('id') == location['id']), None)
        if current is None:
            location = dict(location, status='present', first_seen=self.stamp, last_seen=self.stamp, gone_since=None)
            locations.append(location)
            self._change(record, 'found at %s' % _where(location))
            return
        facts = dict((k, v) for k, v in location.items() if k != 'id')
        before = dict((k, current.get(k)) for k in facts if k not in VOLATILE)
        was_gone = current.get('status') == 'gone'
        current.update(facts)
        current['last_seen'] = self.stamp
        if was_gone:
            current['status'] = 'present'
            current['gone_since'] = None
            self._change(record, 'back at %s' % _where(current))
        elif any(before[k] != facts[k] for k in before):
            self._change(record, 'changed at %s (%s)' % (_where(current), ', '.join(
                sorted(k for k in before if before[k] != facts[k]))))
        else:
            self.touched[record['uuid']] = record
            self.bookkeeping.add(record['uuid'])

    def gone(self, record, is_lost):
        """Mark every present location of ``record`` for which is_lost(record, location) is true."""
        for loc in record.get('locations') or []:
            if loc.get('status') != 'gone' and is_lost(record, loc):
                loc['status'] = 'gone'
                loc['gone_since'] = self.stamp
                self._change(record, 'gone from %s' % _where(loc))

    def changed_records(self):
        return [r for u, r in self.touched.items() if u in self.changes]

    def bookkeeping_records(self):
        return [r for u, r in self.touched.items() if u not in self.changes]


def _where(location):
    if location['kind'] == 'file':
        return '%s:%s' % (location['host'], location['path'])
    return '%s (%s)' % (location.get('endpoint'), location.get('server_name') or 'no SNI')


def merge(records, batches, stamp):
    """``records``: every record of the inventory (read in the write transaction).
    ``batches``: list of dict(kind='file', host, roots, certificates, errors, skipped) or
    dict(kind='endpoint', endpoints_scanned=[ids], endpoints=[findings], errors).
    Returns the Merge (records to write, created records, what changed)."""
    result = Merge(stamp)
    by_fp = dict((r['fingerprint_sha256'], r) for r in records if r.get('fingerprint_sha256'))
    # The newest record wins for a fingerprint seen twice (a renewal re-issuing the same DER does not happen,
    # but a discovered record later issued through a profile would): prefer issued over discovered.
    for r in records:
        fp = r.get('fingerprint_sha256')
        if fp and by_fp.get(fp) is not r and r.get('state') != 'discovered':
            by_fp[fp] = r
    for batch in batches:
        seen_ids = set()
        for finding in batch.get('certificates') or batch.get('endpoints') or []:
            cert = x509lib.load_certificate(finding['certificate_pem'])
            fp = x509lib.fingerprint(cert)
            record = by_fp.get(fp)
            if record is None:
                record = new_discovered_record(cert, finding, finding.get('chain_pem'), stamp)
                by_fp[fp] = record
                result.created.append(record['uuid'])
            elif not record.get('chain_pem') and finding.get('chain_pem'):
                record['chain_pem'] = finding['chain_pem']
            location = file_location(batch['host'], finding) if batch['kind'] == 'file' else endpoint_location(finding)
            # A place is seen for one certificate: the same file now holding another one is gone for the first.
            seen_ids.add((fp, location['id']))
            result.see(record, location)
        lost = _lost_test(batch, seen_ids)
        for record in by_fp.values():
            result.gone(record, lost)
    return result


def _lost_test(batch, seen_ids):
    if batch['kind'] == 'file':
        # A path that could not be read this time (or lies under a directory that could not) is not
        # gone: it is listed in errors or left_out. A truncated scan proves nothing about the rest.
        unsure = [e.get('path') for e in (batch.get('errors') or []) + (batch.get('skipped') or []) if e.get('path')]
        truncated = (batch.get('stats') or {}).get('truncated')
        return lambda rec, loc: (loc.get('kind') == 'file' and loc.get('host') == batch['host']
                                 and (rec['fingerprint_sha256'], loc['id']) not in seen_ids and not truncated
                                 and not in_scope(loc.get('path', ''), unsure)
                                 and in_scope(loc.get('path', ''), batch['roots']))
    scanned = set(batch.get('scanned') or [])
    failed = set(e.get('endpoint') for e in batch.get('errors') or [])
    # An endpoint that did not answer this time keeps its locations: unreachable is not "gone".
    return lambda rec, loc: (loc.get('kind') == 'endpoint' and loc.get('endpoint') in scanned
                             and loc.get('endpoint') not in failed
                             and (rec['fingerprint_sha256'], loc['id']) not in seen_ids)
