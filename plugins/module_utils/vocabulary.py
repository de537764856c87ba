# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The shared vocabulary, defined once: key types, curves, digests, RFC 5280 reasons,
validation statuses, time and serial helpers, atomic file writes, secret fallbacks.

Imported by argspec, policy, x509, keys, connectors, inventory and lifecycle. Standard
library only (and the collection's errors), so that importing it costs nothing.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import datetime
import errno
import hashlib
import os
import tempfile

from ansible_collections.pki.lifecycle.plugins.module_utils.errors import InputError

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
# RFC 5280 CRLReason codes of the reasons above (7 is unused; removeFromCRL, 8, is no reason to revoke).
REVOCATION_REASON_CODES = {
    'unspecified': 0, 'keyCompromise': 1, 'cACompromise': 2, 'affiliationChanged': 3,
    'superseded': 4, 'cessationOfOperation': 5, 'certificateHold': 6, 'privilegeWithdrawn': 9,
    'aACompromise': 10,
}
CERTIFICATE_STATES = ('requested', 'issued', 'revoked', 'failed', 'discovered')
# superseded: replaced by a renewal or rekey (and not revoked); derived from the lineage.
VALIDATION_STATUSES = ('valid', 'expiring', 'expired', 'revoked', 'invalid', 'superseded')
# Which certificates certificate_info lists: those in use (every status but superseded), the
# replaced ones, or both.
CERTIFICATE_SCOPES = ('current', 'superseded', 'all')
# The keys of a certificate as modules return it (lifecycle/results.py public_record, but
# issued_by), in the order the ``fields`` options of certificate_info and certificate_renew
# list them; and the PEMs returned beside it.
RECORD_FIELDS = (
    'uuid', 'serial', 'subject', 'subject_alt_names', 'issuer', 'not_before', 'not_after',
    'fingerprint_sha256', 'spki_sha256', 'state', 'validation_status', 'superseded_by', 'ra_profile', 'labels',
    'key_source', 'token_profile', 'key_ref', 'revocation_reason', 'revoked_at', 'failure_reason',
    'created_at', 'updated_at', 'lineage',
)
PEM_FIELDS = ('certificate_pem', 'chain_pem', 'root_pem', 'fullchain_pem')

# Words that mark a secret; such keys belong in *_secrets, never in stored options.
SECRET_WORDS = ('token', 'password', 'passphrase', 'secret', 'pin', 'hmac', 'private')

# RFC 5280 upper bounds (Appendix A.1, ub-*), in characters, by attribute OID; a DNS label
# (RFC 1035, also domainComponent) and a whole DNS name (253 without the root dot).
UB_NAME_ATTRIBUTES = {
    '2.5.4.3': 64, '2.5.4.6': 2, '2.5.4.7': 128, '2.5.4.8': 128, '2.5.4.10': 64, '2.5.4.11': 64, '2.5.4.12': 64,
    '2.5.4.5': 64, '2.5.4.65': 128, '1.2.840.113549.1.9.1': 255, '0.9.2342.19200300.100.1.25': 63,
    '2.5.4.41': 32768, '2.5.4.4': 32768, '2.5.4.42': 32768, '2.5.4.43': 32768, '2.5.4.44': 32768,
}
UB_DNS_LABEL = 63
UB_DNS_NAME = 253
UB_EMAIL = 255


def shorten(value, limit=60):
    """``value`` for a message: an over-long one cut, with its length, never echoed in full."""
    text = value if isinstance(value, str) else repr(value)
    if len(text) <= limit:
        return text
    return '%s...(%d characters)' % (text[:limit], len(text))


ISO_FORMAT = '%Y-%m-%dT%H:%M:%SZ'


def utcnow():
    """The one clock every layer reads (second precision, UTC)."""
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)


def as_utc(moment):
    """An aware UTC datetime; a naive one is taken to be UTC already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=datetime.timezone.utc)
    return moment.astimezone(datetime.timezone.utc)


def iso(moment):
    """'2026-11-25T16:30:00Z'; an aware datetime in another zone is converted to UTC first."""
    if moment.tzinfo is not None and moment.utcoffset():
        moment = moment.astimezone(datetime.timezone.utc)
    if moment.year < 1000:   # strftime's own spelling of such years
        return moment.strftime(ISO_FORMAT)
    # ISO_FORMAT spelled out: strftime costs several times more, and a due sweep writes
    # four timestamps per certificate.
    return '%04d-%02d-%02dT%02d:%02d:%02dZ' % (
        moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second)


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


def parse_serial(value):
    """An int, or hex with optional 0x and colons ('4F:3a', '0x4f3a'), as an int."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = str(value if value is not None else '').strip().lower().replace(':', '')
    text = text[2:] if text.startswith('0x') else text
    try:
        return int(text, 16)
    except ValueError:
        raise InputError('Serial number %r is not hexadecimal.' % (value,),
                         hint='Give the serial in hex, e.g. 4f3a...')


def serial_colons(serial):
    """An integer serial as Vault/OpenBao and openssl print it: aa:bb:..., even length."""
    text = '%x' % serial
    if len(text) % 2:
        text = '0' + text
    return ':'.join(text[i:i + 2] for i in range(0, len(text), 2))


def sha256_hex(data):
    """SHA-256 of bytes, lowercase hex: how a deployed file is fingerprinted, on the host that
    reports it (host_state) and on the controller that compares (lifecycle/deployed.py)."""
    return hashlib.sha256(data).hexdigest()


def write_atomic(path, data, mode=0o644, sync=True, prefix='.tmp-', suffix=''):
    """Write to a temp file in the same directory, fsync, rename: readers see old or new.

    ``sync=False``: no fsync here; the caller flushes later (a batch syncs once).
    ``prefix``/``suffix`` name the temp file (a store that looks for its leftovers sets them)."""
    fd, tmp = tempfile.mkstemp(prefix=prefix, suffix=suffix, dir=os.path.dirname(path) or '.')
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


def write_new(path, data, mode=0o600):
    """Create ``path`` complete or not at all, never over an existing file: FileExistsError
    when it exists (another run made it first; its file is kept). For keys, whose file must
    not change once something was signed with it."""
    tmp_prefix = '.%s.' % os.path.basename(path)
    fd, tmp = tempfile.mkstemp(prefix=tmp_prefix, suffix='.tmp', dir=os.path.dirname(path) or '.')
    try:
        try:
            os.fchmod(fd, mode)
            os.write(fd, data if isinstance(data, bytes) else data.encode('utf-8'))
            os.fsync(fd)
        finally:
            os.close(fd)
        # link() publishes the complete file and fails if the name exists; rename would replace.
        try:
            os.link(tmp, path)
        except OSError as exc:
            if exc.errno == errno.EEXIST:
                raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), path)
            # File systems without hard links: check, then rename (small race accepted).
            if os.path.exists(path):
                raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), path)
            os.rename(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def as_bool(value, name):
    """A boolean option that may arrive as a string (connector options are free-form)."""
    if isinstance(value, bool) or value is None:
        return bool(value)
    text = str(value).strip().lower()
    if text in ('1', 'true', 'yes', 'on', 'y'):
        return True
    if text in ('0', 'false', 'no', 'off', 'n', ''):
        return False
    raise InputError('%s must be true or false, not %r.' % (name, value))


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
