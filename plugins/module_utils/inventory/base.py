# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The inventory store interface.

Every store (sqlite, json, postgresql) keeps four collections of plain dicts:
RA profiles and token profiles (keyed by ``name``), certificates (keyed by ``uuid``)
and an append-only event log. All access goes through a transaction::

    with store.transaction() as tx:          # exclusive: one writer at a time
        rec = tx.get_certificate(uuid)
        tx.put_certificate(rec)
        tx.add_event({...})
    with store.transaction(write=False) as tx:  # consistent read, no lock held for long

A transaction that raises is rolled back and leaves the store exactly as it was
(byte for byte for JSON, row for row for SQL). Nothing in a record is ever a secret.

What the stores share lives here too, written once: the busy timeout, the key check of a
record, the write guard of read transactions, the migration loop, the errors (with their
messages) for a newer or broken schema version, a lock held too long, a closed store, a file
that is a directory or unreadable; and for the two SQL stores their columns, filters and
transaction (``SqlTransaction``), which each spells in its own dialect where SQL differs.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import errno
import os
import re

from ansible_collections.pki.lifecycle.plugins.module_utils.errors import InventoryError

# 2: state 'discovered', fields locations/origin/replaceable/adoption (discovery, issue 15),
#    an index on fingerprint_sha256 (discovery finds records by fingerprint).
SCHEMA_VERSION = 2
DEFAULT_BUSY_TIMEOUT = 30.0
BUG_HINT = "This is a bug in pki.lifecycle; please report it."

# Fields of a certificate record. Stores persist every one of them (lists and dicts as JSON);
# unknown keys are kept too (the SQL stores keep each record whole in its ``data`` column).
CERTIFICATE_FIELDS = (
    'uuid',               # str, uuid4
    'ra_profile',         # str
    'state',              # 'requested' | 'issued' | 'revoked' | 'failed' | 'discovered' (schema 2)
    'identity',           # str, sha256 hex of the request identity (lifecycle.request.request_identity())
    'serial',             # str, lowercase hex without colons, or None while requested
    'issuer',             # str, RFC 4514
    'subject',            # str, RFC 4514
    'subject_alt_names',  # list of 'DNS:x', 'IP:x', 'email:x', 'URI:x'
    'not_before',         # str, ISO 8601 UTC '2026-11-25T16:30:00Z'
    'not_after',          # str, same
    'fingerprint_sha256',  # str, lowercase hex
    'spki_sha256',        # str, lowercase hex of the SubjectPublicKeyInfo DER
    'key_source',         # 'csr' | 'token'
    'token_profile',      # str or None
    'key_ref',            # str or None: key name inside the token profile, never the key
    'certificate_pem',    # str or None
    'chain_pem',          # str ('' when none)
    'csr_pem',            # str
    'renewed_from',       # uuid or None
    'rekeyed_from',       # uuid or None
    'revocation_reason',  # str or None (RFC 5280 name)
    'revoked_at',         # str ISO 8601 or None
    'labels',             # dict str -> str
    'failure_reason',     # str or None
    'connector_data',     # dict, connector-specific, no secrets (e.g. ACME order URL)
    'requested_by',       # str, 'user@host:pid' of the writer of the 'requested' record
    'request_attributes',  # dict: extensions, signature_algorithm, digest of a token-key CSR
    'created_at',         # str ISO 8601
    'updated_at',         # str ISO 8601
    # schema 2 (discovery): absent in older records, read as the defaults in brackets
    'locations',          # list of dicts: where the certificate was found (discovery/inventory.py) [[]]
    'origin',             # 'discovered' when the record was created by discovery ['issued']
    'replaceable',        # True: adopted from another CA; renewal issues through the profile [False]
    'adoption',           # dict: when and how a discovered record was bound to an RA profile [None]
)

RA_PROFILE_FIELDS = (
    'name', 'enabled', 'description', 'connector', 'connector_options',
    'issue_attributes', 'revoke_attributes', 'policy', 'created_at', 'updated_at',
)

TOKEN_PROFILE_FIELDS = ('name', 'type', 'options', 'created_at', 'updated_at')

EVENT_FIELDS = (
    'id',                 # int, assigned by the store, increasing
    'time',               # str ISO 8601
    'operation',          # 'issue', 'renew', 'rekey', 'revoke', 'ra_profile', ...
    'result',             # 'changed', 'unchanged', 'failed', 'requested'
    'message',            # str
    'certificate_uuid',   # str or None
    'ra_profile',         # str or None
    'who',                # str, 'user@host:pid'
)


