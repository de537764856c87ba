"""playbooks/renew_due.yml run every other simulated day for 20 days (libfaketime shifts the clock of
ansible-playbook and of everything it starts: the modules, the embedded CA signing, openssl).

Three hosts' certificates, 7 days valid with a 33% renewal window, are renewed by the scheduled
run whenever due. After every run, certificate_info (as the renewal role's report reads it, and
with ``scope: all``) must say: three current certificates, all valid; every renewed predecessor
``superseded`` by the certificate that renewed it, never ``expired`` or ``expiring`` even once
its dates are past, which openssl confirms under the same clock.
"""
import datetime
import glob
import os
import subprocess

from harness.playbook import REPO_ROOT, assert_ok, run_playbook
from harness.plugin import server_unavailable

HOSTS = ('web1', 'web2', 'web3')
DAYS = 20
EVERY = 2       # the schedule: one run every other day (10 runs; each run is a few seconds)
VALIDITY_DAYS = 7
WINDOW = 0.33   # renew_before: "33%"
ROLE = 'pki.lifecycle.renewal : '


def libfaketime():
    found = sorted(glob.glob('/usr/lib/*/faketime/libfaketime.so.1'))
    if not found:
        server_unavailable('libfaketime not installed: apt-get install -y faketime (scripts/install-servers.sh)')
    return found[0]


def clock(library, day):
    """The environment that puts a process ``day`` days ahead (the offset also reaches its children)."""
    return {'LD_PRELOAD': library, 'FAKETIME': '+%dd' % day}


def parse(text):
    return datetime.datetime.strptime(text, '%Y-%m-%dT%H:%M:%SZ').replace(tzinfo=datetime.timezone.utc)


def due(record, now):
    not_before, not_after = parse(record['not_before']), parse(record['not_after'])
    return now >= not_after - (not_after - not_before) * WINDOW


def setup_play(inventory, ca_dir):
    return [{'hosts': 'localhost', 'gather_facts': False,
             'module_defaults': {'group/pki.lifecycle.certificates': {'inventory': inventory}},
             'tasks': [
                 {'name': 'RA profile', 'pki.lifecycle.ra_profile': {
                     'name': 'short', 'connector': 'local',
                     'connector_options': {'directory': ca_dir, 'ca_subject': 'CN=Soak Root CA'},
                     'policy': {'allowed_names': ['*.soak.test'], 'max_validity_days': VALIDITY_DAYS,
                                'renew_before': '33%'}}},
                 {'name': 'Token profile', 'pki.lifecycle.token_profile': {
                     'name': 'keys', 'type': 'file', 'options': {'path': ca_dir + '-keys'}}},
                 {'name': 'Issue', 'loop': list(HOSTS), 'pki.lifecycle.certificate_issue': {
                     'ra_profile': 'short', 'token_profile': 'keys', 'key': '{{ item }}', 'generate_key': True,
                     'key_type': 'ec', 'subject': 'CN={{ item }}.soak.test',
                     'subject_alt_names': ['DNS:{{ item }}.soak.test'], 'validity_days': VALIDITY_DAYS,
                     'labels': {'host': '{{ item }}'}}},
             ]}]


def daily_playbook(tmp_path, inventory):
    """The scheduled job (renew_due.yml as shipped), then a read of every record with its PEM."""
    path = tmp_path / 'daily.yml'
    path.write_text('''
- name: The scheduled renewal job
  ansible.builtin.import_playbook: %s

- name: Every record, superseded ones too
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Read everything
      pki.lifecycle.certificate_info:
        inventory: "%s"
        scope: all
        include_pem: true
      register: everything
''' % (os.path.join(str(REPO_ROOT), 'playbooks', 'renew_due.yml'), inventory))
    return path


def openssl_expired(library, day, pem, tmp_path):
    """openssl's own verdict under the same shifted clock: True when the certificate has expired."""
    path = tmp_path / 'check.pem'
    path.write_text(pem)
    env = dict(os.environ, **clock(library, day))
    run = subprocess.run(['openssl', 'x509', '-checkend', '0', '-noout', '-in', str(path)],
                         env=env, capture_output=True, text=True, check=False)
    assert run.returncode in (0, 1), run.stderr
    return run.returncode == 1


def test_twenty_days_of_daily_renewals(tmp_path):
    library = libfaketime()
    inventory = 'sqlite://%s' % (tmp_path / 'inventory.db')
    assert_ok(run_playbook(setup_play(inventory, str(tmp_path / 'ca')), tmp_path=tmp_path, env=clock(library, 0)))
    daily = daily_playbook(tmp_path, inventory)
    renewals, previous, saw_superseded_past_its_end = 0, None, False
    for day in range(EVERY, DAYS + 1, EVERY):
        run = run_playbook(daily, tmp_path=tmp_path, env=clock(library, day),
                           extra_vars={'pki_inventory': inventory})
        assert_ok(run)
        records = run.result('Read everything')['certificates']
        now = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=day)  # the run's clock
        # What the run had to renew: the current certificates of yesterday inside their window today.
        expected = sorted(r['labels']['host'] for r in (previous or []) if r['superseded_by'] is None and due(r, now))
        renewed = run.result(ROLE + 'Renew every due certificate (one task on the controller)')
        got = sorted(c['certificate']['labels']['host'] for c in renewed['certificates'] if c['changed'])
        assert got == expected, (day, got, expected)
        renewals += len(got)

        current = [r for r in records if r['superseded_by'] is None]
        replaced = [r for r in records if r['superseded_by'] is not None]
        assert sorted(r['labels']['host'] for r in current) == sorted(HOSTS), day
        assert [r['validation_status'] for r in current] == ['valid'] * 3, (day, current)
        assert len(replaced) == renewals, day
        successor_of = dict((r['lineage']['renewed_from'], r['uuid']) for r in records if r['lineage']['renewed_from'])
        for r in replaced:
            assert r['validation_status'] == 'superseded' and r['state'] == 'issued', (day, r)
            assert r['superseded_by'] == successor_of[r['uuid']], (day, r)
            if parse(r['not_after']) <= now:
                saw_superseded_past_its_end = True
                assert openssl_expired(library, day, r['certificate_pem'], tmp_path), r['not_after']
        for r in current:
            assert not openssl_expired(library, day, r['certificate_pem'], tmp_path), (day, r['not_after'])

        # The renewal role's report: the same meaning, counts of the current ones, superseded apart.
        counts = run.result(ROLE + 'Read the inventory after renewal (current certificates of the same selection)')['counts']
        assert counts == dict(total=3, valid=3, expiring=0, expired=0, revoked=0, invalid=0, superseded=renewals), \
            (day, counts)
        report = ' '.join(run.result(ROLE + 'Report what was renewed')['msg'].split())
        assert 'In use: 3 certificate(s) (3 valid, 0 expiring, 0 expired' in report, report
        assert '%d superseded by renewals or rekeys' % renewals in report, report
        previous = records
    # Several renewals of each host, and predecessors long past their end: still superseded.
    assert renewals >= 3 * len(HOSTS) and saw_superseded_past_its_end
