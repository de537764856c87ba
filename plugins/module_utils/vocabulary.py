# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The shared vocabulary, defined once: key types, curves, digests, RFC 5280 reasons,
validation statuses, time and serial helpers, atomic file writes, secret fallbacks.

Imported by argspec, policy, x509, keys, connectors, inventory and lifecycle. Standard
library only, so that importing it costs nothing.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import datetime
import os
import tempfile

KEY_TYPES = ('rsa', 'ec', 'ed25519')
RSA_KEY_SIZES = (2048, 3072, 4096)
# Curves a key may be generated on; policy also accepts P-521 keys that come in a CSR.
EC_CURVES = ('P-256', 'P-384')
POLICY_CURVES = ('P-256', 'P-384', 'P-521')
SIGNATURE_ALGORITHMS = ('rsa-pkcs1v15', 'rsa-pss', 'ecdsa', 'ed25519')
DIGESTS = ('sha256', 'sha384', 'sha512')

REVOCATION_REASONS = (
    'unspecified', 'keyCompromise', 'cACompromise', 'affiliationChanged', 'superseded',
    'cessationOfOperation', 'certificateHold', 'privilegeWithdrawn', 'aACompromise',
)
CERTIFICATE_STATES = ('requested', 'issued', 'revoked', 'failed')
VALIDATION_STATUSES = ('valid', 'expiring', 'expired', 'revoked', 'invalid')

# Words that mark a secret; such keys belong in *_secrets, never in stored options.
SECRET_WORDS = ('token', 'password', 'passphrase', 'secret', 'pin', 'hmac', 'private')

ISO_FORMAT = '%Y-%m-%dT%H:%M:%SZ'


def utcnow():
    """The one clock every layer reads (second precision, UTC)."""
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)


def iso(moment):
    return moment.strftime(ISO_FORMAT)


def parse_iso(text):
    # The fixed layout iso() writes, without strptime (50x slower; a due sweep parses a lot).
    if isinstance(text, str) and len(text) == 20 and text[4] == '-' and text[10] == 'T' and text[19] == 'Z':
        try:
            return datetime.datetime(int(text[0:4]), int(text[5:7]), int(text[8:10]), int(text[11:13]),
                                     int(text[14:16]), int(text[17:19]), tzinfo=datetime.timezone.utc)
        except ValueError:
            pass  # strptime says what is wrong
    return datetime.datetime.strptime(text, ISO_FORMAT).replace(tzinfo=datetime.timezone.utc)


def serial_hex(serial):
    """An integer serial as the inventory writes it: lower-case hex, no colons."""
    return '%x' % serial


def serial_colons(serial):
    """An integer serial as Vault/OpenBao and openssl print it: aa:bb:..., even length."""
    text = '%x' % serial
    if len(text) % 2:
        text = '0' + text
    return ':'.join(text[i:i + 2] for i in range(0, len(text), 2))


def write_atomic(path, data, mode=0o644, sync=True):
    """Write to a temp file in the same directory, fsync, rename: readers see old or new.

    ``sync=False``: no fsync here; the caller flushes later (a batch syncs once)."""
    fd, tmp = tempfile.mkstemp(prefix='.tmp-', dir=os.path.dirname(path) or '.')
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, 'wb') as handle:
            handle.write(data if isinstance(data, bytes) else data.encode('utf-8'))
            handle.flush()
            if sync:
                os.fsync(handle.fileno())
        os.rename(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def secrets_with_fallbacks(given, env_names):
    """Secrets given as options over their environment fallbacks.

    ``env_names`` maps a secret's name to one variable or a list of them (first set wins).
    Empty values count as not given, so ``{{ omit }}``-less templating still falls back."""
    secrets = {}
    for name, env in (env_names or {}).items():
        for var in (env if isinstance(env, (list, tuple)) else [env]):
            if os.environ.get(var):
                secrets[name] = os.environ[var]
                break
    secrets.update(dict((k, v) for k, v in (given or {}).items() if v not in (None, '')))
    return secrets
