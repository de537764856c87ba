"""discovery/inventory.py: one record per fingerprint, locations seen / gone / back, idempotency."""
from cryptography.hazmat.primitives import serialization

from ansible_collections.pki.lifecycle.plugins.module_utils.discovery import inventory as merge

from harness.x509_factory import ca_and_leaf

PEM = serialization.Encoding.PEM


def finding(path, leaf, chain=None):
    return dict(path=path, index=0, owner='root', group='root', mode='0644', format='pem',
                certificate_pem=leaf.public_bytes(PEM).decode(),
                chain_pem=chain.public_bytes(PEM).decode() if chain is not None else '', private_key=None)


def file_batch(host, roots, *found, **extra):
    return dict(dict(kind='file', host=host, roots=roots, certificates=list(found), errors=[], skipped=[]), **extra)


def apply(records, batches, stamp):
    result = merge.merge(records, batches, stamp)
    by_uuid = dict((r['uuid'], r) for r in records)
    by_uuid.update((r['uuid'], r) for r in result.touched.values())
    return list(by_uuid.values()), result


def test_one_record_across_hosts_then_nothing_changes():
    ca, _k, leaf, _lk = ca_and_leaf()
    batches = [file_batch('a', ['/etc'], finding('/etc/x.crt', leaf, ca)),
               file_batch('b', ['/etc'], finding('/etc/y.crt', leaf))]
    records, first = apply([], batches, 'T1')
    assert len(records) == 1 and records[0]['state'] == 'discovered' and first.created == [records[0]['uuid']]
    assert sorted(l['id'] for l in records[0]['locations']) == ['file:a:/etc/x.crt', 'file:b:/etc/y.crt']
    assert records[0]['chain_pem'].startswith('-----BEGIN CERTIFICATE')
    records, second = apply(records, batches, 'T2')
    assert second.changed_records() == [] and len(second.bookkeeping_records()) == 1
    assert all(l['last_seen'] == 'T2' and l['first_seen'] == 'T1' for l in records[0]['locations'])


def test_gone_only_inside_the_scope_and_never_when_unreadable():
    _ca, _k, leaf, _lk = ca_and_leaf()
    records = apply([], [file_batch('a', ['/etc', '/opt'], finding('/etc/x.crt', leaf), finding('/opt/z.crt', leaf))],
                    'T1')[0]
    # /opt not scanned this time: z stays; x not found: gone
    records, result = apply(records, [file_batch('a', ['/etc'])], 'T2')
    status = dict((l['path'], l['status']) for l in records[0]['locations'])
    assert status == {'/etc/x.crt': 'gone', '/opt/z.crt': 'present'}
    assert result.changes[records[0]['uuid']] == ['gone from a:/etc/x.crt']
    # unreadable directory: not gone
    records, result = apply(records, [file_batch('a', ['/opt'], errors=[{'path': '/opt', 'reason': 'denied'}])], 'T3')
    assert dict((l['path'], l['status']) for l in records[0]['locations'])['/opt/z.crt'] == 'present'
    # back again
    records, result = apply(records, [file_batch('a', ['/etc'], finding('/etc/x.crt', leaf))], 'T4')
    loc = [l for l in records[0]['locations'] if l['path'] == '/etc/x.crt'][0]
    assert loc['status'] == 'present' and loc['gone_since'] is None and result.changes


def test_a_file_holding_a_new_certificate_is_gone_for_the_old_one():
    _ca, _k, old, _ok = ca_and_leaf()
    _ca2, _k2, new, _nk = ca_and_leaf()
    records = apply([], [file_batch('a', ['/etc'], finding('/etc/x.crt', old))], 'T1')[0]
    records = apply(records, [file_batch('a', ['/etc'], finding('/etc/x.crt', new))], 'T2')[0]
    by_fp = dict((r['fingerprint_sha256'], r) for r in records)
    assert len(by_fp) == 2
    states = sorted((len(r['locations']), r['locations'][0]['status']) for r in records)
    assert states == [(1, 'gone'), (1, 'present')]


def test_an_issued_record_gets_the_location_and_keeps_its_state():
    _ca, _k, leaf, _lk = ca_and_leaf()
    records = apply([], [file_batch('a', ['/etc'], finding('/etc/x.crt', leaf))], 'T1')[0]
    records[0].update(state='issued', ra_profile='web')
    records = apply(records, [file_batch('b', ['/srv'], finding('/srv/x.crt', leaf))], 'T2')[0]
    assert len(records) == 1 and records[0]['state'] == 'issued' and len(records[0]['locations']) == 2


def test_endpoint_silent_is_not_gone():
    _ca, _k, leaf, _lk = ca_and_leaf()
    served = dict(finding('', leaf), endpoint='h:443', host='h', port=443, server_name='w', starttls='none',
                  protocol='TLSv1.3', verified=True)
    records = apply([], [dict(kind='endpoint', scanned=['h:443'], endpoints=[served], errors=[])], 'T1')[0]
    records = apply(records, [dict(kind='endpoint', scanned=['h:443'], endpoints=[],
                                   errors=[{'endpoint': 'h:443', 'reason': 'timed out'}])], 'T2')[0]
    assert records[0]['locations'][0]['status'] == 'present'
    records = apply(records, [dict(kind='endpoint', scanned=['h:443'], endpoints=[], errors=[])], 'T3')[0]
    assert records[0]['locations'][0]['status'] == 'gone'


def test_in_scope():
    assert merge.in_scope('/etc/ssl/x.pem', ['/etc'])
    assert not merge.in_scope('/etcetera/x.pem', ['/etc'])
    assert merge.in_scope('/opt/app1/conf/x.pem', ['/opt/*/conf'])
    assert not merge.in_scope('/opt/app1/x.pem', ['/opt/*/conf'])
