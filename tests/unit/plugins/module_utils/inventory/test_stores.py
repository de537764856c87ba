# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One suite for every inventory store.

Tests take ``store_factory``: calling it opens a new store on the same inventory. It also
carries ``kind``, ``spec`` (the ``inventory`` string) and ``snapshot()`` (everything stored,
for "nothing changed" checks). A new store kind is one more entry in STORES and a branch in
the fixture; file-specific tests use ``file_store_factory``.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import multiprocessing
import os
import sqlite3
import stat
import threading
import time

import pytest

from ansible_collections.pki.lifecycle.plugins.module_utils.errors import InventoryError
from ansible_collections.pki.lifecycle.plugins.module_utils.inventory import postgresql as postgresql_store
from ansible_collections.pki.lifecycle.plugins.module_utils.inventory import sqlite as sqlite_store
from ansible_collections.pki.lifecycle.plugins.module_utils.inventory.base import SCHEMA_VERSION
from ansible_collections.pki.lifecycle.plugins.module_utils.inventory.stores import (
    default_path, describe, open_store, parse,
)

FILE_STORES = ['sqlite', 'json']
STORES = FILE_STORES + ['postgresql']
_PG_COUNTER = [0]


def _sqlite_rows(path):
    # Read-only URI: the snapshot itself must not change the file.
    conn = sqlite3.connect('file:%s?mode=ro' % path, uri=True)
    try:
        tables = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        return dict((t, conn.execute('SELECT * FROM "%s" ORDER BY 1' % t).fetchall())
                    for t in tables)
    finally:
        conn.close()


def _make_factory(kind, tmp_path):
    path = tmp_path / 'sub' / ('inventory.db' if kind == 'sqlite' else 'inventory.json')
    opened = []

    def factory():
        store = open_store(factory.spec)
        opened.append(store)
        return store

    def snapshot():
        if kind == 'json':
            return path.read_bytes() if path.exists() else None
        return _sqlite_rows(path)

    factory.kind, factory.path, factory.spec = kind, path, '%s://%s' % (kind, path)
    factory.snapshot = snapshot
    factory.opened = opened
    return factory


def _make_pg_factory(server):
    """A new empty database on the harness's PostgreSQL; snapshot() reads it with psql."""
    _PG_COUNTER[0] += 1
    name = 'suite_%d_%d' % (os.getpid(), _PG_COUNTER[0])
    opened = []

    def factory():
        store = open_store(factory.spec, password=server.password)
        opened.append(store)
        return store

    def snapshot():
        return dict((t, server.sql('SELECT * FROM %s ORDER BY 1' % t, db=name))
                    for t in ('meta', 'ra_profiles', 'token_profiles', 'certificates', 'events'))

    factory.kind, factory.path, factory.spec = 'postgresql', None, server.create_database(name)
    factory.password, factory.database, factory.server = server.password, name, server
    factory.snapshot = snapshot
    factory.opened = opened
    return factory


@pytest.fixture(params=STORES)
def store_factory(request, tmp_path):
    if request.param == 'postgresql':
        factory = _make_pg_factory(request.getfixturevalue('postgresql'))
    else:
        factory = _make_factory(request.param, tmp_path)
        factory.password = None
    yield factory
    for store in factory.opened:
        store.close()
    if factory.kind == 'postgresql':
        factory.server.drop_database(factory.database)


@pytest.fixture
def pg_factory(postgresql):
    factory = _make_pg_factory(postgresql)
    yield factory
    for store in factory.opened:
        store.close()
    postgresql.drop_database(factory.database)


@pytest.fixture(params=FILE_STORES)
def file_store_factory(request, tmp_path):
    factory = _make_factory(request.param, tmp_path)
    yield factory
    for store in factory.opened:
        store.close()


@pytest.fixture
def store(store_factory):
    return store_factory()


def cert(uuid, **fields):
    record = {
        'uuid': uuid, 'ra_profile': 'web', 'state': 'issued', 'identity': 'id-' + uuid,
        'serial': 'aa' + uuid, 'issuer': 'CN=CA', 'subject': 'CN=%s.example.org' % uuid,
        'subject_alt_names': ['DNS:%s.example.org' % uuid], 'not_before': '2026-01-01T00:00:00Z',
        'not_after': '2027-01-01T00:00:00Z', 'fingerprint_sha256': 'f' + uuid,
        'spki_sha256': 's' + uuid, 'key_source': 'csr', 'token_profile': None, 'key_ref': None,
        'certificate_pem': 'PEM', 'chain_pem': '', 'csr_pem': 'CSR', 'renewed_from': None,
        'rekeyed_from': None, 'revocation_reason': None, 'revoked_at': None, 'labels': {},
        'failure_reason': None, 'connector_data': {}, 'requested_by': 'me@here:1',
        'created_at': '2026-01-01T00:00:00Z', 'updated_at': '2026-01-01T00:00:00Z',
    }
    record.update(fields)
    return record


def event(n, uuid=None):
    return {'time': '2026-01-01T00:00:%02dZ' % n, 'operation': 'issue', 'result': 'changed',
            'message': 'event %d' % n, 'certificate_uuid': uuid, 'ra_profile': 'web',
            'who': 'me@here:1'}


# --- profiles -----------------------------------------------------------------------------

