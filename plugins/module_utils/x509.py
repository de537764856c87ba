# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""X.509 helpers: read PEM, parse, describe, compare names, validate chains.

Pure functions over ``cryptography`` objects. Every failure is an ``InputError`` (bad
input from the user) or a ``ValidationError`` (an issued certificate that does not
check out), with a message that names the problem and a hint that says what to do.

Vocabulary shared with the rest of the collection (and with ``keys/csr.py``):

- names: RFC 4514 strings (``CN=www.example.org,O=Example``) as produced by
  ``normalize_subject``; also accepted on input: OpenSSL ``/O=Example/CN=www`` and dicts.
- SANs: ``DNS:name``, ``IP:address``, ``email:address``, ``URI:uri``.
- key usage names: the ``cryptography.x509.KeyUsage`` attribute names
  (``digital_signature``, ``key_encipherment``, ...); extended key usage names
  ``server_auth``, ``client_auth``, ... or dotted OIDs.
- public keys: ``('rsa', 2048)``, ``('ec', 'P-256')``, ``('ed25519', None)``.
- times and serials as the inventory writes them: ``vocabulary.iso`` and ``serial_hex``.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import binascii
import datetime
import importlib
import ipaddress
import os
import re
import traceback

from ansible_collections.pki.lifecycle.plugins.module_utils.errors import InputError, ValidationError
from ansible_collections.pki.lifecycle.plugins.module_utils.vocabulary import as_utc, iso, serial_hex


class LazyModule(object):
    """A third-party module imported on first attribute access.

    For libraries only some paths need (asn1crypto: hardware-key signing), which would
    otherwise cost every module run their import time and memory. Check availability with
    ``optional_library`` first, as a guarded top-level import would."""

    def __init__(self, name):
        self.__name = name
        self.__module = None

    def __getattr__(self, attr):
        if self.__module is None:
            self.__module = importlib.import_module(self.__name)
        return getattr(self.__module, attr)


def optional_library(name):
    """(installed, why not) for a third-party library, without importing it."""
    try:
        from importlib.util import find_spec
        found = find_spec(name) is not None
    except (ImportError, ValueError):
        found = False
    return found, None if found else 'No module named %r; install it on the controller.' % name


try:
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, padding, rsa
    HAS_CRYPTOGRAPHY = True
    CRYPTOGRAPHY_IMPORT_ERROR = None
except ImportError:
    HAS_CRYPTOGRAPHY = False
    CRYPTOGRAPHY_IMPORT_ERROR = traceback.format_exc()

# Tables hold dotted OIDs (not cryptography objects) so that importing this file works
# without cryptography; the module wrapper reports the missing library.

# Subject attribute: (name printed by normalize_subject, dotted OID, accepted aliases).
# Short names follow OpenSSL (SN is surname, as in `openssl req -subj`).
_NAME_ATTRIBUTES = (
    ('CN', '2.5.4.3', ('commonName',)),
    ('C', '2.5.4.6', ('countryName',)),
    ('ST', '2.5.4.8', ('stateOrProvinceName', 'S')),
    ('L', '2.5.4.7', ('localityName',)),
    ('STREET', '2.5.4.9', ('streetAddress',)),
    ('O', '2.5.4.10', ('organizationName',)),
    ('OU', '2.5.4.11', ('organizationalUnitName',)),
    ('DC', '0.9.2342.19200300.100.1.25', ('domainComponent',)),
    ('UID', '0.9.2342.19200300.100.1.1', ('userId', 'userID')),
    ('emailAddress', '1.2.840.113549.1.9.1', ('E', 'email')),
    ('serialNumber', '2.5.4.5', ()),
    ('title', '2.5.4.12', ()),
    ('GN', '2.5.4.42', ('givenName',)),
    ('SN', '2.5.4.4', ('surname',)),
    ('initials', '2.5.4.43', ()),
    ('pseudonym', '2.5.4.65', ()),
    ('generationQualifier', '2.5.4.44', ()),
    ('dnQualifier', '2.5.4.46', ()),
    ('postalCode', '2.5.4.17', ()),
    ('businessCategory', '2.5.4.15', ()),
    ('organizationIdentifier', '2.5.4.97', ()),
    ('jurisdictionC', '1.3.6.1.4.1.311.60.2.1.3', ('jurisdictionCountryName',)),
    ('jurisdictionST', '1.3.6.1.4.1.311.60.2.1.2', ('jurisdictionStateOrProvinceName',)),
    ('jurisdictionL', '1.3.6.1.4.1.311.60.2.1.1', ('jurisdictionLocalityName',)),
)
_NAME_LOOKUP = {}
for _short, _oid, _aliases in _NAME_ATTRIBUTES:
    for _alias in (_short,) + _aliases:
        _NAME_LOOKUP[_alias.lower()] = _oid
