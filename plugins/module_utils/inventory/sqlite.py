# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""SQLite inventory store (the default).

One file, WAL journal. Write transactions are ``BEGIN IMMEDIATE``: the write lock is taken
before the first read, so a read-modify-write can never be lost to another writer, and
waiting writers queue on the busy timeout (30 s; ``PKI_LIFECYCLE_BUSY_TIMEOUT`` seconds).
Read transactions see one snapshot and never block writers.

Every record is kept whole in a ``data`` JSON column; the fields that are filtered on are
copied to indexed columns next to it (base.py: the columns and queries both SQL stores share).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import contextlib
import os
import sqlite3
import time

from ansible_collections.pki.lifecycle.plugins.module_utils.inventory.sql import (
    CERTIFICATE_COLUMNS, SqlTransaction, dumps, sql_filters,
)
from ansible_collections.pki.lifecycle.plugins.module_utils.inventory.base import (
    SCHEMA_VERSION, InventoryStore, busy_timeout, record_key, run_migrations,
)

SQLITE_HEADER = b'SQLite format 3\x00'


def _schema_v1(conn):
    # Statement by statement: executescript() would COMMIT the caller's transaction first.
    _run_script(conn, '''
        CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS ra_profiles (name TEXT PRIMARY KEY, data TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS token_profiles (name TEXT PRIMARY KEY, data TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS certificates (
            uuid TEXT PRIMARY KEY, ra_profile TEXT, state TEXT, identity TEXT, serial TEXT,
            fingerprint_sha256 TEXT, spki_sha256 TEXT, subject TEXT, not_after TEXT,
            renewed_from TEXT, rekeyed_from TEXT, created_at TEXT, data TEXT NOT NULL);
        CREATE INDEX IF NOT EXISTS certificates_identity ON certificates (identity);
        CREATE INDEX IF NOT EXISTS certificates_ra_profile ON certificates (ra_profile);
        CREATE INDEX IF NOT EXISTS certificates_serial ON certificates (serial);
        CREATE INDEX IF NOT EXISTS certificates_not_after ON certificates (not_after);
        CREATE INDEX IF NOT EXISTS certificates_state ON certificates (state);
        CREATE TABLE IF NOT EXISTS events (
            id INTEGER PRIMARY KEY AUTOINCREMENT, time TEXT, operation TEXT, result TEXT,
            certificate_uuid TEXT, ra_profile TEXT, who TEXT, data TEXT NOT NULL);
        CREATE INDEX IF NOT EXISTS events_certificate_uuid ON events (certificate_uuid);
    ''')


def _schema_v2(conn):
    # Discovery finds records by fingerprint (one lookup per certificate found).
    conn.execute('CREATE INDEX IF NOT EXISTS certificates_fingerprint ON certificates (fingerprint_sha256)')


# Indexes added after schema 1 shipped. Derived data, so no schema version: a database that
# lacks them gets them the next time it is opened (unless the file is read-only). They keep
# lineage lookups (renewed_from / rekeyed_from: renewal, rekey, the due sweep) off full scans.
EXTRA_INDEXES = (
    ('certificates_renewed_from', 'certificates (renewed_from)'),
    ('certificates_rekeyed_from', 'certificates (rekeyed_from)'),
)


def _missing_indexes(conn):
    names = set(row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'"))
    return [(name, on) for name, on in EXTRA_INDEXES if name not in names]


def _add_indexes(conn):
    for name, on in _missing_indexes(conn):
        conn.execute('CREATE INDEX IF NOT EXISTS %s ON %s' % (name, on))


def _run_script(conn, script):
    for statement in script.split(';'):
        if statement.strip():
            conn.execute(statement)


# (version, step): step upgrades a database at version - 1 to version. Version 1 is the
# baseline and also creates a new database; add (2, _schema_v2) etc. here, never edit a step.
MIGRATIONS = ((1, _schema_v1), (2, _schema_v2))


def _migrate(conn, from_version):
    """Bring the schema from ``from_version`` (0: empty database) to SCHEMA_VERSION.

    Runs inside the caller's write transaction, so a failed step leaves nothing behind.
    """
    run_migrations(MIGRATIONS, conn, from_version)
    conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)",
                 (str(SCHEMA_VERSION),))


# How often a writer asks for the write lock while another holds it (SqliteStore._begin_write).
LOCK_POLL_SECONDS = 0.001


def _busy(exc):
    return 'locked' in str(exc) or 'busy' in str(exc)


