"""Test certificates made with cryptography, for unit tests of pure logic (no server, no openssl)."""
import datetime

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

NOW = datetime.datetime(2026, 12, 1, tzinfo=datetime.timezone.utc)


def key(kind='ec', size=2048):
    return ec.generate_private_key(ec.SECP256R1()) if kind == 'ec' else rsa.generate_private_key(65537, size)


def name(cn):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def cert(subject_key, cn, issuer=None, issuer_key=None, days=90, start=None, sans=None, ca=False, digest=None):
    start = start or NOW - datetime.timedelta(days=1)
    builder = (x509.CertificateBuilder().subject_name(name(cn)).issuer_name(issuer or name(cn))
               .public_key(subject_key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(start).not_valid_after(start + datetime.timedelta(days=days))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if ca:
        builder = builder.add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False),
                                        critical=True)
    if sans is None and not ca:
        sans = [cn]
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(s) for s in sans]), critical=False)
    return builder.sign(issuer_key or subject_key, digest or hashes.SHA256())


def ca_and_leaf(cn='www.test', **kwargs):
    ca_key, leaf_key = key(), key()
    ca = cert(ca_key, 'Unit Root', ca=True, days=3650, start=NOW - datetime.timedelta(days=900))
    leaf = cert(leaf_key, cn, issuer=ca.subject, issuer_key=ca_key, **kwargs)
    return ca, ca_key, leaf, leaf_key