_OID_TO_SHORT = dict((_oid, _short) for _short, _oid, _aliases in _NAME_ATTRIBUTES)

# Dict subjects have no reliable order, so they are put in the conventional order
# (most significant first, as in DER and in `openssl req -subj`); unknown types rank 8.
_DICT_ORDER = {
    '0.9.2342.19200300.100.1.25': 0, '1.3.6.1.4.1.311.60.2.1.3': 1, '1.3.6.1.4.1.311.60.2.1.2': 1,
    '1.3.6.1.4.1.311.60.2.1.1': 1, '2.5.4.15': 1, '2.5.4.6': 2, '2.5.4.8': 3, '2.5.4.7': 4,
    '2.5.4.9': 5, '2.5.4.17': 5, '2.5.4.10': 6, '2.5.4.97': 6, '2.5.4.11': 7, '2.5.4.12': 8,
    '2.5.4.3': 9, '2.5.4.42': 9, '2.5.4.4': 9, '2.5.4.43': 9, '2.5.4.65': 9, '2.5.4.44': 9,
    '0.9.2342.19200300.100.1.1': 10, '1.2.840.113549.1.9.1': 10, '2.5.4.5': 10,
}

KEY_USAGES = ('digital_signature', 'content_commitment', 'key_encipherment', 'data_encipherment',
              'key_agreement', 'key_cert_sign', 'crl_sign', 'encipher_only', 'decipher_only')
KEY_USAGE_ALIASES = {'non_repudiation': 'content_commitment'}

# Extended key usage name -> dotted OID; input also takes the OpenSSL spelling (serverAuth).
EXTENDED_KEY_USAGES = {
    'server_auth': '1.3.6.1.5.5.7.3.1',
    'client_auth': '1.3.6.1.5.5.7.3.2',
    'code_signing': '1.3.6.1.5.5.7.3.3',
    'email_protection': '1.3.6.1.5.5.7.3.4',
    'time_stamping': '1.3.6.1.5.5.7.3.8',
    'ocsp_signing': '1.3.6.1.5.5.7.3.9',
    'any_extended_key_usage': '2.5.29.37.0',
}
_EKU_BY_OID = dict((v, k) for k, v in EXTENDED_KEY_USAGES.items())

SAN_FORMS = ("'DNS:name'", "'IP:address'", "'email:address'", "'URI:uri'")

_CURVE_NAMES = {'secp256r1': 'P-256', 'secp384r1': 'P-384', 'secp521r1': 'P-521'}
_PEM_LABELS = {'csr': 'CERTIFICATE REQUEST', 'certificate': 'CERTIFICATE'}
_OID_RE = re.compile(r'^[0-2](\.(0|[1-9][0-9]*))+$')
_DNS_LABEL_RE = re.compile(r'^[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$')


# --- PEM input ------------------------------------------------------------------------

def read_pem_input(value, what, label=None):
    """Return PEM text from ``value``: the PEM text itself or a path to a file holding it.

    ``what`` names the option in messages ('csr', 'certificate'); ``label`` is the PEM
    type expected ('CERTIFICATE REQUEST'); by default derived from ``what``, else any.
    """
    label = label or _PEM_LABELS.get(what)
    begin = '-----BEGIN %s-----' % label if label else '-----BEGIN '
    hint = 'Pass the PEM text or a path to a file holding it.'
    if isinstance(value, bytes):
        value = value.decode('utf-8', 'replace')
    if not isinstance(value, str) or not value.strip():
        raise InputError('%s is empty.' % what, hint)
    text = value
    if '-----BEGIN' not in value and '\n' not in value.strip():
        path = os.path.expanduser(value.strip())
        if os.path.isfile(path):
            try:
                with open(path, 'rb') as f:
                    text = f.read().decode('utf-8', 'replace')
            except (IOError, OSError) as exc:
                raise InputError('%s: cannot read %s: %s.' % (what, path, exc.strerror or exc), hint)
        elif os.sep in value or value.startswith(('~', '.')) or \
                value.lower().endswith(('.pem', '.crt', '.cer', '.csr', '.req')):
            # Looks like a path, so say that the file is missing rather than "not PEM".
            raise InputError('%s: file %s does not exist.' % (what, path), hint)
    if begin not in text:
        raise InputError("%s is not PEM: expected '%s'; pass the PEM text or a path to it."
                         % (what, begin if label else '-----BEGIN ...-----'))
    return text


