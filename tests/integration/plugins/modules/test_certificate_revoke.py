"""pki.lifecycle.certificate_revoke through pytest-ansible on localhost with the embedded CA;
the CA's own CRL is read with openssl."""
from harness.pki import openssl, verify


def crl_text(path):
    with open(path) as handle:
        out = openssl('crl', '-noout', '-text', input_text=handle.read())
    assert out.returncode == 0, out.stderr
    return out.stdout.replace(':', '').upper()


def test_check_mode_then_revoke_then_unchanged(pki, tmp_path):
    pki.setup()
    issued = pki.issue('www.example.test')
    serial = issued['certificate']['serial']
    before = pki.snapshot()
    planned = pki('certificate_revoke', check=True, certificate=serial, reason='keyCompromise')
    assert planned['changed'] and not planned.get('failed'), planned
    assert pki.snapshot() == before

    revoked = pki('certificate_revoke', certificate=serial, reason='keyCompromise')
    assert revoked['changed'] and revoked['certificate']['state'] == 'revoked', revoked
    text = crl_text(revoked['crl_path'])
    assert serial.upper().lstrip('0') in text and 'KEY COMPROMISE' in text
    with open(revoked['crl_path']) as handle:
        crl = handle.read()
    assert verify(issued['certificate_pem'], issued['chain_pem'] + issued['root_pem'], tmp_path, crl_pem=crl).returncode != 0

    again = pki('certificate_revoke', certificate=issued['certificate']['uuid'], reason='keyCompromise')
    assert not again['changed'] and not again.get('failed'), again
    [row] = pki.rows()
    assert row['state'] == 'revoked' and row['revocation_reason'] == 'keyCompromise'


def test_bad_input_fails_with_the_fix_and_changes_nothing(pki):
    pki.setup()
    uuid = pki.issue('www.example.test')['certificate']['uuid']
    before = pki.snapshot()
    pki.assert_failed(pki('certificate_revoke', certificate=uuid, reason='because'), 'because', 'keyCompromise')
    pki.assert_failed(pki('certificate_revoke', certificate='0a0b0c', reason='superseded'), '0a0b0c',
                      'not in the inventory')
    assert pki.snapshot() == before
