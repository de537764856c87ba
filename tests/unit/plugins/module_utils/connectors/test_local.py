# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The embedded CA (connector 'local'), checked against the openssl command line."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import datetime
import json
import multiprocessing
import os
import stat
import subprocess

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from ansible_collections.pki.lifecycle.plugins.module_utils.connectors.local import LocalConnector
from ansible_collections.pki.lifecycle.plugins.module_utils.errors import ConnectorError, InputError


def make_csr(key_type='ec', cn='www.example.org', sans=('www.example.org',)):
    key = ec.generate_private_key(ec.SECP256R1()) if key_type == 'ec' else \
        rsa.generate_private_key(public_exponent=65537, key_size=2048)
    builder = x509.CertificateSigningRequestBuilder().subject_name(
        x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in sans]),
                                        critical=False)
    return builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM).decode()


def connector(tmp_path, profile='web', options=None, secrets=None):
    return LocalConnector(profile, options or {}, secrets or {}, context={'inventory_dir': str(tmp_path)})


def openssl(*args):
    return subprocess.run(('openssl',) + args, capture_output=True, text=True, check=False)


def write(path, text):
    path.write_text(text)
    return str(path)


@pytest.fixture(autouse=True)
def no_env_passphrase(monkeypatch):
    monkeypatch.delenv('PKI_LIFECYCLE_CA_PASSPHRASE', raising=False)