@pytest.mark.parametrize('which', ['ra_profile', 'token_profile'])
def test_profile_crud(store, which):
    get, put, delete = ('%s_%s' % (op, which) for op in ('get', 'put', 'delete'))
    lst = 'list_%ss' % which
    profile = {'name': 'web', 'enabled': True, 'policy': {'key_types': ['ec', 'rsa']},
               'options': {'dir': '/k'}, 'created_at': '2026-01-01T00:00:00Z', 'extra': [1, 2]}
    with store.transaction() as tx:
        assert getattr(tx, get)('web') is None
        getattr(tx, put)(profile)
        getattr(tx, put)({'name': 'api', 'enabled': False})
        profile['policy']['key_types'].append('mutated after put')
    with store.transaction(write=False) as tx:
        got = getattr(tx, get)('web')
        assert got['policy'] == {'key_types': ['ec', 'rsa']} and got['extra'] == [1, 2]
        got['policy']['key_types'].append('mutated after get')
        assert getattr(tx, get)('web')['policy'] == {'key_types': ['ec', 'rsa']}
        assert [p['name'] for p in getattr(tx, lst)()] == ['api', 'web']
    with store.transaction() as tx:
        getattr(tx, put)({'name': 'web', 'enabled': False})  # replace, not merge
        assert getattr(tx, get)('web') == {'name': 'web', 'enabled': False}
        assert getattr(tx, delete)('api') is True
        assert getattr(tx, delete)('api') is False
        assert getattr(tx, delete)('never') is False
    with store.transaction(write=False) as tx:
        assert getattr(tx, lst)() == [{'name': 'web', 'enabled': False}]


def test_profiles_are_separate_collections(store):
    with store.transaction() as tx:
        tx.put_ra_profile({'name': 'x', 'connector': 'local'})
    with store.transaction() as tx:
        assert tx.get_token_profile('x') is None
        assert tx.list_token_profiles() == []


def test_put_without_key_refused(store):
    with pytest.raises(InventoryError):
        with store.transaction() as tx:
            tx.put_certificate({'ra_profile': 'web'})
    with pytest.raises(InventoryError):
        with store.transaction() as tx:
            tx.put_ra_profile({'name': ''})


# --- certificates -------------------------------------------------------------------------

def test_certificate_crud(store_factory):
    store = store_factory()
    record = cert('c1', labels={'host': 'web1'}, future_field={'kept': True})
    with store.transaction() as tx:
        assert tx.get_certificate('c1') is None
        tx.put_certificate(record)
        record['labels']['host'] = 'mutated'
    other = store_factory()  # persisted, seen by another opener
    with other.transaction(write=False) as tx:
        got = tx.get_certificate('c1')
    assert got == cert('c1', labels={'host': 'web1'}, future_field={'kept': True})
    got['state'] = 'revoked'
    with store.transaction() as tx:
        assert tx.get_certificate('c1')['state'] == 'issued'
        tx.put_certificate(got)
    with other.transaction(write=False) as tx:
        assert tx.get_certificate('c1')['state'] == 'revoked'
        assert len(tx.find_certificates()) == 1
    with store.transaction() as tx:
        tx.put_certificate(cert('c2', state='requested'))
        assert tx.delete_certificate('c2') is True
        assert tx.delete_certificate('c2') is False
    with other.transaction(write=False) as tx:
        assert [r['uuid'] for r in tx.find_certificates()] == ['c1']


@pytest.fixture
def population(store):
    records = [
        cert('u1', created_at='2026-01-03T00:00:00Z', not_after='2026-03-01T00:00:00Z',
             labels={'host': 'web1', 'role': 'www'}),
        cert('u2', created_at='2026-01-01T00:00:00Z', state='revoked', ra_profile='api',
             labels={'host': 'web2', 'a.b"c': "it's"}),
        cert('u3', created_at='2026-01-02T00:00:00Z', not_after='2026-02-01T00:00:00Z',
             renewed_from='u1', identity='id-u1', labels={'host': 'web1'}),
        cert('u4', created_at='2026-01-02T00:00:00Z', state='requested', serial=None,
             not_after=None, rekeyed_from='u3', fingerprint_sha256=None, labels={}),
        cert('u5', created_at='2026-01-04T00:00:00Z', state='failed', subject='CN=same',
             labels={'host': 'web1', 'role': 'db'}),
    ]
    with store.transaction() as tx:
        for record in records:
            tx.put_certificate(record)
    return store


