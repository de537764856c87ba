"""ACME connector pieces that need no server: ARI (RFC 9773) window parsing and CertID,
the due decision with a CA-suggested window, chain choice, problem documents.
(The protocol itself is tested against Pebble and OpenBao in tests/integration/plugins/module_utils/connectors/test_acme.py.)"""
import datetime

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ansible_collections.pki.lifecycle.plugins.module_utils.lifecycle.renew import due_state
from ansible_collections.pki.lifecycle.plugins.module_utils.vocabulary import utcnow
from ansible_collections.pki.lifecycle.plugins.module_utils.connectors import acme
from ansible_collections.pki.lifecycle.plugins.module_utils.errors import ConnectorError
from ansible_collections.pki.lifecycle.plugins.module_utils import x509 as x509lib

UTC = datetime.timezone.utc


def test_parse_renewal_info_window():
    start, end = acme.parse_renewal_info({
        'suggestedWindow': {'start': '2026-01-02T04:00:00Z', 'end': '2026-01-03T04:00:00Z'},
        'explanationURL': 'https://acme.example.com/docs/ari',
    })
    assert start == datetime.datetime(2026, 1, 2, 4, 0, tzinfo=UTC)
    assert end == datetime.datetime(2026, 1, 3, 4, 0, tzinfo=UTC)


def test_parse_renewal_info_offsets_and_text():
    start, end = acme.parse_renewal_info(
        '{"suggestedWindow": {"start": "2026-01-02T06:00:00+02:00", "end": "2026-01-02T05:00:00Z"}}')
    assert start == datetime.datetime(2026, 1, 2, 4, 0, tzinfo=UTC) and end.hour == 5


@pytest.mark.parametrize('document', [
    {},
    {'suggestedWindow': {'start': 'yesterday', 'end': '2026-01-03T04:00:00Z'}},
    {'suggestedWindow': {'start': '2026-01-04T04:00:00Z', 'end': '2026-01-03T04:00:00Z'}},
])
def test_parse_renewal_info_refuses_broken_windows(document):
    with pytest.raises(ConnectorError):
        acme.parse_renewal_info(document)


def _cert(serial=0x87654321, aki=bytes.fromhex('69885B6B87464041E1B37B847BA0AE2CDE01C8D4'),
          not_before=None, days=90):
    key = ec.generate_private_key(ec.SECP256R1())
    not_before = not_before or datetime.datetime.now(UTC) - datetime.timedelta(days=1)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, 'ari.example.test')])
    builder = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
               .serial_number(serial).not_valid_before(not_before)
               .not_valid_after(not_before + datetime.timedelta(days=days)))
    if aki is not None:
        builder = builder.add_extension(x509.AuthorityKeyIdentifier(aki, None, None), critical=False)
    return builder.sign(key, hashes.SHA256())


def test_ari_certificate_id_rfc9773_example():
    # RFC 9773 section 4.1: AKI 69:88:5B:...:D4 and serial 00:87:65:43:21
    assert acme.ari_certificate_id(_cert()) == 'aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE'


class _Advisor(object):
    def __init__(self, window=None, error=None):
        self.window, self.error = window, error

    def renewal_window(self, record):
        if self.error:
            raise self.error
        return self.window


def _record(cert):
    info = x509lib.certificate_info(cert)
    return dict(state='issued', not_before=info['not_before'], not_after=info['not_after'],
                certificate_pem=x509lib.pem(cert))


def test_due_state_uses_the_ari_window_over_renew_before():
    record = _record(_cert(days=90))
    now = utcnow()
    # renew_before 30 days: not due for ~59 days; the CA says the window opened an hour ago
    window = (now - datetime.timedelta(hours=1), now + datetime.timedelta(days=1))
    due, opens = due_state(record, '30', now, _Advisor(window))
    assert due and opens == window[0].replace(microsecond=0)
    # and the other way round: renew_before says due, the CA says not yet
    later = (now + datetime.timedelta(days=5), now + datetime.timedelta(days=6))
    due, opens = due_state(record, '100%', now, _Advisor(later))
    assert not due and opens == later[0].replace(microsecond=0)


def test_due_state_falls_back_without_ari():
    record = _record(_cert(days=90))
    now = utcnow()
    assert due_state(record, '30', now, _Advisor(None))[0] is False
    assert due_state(record, '100%', now, _Advisor(None))[0] is True
    broken = _Advisor(error=ConnectorError('renewalInfo broken'))
    assert due_state(record, '100%', now, broken)[0] is True
    assert due_state(record, '30', now)[0] is False


def _issuer(cn, key=None):
    key = key or ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    now = datetime.datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now)
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    return cert, key


def _leaf(issuer_name, issuer_key):
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(UTC)
    return (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, 'leaf.example.test')]))
            .issuer_name(issuer_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1)).sign(issuer_key, hashes.SHA256()))


def test_choose_chain_by_issuer_cn():
    root_a, key_a = _issuer('Root A')
    root_b, key_b = _issuer('Root B')
    leaf = _leaf(root_a.subject, key_a)
    default = x509lib.pem(leaf) + x509lib.pem(root_a)
    alternative = x509lib.pem(leaf) + x509lib.pem(_leaf(root_b.subject, key_b))
    assert acme.choose_chain([default, alternative], None)[-1] == root_a
    assert acme._issuer_cn(acme.choose_chain([default, alternative], 'Root B')[-1]) == 'Root B'
    assert acme.choose_chain([default, alternative], 'Root A')[-1] == root_a
    assert acme.choose_chain([default, alternative], 'Nobody')[-1] == root_a
    with pytest.raises(ConnectorError):
        acme.choose_chain(['', '  '], None)


def test_problem_document_kept_intact():
    from acme import messages
    error = messages.Error.from_json({
        'type': 'urn:ietf:params:acme:error:rejectedIdentifier',
        'detail': 'Error creating new order :: Cannot issue for "under_score.example.test"',
        'subproblems': [{'type': 'urn:ietf:params:acme:error:malformed', 'detail': 'bad label',
                         'identifier': {'type': 'dns', 'value': 'under_score.example.test'}}],
    })
    connector = acme.AcmeConnector('p', {'directory_url': 'https://acme.example.test/dir'}, {})
    exc = connector._translate(error, 'create an order')
    assert 'Cannot issue for "under_score.example.test"' in exc.message
    assert 'urn:ietf:params:acme:error:rejectedIdentifier' in exc.message
    assert 'under_score.example.test: bad label' in exc.message
    assert exc.details['problem']['subproblems'][0]['identifier'] == 'dns:under_score.example.test'
    assert 'subject_alt_names' in exc.hint


def test_options_refused_early():
    from ansible_collections.pki.lifecycle.plugins.module_utils.errors import InputError
    with pytest.raises(InputError):
        acme.AcmeConnector('p', {'directory_url': 'ftp://x'}, {})
    with pytest.raises(InputError):
        acme.AcmeConnector('p', {'directory_url': 'https://x/dir', 'challenge_type': 'tls-alpn-01'}, {})
    assert acme.AcmeConnector.KEEPS_SUBJECT is False
    assert set(acme.AcmeConnector.SECRETS) == {'eab_kid', 'eab_hmac_key', 'account_key_passphrase', 'tsig_secret'}