def _to_bytes(pem):
    return pem.encode('utf-8') if isinstance(pem, str) else pem


def load_certificate(pem, what='certificate'):
    """One certificate from PEM text (the first if several); InputError if malformed."""
    if HAS_CRYPTOGRAPHY and isinstance(pem, x509.Certificate):
        return pem
    certs = load_certificates(pem, what)
    if not certs:
        raise InputError('%s is empty.' % what, 'Pass the PEM text or a path to it.')
    return certs[0]


def load_certificates(pem, what='certificate chain'):
    """Every certificate in a PEM bundle, in order; [] for empty text."""
    if not pem or not _to_bytes(pem).strip():
        return []
    data = _to_bytes(pem)
    if b'-----BEGIN CERTIFICATE-----' not in data:
        raise InputError("%s is not PEM: expected '-----BEGIN CERTIFICATE-----'; "
                         "pass the PEM text or a path to it." % what)
    try:
        return x509.load_pem_x509_certificates(data)
    except ValueError as exc:
        raise InputError('%s is malformed PEM: %s.' % (what, exc),
                         'Pass the certificate exactly as the CA issued it.')


# Bulk work (the due sweep) parses each CSR twice and describes each new certificate twice:
# remember the last few results. Keyed by the exact PEM bytes / the certificate (its DER).
_CACHE_LIMIT = 1024
_CSR_CACHE = {}
_INFO_CACHE = {}


def _remember(cache, key, value):
    if len(cache) >= _CACHE_LIMIT:
        cache.clear()
    cache[key] = value
    return value


def _copy_info(info):
    return dict((k, list(v) if isinstance(v, list) else dict(v) if isinstance(v, dict) else v)
                for k, v in info.items())


def load_csr(pem, what='csr'):
    """A CSR from PEM text whose signature is verified: a CSR proves possession of its key."""
    data = None
    if HAS_CRYPTOGRAPHY and isinstance(pem, x509.CertificateSigningRequest):
        csr = pem
    else:
        data = _to_bytes(pem or b'')
        if data in _CSR_CACHE:
            return _CSR_CACHE[data]  # parsed and verified before
        if b'-----BEGIN CERTIFICATE REQUEST-----' not in data:
            raise InputError("%s is not PEM: expected '-----BEGIN CERTIFICATE REQUEST-----'; "
                             "pass the PEM text or a path to it." % what)
        try:
            csr = x509.load_pem_x509_csr(data)
        except ValueError as exc:
            raise InputError('%s is malformed: %s.' % (what, exc),
                             'Pass the CSR exactly as it was generated.')
    try:
        valid = csr.is_signature_valid
    except (UnsupportedAlgorithm, ValueError, TypeError) as exc:
        raise InputError('%s cannot be verified: %s.' % (what, exc),
                         'Use an RSA, EC or Ed25519 key with a standard signature algorithm.')
    if not valid:
        raise InputError('CSR signature does not verify: the CSR was altered or not signed by its '
                         'key; generate it again.')
    return _remember(_CSR_CACHE, data, csr) if data is not None else csr


def pem(obj):
    """PEM text of a certificate or CSR."""
    return obj.public_bytes(serialization.Encoding.PEM).decode('ascii')


def fingerprint(cert, algorithm='sha256'):
    """Lowercase hex digest of the certificate DER, no colons."""
    algo = {'sha256': hashes.SHA256, 'sha1': hashes.SHA1, 'sha384': hashes.SHA384,
            'sha512': hashes.SHA512}[algorithm]()
    return binascii.hexlify(cert.fingerprint(algo)).decode('ascii')


# --- keys -----------------------------------------------------------------------------

def spki_sha256(public_key):
    """Lowercase hex SHA-256 over the SubjectPublicKeyInfo DER (also takes a cert or CSR)."""
    if hasattr(public_key, 'public_key'):
        public_key = public_key.public_key()
    der = public_key.public_bytes(serialization.Encoding.DER,
                                  serialization.PublicFormat.SubjectPublicKeyInfo)
    digest = hashes.Hash(hashes.SHA256())
    digest.update(der)
    return binascii.hexlify(digest.finalize()).decode('ascii')


