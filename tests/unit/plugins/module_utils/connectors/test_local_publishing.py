# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""connectors/local.py: CRL refresh and publishing, AIA caIssuers and CRL DP in what it
issues (checked with openssl), the warning near the CA's end of life."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import subprocess

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ansible_collections.pki.lifecycle.plugins.module_utils.connectors.local import LocalConnector
from ansible_collections.pki.lifecycle.plugins.module_utils.errors import InputError


def make_csr(cn='www.example.org'):
    key = ec.generate_private_key(ec.SECP256R1())
    return (x509.CertificateSigningRequestBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(cn)]), critical=False)
            .sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM).decode())


def connector(tmp_path, **options):
    return LocalConnector('web', options, {}, context={'inventory_dir': str(tmp_path)})


@pytest.fixture(autouse=True)
def no_env_passphrase(monkeypatch):
    monkeypatch.delenv('PKI_LIFECYCLE_CA_PASSPHRASE', raising=False)


def test_issued_certificates_carry_crl_dp_and_ca_issuers(tmp_path):
    conn = connector(tmp_path, crl_distribution_point='http://pki.example.org/web.crl',
                     ca_issuers_url=['http://pki.example.org/web.crt'])
    issued = conn.issue(make_csr(), {})
    text = subprocess.run(['openssl', 'x509', '-noout', '-text'], input=issued.certificate_pem,
                          capture_output=True, text=True, check=True).stdout
    assert 'CA Issuers - URI:http://pki.example.org/web.crt' in text
    assert 'URI:http://pki.example.org/web.crl' in text
    assert 'warning' not in issued.connector_data


def test_crl_refresh_and_publish_paths(tmp_path):
    web = tmp_path / 'www' / 'web.crl'
    conn = connector(tmp_path, crl_publish_paths=str(web), crl_validity_days=2, crl_refresh='50%')
    first = conn.crl()
    assert web.read_text() == first['crl_pem'] and first['crl_number'] == 1   # signed when the CA was made
    assert not conn.crl()['signed']
    assert conn.crl(refresh=True, dry_run=True)['signed'] and not conn.crl()['signed']
    forced = conn.crl(refresh=True)
    assert forced['signed'] and forced['crl_number'] == first['crl_number'] + 1
    assert web.read_text() == forced['crl_pem']
    ca = str(tmp_path / 'ca' / 'web' / 'ca.pem')
    out = subprocess.run(['openssl', 'crl', '-in', str(web), '-CAfile', ca, '-noout'],
                         capture_output=True, text=True, check=False)
    assert out.returncode == 0 and 'verify OK' in out.stderr + out.stdout


@pytest.mark.parametrize('options', [{'crl_refresh': '100%'}, {'crl_refresh': 'daily'},
                                     {'crl_publish_paths': ['www/web.crl']}])
def test_bad_publishing_options(tmp_path, options):
    with pytest.raises(InputError):
        connector(tmp_path, **options)


def test_issuance_near_the_ca_end_warns(tmp_path):
    conn = connector(tmp_path, ca_validity_days=10)
    issued = conn.issue(make_csr(), {}, validity_days=30)
    cert = x509.load_pem_x509_certificate(issued.certificate_pem.encode())
    ca = x509.load_pem_x509_certificate((tmp_path / 'ca' / 'web' / 'ca.pem').read_bytes())
    assert cert.not_valid_after_utc == ca.not_valid_after_utc
    assert 'expires at' in issued.connector_data['warning'] and 'rollover' in issued.connector_data['warning']
    assert 'warning' not in conn.issue(make_csr('a.example.org'), {}, validity_days=5).connector_data


def test_crl_of_an_expired_ca_is_left_alone(tmp_path, monkeypatch):
    import datetime
    from ansible_collections.pki.lifecycle.plugins.module_utils.connectors import local as locallib

    conn = connector(tmp_path, ca_validity_days=2)
    first = conn.crl()
    later = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=3)
    monkeypatch.setattr(locallib, 'utcnow', lambda: later)
    out = conn.crl(refresh=True)
    assert out['ca_expired'] and not out['signed'] and out['crl_number'] == first['crl_number']