# Columns a certificate's row keeps from its reservation on. put_certificate updates the others
# in place when these are unchanged: SQLite then leaves their indexes alone, where INSERT OR
# REPLACE deletes and re-inserts every index entry of the row (issuance writes each row twice).
KEPT_COLUMNS = ('ra_profile', 'identity', 'renewed_from', 'rekeyed_from', 'created_at')
_UPDATED_COLUMNS = tuple(c for c in CERTIFICATE_COLUMNS if c not in KEPT_COLUMNS)
_UPDATE_CERTIFICATE = 'UPDATE certificates SET %s, data = ? WHERE uuid = ? AND %s' % (
    ', '.join('%s = ?' % c for c in _UPDATED_COLUMNS), ' AND '.join('%s IS ?' % c for c in KEPT_COLUMNS))


class SqliteTransaction(SqlTransaction):
    """The SQL stores' transaction in SQLite's spelling."""

    def put_certificate(self, record):
        self._writable()
        key = record_key(record, 'uuid')
        data = dumps(record)
        if self._conn.execute(_UPDATE_CERTIFICATE, [record.get(c) for c in _UPDATED_COLUMNS] + [data, key]
                              + [record.get(c) for c in KEPT_COLUMNS]).rowcount:
            return
        self._upsert('certificates', ('uuid',) + CERTIFICATE_COLUMNS + ('data',),
                     [key] + [record.get(c) for c in CERTIFICATE_COLUMNS] + [data])

    def _upsert(self, table, columns, values):
        self._conn.execute('INSERT OR REPLACE INTO %s (%s) VALUES (%s)'
                           % (table, ', '.join(columns), ', '.join('?' * len(columns))), values)

    def _insert_event(self, columns, values):
        return self._conn.execute('INSERT INTO events (%s) VALUES (%s)'
                                  % (', '.join(columns), ', '.join('?' * len(columns))), values).lastrowid

    def find_certificates(self, *args, **filters):
        sql, params = find_sql(*args, **filters)  # same signature as the base class
        return self._all(sql, params)


def find_sql(uuid=None, ra_profile=None, state=None, states=None, identity=None, serial=None,
             fingerprint_sha256=None, spki_sha256=None, subject=None, labels=None,
             not_after_before=None, renewed_from=None, rekeyed_from=None):
    """(sql, params) for find_certificates; separate so tests can EXPLAIN it."""
    if isinstance(states, str):
        states = [states]
    where, params = sql_filters(uuid=uuid, ra_profile=ra_profile, state=state, states=states or None,
                                identity=identity, serial=serial, fingerprint_sha256=fingerprint_sha256,
                                spki_sha256=spki_sha256, subject=subject, not_after_before=not_after_before,
                                renewed_from=renewed_from, rekeyed_from=rekeyed_from)
    if states is not None and not states:
        where.append('0')  # no state at all: nothing matches
    for key, value in sorted((labels or {}).items()):
        # json_each takes any label key as data, so no JSON-path quoting is needed.
        where.append("EXISTS (SELECT 1 FROM json_each(certificates.data, '$.labels') "
                     "WHERE json_each.key = ? AND json_each.value IS ?)")
        params.extend((key, value))
    sql = 'SELECT data FROM certificates'
    if where:
        sql += ' WHERE ' + ' AND '.join(where)
    return sql + ' ORDER BY created_at, uuid', params