def public_key_spec(public_key):
    """('rsa', bits), ('ec', 'P-256'), ('ed25519', None); other types reported, not refused."""
    if hasattr(public_key, 'public_key'):
        public_key = public_key.public_key()
    if isinstance(public_key, rsa.RSAPublicKey):
        return 'rsa', public_key.key_size
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        return 'ec', _CURVE_NAMES.get(public_key.curve.name, public_key.curve.name)
    if isinstance(public_key, ed25519.Ed25519PublicKey):
        return 'ed25519', None
    if isinstance(public_key, ed448.Ed448PublicKey):
        return 'ed448', None
    if isinstance(public_key, dsa.DSAPublicKey):
        return 'dsa', public_key.key_size
    return type(public_key).__name__.lower(), None


def _public_key_dict(public_key):
    key_type, param = public_key_spec(public_key)
    if key_type == 'ec':
        return {'type': key_type, 'curve': param}
    if param is not None:
        return {'type': key_type, 'size': param}
    return {'type': key_type}


def _signature_info(obj):
    """(algorithm in the collection's vocabulary, digest name) of a certificate or CSR."""
    try:
        params = obj.signature_algorithm_parameters
        digest = obj.signature_hash_algorithm
    except (UnsupportedAlgorithm, ValueError):
        return obj.signature_algorithm_oid.dotted_string, None
    digest = digest.name if digest is not None else None
    if isinstance(params, padding.PSS):
        return 'rsa-pss', digest
    if isinstance(params, padding.PKCS1v15):
        return 'rsa-pkcs1v15', digest
    if isinstance(params, ec.ECDSA):
        return 'ecdsa', digest
    if obj.signature_algorithm_oid.dotted_string == '1.3.101.112':
        return 'ed25519', None
    return getattr(obj.signature_algorithm_oid, '_name', None) or \
        obj.signature_algorithm_oid.dotted_string, digest


# --- names ----------------------------------------------------------------------------

def _known_attribute_names():
    return ', '.join(short for short, _oid, _aliases in _NAME_ATTRIBUTES)


def _attribute_oid(attr_type, subject):
    attr_type = attr_type.strip()
    oid = _NAME_LOOKUP.get(attr_type.lower())
    if oid is None and _OID_RE.match(attr_type):
        oid = attr_type
    if oid is None:
        raise InputError("subject %r: unknown attribute name '%s'." % (subject, attr_type),
                         'Known names: %s (long names such as commonName, organizationName '
                         'also work), or a dotted OID.' % _known_attribute_names())
    return oid


def _name_attribute(oid, value, subject):
    if value is None or str(value) == '':
        raise InputError('subject %r: attribute %s has an empty value.'
                         % (subject, _OID_TO_SHORT.get(oid, oid)), 'Give it a value or leave it out.')
    try:
        return x509.NameAttribute(x509.ObjectIdentifier(oid), str(value))
    except ValueError as exc:
        raise InputError('subject %r: attribute %s=%s is not valid: %s.'
                         % (subject, _OID_TO_SHORT.get(oid, oid), value, exc),
                         'Country codes are two letters (C=DE).')


def _dn_tokens(text):
    """(bytes, escaped) per character; ``\\,`` and ``\\2C`` escapes decoded."""
    tokens, i = [], 0
    while i < len(text):
        if text[i] == '\\' and i + 1 < len(text):
            pair = text[i + 1:i + 3]
            if re.match(r'^[0-9A-Fa-f]{2}$', pair):
                tokens.append((binascii.unhexlify(pair), True))
                i += 3
            else:
                tokens.append((text[i + 1].encode('utf-8'), True))
                i += 2
        else:
            tokens.append((text[i].encode('utf-8'), False))
            i += 1
    return tokens


def _dn_split(tokens, separators):
    parts = [[]]
    for token in tokens:
        if not token[1] and token[0] in separators:
            parts.append([])
        else:
            parts[-1].append(token)
    return parts


