# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Names: subjects and subject alternative names, parsed from what users write and
normalised so that two requests for the same names compare equal.

- subjects: RFC 4514 strings (``CN=www.example.org,O=Example``) as produced by
  ``normalize_subject``; also accepted on input: OpenSSL ``/O=Example/CN=www`` and dicts.
- SANs: ``DNS:name``, ``IP:address``, ``email:address``, ``URI:uri``.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import binascii
import ipaddress
import re

from ansible_collections.pki.lifecycle.plugins.module_utils.errors import InputError
from ansible_collections.pki.lifecycle.plugins.module_utils.vocabulary import (
    UB_DNS_LABEL, UB_DNS_NAME, UB_EMAIL, UB_NAME_ATTRIBUTES, shorten,
)
from ansible_collections.pki.lifecycle.plugins.module_utils.x509.base import HAS_CRYPTOGRAPHY, LazyModule

x509 = LazyModule('cryptography.x509')

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

SAN_FORMS = ("'DNS:name'", "'IP:address'", "'email:address'", "'URI:uri'")

_OID_RE = re.compile(r'^[0-2](\.(0|[1-9][0-9]*))+$')
_DNS_LABEL_RE = re.compile(r'^[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$')


# --- subjects -----------------------------------------------------------------------

def _known_attribute_names():
    return ', '.join(short for short, _oid, _aliases in _NAME_ATTRIBUTES)


def _attribute_oid(attr_type, subject):
    attr_type = attr_type.strip()
    oid = _NAME_LOOKUP.get(attr_type.lower())
    if oid is None and _OID_RE.match(attr_type):
        oid = attr_type
    if oid is None:
        raise InputError("subject %r: unknown attribute name '%s'." % (shorten(subject), attr_type),
                         'Known names: %s (long names such as commonName, organizationName '
                         'also work), or a dotted OID.' % _known_attribute_names())
    return oid


def name_bound_error(oid, value, what):
    """InputError for a name attribute longer than its RFC 5280 upper bound, else None."""
    bound = UB_NAME_ATTRIBUTES.get(oid)
    if bound is None or len(value) <= bound:
        return None
    short = _OID_TO_SHORT.get(oid, oid)
    return InputError('%s: attribute %s is too long: %d characters, RFC 5280 allows at most %d (%s=%s).'
                      % (what, short, len(value), bound, short, shorten(value, 40)),
                      'Shorten it%s.' % (' and put long DNS names in subject_alt_names (up to %d characters, '
                                         '%d per label)' % (UB_DNS_NAME, UB_DNS_LABEL) if short == 'CN' else ''))


def check_name_bounds(name, what='csr'):
    """Refuse a subject (x509.Name, e.g. from a CSR) with a value over its RFC 5280 bound."""
    for attribute in name:
        value = attribute.value if isinstance(attribute.value, str) else ''
        error = name_bound_error(attribute.oid.dotted_string, value, '%s subject' % what)
        if error is not None:
            raise error


def _name_attribute(oid, value, subject):
    # C: cryptography's own check below says "two letters", clearer than "too long".
    error = name_bound_error(oid, str(value if value is not None else ''), 'subject') if oid != '2.5.4.6' else None
    if error is not None:
        raise error
    if value is None or str(value) == '':
        raise InputError('subject %r: attribute %s has an empty value.'
                         % (shorten(subject), _OID_TO_SHORT.get(oid, oid)), 'Give it a value or leave it out.')
    try:
        return x509.NameAttribute(x509.ObjectIdentifier(oid), str(value))
    except ValueError as exc:
        raise InputError('subject %r: attribute %s=%s is not valid: %s.'
                         % (shorten(subject), _OID_TO_SHORT.get(oid, oid), shorten(str(value)), exc),
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
                                 % (shorten(text), b''.join(t[0] for t in ava).decode('utf-8', 'replace')), syntax)
            value = ava[eq + 1:]
            # Unescaped spaces around a value are separators' padding ('CN=a, O=b').
            while value and value[0] == (b' ', False):
                value = value[1:]
            while value and value[-1] == (b' ', False):
                value = value[:-1]
            if value and value[0] == (b'#', False):
                raise InputError('subject %r: hex-encoded (#...) values are not supported.' % shorten(text),
                                 'Write the value as text.')
            try:
                avas.append((b''.join(t[0] for t in ava[:eq]).decode('utf-8').strip(),
                             b''.join(t[0] for t in value).decode('utf-8')))
            except UnicodeDecodeError:
                raise InputError('subject %r: an escaped value is not UTF-8.' % shorten(text), syntax)
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
            raise InputError('subject %r: %s.' % (shorten(subject), exc), 'Do not repeat an attribute inside one RDN.')
    return x509.Name(result)


_OVERRIDES = []


def _name_overrides():
    # Built once: normalize_subject runs several times per certificate in a due sweep.
    if not _OVERRIDES:
        _OVERRIDES.append(dict((x509.ObjectIdentifier(oid), short) for short, oid, _aliases in _NAME_ATTRIBUTES))
    return _OVERRIDES[0]


def normalize_subject(name):
    """Canonical RFC 4514 string of a name (x509.Name, DN string or dict).

    Attribute types get one spelling (CN, O, emailAddress, dotted OID if unknown) and
    values RFC 4514 escaping; the order of attributes is kept, since it is part of the
    name. Two requests name the same subject when these strings are equal.
    """
    return parse_subject(name).rfc4514_string(_name_overrides())


# --- subject alternative names --------------------------------------------------------

def _bad_san(entry, why):
    return InputError('subject_alt_names entry %s is not valid: %s.' % (shorten(repr(entry), 70), why),
                      'Accepted forms: %s.' % ', '.join(SAN_FORMS))


def _too_long(entry, what, length, bound):
    return InputError('subject_alt_names entry %s is too long: %s of %d characters, RFC 5280 allows at most %d.'
                      % (shorten(repr(entry), 70), what, length, bound),
                      'Use a shorter name (DNS names up to %d characters, each label up to %d).'
                      % (UB_DNS_NAME, UB_DNS_LABEL))


def _check_dns(entry, value):
    labels = value.split('.')
    if labels[0] == '*':
        labels = labels[1:]
    longest = max(len(label) for label in labels) if labels else 0
    if longest > UB_DNS_LABEL:
        raise _too_long(entry, 'a DNS label', longest, UB_DNS_LABEL)
    if len(value.rstrip('.')) > UB_DNS_NAME:
        raise _too_long(entry, 'the DNS name', len(value), UB_DNS_NAME)
    if not labels or not all(_DNS_LABEL_RE.match(label) for label in labels):
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
            if len(value) > UB_EMAIL:
                raise _too_long(entry, 'the email address', len(value), UB_EMAIL)
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
