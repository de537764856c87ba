"""Schema versions and moving inventories between stores.

tests/fixtures/inventory_v1.db and inventory_v1.json are inventories written by schema
version 1 (the first released one), made by a real playbook on the embedded CA: an RA profile,
a token profile, two issued certificates (EC, RSA), a forced renewal, a rekey and a revocation
(4 certificate records, 7 events), then copied to JSON by inventory_migrate. They are never
regenerated: when SCHEMA_VERSION goes up, these tests prove that the new code still opens
them and keeps every record (add a fixture of each new released version beside them).

A database that claims a version newer than the code knows is refused, unchanged.
inventory_migrate copies the v1 SQLite fixture into PostgreSQL and back out to JSON, verified
record for record here again, independently of the module's own verification.
"""
import json
import os
import shutil
import sqlite3

import pytest

from ansible_collections.pki.lifecycle.plugins.module_utils.inventory import sqlite as sqlite_store
from ansible_collections.pki.lifecycle.plugins.module_utils.inventory.base import SCHEMA_VERSION
from ansible_collections.pki.lifecycle.plugins.module_utils.inventory.stores import open_store
from harness.playbook import run_playbook
from harness.inventories import Backend

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'fixtures')
V1 = {'sqlite': os.path.join(FIXTURES, 'inventory_v1.db'),
      'json': os.path.join(FIXTURES, 'inventory_v1.json')}


def raw_v1(kind, path, version=1):
    """The fixture's contents read without our store code: {collection: {key: record}}.
    ``version``: the schema the file is expected to carry (a source opened by the current code
    has been migrated to SCHEMA_VERSION; its records must still be the fixture's)."""
    if kind == 'json':
        with open(path) as handle:
            doc = json.load(handle)
        assert doc['schema_version'] == version
        events = [dict((k, v) for k, v in e.items() if k != 'id') for e in doc['events']]
        return dict(ra_profiles=doc['ra_profiles'], token_profiles=doc['token_profiles'],
                    certificates=doc['certificates'], events=events)
    conn = sqlite3.connect('file:%s?mode=ro' % path, uri=True)
    try:
        assert conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0] == str(version)
        out = {}
        for table, key in (('ra_profiles', 'name'), ('token_profiles', 'name'), ('certificates', 'uuid')):
            out[table] = dict((r[0], json.loads(r[1])) for r in conn.execute(
                'SELECT %s, data FROM %s' % (key, table)))
        out['events'] = [json.loads(r[0]) for r in conn.execute('SELECT data FROM events ORDER BY id')]
        return out
    finally:
        conn.close()


def through_store(spec, password=None):
    store = open_store(spec, password=password)
    try:
        with store.transaction(write=False) as tx:
            return dict(
                ra_profiles=dict((p['name'], p) for p in tx.list_ra_profiles()),
                token_profiles=dict((p['name'], p) for p in tx.list_token_profiles()),
                certificates=dict((c['uuid'], c) for c in tx.find_certificates()),
                events=[dict((k, v) for k, v in e.items() if k != 'id') for e in tx.list_events()])
    finally:
        store.close()


@pytest.mark.parametrize('kind', ['sqlite', 'json'])
def test_v1_fixture_opens_with_current_code_and_keeps_every_record(kind, tmp_path):
    path = str(tmp_path / os.path.basename(V1[kind]))
    shutil.copy(V1[kind], path)
    expected = raw_v1(kind, V1[kind])
    assert len(expected['certificates']) == 4 and len(expected['events']) == 7
    assert sorted(c['state'] for c in expected['certificates'].values()) == [
        'issued', 'issued', 'issued', 'revoked']
    spec = '%s://%s' % (kind, path)
    assert through_store(spec) == expected
    store = open_store(spec)  # writable, and the file now carries the current version
    try:
        with store.transaction() as tx:
            tx.add_event({'time': '2026-11-25T00:00:00Z', 'operation': 'test', 'result': 'changed',
                          'message': 'written by schema %d' % SCHEMA_VERSION, 'who': 'test'})
    finally:
        store.close()
    after = raw_v1(kind, path) if SCHEMA_VERSION == 1 else through_store(spec)
    assert after['certificates'] == expected['certificates']
    assert after['events'][:7] == expected['events']
    if kind == 'sqlite':
        # Version 1's tables are exactly what MIGRATIONS' first step creates today.
        conn = sqlite3.connect(':memory:')
        sqlite_store._migrate(conn, 0)
        query = "SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL AND name != 'sqlite_sequence'"
        fresh = sorted(conn.execute(query))
        old = sqlite3.connect('file:%s?mode=ro' % V1[kind], uri=True)
        stored = sorted(old.execute(query))
        old.close()
        if SCHEMA_VERSION == 1:
            assert fresh == stored