@pytest.mark.parametrize('filters, expected', [
    ({}, ['u2', 'u3', 'u4', 'u1', 'u5']),  # created_at, then uuid
    ({'uuid': 'u3'}, ['u3']),
    ({'uuid': 'nope'}, []),
    ({'ra_profile': 'api'}, ['u2']),
    ({'ra_profile': 'web'}, ['u3', 'u4', 'u1', 'u5']),
    ({'state': 'issued'}, ['u3', 'u1']),
    ({'states': ['requested', 'failed']}, ['u4', 'u5']),
    ({'states': []}, []),
    ({'state': 'issued', 'states': ['issued', 'revoked']}, ['u3', 'u1']),
    ({'identity': 'id-u1'}, ['u3', 'u1']),
    ({'serial': 'aau2'}, ['u2']),
    ({'fingerprint_sha256': 'fu5'}, ['u5']),
    ({'spki_sha256': 'su1'}, ['u1']),
    ({'subject': 'CN=same'}, ['u5']),
    ({'labels': {'host': 'web1'}}, ['u3', 'u1', 'u5']),
    ({'labels': {'host': 'web1', 'role': 'www'}}, ['u1']),
    ({'labels': {'role': 'nope'}}, []),
    ({'labels': {'a.b"c': "it's"}}, ['u2']),
    ({'labels': {}}, ['u2', 'u3', 'u4', 'u1', 'u5']),
    ({'not_after_before': '2026-03-01T00:00:00Z'}, ['u3']),  # strictly before; None never
    ({'not_after_before': '2026-03-01T00:00:01Z'}, ['u3', 'u1']),
    ({'not_after_before': '2030-01-01T00:00:00Z', 'state': 'issued',
      'labels': {'host': 'web1'}}, ['u3', 'u1']),
    ({'renewed_from': 'u1'}, ['u3']),
    ({'rekeyed_from': 'u3'}, ['u4']),
    ({'ra_profile': 'web', 'state': 'revoked'}, []),
])
def test_find_certificates(population, filters, expected):
    with population.transaction(write=False) as tx:
        found = tx.find_certificates(**filters)
    assert [r['uuid'] for r in found] == expected
    if found:
        assert found[0] == cert(found[0]['uuid'], **dict(
            (k, v) for k, v in found[0].items() if k != 'uuid'))


def test_find_returns_copies(population):
    with population.transaction() as tx:
        tx.find_certificates(uuid='u1')[0]['labels']['host'] = 'changed'
        assert tx.get_certificate('u1')['labels']['host'] == 'web1'


def test_due_query_uses_not_after_index():
    conn = sqlite3.connect(':memory:')
    sqlite_store._migrate(conn, 0)
    sql, params = sqlite_store.find_sql(not_after_before='2026-01-01T00:00:00Z')
    plan = ' '.join(str(row) for row in conn.execute('EXPLAIN QUERY PLAN ' + sql, params))
    assert 'certificates_not_after' in plan, plan


def _sqlite_columns_follow_data(path):
    """Every certificate row's columns say what its data says, and SQLite finds its indexes whole."""
    conn = sqlite3.connect('file:%s?mode=ro' % path, uri=True)
    try:
        columns = ('uuid',) + sqlite_store.CERTIFICATE_COLUMNS
        for row in conn.execute('SELECT %s, data FROM certificates' % ', '.join(columns)):
            data = json.loads(row[-1])
            assert dict(zip(columns, row[:-1])) == dict((c, data.get(c)) for c in columns)
        assert conn.execute('PRAGMA integrity_check').fetchall() == [('ok',)]
        return conn.execute('SELECT uuid, state, serial, ra_profile, renewed_from FROM certificates ORDER BY uuid').fetchall()
    finally:
        conn.close()


def test_sqlite_put_updates_in_place_or_replaces(tmp_path):
    # A reservation made issued changes only columns SQLite may update in place; a change to
    # a column put_certificate keeps (the RA profile, the lineage) must replace the row.
    path = tmp_path / 'inventory.db'
    store = open_store('sqlite://%s' % path)
    with store.transaction() as tx:
        tx.put_certificate(cert('c1', state='requested', serial=None, fingerprint_sha256=None))
        tx.put_certificate(cert('c2'))
    with store.transaction() as tx:
        tx.put_certificate(cert('c1', serial='aa01', not_after='2027-02-01T00:00:00Z'))
    assert _sqlite_columns_follow_data(path) == [('c1', 'issued', 'aa01', 'web', None), ('c2', 'issued', 'aac2', 'web', None)]
    with store.transaction() as tx:
        tx.put_certificate(cert('c1', serial='aa01', ra_profile='mail', renewed_from='c2'))
    assert _sqlite_columns_follow_data(path)[0] == ('c1', 'issued', 'aa01', 'mail', 'c2')
    with store.transaction(write=False) as tx:
        assert [r['uuid'] for r in tx.find_certificates(ra_profile='mail', renewed_from='c2')] == ['c1']
        assert tx.find_certificates(ra_profile='web', state='requested') == []
    store.close()


def test_sqlite_writer_takes_the_lock_once_free(tmp_path, monkeypatch):
    # The writer asks for the lock itself (SQLite's busy handler off meanwhile); once it has
    # it, the busy timeout is SQLite's again for the statements of its transaction.
    monkeypatch.setenv('PKI_LIFECYCLE_BUSY_TIMEOUT', '20')
    spec = 'sqlite://%s' % (tmp_path / 'inventory.db')
    waiter = open_store(spec)
    held, release = threading.Event(), threading.Event()

    def hold():   # in a thread of its own, with a connection of its own
        holder = open_store(spec)
        with holder.transaction() as tx:
            tx.put_certificate(cert('h1'))
            held.set()
            release.wait(20)
        holder.close()

    thread = threading.Thread(target=hold)
    thread.start()
    assert held.wait(20)
    threading.Timer(0.3, release.set).start()
    with waiter.transaction() as tx:
        assert tx.get_certificate('h1') is not None   # it waited for the holder's commit
        tx.put_certificate(cert('w1'))
        assert waiter._conn.execute('PRAGMA busy_timeout').fetchone()[0] == 20000
    thread.join(20)
    with waiter.transaction(write=False) as tx:
        assert sorted(r['uuid'] for r in tx.find_certificates()) == ['h1', 'w1']
    waiter.close()


