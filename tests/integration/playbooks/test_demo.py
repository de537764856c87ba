"""playbooks/demo.yml as a user runs it: every source issued once, then unchanged; a rekey; the
CRL summary; and the role play deploying a chain that openssl accepts on each demo host."""
import os

from harness.pki import verify
from harness.playbook import REPO_ROOT, run_playbook

REPO = str(REPO_ROOT)


def test_demo_playbook(tmp_path):
    run = run_playbook(os.path.join(REPO, 'playbooks', 'demo.yml'), tmp_path=tmp_path,
                       inventory=os.path.join(REPO, 'playbooks', 'localhost.ini'),
                       extra_vars={'pki_demo_dir': str(tmp_path / 'demo')})
    assert run.rc == 0, run.stdout[-3000:]
    for source in ('an external CSR', 'the existing key', 'a key generated'):
        first = [r for r in run.results if source in r['task'] and '(first)' in r['task']]
        second = [r for r in run.results if source in r['task'] and '(second)' in r['task']]
        assert first and first[-1]['status'] == 'changed', source
        assert second and second[-1]['status'] == 'ok', source
    assert 'Rekeyed' in run.result('Rekey api.demo.test onto a new generated key')['reason']
    summary = run.result('Summary')['msg']
    assert any('CRL lists serial' in line and line.endswith('True') for line in summary), summary
    # The role play: each of the three demo hosts got a deployed chain that openssl accepts.
    ca_pem = (tmp_path / 'demo' / 'ca' / 'ca.pem').read_text()
    for host in ('web1.demo.test', 'web2.demo.test', 'web3.demo.test'):
        deployed = sorted((tmp_path / 'demo' / 'hosts' / host).rglob('*fullchain*'))
        assert deployed, host
        leaf = deployed[0].read_text().split('-----END CERTIFICATE-----')[0] + '-----END CERTIFICATE-----\n'
        assert verify(leaf, ca_pem, tmp_path).returncode == 0, host
