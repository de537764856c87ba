# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""JSON file inventory store: one human-readable document, for small setups and for git.

    {"schema_version": 1, "ra_profiles": {name: profile}, "token_profiles": {name: profile},
     "certificates": {uuid: record}, "events": [event, ...]}

A write transaction holds an exclusive ``flock`` on the sidecar ``<path>.lock`` from load to
save, so read-modify-write cycles of concurrent writers never interleave. The file itself is
only ever replaced whole (temp file, fsync, rename, fsync of the directory): a reader or a
crash sees the old document or the new one, never half of one, so readers take no lock. A
transaction that raises, or changes nothing, does not touch the file.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import contextlib
import fcntl
import json
import os
import stat
import time

from ansible_collections.pki.lifecycle.plugins.module_utils.inventory.base import (
    EQUALITY_FILTERS, SCHEMA_VERSION, InventoryStore, InventoryTransaction, busy_timeout, newest_successors,
    record_key, run_migrations,
)
from ansible_collections.pki.lifecycle.plugins.module_utils.vocabulary import write_atomic

COLLECTIONS = (('ra_profiles', dict), ('token_profiles', dict), ('certificates', dict),
               ('events', list))


def _v2(doc):
    # Schema 2 adds record fields with defaults (base.CERTIFICATE_FIELDS) and the 'discovered'
    # state; a JSON document needs no rewrite, only the version that keeps older code out.
    return doc


# (version, step): step(doc) upgrades a document at version - 1 to version, in place.
# Version 1 is the baseline; never edit a step, add one.
MIGRATIONS = ((2, _v2),)


def _migrate(doc, from_version):
    run_migrations(MIGRATIONS, doc, from_version)
    doc['schema_version'] = SCHEMA_VERSION


def _empty():
    doc = dict((key, kind()) for key, kind in COLLECTIONS)
    doc['schema_version'] = SCHEMA_VERSION
    return doc


@contextlib.contextmanager
def _no_lock():
    yield


def _copy(value):
    """A private, JSON-typed copy: callers may mutate what they pass or get back."""
    return json.loads(json.dumps(value))