def test_successors(population):
    # u3 (issued) renews u1; u4 (requested) rekeys u3: a pending renewal replaces nothing yet.
    with population.transaction(write=False) as tx:
        assert tx.successors(['u1', 'u2', 'u3', 'nope']) == {'u1': 'u3'}
        assert tx.successors() == {'u1': 'u3'}
        assert tx.successors([]) == {}
        # More uuids than one query takes (SUCCESSOR_CHUNK): asked in parts, answered whole.
        assert tx.successors(['x%d' % i for i in range(900)] + ['u1']) == {'u1': 'u3'}
    with population.transaction() as tx:
        # The newest successor (created_at, then uuid) wins; a revoked one counts, a failed one not.
        tx.put_certificate(cert('u6', created_at='2026-01-05T00:00:00Z', state='revoked', renewed_from='u1'))
        tx.put_certificate(cert('u7', created_at='2026-01-06T00:00:00Z', state='failed', rekeyed_from='u1'))
        tx.put_certificate(cert('u8', created_at='2026-01-06T00:00:00Z', rekeyed_from='u3'))
    with population.transaction(write=False) as tx:
        assert tx.successors(['u1', 'u3']) == {'u1': 'u6', 'u3': 'u8'}
        assert tx.successors() == {'u1': 'u6', 'u3': 'u8'}


def test_lineage_links(population):
    # Every record naming a predecessor, in any state (u4 is only requested), from the lineage
    # columns: what the due sweep and a batch's "renewed already?" check read instead of records.
    with population.transaction(write=False) as tx:
        assert sorted(tx.lineage_links()) == [
            ('u3', '2026-01-02T00:00:00Z', 'u1', None, 'issued'),
            ('u4', '2026-01-02T00:00:00Z', None, 'u3', 'requested')]
        assert tx.lineage_links(['u3']) == [('u4', '2026-01-02T00:00:00Z', None, 'u3', 'requested')]
        assert tx.lineage_links(['u2', 'nope']) == []
        assert [row[0] for row in tx.lineage_links(['x%d' % i for i in range(900)] + ['u1'])] == ['u3']


def test_successors_use_the_lineage_indexes(tmp_path):
    store = sqlite_store.SqliteStore(str(tmp_path / 'inventory.db'))
    plans = []

    class Explaining(object):
        def __init__(self, conn):
            self.conn = conn

        def execute(self, sql, params=()):
            plans.append(' '.join(str(row) for row in self.conn.execute('EXPLAIN QUERY PLAN ' + sql, params)))
            return self.conn.execute(sql, params)
    try:
        with store.transaction(write=False) as tx:
            tx._conn = Explaining(tx._conn)  # pylint: disable=protected-access
            tx.successors(['u1', 'u2'])
            tx.successors()
            tx.lineage_links()
    finally:
        store.close()
    assert len(plans) == 3
    for plan in plans:
        assert 'certificates_renewed_from' in plan and 'certificates_rekeyed_from' in plan, plan
        assert 'SCAN certificates' not in plan.replace('USING INDEX', ''), plan


# --- events -------------------------------------------------------------------------------

def test_event_log_append_only_and_ordered(store):
    with store.transaction() as tx:
        ids = [tx.add_event(event(1, 'c1')), tx.add_event(event(2, 'c2'))]
    with store.transaction() as tx:
        ids.append(tx.add_event(dict(event(3, 'c1'), id=999, extra={'k': 'v'})))  # id is ours
    assert ids == sorted(ids) and len(set(ids)) == 3 and ids[2] != 999
    with store.transaction(write=False) as tx:
        events = tx.list_events()
        assert [e['message'] for e in events] == ['event 1', 'event 2', 'event 3']
        assert [e['id'] for e in events] == ids
        assert events[0] == dict(event(1, 'c1'), id=ids[0])
        assert events[2]['extra'] == {'k': 'v'}
        assert [e['message'] for e in tx.list_events(certificate_uuid='c1')] == [
            'event 1', 'event 3']
        assert [e['message'] for e in tx.list_events(limit=2)] == ['event 2', 'event 3']
        assert [e['message'] for e in tx.list_events(certificate_uuid='c1', limit=1)] == [
            'event 3']
        assert tx.list_events(certificate_uuid='none') == []
        events[0]['message'] = 'mutated'
        assert tx.list_events()[0]['message'] == 'event 1'
    with pytest.raises(RuntimeError):
        with store.transaction() as tx:
            tx.add_event(event(4))
            raise RuntimeError('boom')
    with store.transaction() as tx:
        later = tx.add_event(event(5))
        assert later > ids[-1]
        assert [e['message'] for e in tx.list_events()] == [
            'event 1', 'event 2', 'event 3', 'event 5']


# --- transactions -------------------------------------------------------------------------

def _fill(store):
    with store.transaction() as tx:
        tx.put_ra_profile({'name': 'web', 'connector': 'local'})
        tx.put_token_profile({'name': 'files', 'type': 'file', 'options': {}})
        tx.put_certificate(cert('c1'))
        tx.add_event(event(1, 'c1'))


