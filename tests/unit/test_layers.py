"""The layer picture of README.md ("Layout"), checked on every file under plugins/ with ast:

    modules, action plugins  ->  common / argspec / host_request  ->  lifecycle
        ->  policy, x509, keys, inventory, connectors (-> local_ca)  ->  vocabulary, errors

No file imports a layer above its own (a connector importing lifecycle), and no file imports a
sibling it does not build on (acme importing local's helpers, jsonfile importing sqlite's):
what two siblings share lives in their package's base module or in vocabulary.py.

Every import counts, also the ones inside functions (lazy imports are still dependencies).
A new module_utils file or package must be placed in LAYERS below; the test says so.
PKI_LIFECYCLE_LAYERS_ROOT=<dir holding plugins/> checks another tree (e.g. a `git archive`).
"""
from __future__ import annotations

import ast
import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PREFIX = 'ansible_collections.pki.lifecycle.plugins.module_utils'
BOTTOM = {'errors', 'vocabulary'}  # importable by every layer

# component (first part of the module_utils path) -> components it may import (besides BOTTOM
# and itself). Read top to bottom: the picture in README.md.
LAYERS = {
    'common': {'lifecycle', 'x509'},            # the module glue: PkiModule runs one lifecycle call
                                                # (and reports x509's HAS_CRYPTOGRAPHY first)
    'argspec': set(),                           # argument specs, from the vocabulary
    'host_request': {'host_state', 'host_keys'},  # runs on managed hosts: no inventory, no CA
    'host_keys': {'x509', 'keys'},              # its full key/CSR check (cryptography)
    'host_state': set(),                        # its no-change check (stamp, files): no cryptography
    'lifecycle': {'policy', 'x509', 'keys', 'connectors', 'inventory', 'discovery', 'compliance', 'report'},
    'discovery': {'x509'},                      # finds certificates: host files, TLS endpoints; merge rules
    'compliance': {'policy', 'x509'},           # findings per certificate and rule (derived, not stored)
    'report': set(),                            # renders one certificate_info result: HTML, CSV, JSON
    'connectors': {'x509', 'keys', 'local_ca'},
    'local_ca': {'x509', 'keys'},               # the embedded CA's storage, used by connectors.local
    'keys': {'x509'},
    'inventory': set(),
    'policy': set(),
    'x509': set(),
    'vocabulary': {'errors'},
    'errors': set(),
}

# Inside a package: modules every sibling may import (the package's shared part), and the
# factories that may import every sibling. Any other sibling import is sideways.
# A package missing here (lifecycle/, local_ca/) is one concern split in files: free inside.
SIBLINGS = {
    'connectors': {'shared': {'base', 'http'}, 'factories': {'registry'}},
    'inventory': {'shared': {'base', 'sql'}, 'factories': {'stores', 'migrate'}},
    'keys': {'shared': {'base', 'csr'}, 'factories': {'stores'}},
}
# Only this module may reach into a package private to it.
PRIVATE_TO = {'local_ca': {'connectors.local'}}

# plugins/<type>/ -> components its files may import.
PLUGIN_TYPES = {
    'modules': {'common', 'argspec', 'host_request', 'lifecycle', 'discovery'},
    'action': {'common', 'argspec', 'lifecycle'},
    'plugin_utils': {'common', 'lifecycle'},    # the action plugins' shared base
    'filter': {'lifecycle'},                     # the certificate role's deploy decision
    'doc_fragments': set(),
}


def module_utils_name(path, root):
    """plugins/module_utils/connectors/acme.py -> 'connectors.acme' (a package: its name)."""
    rel = Path(path).relative_to(Path(root) / 'plugins' / 'module_utils').with_suffix('')
    parts = list(rel.parts)
    if parts[-1] == '__init__':
        parts = parts[:-1]
    return '.'.join(parts)


def exists(root, dotted):
    base = Path(root) / 'plugins' / 'module_utils' / Path(*dotted.split('.'))
    return base.with_suffix('.py').is_file() or (base / '__init__.py').is_file()


