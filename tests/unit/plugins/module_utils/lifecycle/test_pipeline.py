"""lifecycle/pipeline.py: the reservation, the outcome of a CA call (issued, refused,
invalid) and crash recovery of a reservation whose writer died."""
import datetime

import pytest

from ansible_collections.pki.lifecycle.plugins.module_utils.connectors.local import LocalConnector
from ansible_collections.pki.lifecycle.plugins.module_utils.errors import ConnectorError, ValidationError
from ansible_collections.pki.lifecycle.plugins.module_utils.inventory.stores import open_store
from ansible_collections.pki.lifecycle.plugins.module_utils.lifecycle.context import Context
from ansible_collections.pki.lifecycle.plugins.module_utils.lifecycle.records import new_record
from ansible_collections.pki.lifecycle.plugins.module_utils.lifecycle.request import resolve_request
from ansible_collections.pki.lifecycle.plugins.module_utils.vocabulary import iso, utcnow


def test_a_refused_request_leaves_the_inventory_as_it_was(pki, monkeypatch):
    before = pki.snapshot()

    def refuse(self, *args, **kwargs):
        raise ConnectorError('The CA says no.', 'Ask it nicely.')
    monkeypatch.setattr(LocalConnector, 'issue', refuse)
    with pytest.raises(ConnectorError, match='says no'):
        pki.issue()
    assert pki.snapshot() == before


def test_a_maybe_issued_failure_is_kept_as_failed(pki, monkeypatch):
    def lost(self, *args, **kwargs):
        raise ConnectorError('The connection broke after sending.', details=dict(maybe_issued=True))
    monkeypatch.setattr(LocalConnector, 'issue', lost)
    with pytest.raises(ConnectorError):
        pki.issue()
    [failed] = pki.certificates(state='failed')
    assert failed['failure_reason'] == 'The connection broke after sending.'


def test_an_invalid_certificate_is_stored_as_failed_not_issued(pki, monkeypatch):
    real_issue = LocalConnector.issue

    def other_names(self, csr_pem, attributes, validity_days=None, record=None):
        # A valid certificate from the CA, but for a request naming something else.
        return real_issue(self, pki.csr('other.example.org'), attributes, validity_days, record)
    monkeypatch.setattr(LocalConnector, 'issue', other_names)
    with pytest.raises(ValidationError, match='fails validation') as err:
        pki.issue()
    assert err.value.details['certificate']['state'] == 'failed'
    [failed] = pki.certificates(state='failed')
    assert failed['certificate_pem'] and 'different public key' in failed['failure_reason']
    assert pki.certificates(state='issued') == []


def _stale_reservation(pki, csr, requested_by):
    """A 'requested' record as a run that died after reserving would have left it."""
    ctx = Context(dict(inventory=pki.inventory), False, False)
    try:
        with ctx.store.transaction() as tx:
            profile = tx.get_ra_profile('web')
            request = resolve_request(ctx, tx, profile, dict(csr=csr))
            record = new_record(ctx, profile, request, {})
            record['requested_by'] = requested_by
            record['updated_at'] = iso(utcnow() - datetime.timedelta(hours=1))
            tx.put_certificate(record)
        return record
    finally:
        ctx.close()


def test_a_dead_writers_reservation_is_recovered_then_issued_afresh(pki):
    csr = pki.csr('www.example.org')
    # A pid on this host that is not running: the writer died before calling the CA.
    stale = _stale_reservation(pki, csr, 'someone@%s:%d' % (__import__('socket').gethostname(), 2 ** 22 + 7))
    result = pki.issue(csr=csr)
    assert result['changed'] is True
    recovered = pki.certificates(uuid=stale['uuid'])[0]
    assert recovered['state'] == 'failed' and 'died' in recovered['failure_reason']
    assert pki.certificates(state='requested') == []


def test_reservation_and_result_are_one_record(pki):
    result = pki.issue()
    records = pki.certificates()
    assert [r['uuid'] for r in records] == [result['certificate']['uuid']]
    store = open_store(pki.inventory)
    try:
        with store.transaction(write=False) as tx:
            events = tx.list_events(certificate_uuid=result['certificate']['uuid'])
    finally:
        store.close()
    assert [e['operation'] for e in events] == ['issue']
    assert events[0]['message'] == 'Issued serial %s through RA profile %r.' % (result['certificate']['serial'], 'web')


def test_a_due_sweep_that_dies_after_the_ca_is_recovered_from_the_ca_index(pki, monkeypatch):
    """The embedded CA keeps a batch's PEMs in its index lines only: a sweep that dies after the
    CA wrote them and before the inventory stored them is recovered from those lines."""
    import json
    from ansible_collections.pki.lifecycle.plugins.module_utils.lifecycle import pipeline
    olds = [pki.issue(name='crash%d.example.org' % i)['certificate'] for i in range(3)]

    def die(*args, **kwargs):
        raise RuntimeError('killed before the store')
    monkeypatch.setattr(pipeline, '_store', die)
    with pytest.raises(RuntimeError):
        pki.run('renew', due=True, ra_profile='web', renew_before='100%')
    monkeypatch.undo()
    waiting = pki.certificates(state='requested')
    assert sorted(r['renewed_from'] for r in waiting) == sorted(o['uuid'] for o in olds)
    lines = [json.loads(line) for line in (pki.ca_dir / 'issued.jsonl').read_text().splitlines()]
    batch = dict((line['record_uuid'], line) for line in lines if line.get('certificate_pem'))
    assert set(batch) == set(r['uuid'] for r in waiting)
    assert not any((pki.ca_dir / 'issued' / (line['serial'] + '.pem')).exists() for line in batch.values())
    ctx = Context(dict(inventory=pki.inventory), False, False)
    try:
        connector = LocalConnector('web', dict(directory=str(pki.ca_dir)), {})
        for record in waiting:
            recovered = pipeline.recover_stale(ctx, connector, record)
            assert recovered['state'] == 'issued', recovered
            assert recovered['certificate_pem'] == batch[record['uuid']]['certificate_pem']
            assert recovered['serial'] == batch[record['uuid']]['serial']
    finally:
        ctx.close()
    assert pki.certificates(state='requested') == [] and len(pki.certificates(state='issued')) == 6