class JsonTransaction(InventoryTransaction):

    def __init__(self, doc, write):
        self._doc = doc
        self._write = write
        self.changed = False

    def _get(self, collection, key):
        value = self._doc[collection].get(key)
        return None if value is None else _copy(value)

    def _put(self, collection, key_field, record):
        self._writable()
        key, record = record_key(record, key_field), _copy(record)
        if self._doc[collection].get(key) != record:
            self._doc[collection][key] = record
            self.changed = True

    def _delete(self, collection, name):
        self._writable()
        if self._doc[collection].pop(name, None) is None:
            return False
        self.changed = True
        return True

    def _list(self, collection):
        return [_copy(self._doc[collection][k]) for k in sorted(self._doc[collection])]

    def get_ra_profile(self, name):
        return self._get('ra_profiles', name)

    def put_ra_profile(self, profile):
        self._put('ra_profiles', 'name', profile)

    def delete_ra_profile(self, name):
        return self._delete('ra_profiles', name)

    def list_ra_profiles(self):
        return self._list('ra_profiles')

    def get_token_profile(self, name):
        return self._get('token_profiles', name)

    def put_token_profile(self, profile):
        self._put('token_profiles', 'name', profile)

    def delete_token_profile(self, name):
        return self._delete('token_profiles', name)

    def list_token_profiles(self):
        return self._list('token_profiles')

    def get_certificate(self, uuid):
        return self._get('certificates', uuid)

    def put_certificate(self, record):
        self._put('certificates', 'uuid', record)

    def delete_certificate(self, uuid):
        return self._delete('certificates', uuid)

    def find_certificates(self, uuid=None, ra_profile=None, state=None, states=None,
                          identity=None, serial=None, fingerprint_sha256=None,
                          spki_sha256=None, subject=None, labels=None,
                          not_after_before=None, renewed_from=None, rekeyed_from=None):
        given = locals()
        equal = dict((k, given[k]) for k in EQUALITY_FILTERS if given[k] is not None)
        if isinstance(states, str):
            states = [states]
        found = []
        for record in self._doc['certificates'].values():
            if any(record.get(k) != v for k, v in equal.items()):
                continue
            if states is not None and record.get('state') not in states:
                continue
            if not_after_before is not None:
                not_after = record.get('not_after')
                if not isinstance(not_after, str) or not not_after < not_after_before:
                    continue
            if labels:
                have = record.get('labels')
                have = have if isinstance(have, dict) else {}
                if any(k not in have or have[k] != v for k, v in labels.items()):
                    continue
            found.append(record)
        # Same order as SQL's ORDER BY created_at, uuid (NULLs first).
        found.sort(key=lambda r: (r.get('created_at') is not None, r.get('created_at') or '',
                                  r.get('uuid')))
        return [_copy(r) for r in found]

    def lineage_links(self, uuids=None):
        wanted = None if uuids is None else set(uuids)
        return [(r.get('uuid'), r.get('created_at'), r.get('renewed_from'), r.get('rekeyed_from'), r.get('state'))
                for r in self._doc['certificates'].values() if (r.get('renewed_from') or r.get('rekeyed_from'))
                and (wanted is None or r.get('renewed_from') in wanted or r.get('rekeyed_from') in wanted)]

    def successors(self, uuids=None):
        return newest_successors(self.lineage_links(uuids), None if uuids is None else set(uuids))

    def add_event(self, event):
        """Append ``event``; returns the id the store gave it."""
        self._writable()
        events = self._doc['events']
        event = _copy(event)
        event['id'] = events[-1]['id'] + 1 if events else 1
        events.append(event)
        self.changed = True
        return event['id']

    def list_events(self, certificate_uuid=None, limit=None):
        events = self._doc['events']
        if certificate_uuid is not None:
            events = [e for e in events if e.get('certificate_uuid') == certificate_uuid]
        if limit is not None:
            # The newest ``limit`` events, oldest first like the full log.
            events = events[len(events) - int(limit):] if int(limit) > 0 else []
        return [_copy(e) for e in events]


