"""lifecycle discover and adopt, in process, on SQLite and JSON inventories (the conftest's ``pki``)."""
import datetime

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ansible_collections.pki.lifecycle.plugins.module_utils.errors import InputError, PolicyError

PEM = serialization.Encoding.PEM


def foreign(name):
    """A leaf of a throwaway foreign CA, with the chain."""
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, 'Elsewhere Root')])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
          .not_valid_after(now + datetime.timedelta(days=900))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), True).sign(ca_key, hashes.SHA256()))
    leaf = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=60))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), False)
            .sign(ca_key, hashes.SHA256()))
    return leaf.public_bytes(PEM).decode(), ca.public_bytes(PEM).decode()


def discovery(*found):
    return dict(kind='file', roots=['/etc'], errors=[], left_out=[],
                certificates=[dict(path=path, index=0, format='pem', owner='root', group='root', mode='0644',
                                   certificate_pem=cert, chain_pem=chain, private_key=None)
                              for path, cert, chain in found])


def test_discover_records_once_and_check_mode_writes_nothing(pki):
    cert, chain = foreign('www.example.org')
    given = discovery(('/etc/a.crt', cert, chain))
    before = pki.snapshot()
    planned = pki.run('discover', check_mode=True, discovery=given, host='web1')
    assert planned['changed'] is True and planned['counts']['new'] == 1 and pki.snapshot() == before
    first = pki.run('discover', discovery=given, host='web1')
    assert first['changed'] is True and first['records'][0]['state'] == 'discovered'
    assert first['records'][0]['changes'] == ['found at web1:/etc/a.crt']
    again = pki.run('discover', discovery=given, host='web1')
    assert again['changed'] is False and again['records'] == []
    both = pki.run('discover', discoveries=[dict(host='web2', discovery=given)])
    assert both['changed'] is True and len(pki.certificates()) == 1
    [record] = pki.certificates()
    assert sorted(l['host'] for l in record['locations']) == ['web1', 'web2']


@pytest.mark.parametrize('params, message', [
    (dict(discovery={'certificates': []}, host='h'), 'not the result of a discovery module'),
    (dict(discovery=dict(kind='file', certificates=[])), 'no host is given'),
    (dict(discovery=dict(kind='file', certificates=[{'certificate_pem': 'garbage'}]), host='h'),
     'unreadable certificate'),
    (dict(discovery=dict(kind='file', failed=True, msg='boom'), host='h'), 'failed discovery task'),
    (dict(), 'Nothing to record'),
])
def test_discover_bad_input_changes_nothing(pki, params, message):
    before = pki.snapshot()
    with pytest.raises(InputError) as exc:
        pki.run('discover', **params)
    assert message in str(exc.value) and exc.value.hint   # the problem and the fix
    assert pki.snapshot() == before


def test_adopt_own_foreign_and_refused(pki):
    own = pki.issue('own.example.org')
    # the inventory forgets it, discovery finds it again
    other = pki.__class__(pki.tmp_path / 'other', 'json')
    (pki.tmp_path / 'other').mkdir()
    other.run('discover', discovery=discovery(('/etc/own.crt', own['certificate_pem'], own['chain_pem'])), host='h')
    cert, chain = foreign('shop.example.org')
    outside, outside_chain = foreign('shop.example.com')
    pki.run('discover', discovery=discovery(('/etc/shop.crt', cert, chain), ('/etc/x.crt', outside, outside_chain)),
            host='web1')
    found = dict((r['subject'], r) for r in pki.certificates(state='discovered'))
    adopted = pki.run('adopt', certificate=found['CN=shop.example.org']['fingerprint_sha256'], ra_profile='web')
    assert adopted['changed'] and 'replaceable' in adopted['reason']
    [record] = pki.certificates(uuid=adopted['certificate']['uuid'])
    assert record['state'] == 'issued' and record['replaceable'] is True
    assert record['labels'] == {'host': 'web1', 'fullchain_path': '/etc/shop.crt', 'mode': '0644'}   # chain in the file
    assert pki.run('adopt', certificate=record['uuid'], ra_profile='web')['changed'] is False
    before = pki.snapshot()
    with pytest.raises(PolicyError) as exc:
        pki.run('adopt', certificate=found['CN=shop.example.com']['uuid'], ra_profile='web')
    assert 'shop.example.com' in str(exc.value) and pki.snapshot() == before
    # own: the same CA (the profile in the other inventory points at the same CA directory)
    other.run('ra_profile', name='web', state='present', connector='local',
              connector_options=dict(directory=str(pki.ca_dir), ca_subject='CN=Unit Test CA'),
              policy=dict(allowed_names=['*.example.org']))
    mine = other.run('adopt', certificate=own['certificate']['fingerprint_sha256'], ra_profile='web')
    assert mine['changed'] and 'its CA issued' in mine['reason']
    [record] = other.certificates(uuid=mine['certificate']['uuid'])
    assert record['replaceable'] is False and record['adoption']['issued_by_profile_ca'] is True


def test_info_compliance_and_filters(pki):
    cert, chain = foreign('shop.example.org')
    pki.issue('www.example.org')
    pki.run('discover', discovery=discovery(('/etc/shop.crt', cert, chain)), host='web1')
    info = pki.run('info', compliance=True)
    rules = dict((c['subject'], sorted(f['rule'] for f in c['compliance']['findings'])) for c in info['certificates'])
    assert rules == {'CN=www.example.org': [], 'CN=shop.example.org': ['unknown_issuer']}
    assert info['compliance']['compliant'] == 1 and info['compliance']['rules']['unknown_issuer'] == 1
    known = pki.run('info', compliance=True, trust_anchors=chain)
    assert all(c['compliance']['status'] == 'compliant' for c in known['certificates'])
    only = pki.run('info', origin=['discovered'])
    assert [c['subject'] for c in only['certificates']] == ['CN=shop.example.org']
    assert only['certificates'][0]['validation_status'] == 'valid'
    assert [c['subject'] for c in pki.run('info', location_host='web1')['certificates']] == ['CN=shop.example.org']
    bad = pki.run('info', compliance_status=['noncompliant'])
    assert [c['subject'] for c in bad['certificates']] == ['CN=shop.example.org']


def test_revoking_a_replaceable_certificate_retires_it_without_the_ca(pki, forbid_ca):
    cert, chain = foreign('shop.example.org')
    pki.run('discover', discovery=discovery(('/etc/shop.crt', cert, chain)), host='web1')
    [found] = pki.certificates(state='discovered')
    pki.run('adopt', certificate=found['uuid'], ra_profile='web')
    calls = forbid_ca()
    out = pki.run('revoke', certificate=found['uuid'], reason='superseded')
    assert out['changed'] and 'in the inventory only' in out['reason'] and calls == []
    assert pki.certificates(uuid=found['uuid'])[0]['state'] == 'revoked'