def imported_modules(path, root):
    """(line, 'connectors.local') for every module_utils module the file imports."""
    tree = ast.parse(Path(path).read_text(), filename=str(path))
    here = module_utils_name(path, root).split('.') if 'module_utils' in Path(path).parts else []
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [(a.name, None) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against this file's package
                package = here[:-node.level] if not str(path).endswith('__init__.py') else here[:len(here) - node.level + 1]
                base = '.'.join([PREFIX] + package + ([node.module] if node.module else []))
            else:
                base = node.module or ''
            targets = [(base, a.name) for a in node.names]
        else:
            continue
        for module, name in targets:
            if module != PREFIX and not module.startswith(PREFIX + '.'):
                continue
            dotted = module[len(PREFIX) + 1:]
            # `from ...module_utils.connectors import http` names a module, not an attribute
            if name and exists(root, '.'.join(p for p in (dotted, name) if p)):
                dotted = '.'.join(p for p in (dotted, name) if p)
            if dotted and (node.lineno, dotted) not in found:
                found.append((node.lineno, dotted))
    return found


def violation(importer, imported):
    """Why ``importer`` (a module_utils dotted name) may not import ``imported``; None if it may."""
    src, dst = importer.split('.'), imported.split('.')
    if src[0] == dst[0]:
        rules = SIBLINGS.get(src[0])
        if not rules or len(src) < 2 or len(dst) < 2:
            return None
        if dst[1] in rules['shared'] or src[1] in rules['factories'] or src[1] == dst[1]:
            return None
        if dst[1] in rules['factories']:
            return ('upward: %s.py is the factory over %s/ siblings; move what %s.py needs from it into %s'
                    % (dst[1], src[0], src[1], ', '.join(sorted('%s.py' % s for s in rules['shared']))))
        return ('sideways: %s/ siblings share only %s; move what %s.py needs from %s.py into one of '
                'those or into vocabulary.py' % (src[0], ', '.join(sorted('%s.py' % s for s in rules['shared'])),
                                                 src[1], dst[1]))
    if dst[0] in BOTTOM:
        return None
    if src[0] not in LAYERS:
        return 'module_utils/%s is not in the layer picture: add it to LAYERS in this test and README.md' % src[0]
    if dst[0] not in LAYERS[src[0]]:
        return ('upward or sideways: %s may import %s; move the shared part down (vocabulary.py or '
                'the lower package) instead' % (src[0], ', '.join(sorted(LAYERS[src[0]] | BOTTOM))))
    private = PRIVATE_TO.get(dst[0])
    if private and importer not in private:
        return '%s/ is private to %s' % (dst[0], ', '.join(sorted(private)))
    return None


def violations(root):
    root = Path(root)
    found = []
    for path in sorted((root / 'plugins').rglob('*.py')):
        rel = path.relative_to(root)
        kind = rel.parts[1]
        for line, imported in imported_modules(path, root):
            if kind == 'module_utils':
                why = violation(module_utils_name(path, root), imported)
            elif kind not in PLUGIN_TYPES:
                why = 'plugins/%s/ is not in the layer picture: add it to PLUGIN_TYPES in this test' % kind
            elif imported.split('.')[0] in PLUGIN_TYPES[kind] | BOTTOM:
                why = None
            else:
                why = 'plugins/%s/ may import %s' % (kind, ', '.join(sorted(PLUGIN_TYPES[kind] | BOTTOM)))
            if why:
                found.append('%s:%d imports module_utils.%s (%s)' % (rel, line, imported, why))
    return found


def test_no_upward_or_sideways_import():
    found = violations(os.environ.get('PKI_LIFECYCLE_LAYERS_ROOT', REPO))
    assert not found, '\n'.join(found)


# The checker itself must be able to fail: a throwaway tree with the known kinds of breakage.
@pytest.mark.parametrize('path, source, expected', [
    ('connectors/acme.py', 'from %s.connectors.local import _write_atomic' % PREFIX, 'sideways: connectors/'),
    ('connectors/vault.py', 'from %s.connectors import cfssl' % PREFIX, 'sideways: connectors/'),
    ('inventory/jsonfile.py', 'from %s.inventory.sqlite import busy_timeout' % PREFIX, 'sideways: inventory/'),
    ('connectors/local.py', 'def f():\n    from %s import lifecycle' % PREFIX, 'upward or sideways: connectors'),
    ('keys/file.py', 'from %s.inventory.base import SCHEMA_VERSION' % PREFIX, 'upward or sideways: keys'),
    ('lifecycle/issue.py', 'from %s.local_ca.index import IssuedIndex' % PREFIX, 'upward or sideways: lifecycle'),
    ('connectors/acme.py', 'from %s.local_ca import layout' % PREFIX, 'private to connectors.local'),
    ('newthing.py', 'from %s import x509' % PREFIX, 'not in the layer picture'),
    ('inventory/sqlite.py', 'def f():\n    from %s.inventory.stores import describe' % PREFIX, 'upward: stores.py'),
    ('connectors/acme.py', 'from .local import _write_atomic', 'sideways: connectors/'),
    ('keys/pkcs11/objects.py', 'from %s.keys.file import FileKeyStore' % PREFIX, 'sideways: keys/'),
])
def test_checker_finds_breakage(tmp_path, path, source, expected):
    mu = tmp_path / 'plugins' / 'module_utils'
    for name in ('connectors/__init__.py', 'connectors/base.py', 'connectors/local.py', 'connectors/cfssl.py',
                 'inventory/__init__.py', 'inventory/sqlite.py', 'inventory/base.py', 'inventory/stores.py', 'local_ca/__init__.py',
                 'local_ca/layout.py', 'local_ca/index.py', 'lifecycle/__init__.py', 'keys/__init__.py',
                 'x509/__init__.py', 'vocabulary.py'):
        (mu / name).parent.mkdir(parents=True, exist_ok=True)
        (mu / name).write_text('')
    (mu / path).parent.mkdir(parents=True, exist_ok=True)
    (mu / path).write_text(source + '\n')
    found = violations(tmp_path)
    assert len(found) == 1 and expected in found[0], found


def test_checker_accepts_the_allowed_edges(tmp_path):
    mu = tmp_path / 'plugins' / 'module_utils'
    files = {
        'connectors/base.py': '',
        'connectors/http.py': 'from %s.connectors.base import Connector' % PREFIX,
        'connectors/vault.py': 'from %s.connectors import http\nfrom %s.vocabulary import iso' % (PREFIX, PREFIX),
        'connectors/local.py': 'from %s.local_ca.index import IssuedIndex' % PREFIX,
        'connectors/registry.py': 'def f():\n    from %s.connectors.local import LocalConnector' % PREFIX,
        'local_ca/index.py': 'from %s.local_ca import layout' % PREFIX,
        'local_ca/layout.py': '',
        'keys/pkcs11/signing.py': 'from %s.keys.pkcs11.token import mechanism_names\nfrom %s.keys.csr import build_csr\n'
                                  'from %s.x509.keys import spki_sha256' % (PREFIX, PREFIX, PREFIX),
        'x509/chain.py': 'from %s.x509.names import normalize_subject' % PREFIX,
        'lifecycle/issue.py': 'from %s.lifecycle.pipeline import issue_one\nfrom %s import policy' % (PREFIX, PREFIX),
        'lifecycle/pipeline.py': 'from %s.connectors.base import Pending' % PREFIX,
        'policy.py': 'from %s.errors import InputError' % PREFIX,
        'errors.py': '', 'vocabulary.py': '',
    }
    for name, text in files.items():
        (mu / name).parent.mkdir(parents=True, exist_ok=True)
        (mu / name).write_text(text + '\n')
    (tmp_path / 'plugins' / 'action').mkdir(parents=True)
    (tmp_path / 'plugins' / 'action' / 'x.py').write_text('from %s.lifecycle import issue\n' % PREFIX)
    assert violations(tmp_path) == []
