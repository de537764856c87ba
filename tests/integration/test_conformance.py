"""One conformance suite for every connector (cases and how to add one: tests/harness/conformance.py).

Per case, one playbook run:
1. the lifecycle: RA profile (validate: true), issue from each key source, reruns, renew,
   rekey (same key refused), revoke (+ rerun), info;
2. a snapshot of the inventory (its rows, read with sqlite3), then bad input on it: unknown
   issue attribute, wrong credentials (issue, revoke, validate), CA unreachable (issue,
   validate). Each fails with a clear message and the inventory's rows stay as they were.
The CA's own view is asked independently (its CRL through openssl, its database), and every
chain is checked with `openssl verify` against the root the CA/harness gives.
"""
import datetime
import json
import os
import sys
import time

import pytest

from harness.conformance import CASES, Env, crl_serials, openssl, write_timings
from harness.playbook import REPO_ROOT, ensure_collection_link, run_playbook
from harness.pki import certificate_rows, make_csr, snapshot

OUTPUT_DIR = os.path.join(str(REPO_ROOT), 'tests', 'output')
# The inventory's rows as harness.pki.snapshot reads them, printed as JSON from inside a play.
SNAPSHOT = ('import json, sys; sys.path[:0] = [%r]; from harness.pki import snapshot; '
            'print(json.dumps(snapshot(sys.argv[1])))' % os.path.join(str(REPO_ROOT), 'tests'))


@pytest.fixture(params=sorted(CASES))
def case_env(request, tmp_path):
    case = CASES[request.param]
    fx = dict((name, request.getfixturevalue(name)) for name in case.fixtures)
    env = Env(str(tmp_path), fx)
    case.setup(env)
    return case, env


def play(env, inventory, secrets, tasks):
    return [{
        'hosts': 'localhost', 'gather_facts': False,
        'vars': {'work': env.work},
        'module_defaults': {'group/pki.lifecycle.certificates': {
            'inventory': inventory, 'connector_secrets': secrets}},
        'tasks': tasks,
    }]


def stamp(name):
    return {'name': name, 'ansible.builtin.set_fact': {name: "{{ lookup('pipe', 'date +%s.%N') }}"}}


def openssl_verify(tmp_path, leaf_pem, chain_pem, root_pem, crl_pem=None):
    files = {}
    for name, text in (('leaf', leaf_pem), ('chain', chain_pem), ('root', root_pem), ('crl', crl_pem)):
        if text:
            files[name] = os.path.join(str(tmp_path), 'verify-%s.pem' % name)
            with open(files[name], 'w') as handle:
                handle.write(text)
    args = ['verify', '-CAfile', files['root']]
    if 'chain' in files:
        args += ['-untrusted', files['chain']]
    if crl_pem:
        args += ['-crl_check', '-CRLfile', files['crl']]
    return openssl(*(args + [files['leaf']]))


def lifetime_days(certificate):
    """From the returned record (not_before/not_after, ISO 8601 Z)."""
    start, end = (datetime.datetime.strptime(certificate[k], '%Y-%m-%dT%H:%M:%SZ') for k in ('not_before', 'not_after'))
    return (end - start).total_seconds() / 86400


def check_renew_rekey(run, first):
    """Renew keeps the key; rekey with the same key is refused; rekey changes it; reruns stay."""
    renewed = run.result('renew')
    gen = first['generated']['certificate']
    assert first['existing']['certificate']['key_source'] == 'token'
    assert renewed['changed']
    assert renewed['certificate']['spki_sha256'] == gen['spki_sha256']
    assert renewed['certificate']['serial'] != gen['serial']
    assert renewed['certificate']['lineage']['renewed_from'] == gen['uuid']
    assert run.status('rekey same key') == 'failed' and 'same key' in run.result('rekey same key')['msg']
    rekeyed = run.result('rekey')
    assert rekeyed['changed'] and rekeyed['certificate']['spki_sha256'] != gen['spki_sha256']
    assert rekeyed['certificate']['lineage']['rekeyed_from'] == renewed['certificate']['uuid']
    assert not run.result('rekey rerun')['changed']
    return renewed, rekeyed


