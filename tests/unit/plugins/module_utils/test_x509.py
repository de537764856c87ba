# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for module_utils/x509.py: PEM input, names, SANs, info, chain validation."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import datetime
import hashlib
import ipaddress

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from ansible_collections.pki.lifecycle.plugins.module_utils import x509 as X
from ansible_collections.pki.lifecycle.plugins.module_utils.errors import InputError, ValidationError

NOW = datetime.datetime.now(datetime.timezone.utc)
DAY = datetime.timedelta(days=1)


# --- helpers: tiny CAs ------------------------------------------------------------------

def _name(cn):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def make_cert(subject, key, issuer=None, issuer_key=None, ca=False, path_length=None,
              not_before=None, not_after=None, sans=None, key_usage=None, bc=True, pss=False,
              eku=None, serial=None):
    issuer = issuer or subject
    issuer_key = issuer_key or key
    builder = (x509.CertificateBuilder()
               .subject_name(_name(subject)).issuer_name(_name(issuer))
               .public_key(key.public_key())
               .serial_number(serial or x509.random_serial_number())
               .not_valid_before(not_before or NOW - DAY)
               .not_valid_after(not_after or NOW + 30 * DAY))
    if bc:
        builder = builder.add_extension(x509.BasicConstraints(ca=ca, path_length=path_length), critical=True)
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(X.parse_subject_alt_names(sans)),
                                        critical=False)
    if key_usage:
        builder = builder.add_extension(x509.KeyUsage(**dict((u, u in key_usage) for u in X.KEY_USAGES)),
                                        critical=True)
    if eku:
        builder = builder.add_extension(x509.ExtendedKeyUsage(eku), critical=False)
    algorithm = None if isinstance(issuer_key, ed25519.Ed25519PrivateKey) else hashes.SHA256()
    kwargs = {}
    if pss:
        kwargs['rsa_padding'] = padding.PSS(padding.MGF1(hashes.SHA256()), 32)
    return builder.sign(issuer_key, algorithm, **kwargs)


def ec_key():
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture(scope='module')
def pki():
    """root -> intermediate -> leaf, plus an unrelated root."""
    root_key, inter_key, leaf_key, other_key = ec_key(), ec_key(), ec_key(), ec_key()
    root = make_cert('Root', root_key, ca=True, key_usage=['key_cert_sign', 'crl_sign'])
    inter = make_cert('Inter', inter_key, 'Root', root_key, ca=True, path_length=0,
                      key_usage=['key_cert_sign', 'crl_sign'])
    leaf = make_cert('leaf.example.org', leaf_key, 'Inter', inter_key, sans=['DNS:leaf.example.org'],
                     key_usage=['digital_signature'], eku=[ExtendedKeyUsageOID.SERVER_AUTH])
    other = make_cert('Other Root', other_key, ca=True)
    return dict(root=root, root_key=root_key, inter=inter, inter_key=inter_key, leaf=leaf,
                leaf_key=leaf_key, other=other, other_key=other_key)


def make_csr(key=None, subject='CN=req.example.org'):
    key = key or ec_key()
    return (x509.CertificateSigningRequestBuilder().subject_name(X.parse_subject(subject))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName('req.example.org')]), critical=False)
            .sign(key, hashes.SHA256()))


# --- PEM input --------------------------------------------------------------------------

def test_read_pem_input_text_and_path(tmp_path, pki):
    text = X.pem(pki['leaf'])
    assert X.read_pem_input(text, 'certificate') == text
    path = tmp_path / 'leaf.pem'
    path.write_text(text)
    assert X.read_pem_input(str(path), 'certificate') == text


def test_read_pem_input_missing_path(tmp_path):
    with pytest.raises(InputError, match='does not exist'):
        X.read_pem_input(str(tmp_path / 'nope.csr'), 'csr')


def test_read_pem_input_not_pem():
    with pytest.raises(InputError) as err:
        X.read_pem_input('hello world\nnot a csr', 'csr')
    assert "csr is not PEM: expected '-----BEGIN CERTIFICATE REQUEST-----'" in str(err.value)
    assert 'pass the PEM text or a path to it' in str(err.value)


def test_read_pem_input_wrong_type(pki):
    with pytest.raises(InputError, match='CERTIFICATE REQUEST'):
        X.read_pem_input(X.pem(pki['leaf']), 'csr')


def test_read_pem_input_empty():
    with pytest.raises(InputError, match='empty'):
        X.read_pem_input('  ', 'csr')