def _split_dn(text, separators):
    """RDNs (lists of (type, value)) of a DN string, in the order written."""
    syntax = "Write 'CN=www.example.org,O=Example' or '/O=Example/CN=www.example.org'."
    rdns = []
    for rdn in _dn_split(_dn_tokens(text), separators):
        if not b''.join(t[0] for t in rdn).strip():
            continue   # tolerate a trailing separator ('/CN=a/')
        avas = []
        for ava in _dn_split(rdn, (b'+',)):
            eq = next((i for i, t in enumerate(ava) if t == (b'=', False)), None)
            if eq is None:
                raise InputError('subject %r: expected TYPE=value, found %r.'
                                 % (text, b''.join(t[0] for t in ava).decode('utf-8', 'replace')), syntax)
            value = ava[eq + 1:]
            # Unescaped spaces around a value are separators' padding ('CN=a, O=b').
            while value and value[0] == (b' ', False):
                value = value[1:]
            while value and value[-1] == (b' ', False):
                value = value[:-1]
            if value and value[0] == (b'#', False):
                raise InputError('subject %r: hex-encoded (#...) values are not supported.' % text,
                                 'Write the value as text.')
            try:
                avas.append((b''.join(t[0] for t in ava[:eq]).decode('utf-8').strip(),
                             b''.join(t[0] for t in value).decode('utf-8')))
            except UnicodeDecodeError:
                raise InputError('subject %r: an escaped value is not UTF-8.' % text, syntax)
        rdns.append(avas)
    return rdns


def parse_subject(subject):
    """An ``x509.Name`` from a DN string or a dict; ``None``/'' is the empty name.

    - RFC 4514 ``CN=www,O=Example,C=DE`` (most specific first, as printed by tools);
      ``+`` joins a multi-valued RDN, ``\\,`` escapes.
    - OpenSSL ``/C=DE/O=Example/CN=www`` (most significant first, as in ``-subj``).
    - dict ``{CN: www, O: Example}``, short or long names (``commonName``); a list value
      gives several attributes of one type. Dicts have no reliable order, so they are
      put in the conventional order C, ST, L, O, OU, CN, emailAddress: ``{CN: a, O: b}``
      is ``CN=a,O=b``.
    Attribute names are case-insensitive; unknown ones are refused with the known ones.
    """
    if HAS_CRYPTOGRAPHY and isinstance(subject, x509.Name):
        return subject
    if subject is None or (isinstance(subject, str) and not subject.strip()):
        return x509.Name([])
    if isinstance(subject, dict):
        ranked = []
        for index, (key, values) in enumerate(subject.items()):
            oid = _attribute_oid(str(key), subject)
            for value in (values if isinstance(values, (list, tuple)) else [values]):
                if value is None:   # e.g. a templated attribute left empty on purpose
                    continue
                ranked.append((_DICT_ORDER.get(oid, 8), index, _name_attribute(oid, value, subject)))
        ranked.sort(key=lambda item: (item[0], item[1]))
        return x509.Name([x509.RelativeDistinguishedName([attr]) for _r, _i, attr in ranked])
    if not isinstance(subject, str):
        raise InputError('subject must be a DN string or a dict, not %s.' % type(subject).__name__,
                         "Write 'CN=www.example.org,O=Example' or {CN: www.example.org, O: Example}.")
    text = subject.lstrip()   # not strip(): a trailing '\\ ' is an escaped space
    openssl_style = text.startswith('/')
    rdns = _split_dn(text[1:] if openssl_style else text, (b'/',) if openssl_style else (b',', b';'))
    if not openssl_style:
        rdns.reverse()   # RFC 4514 writes the last RDN of the DER sequence first
    result = []
    for avas in rdns:
        attrs = [_name_attribute(_attribute_oid(t, subject), v, subject) for t, v in avas]
        try:
            result.append(x509.RelativeDistinguishedName(attrs))
        except ValueError as exc:
            raise InputError('subject %r: %s.' % (subject, exc), 'Do not repeat an attribute inside one RDN.')
    return x509.Name(result)


def _name_overrides():
    return dict((x509.ObjectIdentifier(oid), short) for short, oid, _aliases in _NAME_ATTRIBUTES)


def normalize_subject(name):
    """Canonical RFC 4514 string of a name (x509.Name, DN string or dict).

    Attribute types get one spelling (CN, O, emailAddress, dotted OID if unknown) and
    values RFC 4514 escaping; the order of attributes is kept, since it is part of the
    name. Two requests name the same subject when these strings are equal.
    """
    return parse_subject(name).rfc4514_string(_name_overrides())


# --- subject alternative names --------------------------------------------------------

