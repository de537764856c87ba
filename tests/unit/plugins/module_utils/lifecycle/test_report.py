"""op_report on a real inventory (SQLite and JSON) and the embedded CA: files written once,
unchanged on a rerun, nothing written in check mode or on bad input."""
import json
import os

import pytest

from ansible_collections.pki.lifecycle.plugins.module_utils.errors import InputError
from ansible_collections.pki.lifecycle.plugins.module_utils.vocabulary import VALIDATION_STATUSES


def report(pki, dest, check_mode=False, **params):
    base = dict(dest=str(dest), name='certificates', formats=['html', 'csv', 'json'], title='Test', horizon_days=90,
                mode='0640', expiring_days=30)
    base.update(params)
    return pki.run('report', check_mode=check_mode, **base)


def test_report_written_once_then_unchanged(pki, tmp_path):
    pki.ra_profile()
    a = pki.issue('a.example.org')
    pki.issue('b.example.org')
    pki.run('revoke', certificate=a['certificate']['uuid'], reason='keyCompromise')
    dest = tmp_path / 'out' / 'reports'

    dry = report(pki, dest, check_mode=True)
    assert dry['changed'] and len(dry['written']) == 3 and not dest.exists()

    first = report(pki, dest)
    assert first['changed'] and sorted(os.listdir(str(dest))) == ['certificates.csv', 'certificates.html',
                                                                  'certificates.json']
    assert oct(os.stat(first['files']['html']).st_mode & 0o777) == '0o640'
    data = json.loads(open(first['files']['json']).read())
    assert data['summary']['by_status']['revoked'] == 1 and data['summary']['total'] == 2
    assert sorted(r['subject'] for r in data['rows']) == ['CN=a.example.org', 'CN=b.example.org']
    assert all(r['compliance_status'] for r in data['rows'])          # compliance always checked

    again = report(pki, dest)
    assert not again['changed'] and again['written'] == []

    pki.issue('c.example.org')                                         # the data changed: rewritten
    third = report(pki, dest)
    assert third['changed'] and 'c.example.org' in open(third['files']['html']).read()


def test_renewed_certificate(pki, tmp_path):
    # Where the inventory derives "superseded" (issue 18), the replaced certificate is counted
    # apart and hidden until asked for; before that, every certificate is current.
    pki.ra_profile()
    old = pki.issue('a.example.org')
    pki.run('renew', certificate=old['certificate']['uuid'], force=True)
    result = report(pki, tmp_path / 'out')
    data = json.loads(open(result['files']['json']).read())
    assert data['summary']['all'] == 2
    old_row = next(r for r in data['rows'] if r['uuid'] == old['certificate']['uuid'])
    page = open(result['files']['html']).read()
    if 'superseded' in VALIDATION_STATUSES:
        assert old_row['validation_status'] == 'superseded' and not old_row['current']
        assert data['summary']['total'] == 1 and data['summary']['superseded'] == 1
        assert 'id="show-superseded"' in page and '1 of 2 shown' in page
    else:
        assert old_row['current'] and data['summary']['total'] == 2 and data['summary']['superseded'] == 0
        assert 'id="show-superseded"' not in page and '2 of 2 shown' in page


@pytest.mark.parametrize('params, words', [
    (dict(horizon_days=3), 'horizon_days'),
    (dict(formats=[]), 'formats'),
    (dict(mode='rw-r--r--'), 'mode'),
    (dict(name='../x'), 'name'),
])
def test_bad_input_writes_nothing(pki, tmp_path, params, words):
    pki.ra_profile()
    with pytest.raises(InputError) as err:
        report(pki, tmp_path / 'out', **params)
    assert words in str(err.value)
    assert not (tmp_path / 'out').exists()


def test_dest_that_is_a_file(pki, tmp_path):
    pki.ra_profile()
    target = tmp_path / 'afile'
    target.write_text('x')
    with pytest.raises(InputError) as err:
        report(pki, target)
    assert 'is a file' in str(err.value) and target.read_text() == 'x'