def test_load_certificate_malformed(pki):
    text = X.pem(pki['leaf'])
    lines = text.splitlines()
    broken = '\n'.join(lines[:2] + ['!!!!' + lines[2][4:]] + lines[3:])
    with pytest.raises(InputError, match='malformed'):
        X.load_certificate(broken)
    with pytest.raises(InputError, match='not PEM'):
        X.load_certificate('garbage')


def test_load_certificates_bundle(pki):
    bundle = X.pem(pki['inter']) + X.pem(pki['root'])
    certs = X.load_certificates(bundle)
    assert [c.subject for c in certs] == [pki['inter'].subject, pki['root'].subject]
    assert X.load_certificates('') == []
    assert X.load_certificate(bundle).subject == pki['inter'].subject


def test_load_csr_ok():
    csr = X.load_csr(X.pem(make_csr()))
    assert csr.is_signature_valid


def test_load_csr_tampered_signature():
    der = bytearray(make_csr().public_bytes(serialization.Encoding.DER))
    der[-5] ^= 0x01    # inside the signature BIT STRING
    tampered = x509.load_der_x509_csr(bytes(der))
    with pytest.raises(InputError) as err:
        X.load_csr(X.pem(tampered))
    assert 'CSR signature does not verify' in str(err.value)
    assert 'generate it again' in str(err.value)


def test_load_csr_tampered_subject():
    pem_text = X.pem(make_csr(subject='CN=aaaa'))
    der = bytearray(x509.load_pem_x509_csr(pem_text.encode()).public_bytes(serialization.Encoding.DER))
    idx = der.find(b'aaaa')
    der[idx] = ord('b')
    with pytest.raises(InputError, match='does not verify'):
        X.load_csr(X.pem(x509.load_der_x509_csr(bytes(der))))


def test_load_csr_malformed():
    body = '-----BEGIN CERTIFICATE REQUEST-----\nTUlJQmFkZGF0YQ==\n-----END CERTIFICATE REQUEST-----\n'
    with pytest.raises(InputError, match='csr is malformed'):
        X.load_csr(body)
    with pytest.raises(InputError, match='not PEM'):
        X.load_csr('not a csr')


# --- keys and info ----------------------------------------------------------------------

def test_public_key_spec():
    assert X.public_key_spec(rsa.generate_private_key(65537, 2048).public_key()) == ('rsa', 2048)
    assert X.public_key_spec(ec_key().public_key()) == ('ec', 'P-256')
    assert X.public_key_spec(ec.generate_private_key(ec.SECP384R1()).public_key()) == ('ec', 'P-384')
    assert X.public_key_spec(ed25519.Ed25519PrivateKey.generate().public_key()) == ('ed25519', None)


def test_spki_sha256_matches_hashlib():
    key = ec_key().public_key()
    der = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    assert X.spki_sha256(key) == hashlib.sha256(der).hexdigest()


def test_certificate_info(pki):
    leaf = make_cert('www.example.org', rsa.generate_private_key(65537, 2048), 'Inter', pki['inter_key'],
                     sans=['DNS:www.example.org', 'IP:10.0.0.1', 'IP:2001:db8::1', 'email:a@example.org',
                           'URI:https://example.org/x'],
                     key_usage=['digital_signature', 'key_encipherment'],
                     eku=[ExtendedKeyUsageOID.SERVER_AUTH, x509.ObjectIdentifier('1.2.3.4')],
                     serial=0x0abc12)
    info = X.certificate_info(leaf)
    assert info['serial'] == 'abc12'
    assert info['subject'] == 'CN=www.example.org'
    assert info['issuer'] == 'CN=Inter'
    assert info['subject_alt_names'] == ['DNS:www.example.org', 'IP:10.0.0.1', 'IP:2001:db8::1',
                                         'email:a@example.org', 'URI:https://example.org/x']
    assert info['not_before'] == (NOW - DAY).strftime('%Y-%m-%dT%H:%M:%SZ')
    assert info['not_after'].endswith('Z') and len(info['not_after']) == 20
    der = leaf.public_bytes(serialization.Encoding.DER)
    assert info['fingerprint_sha256'] == hashlib.sha256(der).hexdigest() == X.fingerprint(leaf)
    assert info['spki_sha256'] == X.spki_sha256(leaf.public_key())
    assert info['public_key'] == {'type': 'rsa', 'size': 2048}
    assert info['signature_algorithm'] == 'ecdsa' and info['signature_digest'] == 'sha256'
    assert info['is_ca'] is False
    assert info['key_usage'] == ['digital_signature', 'key_encipherment']
    assert info['extended_key_usage'] == ['server_auth', '1.2.3.4']
    assert info['extensions']['basic_constraints'] == {'ca': False, 'path_length': None}


