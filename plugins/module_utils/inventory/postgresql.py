# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""PostgreSQL inventory store (psycopg 3), for AWX / AAP and several controllers.

Addressed as ``postgresql://user@host[:port]/dbname[?sslmode=verify-full&sslrootcert=/ca.pem]``:
libpq reads the URL itself, so every libpq parameter in the query string works (``sslmode``,
``sslrootcert``, ``connect_timeout``, ``options=-csearch_path%3Dpki`` ...). The password comes
from ``password`` (module option ``inventory_password``, env ``PKI_LIFECYCLE_INVENTORY_PASSWORD``
or ``PGPASSWORD``) or libpq's own sources (``~/.pgpass``); it is never shown.

Same tables, same columns and the same migration steps as the SQLite store (records whole in a
``data`` JSON text column, filtered fields copied to indexed ``COLLATE "C"`` columns), so the
two stay one design; the transaction is base.SqlTransaction, as SQLite's, with PostgreSQL's
spelling of an upsert, of RETURNING and of the label filter.

Concurrency. Every write transaction takes ONE advisory lock per inventory database
(``pg_advisory_xact_lock``) before its first read, then reads in READ COMMITTED: the
equivalent of SQLite's ``BEGIN IMMEDIATE``. We chose one global key over a key per
certificate identity because every write transaction is a read-modify-write (the identity
check, label updates, revocation, lineage, profile changes, the event log) and a global
lock makes each of them atomic without per-call-site locking; the CA is called outside any
transaction, so a write transaction lasts milliseconds and the lock costs little (see
bench/inventory_concurrency.py). Read transactions are REPEATABLE READ READ ONLY: one
snapshot, no lock. The lock is released at commit, rollback, or when a killed writer's
connection drops. Waiting is bounded by ``PKI_LIFECYCLE_BUSY_TIMEOUT`` (``lock_timeout``).

Every connection announces its writer (``application_name`` = ``pki.lifecycle <who>``), so
another controller can tell whether the writer of a ``requested`` record is still connected
(``writer_alive``) instead of guessing from a process id on a host it cannot see.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import contextlib
import json
import traceback

from ansible_collections.pki.lifecycle.plugins.module_utils.errors import InventoryError
from ansible_collections.pki.lifecycle.plugins.module_utils.inventory.sql import SqlTransaction, sql_filters
from ansible_collections.pki.lifecycle.plugins.module_utils.inventory.base import (
    SCHEMA_VERSION, InventoryStore, busy_timeout, run_migrations,
    without_password,
)

try:
    import psycopg
    from psycopg import errors as pg_errors
    HAS_PSYCOPG = True
    PSYCOPG_IMPORT_ERROR = None
except ImportError:
    psycopg = pg_errors = None
    HAS_PSYCOPG = False
    PSYCOPG_IMPORT_ERROR = traceback.format_exc()

# pg_advisory_xact_lock(int4, int4): ('pki1', 1) = "write to this inventory". Advisory locks
# live per database, so one constant key is one lock per inventory database.
LOCK_CLASS, LOCK_WRITE = 0x706b6931, 1
APPLICATION_PREFIX = 'pki.lifecycle '
DEFAULT_CONNECT_TIMEOUT = 10
TABLES = ('meta', 'ra_profiles', 'token_profiles', 'certificates', 'events')


def _schema_v1(conn):
    # The SQLite v1 schema in PostgreSQL spelling, with sqlite.EXTRA_INDEXES (lineage lookups)
    # built in: no PostgreSQL inventory predates them. "C" collation: ISO 8601 and hex strings
    # compare and sort bytewise, as in SQLite and the JSON store, whatever the server locale.
    for statement in '''
        CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS ra_profiles (name TEXT COLLATE "C" PRIMARY KEY, data TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS token_profiles (name TEXT COLLATE "C" PRIMARY KEY, data TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS certificates (
            uuid TEXT COLLATE "C" PRIMARY KEY, ra_profile TEXT COLLATE "C", state TEXT COLLATE "C",
            identity TEXT COLLATE "C", serial TEXT COLLATE "C", fingerprint_sha256 TEXT COLLATE "C",
            spki_sha256 TEXT COLLATE "C", subject TEXT COLLATE "C", not_after TEXT COLLATE "C",
            renewed_from TEXT COLLATE "C", rekeyed_from TEXT COLLATE "C",
            created_at TEXT COLLATE "C", data TEXT NOT NULL);
        CREATE INDEX IF NOT EXISTS certificates_identity ON certificates (identity);
        CREATE INDEX IF NOT EXISTS certificates_ra_profile ON certificates (ra_profile);
        CREATE INDEX IF NOT EXISTS certificates_serial ON certificates (serial);
        CREATE INDEX IF NOT EXISTS certificates_not_after ON certificates (not_after);
        CREATE INDEX IF NOT EXISTS certificates_state ON certificates (state);
        CREATE INDEX IF NOT EXISTS certificates_renewed_from ON certificates (renewed_from);
        CREATE INDEX IF NOT EXISTS certificates_rekeyed_from ON certificates (rekeyed_from);
        CREATE TABLE IF NOT EXISTS events (
            id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, time TEXT, operation TEXT,
            result TEXT, certificate_uuid TEXT COLLATE "C", ra_profile TEXT, who TEXT,
            data TEXT NOT NULL);
        CREATE INDEX IF NOT EXISTS events_certificate_uuid ON events (certificate_uuid)
    '''.split(';'):
        conn.execute(statement)


