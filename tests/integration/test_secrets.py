"""Secrets never leak: not into the inventory, its event log, the output or returned values.

For every connector in plugins/module_utils/connectors/registry.py and every token type in
keys/stores.py that exists when this runs (a connector or store file that has not landed
yet is left out; one that is registered but has no scenario here fails the test), one
playbook at -vvv, against the real servers, with known secret values:

* "args": secrets in module options (connector_secrets, token_secrets, inventory_password
  through module_defaults), SQLite inventory (and PostgreSQL with a password when present);
* "env": the same operations with the secrets only in the environment of ansible-playbook,
  as an AWX credential type injects them (VAULT_TOKEN, CFSSL_AUTH_KEY, PKI_LIFECYCLE_*),
  JSON inventory. Values from the environment are not masked by Ansible's no_log: any leak
  of them in a message or result shows up as is;
* wrong secrets (ignore_errors): the failure messages must not echo them either.

Every task result is registered. Then the secret values are searched in the inventory files
(raw bytes, SQLite dump, PostgreSQL rows), the event log, every file the run wrote (CA
directories, key directories, ACME state), the full stdout/stderr, the callback's record of
every result and a dump of all registered variables: zero occurrences. Inventory files and
private key files must be 0600.
"""
import json
import os
import sqlite3
import stat
import sys
import textwrap

import pytest
import yaml

from harness.playbook import ensure_collection_link
from harness.pki import answer  # challenge answering through challtestsrv, as a user's step does

sys.path.insert(0, str(ensure_collection_link()))
# pylint: disable=wrong-import-position
from ansible_collections.pki.lifecycle.plugins.module_utils.connectors import registry  # noqa: E402
from ansible_collections.pki.lifecycle.plugins.module_utils.keys import stores as key_stores  # noqa: E402

# In the controller's worker (action plugins) and as a module process: no leak on either path.
pytestmark = pytest.mark.usefixtures('execution_path')

PLUGINS = os.path.join(str(ensure_collection_link()), 'ansible_collections', 'pki', 'lifecycle', 'plugins')
DOMAIN = 'example.test'

# Known values, distinctive enough that any occurrence is a leak.
KNOWN = {
    'ca_passphrase_args': 'ca-pass-ARGS-5b81e0c7d2',
    'ca_passphrase_env': 'ca-pass-ENV-93c4aa1f06',
    'file_passphrase_args': 'key-pass-ARGS-2f7d9b41ce',
    'file_passphrase_env': 'key-pass-ENV-c8e1736a5b',
    'acme_account_passphrase_args': 'acct-pass-ARGS-6a0f2d94b3',
    'acme_account_passphrase_env': 'acct-pass-ENV-e47b1c58d0',
    'vault_token_env': 'pki-secrets-vault-ENV-4d2c9e7a1f',
    'pkcs11_pin': 'PIN-7f3c9a2e51d4',
    'pkcs11_so_pin': 'SOPIN-0b6e4d21a9c3',
    'bad_ca_passphrase': 'WRONG-ca-pass-1e9d7c3b5a',
    'bad_vault_token': 'WRONG-vault-token-8c2f4e6a0d',
    'bad_cfssl_auth_key': 'badc0ffee0ddf00dbadc0ffee0ddf00d',
    'bad_acme_account_passphrase': 'WRONG-acct-pass-3a5c7e9b1d',
    'bad_inventory_password': 'WRONG-inventory-pass-7b9d1f3a5c',
}


def present_connectors():
    """Registered connectors whose file has landed (a broken one fails loudly)."""
    names = []
    for name in registry.CONNECTORS:
        if os.path.exists(os.path.join(PLUGINS, 'module_utils', 'connectors', name + '.py')):
            registry.connector_class(name)
            names.append(name)
    return names


def present_token_types():
    return [name for name, loader in sorted(key_stores.KEY_STORE_TYPES.items())
            if os.path.exists(os.path.join(PLUGINS, 'module_utils', 'keys', name + '.py')) and loader() is not None]


def postgresql_present():
    return os.path.exists(os.path.join(PLUGINS, 'module_utils', 'inventory', 'postgresql.py'))


def task(name, module, args, **extra):
    t = {'name': name, 'register': 'r_' + name.replace(' ', '_').replace('-', '_'), module: args}
    t.update(extra)
    return t