def test_rollback_on_exception_leaves_store_identical(store_factory):
    store = store_factory()
    _fill(store)
    before = store_factory.snapshot()

    class Boom(Exception):
        pass

    with pytest.raises(Boom):
        with store.transaction() as tx:
            tx.put_ra_profile({'name': 'web', 'connector': 'acme'})
            tx.put_ra_profile({'name': 'new'})
            tx.delete_token_profile('files')
            tx.put_certificate(cert('c1', state='revoked'))
            tx.put_certificate(cert('c2'))
            tx.delete_certificate('c1')
            tx.add_event(event(2, 'c2'))
            raise Boom()
    assert store_factory.snapshot() == before
    with store.transaction(write=False) as tx:
        assert tx.get_ra_profile('web')['connector'] == 'local'
        assert tx.get_ra_profile('new') is None
        assert tx.get_token_profile('files') is not None
        assert tx.get_certificate('c1')['state'] == 'issued'
        assert tx.get_certificate('c2') is None
        assert len(tx.list_events()) == 1
    with store.transaction() as tx:  # the store is still usable
        tx.put_certificate(cert('c3'))
    with store.transaction(write=False) as tx:
        assert tx.get_certificate('c3') is not None


def test_read_transaction_refuses_writes(store):
    _fill(store)
    with store.transaction(write=False) as tx:
        for call in (lambda: tx.put_ra_profile({'name': 'x'}), lambda: tx.delete_ra_profile('web'),
                     lambda: tx.put_token_profile({'name': 'x'}),
                     lambda: tx.delete_token_profile('files'),
                     lambda: tx.put_certificate(cert('c9')), lambda: tx.delete_certificate('c1'),
                     lambda: tx.add_event(event(9))):
            with pytest.raises(InventoryError):
                call()


def test_unchanged_json_not_rewritten(tmp_path):
    path = tmp_path / 'inventory.json'
    store = open_store(str(path))
    _fill(store)
    before = os.stat(str(path))
    content = path.read_bytes()
    with store.transaction() as tx:
        tx.put_certificate(cert('c1'))  # the same record again
        tx.delete_ra_profile('absent')
        tx.get_certificate('c1')
    after = os.stat(str(path))
    assert path.read_bytes() == content
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert json.loads(content.decode('utf-8'))['schema_version'] == SCHEMA_VERSION


# --- files: bad content, modes, schema ----------------------------------------------------

@pytest.mark.parametrize('content, where', [
    (b'{"schema_version": 1, "certificates": {\n  "a": {"uuid": "a",}\n}}', 'line 2, column'),
    (b'{"schema_version": 1, "certificates": {', 'line 1, column'),
    (b'\xff\xfe garbage', 'UTF-8'),
    (b'[]', 'top level'),
    (b'{"name": "some other json"}', 'top level'),
    (b'{"schema_version": 1, "certificates": []}', "'certificates'"),
    (b'{"schema_version": 1, "events": [1, 2]}', "'events'"),
    (b'{"schema_version": "one"}', 'schema_version'),
])
def test_corrupted_json_refused_and_unchanged(tmp_path, content, where):
    path = tmp_path / 'inventory.json'
    path.write_bytes(content)
    store = open_store('json://' + str(path))
    for write in (False, True):
        with pytest.raises(InventoryError) as info:
            with store.transaction(write=write) as tx:
                tx.put_ra_profile({'name': 'x'}) if write else tx.list_ra_profiles()
        assert str(path) in str(info.value) and where in str(info.value)
        assert 'restore it from a backup' in str(info.value)
    assert path.read_bytes() == content
    assert sorted(os.listdir(str(tmp_path))) == ['inventory.json', 'inventory.json.lock']


@pytest.mark.parametrize('content', [
    b'hello, I am a text file\n', b'SQLite format 2\x00' + b'x' * 100, b'\x00' * 4096])
def test_non_sqlite_file_refused_and_unchanged(tmp_path, content):
    path = tmp_path / 'inventory.db'
    path.write_bytes(content)
    with pytest.raises(InventoryError) as info:
        open_store(str(path))
    message = str(info.value)
    assert str(path) in message and 'is not an SQLite database' in message
    assert 'point `inventory` at the right file or move this one away' in message
    assert path.read_bytes() == content
    assert os.listdir(str(tmp_path)) == ['inventory.db']  # no -wal, -shm, -journal


def test_foreign_sqlite_database_refused_and_unchanged(tmp_path):
    path = tmp_path / 'other.db'
    conn = sqlite3.connect(str(path))
    conn.execute('CREATE TABLE songs (title TEXT)')
    conn.execute("INSERT INTO songs VALUES ('a')")
    conn.commit()
    conn.close()
    content = path.read_bytes()
    with pytest.raises(InventoryError) as info:
        open_store('sqlite://' + str(path))
    assert 'another application' in str(info.value) and 'songs' in str(info.value)
    assert path.read_bytes() == content


def _set_schema(factory, version):
    if factory.kind == 'postgresql':
        factory.server.sql("UPDATE meta SET value = '%d' WHERE key = 'schema_version'" % version,
                           db=factory.database)
    elif factory.kind == 'json':
        doc = json.loads(factory.path.read_text())
        doc['schema_version'] = version
        factory.path.write_text(json.dumps(doc))
    else:
        conn = sqlite3.connect(str(factory.path))
        conn.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(version),))
        conn.commit()
        conn.close()