def _bad_san(entry, why):
    return InputError('subject_alt_names entry %r is not valid: %s.' % (entry, why),
                      'Accepted forms: %s.' % ', '.join(SAN_FORMS))


def _check_dns(entry, value):
    labels = value.split('.')
    if labels[0] == '*':
        labels = labels[1:]
    if not labels or len(value) > 253 or not all(_DNS_LABEL_RE.match(label) for label in labels):
        raise _bad_san(entry, 'not a DNS name (ASCII labels of letters, digits, hyphens; '
                       "a wildcard only as the whole first label; IDNs as 'xn--' A-labels)")


def parse_subject_alt_names(entries):
    """List of ``x509.GeneralName`` from 'DNS:', 'IP:', 'email:', 'URI:' strings.

    The prefix is case-insensitive; IPv4 and IPv6 addresses are accepted. GeneralName
    objects pass through.
    """
    if entries is None:
        return []
    if isinstance(entries, str):
        entries = [entries]
    result = []
    for entry in entries:
        if HAS_CRYPTOGRAPHY and isinstance(entry, x509.GeneralName):
            result.append(entry)
            continue
        if not isinstance(entry, str) or ':' not in entry:
            raise _bad_san(entry, 'no type prefix')
        prefix, value = entry.split(':', 1)
        prefix, value = prefix.strip().lower(), value.strip()
        if not value:
            raise _bad_san(entry, 'the value is empty')
        if prefix == 'dns':
            _check_dns(entry, value)
            result.append(x509.DNSName(value))
        elif prefix in ('ip', 'ip address'):
            try:
                result.append(x509.IPAddress(ipaddress.ip_address(value)))
            except ValueError:
                raise _bad_san(entry, 'not an IPv4 or IPv6 address')
        elif prefix == 'email':
            local, _at, domain = value.rpartition('@')
            if not local or not domain or ' ' in value or not value.isascii():
                raise _bad_san(entry, 'not an email address (local@domain, ASCII)')
            result.append(x509.RFC822Name(value))
        elif prefix == 'uri':
            if not re.match(r'^[A-Za-z][A-Za-z0-9+.-]*:\S+$', value) or not value.isascii():
                raise _bad_san(entry, 'not an absolute URI (scheme:rest, ASCII, no spaces)')
            result.append(x509.UniformResourceIdentifier(value))
        else:
            raise _bad_san(entry, "unknown type '%s'" % entry.split(':', 1)[0])
    return result


def format_san(general_name):
    """'DNS:x', 'IP:x', 'email:x', 'URI:x' (also 'dirName:', 'RID:', 'otherName:')."""
    if isinstance(general_name, x509.DNSName):
        return 'DNS:%s' % general_name.value
    if isinstance(general_name, x509.IPAddress):
        return 'IP:%s' % general_name.value   # ipaddress prints v6 compressed
    if isinstance(general_name, x509.RFC822Name):
        return 'email:%s' % general_name.value
    if isinstance(general_name, x509.UniformResourceIdentifier):
        return 'URI:%s' % general_name.value
    if isinstance(general_name, x509.DirectoryName):
        return 'dirName:%s' % normalize_subject(general_name.value)
    if isinstance(general_name, x509.RegisteredID):
        return 'RID:%s' % general_name.value.dotted_string
    if isinstance(general_name, x509.OtherName):
        return 'otherName:%s;%s' % (general_name.type_id.dotted_string,
                                    binascii.hexlify(general_name.value).decode('ascii'))
    return str(general_name)


def normalize_sans(entries):
    """Sorted, deduplicated canonical SAN strings: DNS lowercased, IP compressed, email
    domain lowercased. Two requests have the same SANs when these lists are equal."""
    result = set()
    for general_name in parse_subject_alt_names(entries):
        text = format_san(general_name)
        if isinstance(general_name, x509.DNSName):
            text = 'DNS:%s' % general_name.value.lower()
        elif isinstance(general_name, x509.RFC822Name):
            local, _at, domain = general_name.value.rpartition('@')
            text = 'email:%s@%s' % (local, domain.lower())
        result.add(text)
    return sorted(result)


# --- describing certificates and CSRs -------------------------------------------------