@pytest.mark.parametrize('kind', ['sqlite', 'json'])
def test_future_schema_refused_and_left_unchanged(kind, tmp_path):
    path = str(tmp_path / os.path.basename(V1[kind]))
    shutil.copy(V1[kind], path)
    future = SCHEMA_VERSION + 1
    if kind == 'json':
        with open(path) as handle:
            doc = json.load(handle)
        doc['schema_version'] = future
        with open(path, 'w') as handle:
            json.dump(doc, handle)
    else:
        conn = sqlite3.connect(path)
        conn.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(future),))
        conn.commit()
        conn.close()
    with open(path, 'rb') as handle:
        before = handle.read()
    run = run_playbook("""
- hosts: localhost
  gather_facts: false
  tasks:
    - name: info
      pki.lifecycle.certificate_info: {inventory: "%s://%s"}
      ignore_errors: true
    - name: issue
      pki.lifecycle.ra_profile: {inventory: "%s://%s", name: other, connector: local}
      ignore_errors: true
""" % (kind, path, kind, path), tmp_path=tmp_path)
    for task in ('info', 'issue'):
        result = run.result(task)
        assert run.status(task) == 'failed', result
        assert 'schema %d, this one knows %d' % (future, SCHEMA_VERSION) in result['msg']
        assert 'upgrade the collection' in result['msg']
    with open(path, 'rb') as handle:
        assert handle.read() == before


def test_inventory_migrate_sqlite_to_postgresql_and_back(tmp_path, request, postgresql):
    source = str(tmp_path / 'source.db')
    shutil.copy(V1['sqlite'], source)
    expected = raw_v1('sqlite', source)
    pg = Backend('postgresql', tmp_path, request, name='migrate')
    out = str(tmp_path / 'out' / 'copy.json')
    conflict = str(tmp_path / 'conflict.json')
    store = open_store('json://' + conflict)
    with store.transaction() as tx:
        tx.put_ra_profile(dict(list(expected['ra_profiles'].values())[0], description='changed'))
    before_conflict = open(conflict, 'rb').read()
    run = run_playbook("""
- hosts: localhost
  gather_facts: false
  module_defaults:
    group/pki.lifecycle.certificates:
      inventory: "sqlite://%(source)s"
  tasks:
    - name: check
      pki.lifecycle.inventory_migrate: {destination: "%(pg)s", destination_password: "%(pw)s"}
      check_mode: true
    - name: into postgresql
      pki.lifecycle.inventory_migrate: {destination: "%(pg)s", destination_password: "%(pw)s"}
    - name: again
      pki.lifecycle.inventory_migrate: {destination: "%(pg)s", destination_password: "%(pw)s"}
    - name: info on postgresql
      pki.lifecycle.certificate_info: {inventory: "%(pg)s", inventory_password: "%(pw)s", state: [revoked]}
    - name: check into a new file
      pki.lifecycle.inventory_migrate: {destination: "sqlite://%(out)s.db"}
      check_mode: true
    - name: out to json
      pki.lifecycle.inventory_migrate:
        source: "%(pg)s"
        source_password: "%(pw)s"
        destination: "json://%(out)s"
    - name: conflict
      pki.lifecycle.inventory_migrate: {destination: "json://%(conflict)s"}
      ignore_errors: true
    - name: wrong password
      pki.lifecycle.inventory_migrate: {destination: "%(pg)s", destination_password: "nope-%(pw)s"}
      ignore_errors: true
    - name: same inventory
      pki.lifecycle.inventory_migrate: {destination: "sqlite://%(source)s"}
      ignore_errors: true
""" % dict(source=source, pg=pg.url, pw=postgresql.password, out=out, conflict=conflict),
        tmp_path=tmp_path)
    counts = {'ra_profiles': 1, 'token_profiles': 1, 'certificates': 4, 'events': 7}
    check = run.result('check')
    assert check['changed'] is True and check['copied'] == counts and check['verified'] is False
    first = run.result('into postgresql')
    assert first['changed'] is True and first['verified'] is True and first['copied'] == counts
    assert first['destination'] == pg.url and postgresql.password not in json.dumps(run.results)
    again = run.result('again')
    assert again['changed'] is False and again['verified'] is True
    assert again['copied'] == dict((k, 0) for k in counts) and again['totals'] == counts
    info = run.result('info on postgresql')
    assert [c['serial'] for c in info['certificates']] == [
        c['serial'] for c in expected['certificates'].values() if c['state'] == 'revoked']
    new_file = run.result('check into a new file')
    assert new_file['changed'] is True and new_file['copied'] == counts
    assert not os.path.exists(out + '.db')  # check mode created nothing
    assert run.result('out to json')['changed'] is True
    # Independently of the module's verification: psql and the JSON file hold the fixture.
    assert dict((c['uuid'], c) for c in pg.certificates()) == expected['certificates']
    assert pg.events() == expected['events']
    with open(out) as handle:
        doc = json.load(handle)
    assert doc['certificates'] == expected['certificates']
    assert doc['ra_profiles'] == expected['ra_profiles']
    assert [dict((k, v) for k, v in e.items() if k != 'id') for e in doc['events']] == expected['events']
    conflict_result = run.result('conflict')
    assert run.status('conflict') == 'failed' and 'different contents' in conflict_result['msg']
    assert 'overwrite: true' in conflict_result['msg']
    assert open(conflict, 'rb').read() == before_conflict
    wrong = run.result('wrong password')
    assert run.status('wrong password') == 'failed' and 'refused the login' in wrong['msg']
    same = run.result('same inventory')
    assert run.status('same inventory') == 'failed' and 'same inventory' in same['msg']
    # The source's records are untouched (opening it migrates it to the current schema and may
    # add sqlite.EXTRA_INDEXES: derived data, no record changes).
    assert raw_v1('sqlite', source, version=SCHEMA_VERSION) == expected
