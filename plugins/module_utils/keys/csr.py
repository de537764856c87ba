# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one CSR builder of the collection, for every key source, plus key generation.

``build_csr(signer, ...)`` takes a ``keys.base.Signer``:

- software key (``signer.private_key`` set: file tokens, the ``certificate_request``
  module on a managed host): cryptography's ``CertificateSigningRequestBuilder`` signs.
- hardware key (``signer.private_key`` is None: PKCS#11): the CertificationRequestInfo
  is encoded here with asn1crypto, ``signer.sign(cri_der, signature_algorithm, digest)``
  signs it inside the token, and the CSR is assembled around the signature.

Both paths encode the same CertificationRequestInfo byte for byte, and every CSR is
verified before it is returned, so a token that signs wrongly fails here, not at the CA.

Signer contract for ``sign``: rsa-pkcs1v15 is PKCS#1 v1.5 over ``digest``; rsa-pss uses
MGF1 with the same hash and a salt as long as the digest; ecdsa returns the DER
ECDSA-Sig-Value; ed25519 signs the data itself (``digest`` is None).

``extensions`` (dict) accepted by ``build_csr`` and ``build_extensions``:

- ``key_usage``: list of ``digital_signature``, ``content_commitment`` (alias
  ``non_repudiation``), ``key_encipherment``, ``data_encipherment``, ``key_agreement``,
  ``key_cert_sign``, ``crl_sign``, ``encipher_only``, ``decipher_only``; critical.
- ``extended_key_usage``: list of ``server_auth``, ``client_auth``, ``code_signing``,
  ``email_protection``, ``time_stamping``, ``ocsp_signing``, ``any_extended_key_usage``
  or dotted OIDs; not critical.
- ``basic_constraints``: ``{ca: bool, path_length: int or None, critical: bool (default true)}``.

Names are also accepted in OpenSSL spelling (``digitalSignature``, ``serverAuth``).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.pki.lifecycle.plugins.module_utils import x509 as x509_utils
from ansible_collections.pki.lifecycle.plugins.module_utils.errors import InputError, TokenError
from ansible_collections.pki.lifecycle.plugins.module_utils.vocabulary import (
    DIGESTS, EC_CURVES, KEY_TYPES, SIGNATURE_ALGORITHMS,
)
from ansible_collections.pki.lifecycle.plugins.module_utils.x509.base import LazyModule

x509 = LazyModule('cryptography.x509')
hashes = LazyModule('cryptography.hazmat.primitives.hashes')
serialization = LazyModule('cryptography.hazmat.primitives.serialization')
ec = LazyModule('cryptography.hazmat.primitives.asymmetric.ec')
ed25519 = LazyModule('cryptography.hazmat.primitives.asymmetric.ed25519')
padding = LazyModule('cryptography.hazmat.primitives.asymmetric.padding')
rsa = LazyModule('cryptography.hazmat.primitives.asymmetric.rsa')

# asn1crypto only builds CSRs for hardware signers: imported on first use, since a top-level
# import costs every module run ~20 ms and ~3 MB (bench/bench_memory.py).
HAS_ASN1CRYPTO, ASN1CRYPTO_IMPORT_ERROR = x509_utils.optional_library('asn1crypto')
asn1_algos = x509_utils.LazyModule('asn1crypto.algos')
asn1_core = x509_utils.LazyModule('asn1crypto.core')
asn1_csr = x509_utils.LazyModule('asn1crypto.csr')
asn1_keys = x509_utils.LazyModule('asn1crypto.keys')
asn1_x509 = x509_utils.LazyModule('asn1crypto.x509')

EXTENSION_KEYS = ('key_usage', 'extended_key_usage', 'basic_constraints')
BASIC_CONSTRAINTS_KEYS = ('ca', 'path_length', 'critical')
_CURVES = {'p-256': 'P-256', 'secp256r1': 'P-256', 'prime256v1': 'P-256',
           'p-384': 'P-384', 'secp384r1': 'P-384'}
# Algorithms that fit each key type, in order of preference (the first is the default).
_FITTING = {'rsa': ('rsa-pkcs1v15', 'rsa-pss'), 'ec': ('ecdsa',), 'ed25519': ('ed25519',)}
_KEY_LABEL = {'rsa': 'an RSA', 'ec': 'an EC', 'ed25519': 'an Ed25519'}


def _squash(name):
    """'digitalSignature', 'digital-signature', 'Digital_Signature' compare equal."""
    return re.sub(r'[^a-z0-9.]', '', str(name).lower())


def _hash(digest):
    return {'sha256': hashes.SHA256, 'sha384': hashes.SHA384, 'sha512': hashes.SHA512}[digest]()


# --- keys and signature algorithms ----------------------------------------------------

def generate_private_key(spec):
    """A new cryptography private key from a ``keys.base.KeySpec``."""
    if spec.key_type not in KEY_TYPES:
        raise InputError("key_type '%s' is not supported." % spec.key_type,
                         'Use one of: %s.' % ', '.join(KEY_TYPES))
    if spec.key_type == 'rsa':
        try:
            size = int(spec.key_size)
        except (TypeError, ValueError):
            size = 0
        if not 1024 <= size <= 16384:
            raise InputError('key_size %r is not a usable RSA key size.' % (spec.key_size,),
                             'Use 2048, 3072 or 4096.')
        return rsa.generate_private_key(public_exponent=65537, key_size=size)
    if spec.key_type == 'ec':
        curve = _CURVES.get(str(spec.curve).lower())
        if curve not in EC_CURVES:
            raise InputError("curve '%s' is not supported." % spec.curve,
                             'Use one of: %s.' % ', '.join(EC_CURVES))
        return ec.generate_private_key(ec.SECP256R1() if curve == 'P-256' else ec.SECP384R1())
    return ed25519.Ed25519PrivateKey.generate()


def _key_type(public_key):
    key_type = x509_utils.public_key_spec(public_key)[0]
    if key_type not in _FITTING:
        raise InputError('%s keys are not supported.' % key_type.upper(),
                         'Use an RSA, EC or Ed25519 key.')
    return key_type


def default_signature_algorithm(public_key):
    """rsa -> rsa-pkcs1v15, ec -> ecdsa, ed25519 -> ed25519."""
    return _FITTING[_key_type(public_key)][0]


def check_signature_algorithm(public_key, signature_algorithm=None, digest='sha256'):
    """Validate (or default) the signature algorithm and digest for a key.

    Returns ``(signature_algorithm, digest)``; digest is None for ed25519, which hashes
    internally (a digest given with it is ignored rather than refused, since 'sha256' is
    the default everywhere).
    """
    return check_algorithm_for_key_type(_key_type(public_key), signature_algorithm, digest)


def check_algorithm_for_key_type(key_type, signature_algorithm=None, digest='sha256'):
    """``check_signature_algorithm`` for a key not made yet: ``key_type`` rsa, ec or ed25519."""
    signature_algorithm = signature_algorithm or _FITTING[key_type][0]
    if signature_algorithm not in SIGNATURE_ALGORITHMS:
        raise InputError("signature_algorithm '%s' is unknown." % signature_algorithm,
                         'Use one of: %s.' % ', '.join(SIGNATURE_ALGORITHMS))
    if signature_algorithm not in _FITTING[key_type]:
        raise InputError('signature_algorithm %s does not fit %s key; use %s.'
                         % (signature_algorithm, _KEY_LABEL[key_type], ' or '.join(_FITTING[key_type])))
    if signature_algorithm == 'ed25519':
        return signature_algorithm, None
    digest = digest or 'sha256'
    if digest not in DIGESTS:
        raise InputError("digest '%s' is not supported." % digest, 'Use one of: %s.' % ', '.join(DIGESTS))
    return signature_algorithm, digest


def sign_with_key(private_key, data, signature_algorithm, digest):
    """Sign ``data`` with a software key under the Signer contract (see module doc)."""
    if signature_algorithm == 'ed25519':
        return private_key.sign(data)
    if signature_algorithm == 'ecdsa':
        return private_key.sign(data, ec.ECDSA(_hash(digest)))
    if signature_algorithm == 'rsa-pss':
        return private_key.sign(data, _pss(digest), _hash(digest))
    return private_key.sign(data, padding.PKCS1v15(), _hash(digest))


def _pss(digest):
    # Salt as long as the digest: what RFC 4055 recommends and what OpenSSL and most CAs expect.
    return padding.PSS(mgf=padding.MGF1(_hash(digest)), salt_length=_hash(digest).digest_size)


# --- extensions -----------------------------------------------------------------------

def _names(value, what):
    if isinstance(value, str):
        value = [v for v in re.split(r'[,\s]+', value) if v]
    if not isinstance(value, (list, tuple)):
        raise InputError('extensions.%s must be a list of names, not %s.' % (what, type(value).__name__))
    return list(value)


def _key_usage(value):
    known = dict((_squash(n), n) for n in x509_utils.KEY_USAGES)
    known.update((_squash(a), n) for a, n in x509_utils.KEY_USAGE_ALIASES.items())
    chosen = set()
    for name in _names(value, 'key_usage'):
        if _squash(name) not in known:
            raise InputError("extensions.key_usage: unknown usage '%s'." % name,
                             'Valid: %s.' % ', '.join(x509_utils.KEY_USAGES))
        chosen.add(known[_squash(name)])
    if not chosen:
        return None
    try:
        return x509.KeyUsage(**dict((n, n in chosen) for n in x509_utils.KEY_USAGES))
    except ValueError as exc:
        raise InputError('extensions.key_usage: %s.' % exc,
                         'encipher_only and decipher_only need key_agreement.')


def _extended_key_usage(value):
    known = dict((_squash(n), oid) for n, oid in x509_utils.EXTENDED_KEY_USAGES.items())
    oids = []
    for name in _names(value, 'extended_key_usage'):
        oid = known.get(_squash(name))
        if oid is None and re.match(r'^[0-2](\.\d+)+$', str(name)):
            oid = str(name)
        if oid is None:
            raise InputError("extensions.extended_key_usage: unknown usage '%s'." % name,
                             'Valid: %s, or a dotted OID.' % ', '.join(sorted(x509_utils.EXTENDED_KEY_USAGES)))
        if oid not in oids:
            oids.append(oid)
    return x509.ExtendedKeyUsage([x509.ObjectIdentifier(o) for o in oids]) if oids else None


def _basic_constraints(value):
    if not isinstance(value, dict):
        raise InputError('extensions.basic_constraints must be a dict like {ca: false}.')
    unknown = sorted(set(value) - set(BASIC_CONSTRAINTS_KEYS))
    if unknown:
        raise InputError('extensions.basic_constraints: unknown key %s.' % ', '.join(unknown),
                         'Valid keys: %s.' % ', '.join(BASIC_CONSTRAINTS_KEYS))
    try:
        ca = boolean(value.get('ca', False), strict=True)
        critical = boolean(value.get('critical', True), strict=True)
        path_length = value.get('path_length')
        path_length = None if path_length in (None, '') else int(path_length)
    except (TypeError, ValueError) as exc:
        raise InputError('extensions.basic_constraints: %s.' % exc,
                         'ca and critical are booleans, path_length an integer.')
    if path_length is not None and (not ca or path_length < 0):
        raise InputError('extensions.basic_constraints: path_length needs ca: true and a value >= 0.')
    return x509.BasicConstraints(ca=ca, path_length=path_length), critical


def build_extensions(extensions):
    """``[(cryptography ExtensionType, critical), ...]`` from the extensions dict (module doc).

    The order is fixed (basic_constraints, key_usage, extended_key_usage) so that the same
    request always encodes the same way.
    """
    if not extensions:
        return []
    if not isinstance(extensions, dict):
        raise InputError('extensions must be a dict.', 'Valid keys: %s.' % ', '.join(EXTENSION_KEYS))
    unknown = sorted(set(extensions) - set(EXTENSION_KEYS))
    if unknown:
        raise InputError('extensions: unknown extension %s.' % ', '.join(unknown),
                         'Valid keys: %s (subject alternative names go in subject_alt_names).'
                         % ', '.join(EXTENSION_KEYS))
    result = []
    if extensions.get('basic_constraints') is not None:
        result.append(_basic_constraints(extensions['basic_constraints']))
    if extensions.get('key_usage') is not None:
        value = _key_usage(extensions['key_usage'])
        if value is not None:
            result.append((value, True))       # RFC 5280: SHOULD be critical
    if extensions.get('extended_key_usage') is not None:
        value = _extended_key_usage(extensions['extended_key_usage'])
        if value is not None:
            result.append((value, False))
    return result


# --- the CSR --------------------------------------------------------------------------

def _signature_algorithm_identifier(signature_algorithm, digest):
    """The AlgorithmIdentifier cryptography itself writes (NULL parameters for RSA)."""
    if signature_algorithm == 'ed25519':
        return asn1_algos.SignedDigestAlgorithm({'algorithm': 'ed25519'})
    if signature_algorithm == 'ecdsa':
        return asn1_algos.SignedDigestAlgorithm({'algorithm': '%s_ecdsa' % digest})
    if signature_algorithm == 'rsa-pkcs1v15':
        return asn1_algos.SignedDigestAlgorithm({'algorithm': '%s_rsa' % digest,
                                                 'parameters': asn1_core.Null()})
    hash_algorithm = {'algorithm': digest, 'parameters': asn1_core.Null()}
    return asn1_algos.SignedDigestAlgorithm({
        'algorithm': 'rsassa_pss',
        'parameters': asn1_algos.RSASSAPSSParams({
            'hash_algorithm': hash_algorithm,
            'mask_gen_algorithm': {'algorithm': 'mgf1', 'parameters': hash_algorithm},
            'salt_length': _hash(digest).digest_size,
        }),
    })


def _certification_request_info(name, public_key, extensions):
    attributes = []
    if extensions:
        attributes.append({
            'type': 'extension_request',
            'values': [asn1_x509.Extensions([
                asn1_x509.Extension({
                    'extn_id': value.oid.dotted_string,
                    'critical': critical,
                    # The value's DER from cryptography: same bytes as the software path.
                    'extn_value': asn1_core.ParsableOctetString(value.public_bytes()),
                }) for value, critical in extensions])],
        })
    spki = public_key.public_bytes(serialization.Encoding.DER,
                                   serialization.PublicFormat.SubjectPublicKeyInfo)
    return asn1_csr.CertificationRequestInfo({
        'version': 'v1',
        'subject': asn1_x509.Name.load(name.public_bytes()),
        'subject_pk_info': asn1_keys.PublicKeyInfo.load(spki),
        'attributes': attributes,
    })


def _sign_on_token(signer, name, extensions, signature_algorithm, digest):
    if not HAS_ASN1CRYPTO:
        raise TokenError('signing a CSR with a hardware token needs the Python library asn1crypto, '
                         'which is not installed.', 'Install it on the controller: pip install asn1crypto.')
    cri = _certification_request_info(name, signer.public_key, extensions)
    signature = signer.sign(cri.dump(), signature_algorithm, digest)
    request = asn1_csr.CertificationRequest({
        'certification_request_info': cri,
        'signature_algorithm': _signature_algorithm_identifier(signature_algorithm, digest),
        'signature': signature,
    })
    return x509.load_der_x509_csr(request.dump())


def request_parts(subject, subject_alt_names=None, extensions=None):
    """``(x509.Name, [(extension, critical), ...])`` of a request, as ``build_csr`` signs it;
    InputError for any bad part. A caller that writes something before it signs (a new key)
    calls this first, so that bad input leaves nothing behind."""
    name = x509_utils.parse_subject(subject)
    sans = x509_utils.parse_subject_alt_names(subject_alt_names)
    if not len(name) and not sans:
        raise InputError('the request has neither a subject nor subject_alt_names.',
                         'Give at least a subject (CN=...) or one subject alternative name.')
    exts = build_extensions(extensions)
    if sans:
        # RFC 5280 4.2.1.6: SAN is critical when the subject is empty.
        exts.insert(0, (x509.SubjectAlternativeName(sans), not len(name)))
    return name, exts


def build_csr(signer, subject, subject_alt_names=None, extensions=None, signature_algorithm=None,
              digest='sha256'):
    """PEM text of a CSR signed by ``signer`` (a keys.base.Signer).

    ``subject``: DN string or dict (``x509.parse_subject``); ``subject_alt_names``: list of
    'DNS:', 'IP:', 'email:', 'URI:' strings; ``extensions``: dict (module doc);
    ``signature_algorithm``: rsa-pkcs1v15, rsa-pss, ecdsa, ed25519 (default from the key);
    ``digest``: sha256, sha384, sha512 (ignored for ed25519).
    """
    public_key = signer.public_key
    if public_key is None and signer.private_key is not None:
        public_key = signer.private_key.public_key()
    if public_key is None:
        raise TokenError('the token returned no public key for this key.', 'Check the key in the token.')
    signature_algorithm, digest = check_signature_algorithm(public_key, signature_algorithm, digest)
    name, exts = request_parts(subject, subject_alt_names, extensions)

    if signer.private_key is not None:
        builder = x509.CertificateSigningRequestBuilder().subject_name(name)
        for value, critical in exts:
            builder = builder.add_extension(value, critical=critical)
        kwargs = {}
        if signature_algorithm == 'rsa-pss':
            kwargs['rsa_padding'] = _pss(digest)
        csr = builder.sign(signer.private_key, _hash(digest) if digest else None, **kwargs)
    else:
        csr = _sign_on_token(signer, name, exts, signature_algorithm, digest)

    if not csr.is_signature_valid:
        # A token that signs with another key, the wrong padding or raw r||s ends here.
        raise TokenError('the CSR signature made by the token does not verify with the public key '
                         '(signature_algorithm %s, digest %s).' % (signature_algorithm, digest),
                         'Check that the token key and its public key belong together and that it '
                         'supports this signature algorithm.')
    return x509_utils.pem(csr)