class Scenario:
    """The tasks of both modes, the environment and the secret values to search for."""

    def __init__(self, work):
        self.work = work
        self.secrets = dict(KNOWN)
        self.env = {}
        self.tasks = {'args': [], 'env': []}
        self.play_vars = {}

    def lifecycle(self, mode, connector, options, secrets, acme=False):
        """RA profile (validate), issue with a generated key in the file token profile,
        renew (force; args mode), revoke; ``secrets`` as module options (the env mode passes {})."""
        profile = '%s-%s' % (connector, mode)
        reg = profile.replace('-', '_')
        host = '%s.%s' % (profile, DOMAIN)
        issue = {'ra_profile': profile, 'token_profile': 'files-' + mode, 'key': profile, 'generate_key': True,
                 'key_type': 'ec', 'subject': 'CN=' + host, 'subject_alt_names': ['DNS:' + host],
                 'connector_secrets': secrets}
        renew = {'certificate': '{{ r_issue_%s.certificate.uuid }}' % reg, 'force': True,
                 'connector_secrets': secrets}
        tasks = [task('profile ' + profile, 'pki.lifecycle.ra_profile', {
            'name': profile, 'connector': connector, 'connector_options': options, 'validate': True,
            'policy': {'allowed_names': ['**.' + DOMAIN], 'renew_before': '30'}, 'connector_secrets': secrets})]
        if acme:
            tasks += [task('issue %s first' % profile, 'pki.lifecycle.certificate_issue', issue)]
            tasks += answer_tasks('r_issue_%s_first' % reg)
        tasks += [task('issue ' + profile, 'pki.lifecycle.certificate_issue', issue)]
        last = 'r_issue_' + reg
        if mode == 'args':  # renew goes through the same connector call as issue: once is enough
            if acme:
                tasks += [task('renew %s first' % profile, 'pki.lifecycle.certificate_renew', renew)]
                tasks += answer_tasks('r_renew_%s_first' % reg)
            tasks += [task('renew ' + profile, 'pki.lifecycle.certificate_renew', renew)]
            last = 'r_renew_' + reg
        tasks += [task('revoke ' + profile, 'pki.lifecycle.certificate_revoke', {
            'certificate': '{{ %s.certificate.uuid }}' % last, 'reason': 'superseded', 'connector_secrets': secrets})]
        self.tasks[mode] += tasks

    def wrong(self, connector, secrets, **extra):
        """An issue through <connector>-args with wrong secrets: must fail without echoing them."""
        host = '%s-wrong.%s' % (connector, DOMAIN)
        args = dict({'ra_profile': connector + '-args', 'token_profile': 'files-args', 'key': connector + '-wrong',
                     'generate_key': True, 'subject': 'CN=' + host, 'subject_alt_names': ['DNS:' + host],
                     'connector_secrets': secrets}, **extra)
        self.tasks['args'].append(task('wrong %s secrets' % connector, 'pki.lifecycle.certificate_issue', args,
                                       ignore_errors=True))


def answer_tasks(register):
    return yaml.safe_load(textwrap.dedent(answer(register)))


# ------------------------------------------------------------------ per connector

def setup_local(sc, request):
    sc.env['PKI_LIFECYCLE_CA_PASSPHRASE'] = KNOWN['ca_passphrase_env']
    for mode, secrets in (('args', {'ca_passphrase': KNOWN['ca_passphrase_args']}), ('env', {})):
        sc.lifecycle(mode, 'local', {'directory': os.path.join(sc.work, 'ca-' + mode)}, secrets)
    sc.wrong('local', {'ca_passphrase': KNOWN['bad_ca_passphrase']})


def setup_vault(sc, request):
    bao = request.getfixturevalue('openbao')
    status, _body = bao.api('POST', 'auth/token/create', {
        'id': KNOWN['vault_token_env'], 'policies': ['pki'], 'ttl': '2h', 'no_parent': True}, expect=None)
    assert status in (200, 204) or bao.api('GET', 'auth/token/lookup-self', token=KNOWN['vault_token_env'])[0] == 200
    approle = {'role_id': bao.approle['role_id'], 'secret_id': bao.new_secret_id()}
    sc.secrets.update(vault_role_id=approle['role_id'], vault_secret_id=approle['secret_id'])
    sc.env['VAULT_TOKEN'] = KNOWN['vault_token_env']
    options = {'url': bao.addr, 'mount': bao.mount, 'role': bao.role, 'approle_mount': bao.approle['mount']}
    for mode, secrets in (('args', approle), ('env', {})):
        sc.lifecycle(mode, 'vault', options, secrets)
    sc.wrong('vault', {'token': KNOWN['bad_vault_token']})


