#!/usr/bin/env bash
# ansible-test sanity for pki.lifecycle, offline.
#
# ansible-test needs the collection at a real path ending in ansible_collections/pki/lifecycle
# (a symlink is resolved), so the tree is copied there (without .git, venvs, outputs).
# It runs with --local (the project's .venv is the controller) on Python 3.11.
#
# Every sanity test that has Python requirements runs in a virtualenv ansible-test makes
# under ~/.ansible/test/venv (cached between runs). To put pip into an empty venv it runs a
# "get-pip" bootstrap script that it downloads from a host that is not reachable here. We
# write an equivalent bootstrap into its cache instead: it runs the pip wheel bundled with
# Python (ensurepip) to install the pip version ansible-test asks for, from PyPI. Everything
# else (the pinned requirements of each test) comes from PyPI as ansible-test specifies.
#
# usage: scripts/sanity.sh [extra ansible-test sanity args, e.g. --test pep8]
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BIN="${VENV_BIN:-$ROOT/.venv/bin}"
PY="$BIN/python"
[ -x "$PY" ] || { echo "sanity: $PY not found: run 'make venv' first" >&2; exit 2; }
command -v rsync >/dev/null || { echo "sanity: rsync not found: run 'make servers' (apt-get install rsync)" >&2; exit 2; }

# 1. the offline pip bootstrap ansible-test expects in its cache
PIP_VERSION="$("$PY" -c 'from ansible_test._internal.python_requirements import get_venv_packages as g; from ansible_test._internal.host_configs import NativePythonConfig as N; print(g(N(version="3.11"))["pip"])')"
CACHE="$HOME/.ansible/test/cache"
GET_PIP="$CACHE/get_pip_${PIP_VERSION//./_}.py"
if [ ! -s "$GET_PIP" ]; then
    mkdir -p "$CACHE"
    cat >"$GET_PIP.tmp" <<'EOF'
# Offline stand-in for get-pip.py, written by pki.lifecycle scripts/sanity.sh.
# Same contract: "get-pip.py [pip install args]" installs pip (and the given packages) into
# the running interpreter, here with the pip wheel that ships with Python's ensurepip.
import glob
import os
import sys

import ensurepip

wheels = glob.glob(os.path.join(os.path.dirname(ensurepip.__file__), "_bundled", "pip-*.whl"))
if not wheels:
    sys.exit("get-pip (offline): no bundled pip wheel in ensurepip")
sys.path.insert(0, wheels[0])
from pip._internal.cli.main import main  # noqa: E402

args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
sys.exit(main(["install", "--upgrade", "--force-reinstall"] + args))
EOF
    mv "$GET_PIP.tmp" "$GET_PIP"
fi

# 2. the collection at .../ansible_collections/pki/lifecycle
WORK="$(mktemp -d "${TMPDIR:-/tmp}/pki-sanity.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
DEST="$WORK/ansible_collections/pki/lifecycle"
mkdir -p "$DEST"
# What git ignores (.gitignore: venvs, outputs, bench results) is not part of the collection.
rsync -a --delete --filter=':- .gitignore' \
    --exclude=.git --exclude='.venv*' --exclude=.collections --exclude=.pytest_cache \
    --exclude=.ansible --exclude=__pycache__ --exclude='*.pyc' --exclude=/outputs --exclude=/out \
    --exclude=/tests/output --exclude=/bench/results --exclude='*.tar.gz' \
    "$ROOT/" "$DEST/"

# 3. no ignore entries, ever
if compgen -G "$ROOT/tests/sanity/ignore-*.txt" >/dev/null; then
    if grep -hv '^\s*\(#\|$\)' "$ROOT"/tests/sanity/ignore-*.txt | grep -q .; then
        echo "sanity: tests/sanity/ignore-*.txt has entries; fix the code instead" >&2
        exit 1
    fi
fi

# 4. run
cd "$DEST"
export PATH="$BIN:$PATH"
unset ANSIBLE_COLLECTIONS_PATH ANSIBLE_CONFIG  # ansible-test sets up the copy itself
set +e
"$BIN/ansible-test" sanity --local --python 3.11 --color no --junit "$@"
rc=$?
set -e
# One line per sanity test and its result (from ansible-test's JUnit reports).
"$PY" - tests/output/junit <<'PYEOF'
import glob, os, sys, xml.etree.ElementTree as ET
results = {}
for path in sorted(glob.glob(os.path.join(sys.argv[1], '*.xml'))):
    for case in ET.parse(path).getroot().iter('testcase'):
        name = case.get('name')
        skipped = case.find('skipped')
        state = ('failed' if case.find('failure') is not None or case.find('error') is not None
                 else 'skipped (%s)' % (skipped.text or '').strip() if skipped is not None else 'passed')
        if not results.get(name, '').startswith('failed'):
            results[name] = state
for name, state in sorted(results.items()):
    print('sanity %-28s %s' % (name, state))
counts = {s: sum(1 for v in results.values() if v.startswith(s)) for s in ('passed', 'skipped', 'failed')}
print('ansible-test sanity: %d tests: %d passed, %d skipped, %d failed'
      % (len(results), counts['passed'], counts['skipped'], counts['failed']))
PYEOF
exit $rc
