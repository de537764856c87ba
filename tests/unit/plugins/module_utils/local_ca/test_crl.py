# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""local_ca/crl.py: revoked.json and the signed CRL, checked with openssl."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import datetime
import json
import os
import subprocess

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ansible_collections.pki.lifecycle.plugins.module_utils import x509 as x509lib
from ansible_collections.pki.lifecycle.plugins.module_utils.errors import ConnectorError, InputError
from ansible_collections.pki.lifecycle.plugins.module_utils.local_ca.authority import Authority
from ansible_collections.pki.lifecycle.plugins.module_utils.local_ca.crl import (
    Revocations, check_reason, parse_time)
from ansible_collections.pki.lifecycle.plugins.module_utils.local_ca.layout import Layout
from ansible_collections.pki.lifecycle.plugins.module_utils.local_ca.lock import DirectoryLock
from ansible_collections.pki.lifecycle.plugins.module_utils.local_ca.signing import sign


def openssl(*args):
    return subprocess.run(('openssl',) + args, capture_output=True, text=True, check=False)


@pytest.fixture
def ca(tmp_path):
    """(layout, lock, (cert, key)) of a fresh CA; no CRL yet."""
    layout = Layout(str(tmp_path / 'ca'))
    lock = DirectoryLock(layout)
    return layout, lock, Authority(layout, lock, subject='CN=CRL Test CA').open()


def leaf(ca_pair, serial):
    cert, key = ca_pair
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (x509.CertificateBuilder()
               .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, 'leaf.example.org')]))
               .issuer_name(cert.subject).public_key(ec.generate_private_key(ec.SECP256R1()).public_key())
               .serial_number(serial).not_valid_before(now - datetime.timedelta(minutes=1))
               .not_valid_after(now + datetime.timedelta(days=1))
               .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True))
    return x509lib.pem(sign(builder, key))


def crl_text(layout):
    return openssl('crl', '-in', layout.crl, '-noout', '-text').stdout


def test_revoke_and_verify_with_openssl(ca, tmp_path):
    layout, lock, pair = ca
    revocations = Revocations(layout, lock, validity_days=7)
    revocations.ensure_crl(pair)
    check = openssl('crl', '-in', layout.crl, '-CAfile', layout.ca_cert, '-noout', '-verify')
    assert check.returncode == 0 and 'verify OK' in check.stdout + check.stderr
    assert json.loads(open(layout.revoked).read()) == {'crl_number': 1, 'revoked': []}

    gone, kept = tmp_path / 'gone.pem', tmp_path / 'kept.pem'
    gone.write_text(leaf(pair, 0x4f3a))
    kept.write_text(leaf(pair, 0x4f3b))
    facts = revocations.revoke(pair, '4f3a', 'keyCompromise', '2026-01-31T12:00:00Z')
    assert facts['crl_path'] == layout.crl and facts['crl_number'] == 2 and not facts['already_revoked']
    text = crl_text(layout)
    assert 'Serial Number: 4F3A' in text and 'Key Compromise' in text and 'Invalidity Date' in text
    args = ('verify', '-crl_check', '-CAfile', layout.ca_cert, '-CRLfile', layout.crl)
    refused = openssl(*(args + (str(gone),)))
    assert refused.returncode != 0 and 'certificate revoked' in refused.stdout + refused.stderr
    assert openssl(*(args + (str(kept),))).returncode == 0

    # Twice: the first entry stands (time, reason), the CRL number does not move.
    again = revocations.revoke(pair, '4f3a', 'superseded')
    assert again['already_revoked'] and again['revoked_at'] == facts['revoked_at'] and again['crl_number'] == 2
    state = json.loads(open(layout.revoked).read())
    assert state['revoked'] == [{'serial': '4f3a', 'revoked_at': facts['revoked_at'], 'reason': 'keyCompromise',
                                 'invalidity_date': '2026-01-31T12:00:00Z'}]


def test_unspecified_reason_is_left_out(ca):
    layout, lock, pair = ca
    revocations = Revocations(layout, lock, validity_days=7)
    revocations.revoke(pair, 'abc', 'unspecified')
    crl = x509.load_pem_x509_crl(open(layout.crl, 'rb').read())
    entry = crl.get_revoked_certificate_by_serial_number(0xabc)
    assert entry is not None and len(entry.extensions) == 0  # RFC 5280 5.3.1
    assert crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number == 1
    assert crl.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier)  # matches the CA's SKI


def test_missing_crl_is_rewritten_on_repeat(ca):
    layout, lock, pair = ca
    revocations = Revocations(layout, lock, validity_days=7)
    revocations.revoke(pair, 'abc', 'superseded')
    os.unlink(layout.crl)
    assert revocations.revoke(pair, 'abc', 'superseded')['already_revoked']
    assert 'Serial Number: 0ABC' in crl_text(layout)


def test_current_pem_refreshes_when_stale(ca):
    layout, lock, pair = ca
    Revocations(layout, lock, validity_days=1).ensure_crl(pair)
    first = open(layout.crl).read()
    fresh = Revocations(layout, lock, validity_days=1)
    assert fresh.current_pem(pair) == first  # 1 day left of 1: not past half
    assert json.loads(open(layout.revoked).read())['crl_number'] == 1
    # With a 3-day validity, 1 day left is past half: re-signed with the next number.
    renewed = Revocations(layout, lock, validity_days=3).current_pem(pair)
    assert renewed != first and json.loads(open(layout.revoked).read())['crl_number'] == 2
    forced = fresh.current_pem(pair, refresh=True)
    crl = x509.load_pem_x509_crl(forced.encode())
    assert crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number == 3
    assert crl.is_signature_valid(pair[0].public_key())


def test_corrupted_revoked_json(ca):
    layout, lock, pair = ca
    open(layout.revoked, 'w').write('{not json')
    with pytest.raises(ConnectorError) as err:
        Revocations(layout, lock, validity_days=7).revoke(pair, 'abc', 'unspecified')
    assert 'is corrupted' in str(err.value) and 'backup' in err.value.hint
    assert open(layout.revoked).read() == '{not json'


def test_inputs():
    assert check_reason(None) == 'unspecified'
    assert check_reason('cACompromise') == 'cACompromise'
    with pytest.raises(InputError) as err:
        check_reason('stolen')
    assert 'keyCompromise' in err.value.hint
    utc = datetime.timezone.utc
    assert parse_time('2026-01-31T12:00:00Z') == datetime.datetime(2026, 1, 31, 12, tzinfo=utc)
    assert parse_time('2026-01-31T13:00:00+01:00') == datetime.datetime(2026, 1, 31, 12, tzinfo=utc)
    assert parse_time('2026-01-31') == datetime.datetime(2026, 1, 31, tzinfo=utc)
    with pytest.raises(InputError) as err:
        parse_time('yesterday')
    assert '2026-01-31T12:00:00Z' in err.value.hint