def _schema_v2(conn):
    conn.execute('CREATE INDEX IF NOT EXISTS certificates_fingerprint ON certificates (fingerprint_sha256)')


# (version, step), as in sqlite.MIGRATIONS: a new schema version adds a step to both stores.
MIGRATIONS = ((1, _schema_v1), (2, _schema_v2))


def application_name(who):
    """What a connection of writer ``who`` shows in pg_stat_activity (63 bytes at most)."""
    return (APPLICATION_PREFIX + who).encode('utf-8')[:63].decode('utf-8', 'ignore')


class _Connection(object):
    """A psycopg connection that takes ``?`` placeholders, so that base.SqlTransaction's
    SQL runs here unchanged (none of it holds a literal ``?`` or ``%``)."""

    def __init__(self, conn):
        self._conn = conn

    def execute(self, sql, params=None):
        return self._conn.execute(sql.replace('?', '%s'), params if params else None)


class PostgresqlTransaction(SqlTransaction):
    """The SQL stores' transaction in PostgreSQL's spelling: upsert, RETURNING, jsonb labels."""

    def _upsert(self, table, columns, values):
        self._conn.execute('INSERT INTO %s (%s) VALUES (%s) ON CONFLICT (%s) DO UPDATE SET %s'
                           % (table, ', '.join(columns), ', '.join('?' * len(columns)), columns[0],
                              ', '.join('%s = EXCLUDED.%s' % (c, c) for c in columns[1:])), values)

    def _insert_event(self, columns, values):
        return self._conn.execute('INSERT INTO events (%s) VALUES (%s) RETURNING id'
                                  % (', '.join(columns), ', '.join('?' * len(columns))), values).fetchone()[0]

    def find_certificates(self, *args, **filters):
        given = dict(zip(('uuid', 'ra_profile', 'state', 'states'), args))
        given.update(filters)
        labels = given.pop('labels', None)
        if isinstance(given.get('states'), str):
            given['states'] = [given['states']]
        if given.get('states') is not None and not given['states']:
            return []  # no state at all: nothing matches
        where, params = sql_filters(**given)
        if labels:
            # Containment of {key: value} is equality of each label, any key spelled as data.
            where.append("(data::jsonb -> 'labels') @> ?::jsonb")
            params.append(json.dumps(labels))
        sql = 'SELECT data FROM certificates'
        if where:
            sql += ' WHERE ' + ' AND '.join(where)
        # NULLs first, as SQLite and the JSON store order them.
        return self._all(sql + ' ORDER BY created_at NULLS FIRST, uuid', params)

    def writer_alive(self, who):
        """Whether the writer ``who`` (a record's ``requested_by``) is still connected."""
        row = self._conn.execute('SELECT EXISTS (SELECT 1 FROM pg_stat_activity '
                                 'WHERE application_name = ?)', (application_name(who),)).fetchone()
        return bool(row[0])


