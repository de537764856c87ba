# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The token a ``pkcs11`` token profile names, its mechanisms, and this process's logged-in
session on it.

python-pkcs11 loads the library once per process; SoftHSM2 reads ``SOFTHSM2_CONF`` then.
One session per (library, slot) is kept for the process: PKCS#11 login state is per token
and application, so a second C_Login would fail with USER_ALREADY_LOGGED_IN.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import hashlib
import os
import re
import traceback

from ansible_collections.pki.lifecycle.plugins.module_utils import x509 as x509_utils
from ansible_collections.pki.lifecycle.plugins.module_utils.errors import TokenError

try:
    import pkcs11
    from pkcs11 import exceptions as p11_exc
    HAS_PKCS11 = True
    PKCS11_IMPORT_ERROR = None
except ImportError:
    HAS_PKCS11 = False
    PKCS11_IMPORT_ERROR = traceback.format_exc()

# objects.py and signing.py import asn1crypto themselves (guarded); the token refuses to open
# without it, so they never run without it.
HAS_ASN1CRYPTO, ASN1CRYPTO_IMPORT_ERROR = x509_utils.optional_library('asn1crypto')

PIN_ENV = 'PKI_LIFECYCLE_PKCS11_PIN'
SELECTORS = ('token_label', 'token_serial', 'slot')

_SESSIONS = {}
_PIN_SALT = os.urandom(16)
_KEY_AND_SIGNING_MECHANISMS = re.compile(r'^CKM_(RSA_PKCS(_PSS|_KEY_PAIR_GEN)?|SHA\d+_RSA_PKCS(_PSS)?|ECDSA(_SHA\d+)?'
                                         r'|EDDSA|EC_KEY_PAIR_GEN|EC_EDWARDS_KEY_PAIR_GEN)$')


def _pin_check(pin):
    """A salted hash (memory only) to tell whether a cached session was opened with this PIN."""
    return hashlib.sha256(_PIN_SALT + (pin or '').encode('utf-8')).digest()


def mechanism_names(mechanisms):
    """'CKM_...' names of the mechanisms that matter for keys and signatures (a token's full
    list is ~70 long), sorted."""
    names = []
    for mech in mechanisms:
        name = getattr(mech, 'name', None) or '0x%x' % int(mech)
        names.append('CKM_' + name.lstrip('_'))
    return [n for n in sorted(names) if _KEY_AND_SIGNING_MECHANISMS.match(n)]


class TokenSession(object):
    """The token of token profile ``profile_name``: found in the PKCS#11 library ``module`` by
    the ``options`` token_label, token_serial and/or ``slot`` (an int), logged in with ``pin``."""

    def __init__(self, profile_name, module, options, slot, pin):
        self.name = profile_name
        self.module = module
        self.options = options
        self.slot = slot
        self._pin = pin
        self._token = None
        self._mechanisms = None

    def describe(self):
        wanted = ['%s %r' % (o, self.options[o]) for o in SELECTORS if self.options.get(o) not in (None, '')]
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
        if not HAS_ASN1CRYPTO or not x509_utils.HAS_CRYPTOGRAPHY:
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

    def _matches(self, token):
        label = self.options.get('token_label')
        if label not in (None, '') and token.label != label:
            return False
        serial = self.options.get('token_serial')
        if serial not in (None, ''):
            found = token.serial.decode('ascii', 'replace') if isinstance(token.serial, bytes) else str(token.serial)
            if found.strip() != str(serial).strip():
                return False
        return True

    def token(self):
        """The python-pkcs11 Token; TokenError unless exactly one token matches."""
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
                if self._matches(token):
                    tokens.append(token)
        except p11_exc.PKCS11Error as exc:
            raise self.error('listing the tokens of %s failed' % self.module, exc, 'Check the PKCS#11 library.')
        if not tokens:
            raise TokenError("token profile '%s': no token with %s in %s." % (self.name, self.describe(), self.module),
                             'Check the token label, serial or slot (pkcs11-tool --module %s -L lists them); '
                             'for SoftHSM2 also SOFTHSM2_CONF.' % self.module)
        if len(tokens) > 1:
            raise TokenError("token profile '%s': %d tokens match %s." % (self.name, len(tokens), self.describe()),
                             'Name the token by token_serial or slot.')
        self._token = tokens[0]
        return self._token

    def mechanisms(self):
        """The set of the token's mechanisms (python-pkcs11 Mechanism values)."""
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
            raise TokenError("token profile '%s': no PIN was given for the token (%s)." % (self.name, self.describe()),
                             'Pass token_secrets: {pin: ...} or set %s.' % PIN_ENV)
        try:
            session = token.open(rw=True, user_pin=self._pin)
        except (p11_exc.PinIncorrect, p11_exc.PinInvalid, p11_exc.PinLenRange):
            # Never the PIN itself, nor the library's text.
            raise TokenError("token profile '%s': the token (%s) refused the PIN: it is wrong." % (self.name, self.describe()),
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
                raise self.error('opening a session on the token (%s) failed' % self.describe(), exc,
                                 'Check the token.')
        except p11_exc.UserPinNotInitialized:
            raise TokenError("token profile '%s': the token's user PIN is not initialised." % self.name,
                             'Initialise the token and its user PIN first.')
        except p11_exc.PKCS11Error as exc:
            raise self.error('opening a session on the token (%s) failed' % self.describe(), exc,
                             'Check the token and the PIN.')
        _SESSIONS[cache_key] = (session, check)
        return session


def close_sessions():
    """Log out and close this process's sessions (tests and benchmarks; modules just exit)."""
    while _SESSIONS:
        _key, (session, _check) = _SESSIONS.popitem()
        try:
            session.close()
        except Exception:  # pylint: disable=broad-except
            pass
