# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Token profile type ``pkcs11``: private keys inside a PKCS#11 token (HSM, smart card, SoftHSM2).

Options (stored): ``module`` (absolute path of the PKCS#11 library), and the token by
``token_label``, ``token_serial`` or ``slot`` (slot id). Secret (never stored):
``pin`` (``token_secrets.pin``, env ``PKI_LIFECYCLE_PKCS11_PIN``), the user PIN.

A key is addressed by its label (``key: web``), or by an RFC 7512 PKCS#11 URI path with
``object`` and/or ``id`` (``key: "pkcs11:object=web;id=%01%a2"``). The private key is
never read: it signs inside the token. The public key comes from the token's public key
object with the same label/id (or, for RSA, from the private key's public attributes).

Signing (``Pkcs11Signer.sign``), one PKCS#11 mechanism per request, preferring the
token's combined mechanism and otherwise hashing on the host:

=============  =================================  ==========================================
algorithm      combined mechanism                 fallback (host hashes)
=============  =================================  ==========================================
rsa-pkcs1v15   CKM_SHA{256,384,512}_RSA_PKCS      CKM_RSA_PKCS over DigestInfo(hash)
rsa-pss        CKM_SHA*_RSA_PKCS_PSS + params     CKM_RSA_PKCS_PSS over the hash + params
ecdsa          CKM_ECDSA_SHA{256,384,512}         CKM_ECDSA over the hash (SoftHSM 2.6)
ed25519        CKM_EDDSA                          none
=============  =================================  ==========================================

ECDSA signatures come out of the token as r||s and are returned DER-encoded
(ECDSA-Sig-Value), as X.509 wants them. A mechanism the token lacks is refused with the
token's list of signing mechanisms.

Generated keys are token objects, private, sensitive and not extractable, may sign (RSA
keys may also decrypt), and carry CKA_ID = SHA-1 of the public key (the RFC 5280 key
identifier), so tools like ``pkcs11-tool`` pair them with their certificate.

python-pkcs11 loads the library once per process; SoftHSM2 reads ``SOFTHSM2_CONF`` then.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import hashlib
import os
import re
import traceback

try:  # Python 3
    from urllib.parse import unquote_to_bytes
except ImportError:  # pragma: no cover
    from urllib import unquote as unquote_to_bytes

from ansible_collections.pki.lifecycle.plugins.module_utils.errors import InputError, TokenError
from ansible_collections.pki.lifecycle.plugins.module_utils.keys.base import KeyStore, Signer
from ansible_collections.pki.lifecycle.plugins.module_utils.vocabulary import EC_CURVES
from ansible_collections.pki.lifecycle.plugins.module_utils.keys.csr import check_signature_algorithm

try:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
    HAS_CRYPTOGRAPHY = True
    CRYPTOGRAPHY_IMPORT_ERROR = None
except ImportError:
    HAS_CRYPTOGRAPHY = False
    CRYPTOGRAPHY_IMPORT_ERROR = traceback.format_exc()

try:
    from asn1crypto import algos as asn1_algos
    from asn1crypto import core as asn1_core
    from asn1crypto import keys as asn1_keys
    HAS_ASN1CRYPTO = True
    ASN1CRYPTO_IMPORT_ERROR = None
except ImportError:
    HAS_ASN1CRYPTO = False
    ASN1CRYPTO_IMPORT_ERROR = traceback.format_exc()

try:
    import pkcs11
    from pkcs11 import Attribute, KeyType, Mechanism, MechanismFlag, ObjectClass
    from pkcs11 import exceptions as p11_exc
    HAS_PKCS11 = True
    PKCS11_IMPORT_ERROR = None
except ImportError:
    HAS_PKCS11 = False
    PKCS11_IMPORT_ERROR = traceback.format_exc()

PIN_ENV = 'PKI_LIFECYCLE_PKCS11_PIN'

# DigestInfo DER prefixes (RFC 8017 9.2, note 1) for CKM_RSA_PKCS over a host-side hash.
_DIGEST_INFO = {
    'sha256': bytes.fromhex('3031300d060960864801650304020105000420'),
    'sha384': bytes.fromhex('3041300d060960864801650304020205000430'),
    'sha512': bytes.fromhex('3051300d060960864801650304020305000440'),
}
_CURVE_OIDS = {'P-256': '1.2.840.10045.3.1.7', 'P-384': '1.3.132.0.34'}
_OID_CURVES = {'1.2.840.10045.3.1.7': 'P-256', '1.3.132.0.34': 'P-384'}
_ED25519_OID = '1.3.101.112'

# One logged-in session per (library, slot) in this process: PKCS#11 login state is per
# token and application, so a second C_Login would fail with USER_ALREADY_LOGGED_IN.
_SESSIONS = {}
_PIN_SALT = os.urandom(16)


def _pin_check(pin):
    """A salted hash (memory only) to tell whether a cached session was opened with this PIN."""
    return hashlib.sha256(_PIN_SALT + (pin or '').encode('utf-8')).digest()


def _host_hash(digest, data):
    return hashlib.new(digest, data).digest()


def _mech_names(mechanisms):
    names = []
    for mech in mechanisms:
        name = getattr(mech, 'name', None) or '0x%x' % int(mech)
        names.append('CKM_' + name.lstrip('_'))
    return sorted(names)


def _signing_mechanism_names(mechanisms):
    """The token's mechanisms that matter for keys and signatures (the full list is ~70 long)."""
    wanted = re.compile(r'^CKM_(RSA_PKCS(_PSS|_KEY_PAIR_GEN)?|SHA\d+_RSA_PKCS(_PSS)?|ECDSA(_SHA\d+)?|EDDSA'
                        r'|EC_KEY_PAIR_GEN|EC_EDWARDS_KEY_PAIR_GEN)$')
    return [n for n in _mech_names(mechanisms) if wanted.match(n)]


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


class Pkcs11Signer(Signer):
    """A private key object in a token. ``private_key`` stays None: it never leaves the token."""

    def __init__(self, store, key_name, private_key_obj, public_key):
        self.store = store
        self.key_name = key_name
        self.key = private_key_obj
        self.public_key = public_key

    def mechanism(self, signature_algorithm, digest):
        """(mechanism, parameter, host_hash) for a signature algorithm, or TokenError naming the
        token's mechanisms."""
        available = self.store.mechanisms()
        if signature_algorithm == 'ed25519':
            choices = [(Mechanism.EDDSA, None, False)]
        else:
            size = digest[3:]
            hash_mech = getattr(Mechanism, 'SHA%s' % size)
            mgf = getattr(pkcs11.MGF, 'SHA%s' % size)
            salt = hashlib.new(digest).digest_size
            if signature_algorithm == 'rsa-pkcs1v15':
                choices = [(getattr(Mechanism, 'SHA%s_RSA_PKCS' % size), None, False),
                           (Mechanism.RSA_PKCS, None, True)]
            elif signature_algorithm == 'rsa-pss':
                param = (hash_mech, mgf, salt)
                choices = [(getattr(Mechanism, 'SHA%s_RSA_PKCS_PSS' % size), param, False),
                           (Mechanism.RSA_PKCS_PSS, param, True)]
            else:
                choices = [(getattr(Mechanism, 'ECDSA_SHA%s' % size), None, False),
                           (Mechanism.ECDSA, None, True)]
        for mech, param, host_hash in choices:
            if mech in available:
                return mech, param, host_hash
        raise TokenError("token profile '%s': the token cannot sign %s%s; it lacks %s. Its signing "
                         "mechanisms: %s." % (self.store.name, signature_algorithm,
                                              ' with %s' % digest if digest else '',
                                              ' and '.join('CKM_%s' % c[0].name for c in choices),
                                              ', '.join(_signing_mechanism_names(available)) or 'none'),
                         'Choose another signature_algorithm or digest, or a key in a token that supports it.')

    def sign(self, data, signature_algorithm=None, digest='sha256'):
        signature_algorithm, digest = check_signature_algorithm(self.public_key, signature_algorithm, digest)
        mech, param, host_hash = self.mechanism(signature_algorithm, digest)
        payload = data
        if host_hash:
            payload = _host_hash(digest, data)
            if mech == Mechanism.RSA_PKCS:
                payload = _DIGEST_INFO[digest] + payload
        try:
            if param is None:
                signature = self.key.sign(payload, mechanism=mech)
            else:
                signature = self.key.sign(payload, mechanism=mech, mechanism_param=param)
        except p11_exc.PKCS11Error as exc:
            raise self.store.error('signing with key %r (CKM_%s) failed' % (self.key_name, mech.name), exc,
                                   'Check that the key may sign (CKA_SIGN) with this mechanism.')
        if signature_algorithm == 'ecdsa':
            half = len(signature) // 2
            signature = asn1_algos.DSASignature({
                'r': int.from_bytes(signature[:half], 'big'),
                's': int.from_bytes(signature[half:], 'big'),
            }).dump()
        return signature


class Pkcs11KeyStore(KeyStore):
    type = 'pkcs11'
    OPTIONS = {
        'module': 'absolute path of the PKCS#11 library, e.g. /usr/lib/softhsm/libsofthsm2.so',
        'token_label': 'label of the token',
        'token_serial': 'serial number of the token',
        'slot': 'slot id of the token (an integer)',
    }
    REQUIRED_OPTIONS = ('module',)
    SECRETS = {'pin': 'the user PIN of the token'}
    SECRET_ENV = {'pin': PIN_ENV}

    def __init__(self, name, options, secrets):
        super(Pkcs11KeyStore, self).__init__(name, options, secrets)  # refuses unknown names
        module = self.options.get('module')
        if not module or not isinstance(module, str):
            raise InputError("token profile '%s' (type pkcs11) needs option module, the path of the "
                             "PKCS#11 library." % name,
                             'Set options: {module: /usr/lib/softhsm/libsofthsm2.so, token_label: ...}.')
        self.module = os.path.expanduser(module)
        if not any(self.options.get(o) not in (None, '') for o in ('token_label', 'token_serial', 'slot')):
            raise InputError("token profile '%s' (type pkcs11) does not say which token to use." % name,
                             'Set token_label, token_serial or slot in its options.')
        slot = self.options.get('slot')
        if slot not in (None, ''):
            try:
                self.slot = int(str(slot), 0)
            except ValueError:
                raise InputError("token profile '%s': slot %r is not an integer." % (name, slot),
                                 'Give the slot id, e.g. as listed by pkcs11-tool -L or softhsm2-util --show-slots.')
        else:
            self.slot = None
        pin = self.secret('pin')
        self._pin = None if pin in (None, '') else str(pin)
        self._token = None
        self._mechanisms = None

    # --- the token ---------------------------------------------------------------------

    def describe_token(self):
        wanted = ['%s %r' % (o, self.options[o]) for o in ('token_label', 'token_serial', 'slot')
                  if self.options.get(o) not in (None, '')]
        return ', '.join(wanted)

    def error(self, what, exc, hint):
        """A TokenError for a library failure: the exception's class names the PKCS#11 return
        code; its text is not used (it never holds the PIN, but it may hold attributes)."""
        code = type(exc).__name__
        return TokenError("token profile '%s': %s (%s)." % (self.name, what, code), hint)

    def _lib(self):
        if not HAS_PKCS11:
            raise TokenError('pkcs11 token profiles need the Python library python-pkcs11, which is not '
                             'installed.', 'Install it on the controller: pip install python-pkcs11.')
        if not HAS_ASN1CRYPTO or not HAS_CRYPTOGRAPHY:
            raise TokenError('pkcs11 token profiles need the Python libraries cryptography and asn1crypto.',
                             'Install them on the controller: pip install cryptography asn1crypto.')
        if not os.path.isabs(self.module) or not os.path.isfile(self.module):
            raise TokenError("token profile '%s': the PKCS#11 library %s does not exist%s."
                             % (self.name, self.module, '' if os.path.isabs(self.module) else ' (not an absolute path)'),
                             'Fix option module: the absolute path of the library, e.g. '
                             '/usr/lib/softhsm/libsofthsm2.so (Debian package softhsm2) or your HSM vendor\'s.')
        try:
            return pkcs11.lib(self.module)
        except p11_exc.PKCS11Error as exc:
            raise self.error('the PKCS#11 library %s cannot be loaded' % self.module, exc,
                             'Check that option module names a PKCS#11 library for this machine.')

    def token(self):
        if self._token is not None:
            return self._token
        lib = self._lib()
        try:
            tokens = []
            for slot in lib.get_slots(token_present=True):
                if self.slot is not None and slot.slot_id != self.slot:
                    continue
                try:
                    token = slot.get_token()
                except (p11_exc.TokenNotPresent, p11_exc.TokenNotRecognised):
                    continue
                label = self.options.get('token_label')
                if label not in (None, '') and token.label != label:
                    continue
                serial = self.options.get('token_serial')
                if serial not in (None, ''):
                    found = token.serial.decode('ascii', 'replace') if isinstance(token.serial, bytes) else str(token.serial)
                    if found.strip() != str(serial).strip():
                        continue
                tokens.append(token)
        except p11_exc.PKCS11Error as exc:
            raise self.error('listing the tokens of %s failed' % self.module, exc, 'Check the PKCS#11 library.')
        if not tokens:
            raise TokenError("token profile '%s': no token with %s in %s." % (self.name, self.describe_token(), self.module),
                             'Check the token label, serial or slot (pkcs11-tool --module %s -L lists them); '
                             'for SoftHSM2 also SOFTHSM2_CONF.' % self.module)
        if len(tokens) > 1:
            raise TokenError("token profile '%s': %d tokens match %s." % (self.name, len(tokens), self.describe_token()),
                             'Name the token by token_serial or slot.')
        self._token = tokens[0]
        return self._token

    def mechanisms(self):
        if self._mechanisms is None:
            try:
                self._mechanisms = set(self.token().slot.get_mechanisms())
            except p11_exc.PKCS11Error as exc:
                raise self.error('listing the token\'s mechanisms failed', exc, 'Check the token.')
        return self._mechanisms

    def session(self):
        """The process's logged-in read/write session on this token."""
        token = self.token()
        cache_key = (self.module, token.slot.slot_id)
        cached = _SESSIONS.get(cache_key)
        check = _pin_check(self._pin)
        if cached is not None:
            if cached[1] == check:
                return cached[0]
            # Another PIN for the same token in this process: log the old session out first.
            del _SESSIONS[cache_key]
            try:
                cached[0].close()
            except p11_exc.PKCS11Error:
                pass
        if self._pin is None:
            raise TokenError("token profile '%s': no PIN was given for the token (%s)." % (self.name, self.describe_token()),
                             'Pass token_secrets: {pin: ...} or set %s.' % PIN_ENV)
        try:
            session = token.open(rw=True, user_pin=self._pin)
        except (p11_exc.PinIncorrect, p11_exc.PinInvalid, p11_exc.PinLenRange):
            # Never the PIN itself, nor the library's text.
            raise TokenError("token profile '%s': the token (%s) refused the PIN: it is wrong." % (self.name, self.describe_token()),
                             'Check token_secrets.pin (or %s); the token locks after too many wrong PINs.' % PIN_ENV)
        except p11_exc.PinLocked:
            raise TokenError("token profile '%s': the token's user PIN is locked." % self.name,
                             'Unlock it with the SO PIN (e.g. pkcs11-tool --init-pin --login --login-type so).')
        except p11_exc.UserAlreadyLoggedIn:
            # Something else in this process (not through this module) logged in to the token:
            # PKCS#11 login state is shared by the application's sessions, so use it.
            try:
                session = token.open(rw=True)
            except p11_exc.PKCS11Error as exc:
                raise self.error('opening a session on the token (%s) failed' % self.describe_token(), exc,
                                 'Check the token.')
        except p11_exc.UserPinNotInitialized:
            raise TokenError("token profile '%s': the token's user PIN is not initialised." % self.name,
                             'Initialise the token and its user PIN first.')
        except p11_exc.PKCS11Error as exc:
            raise self.error('opening a session on the token (%s) failed' % self.describe_token(), exc,
                             'Check the token and the PIN.')
        _SESSIONS[cache_key] = (session, check)
        return session

    # --- keys ---------------------------------------------------------------------------

    def _find(self, key_name, object_class):
        label, key_id = parse_key_name(key_name)
        attrs = {Attribute.CLASS: object_class}
        if label is not None:
            attrs[Attribute.LABEL] = label
        if key_id is not None:
            attrs[Attribute.ID] = key_id
        try:
            return list(self.session().get_objects(attrs))
        except p11_exc.PKCS11Error as exc:
            raise self.error('searching key %r failed' % key_name, exc, 'Check the token.')

    def _private(self, key_name):
        found = self._find(key_name, ObjectClass.PRIVATE_KEY)
        if not found:
            return None
        if len(found) > 1:
            raise TokenError("token profile '%s': %d private keys match %r." % (self.name, len(found), key_name),
                             'Name the key by label and id: "pkcs11:object=<label>;id=<%hex>".')
        return found[0]

    def check(self):
        self.session()
        return {'token': self.token().label, 'slot': self.token().slot.slot_id,
                'mechanisms': _signing_mechanism_names(self.mechanisms())}

    def has_key(self, key_name):
        return self._private(key_name) is not None

    def public_key(self, key_name, private=None):
        """A cryptography public key from the token's public key attributes."""
        private = private if private is not None else self._private(key_name)
        if private is None:
            raise self._missing(key_name)
        publics = [p for p in self._find(key_name, ObjectClass.PUBLIC_KEY) if p.key_type == private.key_type]
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
                                 "label, so its public key is unknown." % (self.name, key_name),
                                 'Import the public key into the token with the same label and id.')
            params = asn1_core.load(source[Attribute.EC_PARAMS])
            oid = params.dotted if isinstance(params, asn1_core.ObjectIdentifier) else None
            if private.key_type == KeyType.EC:
                curve = _OID_CURVES.get(oid)
                if curve is None:
                    raise TokenError("token profile '%s': key %r is on a curve this collection does not use (%s)."
                                     % (self.name, key_name, oid or 'explicit parameters'),
                                     'Use a key on %s.' % ' or '.join(EC_CURVES))
                crv = ec.SECP256R1() if curve == 'P-256' else ec.SECP384R1()
                size = 1 + 2 * ((crv.key_size + 7) // 8)
                return ec.EllipticCurvePublicKey.from_encoded_point(crv, _ec_point(source[Attribute.EC_POINT], size))
            if private.key_type == KeyType.EC_EDWARDS and (oid == _ED25519_OID or (
                    oid is None and getattr(params, 'native', None) == 'edwards25519')):
                return ed25519.Ed25519PublicKey.from_public_bytes(_ec_point(source[Attribute.EC_POINT], 32))
        except p11_exc.PKCS11Error as exc:
            raise self.error('reading the public key of %r failed' % key_name, exc, 'Check the key objects.')
        except ValueError:
            raise TokenError("token profile '%s': the public key attributes of %r cannot be decoded." % (self.name, key_name),
                             'Check the key objects in the token.')
        raise TokenError("token profile '%s': key %r is of type %s, which this collection does not use."
                         % (self.name, key_name, getattr(private.key_type, 'name', private.key_type)),
                         'Use an RSA, EC (P-256, P-384) or Ed25519 key.')

    def signer(self, key_name):
        private = self._private(key_name)
        if private is None:
            raise self._missing(key_name)
        return Pkcs11Signer(self, key_name, private, self.public_key(key_name, private))

    def _missing(self, key_name):
        return TokenError("key %r not found in token profile '%s' (token %s)." % (key_name, self.name, self.describe_token()),
                          'Generate it (generate_key: true) or check the key label (pkcs11-tool --module %s '
                          '--login -O lists the objects).' % self.module)

    def generate(self, key_name, spec):
        label, key_id = parse_key_name(key_name)
        if label is None:
            raise InputError('a generated key needs a label, not only an id: %r.' % key_name, 'Give key: <label>.')
        if self.has_key(key_name):
            raise TokenError("key %r already exists in token profile '%s'." % (key_name, self.name),
                             'Use it (generate_key: false) or choose another key name.')
        if spec.key_type == 'rsa':
            key_type, gen, length = KeyType.RSA, Mechanism.RSA_PKCS_KEY_PAIR_GEN, int(spec.key_size)
            caps = MechanismFlag.SIGN | MechanismFlag.VERIFY | MechanismFlag.ENCRYPT | MechanismFlag.DECRYPT
            public_template = {}
        elif spec.key_type == 'ec':
            if spec.curve not in _CURVE_OIDS:
                raise InputError("curve '%s' is not supported." % spec.curve, 'Use one of: %s.' % ', '.join(EC_CURVES))
            key_type, gen, length = KeyType.EC, Mechanism.EC_KEY_PAIR_GEN, None
            caps = MechanismFlag.SIGN | MechanismFlag.VERIFY
            public_template = {Attribute.EC_PARAMS: asn1_core.ObjectIdentifier(_CURVE_OIDS[spec.curve]).dump()}
        elif spec.key_type == 'ed25519':
            key_type, gen, length = KeyType.EC_EDWARDS, Mechanism.EC_EDWARDS_KEY_PAIR_GEN, None
            caps = MechanismFlag.SIGN | MechanismFlag.VERIFY
            public_template = {Attribute.EC_PARAMS: asn1_core.ObjectIdentifier(_ED25519_OID).dump()}
        else:
            raise InputError("key_type '%s' is not supported." % spec.key_type, 'Use rsa, ec or ed25519.')
        available = self.mechanisms()
        if gen not in available:
            raise TokenError("token profile '%s': the token cannot generate %s keys (it lacks CKM_%s). Its key and "
                             "signing mechanisms: %s." % (self.name, spec.describe(), gen.name,
                                                          ', '.join(_signing_mechanism_names(available))),
                             'Choose another key_type, or a token that supports it.')
        private_template = {Attribute.TOKEN: True, Attribute.PRIVATE: True, Attribute.SENSITIVE: True,
                            Attribute.EXTRACTABLE: False}
        if key_id is not None:
            private_template[Attribute.ID] = key_id
            public_template[Attribute.ID] = key_id
        public_template[Attribute.TOKEN] = True
        try:
            public, private = self.session().generate_keypair(
                key_type, length, label=label, store=True, mechanism=gen, capabilities=caps,
                public_template=public_template, private_template=private_template)
        except p11_exc.PKCS11Error as exc:
            raise self.error('generating %s key %r failed' % (spec.describe(), key_name), exc,
                             'Check that the token has room and supports %s keys.' % spec.describe())
        signer = Pkcs11Signer(self, key_name, private, None)
        signer.public_key = self.public_key(key_name, private)
        if key_id is None:
            # CKA_ID = RFC 5280 key identifier (SHA-1 of the subjectPublicKey bits): pairs key and certificate.
            spki = asn1_keys.PublicKeyInfo.load(signer.public_key.public_bytes(
                serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo))
            ident = hashlib.sha1(spki['public_key'].contents[1:]).digest()
            for obj in (public, private):
                try:
                    obj[Attribute.ID] = ident
                except p11_exc.PKCS11Error:
                    pass   # a token that fixes CKA_ID at creation: the label still finds the key
        return signer

    def destroy(self, key_name):
        """Destroy the private key and its public key object; False when there was none."""
        private = self._private(key_name)
        if private is None:
            return False
        objects = [private]
        try:
            key_id = private[Attribute.ID]
        except p11_exc.PKCS11Error:
            key_id = None
        for public in self._find(key_name, ObjectClass.PUBLIC_KEY):
            try:
                if key_id in (None, b'') or public[Attribute.ID] == key_id:
                    objects.append(public)
            except p11_exc.PKCS11Error:
                objects.append(public)
        for obj in objects:
            try:
                obj.destroy()
            except p11_exc.PKCS11Error as exc:
                raise self.error('destroying key %r failed' % key_name, exc,
                                 'Check that the key may be destroyed (CKA_DESTROYABLE) and the session is read/write.')
        return True


def close_sessions():
    """Log out and close this process's sessions (tests and benchmarks; modules just exit)."""
    while _SESSIONS:
        _key, (session, _check) = _SESSIONS.popitem()
        try:
            session.close()
        except Exception:  # pylint: disable=broad-except
            pass
