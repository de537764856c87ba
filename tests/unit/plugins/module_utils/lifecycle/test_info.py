"""lifecycle/info.py: what certificate_info lists and counts. A certificate a renewal or rekey
replaced is ``superseded`` (unless revoked) and says by which uuid; counts are of the current
certificates by default, superseded ones counted apart; ``scope`` picks current, superseded or
all; ``due_within_days`` looks at the current ones unless asked otherwise. Both file stores."""
import datetime

import pytest

from ansible_collections.pki.lifecycle.plugins.module_utils.lifecycle import context as contextlib
from ansible_collections.pki.lifecycle.plugins.module_utils.vocabulary import utcnow


@pytest.fixture
def history(pki):
    """a renewed (a -> a2), b rekeyed (b -> b2), c rekeyed with revoke_previous (c -> c2, c
    revoked), d revoked with no successor. In use: a2, b2, c2 valid; c and d revoked."""
    made = {}
    for name in 'abcd':
        made[name] = pki.issue(name='%s.example.org' % name, labels={'host': name})['certificate']
    made['a2'] = pki.run('renew', certificate=made['a']['uuid'], renew_before='100%')['certificate']
    made['b2'] = pki.run('rekey', certificate=made['b']['uuid'], csr=pki.csr('b.example.org'))['certificate']
    made['c2'] = pki.run('rekey', certificate=made['c']['uuid'], csr=pki.csr('c.example.org'),
                         revoke_previous=True)['certificate']
    pki.run('revoke', certificate=made['d']['uuid'], reason='keyCompromise')
    return dict((k, v['uuid']) for k, v in made.items())


def listed(result):
    return dict((c['uuid'], c) for c in result['certificates'])


def by_name(result, history):
    names = dict((v, k) for k, v in history.items())
    return sorted(names[c['uuid']] for c in result['certificates'])


def test_default_lists_and_counts_the_current_certificates(pki, history):
    before = pki.snapshot()
    info = pki.run('info')
    assert by_name(info, history) == ['a2', 'b2', 'c', 'c2', 'd']
    assert info['counts'] == dict(valid=3, expiring=0, expired=0, revoked=2, invalid=0, superseded=2, total=5)
    items = listed(info)
    # A revoked certificate stays revoked, also when a rekey replaced it; it says by which.
    assert items[history['c']]['validation_status'] == 'revoked'
    assert items[history['c']]['superseded_by'] == history['c2']
    assert items[history['d']]['validation_status'] == 'revoked' and items[history['d']]['superseded_by'] is None
    assert all(items[history[n]]['superseded_by'] is None for n in ('a2', 'b2', 'c2'))
    assert pki.snapshot() == before  # reads only


def test_scope_superseded_and_all(pki, history):
    replaced = pki.run('info', scope='superseded')
    assert by_name(replaced, history) == ['a', 'b']
    assert replaced['counts']['superseded'] == replaced['counts']['total'] == 2
    assert replaced['counts']['valid'] == replaced['counts']['revoked'] == 0
    items = listed(replaced)
    assert items[history['a']]['superseded_by'] == history['a2']
    assert items[history['b']]['superseded_by'] == history['b2']
    assert all(c['validation_status'] == 'superseded' and c['state'] == 'issued' for c in items.values())
    # Lineage stays as it was: the successor names its predecessor.
    every = pki.run('info', scope='all')
    assert len(every['certificates']) == every['counts']['total'] == 7
    assert every['counts']['superseded'] == 2 and every['counts']['valid'] == 3
    lineage = dict((c['uuid'], c['lineage']) for c in every['certificates'])
    assert lineage[history['a2']]['renewed_from'] == history['a']
    assert lineage[history['b2']]['rekeyed_from'] == history['b']