def test_create_issue_verify(tmp_path):
    conn = connector(tmp_path)
    ca_dir = tmp_path / 'ca' / 'web'
    ec_issued = conn.issue(make_csr('ec'), {}, record={'uuid': 'u-ec'})
    rsa_issued = conn.issue(make_csr('rsa', 'api.example.org', ['api.example.org', 'api2.example.org']),
                            {'extended_key_usage': ['server_auth']}, validity_days=30)

    assert stat.S_IMODE(os.stat(ca_dir).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(ca_dir / 'ca.key').st_mode) == 0o600
    assert (ca_dir / 'ca.key').read_text().startswith('-----BEGIN PRIVATE KEY-----')
    for name in ('ca.pem', 'crl.pem', 'issued.jsonl', 'revoked.json', 'issued'):
        assert (ca_dir / name).exists(), name
    ca_pem = (ca_dir / 'ca.pem').read_text()
    assert conn.trust_anchors() == [ca_pem]
    assert ec_issued.chain_pems == [ca_pem]
    ca = x509.load_pem_x509_certificate(ca_pem.encode())
    bc = ca.extensions.get_extension_for_class(x509.BasicConstraints)
    ku = ca.extensions.get_extension_for_class(x509.KeyUsage)
    assert bc.critical and bc.value.ca and ku.critical and ku.value.key_cert_sign and ku.value.crl_sign
    assert ca.subject.rfc4514_string() == 'CN=pki.lifecycle web CA'

    serials = set()
    for issued, name in ((ec_issued, 'ec'), (rsa_issued, 'rsa')):
        leaf = write(tmp_path / ('%s.pem' % name), issued.certificate_pem)
        result = openssl('verify', '-CAfile', str(ca_dir / 'ca.pem'), leaf)
        assert result.returncode == 0, result.stdout + result.stderr
        cert = x509.load_pem_x509_certificate(issued.certificate_pem.encode())
        assert 2 ** 126 <= cert.serial_number < 2 ** 127
        assert issued.connector_data['serial'] == '%x' % cert.serial_number
        serials.add(cert.serial_number)
        assert cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False
        assert (ca_dir / 'issued' / ('%x.pem' % cert.serial_number)).exists()

    ec_cert = x509.load_pem_x509_certificate(ec_issued.certificate_pem.encode())
    rsa_cert = x509.load_pem_x509_certificate(rsa_issued.certificate_pem.encode())
    assert len(serials) == 2
    # Leaf profile: key usage by key type, EKU default or from attributes, SANs from the CSR.
    assert not ec_cert.extensions.get_extension_for_class(x509.KeyUsage).value.key_encipherment
    assert rsa_cert.extensions.get_extension_for_class(x509.KeyUsage).value.key_encipherment
    assert list(ec_cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value) == \
        [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
    assert list(rsa_cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value) == \
        [ExtendedKeyUsageOID.SERVER_AUTH]
    assert rsa_cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value \
        .get_values_for_type(x509.DNSName) == ['api.example.org', 'api2.example.org']
    lifetime = rsa_cert.not_valid_after_utc - rsa_cert.not_valid_before_utc
    assert lifetime == datetime.timedelta(days=30, seconds=60)  # backdated 60 s for clock skew
    assert ec_cert.not_valid_after_utc - ec_cert.not_valid_before_utc == datetime.timedelta(days=90, seconds=60)
    short = conn.issue(make_csr(), {'validity_days': 10}, validity_days=90)  # the shorter wins
    short = x509.load_pem_x509_certificate(short.certificate_pem.encode())
    assert short.not_valid_after_utc - short.not_valid_before_utc == datetime.timedelta(days=10, seconds=60)
    index = [json.loads(line) for line in (ca_dir / 'issued.jsonl').read_text().splitlines()]
    assert [e['record_uuid'] for e in index] == ['u-ec', None, None]


def test_revoke_crl(tmp_path):
    conn = connector(tmp_path, options={'crl_distribution_point': 'http://pki.example.org/web.crl'})
    ca_dir = tmp_path / 'ca' / 'web'
    kept = conn.issue(make_csr('ec', 'kept.example.org', ['kept.example.org']), {})
    gone = conn.issue(make_csr('rsa', 'gone.example.org', ['gone.example.org']), {})
    first_crl = x509.load_pem_x509_crl((ca_dir / 'crl.pem').read_bytes())
    gone_cert = x509.load_pem_x509_certificate(gone.certificate_pem.encode())
    cdp = gone_cert.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    assert cdp[0].full_name[0].value == 'http://pki.example.org/web.crl'

    facts = conn.revoke(gone.certificate_pem, None, 'keyCompromise', {})
    assert facts['crl_path'] == str(ca_dir / 'crl.pem') and not facts['already_revoked']
    crl = x509.load_pem_x509_crl((ca_dir / 'crl.pem').read_bytes())
    number = crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number
    assert number == facts['crl_number'] > first_crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number
    assert crl.next_update_utc - crl.last_update_utc == datetime.timedelta(days=7, seconds=60)

    text = openssl('crl', '-in', str(ca_dir / 'crl.pem'), '-text', '-noout').stdout
    assert ('%X' % gone_cert.serial_number) in text.upper().replace(':', '')
    assert 'Key Compromise' in text
    assert openssl('crl', '-in', str(ca_dir / 'crl.pem'), '-CAfile', str(ca_dir / 'ca.pem'),
                   '-noout').returncode == 0

    check = ('verify', '-crl_check', '-CRLfile', str(ca_dir / 'crl.pem'), '-CAfile', str(ca_dir / 'ca.pem'))
    bad = openssl(*(check + (write(tmp_path / 'gone.pem', gone.certificate_pem),)))
    assert bad.returncode != 0 and 'revoked' in (bad.stdout + bad.stderr)
    good = openssl(*(check + (write(tmp_path / 'kept.pem', kept.certificate_pem),)))
    assert good.returncode == 0, good.stdout + good.stderr

    # Twice is harmless: same entry, no new CRL. By serial works too, as openssl prints it.
    again = conn.revoke(None, gone.connector_data['serial'], 'superseded', {})
    assert again['already_revoked'] and again['crl_number'] == facts['crl_number']
    serial = int(gone.connector_data['serial'], 16)
    for spelling in ('0x%X' % serial, ':'.join('%02X' % b for b in serial.to_bytes(16, 'big')), serial):
        assert conn.revoke(None, spelling, 'superseded', {})['already_revoked']
    with pytest.raises(InputError, match='not hexadecimal'):
        conn.revoke(None, 'xyz', 'superseded', {})
    # 'unspecified' carries no reason code (RFC 5280 5.3.1); invalidity date is kept.
    facts2 = conn.revoke(kept.certificate_pem, None, 'unspecified', {'invalidity_date': '2026-01-02T03:04:05Z'})
    assert facts2['crl_number'] == facts['crl_number'] + 1
    crl = x509.load_pem_x509_crl((ca_dir / 'crl.pem').read_bytes())
    entry = crl.get_revoked_certificate_by_serial_number(
        x509.load_pem_x509_certificate(kept.certificate_pem.encode()).serial_number)
    assert not [e for e in entry.extensions if isinstance(e.value, x509.CRLReason)]
    assert entry.extensions.get_extension_for_class(x509.InvalidityDate).value.invalidity_date_utc == \
        datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)
    assert conn.crl_pem() == (ca_dir / 'crl.pem').read_text()
    refreshed = x509.load_pem_x509_crl(conn.crl_pem(refresh=True).encode())
    assert refreshed.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number == facts2['crl_number'] + 1
    assert len(refreshed) == 2

    with pytest.raises(InputError) as err:
        conn.revoke(kept.certificate_pem, None, 'lost', {})
    assert 'keyCompromise' in str(err.value)