def test_schema_version_recorded(store_factory):
    _fill(store_factory())
    if store_factory.kind == 'json':
        assert json.loads(store_factory.path.read_text())['schema_version'] == SCHEMA_VERSION
    elif store_factory.kind == 'sqlite':
        meta = dict(store_factory.snapshot()['meta'])
        assert meta == {'schema_version': str(SCHEMA_VERSION)}
        assert sqlite_store.MIGRATIONS[-1][0] == SCHEMA_VERSION
    else:
        assert store_factory.snapshot()['meta'] == 'schema_version|%d\n' % SCHEMA_VERSION
        assert postgresql_store.MIGRATIONS[-1][0] == SCHEMA_VERSION
        assert [v for v, _unused in postgresql_store.MIGRATIONS] == [v for v, _unused in sqlite_store.MIGRATIONS]


def test_newer_schema_refused(store_factory):
    store = store_factory()
    _fill(store)
    store.close()
    _set_schema(store_factory, SCHEMA_VERSION + 1)
    before = store_factory.snapshot()
    for write in (True, False):
        with pytest.raises(InventoryError) as info:
            with store_factory().transaction(write=write) as tx:
                tx.put_certificate(cert('c2')) if write else tx.list_events()
        message = str(info.value)
        assert 'newer pki.lifecycle (schema %d, this one knows %d): upgrade the collection' % (
            SCHEMA_VERSION + 1, SCHEMA_VERSION) in message
        assert str(store_factory.path or store_factory.spec) in message
        assert 'Nothing was written' in message
    assert store_factory.snapshot() == before


def test_postgresql_newer_schema_while_open_refuses_writes(pg_factory):
    """Another controller migrated the shared database meanwhile: this one stops writing."""
    store_factory = pg_factory
    store = store_factory()
    _fill(store)
    _set_schema(store_factory, SCHEMA_VERSION + 1)
    before = store_factory.snapshot()
    with pytest.raises(InventoryError) as info:
        with store.transaction() as tx:
            tx.put_certificate(cert('c2'))
    assert 'schema %d' % (SCHEMA_VERSION + 1) in str(info.value)
    assert store_factory.snapshot() == before


def test_postgresql_wrong_password_and_server_down(postgresql):
    with pytest.raises(InventoryError) as info:
        open_store(postgresql.url, password='not-the-password')
    message = str(info.value)
    assert 'refused the login' in message and 'password authentication failed' in message
    assert 'inventory_password' in message and 'not-the-password' not in message
    assert postgresql.url in message
    down = 'postgresql://pki@127.0.0.1:%d/pki' % _free_port()
    started = time.monotonic()
    with pytest.raises(InventoryError) as info:
        open_store(down, password='s3cret-pw')
    assert time.monotonic() - started < 15
    message = str(info.value)
    assert 'cannot be reached' in message and 'is running and reachable' in message
    assert down in message and 's3cret-pw' not in message
    with pytest.raises(InventoryError) as info:  # a password in the URL is never shown either
        open_store(down.replace('pki@', 'pki:url-pw@'))
    assert 'url-pw' not in str(info.value)


def test_postgresql_tls_options_come_from_the_url(postgresql):
    # The test server has no TLS: sslmode=require must fail, proving libpq got the option.
    with pytest.raises(InventoryError) as info:
        open_store(postgresql.url + '?sslmode=require', password=postgresql.password)
    assert 'TLS' in str(info.value) and 'sslrootcert' in str(info.value)
    store = open_store(postgresql.url + '?sslmode=disable&connect_timeout=5', password=postgresql.password)
    store.close()


def test_postgresql_foreign_database_refused(postgresql):
    url = postgresql.create_database('foreign_app')
    try:
        postgresql.sql('CREATE TABLE certificates (id int)', db='foreign_app')
        with pytest.raises(InventoryError) as info:
            open_store(url, password=postgresql.password)
        assert 'no pki.lifecycle meta table' in str(info.value)
        assert postgresql.sql("SELECT count(*) FROM pg_tables WHERE tablename = 'meta'",
                              db='foreign_app').strip() == '0'
    finally:
        postgresql.drop_database('foreign_app')


def test_postgresql_writer_alive(pg_factory):
    store_factory = pg_factory
    writer, observer = store_factory(), store_factory()
    writer.set_writer('me@controller-a:4242')
    with observer.transaction(write=False) as tx:
        assert tx.writer_alive('me@controller-a:4242') is True
        assert tx.writer_alive('me@controller-a:4243') is False
    writer.close()
    deadline = time.monotonic() + 5
    while True:
        with observer.transaction(write=False) as tx:
            if tx.writer_alive('me@controller-a:4242') is False:
                break
        assert time.monotonic() < deadline, 'a closed connection still counts as alive'
        time.sleep(0.05)


def _free_port():
    import socket
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def test_files_are_private_and_directory_created(file_store_factory):
    assert not file_store_factory.path.parent.exists()
    old = os.umask(0o022)
    try:
        store = file_store_factory()
        _fill(store)
    finally:
        os.umask(old)
    directory = file_store_factory.path.parent
    assert stat.S_IMODE(os.stat(str(directory)).st_mode) == 0o700
    names = os.listdir(str(directory))
    assert file_store_factory.path.name in names
    for name in names:  # the store and its -wal/-shm or .lock sidecars
        assert stat.S_IMODE(os.stat(str(directory / name)).st_mode) == 0o600, name


def test_empty_file_is_a_new_inventory(file_store_factory):
    file_store_factory.path.parent.mkdir()
    file_store_factory.path.write_bytes(b'')
    store = file_store_factory()
    _fill(store)
    with file_store_factory().transaction(write=False) as tx:
        assert tx.get_certificate('c1') is not None