def _extensions_info(extensions):
    """Fields derived from extensions, shared by certificate_info and csr_info.

    ``extensions`` is in the shape ``keys.csr.build_extensions`` accepts, so a request
    can be compared with what was asked.
    """
    info = {'subject_alt_names': [], 'key_usage': [], 'extended_key_usage': [], 'is_ca': False,
            'path_length': None, 'extensions': {}}
    for ext in extensions:
        value = ext.value
        if isinstance(value, x509.SubjectAlternativeName):
            info['subject_alt_names'] = [format_san(n) for n in value]
        elif isinstance(value, x509.KeyUsage):
            names = []
            for usage in KEY_USAGES:
                try:
                    if getattr(value, usage):
                        names.append(usage)
                except ValueError:   # encipher_only/decipher_only are undefined without key_agreement
                    pass
            info['key_usage'] = names
            info['extensions']['key_usage'] = list(names)
        elif isinstance(value, x509.ExtendedKeyUsage):
            names = [_EKU_BY_OID.get(oid.dotted_string, oid.dotted_string) for oid in value]
            info['extended_key_usage'] = names
            info['extensions']['extended_key_usage'] = list(names)
        elif isinstance(value, x509.BasicConstraints):
            info['is_ca'] = value.ca
            info['path_length'] = value.path_length
            info['extensions']['basic_constraints'] = {'ca': value.ca, 'path_length': value.path_length}
    return info


def _safe_extensions(obj, what):
    try:
        return list(obj.extensions)
    except ValueError as exc:   # duplicate or malformed extension
        raise InputError('%s has malformed extensions: %s.' % (what, exc),
                         'Generate it again with a standard tool.')


def certificate_info(cert):
    """A plain dict describing a certificate (what the inventory records and modules return)."""
    if cert in _INFO_CACHE:
        return _copy_info(_INFO_CACHE[cert])
    return _copy_info(_remember(_INFO_CACHE, cert, _certificate_info(cert)))


def _certificate_info(cert):
    algorithm, digest = _signature_info(cert)
    info = {
        'serial': serial_hex(cert.serial_number),
        'subject': normalize_subject(cert.subject),
        'issuer': normalize_subject(cert.issuer),
        'not_before': iso(cert.not_valid_before_utc),
        'not_after': iso(cert.not_valid_after_utc),
        'fingerprint_sha256': fingerprint(cert),
        'spki_sha256': spki_sha256(cert.public_key()),
        'public_key': _public_key_dict(cert.public_key()),
        'signature_algorithm': algorithm,
        'signature_digest': digest,
        'self_signed': cert.subject == cert.issuer,
    }
    info.update(_extensions_info(_safe_extensions(cert, 'certificate')))
    return info


def csr_info(csr):
    """The same shape as certificate_info for what a CSR carries."""
    algorithm, digest = _signature_info(csr)
    info = {
        'subject': normalize_subject(csr.subject),
        'spki_sha256': spki_sha256(csr.public_key()),
        'public_key': _public_key_dict(csr.public_key()),
        'signature_algorithm': algorithm,
        'signature_digest': digest,
    }
    info.update(_extensions_info(_safe_extensions(csr, 'csr')))
    return info


# --- chain validation -----------------------------------------------------------------

def _as_cert_list(value, what):
    if value is None:
        return []
    if isinstance(value, (str, bytes)):
        return load_certificates(value, what)
    if HAS_CRYPTOGRAPHY and isinstance(value, x509.Certificate):
        return [value]
    return [load_certificate(v, what) for v in value]


def _describe(cert):
    return "'%s'" % (normalize_subject(cert.subject) or '(empty subject)')


def _check_validity(cert, at_time):
    if at_time < cert.not_valid_before_utc:
        raise ValidationError('certificate %s is not valid yet at %s: valid from %s to %s.'
                              % (_describe(cert), iso(at_time), iso(cert.not_valid_before_utc),
                                 iso(cert.not_valid_after_utc)),
                              "Check the controller's and the CA's clocks.")
    if at_time > cert.not_valid_after_utc:
        raise ValidationError('certificate %s expired at %s (checked at %s).'
                              % (_describe(cert), iso(cert.not_valid_after_utc), iso(at_time)),
                              'Renew it, or update the trust anchors of the RA profile.')


