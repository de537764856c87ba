"""A task the inventory alone decides imports no cryptography (issue 14: "the no-change decision
should need no import of heavy libraries where the inventory alone decides it").

Each decision runs in a fresh interpreter (this one has cryptography loaded by the fixtures),
which then reports what it returned and whether any ``cryptography`` module was imported.
"""
import json
import os
import subprocess
import sys

from harness.playbook import COLLECTIONS_DIR

# Runs in the fresh interpreter: one operation per line of argv[1] (JSON), each followed by
# what it returned and the cryptography modules loaded so far.
PROBE = '''
import json, sys
from ansible_collections.pki.lifecycle.plugins.module_utils import lifecycle
report = [sorted(m for m in sys.modules if m.split('.')[0] == 'cryptography')]
for operation, params in json.loads(sys.argv[1]):
    result = lifecycle.run(operation, params)
    report.append(dict(operation=operation, changed=result.get('changed'), reason=result.get('reason'),
                       cryptography=sorted(m for m in sys.modules if m.split('.')[0] == 'cryptography')))
print(json.dumps(report))
'''


def probe(calls):
    env = dict(os.environ, PYTHONPATH=str(COLLECTIONS_DIR))
    proc = subprocess.run([sys.executable, '-c', PROBE, json.dumps(calls)], capture_output=True, text=True,
                          env=env, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_decisions_of_the_inventory_alone_import_no_cryptography(pki):
    kept = pki.issue('www.example.org')['certificate']
    revoked = pki.issue('old.example.org')['certificate']
    pki.run('revoke', certificate=revoked['uuid'], reason='superseded')
    ra = dict(name='web', state='present', connector='local',
              connector_options=dict(directory=str(pki.ca_dir), ca_subject='CN=Unit Test CA'),
              policy=dict(allowed_names=['*.example.org'], renew_before='30'))
    calls = [
        ('renew', dict(certificate=kept['uuid'])),                      # not due
        ('renew', dict(ra_profile='web', due=True)),                      # nothing due
        ('revoke', dict(certificate=revoked['uuid'], reason='superseded')),  # revoked already
        ('info', dict(ra_profile='web')),
        ('info', dict(counts_only=True)),
        ('ra_profile', dict(ra, validate=False)),                         # unchanged
        ('token_profile', dict(name='keys', state='present', type='file', options=dict(path=str(pki.keys_dir)))),
    ]
    before = pki.snapshot()
    loaded, *results = probe([(operation, dict(params, inventory=pki.inventory)) for operation, params in calls])
    assert loaded == [], 'importing lifecycle loaded %s' % loaded
    for (operation, params), result in zip(calls, results):
        assert result['changed'] is False, (operation, params, result)
        assert result['cryptography'] == [], '%s %s imported %s' % (operation, params, result['cryptography'][:3])
    assert 'Not due' in results[0]['reason'] and results[1]['reason'] == 'No certificate is due for renewal.'
    assert results[2]['reason'].startswith('Already revoked')
    assert pki.snapshot() == before


def test_a_decision_that_needs_the_key_imports_it(pki):
    # The probe can fail: a rekey-free renewal that is forced signs, and signing needs cryptography.
    kept = pki.issue('www.example.org')['certificate']
    _loaded, result = probe([('renew', dict(certificate=kept['uuid'], force=True, inventory=pki.inventory))])
    assert result['changed'] is True and 'cryptography.x509' in result['cryptography']


LOADED = '''
import sys, importlib
for name in sys.argv[1:]:
    importlib.import_module(name)
print(' '.join(sorted(m for m in sys.modules if m in ('cryptography', 'cryptography.x509'))))
'''


def loaded_by(*modules):
    env = dict(os.environ, PYTHONPATH=str(COLLECTIONS_DIR))
    proc = subprocess.run([sys.executable, '-c', LOADED] + list(modules), capture_output=True, text=True, env=env,
                          timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.split()


def test_the_module_path_imports_it_on_use_and_the_action_plugin_at_once():
    # A module process loads no cryptography until a task needs it (every module of the
    # collection); the action plugin loads in the ansible-playbook process, whose workers (one
    # fork per task) then all find it loaded.
    prefix = 'ansible_collections.pki.lifecycle.plugins.'
    modules = sorted(p.stem for p in (COLLECTIONS_DIR / 'ansible_collections/pki/lifecycle/plugins/modules').glob('*.py')
                     if p.stem != '__init__')
    assert len(modules) > 10 and 'certificate_renew' in modules
    assert loaded_by(*[prefix + 'modules.' + name for name in modules]) == []
    assert loaded_by(prefix + 'action.certificate_renew') == ['cryptography', 'cryptography.x509']


def run_module(name, args, tmp_path, pythonpath=()):
    """A module process, as AnsiballZ runs it (arguments in a file); its JSON result."""
    args_file = tmp_path / ('%s-args.json' % name)
    args_file.write_text(json.dumps({'ANSIBLE_MODULE_ARGS': args}))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(p) for p in pythonpath] + [str(COLLECTIONS_DIR)]))
    proc = subprocess.run([sys.executable, '-m', 'ansible_collections.pki.lifecycle.plugins.modules.' + name,
                           str(args_file)], capture_output=True, text=True, env=env, timeout=120, check=False)
    return json.loads(proc.stdout)


def test_a_host_whose_cryptography_is_broken(pki, tmp_path):
    # Installed but not importable: a decision of the inventory alone still runs; one that
    # needs the library fails naming it (the module wrapper), and the inventory is unchanged.
    poison = tmp_path / 'poison' / 'cryptography'
    poison.mkdir(parents=True)
    (poison / '__init__.py').write_text("raise ImportError('cryptography is broken on this host (test)')\n")
    kept = pki.issue('www.example.org')['certificate']
    before = pki.snapshot()
    not_due = run_module('certificate_renew', dict(inventory=pki.inventory, certificate=kept['uuid']), tmp_path,
                         pythonpath=[poison.parent])
    assert not_due.get('failed') is None and not_due['changed'] is False and 'Not due' in not_due['reason'], not_due
    refused = run_module('certificate_issue', dict(inventory=pki.inventory, ra_profile='web',
                                                   csr=pki.csr('new.example.org')), tmp_path,
                         pythonpath=[poison.parent])
    assert refused['failed'] is True and 'Failed to import the required Python library (cryptography)' in refused['msg'], refused
    assert pki.snapshot() == before