def test_busy_writer_times_out(store_factory, monkeypatch):
    monkeypatch.setenv('PKI_LIFECYCLE_BUSY_TIMEOUT', '0.3')
    holder, waiter = store_factory(), store_factory()
    _fill(holder)
    with holder.transaction() as tx:
        tx.put_certificate(cert('c2'))
        started = time.monotonic()
        with pytest.raises(InventoryError) as info:
            with waiter.transaction() as tx2:
                tx2.put_certificate(cert('c3'))
        assert 0.25 <= time.monotonic() - started < 5
        assert 'locked by another writer' in str(info.value)
        assert 'PKI_LIFECYCLE_BUSY_TIMEOUT' in str(info.value)
        with waiter.transaction(write=False) as tx2:  # readers see the last commit, at once
            assert tx2.get_certificate('c1') is not None and tx2.get_certificate('c2') is None
    with waiter.transaction(write=False) as tx2:
        assert tx2.get_certificate('c2') is not None and tx2.get_certificate('c3') is None


# --- concurrency --------------------------------------------------------------------------

WORKERS, ROUNDS = 8, 25


def _worker(spec, index, start, password=None):
    store = open_store(spec, password=password)
    start.wait(60)
    for n in range(ROUNDS):
        with store.transaction() as tx:
            counter = tx.get_token_profile('counter')
            counter['options']['count'] += 1
            if n % 5 == 0:
                time.sleep(0.002)  # widen the read-modify-write window a lost update needs
            tx.put_token_profile(counter)
            tx.put_certificate(cert('w%d-%02d' % (index, n), labels={'worker': str(index)}))
            tx.add_event(event(n, 'w%d-%02d' % (index, n)))
    store.close()


def test_concurrent_writers_lose_nothing(store_factory):
    store = store_factory()
    with store.transaction() as tx:
        tx.put_token_profile({'name': 'counter', 'type': 'file', 'options': {'count': 0}})
    ctx = multiprocessing.get_context('spawn')
    start = ctx.Event()
    procs = [ctx.Process(target=_worker, args=(store_factory.spec, i, start, store_factory.password))
             for i in range(WORKERS)]
    for proc in procs:
        proc.start()
    start.set()
    for proc in procs:
        proc.join(120)
    assert [p.exitcode for p in procs] == [0] * WORKERS
    with store.transaction(write=False) as tx:
        assert tx.get_token_profile('counter')['options']['count'] == WORKERS * ROUNDS
        uuids = set(r['uuid'] for r in tx.find_certificates())
        assert uuids == set('w%d-%02d' % (i, n) for i in range(WORKERS) for n in range(ROUNDS))
        assert len(tx.find_certificates(labels={'worker': '3'})) == ROUNDS
        ids = [e['id'] for e in tx.list_events()]
        assert len(ids) == WORKERS * ROUNDS and ids == sorted(set(ids))


# --- inventory strings --------------------------------------------------------------------

@pytest.mark.parametrize('spec, expected', [
    ('sqlite:///abs/inv.db', ('sqlite', '/abs/inv.db')),
    ('sqlite:////abs/inv.db', ('sqlite', '/abs/inv.db')),
    ('json:///abs/inv.json', ('json', '/abs/inv.json')),
    ('json:////abs/inv.json', ('json', '/abs/inv.json')),
    ('/abs/inv.json', ('json', '/abs/inv.json')),
    ('/abs/inv.JSON', ('json', '/abs/inv.JSON')),
    ('/abs/inv.db', ('sqlite', '/abs/inv.db')),
    ('/abs/inventory', ('sqlite', '/abs/inventory')),
    ('sqlite://rel/inv.db', ('sqlite', os.path.abspath('rel/inv.db'))),
    ('sqlite:rel.db', ('sqlite', os.path.abspath('rel.db'))),
    ('rel.json', ('json', os.path.abspath('rel.json'))),
    ('postgresql://pki@db.example.org/pki', ('postgresql', 'postgresql://pki@db.example.org/pki')),
    ('postgres://pki@db/pki', ('postgresql', 'postgres://pki@db/pki')),
])
def test_parse(spec, expected):
    assert parse(spec) == expected


def test_parse_home_and_default(monkeypatch, tmp_path):
    monkeypatch.setenv('HOME', str(tmp_path))
    monkeypatch.delenv('PKI_LIFECYCLE_INVENTORY', raising=False)
    monkeypatch.delenv('XDG_DATA_HOME', raising=False)
    assert parse('~/x.json') == ('json', str(tmp_path / 'x.json'))
    default = str(tmp_path / '.local/share/pki.lifecycle/inventory.db')
    assert parse(None) == parse('') == ('sqlite', default) == ('sqlite', default_path())
    monkeypatch.setenv('XDG_DATA_HOME', 'relative/ignored')
    assert parse(None) == ('sqlite', default)
    monkeypatch.setenv('XDG_DATA_HOME', str(tmp_path / 'data'))
    assert parse(None) == ('sqlite', str(tmp_path / 'data/pki.lifecycle/inventory.db'))
    monkeypatch.setenv('PKI_LIFECYCLE_INVENTORY', '/from/env.json')
    assert parse(None) == ('json', '/from/env.json')