def _check_issuer_is_ca(issuer, child, ca_below):
    try:
        bc = issuer.extensions.get_extension_for_class(x509.BasicConstraints).value
    except x509.ExtensionNotFound:
        bc = None
    if bc is None or not bc.ca:
        raise ValidationError('certificate %s signed %s but is not a CA (basicConstraints CA is false '
                              'or missing).' % (_describe(issuer), _describe(child)),
                              'The chain returned by the CA is wrong; check the connector.')
    if bc.path_length is not None and ca_below > bc.path_length:
        raise ValidationError('certificate %s allows %d CA certificates below it but the chain has %d.'
                              % (_describe(issuer), bc.path_length, ca_below),
                              'The chain returned by the CA is wrong; check the connector.')
    try:
        ku = issuer.extensions.get_extension_for_class(x509.KeyUsage).value
        if not ku.key_cert_sign:
            raise ValidationError('certificate %s signed %s but its key usage does not allow '
                                  'keyCertSign.' % (_describe(issuer), _describe(child)),
                                  'The chain returned by the CA is wrong; check the connector.')
    except x509.ExtensionNotFound:
        pass


def _signed_by(child, issuer):
    try:
        child.verify_directly_issued_by(issuer)
        return True
    except (InvalidSignature, ValueError, TypeError, UnsupportedAlgorithm):
        return False


def verify_chain(leaf, chain, anchors, at_time=None):
    """Build and check the path leaf -> intermediates -> one of ``anchors``.

    ``chain``: the CA's intermediates in any order, with or without the root.
    ``anchors``: the RA profile's trusted certificates. Certificates may be objects or
    PEM. Checks every signature, name chaining, validity at ``at_time`` (default now)
    of every certificate including the anchor, basicConstraints/pathLen/keyCertSign of
    every issuer. Returns the path (leaf first, anchor last); ValidationError otherwise.
    """
    leaf = load_certificate(leaf)
    chain = _as_cert_list(chain, 'certificate chain')
    anchors = _as_cert_list(anchors, 'trust anchors')
    # Not utcnow(): a certificate whose notBefore is this very second is valid already.
    at_time = datetime.datetime.now(datetime.timezone.utc) if at_time is None else as_utc(at_time)
    if not anchors:
        raise ValidationError('certificate chain cannot be validated: the RA profile has no trust '
                              'anchors.', 'Name the trust anchors (root certificates) of the RA profile.')
    anchor_fps = set(fingerprint(a) for a in anchors)
    anchor_names = ', '.join(_describe(a) for a in anchors)
    path, current = [leaf], leaf
    for _depth in range(16):   # far longer than any real chain; stops loops
        _check_validity(current, at_time)
        if fingerprint(current) in anchor_fps:
            return path
        if current.subject == current.issuer and _signed_by(current, current):
            # A self-signed certificate ends the path: trusted only if it is an anchor.
            if any(a.subject == current.subject for a in anchors):
                raise ValidationError('certificate chain does not lead to a trusted anchor of the RA '
                                      'profile: it ends at a self-signed %s that is not the trusted one '
                                      '(same name, different certificate).' % _describe(current),
                                      'The CA was re-created or is an impostor; update the RA profile '
                                      'trust anchors only if you trust the new root.')
            raise ValidationError('certificate chain does not lead to a trusted anchor of the RA '
                                  'profile: it ends at the self-signed %s, which is not among %s.'
                                  % (_describe(current), anchor_names),
                                  'Add that root to the RA profile trust anchors if you trust it.')
        # Anchors first, so that a root sent by the CA is replaced by the trusted one.
        seen = set(fingerprint(p) for p in path)
        candidates = [c for c in anchors + chain if c.subject == current.issuer and fingerprint(c) not in seen]
        if not candidates:
            raise ValidationError("certificate chain does not lead to a trusted anchor of the RA profile: "
                                  "issuer '%s' of %s not found among the chain and the anchors %s."
                                  % (normalize_subject(current.issuer), _describe(current), anchor_names),
                                  'Check that the connector returns the intermediate certificates and '
                                  'that the RA profile names the right root.')
        issuer = next((c for c in candidates if _signed_by(current, c)), None)
        if issuer is None:
            raise ValidationError('signature of certificate %s does not verify with the key of %s.'
                                  % (_describe(current), _describe(candidates[0])),
                                  'The chain returned by the CA does not belong to this certificate.')
        ca_below = sum(1 for p in path[1:] if p.subject != p.issuer)
        _check_issuer_is_ca(issuer, current, ca_below)
        path.append(issuer)
        current = issuer
    raise ValidationError('certificate chain is too long (more than 16 certificates).',
                          'Check the chain returned by the CA.')
