# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for module_utils/x509/describe.py: certificate and CSR info dicts."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import hashlib

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID

from ansible_collections.pki.lifecycle.plugins.module_utils.x509.describe import (
    certificate_facts, certificate_info, csr_info,
)
from ansible_collections.pki.lifecycle.plugins.module_utils.x509.keys import fingerprint, spki_sha256
from harness.certs import DAY, NOW, ec_key, make_cert, make_csr


def test_certificate_info(pki):
    leaf = make_cert('www.example.org', rsa.generate_private_key(65537, 2048), 'Inter', pki['inter_key'],
                     sans=['DNS:www.example.org', 'IP:10.0.0.1', 'IP:2001:db8::1', 'email:a@example.org',
                           'URI:https://example.org/x'],
                     key_usage=['digital_signature', 'key_encipherment'],
                     eku=[ExtendedKeyUsageOID.SERVER_AUTH, x509.ObjectIdentifier('1.2.3.4')],
                     serial=0x0abc12)
    info = certificate_info(leaf)
    assert info['serial'] == 'abc12'
    assert info['subject'] == 'CN=www.example.org'
    assert info['issuer'] == 'CN=Inter'
    assert info['subject_alt_names'] == ['DNS:www.example.org', 'IP:10.0.0.1', 'IP:2001:db8::1',
                                         'email:a@example.org', 'URI:https://example.org/x']
    assert info['not_before'] == (NOW - DAY).strftime('%Y-%m-%dT%H:%M:%SZ')
    assert info['not_after'].endswith('Z') and len(info['not_after']) == 20
    der = leaf.public_bytes(serialization.Encoding.DER)
    assert info['fingerprint_sha256'] == hashlib.sha256(der).hexdigest() == fingerprint(leaf)
    assert info['spki_sha256'] == spki_sha256(leaf.public_key())
    assert info['public_key'] == {'type': 'rsa', 'size': 2048}
    assert info['signature_algorithm'] == 'ecdsa' and info['signature_digest'] == 'sha256'
    assert info['is_ca'] is False
    assert info['key_usage'] == ['digital_signature', 'key_encipherment']
    assert info['extended_key_usage'] == ['server_auth', '1.2.3.4']
    assert info['extensions']['basic_constraints'] == {'ca': False, 'path_length': None}


def test_certificate_info_ca_and_key_types(pki):
    info = certificate_info(pki['root'])
    assert info['is_ca'] is True and info['self_signed'] is True
    assert info['public_key'] == {'type': 'ec', 'curve': 'P-256'}
    ed = ed25519.Ed25519PrivateKey.generate()
    info = certificate_info(make_cert('ed', ed))
    assert info['public_key'] == {'type': 'ed25519'}
    assert info['signature_algorithm'] == 'ed25519' and info['signature_digest'] is None
    rkey = rsa.generate_private_key(65537, 2048)
    assert certificate_info(make_cert('pss', rkey, pss=True))['signature_algorithm'] == 'rsa-pss'
    assert certificate_info(make_cert('v15', rkey))['signature_algorithm'] == 'rsa-pkcs1v15'


FACTS = ('serial', 'subject', 'issuer', 'subject_alt_names', 'not_before', 'not_after', 'fingerprint_sha256',
         'spki_sha256')


def test_certificate_facts_are_certificate_info_s(pki):
    leaf = make_cert('WWW.example.org', ec_key(), 'Inter', pki['inter_key'],
                     sans=['DNS:WWW.Example.org', 'IP:2001:db8:0::1', 'email:A@Example.ORG', 'DNS:a.example.org'])
    facts = certificate_facts(leaf)
    info = certificate_info(leaf)
    assert sorted(facts) == sorted(FACTS)
    assert dict((k, facts[k]) for k in FACTS if k != 'subject_alt_names') == \
        dict((k, info[k]) for k in FACTS if k != 'subject_alt_names')
    normalised = ['DNS:a.example.org', 'DNS:www.example.org', 'IP:2001:db8::1', 'email:A@example.org']
    assert facts['subject_alt_names'] == normalised   # as the inventory keeps them
    assert certificate_facts(make_cert('bare', ec_key()))['subject_alt_names'] == []


def test_certificate_facts_take_the_request_s_strings_only_for_its_own_key_and_names(pki):
    key = ec_key()
    csr = make_csr(key, 'CN=www.example.org')   # names DNS:req.example.org
    leaf = make_cert('www.example.org', key, 'Inter', pki['inter_key'], sans=['DNS:req.example.org'])
    given = (csr, 'CN=given', ['DNS:given'], 'given-spki')
    facts = certificate_facts(leaf, given)
    assert (facts['subject'], facts['subject_alt_names'], facts['spki_sha256']) == \
        ('CN=given', ['DNS:given'], 'given-spki')   # the CSR's own, compared as objects
    assert facts['serial'] == certificate_info(leaf)['serial']
    # Another key, another subject or other names: described from the certificate itself.
    for other in (make_cert('www.example.org', ec_key(), 'Inter', pki['inter_key'], sans=['DNS:req.example.org']),
                  make_cert('other.example.org', key, 'Inter', pki['inter_key'], sans=['DNS:req.example.org']),
                  make_cert('www.example.org', key, 'Inter', pki['inter_key'],
                            sans=['DNS:req.example.org', 'DNS:extra.example.org'])):
        facts = certificate_facts(other, given)
        assert facts == dict((k, certificate_facts(other)[k]) for k in FACTS)
        assert facts['subject'] != 'CN=given' and facts['spki_sha256'] != 'given-spki'


def test_csr_info():
    key = ec_key()
    info = csr_info(make_csr(key, 'CN=req.example.org,O=Example'))
    assert info['subject'] == 'CN=req.example.org,O=Example'
    assert info['subject_alt_names'] == ['DNS:req.example.org']
    assert info['spki_sha256'] == spki_sha256(key.public_key())
    assert info['public_key'] == {'type': 'ec', 'curve': 'P-256'}
    assert info['signature_algorithm'] == 'ecdsa'
    assert info['extensions'] == {}


def _made(cert, **wrong):
    """What a connector that built ``cert`` says it put in, marked so a use shows; ``wrong``
    replaces a value put in by another."""
    made = {'serial': (cert.serial_number, 'made-serial'), 'issuer': (cert.issuer, 'made-issuer'),
            'not_before': (cert.not_valid_before_utc, 'made-nb'), 'not_after': (cert.not_valid_after_utc, 'made-na'),
            'fingerprint_sha256': 'made-fp'}
    for key, value in wrong.items():
        made[key] = (value, made[key][1])
    return made


def test_certificate_facts_take_what_the_connector_made_once_checked_equal(pki):
    leaf = make_cert('www.example.org', ec_key(), 'Inter', pki['inter_key'], sans=['DNS:www.example.org'])
    facts = certificate_facts(leaf, None, _made(leaf))
    assert [facts[k] for k in ('serial', 'issuer', 'not_before', 'not_after', 'fingerprint_sha256')] == \
        ['made-serial', 'made-issuer', 'made-nb', 'made-na', 'made-fp']
    assert facts['subject'] == 'CN=www.example.org'   # never the connector's word
    # One value the certificate does not carry: everything is derived from the certificate.
    for wrong in (dict(serial=leaf.serial_number + 1), dict(issuer=leaf.subject),
                  dict(not_before=leaf.not_valid_before_utc - DAY), dict(not_after=leaf.not_valid_after_utc + DAY)):
        assert certificate_facts(leaf, None, _made(leaf, **wrong)) == certificate_facts(leaf), wrong