def test_revoke_refuses_foreign_certificate(tmp_path):
    other = connector(tmp_path, profile='other').issue(make_csr(), {})
    conn = connector(tmp_path)
    conn.check()
    with pytest.raises(ConnectorError) as err:
        conn.revoke(other.certificate_pem, None, 'superseded', {})
    assert 'was not issued by this CA (issuer CN=pki.lifecycle other CA' in str(err.value)
    with pytest.raises(ConnectorError):
        conn.revoke(None, 'abc123', 'superseded', {})


def test_passphrase(tmp_path, monkeypatch):
    secret = 'correct horse battery staple'
    conn = connector(tmp_path, secrets={'ca_passphrase': secret})
    assert conn.check()['exists']
    key_path = tmp_path / 'ca' / 'web' / 'ca.key'
    assert key_path.read_text().startswith('-----BEGIN ENCRYPTED PRIVATE KEY-----')
    assert openssl('pkey', '-in', str(key_path), '-passin', 'pass:' + secret, '-noout').returncode == 0

    for secrets in ({'ca_passphrase': 'wrong horse'}, {}):
        with pytest.raises(ConnectorError) as err:
            connector(tmp_path, secrets=secrets).issue(make_csr(), {})
        assert 'wrong horse' not in str(err.value) and secret not in str(err.value)
        assert 'ca_passphrase' in str(err.value)
    # The environment fallback works as the secret does.
    monkeypatch.setenv('PKI_LIFECYCLE_CA_PASSPHRASE', secret)
    assert connector(tmp_path).issue(make_csr(), {}).certificate_pem


def test_import_existing_ca(tmp_path):
    # An existing CA made by openssl, with an encrypted key.
    key, cert = str(tmp_path / 'root.key'), str(tmp_path / 'root.pem')
    made = openssl('req', '-x509', '-newkey', 'rsa:2048', '-keyout', key, '-out', cert, '-days', '30',
                   '-subj', '/O=Example/CN=Example Root', '-passout', 'pass:s3cret',
                   '-addext', 'basicConstraints=critical,CA:TRUE',
                   '-addext', 'keyUsage=critical,keyCertSign,cRLSign')
    assert made.returncode == 0, made.stderr
    options = {'ca_certificate': cert, 'ca_private_key': key}
    conn = connector(tmp_path, options=options, secrets={'ca_passphrase': 's3cret'})
    issued = conn.issue(make_csr(), {}, validity_days=365)
    ca_dir = tmp_path / 'ca' / 'web'
    assert not (ca_dir / 'ca.key').exists()  # the key stays where it is
    assert (ca_dir / 'ca.pem').read_text() == open(cert).read()
    leaf = write(tmp_path / 'leaf.pem', issued.certificate_pem)
    assert openssl('verify', '-CAfile', cert, leaf).returncode == 0
    leaf_cert = x509.load_pem_x509_certificate(issued.certificate_pem.encode())
    root = x509.load_pem_x509_certificate(open(cert, 'rb').read())
    assert leaf_cert.not_valid_after_utc == root.not_valid_after_utc  # capped at the CA's expiry
    assert conn.revoke(issued.certificate_pem, None, 'superseded', {})['crl_number'] >= 2

    with pytest.raises(InputError):  # a leaf is no CA
        connector(tmp_path, profile='x', options={'ca_certificate': leaf, 'ca_private_key': key},
                  secrets={'ca_passphrase': 's3cret'}).check()
    with pytest.raises(InputError):
        connector(tmp_path, options={'ca_certificate': cert})


