# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for module_utils/x509/chain.py: paths to the trust anchors and every refusal."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type


import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from ansible_collections.pki.lifecycle.plugins.module_utils.errors import ValidationError
from ansible_collections.pki.lifecycle.plugins.module_utils.x509.chain import verify_chain
from ansible_collections.pki.lifecycle.plugins.module_utils.x509.loading import pem
from harness.certs import DAY, NOW, ec_key, make_cert


def test_verify_chain_good(pki):
    path = verify_chain(pki['leaf'], [pki['inter']], [pki['root']])
    assert [c.subject for c in path] == [pki['leaf'].subject, pki['inter'].subject, pki['root'].subject]
    # With the root in the chain, unordered, several anchors, PEM input.
    assert len(verify_chain(pki['leaf'], [pki['root'], pki['inter']], [pki['other'], pki['root']])) == 3
    assert len(verify_chain(pem(pki['leaf']), pem(pki['inter']) + pem(pki['root']), pem(pki['root']))) == 3


def test_verify_chain_intermediate_as_anchor(pki):
    assert len(verify_chain(pki['leaf'], [], [pki['inter']])) == 2


def test_verify_chain_missing_intermediate(pki):
    with pytest.raises(ValidationError) as err:
        verify_chain(pki['leaf'], [], [pki['root']])
    assert ("certificate chain does not lead to a trusted anchor of the RA profile: issuer 'CN=Inter' "
            "of 'CN=leaf.example.org' not found among the chain and the anchors 'CN=Root'") in str(err.value)


def test_verify_chain_untrusted_root(pki):
    with pytest.raises(ValidationError, match="self-signed 'CN=Root', which is not among 'CN=Other Root'"):
        verify_chain(pki['leaf'], [pki['inter'], pki['root']], [pki['other']])


def test_verify_chain_impostor_root(pki):
    # Same name as the trusted root, different key: the signature check must catch it.
    impostor_key = ec_key()
    impostor = make_cert('Root', impostor_key, ca=True)
    inter = make_cert('Inter', ec_key(), 'Root', impostor_key, ca=True)
    with pytest.raises(ValidationError, match="signature of certificate 'CN=Inter' does not verify"):
        verify_chain(inter, [], [pki['root']])
    # The CA sends its own root along: still refused, and the message says why.
    with pytest.raises(ValidationError, match="self-signed 'CN=Root' that is not the trusted one"):
        verify_chain(inter, [impostor], [pki['root']])


def test_verify_chain_expired_intermediate(pki):
    inter_key = ec_key()
    inter = make_cert('Old Inter', inter_key, 'Root', pki['root_key'], ca=True,
                      not_before=NOW - 10 * DAY, not_after=NOW - DAY)
    leaf = make_cert('x', ec_key(), 'Old Inter', inter_key)
    with pytest.raises(ValidationError, match="certificate 'CN=Old Inter' expired"):
        verify_chain(leaf, [inter], [pki['root']])


def test_verify_chain_at_time(pki):
    with pytest.raises(ValidationError, match="'CN=leaf.example.org' expired"):
        verify_chain(pki['leaf'], [pki['inter']], [pki['root']], at_time=NOW + 60 * DAY)
    with pytest.raises(ValidationError, match='not valid yet'):
        verify_chain(pki['leaf'], [pki['inter']], [pki['root']], at_time=(NOW - 2 * DAY).replace(tzinfo=None))


def test_verify_chain_issuer_not_ca(pki):
    fake_key = ec_key()
    fake = make_cert('NotCA', fake_key, 'Root', pki['root_key'], ca=False)
    leaf = make_cert('x', ec_key(), 'NotCA', fake_key)
    with pytest.raises(ValidationError, match="'CN=NotCA' signed 'CN=x' but is not a CA"):
        verify_chain(leaf, [fake], [pki['root']])
    nobc = make_cert('NoBC', fake_key, 'Root', pki['root_key'], bc=False)
    leaf = make_cert('y', ec_key(), 'NoBC', fake_key)
    with pytest.raises(ValidationError, match='not a CA'):
        verify_chain(leaf, [nobc], [pki['root']])


def test_verify_chain_path_length(pki):
    # Inter has pathLen 0: a CA below it is not allowed.
    sub_key = ec_key()
    sub = make_cert('Sub', sub_key, 'Inter', pki['inter_key'], ca=True)
    leaf = make_cert('z', ec_key(), 'Sub', sub_key)
    with pytest.raises(ValidationError, match="'CN=Inter' allows 0 CA certificates below it"):
        verify_chain(leaf, [sub, pki['inter']], [pki['root']])


def test_verify_chain_key_cert_sign_required(pki):
    key = ec_key()
    inter = make_cert('NoSign', key, 'Root', pki['root_key'], ca=True, key_usage=['digital_signature'])
    leaf = make_cert('w', ec_key(), 'NoSign', key)
    with pytest.raises(ValidationError, match='keyCertSign'):
        verify_chain(leaf, [inter], [pki['root']])


def test_verify_chain_no_anchors(pki):
    with pytest.raises(ValidationError, match='no trust anchors'):
        verify_chain(pki['leaf'], [pki['inter']], [])


def test_verify_chain_rsa_pss_and_ed25519():
    rkey = rsa.generate_private_key(65537, 2048)
    root = make_cert('PSS Root', rkey, ca=True, pss=True)
    leaf = make_cert('pss-leaf', ec_key(), 'PSS Root', rkey, pss=True)
    assert len(verify_chain(leaf, [], [root])) == 2
    ekey = ed25519.Ed25519PrivateKey.generate()
    eroot = make_cert('Ed Root', ekey, ca=True)
    eleaf = make_cert('ed-leaf', ec_key(), 'Ed Root', ekey)
    assert len(verify_chain(eleaf, [], [eroot])) == 2