def test_default_store_is_created(monkeypatch, tmp_path):
    monkeypatch.delenv('PKI_LIFECYCLE_INVENTORY', raising=False)
    monkeypatch.setenv('XDG_DATA_HOME', str(tmp_path))
    store = open_store()
    try:
        _fill(store)
    finally:
        store.close()
    assert (tmp_path / 'pki.lifecycle' / 'inventory.db').is_file()
    assert store.url == 'sqlite://' + str(tmp_path / 'pki.lifecycle' / 'inventory.db')


def test_unknown_scheme_lists_forms():
    with pytest.raises(InventoryError) as info:
        open_store('mysql://user:secret@host/db')
    message = str(info.value)
    for form in ('sqlite:///', 'json:///', 'postgresql://', 'bare path'):
        assert form in message
    assert 'secret' not in message


def test_postgresql_unavailable_or_opened(monkeypatch):
    from ansible_collections.pki.lifecycle.plugins.module_utils.inventory import stores
    if hasattr(stores, '_postgresql'):  # imported on first use
        monkeypatch.setattr(stores, '_postgresql', lambda: (None, 'No module named psycopg'))
    else:
        monkeypatch.setattr(stores, 'postgresql', None)
    with pytest.raises(InventoryError) as info:
        open_store('postgresql://pki:secret@db.invalid/pki', password='secret')
    assert 'postgresql store, which is not available' in str(info.value)
    assert 'postgresql://pki@db.invalid/pki' in str(info.value)
    assert 'secret' not in str(info.value)


@pytest.mark.parametrize('spec, shown', [
    ('postgresql://pki:s3cr@t/x@db:5432/pki?sslmode=require&password=s3cr@t',
     'postgresql://pki@db:5432/pki?sslmode=require&password=***'),
    ('postgresql://pki@db/pki', 'postgresql://pki@db/pki'),
    ('mysql://u:s3cr@t@h/db', 'mysql://u@h/db'),
    ('/abs/inv.json', 'json:///abs/inv.json'),
    ('sqlite:////abs/inv.db', 'sqlite:///abs/inv.db'),
])
def test_describe_hides_password(spec, shown):
    assert describe(spec) == shown
    assert 's3cr' not in describe(spec)


def test_store_url(file_store_factory):
    store = file_store_factory()
    assert store.url == '%s://%s' % (file_store_factory.kind, file_store_factory.path)
    assert describe(file_store_factory.spec) == store.url


def test_postgresql_connection_lost_mid_run(pg_factory):
    """The server ends this session (restart, failover, admin): a clear error, nothing half-written."""
    store = pg_factory()
    _fill(store)
    store.set_writer('me@lost:1')
    before = pg_factory.snapshot()
    pg_factory.server.sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                          "WHERE application_name = 'pki.lifecycle me@lost:1'", db=pg_factory.database)
    with pytest.raises(InventoryError) as info:
        with store.transaction() as tx:
            tx.put_certificate(cert('c9'))
    assert 'was lost during a transaction' in str(info.value)
    assert 'Nothing of this transaction was written' in str(info.value)
    assert pg_factory.snapshot() == before
    with pg_factory().transaction(write=False) as tx:  # a new connection works
        assert tx.get_certificate('c9') is None


# --- moving between stores (inventory_migrate) ---------------------------------------------

def test_copy_inventory_to_another_store(store_factory, tmp_path):
    """Every store as the source, the other kind of file store as the destination."""
    from ansible_collections.pki.lifecycle.plugins.module_utils.inventory import migrate
    source = store_factory()
    _fill(source)
    with source.transaction() as tx:
        tx.put_certificate(cert('c2', renewed_from='c1', labels={'host': 'web1'}))
        tx.add_event(event(2, 'c2'))
    kind = 'sqlite' if store_factory.kind == 'json' else 'json'
    spec = '%s://%s' % (kind, tmp_path / 'copy' / ('inv.' + ('db' if kind == 'sqlite' else 'json')))

    def destination():
        return open_store(spec)

    result = migrate.copy_inventory(source, destination)
    assert result['changed'] and result['verified']
    assert result['copied'] == {'ra_profiles': 1, 'token_profiles': 1, 'certificates': 2, 'events': 2}
    assert migrate.differences(migrate.read_all(source), migrate.read_all(destination())) == []
    again = migrate.copy_inventory(source, destination)
    assert not again['changed'] and again['verified'] and not any(again['copied'].values())
    with source.transaction() as tx:  # the source grows: only what is new is copied
        tx.put_certificate(cert('c3'))
        tx.add_event(event(3, 'c3'))
    grown = migrate.copy_inventory(source, destination)
    assert grown['copied'] == {'ra_profiles': 0, 'token_profiles': 0, 'certificates': 1, 'events': 1}
    with destination().transaction() as tx:  # the copy diverges
        tx.put_certificate(cert('c3', state='revoked'))
    with pytest.raises(InventoryError) as info:
        migrate.copy_inventory(source, destination)
    assert 'different contents (c3)' in str(info.value) and 'overwrite: true' in str(info.value)
    assert migrate.copy_inventory(source, destination, overwrite=True)['copied']['certificates'] == 1
    with destination().transaction() as tx:
        tx.put_certificate(cert('only-there'))
    before = migrate.read_all(destination())
    with pytest.raises(InventoryError) as info:
        migrate.copy_inventory(source, destination, overwrite=True)
    assert 'does not (only-there)' in str(info.value)
    assert migrate.read_all(destination()) == before
