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
