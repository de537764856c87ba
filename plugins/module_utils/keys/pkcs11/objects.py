# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Key objects in a token: found by name, their public key read, generated, destroyed.

A key is addressed by its label (``key: web``), or by an RFC 7512 PKCS#11 URI path with
``object`` and/or ``id`` (``key: "pkcs11:object=web;id=%01%a2"``). The private key is
never read. The public key comes from the token's public key object with the same
label/id (or, for RSA, from the private key's public attributes).

Generated keys are token objects, private, sensitive and not extractable, may sign (RSA
keys may also decrypt), and carry CKA_ID = SHA-1 of the public key (the RFC 5280 key
identifier), so tools like ``pkcs11-tool`` pair them with their certificate.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import hashlib

try:  # Python 3
    from urllib.parse import unquote_to_bytes
except ImportError:  # pragma: no cover
    from urllib import unquote as unquote_to_bytes

from ansible_collections.pki.lifecycle.plugins.module_utils.errors import InputError, TokenError
from ansible_collections.pki.lifecycle.plugins.module_utils.keys.pkcs11.token import mechanism_names
from ansible_collections.pki.lifecycle.plugins.module_utils.vocabulary import EC_CURVES
from ansible_collections.pki.lifecycle.plugins.module_utils.x509.base import LazyModule

serialization = LazyModule('cryptography.hazmat.primitives.serialization')
ec = LazyModule('cryptography.hazmat.primitives.asymmetric.ec')
ed25519 = LazyModule('cryptography.hazmat.primitives.asymmetric.ed25519')
rsa = LazyModule('cryptography.hazmat.primitives.asymmetric.rsa')

try:
    from asn1crypto import core as asn1_core
    from asn1crypto import keys as asn1_keys
except ImportError:  # token.HAS_ASN1CRYPTO says so; the token refuses to open without it
    pass

try:
    from pkcs11 import Attribute, KeyType, Mechanism, MechanismFlag, ObjectClass
    from pkcs11 import exceptions as p11_exc
except ImportError:  # token.HAS_PKCS11 says so; the token refuses to open without it
    pass

_CURVE_OIDS = {'P-256': '1.2.840.10045.3.1.7', 'P-384': '1.3.132.0.34'}
_OID_CURVES = {'1.2.840.10045.3.1.7': 'P-256', '1.3.132.0.34': 'P-384'}
_ED25519_OID = '1.3.101.112'


def parse_key_name(key_name):
    """``web`` -> (label 'web', id None); ``pkcs11:object=web;id=%01%02`` -> (label, id bytes)."""
    if not isinstance(key_name, str) or not key_name.strip():
        raise InputError('key name %r is not usable for a pkcs11 token.' % (key_name,),
                         'Give the key label, or a PKCS#11 URI like "pkcs11:object=web;id=%01".')
    if not key_name.startswith('pkcs11:'):
        return key_name, None
    label = key_id = None
    path = key_name[len('pkcs11:'):].split('?', 1)[0]
    for part in [p for p in path.split(';') if p]:
        attr, _sep, value = part.partition('=')
        if attr == 'object':
            label = unquote_to_bytes(value).decode('utf-8')
        elif attr == 'id':
            key_id = unquote_to_bytes(value)
        elif attr in ('type',):
            continue
        else:
            raise InputError('PKCS#11 URI attribute %r is not used in a key name.' % attr,
                             'Name the key with object= and/or id=; the token is chosen by the token profile.')
    if label is None and key_id is None:
        raise InputError('PKCS#11 URI %r names no key.' % key_name, 'Add object=<label> and/or id=<%%hex>.')
    return label, key_id


def _ec_point(raw, curve_size):
    """CKA_EC_POINT is a DER OCTET STRING around the point (the spec); some tokens give it bare."""
    if len(raw) == curve_size:
        return raw
    try:
        return asn1_core.OctetString.load(raw).native
    except (ValueError, TypeError):
        return raw


def _generation(spec):
    """(key type, generation mechanism, length, capabilities, public template) for a KeySpec."""
    if spec.key_type == 'rsa':
        caps = MechanismFlag.SIGN | MechanismFlag.VERIFY | MechanismFlag.ENCRYPT | MechanismFlag.DECRYPT
        return KeyType.RSA, Mechanism.RSA_PKCS_KEY_PAIR_GEN, int(spec.key_size), caps, {}
    caps = MechanismFlag.SIGN | MechanismFlag.VERIFY
    if spec.key_type == 'ec':
        if spec.curve not in _CURVE_OIDS:
            raise InputError("curve '%s' is not supported." % spec.curve, 'Use one of: %s.' % ', '.join(EC_CURVES))
        return (KeyType.EC, Mechanism.EC_KEY_PAIR_GEN, None, caps,
                {Attribute.EC_PARAMS: asn1_core.ObjectIdentifier(_CURVE_OIDS[spec.curve]).dump()})
    if spec.key_type == 'ed25519':
        return (KeyType.EC_EDWARDS, Mechanism.EC_EDWARDS_KEY_PAIR_GEN, None, caps,
                {Attribute.EC_PARAMS: asn1_core.ObjectIdentifier(_ED25519_OID).dump()})
    raise InputError("key_type '%s' is not supported." % spec.key_type, 'Use rsa, ec or ed25519.')


def _key_identifier(public_key):
    """RFC 5280 key identifier: SHA-1 of the subjectPublicKey bits."""
    spki = asn1_keys.PublicKeyInfo.load(public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo))
    return hashlib.sha1(spki['public_key'].contents[1:]).digest()