class JsonStore(InventoryStore):
    """The inventory in the JSON file at ``path`` (created 0600 with its directory)."""

    def __init__(self, path, timeout=None):
        # The real path, so that two names of one file share one lock file.
        self.path = self.location = os.path.realpath(os.path.abspath(os.path.expanduser(path)))
        self.url = 'json://' + self.path
        self.lock_path = self.path + '.lock'
        self.lock_holder = 'the process holding %s' % self.lock_path
        self.timeout = busy_timeout() if timeout is None else timeout

    @contextlib.contextmanager
    def _write_lock(self):
        directory = os.path.dirname(self.path)
        try:
            if not os.path.isdir(directory):
                os.makedirs(directory, 0o700, exist_ok=True)
            fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise self.os_error(exc, "cannot be locked: %s: %s."
                                % (exc.filename or self.lock_path, exc.strerror),
                                "Make %s writable by this user, or point `inventory` "
                                "elsewhere." % directory)
        try:
            # Poll rather than block, so that a stuck writer becomes an error, not a hang.
            deadline, delay = time.monotonic() + self.timeout, 0.0005
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise self.locked_error()
                    time.sleep(delay)
                    delay = min(delay * 2, 0.01)
            yield
        finally:
            os.close(fd)  # releases the lock

    def _load(self):
        try:
            with open(self.path, 'rb') as handle:
                raw = handle.read()
        except FileNotFoundError:
            return _empty()
        except IsADirectoryError:
            raise self.directory_error('inventory.json')
        except OSError as exc:
            raise self.unreadable_error(exc)
        if not raw:
            return _empty()  # an empty file (e.g. from touch) is a new inventory
        fix = ("Repair it by hand or restore it from a backup (pki.lifecycle left it "
               "unchanged), or point `inventory` at another file.") + self._restore_candidates()
        try:
            doc = json.loads(raw.decode('utf-8'))
        except UnicodeDecodeError as exc:
            raise self.error("is not UTF-8 text (byte %d)." % exc.start, fix)
        except ValueError as exc:
            raise self.error("is not valid JSON: %s at line %d, column %d."
                             % (exc.msg, exc.lineno, exc.colno), fix)
        if not isinstance(doc, dict) or 'schema_version' not in doc:
            raise self.error("is not a pki.lifecycle inventory: the top level must be an object "
                             "with a schema_version.", fix)
        version = doc['schema_version']
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise self.error("has an invalid schema_version %r." % (version,), fix)
        if version > SCHEMA_VERSION:
            raise self.newer_schema_error(version)
        for key, kind in COLLECTIONS:
            value = doc.setdefault(key, kind())
            items = value.values() if isinstance(value, dict) else value
            if not isinstance(value, kind) or not all(isinstance(i, dict) for i in items):
                raise self.error("is not a pki.lifecycle inventory: %r must be an %s of objects."
                                 % (key, 'object' if kind is dict else 'array'), fix)
        if not all(isinstance(e.get('id'), int) for e in doc['events']):
            raise self.error("has an event without an integer id.", fix)
        if version < SCHEMA_VERSION:
            _migrate(doc, version)  # written back with the next change
        return doc

    def _restore_candidates(self):
        """For a damaged file: the copies beside it a crash may have left (our temp files
        ``.<name>.*.tmp``, ``<name>.bak``, ``<name>~``), each said to be whole or not."""
        directory, name = os.path.split(self.path)
        try:
            names = sorted(n for n in os.listdir(directory)
                           if (n.startswith('.%s.' % name) and n.endswith('.tmp'))
                           or n in (name + '.bak', name + '~'))
        except OSError:
            return ''
        found = []
        for candidate in names:
            path = os.path.join(directory, candidate)
            try:
                modified = time.strftime('%Y-%m-%d %H:%M:%S', time.localtime(os.path.getmtime(path)))
                with open(path, 'rb') as handle:
                    doc = json.loads(handle.read().decode('utf-8'))
                whole = isinstance(doc, dict) and 'schema_version' in doc
                state = ('a whole inventory, %d certificates' % len(doc.get('certificates') or {})
                         if whole else 'not an inventory')
            except OSError:
                continue
            except ValueError:
                state = 'damaged too'
            found.append('%s (%s, modified %s)' % (path, state, modified))
        if not found:
            return ''
        return ' Copies found beside it, left by an interrupted write: %s; move the right one ' \
               'over %s.' % ('; '.join(found), self.path)

    def _save(self, doc):
        data = (json.dumps(doc, indent=2, sort_keys=True) + '\n').encode('utf-8')
        directory = os.path.dirname(self.path)
        try:
            mode = stat.S_IMODE(os.stat(self.path).st_mode)  # keep a mode the user chose
        except FileNotFoundError:
            mode = 0o600
        try:
            # Temp name .<name>.*.tmp: what _restore_candidates offers after a crash.
            write_atomic(self.path, data, mode, prefix='.%s.' % os.path.basename(self.path), suffix='.tmp')
        except OSError as exc:
            raise self.error("could not be written: %s." % exc.strerror,
                             "Nothing was changed; check disk space and permissions of %s."
                             % directory)
        try:
            dir_fd = os.open(directory, os.O_RDONLY)
            try:
                os.fsync(dir_fd)  # make the rename itself durable
            finally:
                os.close(dir_fd)
        except OSError:
            pass  # committed already; some filesystems cannot fsync a directory

    @contextlib.contextmanager
    def transaction(self, write=True):
        """Write: exclusive lock from load to save. Read: no lock at all, as with SQLite WAL
        readers: the file is only ever replaced whole, so one read is one committed state,
        and a long write transaction does not stall readers."""
        with self._write_lock() if write else _no_lock():
            tx = JsonTransaction(self._load(), write)
            yield tx  # an exception here propagates and nothing is saved
            if tx.changed:
                self._save(tx._doc)
