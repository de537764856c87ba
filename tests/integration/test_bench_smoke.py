"""Smoke of every benchmark in bench/: tiny sizes, one run (`--smoke`).

Timing is not asserted here (that is `make bench`); what is: each bench runs its real
playbooks to the end (the benches themselves check changed counts, records stored, renewed
counts and errors, and exit non-zero otherwise) and prints its table.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

BENCHES = [
    ('bench_issuance.py', ['== Bench 1: issuance convergence', '== Bench 2: no-change rerun',
                           "our controller tasks run in: controller's worker",
                           '2 certs on localhost', '3 hosts x 1 cert, forks=10']),
    ('bench_renewal.py', ['== Bench 3: bulk renewal', 'ours cert/s', 'raw cert/s',
                          "== Bench 3, floor at N=5: what the target leaves for lifecycle's own logic",
                          'ansible-playbook, one task returning the same result, no work',
                          'required work in 1 process(es)']),
    ('bench_inventory.py', ['== Bench 4: inventory scale', 'due query ms', 'USING INDEX certificates_not_after',
                            'all fields', 'fields: 4', 'counts_only']),
    ('bench_memory.py', ["== Bench 5: what one certificate_issue task adds to its worker's peak RSS",
                         'added/ping', 'issue (force: true)', 'no-change', '== Bench 5b: peak RSS of one module process']),
    ('bench_concurrency.py', ['== Bench 6: 6 hosts, forks=3, one SQLite inventory', 'issue/ping']),
    ('bench_role.py', ['== Bench 8: certificate role, 4 hosts over SSH, forks=2', 'rerun/ping', 'first run:',
                       'Key, CSR, certificate and deployed files']),
    ('bench_discovery.py', ['== Bench 7a: discovery on one host, files/s', 'find+openssl files/s',
                            '== Bench 7b: discovery from the controller, endpoints/s', 's_client endpoints/s']),
]


@pytest.mark.parametrize('script, expected', BENCHES, ids=[b[0] for b in BENCHES])
def test_bench_smoke(script, expected, tmp_path):
    proc = subprocess.run([sys.executable, str(REPO / 'bench' / script), '--smoke', '--workdir', str(tmp_path)],
                          cwd=str(REPO), capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, 'rc=%d\n--- stdout\n%s\n--- stderr\n%s' % (
        proc.returncode, proc.stdout[-4000:], proc.stderr[-4000:])
    for text in expected:
        assert text in proc.stdout, '%r not in output:\n%s' % (text, proc.stdout)
    # Every table has its header, its rule and at least one row of numbers.
    lines = proc.stdout.splitlines()
    rules = [i for i, line in enumerate(lines) if line.startswith('-') and set(line) <= {'-', ' '}]
    assert rules, proc.stdout
    assert all(i + 1 < len(lines) and any(ch.isdigit() for ch in lines[i + 1]) for i in rules), proc.stdout
