"""lifecycle/renew.py: renewal only when due (renewal_due), lineage, due: true through the
pipeline's batched entry, check mode and diff."""
import pytest

from ansible_collections.pki.lifecycle.plugins.module_utils.errors import InputError, PkiError
from ansible_collections.pki.lifecycle.plugins.module_utils.lifecycle.context import Context
from ansible_collections.pki.lifecycle.plugins.module_utils.lifecycle.renew import renewal_due


def test_renew_when_not_due_changes_nothing(pki):
    issued = pki.issue()
    before = pki.snapshot()
    result = pki.run('renew', certificate=issued['certificate']['uuid'])
    assert result['changed'] is False
    assert result['reason'].startswith('Not due')
    assert result['certificate']['uuid'] == issued['certificate']['uuid']
    assert pki.snapshot() == before


def test_renew_when_due_then_not_again(pki):
    issued = pki.issue(labels={'host': 'www1'})
    old = issued['certificate']
    renewed = pki.run('renew', certificate=old['uuid'], renew_before='100%', diff_mode=True)
    assert renewed['changed'] is True and renewed['reason'].startswith('Renewed serial %s' % old['serial'])
    new = renewed['certificate']
    assert new['lineage']['renewed_from'] == old['uuid']
    assert new['spki_sha256'] == old['spki_sha256'] and new['serial'] != old['serial']
    assert new['labels'] == {'host': 'www1'}
    assert renewed['diff']['before']['serial'] == old['serial']
    assert renewed['diff']['after']['serial'] == new['serial']
    # Naming the old certificate again renews its lineage head, which is not due.
    again = pki.run('renew', certificate=old['uuid'])
    assert again['changed'] is False and again['certificate']['uuid'] == new['uuid']


def test_renewal_due_prefers_the_task_window(pki):
    issued = pki.issue()
    record = pki.certificates(uuid=issued['certificate']['uuid'])[0]
    ctx = Context(dict(inventory=pki.inventory), False, False)
    try:
        profile = dict(name='web', connector='local', policy=dict(renew_before='30'),
                       connector_options=dict(directory=str(pki.ca_dir)))
        due, _opens, renew_before = renewal_due(ctx, record, dict(renew_before='100%'), profile, {})
        assert due is True and renew_before == '100%'
        due, _opens, renew_before = renewal_due(ctx, record, {}, profile, {})
        assert due is False and renew_before == '30'
    finally:
        ctx.close()


def test_renew_check_mode_writes_nothing_and_calls_no_ca(pki, forbid_ca):
    issued = pki.issue()
    no_ca = forbid_ca()
    before = pki.snapshot()
    result = pki.run('renew', check_mode=True, certificate=issued['certificate']['uuid'], renew_before='100%')
    assert result['changed'] is True and result['reason'].startswith('Would renew')
    due = pki.run('renew', check_mode=True, due=True, ra_profile='web', renew_before='100%')
    assert due['changed'] is True and due['renewed'] == 1
    assert due['certificates'][0]['reason'].startswith('Would renew')
    assert no_ca == []
    assert pki.snapshot() == before


def test_renew_due_renews_every_head_once(pki):
    first = [pki.issue(name='h%d.example.org' % i)['certificate'] for i in range(3)]
    result = pki.run('renew', due=True, ra_profile='web', renew_before='100%')
    assert result['changed'] is True and result['renewed'] == 3 and result['errors'] == []
    assert sorted(c['renewed_from'] for c in result['certificates']) == sorted(c['uuid'] for c in first)
    assert all(c['certificate']['state'] == 'issued' for c in result['certificates'])
    assert len(pki.certificates(state='issued')) == 6
    nothing = pki.run('renew', due=True, ra_profile='web')
    assert nothing['changed'] is False and nothing['reason'] == 'No certificate is due for renewal.'


def test_renew_due_reports_what_failed_and_renews_the_rest(pki):
    pki.issue(name='ok.example.org')
    broken = pki.issue(name='gone.example.org')['certificate']
    # The stored CSR no longer decodes: that one fails while building its request.
    store_record = pki.certificates(uuid=broken['uuid'])[0]
    from ansible_collections.pki.lifecycle.plugins.module_utils.inventory.stores import open_store
    store = open_store(pki.inventory)
    try:
        with store.transaction() as tx:
            tx.put_certificate(dict(store_record, csr_pem='not a csr'))
    finally:
        store.close()
    with pytest.raises(PkiError) as err:
        pki.run('renew', due=True, ra_profile='web', renew_before='100%')
    details = err.value.details
    assert details['renewed'] == 1
    assert [e['uuid'] for e in details['errors']] == [broken['uuid']]
    assert len(pki.certificates(state='issued')) == 3
    assert pki.certificates(state='requested') == []


def test_revoked_certificate_is_not_renewed(pki):
    issued = pki.issue()['certificate']
    pki.run('revoke', certificate=issued['uuid'], reason='superseded')
    with pytest.raises(InputError, match='revoked'):
        pki.run('renew', certificate=issued['uuid'], renew_before='100%')


def test_renew_due_keeps_a_pending_request_waiting(pki, monkeypatch):
    """A CA that waits for challenges (ACME): the renewal stays requested, with its challenge data."""
    from ansible_collections.pki.lifecycle.plugins.module_utils.connectors.base import Pending
    from ansible_collections.pki.lifecycle.plugins.module_utils.connectors.local import LocalConnector
    old = pki.issue()['certificate']
    challenge = [{'type': 'dns-01', 'record': '_acme-challenge.www.example.org'}]
    monkeypatch.setattr(LocalConnector, 'renew', lambda self, *a, **k: Pending(challenge, {'order_url': 'u'}))
    result = pki.run('renew', due=True, ra_profile='web', renew_before='100%')
    [item] = result['certificates']
    assert item['challenge_data'] == challenge and item['renewed_from'] == old['uuid']
    [waiting] = pki.certificates(state='requested')
    assert waiting['connector_data']['awaiting_challenges'] is True
    assert waiting['connector_data']['order_url'] == 'u' and waiting['renewed_from'] == old['uuid']


def test_renew_due_forgets_what_the_ca_refused(pki, monkeypatch):
    from ansible_collections.pki.lifecycle.plugins.module_utils.connectors.local import LocalConnector
    from ansible_collections.pki.lifecycle.plugins.module_utils.errors import ConnectorError
    pki.issue(name='a.example.org')
    pki.issue(name='b.example.org')
    real_renew = LocalConnector.renew

    def refuse_b(self, csr_pem, previous, *args, **kwargs):
        if 'b.example.org' in previous['subject']:
            raise ConnectorError('The CA refuses b.')
        return real_renew(self, csr_pem, previous, *args, **kwargs)
    monkeypatch.setattr(LocalConnector, 'renew', refuse_b)
    with pytest.raises(PkiError, match='1 of 2 due') as err:
        pki.run('renew', due=True, ra_profile='web', renew_before='100%')
    assert err.value.details['errors'][0]['msg'] == 'The CA refuses b.'
    assert len(pki.certificates(state='issued')) == 3
    assert pki.certificates(state='requested') == [] and pki.certificates(state='failed') == []