def setup_cfssl(sc, request):
    cfssl = request.getfixturevalue('cfssl')
    sc.secrets['cfssl_auth_key'] = cfssl.auth_key
    sc.env['CFSSL_AUTH_KEY'] = cfssl.auth_key
    options = {'url': cfssl.url, 'profile': 'authserver'}
    for mode, secrets in (('args', {'auth_key': cfssl.auth_key}), ('env', {})):
        sc.lifecycle(mode, 'cfssl', options, secrets)
    sc.wrong('cfssl', {'auth_key': KNOWN['bad_cfssl_auth_key']})


def setup_acme(sc, request):
    pebble = request.getfixturevalue('pebble_eab')
    root = os.path.join(sc.work, 'pebble-eab-root.pem')
    with open(root, 'w') as handle:
        handle.write(pebble.roots_pem())
    sc.play_vars['cts'] = pebble.challtestsrv_url
    options = {'directory_url': pebble.directory_url, 'ca_bundle': pebble.ca_bundle, 'terms_agreed': True,
               'contact': ['pki-admin@' + DOMAIN], 'trust_anchor': root, 'poll_timeout': 20}
    sc.secrets.update(('acme_eab_hmac_%s' % kid, key) for kid, key in pebble.eab_keys.items())
    kids = sorted(pebble.eab_keys)
    args = {'eab_kid': kids[0], 'eab_hmac_key': pebble.eab_keys[kids[0]],
            'account_key_passphrase': KNOWN['acme_account_passphrase_args']}
    sc.env.update(PKI_LIFECYCLE_ACME_EAB_KID=kids[-1], PKI_LIFECYCLE_ACME_EAB_HMAC_KEY=pebble.eab_keys[kids[-1]],
                  PKI_LIFECYCLE_ACME_ACCOUNT_KEY_PASSPHRASE=KNOWN['acme_account_passphrase_env'])
    for mode, secrets in (('args', args), ('env', {})):
        sc.lifecycle(mode, 'acme', options, secrets, acme=True)
    sc.wrong('acme', dict(args, account_key_passphrase=KNOWN['bad_acme_account_passphrase']))


CONNECTOR_SETUP = {'local': setup_local, 'vault': setup_vault, 'cfssl': setup_cfssl, 'acme': setup_acme}


# ------------------------------------------------------------------ per token type

def token_tasks(sc, request, types):
    """Token profiles first (every connector's issue uses files-<mode>); pkcs11 on the local CA."""
    before = {'args': [], 'env': []}
    after = {'args': [], 'env': []}
    for mode in ('args', 'env'):
        before[mode].append(task('token files-' + mode, 'pki.lifecycle.token_profile', {
            'name': 'files-' + mode, 'type': 'file', 'options': {'path': os.path.join(sc.work, 'keys-' + mode)}}))
    sc.env['PKI_LIFECYCLE_TOKEN_PASSPHRASE'] = KNOWN['file_passphrase_env']
    if 'pkcs11' in types:
        hsm = request.getfixturevalue('softhsm')
        label = 'pki-secrets-' + request.getfixturevalue('execution_path')  # one token per path run
        hsm.init_token(label, KNOWN['pkcs11_pin'], KNOWN['pkcs11_so_pin'])
        sc.env['PKI_LIFECYCLE_PKCS11_PIN'] = KNOWN['pkcs11_pin']
        for mode in ('args', 'env'):
            pin = {'pin': KNOWN['pkcs11_pin']} if mode == 'args' else {}
            host = 'hsm-%s.%s' % (mode, DOMAIN)
            after[mode] += [
                task('token hsm-' + mode, 'pki.lifecycle.token_profile', {
                    'name': 'hsm-' + mode, 'type': 'pkcs11', 'validate': True, 'token_secrets': pin,
                    'options': {'module': hsm.module, 'token_label': label}}),
                task('issue hsm-' + mode, 'pki.lifecycle.certificate_issue', {
                    'ra_profile': 'local-' + mode, 'token_profile': 'hsm-' + mode, 'key': 'hsm-' + mode,
                    'generate_key': True, 'key_type': 'ec', 'subject': 'CN=' + host,
                    'subject_alt_names': ['DNS:' + host], 'token_secrets': pin,
                    'connector_secrets': {'ca_passphrase': KNOWN['ca_passphrase_args']} if mode == 'args' else {}}),
            ]
    unknown = set(types) - {'file', 'pkcs11'}
    assert not unknown, 'token types without a secrets scenario in test_secrets.py: %s' % sorted(unknown)
    return before, after