class KeyObjects(object):
    """The key objects of the token behind a ``token.TokenSession``."""

    def __init__(self, token):
        self.token = token

    def find(self, key_name, object_class):
        label, key_id = parse_key_name(key_name)
        attrs = {Attribute.CLASS: object_class}
        if label is not None:
            attrs[Attribute.LABEL] = label
        if key_id is not None:
            attrs[Attribute.ID] = key_id
        try:
            return list(self.token.session().get_objects(attrs))
        except p11_exc.PKCS11Error as exc:
            raise self.token.error('searching key %r failed' % key_name, exc, 'Check the token.')

    def private(self, key_name):
        """The private key object named ``key_name``, or None."""
        found = self.find(key_name, ObjectClass.PRIVATE_KEY)
        if not found:
            return None
        if len(found) > 1:
            raise TokenError("token profile '%s': %d private keys match %r." % (self.token.name, len(found), key_name),
                             'Name the key by label and id: "pkcs11:object=<label>;id=<%hex>".')
        return found[0]

    def missing(self, key_name):
        return TokenError("key %r not found in token profile '%s' (token %s)." % (key_name, self.token.name, self.token.describe()),
                          'Generate it (generate_key: true) or check the key label (pkcs11-tool --module %s '
                          '--login -O lists the objects).' % self.token.module)

    def public_key(self, key_name, private=None):
        """A cryptography public key from the token's public key attributes."""
        private = private if private is not None else self.private(key_name)
        if private is None:
            raise self.missing(key_name)
        name = self.token.name
        publics = [p for p in self.find(key_name, ObjectClass.PUBLIC_KEY) if p.key_type == private.key_type]
        label, key_id = parse_key_name(key_name)
        if len(publics) > 1 and key_id is None:
            # Same label twice: pick the one whose id matches the private key's.
            try:
                publics = [p for p in publics if p[Attribute.ID] == private[Attribute.ID]]
            except p11_exc.PKCS11Error:
                pass
        source = publics[0] if len(publics) == 1 else None
        try:
            if private.key_type == KeyType.RSA:
                obj = source if source is not None else private   # RSA private keys carry n and e
                return rsa.RSAPublicNumbers(int.from_bytes(obj[Attribute.PUBLIC_EXPONENT], 'big'),
                                            int.from_bytes(obj[Attribute.MODULUS], 'big')).public_key()
            if source is None:
                raise TokenError("token profile '%s': key %r has no (single) public key object with the same "
                                 "label, so its public key is unknown." % (name, key_name),
                                 'Import the public key into the token with the same label and id.')
            params = asn1_core.load(source[Attribute.EC_PARAMS])
            oid = params.dotted if isinstance(params, asn1_core.ObjectIdentifier) else None
            if private.key_type == KeyType.EC:
                curve = _OID_CURVES.get(oid)
                if curve is None:
                    raise TokenError("token profile '%s': key %r is on a curve this collection does not use (%s)."
                                     % (name, key_name, oid or 'explicit parameters'),
                                     'Use a key on %s.' % ' or '.join(EC_CURVES))
                crv = ec.SECP256R1() if curve == 'P-256' else ec.SECP384R1()
                size = 1 + 2 * ((crv.key_size + 7) // 8)
                return ec.EllipticCurvePublicKey.from_encoded_point(crv, _ec_point(source[Attribute.EC_POINT], size))
            if private.key_type == KeyType.EC_EDWARDS and (oid == _ED25519_OID or (
                    oid is None and getattr(params, 'native', None) == 'edwards25519')):
                return ed25519.Ed25519PublicKey.from_public_bytes(_ec_point(source[Attribute.EC_POINT], 32))
        except p11_exc.PKCS11Error as exc:
            raise self.token.error('reading the public key of %r failed' % key_name, exc, 'Check the key objects.')
        except ValueError:
            raise TokenError("token profile '%s': the public key attributes of %r cannot be decoded." % (name, key_name),
                             'Check the key objects in the token.')
        raise TokenError("token profile '%s': key %r is of type %s, which this collection does not use."
                         % (name, key_name, getattr(private.key_type, 'name', private.key_type)),
                         'Use an RSA, EC (P-256, P-384) or Ed25519 key.')

    def generate(self, key_name, spec):
        """Generate key ``key_name`` from a KeySpec: (private key object, cryptography public key)."""
        label, key_id = parse_key_name(key_name)
        if label is None:
            raise InputError('a generated key needs a label, not only an id: %r.' % key_name, 'Give key: <label>.')
        if self.private(key_name) is not None:
            raise TokenError("key %r already exists in token profile '%s'." % (key_name, self.token.name),
                             'Use it (generate_key: false) or choose another key name.')
        key_type, gen, length, caps, public_template = _generation(spec)
        available = self.token.mechanisms()
        if gen not in available:
            raise TokenError("token profile '%s': the token cannot generate %s keys (it lacks CKM_%s). Its key and "
                             "signing mechanisms: %s." % (self.token.name, spec.describe(), gen.name,
                                                          ', '.join(mechanism_names(available))),
                             'Choose another key_type, or a token that supports it.')
        private_template = {Attribute.TOKEN: True, Attribute.PRIVATE: True, Attribute.SENSITIVE: True,
                            Attribute.EXTRACTABLE: False}
        if key_id is not None:
            private_template[Attribute.ID] = key_id
            public_template[Attribute.ID] = key_id
        public_template[Attribute.TOKEN] = True
        try:
            public, private = self.token.session().generate_keypair(
                key_type, length, label=label, store=True, mechanism=gen, capabilities=caps,
                public_template=public_template, private_template=private_template)
        except p11_exc.PKCS11Error as exc:
            raise self.token.error('generating %s key %r failed' % (spec.describe(), key_name), exc,
                                   'Check that the token has room and supports %s keys.' % spec.describe())
        public_key = self.public_key(key_name, private)
        if key_id is None:
            # CKA_ID = the key identifier: pairs key and certificate.
            ident = _key_identifier(public_key)
            for obj in (public, private):
                try:
                    obj[Attribute.ID] = ident
                except p11_exc.PKCS11Error:
                    pass   # a token that fixes CKA_ID at creation: the label still finds the key
        return private, public_key

    def destroy(self, key_name):
        """Destroy the private key and its public key object; False when there was none."""
        private = self.private(key_name)
        if private is None:
            return False
        objects = [private]
        try:
            key_id = private[Attribute.ID]
        except p11_exc.PKCS11Error:
            key_id = None
        for public in self.find(key_name, ObjectClass.PUBLIC_KEY):
            try:
                if key_id in (None, b'') or public[Attribute.ID] == key_id:
                    objects.append(public)
            except p11_exc.PKCS11Error:
                objects.append(public)
        for obj in objects:
            try:
                obj.destroy()
            except p11_exc.PKCS11Error as exc:
                raise self.token.error('destroying key %r failed' % key_name, exc,
                                       'Check that the key may be destroyed (CKA_DESTROYABLE) and the session is read/write.')
        return True
