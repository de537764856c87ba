"""Wire formats no server here checks, against the specifications' own example values:
RFC 9773 (ARI) certificate identifier, ``replaces`` in newOrder and the renewalInfo response;
draft-ietf-acme-profiles ``profile`` in newOrder. acme2certifier accepts ``replaces`` but
ignores it, and Pebble 2.4 has no ARI, so these bytes are proven here and only here."""
import datetime
import json

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ansible_collections.pki.lifecycle.plugins.module_utils.connectors.acme import ari, io, orders

UTC = datetime.timezone.utc
# RFC 9773 section 4.1, the example certificate's values.
RFC9773_AKI = bytes.fromhex('69885B6B87464041E1B37B847BA0AE2CDE01C8D4')
RFC9773_SERIAL = 0x0087654321
RFC9773_ID = 'aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE'


def _cert(serial, aki, names=('www.example.test',)):
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(UTC)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])])
    builder = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
               .serial_number(serial).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=6)))
    if aki is not None:
        builder = builder.add_extension(x509.AuthorityKeyIdentifier(aki, None, None), critical=False)
    return builder.sign(key, hashes.SHA256())


def _csr(names):
    key = ec.generate_private_key(ec.SECP256R1())
    return (x509.CertificateSigningRequestBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False)
            .sign(key, hashes.SHA256()))


def test_certificate_id_is_rfc9773_example():
    assert ari.certificate_id(RFC9773_AKI, RFC9773_SERIAL) == RFC9773_ID
    assert ari.ari_certificate_id(_cert(RFC9773_SERIAL, RFC9773_AKI)) == RFC9773_ID


@pytest.mark.parametrize('serial,octets', [
    (0x01, b'\x01'), (0x7f, b'\x7f'), (0x80, b'\x00\x80'), (0xff, b'\x00\xff'), (0x0100, b'\x01\x00'),
])
def test_serial_is_der_integer_content(serial, octets):
    # DER adds a 0x00 when the top bit is set (positive INTEGER); RFC 9773 takes these octets.
    assert ari._serial_octets(serial) == octets


def test_no_aki_no_certificate_id():
    with pytest.raises(ValueError):
        ari.ari_certificate_id(_cert(5, None))


def test_new_order_replaces_wire_format():
    # RFC 9773 section 5: newOrder carries "replaces": <certificate identifier>.
    payload = json.loads(orders.order_payload(_csr(['www.example.test', '*.example.test']),
                                              replaces=RFC9773_ID).json_dumps())
    assert payload['replaces'] == RFC9773_ID
    assert {'type': 'dns', 'value': '*.example.test'} in payload['identifiers']
    assert 'profile' not in payload


def test_new_order_profile_wire_format():
    # draft-ietf-acme-profiles section 4: newOrder "profile": "<name from meta.profiles>".
    payload = json.loads(orders.order_payload(_csr(['www.example.test']), profile='shortlived').json_dumps())
    assert payload['profile'] == 'shortlived'
    assert 'replaces' not in payload
    plain = json.loads(orders.order_payload(_csr(['www.example.test'])).json_dumps())
    assert set(plain) == {'identifiers'}


def test_renewal_info_response_rfc9773_example():
    # RFC 9773 section 4.2's example body; Retry-After: 21600.
    start, end, explanation = ari.parse_renewal_info({
        'suggestedWindow': {'start': '2025-01-02T04:00:00Z', 'end': '2025-01-03T04:00:00Z'},
        'explanationURL': 'https://acme.example.com/docs/ari'}, with_explanation=True)
    assert (start, end) == (datetime.datetime(2025, 1, 2, 4, tzinfo=UTC), datetime.datetime(2025, 1, 3, 4, tzinfo=UTC))
    assert explanation == 'https://acme.example.com/docs/ari'
    assert io.retry_after_seconds('21600') == 21600


def test_retry_after_http_date():
    now = datetime.datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    assert io.retry_after_seconds('Tue, 01 Dec 2026 13:00:00 GMT', now) == 3600
    assert io.retry_after_seconds('Tue, 01 Dec 2026 11:00:00 GMT', now) == 0
    assert io.retry_after_seconds('soon', now) is None
    assert io.retry_after_seconds(None, now) is None


def test_kept_window_until_next_check():
    record = dict(serial='abc', connector_data=dict(ari=dict(
        start='2026-12-05T00:00:00Z', end='2026-12-06T00:00:00Z', next_check='2026-12-02T00:00:00Z', serial='abc')))
    before = datetime.datetime(2026, 12, 1, 23, 59, tzinfo=UTC)
    assert ari.kept_window(record, before) == (datetime.datetime(2026, 12, 5, tzinfo=UTC),
                                               datetime.datetime(2026, 12, 6, tzinfo=UTC))
    assert ari.kept_window(record, datetime.datetime(2026, 12, 2, tzinfo=UTC)) is None   # Retry-After passed
    assert ari.kept_window(dict(record, serial='other'), before) is None                 # another certificate


def test_fractional_seconds_window():
    start, _end = ari.parse_renewal_info({'suggestedWindow': {'start': '2026-01-02T04:00:00.123456789Z',
                                                              'end': '2026-01-03T04:00:00Z'}})
    assert start.microsecond == 123456


def test_explanation_url_reaches_the_reason():
    """explanationURL (RFC 9773 section 4.2) kept on the record -> the sentence renew puts in reason."""
    from ansible_collections.pki.lifecycle.plugins.module_utils.connectors.acme.connector import AcmeConnector
    from ansible_collections.pki.lifecycle.plugins.module_utils.lifecycle import renewal_info
    connector = AcmeConnector('p', {'directory_url': 'https://acme.example.test/dir'}, {})
    record = dict(uuid='u', serial='abc', connector_data=dict(ari=dict(
        start='2025-01-02T04:00:00Z', end='2025-01-03T04:00:00Z', next_check='2099-01-01T00:00:00Z', serial='abc',
        explanation_url='https://acme.example.com/docs/ari')))
    assert renewal_info.explained(connector, record) == \
        ' The CA explains its renewal window at https://acme.example.com/docs/ari.'
    # a fresh answer is handed to lifecycle once, then the kept one speaks
    connector.ari_updates['u'] = dict(start='x', explanation_url='https://ca.example/why')
    assert connector.renewal_explanation(record) == 'https://ca.example/why'
    assert connector.renewal_updates(record) == {'ari': dict(start='x', explanation_url='https://ca.example/why')}
    assert connector.renewal_updates(record) is None
    assert renewal_info.explained(None, record) == ''


def test_replaces_only_for_certificates_of_the_same_directory():
    """A certificate another CA issued (a fallback's, an adopted one) is not named in replaces;
    the check comes before any request (the directory here is never contacted)."""
    from ansible_collections.pki.lifecycle.plugins.module_utils.connectors.acme.connector import AcmeConnector
    connector = AcmeConnector('p', {'directory_url': 'https://acme.example.test/dir'}, {})
    pem = _cert(RFC9773_SERIAL, RFC9773_AKI).public_bytes(__import__(
        'cryptography.hazmat.primitives.serialization', fromlist=['Encoding']).Encoding.PEM).decode()
    for data in ({}, {'directory_url': 'https://other.example.test/dir'}):
        assert connector.replaces_id(dict(certificate_pem=pem, connector_data=data)) is None
    assert connector.replaces_id(None) is None