def connector_timings(case, env, tmp_path):
    """The connector alone, in this process: one issue and one revoke against the same CA."""
    sys.path.insert(0, str(ensure_collection_link()))
    from ansible_collections.pki.lifecycle.plugins.module_utils.connectors.registry import connector_class
    cls = connector_class(case.connector)
    conn = cls('conformance', case.options(env), case.secrets(env), context={'inventory_dir': env.work})
    csr = open(make_csr(tmp_path, 'timing.%s.%s' % (case.id, case.domain))).read()
    t0 = time.monotonic()
    issued = conn.issue(csr, dict(case.issue_attributes))
    t1 = time.monotonic()
    if not getattr(issued, 'certificate_pem', None):
        return round(t1 - t0, 3), None  # Pending (e.g. ACME challenges): the playbook timing stands
    conn.revoke(issued.certificate_pem, None, 'superseded', {})
    t2 = time.monotonic()
    return round(t1 - t0, 3), round(t2 - t1, 3)


def test_conformance(case_env, tmp_path):
    case, env = case_env
    inventory_path = os.path.join(env.work, 'inventory.db')
    inventory = 'sqlite://' + inventory_path
    secrets = case.secrets(env)
    dom = '%s.%s' % (case.id, case.domain)
    csr = make_csr(tmp_path, 'csr.' + dom)
    keys = os.path.join(env.work, 'keys')
    os.makedirs(keys, mode=0o700)
    out = openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256',
                  '-out', os.path.join(keys, 'existing.pem'))
    assert out.returncode == 0, out.stderr
    os.chmod(os.path.join(keys, 'existing.pem'), 0o600)

    issue_extra = dict(case.issue_extra)

    def issue(name, **kw):
        kw.update(issue_extra)
        return {'name': name, 'register': name.replace(' ', '_'),
                'pki.lifecycle.certificate_issue': dict({'ra_profile': 'conf'}, **kw)}

    def token_key(key, host, gen):
        return dict(token_profile='keys', key=key, generate_key=gen, subject='CN=%s.%s' % (host, dom),
                    subject_alt_names=['DNS:%s.%s' % (host, dom)])

    tasks = [
        {'name': 'profile', 'pki.lifecycle.ra_profile': {
            'name': 'conf', 'connector': case.connector, 'connector_options': case.options(env),
            'issue_attributes': case.issue_attributes, 'validate': True,
            'policy': {'allowed_names': ['**.' + case.domain], 'renew_before': '30'}}},
        {'name': 'down profile', 'pki.lifecycle.ra_profile': {
            'name': 'down', 'connector': case.connector, 'connector_options': case.unreachable_options(env)}},
        {'name': 'token', 'pki.lifecycle.token_profile': {'name': 'keys', 'type': 'file', 'options': {'path': keys}}},
    ]
    tasks += list(case.extra_tasks)
    tasks += [
        stamp('t_issue_start'),
        issue('issue csr', csr=csr),
        stamp('t_issue_end'),
        issue('rerun csr', csr=csr),
    ]
    # A light case (another auth method of a connector that has a full case) proves issue,
    # rerun and revoke through the CA; the full one adds every key source, renew and rekey.
    target = '{{ issue_csr.certificate.uuid }}'
    if case.full:
        target = '{{ rekeyed.certificate.uuid }}'
        tasks += [
            issue('issue existing', **token_key('existing', 'existing', False)),
            issue('issue generated', **token_key('gen', 'gen', True)),
            issue('rerun existing', **token_key('existing', 'existing', False)),
            issue('rerun generated', **token_key('gen', 'gen', True)),
            {'name': 'renew', 'register': 'renewed', 'pki.lifecycle.certificate_renew': {
                'certificate': '{{ issue_generated.certificate.uuid }}', 'renew_before': '100%'}},
            {'name': 'rekey same key', 'ignore_errors': True, 'pki.lifecycle.certificate_rekey': dict(
                {'certificate': '{{ renewed.certificate.uuid }}', 'token_profile': 'keys', 'key': 'gen'}, **issue_extra)},
            {'name': 'rekey', 'register': 'rekeyed', 'pki.lifecycle.certificate_rekey': dict(
                {'certificate': '{{ renewed.certificate.uuid }}', 'token_profile': 'keys', 'key': 'gen2',
                 'generate_key': True}, **issue_extra)},
            {'name': 'rekey rerun', 'pki.lifecycle.certificate_rekey': dict(
                {'certificate': '{{ renewed.certificate.uuid }}', 'token_profile': 'keys', 'key': 'gen2',
                 'generate_key': True}, **issue_extra)},
        ]
    tasks += [
        stamp('t_revoke_start'),
        {'name': 'revoke', 'pki.lifecycle.certificate_revoke': {'certificate': target, 'reason': 'keyCompromise'}},
        stamp('t_revoke_end'),
        {'name': 'revoke again', 'pki.lifecycle.certificate_revoke': {
            'certificate': target.replace('uuid', 'serial'), 'reason': 'keyCompromise'}},
        {'name': 'info', 'pki.lifecycle.certificate_info': {}},
    ]
    # Bad input, in the same run after a snapshot of the inventory (saves a playbook start):
    # each task must fail with a clear message and change nothing.
    bad_csr = make_csr(tmp_path, 'bad.' + dom)
    bad_secrets = case.bad_secrets(env)
    bad_tasks = [
        issue('unknown attribute', csr=bad_csr, attributes={'colour': 'red'}),
        {'name': 'down issue',
         'pki.lifecycle.certificate_issue': dict({'ra_profile': 'down', 'csr': bad_csr}, **issue_extra)},
        {'name': 'down validate', 'pki.lifecycle.ra_profile': {
            'name': 'down2', 'connector': case.connector, 'connector_options': case.unreachable_options(env),
            'validate': True}},
    ]
    if bad_secrets is not None:
        bad_tasks.append(issue('wrong credentials issue', csr=bad_csr))
        bad_tasks[-1]['pki.lifecycle.certificate_issue']['connector_secrets'] = bad_secrets
        if case.revoke_needs_credentials and case.full:
            bad_tasks.append({'name': 'wrong credentials revoke', 'pki.lifecycle.certificate_revoke': {
                'certificate': '{{ renewed.certificate.uuid }}', 'reason': 'superseded',
                'connector_secrets': bad_secrets}})
        bad_tasks.append({'name': 'wrong credentials validate', 'pki.lifecycle.ra_profile': {
            'name': 'conf-bad', 'connector': case.connector, 'connector_options': case.options(env),
            'validate': True, 'connector_secrets': bad_secrets}})
    else:
        assert case.no_bad_secrets_reason, 'a case without wrong credentials must say why'
    for task in bad_tasks:
        task['ignore_errors'] = True
        task.pop('register', None)
    tasks.append({'name': 'snapshot before bad input', 'changed_when': False, 'ansible.builtin.command': {
        'argv': [sys.executable, '-c', SNAPSHOT, inventory_path]}})
    tasks += bad_tasks
    run = life = run_playbook(play(env, inventory, secrets, tasks), tmp_path=tmp_path)
    assert run.rc == 0, run.summary()

    assert run.result('profile')['changed']
    kinds = ('csr', 'existing', 'generated') if case.full else ('csr',)
    first = {k: run.result('issue ' + k) for k in kinds}
    for kind, result in first.items():
        assert result['changed'], (kind, result)
        assert result['certificate']['state'] == 'issued'
        rerun = run.result('rerun ' + kind)
        assert not rerun['changed'], (kind, rerun['reason'])
        assert rerun['certificate']['uuid'] == result['certificate']['uuid']
    assert first['csr']['certificate']['subject_alt_names'] == ['DNS:csr.' + dom]
    if case.full:
        renewed, rekeyed = check_renew_rekey(run, first)
        revoked_cert, issued = rekeyed, [first['csr'], first['existing'], first['generated'], renewed, rekeyed]
    else:
        renewed, revoked_cert, issued = None, first['csr'], [first['csr']]
    revoked = run.result('revoke')
    assert revoked['changed'] and revoked['certificate']['state'] == 'revoked'
    assert revoked['certificate']['uuid'] == revoked_cert['certificate']['uuid']
    assert not run.result('revoke again')['changed']
    info = run.result('info')
    assert info['counts']['total'] == len(issued) and info['counts']['revoked'] == 1

    # The inventory, read with sqlite3: revocation recorded, no secret anywhere.
    rows = dict((r['uuid'], r) for r in certificate_rows(inventory_path))
    assert len(rows) == len(issued)
    row = rows[revoked_cert['certificate']['uuid']]
    assert row['state'] == 'revoked' and row['revocation_reason'] == 'keyCompromise' and row['revoked_at']
    dump = '\n'.join(snapshot(inventory_path))
    for value in list(secrets.values()) + list((case.bad_secrets(env) or {}).values()):
        assert len(str(value)) < 8 or str(value) not in dump  # (the dev token 'root' is a common word)

    # The CA's own view of the revocation, and openssl's verdict on every chain.
    serial = revoked_cert['certificate']['serial']
    assert case.revoked_by_ca(env, serial, revoked), 'the CA does not show %s as revoked' % serial
    root = case.root_pem(env)
    for result in issued:
        check = openssl_verify(tmp_path, result['certificate_pem'], result['chain_pem'], root)
        assert check.returncode == 0, (result['certificate']['subject'], check.stdout, check.stderr)
        assert case.max_lifetime_days is None or lifetime_days(result['certificate']) <= case.max_lifetime_days + 0.01
    if env.crl_pem:
        assert serial.lower().lstrip('0') in crl_serials(env.crl_pem)
        bad = openssl_verify(tmp_path, revoked_cert['certificate_pem'], revoked_cert['chain_pem'], root, env.crl_pem)
        assert bad.returncode != 0 and 'revoked' in (bad.stdout + bad.stderr)
        for result in issued[:-1]:
            good = openssl_verify(tmp_path, result['certificate_pem'], result['chain_pem'], root, env.crl_pem)
            assert good.returncode == 0, good.stdout + good.stderr

    # ---- bad input: a clear error, nothing changed
    before = json.loads(run.result('snapshot before bad input')['stdout'])
    messages = {}
    for task in bad_tasks:
        assert run.status(task['name']) == 'failed', (task['name'], run.result(task['name']))
        messages[task['name']] = run.result(task['name'])['msg']
    assert 'Valid issue attributes are' in messages['unknown attribute']
    for attribute in case.issue_attributes:
        assert attribute in messages['unknown attribute'], messages['unknown attribute']
    for name in ('down issue', 'down validate'):
        assert case.down_message in messages[name], (name, messages[name])
    if bad_secrets is not None:
        for name in [t['name'] for t in bad_tasks if t['name'].startswith('wrong credentials')]:
            assert any(m in messages[name] for m in case.bad_secrets_messages), (name, messages[name])
    for msg in messages.values():
        for value in list(secrets.values()) + list((bad_secrets or {}).values()):
            assert len(str(value)) < 8 or str(value) not in msg
    assert snapshot(inventory_path) == before, 'bad input changed the inventory'

    # ---- timings: through the playbook (task wall time incl. Ansible's module start) and the
    # connector call alone, in this process, against the same CA
    def elapsed(start, end):
        return round(float(_fact(life, end)) - float(_fact(life, start)), 3)

    issue_call, revoke_call = connector_timings(case, env, tmp_path)
    timings = dict(connector=case.connector, issue_task_seconds=elapsed('t_issue_start', 't_issue_end'),
                   revoke_task_seconds=elapsed('t_revoke_start', 't_revoke_end'),
                   issue_call_seconds=issue_call, revoke_call_seconds=revoke_call,
                   playbook_seconds=round(life.duration, 2))
    path = write_timings(OUTPUT_DIR, case.id, timings)
    print('\nconformance %s: %s (%s)' % (case.id, json.dumps(timings, sort_keys=True), path))


