"""pki.lifecycle.certificate_issue through pytest-ansible on localhost with the embedded CA.

Checked on the returned values, the inventory read independently and openssl verify."""
import os

from harness.pki import verify


def test_issue_from_csr_twice_changes_once(pki, tmp_path):
    pki.setup()
    csr = pki.csr('www.example.test')
    first = pki('certificate_issue', ra_profile='web', csr=csr, labels={'host': 'www'})
    assert first['changed'] and not first.get('failed'), first
    assert first['certificate']['subject_alt_names'] == ['DNS:www.example.test']
    assert first['certificate']['labels'] == {'host': 'www'}
    assert verify(first['certificate_pem'], first['chain_pem'] + first['root_pem'], tmp_path).returncode == 0
    again = pki('certificate_issue', ra_profile='web', csr=csr, labels={'host': 'www'})
    assert not again['changed'], again
    assert again['certificate']['uuid'] == first['certificate']['uuid']
    assert [r['uuid'] for r in pki.rows()] == [first['certificate']['uuid']]


def test_generated_key_twice_changes_once(pki):
    pki.setup()
    args = dict(ra_profile='web', token_profile='keys', key='api', generate_key=True, key_type='ec',
                subject='CN=api.example.test', subject_alt_names=['DNS:api.example.test'])
    first = pki('certificate_issue', **args)
    assert first['changed'] and not first.get('failed'), first
    assert os.path.exists(os.path.join(pki.key_dir, 'api.pem'))
    again = pki('certificate_issue', **args)
    assert not again['changed'] and again['certificate']['uuid'] == first['certificate']['uuid'], again
    assert 'PRIVATE KEY' not in repr(first) and 'PRIVATE KEY' not in repr(pki.rows())


def test_check_mode_reports_and_writes_nothing(pki):
    pki.setup()
    before = pki.snapshot()
    planned = pki('certificate_issue', check=True, ra_profile='web', token_profile='keys', key='new',
                  generate_key=True, subject='CN=new.example.test')
    assert planned['changed'] and not planned.get('failed'), planned
    assert pki.snapshot() == before
    assert not os.path.exists(os.path.join(pki.key_dir, 'new.pem'))
    assert not os.path.exists(os.path.join(pki.ca_dir, 'issued.jsonl')) or os.path.getsize(
        os.path.join(pki.ca_dir, 'issued.jsonl')) == 0


def test_bad_input_fails_with_the_fix_and_changes_nothing(pki):
    pki.setup()
    good = pki.csr('good.example.test')
    evil = pki.csr('evil.example.test', sans='DNS:evil.example.test,DNS:www.attacker.test')
    before = pki.snapshot()
    pki.assert_failed(pki('certificate_issue', ra_profile='web', csr=evil), 'www.attacker.test', 'does not allow')
    pki.assert_failed(pki('certificate_issue', ra_profile='nope', csr=good), 'nope', 'pki.lifecycle.ra_profile')
    pki.assert_failed(pki('certificate_issue', ra_profile='web', csr=good, validity_days=365), '365', '90')
    assert pki.snapshot() == before


def test_chain_leaves_the_root_out_and_eku_follows_the_profile(pki, tmp_path):
    """The embedded CA's root is returned as root_pem, not in chain_pem/fullchain_pem (unless
    chain_includes_root), and the RA profile chooses the extended key usage."""
    from cryptography import x509
    from cryptography.x509.oid import ExtendedKeyUsageOID

    def eku(pem):
        return list(x509.load_pem_x509_certificate(pem.encode()).extensions.get_extension_for_class(
            x509.ExtendedKeyUsage).value)

    pki.setup()
    default = pki.issue('default.example.test')
    assert default['root_pem'].startswith('-----BEGIN CERTIFICATE-----')
    assert default['chain_pem'] == '' and default['fullchain_pem'] == default['certificate_pem']
    assert verify(default['fullchain_pem'], default['root_pem'], tmp_path).returncode == 0
    assert eku(default['certificate_pem']) == [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
    # the inventory keeps the chain as the CA built it
    row = [r for r in pki.rows() if r['uuid'] == default['certificate']['uuid']][0]
    assert row['chain_pem'] == default['root_pem']

    for name, options, wanted in (
            ('srv', {'extended_key_usage': 'server'}, [ExtendedKeyUsageOID.SERVER_AUTH]),
            ('cli', {'extended_key_usage': 'client', 'chain_includes_root': True}, [ExtendedKeyUsageOID.CLIENT_AUTH]),
            ('oid', {'extended_key_usage': ['server_auth', '1.3.6.1.5.5.7.3.17']},
             [ExtendedKeyUsageOID.SERVER_AUTH, x509.ObjectIdentifier('1.3.6.1.5.5.7.3.17')])):
        made = pki('ra_profile', name=name, connector='local',
                   connector_options=dict(options, directory=pki.ca_dir))
        assert made['changed'] and not made.get('failed'), made
        issued = pki('certificate_issue', ra_profile=name, csr=pki.csr('%s.example.test' % name))
        assert issued['changed'] and not issued.get('failed'), issued
        assert eku(issued['certificate_pem']) == wanted, name
        assert issued['root_pem'] == default['root_pem']
        assert issued['chain_pem'] == (issued['root_pem'] if options.get('chain_includes_root') else ''), name
