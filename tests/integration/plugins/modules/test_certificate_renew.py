"""pki.lifecycle.certificate_renew through pytest-ansible on localhost with the embedded CA."""
from harness.pki import verify


def test_not_due_then_due_then_follows_the_lineage(pki, tmp_path):
    pki.setup()
    issued = pki.issue('www.example.test')
    uuid = issued['certificate']['uuid']
    not_due = pki('certificate_renew', certificate=uuid)
    assert not not_due['changed'] and not not_due.get('failed'), not_due
    assert 'Not due' in not_due['reason']
    renewed = pki('certificate_renew', certificate=uuid, renew_before='100%')
    assert renewed['changed'], renewed
    new = renewed['certificate']
    assert new['lineage']['renewed_from'] == uuid
    assert new['serial'] != issued['certificate']['serial']
    assert new['spki_sha256'] == issued['certificate']['spki_sha256']
    assert verify(renewed['certificate_pem'], issued['chain_pem'] + issued['root_pem'], tmp_path).returncode == 0
    # asking again about the old certificate follows the lineage to the renewed one: nothing to do
    again = pki('certificate_renew', certificate=uuid)
    assert not again['changed'] and again['certificate']['uuid'] == new['uuid'], again
    assert len(pki.rows()) == 2


def test_check_mode_reports_and_writes_nothing(pki):
    pki.setup()
    uuid = pki.issue('www.example.test')['certificate']['uuid']
    before = pki.snapshot()
    planned = pki('certificate_renew', check=True, certificate=uuid, renew_before='100%')
    assert planned['changed'] and not planned.get('failed'), planned
    assert pki.snapshot() == before


def test_bad_input_fails_with_the_fix_and_changes_nothing(pki):
    pki.setup()
    uuid = pki.issue('www.example.test')['certificate']['uuid']
    before = pki.snapshot()
    pki.assert_failed(pki('certificate_renew', certificate='00112233aabb'), '00112233aabb', 'not in the inventory')
    pki.assert_failed(pki('certificate_renew', certificate=uuid, renew_before='soon'), 'soon', '33%')
    assert pki.snapshot() == before