class SqliteStore(InventoryStore):
    """The inventory in the SQLite database at ``path`` (created 0600 with its directory)."""

    def __init__(self, path, timeout=None):
        self.path = self.location = os.path.abspath(os.path.expanduser(path))
        self.url = 'sqlite://' + self.path
        self.timeout = busy_timeout() if timeout is None else timeout
        self._conn = None
        self._open()

    def _check_file(self):
        """Refuse anything that is not an SQLite database before SQLite touches it.

        SQLite would otherwise create journal files next to it, or (for an empty or
        missing file) turn it into a database: only a missing or empty file becomes one.
        """
        try:
            with open(self.path, 'rb') as handle:
                header = handle.read(len(SQLITE_HEADER))
        except FileNotFoundError:
            directory = os.path.dirname(self.path)
            try:
                if not os.path.isdir(directory):
                    os.makedirs(directory, 0o700, exist_ok=True)
                os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
            except FileExistsError:
                pass  # another process created it first: fine, it was empty
            except OSError as exc:
                raise self.os_error(exc, "cannot be created: %s." % exc.strerror,
                                    "Create the directory %s writable by this user, or point "
                                    "`inventory` elsewhere." % directory)
            return
        except IsADirectoryError:
            raise self.directory_error('inventory.db')
        except OSError as exc:
            raise self.unreadable_error(exc)
        if header and header != SQLITE_HEADER:
            raise self.error("is not an SQLite database; point `inventory` at the right file or "
                             "move this one away.", "It was left unchanged.")

    def _open(self):
        self._check_file()
        try:
            # isolation_level=None: we issue BEGIN/COMMIT ourselves.
            conn = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None)
        except sqlite3.Error as exc:
            raise self.error("cannot be opened: %s." % exc, "Check the file and its directory.")
        try:
            # Switching a new file to WAL can fail busy without SQLite's busy handler being
            # consulted (another process is creating the same inventory): retry ourselves.
            deadline = time.monotonic() + self.timeout
            while not self._initialise(conn):
                if time.monotonic() >= deadline:
                    raise self.locked_error()
                time.sleep(0.01)
            conn.execute('PRAGMA synchronous=FULL')  # a committed issuance survives a power cut
        except sqlite3.Error as exc:
            conn.close()
            raise self.error("cannot be opened: %s." % exc, "Check the file and its directory.")
        except BaseException:
            conn.close()
            raise
        self._conn = conn

    def _initialise(self, conn):
        """Create or migrate the schema; False when another process is busy with the file."""
        try:
            if self._read_version(conn) == SCHEMA_VERSION and (
                    not _missing_indexes(conn) or not os.access(self.path, os.W_OK)):
                return True
            if conn.execute('PRAGMA journal_mode').fetchone()[0].lower() != 'wal':
                conn.execute('PRAGMA journal_mode=WAL')
            conn.execute('BEGIN IMMEDIATE')
        except sqlite3.OperationalError as exc:
            if _busy(exc):
                return False
            raise
        try:
            version = self._read_version(conn)  # another process may have migrated meanwhile
            if version != SCHEMA_VERSION:
                _migrate(conn, version)
            _add_indexes(conn)
            conn.execute('COMMIT')
        except BaseException:
            if conn.in_transaction:
                conn.execute('ROLLBACK')
            raise
        return True

    def _read_version(self, conn):
        tables = set(row[0] for row in self._execute(
            conn, "SELECT name FROM sqlite_master WHERE type = 'table'"))
        if 'meta' not in tables:
            if tables:
                raise self.error("is an SQLite database of another application (tables: %s)."
                                 % ', '.join(sorted(tables)),
                                 "Point `inventory` at a new file; this one was left unchanged.")
            return 0
        return self.check_schema_row(
            self._execute(conn, "SELECT value FROM meta WHERE key = 'schema_version'").fetchone())

    def _execute(self, conn, sql):
        try:
            return conn.execute(sql)
        except sqlite3.DatabaseError as exc:
            if _busy(exc):
                raise
            raise self.error("cannot be read: %s." % exc,
                             "Restore it from a backup or move it away; it was left unchanged.")

    def _begin_write(self, conn):
        """BEGIN IMMEDIATE, asking again every LOCK_POLL_SECONDS while another writer holds the
        lock, until the busy timeout. SQLite's own handler sleeps up to 100 ms between tries: the
        processes of a due sweep, each holding the lock for a batch's transaction, would idle
        that long after the lock is free."""
        deadline = time.monotonic() + self.timeout
        conn.execute('PRAGMA busy_timeout = 0')
        try:
            while True:
                try:
                    conn.execute('BEGIN IMMEDIATE')
                    return
                except sqlite3.OperationalError as exc:
                    if not _busy(exc) or time.monotonic() >= deadline:
                        raise
                time.sleep(LOCK_POLL_SECONDS)
        finally:
            conn.execute('PRAGMA busy_timeout = %d' % int(self.timeout * 1000))

    @contextlib.contextmanager
    def _transaction(self, conn, write):
        try:
            if write:
                self._begin_write(conn)
            else:
                conn.execute('BEGIN')
        except sqlite3.OperationalError as exc:
            if _busy(exc):
                raise self.locked_error()
            raise self.error("cannot be used: %s." % exc, "Check the file and its permissions.")
        try:
            yield SqliteTransaction(conn, write)
        except BaseException as exc:
            if conn.in_transaction:
                conn.execute('ROLLBACK')
            if isinstance(exc, sqlite3.Error):
                raise self.error("could not be %s: %s." % ('written' if write else 'read', exc),
                                 "Nothing was changed; check disk space and permissions.")
            raise
        try:
            conn.execute('COMMIT')
        except sqlite3.Error as exc:
            if conn.in_transaction:
                conn.execute('ROLLBACK')
            raise self.error("could not be written: %s." % exc,
                             "Nothing was changed; check disk space and permissions.")

    def transaction(self, write=True):
        if self._conn is None:
            raise self.closed_error()
        return self._transaction(self._conn, write)

    def close(self):
        if self._conn is not None:
            self._conn.close()
            self._conn = None