def test_certificate_info_ca_and_key_types(pki):
    info = X.certificate_info(pki['root'])
    assert info['is_ca'] is True and info['self_signed'] is True
    assert info['public_key'] == {'type': 'ec', 'curve': 'P-256'}
    ed = ed25519.Ed25519PrivateKey.generate()
    info = X.certificate_info(make_cert('ed', ed))
    assert info['public_key'] == {'type': 'ed25519'}
    assert info['signature_algorithm'] == 'ed25519' and info['signature_digest'] is None
    rkey = rsa.generate_private_key(65537, 2048)
    assert X.certificate_info(make_cert('pss', rkey, pss=True))['signature_algorithm'] == 'rsa-pss'
    assert X.certificate_info(make_cert('v15', rkey))['signature_algorithm'] == 'rsa-pkcs1v15'


def test_csr_info():
    key = ec_key()
    info = X.csr_info(make_csr(key, 'CN=req.example.org,O=Example'))
    assert info['subject'] == 'CN=req.example.org,O=Example'
    assert info['subject_alt_names'] == ['DNS:req.example.org']
    assert info['spki_sha256'] == X.spki_sha256(key.public_key())
    assert info['public_key'] == {'type': 'ec', 'curve': 'P-256'}
    assert info['signature_algorithm'] == 'ecdsa'
    assert info['extensions'] == {}


# --- names ------------------------------------------------------------------------------

@pytest.mark.parametrize('subject', [
    'CN=www.example.org,O=Example,C=DE',
    'CN=www.example.org, O=Example, C=DE',
    'cn=www.example.org,o=Example,c=DE',
    '/C=DE/O=Example/CN=www.example.org',
    {'CN': 'www.example.org', 'O': 'Example', 'C': 'DE'},
    {'C': 'DE', 'CN': 'www.example.org', 'O': 'Example'},
    {'commonName': 'www.example.org', 'organizationName': 'Example', 'countryName': 'DE'},
])
def test_parse_subject_syntaxes_agree(subject):
    name = X.parse_subject(subject)
    assert X.normalize_subject(name) == 'CN=www.example.org,O=Example,C=DE'
    assert [a.oid for a in name] == [NameOID.COUNTRY_NAME, NameOID.ORGANIZATION_NAME, NameOID.COMMON_NAME]


def test_parse_subject_order_kept_for_strings():
    # A different order is a different name, so normalisation must not sort strings.
    assert X.normalize_subject('O=Example,CN=a') == 'O=Example,CN=a'
    assert X.normalize_subject('O=Example,CN=a') != X.normalize_subject('CN=a,O=Example')


def test_parse_subject_escapes_and_multivalue():
    name = X.parse_subject('CN=Doe\\, John+UID=jdoe,O=Ex\\C3\\A9mple,OU=a\\+b')
    assert X.normalize_subject(name) == 'CN=Doe\\, John+UID=jdoe,O=Exémple,OU=a\\+b'
    assert len(name.rdns) == 3 and len(name.rdns[-1]) == 2
    assert name.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == 'Doe, John'
    assert X.parse_subject(X.normalize_subject(name)) == name


def test_parse_subject_openssl_escaped_slash():
    name = X.parse_subject('/O=A\\/B/CN=x')
    assert name.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == 'A/B'


def test_parse_subject_dict_more():
    name = X.parse_subject({'CN': 'x', 'OU': ['one', 'two'], 'emailAddress': 'x@example.org',
                            'serialNumber': 1234, 'L': None})
    assert X.normalize_subject(name) == 'serialNumber=1234,emailAddress=x@example.org,CN=x,OU=two,OU=one'


def test_parse_subject_empty_and_passthrough():
    assert X.parse_subject('') == x509.Name([])
    assert X.parse_subject(None) == x509.Name([])
    name = _name('x')
    assert X.parse_subject(name) is name


def test_parse_subject_dotted_oid():
    name = X.parse_subject('2.5.4.97=VATDE-123,CN=x,1.2.3.4=y')
    assert X.normalize_subject(name) == 'organizationIdentifier=VATDE-123,CN=x,1.2.3.4=y'