def _ca(subject, key, issuer_cert=None, issuer_key=None, days=365):
    now = datetime.datetime.now(datetime.timezone.utc)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    return (x509.CertificateBuilder().subject_name(name)
            .issuer_name(issuer_cert.subject if issuer_cert else name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(issuer_key or key, hashes.SHA256()))


def test_import_intermediate_with_chain(tmp_path):
    root_key, int_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    root = _ca('Root', root_key)
    inter = _ca('Issuing', int_key, root, root_key)
    pem = serialization.Encoding.PEM
    paths = dict(ca_certificate=write(tmp_path / 'int.pem', inter.public_bytes(pem).decode()),
                 ca_private_key=write(tmp_path / 'int.key', int_key.private_bytes(
                     pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()),
                 ca_chain=write(tmp_path / 'root.pem', root.public_bytes(pem).decode()))
    conn = connector(tmp_path, options=paths)
    issued = conn.issue(make_csr(), {})
    assert issued.chain_pems == [inter.public_bytes(pem).decode(), root.public_bytes(pem).decode()]
    assert conn.trust_anchors() == [root.public_bytes(pem).decode()]
    leaf = write(tmp_path / 'leaf.pem', issued.certificate_pem)
    result = openssl('verify', '-CAfile', paths['ca_chain'], '-untrusted', paths['ca_certificate'], leaf)
    assert result.returncode == 0, result.stdout + result.stderr
    # The directory now belongs to this CA: importing another one there is refused.
    other_key = ec.generate_private_key(ec.SECP256R1())
    other = dict(ca_certificate=write(tmp_path / 'other.pem', _ca('Other', other_key).public_bytes(pem).decode()),
                 ca_private_key=write(tmp_path / 'other.key', other_key.private_bytes(
                     pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()))
    with pytest.raises(ConnectorError) as err:
        connector(tmp_path, options=other).check()
    assert 'already belongs to another CA' in str(err.value)


def test_lookup_by_record(tmp_path):
    conn = connector(tmp_path)
    assert conn.lookup({'uuid': 'nothing-yet'}) is None
    assert not (tmp_path / 'ca').exists()  # lookup does not create a CA
    issued = conn.issue(make_csr(), {}, record={'uuid': 'req-1'})
    conn.issue(make_csr(), {}, record={'uuid': 'req-2'})
    # A fresh connector (a new process after a crash) finds it from the CA's own index.
    found = connector(tmp_path).lookup({'uuid': 'req-1', 'state': 'requested'})
    assert found.certificate_pem == issued.certificate_pem
    assert found.chain_pems == issued.chain_pems
    assert connector(tmp_path).lookup({'uuid': 'req-3'}) is None
    # A line torn by a crash is skipped and does not swallow the next entry.
    with open(str(tmp_path / 'ca' / 'web' / 'issued.jsonl'), 'a') as index:
        index.write('{"serial": "ab')
    later = conn.issue(make_csr(), {}, record={'uuid': 'req-4'})
    assert connector(tmp_path).lookup({'uuid': 'req-4'}).certificate_pem == later.certificate_pem


def test_options_and_check_mode(tmp_path):
    with pytest.raises(InputError):
        connector(tmp_path, options={'ca_key_type': 'dsa'})
    with pytest.raises(InputError):
        connector(tmp_path, options={'validity_days': 'soon'})
    conn = LocalConnector('web', {}, {}, context={'inventory_dir': str(tmp_path), 'check_mode': True})
    assert conn.check() == {'directory': str(tmp_path / 'ca' / 'web'), 'exists': False}
    assert not (tmp_path / 'ca').exists()
    # A profile name cannot steer the default directory out of <inventory_dir>/ca.
    assert connector(tmp_path, profile='../../etc').directory.startswith(str(tmp_path / 'ca') + os.sep)
    ed = connector(tmp_path, profile='ed', options={'ca_key_type': 'ed25519', 'ca_subject': 'CN=Ed CA,O=Example'})
    leaf = write(tmp_path / 'ed-leaf.pem', ed.issue(make_csr(), {'key_usage': ['digitalSignature']}).certificate_pem)
    assert openssl('verify', '-CAfile', str(tmp_path / 'ca' / 'ed' / 'ca.pem'), leaf).returncode == 0


def _issue_in_child(args):
    inventory_dir, csr, barrier = args
    barrier.wait()  # all six reach first use together
    conn = LocalConnector('web', {'ca_key_type': 'rsa'}, {}, context={'inventory_dir': inventory_dir})
    return conn.issue(csr, {}).certificate_pem


def test_concurrent_first_use_creates_one_ca(tmp_path):
    ctx = multiprocessing.get_context('fork')
    csrs = [make_csr('ec', 'h%d.example.org' % i, ['h%d.example.org' % i]) for i in range(6)]
    with ctx.Manager() as manager:
        barrier = manager.Barrier(6)
        pool = ctx.Pool(6)
        try:
            leaves = pool.map_async(_issue_in_child, [(str(tmp_path), csr, barrier) for csr in csrs]).get(120)
        except BaseException:
            pool.terminate()
            raise
        # close + join, not Pool.__exit__'s terminate(): a worker killed while it holds the task
        # queue's lock leaves the others blocked on it forever (seen in CI under xdist).
        pool.close()
        pool.join()
    ca_dir = tmp_path / 'ca' / 'web'
    assert sorted(p.name for p in ca_dir.iterdir() if p.name.startswith('.tmp')) == []
    for i, pem in enumerate(leaves):
        leaf = write(tmp_path / ('leaf%d.pem' % i), pem)
        result = openssl('verify', '-CAfile', str(ca_dir / 'ca.pem'), leaf)
        assert result.returncode == 0, result.stdout + result.stderr
    assert len(set(x509.load_pem_x509_certificate(p.encode()).serial_number for p in leaves)) == 6
    assert len((ca_dir / 'issued.jsonl').read_text().splitlines()) == 6


def test_issued_says_what_it_made_and_the_facts_agree(tmp_path):
    """The embedded CA hands lifecycle what it put into the certificate; the facts built from
    that are exactly those derived from the certificate alone."""
    from cryptography.hazmat.primitives.asymmetric import ec as ec_mod
    from ansible_collections.pki.lifecycle.plugins.module_utils.connectors.local import LocalConnector
    from ansible_collections.pki.lifecycle.plugins.module_utils.x509.describe import certificate_facts
    from harness.certs import make_csr
    connector = LocalConnector('made', {'directory': str(tmp_path / 'ca')}, {})
    csr = make_csr(ec_mod.generate_private_key(ec_mod.SECP256R1()), 'CN=made.example.org')
    issued = connector.issue(csr.public_bytes(serialization.Encoding.PEM).decode(), {})
    assert issued.made is not None and issued.certificate is not None
    assert certificate_facts(issued.certificate, None, issued.made) == certificate_facts(issued.certificate)
    assert issued.made['serial'][1] == issued.connector_data['serial']
    # ... and what it made is what the certificate carries: its strings are the ones used.
    marked = dict(issued.made, fingerprint_sha256='from the CA')
    assert certificate_facts(issued.certificate, None, marked)['fingerprint_sha256'] == 'from the CA'


def test_issued_extensions_in_their_order_and_criticality(tmp_path):
    """The builder is made whole (not by add_extension calls): the certificate still carries
    every extension once, in the order and with the criticality they always had."""
    from cryptography.hazmat.primitives.asymmetric import ec as ec_mod
    from cryptography.x509.oid import ExtensionOID
    from ansible_collections.pki.lifecycle.plugins.module_utils.connectors.local import LocalConnector
    from harness.certs import make_csr
    connector = LocalConnector('order', {'directory': str(tmp_path / 'ca'), 'crl_distribution_point': 'http://x/c.crl',
                                         'ca_issuers_url': 'http://x/ca.pem'}, {})
    csr = make_csr(ec_mod.generate_private_key(ec_mod.SECP256R1()), 'CN=order.example.org')
    for _round in range(2):   # the second from what was made once
        cert = connector.issue(csr.public_bytes(serialization.Encoding.PEM).decode(), {}).certificate
        assert [(e.oid, e.critical) for e in cert.extensions] == [
            (ExtensionOID.BASIC_CONSTRAINTS, True), (ExtensionOID.SUBJECT_KEY_IDENTIFIER, False),
            (ExtensionOID.AUTHORITY_KEY_IDENTIFIER, False), (ExtensionOID.KEY_USAGE, True),
            (ExtensionOID.EXTENDED_KEY_USAGE, False), (ExtensionOID.SUBJECT_ALTERNATIVE_NAME, False),
            (ExtensionOID.CRL_DISTRIBUTION_POINTS, False), (ExtensionOID.AUTHORITY_INFORMATION_ACCESS, False)]
        assert cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value == \
            x509.SubjectKeyIdentifier.from_public_key(csr.public_key())
        assert cert.not_valid_before_utc < cert.not_valid_after_utc
