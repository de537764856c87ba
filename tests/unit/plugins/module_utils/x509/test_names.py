# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for module_utils/x509/names.py: subjects and subject alternative names."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import ipaddress

import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID

from ansible_collections.pki.lifecycle.plugins.module_utils.errors import InputError
from ansible_collections.pki.lifecycle.plugins.module_utils.x509.names import (
    check_name_bounds, format_san, normalize_sans, normalize_subject, parse_subject, parse_subject_alt_names,
)
from harness.certs import cn_name


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
    name = parse_subject(subject)
    assert normalize_subject(name) == 'CN=www.example.org,O=Example,C=DE'
    assert [a.oid for a in name] == [NameOID.COUNTRY_NAME, NameOID.ORGANIZATION_NAME, NameOID.COMMON_NAME]


def test_parse_subject_order_kept_for_strings():
    # A different order is a different name, so normalisation must not sort strings.
    assert normalize_subject('O=Example,CN=a') == 'O=Example,CN=a'
    assert normalize_subject('O=Example,CN=a') != normalize_subject('CN=a,O=Example')


def test_parse_subject_escapes_and_multivalue():
    name = parse_subject('CN=Doe\\, John+UID=jdoe,O=Ex\\C3\\A9mple,OU=a\\+b')
    assert normalize_subject(name) == 'CN=Doe\\, John+UID=jdoe,O=Exémple,OU=a\\+b'
    assert len(name.rdns) == 3 and len(name.rdns[-1]) == 2
    assert name.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == 'Doe, John'
    assert parse_subject(normalize_subject(name)) == name


def test_parse_subject_openssl_escaped_slash():
    name = parse_subject('/O=A\\/B/CN=x')
    assert name.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == 'A/B'


def test_parse_subject_dict_more():
    name = parse_subject({'CN': 'x', 'OU': ['one', 'two'], 'emailAddress': 'x@example.org',
                          'serialNumber': 1234, 'L': None})
    assert normalize_subject(name) == 'serialNumber=1234,emailAddress=x@example.org,CN=x,OU=two,OU=one'


def test_parse_subject_empty_and_passthrough():
    assert parse_subject('') == x509.Name([])
    assert parse_subject(None) == x509.Name([])
    name = cn_name('x')
    assert parse_subject(name) is name


def test_parse_subject_dotted_oid():
    name = parse_subject('2.5.4.97=VATDE-123,CN=x,1.2.3.4=y')
    assert normalize_subject(name) == 'organizationIdentifier=VATDE-123,CN=x,1.2.3.4=y'


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
        parse_subject(subject)


def test_parse_subject_alt_names_every_kind():
    names = parse_subject_alt_names(['DNS:www.example.org', 'dns:*.example.org', 'IP:192.0.2.1',
                                     'ip:2001:DB8:0:0::1', 'email:ops@example.org', 'EMAIL:x@y.z',
                                     'URI:spiffe://example.org/web', 'uri:https://example.org/'])
    assert names == [
        x509.DNSName('www.example.org'), x509.DNSName('*.example.org'),
        x509.IPAddress(ipaddress.ip_address('192.0.2.1')), x509.IPAddress(ipaddress.ip_address('2001:db8::1')),
        x509.RFC822Name('ops@example.org'), x509.RFC822Name('x@y.z'),
        x509.UniformResourceIdentifier('spiffe://example.org/web'),
        x509.UniformResourceIdentifier('https://example.org/'),
    ]
    assert [format_san(n) for n in names] == [
        'DNS:www.example.org', 'DNS:*.example.org', 'IP:192.0.2.1', 'IP:2001:db8::1',
        'email:ops@example.org', 'email:x@y.z', 'URI:spiffe://example.org/web', 'URI:https://example.org/']
    assert parse_subject_alt_names(None) == []


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
        parse_subject_alt_names([entry])
    text = str(err.value)
    assert repr(entry) in text and why in text
    assert "'DNS:name', 'IP:address', 'email:address', 'URI:uri'" in text


def test_normalize_sans():
    assert normalize_sans(['DNS:WWW.Example.org', 'dns:www.example.org', 'IP:2001:db8:0:0:0:0:0:1',
                           'email:Ops@EXAMPLE.org', 'URI:https://example.org/', 'IP:10.0.0.1']) == [
        'DNS:www.example.org', 'IP:10.0.0.1', 'IP:2001:db8::1', 'URI:https://example.org/',
        'email:Ops@example.org']
    assert normalize_sans([]) == []


def test_rfc5280_upper_bounds_are_too_long_and_not_echoed():
    for subject, short, bound in (('CN=' + 'a' * 65, 'CN', 64), ('O=' + 'o' * 65, 'O', 64),
                                  ('L=' + 'l' * 129, 'L', 128), ('emailAddress=' + 'e' * 256, 'emailAddress', 255)):
        with pytest.raises(InputError) as err:
            parse_subject(subject)
        text = str(err.value)
        assert 'attribute %s is too long' % short in text and 'at most %d' % bound in text, text
        assert len(text) < 400, text
    parse_subject('CN=' + 'a' * 64)      # at the bound: fine
    for entry, what in (('DNS:' + 'a' * 64 + '.example.org', 'a DNS label of 64'),
                        ('DNS:' + '.'.join(['a' * 60] * 5), 'the DNS name of 304'),
                        ('email:' + 'e' * 250 + '@example.org', 'the email address of 262')):
        with pytest.raises(InputError) as err:
            parse_subject_alt_names([entry])
        assert 'too long: %s characters' % what in str(err.value) and len(str(err.value)) < 400, str(err.value)
    parse_subject_alt_names(['DNS:' + 'a' * 63 + '.example.org'])


@pytest.mark.filterwarnings('ignore')  # cryptography warns about the very lengths under test
def test_csr_subject_bounds():
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, 'a' * 65, _validate=False)])
    with pytest.raises(InputError, match='csr subject: attribute CN is too long: 65 characters'):
        check_name_bounds(name, 'csr')
    check_name_bounds(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, 'a' * 64)]), 'csr')
    country = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, 'DEU', _validate=False)])
    with pytest.raises(InputError, match='attribute C is too long: 3 characters, RFC 5280 allows at most 2'):
        check_name_bounds(country, 'csr')