@pytest.mark.parametrize('subject,match', [
    ('FOO=bar', "unknown attribute name 'FOO'.*Known names: CN, C, ST"),
    ({'colour': 'red'}, "unknown attribute name 'colour'"),
    ('CN', 'expected TYPE=value'),
    ('C=DEU', 'C=DEU is not valid'),
    ({'CN': ''}, 'empty value'),
    ('CN=#0403616263', 'hex-encoded'),
    (['CN', 'x'], 'DN string or a dict'),
])
def test_parse_subject_bad(subject, match):
    with pytest.raises(InputError, match=match):
        X.parse_subject(subject)


# --- SANs -------------------------------------------------------------------------------

def test_parse_subject_alt_names_every_kind():
    names = X.parse_subject_alt_names(['DNS:www.example.org', 'dns:*.example.org', 'IP:192.0.2.1',
                                       'ip:2001:DB8:0:0::1', 'email:ops@example.org', 'EMAIL:x@y.z',
                                       'URI:spiffe://example.org/web', 'uri:https://example.org/'])
    assert names == [
        x509.DNSName('www.example.org'), x509.DNSName('*.example.org'),
        x509.IPAddress(ipaddress.ip_address('192.0.2.1')), x509.IPAddress(ipaddress.ip_address('2001:db8::1')),
        x509.RFC822Name('ops@example.org'), x509.RFC822Name('x@y.z'),
        x509.UniformResourceIdentifier('spiffe://example.org/web'),
        x509.UniformResourceIdentifier('https://example.org/'),
    ]
    assert [X.format_san(n) for n in names] == [
        'DNS:www.example.org', 'DNS:*.example.org', 'IP:192.0.2.1', 'IP:2001:db8::1',
        'email:ops@example.org', 'email:x@y.z', 'URI:spiffe://example.org/web', 'URI:https://example.org/']
    assert X.parse_subject_alt_names(None) == []


@pytest.mark.parametrize('entry,why', [
    ('www.example.org', 'no type prefix'),
    ('DNS:', 'empty'),
    ('DNS:bad name', 'not a DNS name'),
    ('DNS:a.*.example.org', 'not a DNS name'),
    ('DNS:-bad.example.org', 'not a DNS name'),
    ('DNS:b\u00fccher.example', 'not a DNS name'),
    ('IP:10.0.0.300', 'not an IPv4 or IPv6'),
    ('IP:10.0.0.0/8', 'not an IPv4 or IPv6'),
    ('email:nobody', 'not an email'),
    ('URI:/relative/path', 'not an absolute URI'),
    ('RID:1.2.3', "unknown type 'RID'"),
])
def test_parse_subject_alt_names_bad(entry, why):
    with pytest.raises(InputError) as err:
        X.parse_subject_alt_names([entry])
    text = str(err.value)
    assert repr(entry) in text and why in text
    assert "'DNS:name', 'IP:address', 'email:address', 'URI:uri'" in text


def test_normalize_sans():
    assert X.normalize_sans(['DNS:WWW.Example.org', 'dns:www.example.org', 'IP:2001:db8:0:0:0:0:0:1',
                             'email:Ops@EXAMPLE.org', 'URI:https://example.org/', 'IP:10.0.0.1']) == [
        'DNS:www.example.org', 'IP:10.0.0.1', 'IP:2001:db8::1', 'URI:https://example.org/',
        'email:Ops@example.org']
    assert X.normalize_sans([]) == []


# --- chains -----------------------------------------------------------------------------

def test_verify_chain_good(pki):
    path = X.verify_chain(pki['leaf'], [pki['inter']], [pki['root']])
    assert [c.subject for c in path] == [pki['leaf'].subject, pki['inter'].subject, pki['root'].subject]
    # With the root in the chain, unordered, several anchors, PEM input.
    assert len(X.verify_chain(pki['leaf'], [pki['root'], pki['inter']], [pki['other'], pki['root']])) == 3
    assert len(X.verify_chain(X.pem(pki['leaf']), X.pem(pki['inter']) + X.pem(pki['root']),
                              X.pem(pki['root']))) == 3


def test_verify_chain_intermediate_as_anchor(pki):
    assert len(X.verify_chain(pki['leaf'], [], [pki['inter']])) == 2


def test_verify_chain_missing_intermediate(pki):
    with pytest.raises(ValidationError) as err:
        X.verify_chain(pki['leaf'], [], [pki['root']])
    assert ("certificate chain does not lead to a trusted anchor of the RA profile: issuer 'CN=Inter' "
            "of 'CN=leaf.example.org' not found among the chain and the anchors 'CN=Root'") in str(err.value)


