# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared code of the benchmarks: arguments, timing, medians, tables, playbooks, setup.

Playbooks run through the test harness's ``run_playbook`` (tests/harness/playbook.py): the
venv's ansible-playbook, the repository's ansible.cfg (gathering = explicit), and this
interpreter as ``ansible_python_interpreter``. The baseline (community.crypto from PyPI's
``ansible`` package) is found in the separate environment ``.venv-bench`` that ``make bench``
creates; it runs with OUR ansible-core, only ANSIBLE_COLLECTIONS_PATH points elsewhere.
"""

from __future__ import annotations

import argparse
import datetime
import glob
import json
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / 'tests'))

from harness.playbook import COLLECTIONS_DIR, assert_ok, ensure_collection_link, run_playbook  # noqa: E402

ensure_collection_link()
sys.path.insert(0, str(COLLECTIONS_DIR))  # in-process setup through the collection's own code

PYTHON = sys.executable
RESULTS_DIR = REPO / 'bench' / 'results'


def parse_args(description, **smoke_defaults):
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument('--smoke', action='store_true',
                        help='tiny sizes and one run: checks that the bench works, not how fast')
    parser.add_argument('--runs', type=int, default=None, help='runs per measurement (default 3; smoke 1)')
    parser.add_argument('--workdir', default=None, help='where to put inventories, keys and CAs')
    args = parser.parse_args()
    if args.runs is None:
        args.runs = 1 if args.smoke else 3
    args.workdir = Path(args.workdir or tempfile.mkdtemp(prefix='pki-bench-'))
    args.workdir.mkdir(parents=True, exist_ok=True)
    return args


def median(values):
    return statistics.median(values) if values else float('nan')


def timed(function, *args, **kwargs):
    """(seconds, result) of one call."""
    start = time.perf_counter()
    result = function(*args, **kwargs)
    return time.perf_counter() - start, result


def fmt(value, digits=2):
    if value is None:
        return 'n/a'
    if isinstance(value, float):
        return '%.*f' % (digits, value)
    return str(value)


def verdict(ok):
    if ok is None:
        return 'n/a'
    return 'OK' if ok else 'MISSED'


def print_table(title, headers, rows):
    """A plain-text table (what `make bench` prints)."""
    cells = [[fmt(c) for c in row] for row in rows]
    widths = [max(len(str(h)), *(len(r[i]) for r in cells)) if cells else len(str(h))
              for i, h in enumerate(headers)]
    line = '  '.join('-' * w for w in widths)
    print()
    print('== %s' % title)
    print('  '.join(str(h).ljust(w) for h, w in zip(headers, widths)))
    print(line)
    for row in cells:
        print('  '.join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths))))
    sys.stdout.flush()


def save_results(name, data):
    """Also keep the numbers as JSON in bench/results/ (ignored by git)."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    data = dict(data, bench=name, time=datetime.datetime.now(datetime.timezone.utc).isoformat())
    (RESULTS_DIR / ('%s.json' % name)).write_text(json.dumps(data, indent=2, default=str))


# ------------------------------------------------------------------ ansible

def baseline_collections(required):
    """The site-packages folder holding community.crypto from PyPI's `ansible` package."""
    override = os.environ.get('BENCH_BASELINE_COLLECTIONS')
    candidates = [override] if override else sorted(glob.glob(str(REPO / '.venv-bench' / 'lib' / 'python*' / 'site-packages')))
    for path in candidates:
        if path and os.path.isdir(os.path.join(path, 'ansible_collections', 'community', 'crypto')):
            return path
    if required:
        raise SystemExit('The baseline (community.crypto from PyPI\'s ansible package) is not installed: '
                         'run `make bench`, which creates .venv-bench, or set BENCH_BASELINE_COLLECTIONS.')
    return None


def community_crypto_version(path):
    try:
        manifest = os.path.join(path, 'ansible_collections', 'community', 'crypto', 'MANIFEST.json')
        with open(manifest) as handle:
            return json.load(handle)['collection_info']['version']
    except (OSError, ValueError, KeyError):
        return 'unknown'


def hosts_inventory(count, prefix='host'):
    """``count`` local-connection hosts using this interpreter."""
    hosts = dict(('%s%03d' % (prefix, i), None) for i in range(1, count + 1))
    return {'all': {'hosts': hosts, 'vars': {'ansible_connection': 'local',
                                             'ansible_python_interpreter': PYTHON}}}


def cpu_of_children():
    """User + system CPU seconds of every finished child process and its waited-for descendants
    (ansible-playbook, its forks, the module processes): a figure the machine's load moves far
    less than wall time."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def play(plays, workdir, inventory=None, forks=None, env=None, check=None):
    """Run a playbook, fail loudly unless it succeeded; returns the PlaybookRun (with .duration).

    ``check(run)`` may assert on results; wall time is run.duration (the whole
    ansible-playbook process, as a user waits for it), CPU seconds of the process tree run.cpu.
    """
    args = ['--forks', str(forks)] if forks else []
    before = cpu_of_children()
    run = run_playbook(plays, inventory=inventory, tmp_path=workdir, env=env, args=args, timeout=1800)
    run.cpu = cpu_of_children() - before
    assert_ok(run)
    if check is not None:
        check(run)
    return run


def baseline_env(collections):
    return {'ANSIBLE_COLLECTIONS_PATH': collections}


# ------------------------------------------------------------------ setup through the collection

def lifecycle_run(operation, **params):
    from ansible_collections.pki.lifecycle.plugins.module_utils import lifecycle
    return lifecycle.run(operation, params)


def setup_local_profile(inventory, ca_dir, name='bench', keys_dir=None, policy=None):
    """An RA profile on the embedded CA (the CA created now, outside any timing) and a file token profile."""
    lifecycle_run('ra_profile', inventory=inventory, name=name, state='present', connector='local',
                  connector_options=dict(directory=str(ca_dir), ca_subject='CN=Bench Root CA'),
                  policy=policy or {}, validate=True)
    if keys_dir is not None:
        lifecycle_run('token_profile', inventory=inventory, name=name + '-keys', state='present', type='file',
                      options=dict(path=str(keys_dir)))
    from ansible_collections.pki.lifecycle.plugins.module_utils.connectors.local import LocalConnector
    connector = LocalConnector(name, dict(directory=str(ca_dir)), {})
    connector.trust_anchors()  # creates the CA if validate did not
    return connector


def count_issued(inventory, **filters):
    from ansible_collections.pki.lifecycle.plugins.module_utils.inventory.stores import open_store
    store = open_store(inventory)
    try:
        with store.transaction(write=False) as tx:
            return len(tx.find_certificates(state='issued', **filters))
    finally:
        store.close()