def busy_timeout():
    """Seconds a writer waits for another one: $PKI_LIFECYCLE_BUSY_TIMEOUT or 30."""
    value = os.environ.get('PKI_LIFECYCLE_BUSY_TIMEOUT')
    if value in (None, ''):
        return DEFAULT_BUSY_TIMEOUT
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1
    if seconds < 0:
        raise InventoryError("PKI_LIFECYCLE_BUSY_TIMEOUT=%r is not a number of seconds." % value,
                             "Set it to a number such as 30, or unset it.")
    return seconds


def record_key(record, key):
    """The key (``name`` or ``uuid``) of a record to store; refuses a record without one."""
    value = record.get(key) if isinstance(record, dict) else None
    if not isinstance(value, str) or not value:
        raise InventoryError("Cannot store a record without a %s (it has %s)."
                             % (key, sorted(record) if isinstance(record, dict) else record), BUG_HINT)
    return value


def run_migrations(migrations, target, from_version):
    """Apply each (version, step) of ``migrations`` above ``from_version`` to ``target`` (a
    connection or a document), in order. Each store's MIGRATIONS: never edit a step, add one."""
    for version, step in migrations:
        if version > from_version:
            step(target)


def without_password(url):
    """``url`` with any password (user:password@ or a password= parameter) removed: how a
    URL is shown (messages, results, ``InventoryStore.url``)."""
    match = re.match(r'^([A-Za-z][A-Za-z0-9+.-]*://)([^?#]*)(.*)$', url, re.S)
    if match and '@' in match.group(2):
        scheme, head, query = match.groups()
        # The last @ before the query: an unencoded password may hold '@' or '/'.
        userinfo, hostpath = head.rsplit('@', 1)
        url = '%s%s@%s%s' % (scheme, userinfo.split(':', 1)[0], hostpath, query)
    return re.sub(r'([?&;]password=)[^&;#]*', r'\1***', url, flags=re.I)


class InventoryStore(object):
    """Opened from an ``inventory`` string by ``inventory.open_store(url)``.

    ``location`` is how messages name the store: the file's path, or the URL without a
    password."""

    url = None
    location = None
    timeout = None   # seconds a writer waits for the write lock (busy_timeout())
    # What a user looks for when the write lock is held too long (see locked_error).
    lock_holder = 'the process holding it'
    # What to do about a schema newer than this collection's (see newer_schema_error).
    NEWER_SCHEMA_ADVICE = 'upgrade the collection'

    def error(self, problem, hint):
        return InventoryError("The inventory %s %s" % (self.location, problem), hint)

    def locked_error(self):
        return self.error("is locked by another writer (waited %g s)." % self.timeout,
                          "Retry, find %s, or raise PKI_LIFECYCLE_BUSY_TIMEOUT." % self.lock_holder)

    def closed_error(self):
        return InventoryError("The inventory %s is closed." % self.location, BUG_HINT)

    def newer_schema_error(self, version):
        advice = self.NEWER_SCHEMA_ADVICE % {'version': version}
        return self.error("was written by a newer pki.lifecycle (schema %d, this one knows %d): %s."
                          % (version, SCHEMA_VERSION, advice), "Nothing was written to it.")

    def check_schema_row(self, row):
        """The schema version in a ``meta`` row of an SQL store; refuses a bad or newer one."""
        try:
            version = int(row[0])
        except (TypeError, ValueError):
            raise self.error("has no valid schema_version in its meta table.",
                             "Restore it from a backup; it was left unchanged.")
        if version > SCHEMA_VERSION:
            raise self.newer_schema_error(version)
        return version

    def directory_error(self, example):
        return self.error("is a directory.", "Point `inventory` at a file inside it, for example %s."
                          % os.path.join(self.location, example))

    def unreadable_error(self, exc):
        return self.os_error(exc, "cannot be read: %s." % exc.strerror, "Fix its permissions.")

    def os_error(self, exc, problem, hint):
        """``problem``/``hint`` for ``exc``, unless a component of the path is a regular file
        (ENOTDIR), which permissions cannot fix: then say which one."""
        if getattr(exc, 'errno', None) != errno.ENOTDIR:
            return self.error(problem, hint)
        parent = os.path.dirname(os.path.abspath(getattr(self, 'path', '') or '.'))
        while parent and not os.path.exists(parent) and os.path.dirname(parent) != parent:
            parent = os.path.dirname(parent)
        while parent and os.path.exists(parent) and not os.path.isfile(parent) and os.path.dirname(parent) != parent:
            parent = os.path.dirname(parent)
        return self.error("cannot be opened: a component of its path, %s, is a regular file, not a directory."
                          % parent, "Point `inventory` at a path whose directories are directories (or move "
                          "the file %s away)." % parent)

    def transaction(self, write=True):
        """Context manager yielding an ``InventoryTransaction``."""
        raise NotImplementedError

    def close(self):
        pass

    def set_writer(self, who):
        """Tell the store who writes through it ('user@host:pid'); see writer_alive."""