def test_a_certificate_named_by_uuid_or_serial_is_found_whatever_its_scope(pki, history):
    old = pki.run('info', uuid=history['a'])
    [item] = old['certificates']
    assert item['validation_status'] == 'superseded' and item['superseded_by'] == history['a2']
    by_serial = pki.run('info', serial=item['serial'])
    assert [c['uuid'] for c in by_serial['certificates']] == [history['a']]
    # An explicit scope wins.
    assert pki.run('info', uuid=history['a'], scope='current')['certificates'] == []
    asked = pki.run('info', validation_status=['superseded'])
    assert by_name(asked, history) == ['a', 'b']


def test_filters_apply_within_the_scope(pki, history):
    web_a = pki.run('info', labels={'host': 'a'})
    assert by_name(web_a, history) == ['a2']
    assert web_a['counts']['superseded'] == 1 and web_a['counts']['total'] == 1
    assert by_name(pki.run('info', labels={'host': 'a'}, scope='all'), history) == ['a', 'a2']
    valid = pki.run('info', validation_status=['valid'])
    assert by_name(valid, history) == ['a2', 'b2', 'c2']
    assert valid['counts']['superseded'] == 0  # filtered out by the status filter too


def test_superseded_certificates_are_not_expired_when_time_has_passed(pki, history, monkeypatch):
    later = utcnow() + datetime.timedelta(days=400)  # every certificate is past its end now
    monkeypatch.setattr(contextlib, 'utcnow', lambda: later)
    info = pki.run('info')
    assert info['counts']['expired'] == 3 and info['counts']['superseded'] == 2
    every = pki.run('info', scope='all')
    statuses = dict((c['uuid'], c['validation_status']) for c in every['certificates'])
    assert statuses[history['a']] == statuses[history['b']] == 'superseded'
    assert statuses[history['a2']] == 'expired'


def test_due_within_days_looks_at_current_certificates(pki, history):
    due = pki.run('info', due_within_days=3650)
    # Issued ones only (revoked c and d are not due), and no predecessor is due again.
    assert by_name(due, history) == ['a2', 'b2', 'c2']
    assert due['counts']['superseded'] == 2 and due['counts']['total'] == 3
    every = pki.run('info', due_within_days=3650, scope='all')
    assert by_name(every, history) == ['a', 'a2', 'b', 'b2', 'c2']
    assert by_name(pki.run('info', due_within_days=3650, scope='superseded'), history) == ['a', 'b']


def test_a_pending_or_failed_successor_does_not_supersede(pki):
    from ansible_collections.pki.lifecycle.plugins.module_utils.inventory.stores import open_store
    old = pki.issue()['certificate']
    store = open_store(pki.inventory)
    try:
        with store.transaction() as tx:
            record = tx.get_certificate(old['uuid'])
            for n, state in enumerate(('requested', 'failed')):
                tx.put_certificate(dict(record, uuid='00000000-0000-4000-8000-00000000000%d' % n, state=state,
                                        renewed_from=old['uuid'], serial=None))
    finally:
        store.close()
    info = pki.run('info', uuid=old['uuid'])
    assert info['certificates'][0]['validation_status'] == 'valid'
    assert info['certificates'][0]['superseded_by'] is None


def test_module_results_say_superseded_by(pki):
    csr = pki.csr('www.example.org')
    first = pki.issue(csr=csr)['certificate']
    assert first['superseded_by'] is None
    rekeyed = pki.run('rekey', certificate=first['uuid'], csr=pki.csr('www.example.org'))['certificate']
    # Asking again for the old key returns the old certificate: it says it was replaced.
    again = pki.issue(csr=csr)
    assert again['changed'] is False and again['certificate']['uuid'] == first['uuid']
    assert again['certificate']['validation_status'] == 'superseded'
    assert again['certificate']['superseded_by'] == rekeyed['uuid']
    revoked = pki.run('revoke', certificate=first['uuid'], reason='superseded')['certificate']
    assert revoked['validation_status'] == 'revoked' and revoked['superseded_by'] == rekeyed['uuid']
