# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the SQL stores (sqlite, postgresql) share: columns, filters and the transaction.

The JSON store does not use it; everything every store shares is in base.py."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json

from ansible_collections.pki.lifecycle.plugins.module_utils.inventory.base import (
    EQUALITY_FILTERS, SUCCESSOR_CHUNK, InventoryTransaction, newest_successors, record_key,
)

# Certificate fields copied to their own (indexed or filterable) columns next to ``data``.
CERTIFICATE_COLUMNS = ('ra_profile', 'state', 'identity', 'serial', 'fingerprint_sha256',
                       'spki_sha256', 'subject', 'not_after', 'renewed_from', 'rekeyed_from',
                       'created_at')
EVENT_COLUMNS = ('time', 'operation', 'result', 'certificate_uuid', 'ra_profile', 'who')


def dumps(value):
    """A record as its ``data`` column holds it."""
    return json.dumps(value, sort_keys=True, separators=(',', ':'))


def sql_filters(uuid=None, ra_profile=None, state=None, states=None, identity=None, serial=None,
                fingerprint_sha256=None, spki_sha256=None, subject=None, not_after_before=None,
                renewed_from=None, rekeyed_from=None):
    """(conditions, params) of find_certificates' filters but ``labels``, whose spelling is
    each SQL store's own. ``states`` must not be empty (each store spells "nothing" itself)."""
    given = locals()
    where, params = [], []
    for column in EQUALITY_FILTERS:
        if given[column] is not None:
            where.append('%s = ?' % column)
            params.append(given[column])
    if states is not None:
        states = [states] if isinstance(states, str) else list(states)
        where.append('state IN (%s)' % ', '.join('?' * len(states)))
        params.extend(states)
    if not_after_before is not None:
        # A plain range on the indexed column: the due sweep reads only what is due.
        where.append('not_after < ?')
        params.append(not_after_before)
    return where, params


class SqlTransaction(InventoryTransaction):
    """The transaction of the SQL stores, over a connection whose ``execute(sql, params)``
    takes ``?`` placeholders. A store spells what differs: ``_upsert``, ``_insert_event`` and
    ``find_certificates`` (labels). Table names are constants, never user input."""

    def __init__(self, conn, write):
        self._conn = conn
        self._write = write

    def _one(self, sql, params):
        row = self._conn.execute(sql, params).fetchone()
        return json.loads(row[0]) if row else None

    def _all(self, sql, params=()):
        return [json.loads(row[0]) for row in self._conn.execute(sql, params)]

    def _upsert(self, table, columns, values):
        """Insert, or replace the row with the same first column (the key)."""
        raise NotImplementedError

    def _insert_event(self, columns, values):
        """Insert into events; the id the store gave the row."""
        raise NotImplementedError

    # Profiles: the same shape in two tables.
    def _put_profile(self, table, profile):
        self._writable()
        self._upsert(table, ('name', 'data'), [record_key(profile, 'name'), dumps(profile)])

    def _delete(self, table, key, value):
        self._writable()
        return self._conn.execute('DELETE FROM %s WHERE %s = ?' % (table, key), (value,)).rowcount > 0

    def get_ra_profile(self, name):
        return self._one('SELECT data FROM ra_profiles WHERE name = ?', (name,))

    def put_ra_profile(self, profile):
        self._put_profile('ra_profiles', profile)

    def delete_ra_profile(self, name):
        return self._delete('ra_profiles', 'name', name)

    def list_ra_profiles(self):
        return self._all('SELECT data FROM ra_profiles ORDER BY name')

    def get_token_profile(self, name):
        return self._one('SELECT data FROM token_profiles WHERE name = ?', (name,))

    def put_token_profile(self, profile):
        self._put_profile('token_profiles', profile)

    def delete_token_profile(self, name):
        return self._delete('token_profiles', 'name', name)

    def list_token_profiles(self):
        return self._all('SELECT data FROM token_profiles ORDER BY name')

    def get_certificate(self, uuid):
        return self._one('SELECT data FROM certificates WHERE uuid = ?', (uuid,))

    def put_certificate(self, record):
        self._writable()
        self._upsert('certificates', ('uuid',) + CERTIFICATE_COLUMNS + ('data',),
                     [record_key(record, 'uuid')] + [record.get(c) for c in CERTIFICATE_COLUMNS]
                     + [dumps(record)])

    def delete_certificate(self, uuid):
        return self._delete('certificates', 'uuid', uuid)

    def lineage_links(self, uuids=None):
        # The state is checked in Python: in the WHERE clause it could lure the planner onto the
        # state index (most rows are issued) instead of the two lineage indexes.
        sql = 'SELECT uuid, created_at, renewed_from, rekeyed_from, state FROM certificates WHERE '
        if uuids is None:
            # "> ''" rather than IS NOT NULL: a range SQLite reads from the indexes, not a scan.
            return [tuple(row) for row in self._conn.execute(sql + "renewed_from > '' OR rekeyed_from > ''", ())]
        uuids = list(dict.fromkeys(uuids))
        rows = []
        for start in range(0, len(uuids), SUCCESSOR_CHUNK):
            chunk = uuids[start:start + SUCCESSOR_CHUNK]
            marks = ', '.join('?' * len(chunk))
            rows.extend(tuple(row) for row in self._conn.execute(
                sql + 'renewed_from IN (%s) OR rekeyed_from IN (%s)' % (marks, marks), chunk + chunk))
        return rows

    def successors(self, uuids=None):
        return newest_successors(self.lineage_links(uuids), None if uuids is None else set(uuids))

    def add_event(self, event):
        """Append ``event``; returns the id the store gave it (increasing: one writer at a time)."""
        self._writable()
        event = dict(event)
        event.pop('id', None)
        return self._insert_event(EVENT_COLUMNS + ('data',), [event.get(c) for c in EVENT_COLUMNS] + [dumps(event)])

    def list_events(self, certificate_uuid=None, limit=None):
        where, params = '', []
        if certificate_uuid is not None:
            where, params = 'WHERE certificate_uuid = ?', [certificate_uuid]
        # The newest ``limit`` events, returned oldest first like the full log.
        sql = 'SELECT id, data FROM events %s ORDER BY id DESC' % where
        if limit is not None:
            sql += ' LIMIT ?'
            params.append(int(limit))
        events = []
        for row_id, data in self._conn.execute(sql, params):
            event = json.loads(data)
            event['id'] = row_id
            events.append(event)
        events.reverse()
        return events
