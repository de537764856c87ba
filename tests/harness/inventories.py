"""An inventory per test (SQLite, JSON or a real PostgreSQL database from the harness) with an
independent reader of its records, the embedded CA's own index, and the play header and RA
profile task the concurrency, crash-safety and migration suites share."""
import json
import os
import sqlite3


class Backend(object):
    """One inventory for a test: its URL, the environment the playbooks need, and an
    independent reader of its certificate records (sqlite3 or psql, not our store code)."""

    def __init__(self, kind, tmp_path, request, name='inv'):
        self.kind = kind
        self.env = {}
        if kind == 'postgresql':
            server = request.getfixturevalue('postgresql')
            database = '%s_%s' % (name, abs(hash(str(tmp_path))) % 10 ** 8)
            self.url = server.create_database(database)
            self.env['PKI_LIFECYCLE_INVENTORY_PASSWORD'] = server.password
            self.server, self.database = server, database
            request.addfinalizer(lambda: server.drop_database(database))
        elif kind == 'sqlite':
            self.path = str(tmp_path / ('%s.db' % name))
            self.url = 'sqlite://' + self.path
        else:
            self.path = str(tmp_path / ('%s.json' % name))
            self.url = 'json://' + self.path

    def certificates(self):
        return self._rows('certificates', 'created_at, uuid', lambda doc: list(doc.values()))

    def events(self):
        return self._rows('events', 'id', lambda doc: doc)

    def _rows(self, table, order, from_json):
        if self.kind == 'postgresql':
            out = self.server.sql('SELECT data FROM %s ORDER BY %s' % (table, order), db=self.database)
            return [json.loads(line) for line in out.splitlines() if line.strip()]
        if self.kind == 'json':
            with open(self.path) as handle:
                return from_json(json.load(handle)[table])
        conn = sqlite3.connect('file:%s?mode=ro' % self.path, uri=True)
        try:
            return [json.loads(r[0]) for r in conn.execute('SELECT data FROM %s ORDER BY %s' % (table, order))]
        finally:
            conn.close()


def ca_issued(ca_dir):
    """What the embedded CA itself says it signed: one JSON line per certificate."""
    path = os.path.join(ca_dir, 'issued.jsonl')
    if not os.path.exists(path):
        return []
    with open(path) as handle:
        return [json.loads(line) for line in handle if line.strip()]


def header(backend, hosts='localhost'):
    return """
- hosts: %s
  gather_facts: false
  module_defaults:
    group/pki.lifecycle.certificates:
      inventory: "%s"
  tasks:
""" % (hosts, backend.url)


def profile_task(ca_dir):
    return """
    - name: RA profile
      pki.lifecycle.ra_profile:
        name: web
        connector: local
        connector_options: {directory: "%s"}
        policy: {allowed_names: ["*.example.test"], max_validity_days: 90}
      run_once: true
""" % ca_dir