class InventoryTransaction(object):
    _write = True

    def _writable(self):
        """The write guard: a read transaction refuses every write."""
        if not self._write:
            raise InventoryError("Cannot write in a read-only inventory transaction.",
                                 "This is a bug in pki.lifecycle; use transaction(write=True).")

    # RA profiles
    def get_ra_profile(self, name):
        """dict or None"""
        raise NotImplementedError

    def put_ra_profile(self, profile):
        """insert or replace by name"""
        raise NotImplementedError

    def delete_ra_profile(self, name):
        raise NotImplementedError

    def list_ra_profiles(self):
        raise NotImplementedError

    # token profiles
    def get_token_profile(self, name):
        raise NotImplementedError

    def put_token_profile(self, profile):
        raise NotImplementedError

    def delete_token_profile(self, name):
        raise NotImplementedError

    def list_token_profiles(self):
        raise NotImplementedError

    # certificates
    def get_certificate(self, uuid):
        raise NotImplementedError

    def put_certificate(self, record):
        """insert or replace by uuid"""
        raise NotImplementedError

    def delete_certificate(self, uuid):
        """Remove a record. Only used to undo a 'requested' reservation the CA never saw."""
        raise NotImplementedError

    def find_certificates(self, uuid=None, ra_profile=None, state=None, states=None,
                          identity=None, serial=None, fingerprint_sha256=None,
                          spki_sha256=None, subject=None, labels=None,
                          not_after_before=None, renewed_from=None, rekeyed_from=None):
        """List of records matching every given filter (None = any).

        ``states`` is a list; ``labels`` a dict every key/value of which the record's
        labels must contain; ``not_after_before`` an ISO 8601 string (records with
        not_after < it). Ordered by created_at, then uuid.
        """
        raise NotImplementedError

    def lineage_links(self, uuids=None):
        """(uuid, created_at, renewed_from, rekeyed_from, state) of every record, in any state,
        that names one of ``uuids`` (None: any record) in ``renewed_from`` or ``rekeyed_from``.
        From the lineage indexes, without reading the records (the due sweep's lineage heads)."""
        raise NotImplementedError

    def successors(self, uuids=None):
        """{uuid: its newest successor's uuid} for each of ``uuids`` (None: every record) that
        an issued or revoked record names in ``renewed_from`` or ``rekeyed_from``: what makes
        a certificate superseded, derived at read time. Newest: created_at, then uuid, as
        lifecycle.records.lineage_head orders. Uses the lineage indexes, never the records."""
        raise NotImplementedError

    # event log (append only)
    def add_event(self, event):
        raise NotImplementedError

    def list_events(self, certificate_uuid=None, limit=None):
        raise NotImplementedError

    # liveness of other writers (crash recovery)
    def writer_alive(self, who):
        """True/False when the store knows whether writer ``who`` (a record's requested_by)
        is still running, None when it cannot tell (file stores: lifecycle checks the pid)."""
        return None


# find_certificates filters that are plain equality on one field (every store).
EQUALITY_FILTERS = ('uuid', 'ra_profile', 'state', 'identity', 'serial', 'fingerprint_sha256',
                    'spki_sha256', 'subject', 'renewed_from', 'rekeyed_from')


# The states of a record that replaces its predecessor (a requested or failed one does not yet).
SUCCESSOR_STATES = ('issued', 'revoked')
# uuids per successors() query: two IN lists under SQLite's oldest limit of 999 parameters.
SUCCESSOR_CHUNK = 400


def newest_successors(links, wanted=None):
    """successors()'s answer from ``links``: (uuid, created_at, renewed_from, rekeyed_from,
    state) of records that name a predecessor; ``wanted``: the predecessors asked about."""
    best = {}
    for uuid, created_at, renewed_from, rekeyed_from, state in links:
        if state not in SUCCESSOR_STATES:
            continue
        key = (created_at or '', uuid)
        for parent in (renewed_from, rekeyed_from):
            if parent and (wanted is None or parent in wanted) and (parent not in best or key > best[parent][0]):
                best[parent] = (key, uuid)
    return dict((parent, found[1]) for parent, found in best.items())