def test_verify_chain_untrusted_root(pki):
    with pytest.raises(ValidationError, match="self-signed 'CN=Root', which is not among 'CN=Other Root'"):
        X.verify_chain(pki['leaf'], [pki['inter'], pki['root']], [pki['other']])


def test_verify_chain_impostor_root(pki):
    # Same name as the trusted root, different key: the signature check must catch it.
    impostor_key = ec_key()
    impostor = make_cert('Root', impostor_key, ca=True)
    inter = make_cert('Inter', ec_key(), 'Root', impostor_key, ca=True)
    with pytest.raises(ValidationError, match="signature of certificate 'CN=Inter' does not verify"):
        X.verify_chain(inter, [], [pki['root']])
    # The CA sends its own root along: still refused, and the message says why.
    with pytest.raises(ValidationError, match="self-signed 'CN=Root' that is not the trusted one"):
        X.verify_chain(inter, [impostor], [pki['root']])


def test_verify_chain_expired_intermediate(pki):
    inter_key = ec_key()
    inter = make_cert('Old Inter', inter_key, 'Root', pki['root_key'], ca=True,
                      not_before=NOW - 10 * DAY, not_after=NOW - DAY)
    leaf = make_cert('x', ec_key(), 'Old Inter', inter_key)
    with pytest.raises(ValidationError, match="certificate 'CN=Old Inter' expired"):
        X.verify_chain(leaf, [inter], [pki['root']])


def test_verify_chain_at_time(pki):
    with pytest.raises(ValidationError, match="'CN=leaf.example.org' expired"):
        X.verify_chain(pki['leaf'], [pki['inter']], [pki['root']], at_time=NOW + 60 * DAY)
    with pytest.raises(ValidationError, match='not valid yet'):
        X.verify_chain(pki['leaf'], [pki['inter']], [pki['root']], at_time=(NOW - 2 * DAY).replace(tzinfo=None))


def test_verify_chain_issuer_not_ca(pki):
    fake_key = ec_key()
    fake = make_cert('NotCA', fake_key, 'Root', pki['root_key'], ca=False)
    leaf = make_cert('x', ec_key(), 'NotCA', fake_key)
    with pytest.raises(ValidationError, match="'CN=NotCA' signed 'CN=x' but is not a CA"):
        X.verify_chain(leaf, [fake], [pki['root']])
    nobc = make_cert('NoBC', fake_key, 'Root', pki['root_key'], bc=False)
    leaf = make_cert('y', ec_key(), 'NoBC', fake_key)
    with pytest.raises(ValidationError, match='not a CA'):
        X.verify_chain(leaf, [nobc], [pki['root']])


def test_verify_chain_path_length(pki):
    # Inter has pathLen 0: a CA below it is not allowed.
    sub_key = ec_key()
    sub = make_cert('Sub', sub_key, 'Inter', pki['inter_key'], ca=True)
    leaf = make_cert('z', ec_key(), 'Sub', sub_key)
    with pytest.raises(ValidationError, match="'CN=Inter' allows 0 CA certificates below it"):
        X.verify_chain(leaf, [sub, pki['inter']], [pki['root']])


def test_verify_chain_key_cert_sign_required(pki):
    key = ec_key()
    inter = make_cert('NoSign', key, 'Root', pki['root_key'], ca=True, key_usage=['digital_signature'])
    leaf = make_cert('w', ec_key(), 'NoSign', key)
    with pytest.raises(ValidationError, match='keyCertSign'):
        X.verify_chain(leaf, [inter], [pki['root']])


def test_verify_chain_no_anchors(pki):
    with pytest.raises(ValidationError, match='no trust anchors'):
        X.verify_chain(pki['leaf'], [pki['inter']], [])


def test_verify_chain_rsa_pss_and_ed25519():
    rkey = rsa.generate_private_key(65537, 2048)
    root = make_cert('PSS Root', rkey, ca=True, pss=True)
    leaf = make_cert('pss-leaf', ec_key(), 'PSS Root', rkey, pss=True)
    assert len(X.verify_chain(leaf, [], [root])) == 2
    ekey = ed25519.Ed25519PrivateKey.generate()
    eroot = make_cert('Ed Root', ekey, ca=True)
    eleaf = make_cert('ed-leaf', ec_key(), 'Ed Root', ekey)
    assert len(X.verify_chain(eleaf, [], [eroot])) == 2