# ------------------------------------------------------------------ searching

def dump_sqlite(path):
    conn = sqlite3.connect('file:%s?mode=ro' % path, uri=True)
    try:
        events = conn.execute('SELECT COUNT(*) FROM events').fetchone()[0]
        return '\n'.join(conn.iterdump()), events
    finally:
        conn.close()


def dump_postgresql(dsn):
    import psycopg  # pylint: disable=import-outside-toplevel
    with psycopg.connect(dsn) as conn:
        tables = [r[0] for r in conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()")]
        text = []
        for table in tables:
            for row in conn.execute('SELECT row_to_json(t)::text FROM "%s" t' % table):
                text.append('%s: %s' % (table, row[0]))
        return '\n'.join(text), tables


def find_leaks(haystacks, secrets):
    """[(secret label, where)] for every secret value found in any haystack."""
    leaks = []
    for where, data in haystacks.items():
        blob = data if isinstance(data, bytes) else data.encode('utf-8', 'replace')
        for label, value in secrets.items():
            if value and value.encode('utf-8') in blob:
                leaks.append((label, where))
    return leaks


def files_under(root, skip):
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            path = os.path.join(dirpath, name)
            if path not in skip:
                yield path


def mode_of(path):
    return stat.S_IMODE(os.stat(path).st_mode)


# ------------------------------------------------------------------ the test

def test_no_secret_leaks(request, tmp_path, run_playbook):
    connectors = present_connectors()
    types = present_token_types()
    assert 'local' in connectors and 'file' in types
    missing = sorted(set(connectors) - set(CONNECTOR_SETUP))
    assert not missing, 'connectors without a secrets scenario in test_secrets.py: %s' % missing

    work = str(tmp_path / 'work')
    os.makedirs(work)
    sc = Scenario(work)
    before, after = token_tasks(sc, request, types)
    for name in connectors:
        CONNECTOR_SETUP[name](sc, request)

    inventories = {'args': 'sqlite://' + os.path.join(work, 'inv-args', 'inventory.db'),
                   'env': 'json://' + os.path.join(work, 'inv-env', 'inventory.json')}
    defaults = {
        'args': {'inventory': inventories['args'], 'token_secrets': {'passphrase': KNOWN['file_passphrase_args']}},
        'env': {'inventory': inventories['env']},
    }
    pg_dsn = None
    pg_tasks = []
    if postgresql_present():
        pg = request.getfixturevalue('postgresql')
        url = pg.create_database('secrets_' + request.getfixturevalue('execution_path'))
        pg_dsn = pg.dsn.rsplit('/', 1)[0] + '/' + url.rsplit('/', 1)[1]
        sc.secrets['inventory_password'] = pg.password
        sc.env['PKI_LIFECYCLE_INVENTORY_PASSWORD'] = pg.password   # the env run's fallback: unused there
        pg_defaults = {'inventory': url, 'inventory_password': pg.password,
                       'token_secrets': {'passphrase': KNOWN['file_passphrase_args']}}
        pg_tasks = [{'name': 'postgresql inventory', 'module_defaults': {'group/pki.lifecycle.certificates': pg_defaults},
                     'block': [
                         task('pg profile', 'pki.lifecycle.ra_profile', {
                             'name': 'local-pg', 'connector': 'local',
                             'connector_options': {'directory': os.path.join(work, 'ca-pg')},
                             'connector_secrets': {'ca_passphrase': KNOWN['ca_passphrase_args']}}),
                         task('pg token', 'pki.lifecycle.token_profile', {
                             'name': 'files-args', 'type': 'file', 'options': {'path': os.path.join(work, 'keys-args')}}),
                         task('pg issue', 'pki.lifecycle.certificate_issue', {
                             'ra_profile': 'local-pg', 'token_profile': 'files-args', 'key': 'pg-key',
                             'generate_key': True, 'subject': 'CN=pg.' + DOMAIN, 'subject_alt_names': ['DNS:pg.' + DOMAIN],
                             'connector_secrets': {'ca_passphrase': KNOWN['ca_passphrase_args']}}),
                         task('wrong inventory password', 'pki.lifecycle.certificate_info', {
                             'inventory_password': KNOWN['bad_inventory_password']}, ignore_errors=True)]}]

    registered = sorted({t['register'] for mode in ('args', 'env')
                         for t in before[mode] + sc.tasks[mode] + after[mode] if 'register' in t}
                        | {t['register'] for b in pg_tasks for t in b['block']})
    play_tasks = []
    for mode in ('args', 'env'):
        play_tasks.append({'name': 'secrets in ' + mode, 'module_defaults': {
            'group/pki.lifecycle.certificates': defaults[mode]},
            'block': before[mode] + sc.tasks[mode] + after[mode] + [
                task('info ' + mode, 'pki.lifecycle.certificate_info', {})]})
    play_tasks += pg_tasks
    play_tasks.append({'name': 'all registered results', 'ansible.builtin.debug': {
        'msg': '{{ {%s} | to_json }}' % ', '.join("'%s': %s | default(None)" % (r, r) for r in registered)}})
    play = [{'hosts': 'localhost', 'gather_facts': False, 'vars': dict(sc.play_vars), 'tasks': play_tasks}]

    # The secrets reach ansible-playbook in the play (module options: the user's playbook file)
    # and in its environment; nothing else is given them.
    run = run_playbook(play, env=sc.env, verbosity=3, timeout=420)
    # -- it worked (every task but the deliberate failures)
    failed = [(r['task'], r['result'].get('msg')) for r in run.failed_results()]
    assert run.rc == 0, 'failed tasks: %s\n%s' % (failed, run.summary())
    wrong = [r for r in run.records(items=False) if r['task'].startswith('wrong ')]
    assert len(wrong) == len(connectors) + (1 if pg_tasks else 0), [r['task'] for r in wrong]
    for r in wrong:
        assert r['status'] == 'failed', (r['task'], r['result'].get('msg'))
    for mode in ('args', 'env'):
        info = run.result('info ' + mode)
        assert info['counts']['revoked'] >= len(connectors), info['counts']

    # -- search everything the run produced, except the playbook file itself (the user's file)
    playbook_file = os.path.join(str(run.workdir), 'playbook.yml')
    haystacks = {'stdout': run.stdout, 'stderr': run.stderr,
                 'recorded results': json.dumps(run.results), 'registered results': run.result('all registered results')['msg']}
    for path in files_under(work, skip=set()):
        with open(path, 'rb') as handle:
            haystacks[os.path.relpath(path, work)] = handle.read()
    for path in files_under(str(run.workdir), skip={playbook_file}):
        with open(path, 'rb') as handle:
            haystacks['run/' + os.path.relpath(path, str(run.workdir))] = handle.read()
    sqlite_path = inventories['args'][len('sqlite://'):]
    haystacks['sqlite dump'], events = dump_sqlite(sqlite_path)
    assert events > 0, 'the event log is empty'
    with open(inventories['env'][len('json://'):]) as handle:
        json_inventory = json.load(handle)
    assert json_inventory.get('events'), 'the JSON inventory has no event log'
    if pg_dsn:
        haystacks['postgresql rows'], tables = dump_postgresql(pg_dsn)
        assert any('event' in t for t in tables), tables
    assert len(haystacks['registered results']) > 1000

    leaks = find_leaks(haystacks, sc.secrets)
    assert not leaks, 'secrets found (secret, where): %s' % leaks
    # the search does find secrets where they are: the user's playbook holds the args ones
    with open(playbook_file, 'rb') as handle:
        control = find_leaks({'playbook': handle.read()}, sc.secrets)
    assert {'ca_passphrase_args', 'file_passphrase_args', 'bad_ca_passphrase'} <= {label for label, _where in control}

    # -- file modes: inventories and every private key file 0600
    loose = []
    for path in files_under(work, skip=set()):
        name = os.path.basename(path)
        with open(path, 'rb') as handle:
            is_key = b'PRIVATE KEY-----' in handle.read()
        if is_key or path.startswith((os.path.join(work, 'inv-args'), os.path.join(work, 'inv-env'))):
            if name.endswith('.lock'):
                continue
            if mode_of(path) != 0o600:
                loose.append('%s %o' % (os.path.relpath(path, work), mode_of(path)))
    assert not loose, 'inventory and private key files must be 0600: %s' % loose
    assert os.path.exists(sqlite_path) and mode_of(sqlite_path) == 0o600
    key_files = list(files_under(os.path.join(work, 'keys-args'), set()))
    assert key_files, 'no key file was generated'
    for path in key_files:
        with open(path, 'rb') as handle:
            assert b'ENCRYPTED PRIVATE KEY' in handle.read(), '%s is not encrypted with the passphrase' % path

    # what this run covered (shown with -rA / in failures)
    print('secrets test covered connectors %s, token types %s, inventories %s'
          % (connectors, types, ['sqlite', 'json'] + (['postgresql'] if pg_dsn else [])))