def _fact(run, name):
    return run.result(name)['ansible_facts'][name]


def test_tls_verification_is_on_by_default(pebble, tmp_path):
    """The HTTP connectors verify TLS: against a real TLS server (Pebble's, self-signed CA) the
    connection fails without ca_bundle, and with it the request reaches the server (which then
    answers as the wrong kind of server: its own words come back)."""
    sys.path.insert(0, str(ensure_collection_link()))
    from ansible_collections.pki.lifecycle.plugins.module_utils.connectors.registry import connector_class
    from ansible_collections.pki.lifecycle.plugins.module_utils.errors import ConnectorError
    base = pebble.directory_url.rsplit('/', 1)[0]
    for name, options in (('vault', {'url': base, 'role': 'web'}), ('cfssl', {'url': base})):
        cls = connector_class(name)
        with pytest.raises(ConnectorError) as untrusted:
            cls('tls', dict(options), {'token': 'x'} if name == 'vault' else {}).check()
        assert 'failed TLS verification' in str(untrusted.value) and 'ca_bundle' in str(untrusted.value)
        with pytest.raises(ConnectorError) as trusted:
            cls('tls', dict(options, ca_bundle=pebble.ca_bundle), {'token': 'x'} if name == 'vault' else {}).check()
        assert 'TLS' not in str(trusted.value) and 'HTTP 404' in str(trusted.value), str(trusted.value)
