# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""certificate_info's result shape: which fields each certificate carries, and how many.

Large inventories make large results, and every byte of a result is serialised, sent to the
controller's main process and handed to each callback. ``fields``, ``limit`` and
``counts_only`` let a task ask for only what it uses; ``counts`` always covers every match.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

# The keys of a returned certificate (lifecycle.public_record) and the optional extras.
RECORD_FIELDS = (
    'uuid', 'serial', 'subject', 'subject_alt_names', 'issuer', 'not_before', 'not_after',
    'fingerprint_sha256', 'spki_sha256', 'state', 'validation_status', 'ra_profile', 'labels',
    'key_source', 'token_profile', 'key_ref', 'revocation_reason', 'revoked_at', 'failure_reason',
    'created_at', 'updated_at', 'lineage',
)
EXTRA_FIELDS = ('certificate_pem', 'chain_pem', 'events')
FIELDS = RECORD_FIELDS + EXTRA_FIELDS


class InfoShape(object):
    """Built from the task's parameters; ``room(n)`` and ``item(record, ...)`` per match."""

    def __init__(self, params):
        fields = params.get('fields')
        self.fields = list(fields) if fields else None
        self.limit = None if params.get('counts_only') else params.get('limit')
        if params.get('counts_only'):
            self.limit = 0
        wanted = set(self.fields or ())
        self.pem = bool(params.get('include_pem')) or bool(wanted & set(('certificate_pem', 'chain_pem')))
        self.events = bool(params.get('include_events')) or 'events' in wanted

    def room(self, returned):
        return self.limit is None or returned < self.limit

    def item(self, record, status, public_record, tx):
        """The returned dict for one record (``public_record`` is lifecycle's, passed in to keep
        the data flowing down); ``status`` is its validation status, computed once already."""
        if self.fields is None or not set(self.fields) <= set(('uuid', 'serial', 'subject', 'not_after',
                                                               'validation_status', 'ra_profile', 'labels')):
            item = public_record(record, None, None)
        else:  # the usual narrow query: no full record built
            item = dict((k, record.get(k)) for k in self.fields if k != 'validation_status')
        item['validation_status'] = status
        if self.pem:
            item['certificate_pem'] = record.get('certificate_pem') or ''
            item['chain_pem'] = record.get('chain_pem') or ''
        if self.events:
            item['events'] = tx.list_events(certificate_uuid=record['uuid'])
        if self.fields is not None:
            item = dict((k, item[k]) for k in self.fields if k in item)
        return item
