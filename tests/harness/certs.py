"""Tiny certificate authorities for unit tests, built in memory with cryptography: a root, an
intermediate and a leaf, or any certificate with the extensions a test needs. Shared by the
unit tests of plugins/module_utils/x509/ (pytest runs with --import-mode=importlib: test files
are not importable, so helpers live here)."""
import datetime

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

NOW = datetime.datetime.now(datetime.timezone.utc)
DAY = datetime.timedelta(days=1)


def cn_name(cn):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def ec_key():
    return ec.generate_private_key(ec.SECP256R1())


def make_cert(subject, key, issuer=None, issuer_key=None, ca=False, path_length=None,
              not_before=None, not_after=None, sans=None, key_usage=None, bc=True, pss=False,
              eku=None, serial=None):
    """A certificate for CN=``subject`` signed by ``issuer_key`` (self-signed by default)."""
    # The collection is imported when a test runs, not when a conftest imports this file
    # (before pytest-ansible installs its collection finder; see lifecycle/conftest.py).
    from ansible_collections.pki.lifecycle.plugins.module_utils import x509 as x509lib
    issuer = issuer or subject
    issuer_key = issuer_key or key
    builder = (x509.CertificateBuilder()
               .subject_name(cn_name(subject)).issuer_name(cn_name(issuer))
               .public_key(key.public_key())
               .serial_number(serial or x509.random_serial_number())
               .not_valid_before(not_before or NOW - DAY)
               .not_valid_after(not_after or NOW + 30 * DAY))
    if bc:
        builder = builder.add_extension(x509.BasicConstraints(ca=ca, path_length=path_length), critical=True)
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(x509lib.parse_subject_alt_names(sans)),
                                        critical=False)
    if key_usage:
        builder = builder.add_extension(x509.KeyUsage(**dict((u, u in key_usage) for u in x509lib.KEY_USAGES)),
                                        critical=True)
    if eku:
        builder = builder.add_extension(x509.ExtendedKeyUsage(eku), critical=False)
    algorithm = None if isinstance(issuer_key, ed25519.Ed25519PrivateKey) else hashes.SHA256()
    kwargs = {}
    if pss:
        kwargs['rsa_padding'] = padding.PSS(padding.MGF1(hashes.SHA256()), 32)
    return builder.sign(issuer_key, algorithm, **kwargs)


def make_pki():
    """root -> intermediate (pathLen 0) -> leaf, plus an unrelated root; with their keys."""
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
    """A CSR (a cryptography object) for ``subject`` with the SAN DNS:req.example.org."""
    from ansible_collections.pki.lifecycle.plugins.module_utils import x509 as x509lib
    key = key or ec_key()
    return (x509.CertificateSigningRequestBuilder().subject_name(x509lib.parse_subject(subject))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName('req.example.org')]), critical=False)
            .sign(key, hashes.SHA256()))
