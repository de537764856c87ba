"""compliance.py: each rule fires on the certificate that breaks it, and only there."""
import datetime

from cryptography.hazmat.primitives import serialization

from ansible_collections.pki.lifecycle.plugins.module_utils import compliance
from ansible_collections.pki.lifecycle.plugins.module_utils import x509 as x509lib

from harness.x509_factory import NOW, ca_and_leaf, cert, key

PEM = serialization.Encoding.PEM


def record(leaf, chain=None, **extra):
    rec = dict(certificate_pem=leaf.public_bytes(PEM).decode(),
               chain_pem=chain.public_bytes(PEM).decode() if chain is not None else '',
               state='discovered', issuer=x509lib.normalize_subject(leaf.issuer))
    rec.update(extra)
    return rec


def rules(rec, pol=None, anchors=(), now=NOW):
    ctx = compliance.Context(now, anchors=list(anchors))
    return sorted(f['rule'] for f in compliance.check(rec, pol or {}, ctx))


def test_a_good_certificate_with_a_known_issuer_is_compliant():
    ca, _k, leaf, _lk = ca_and_leaf()
    assert rules(record(leaf, ca), anchors=[ca]) == []
    assert rules(record(leaf, ca)) == ['unknown_issuer']


def test_weak_key_long_validity_no_san_selfsigned():
    # SHA-1 signatures: cryptography no longer makes them; the integration test's openssl does.
    ca, ca_key, _leaf, _lk = ca_and_leaf()
    weak = cert(key('rsa', 1024), 'weak.test', issuer=ca.subject, issuer_key=ca_key, days=800)
    assert rules(record(weak), anchors=[ca]) == ['validity_too_long', 'weak_key']
    bare = cert(key(), 'bare.test', issuer=ca.subject, issuer_key=ca_key, sans=[])
    assert rules(record(bare), anchors=[ca]) == ['missing_san']
    own = key()
    assert rules(record(cert(own, 'self.test'))) == ['self_signed_leaf']


def test_profile_policy_names_key_types_validity_and_time():
    ca, ca_key, _leaf, _lk = ca_and_leaf()
    leaf = cert(key(), 'shop.example.com', issuer=ca.subject, issuer_key=ca_key, days=90)
    pol = dict(allowed_names=['**.test'], key_types=['rsa'], max_validity_days=30)
    assert rules(record(leaf), pol, anchors=[ca]) == ['key_type_not_allowed', 'names_not_allowed',
                                                      'validity_too_long']
    assert rules(record(leaf), anchors=[ca], now=NOW + datetime.timedelta(days=80)) == ['expiring']
    assert rules(record(leaf), anchors=[ca], now=NOW + datetime.timedelta(days=100)) == ['expired']


def test_bound_certificate_expiring_matches_its_validation_status():
    # 90 days of life, no renew_before: a bound record is due in its last third (day 60), as its
    # validation status says; an unbound one uses the baseline's 30 days (day 60 too, so day 55 tells).
    ca, ca_key, _leaf, _lk = ca_and_leaf()
    leaf = cert(key(), 'shop.example.com', issuer=ca.subject, issuer_key=ca_key, days=90)
    day55 = NOW + datetime.timedelta(days=55)
    day65 = NOW + datetime.timedelta(days=65)
    assert rules(record(leaf, state='issued', ra_profile='web'), anchors=[ca], now=day55) == []
    assert rules(record(leaf, state='issued', ra_profile='web'), anchors=[ca], now=day65) == ['expiring']
    leaf20 = cert(key(), 'short.example.com', issuer=ca.subject, issuer_key=ca_key, days=20)
    day8 = NOW + datetime.timedelta(days=8)
    # Unbound: the 30-day baseline; bound: a third of 20 days, so not yet on day 8.
    assert rules(record(leaf20), anchors=[ca], now=day8) == ['expiring']
    assert rules(record(leaf20, state='issued', ra_profile='web'), anchors=[ca], now=day8) == []


def test_revoked_but_still_deployed():
    ca, _k, leaf, _lk = ca_and_leaf()
    present = [dict(kind='file', host='web1', path='/etc/x.crt', status='present')]
    gone = [dict(present[0], status='gone')]
    base = dict(state='revoked', ra_profile='web', revocation_reason='keyCompromise')
    assert rules(record(leaf, ca, locations=present, **base)) == ['revoked_deployed']
    assert rules(record(leaf, ca, locations=gone, **base)) == []


def test_summary_counts():
    out = compliance.summary([[], [dict(rule='weak_key')], [dict(rule='weak_key'), dict(rule='expired')]])
    assert out['compliant'] == 1 and out['noncompliant'] == 2
    assert out['rules']['weak_key'] == 2 and out['rules']['expired'] == 1