class PostgresqlStore(InventoryStore):
    """The inventory in the PostgreSQL database ``url`` names (tables created on first use)."""

    lock_holder = "the session holding the pki.lifecycle advisory lock (pg_locks, locktype 'advisory')"
    NEWER_SCHEMA_ADVICE = ('upgrade the collection, on every controller that uses this inventory, to a '
                           'version that knows schema %(version)d')

    def __init__(self, url, password=None, timeout=None, who=None):
        self.url = self.location = without_password(url.strip())
        self.timeout = busy_timeout() if timeout is None else timeout
        self._conn = None
        if not HAS_PSYCOPG:
            raise InventoryError("The inventory %s needs the Python library psycopg (version 3), "
                                 "which is not installed on the controller." % self.url,
                                 "Install it in Ansible's Python: pip install 'psycopg[binary]'.")
        self._connect(url, password, who)
        try:
            self._initialise()
        except BaseException:
            self.close()
            raise

    def _connect(self, url, password, who):
        kwargs = dict(autocommit=False, application_name=application_name(who or 'unknown'))
        if 'connect_timeout' not in url:
            kwargs['connect_timeout'] = DEFAULT_CONNECT_TIMEOUT
        if password:
            kwargs['password'] = password
        try:
            self._conn = psycopg.connect(url, **kwargs)
        except psycopg.Error as exc:
            raise self._connect_error(exc)
        self._sql = _Connection(self._conn)

    def _connect_error(self, exc):
        reason = (str(exc).strip().splitlines() or ['unknown error'])[-1].strip()
        text = str(exc)
        if 'password authentication failed' in text or 'no password supplied' in text \
                or 'password is required' in text:
            return self.error("refused the login: %s." % reason,
                              "Check the user in the URL and the password in inventory_password "
                              "(or PKI_LIFECYCLE_INVENTORY_PASSWORD / PGPASSWORD / ~/.pgpass).")
        if 'does not exist' in text:
            return self.error("cannot be opened: %s." % reason,
                              "Create the database (CREATE DATABASE ... OWNER ...) or fix the "
                              "URL; pki.lifecycle creates its tables but not the database.")
        if 'SSL' in text or 'certificate' in text:
            return self.error("cannot be reached over TLS: %s." % reason,
                              "Check sslmode and sslrootcert (the CA bundle) in the URL.")
        return self.error("cannot be reached: %s." % reason,
                          "Check that the PostgreSQL server is running and reachable at the "
                          "host and port in the URL (and any firewall between).")

    def set_writer(self, who):
        """Announce who writes through this connection (see ``writer_alive``)."""
        self._conn.execute("SELECT set_config('application_name', %s, false)",
                           (application_name(who),))
        self._conn.commit()

    # ---- schema ---------------------------------------------------------------------------

    def _read_version(self, sql):
        row = sql.execute("SELECT to_regclass('meta') IS NOT NULL").fetchone()
        if not row[0]:
            others = [r[0] for r in sql.execute(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = current_schema() AND table_name IN (%s)"
                % ', '.join("'%s'" % t for t in TABLES[1:]))]
            if others:
                raise self.error("holds tables (%s) but no pki.lifecycle meta table."
                                 % ', '.join(sorted(others)),
                                 "Point `inventory` at a new database or schema; this one was "
                                 "left unchanged.")
            return 0
        return self.check_schema_row(
            sql.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone())

    def _initialise(self):
        with self._transaction(write=False, check=False) as tx:
            if self._read_version(tx._conn) == SCHEMA_VERSION:
                return
        with self._transaction(write=True, check=False) as tx:
            version = self._read_version(tx._conn)  # another controller may have migrated
            run_migrations(MIGRATIONS, tx._conn, version)
            tx._conn.execute("INSERT INTO meta (key, value) VALUES ('schema_version', ?) "
                             "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
                             (str(SCHEMA_VERSION),))

    # ---- transactions ---------------------------------------------------------------------

    def _failed(self, exc, write):
        if isinstance(exc, (pg_errors.LockNotAvailable, pg_errors.QueryCanceled)):
            return self.locked_error()
        if isinstance(exc, psycopg.OperationalError) or self._conn.closed:
            return self.error("was lost during a transaction: %s."
                              % (str(exc).strip().splitlines() or ['?'])[-1],
                              "Nothing of this transaction was written; check the server and "
                              "run again.")
        return self.error("could not be %s: %s." % ('written' if write else 'read',
                                                    str(exc).strip()),
                          "Nothing of this transaction was written.")

    @contextlib.contextmanager
    def _transaction(self, write, check=True):
        conn, sql = self._conn, self._sql
        try:
            if write:
                # lock_timeout bounds the wait for the advisory lock (0 would mean forever).
                sql.execute('SET LOCAL lock_timeout = %d' % max(1, int(self.timeout * 1000)))
                sql.execute('SELECT pg_advisory_xact_lock(%d, %d)' % (LOCK_CLASS, LOCK_WRITE))
                if check:
                    self._read_version(sql)  # a newer controller may have migrated meanwhile
            else:
                sql.execute('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY')
        except psycopg.Error as exc:
            self._rollback()
            raise self._failed(exc, write)
        except BaseException:
            self._rollback()
            raise
        try:
            yield PostgresqlTransaction(sql, write)
        except BaseException as exc:
            self._rollback()
            if isinstance(exc, psycopg.Error):
                raise self._failed(exc, write)
            raise
        try:
            conn.commit()
        except psycopg.Error as exc:
            self._rollback()
            raise self._failed(exc, write)

    def _rollback(self):
        try:
            if not self._conn.closed:
                self._conn.rollback()
        except psycopg.Error:
            pass

    def transaction(self, write=True):
        if self._conn is None or self._conn.closed:
            raise self.closed_error()
        return self._transaction(write)

    def close(self):
        if self._conn is not None:
            try:
                self._conn.close()
            finally:
                self._conn = None
