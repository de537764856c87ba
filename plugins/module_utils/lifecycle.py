# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The certificate lifecycle: every operation and EVERY idempotency decision.

Modules call ``run(operation, params, check_mode, diff_mode)`` and report what it returns.
Data flows down: lifecycle -> policy / x509 / keys / connectors / inventory, never up.

Order of work in every operation that writes:
1. read and validate everything (profile, attributes, key, names, policy) -> nothing written yet;
2. decide (unchanged / would change) inside a write transaction and reserve the work by
   storing a ``requested`` record before any CA is called (crash safety);
3. call the CA, validate what it returned, store the result.
Bad input therefore ends in step 1 and leaves the inventory exactly as it was.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import datetime
import getpass
import hashlib
import json
import os
import socket
import time
import uuid as uuidlib

from ansible_collections.pki.lifecycle.plugins.module_utils import policy as policylib
from ansible_collections.pki.lifecycle.plugins.module_utils import x509 as x509lib
from ansible_collections.pki.lifecycle.plugins.module_utils.connectors.base import Pending
from ansible_collections.pki.lifecycle.plugins.module_utils.connectors.registry import connector_class
from ansible_collections.pki.lifecycle.plugins.module_utils.errors import (
    ConnectorError, InputError, PkiError, PolicyError, TokenError, ValidationError,
)
from ansible_collections.pki.lifecycle.plugins.module_utils.info_fields import InfoShape
from ansible_collections.pki.lifecycle.plugins.module_utils.inventory import migrate as migratelib
from ansible_collections.pki.lifecycle.plugins.module_utils.inventory.stores import describe, open_store
from ansible_collections.pki.lifecycle.plugins.module_utils.keys import csr as csrlib
from ansible_collections.pki.lifecycle.plugins.module_utils.keys.base import KeySpec
from ansible_collections.pki.lifecycle.plugins.module_utils.keys.stores import open_key_store

REVOCATION_REASONS = (
    'unspecified', 'keyCompromise', 'cACompromise', 'affiliationChanged', 'superseded',
    'cessationOfOperation', 'certificateHold', 'privilegeWithdrawn', 'aACompromise',
)
VALIDATION_STATUSES = ('valid', 'expiring', 'expired', 'revoked', 'invalid')
# Words that mark a secret; such keys belong in *_secrets, never in stored options.
SECRET_WORDS = ('token', 'password', 'passphrase', 'secret', 'pin', 'hmac', 'private')
# How long a run waits for another run that is issuing the same certificate.
PENDING_WAIT_SECONDS = float(os.environ.get('PKI_LIFECYCLE_PENDING_WAIT', '300'))
# When neither the store nor a pid can tell whether the writer of a 'requested' record (on
# another host) is alive, the record counts as in progress this long after its updated_at.
REQUEST_LEASE_SECONDS = float(os.environ.get('PKI_LIFECYCLE_REQUEST_LEASE', '240'))
CLOCK_SKEW_SECONDS = 300
# Due certificates renewed per batch (one reservation and one store transaction each).
RENEW_BATCH_SIZE = 500


# --------------------------------------------------------------------------- helpers

def utcnow():
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)


def iso(moment):
    return moment.strftime('%Y-%m-%dT%H:%M:%SZ')


def parse_iso(text):
    # The fixed layout iso() writes, without strptime (50x slower; a due sweep parses a lot).
    if isinstance(text, str) and len(text) == 20 and text[4] == '-' and text[10] == 'T' and text[19] == 'Z':
        try:
            return datetime.datetime(int(text[0:4]), int(text[5:7]), int(text[8:10]), int(text[11:13]),
                                     int(text[14:16]), int(text[17:19]), tzinfo=datetime.timezone.utc)
        except ValueError:
            pass  # strptime says what is wrong
    return datetime.datetime.strptime(text, '%Y-%m-%dT%H:%M:%SZ').replace(tzinfo=datetime.timezone.utc)


def who():
    try:
        user = getpass.getuser()
    except Exception:  # pylint: disable=broad-except
        user = str(os.getuid())
    return '%s@%s:%d' % (user, socket.gethostname(), os.getpid())


def request_identity(ra_profile, subject, subject_alt_names, key_id):
    """RA profile + normalised subject + SAN set + public key (SPKI SHA-256)."""
    blob = json.dumps([ra_profile, subject, sorted(subject_alt_names), key_id], separators=(',', ':'))
    return hashlib.sha256(blob.encode('utf-8')).hexdigest()


def _hinted(exc, hint):
    if not exc.hint:
        exc.hint = hint
    return exc


class Context(object):
    """One module invocation: parameters, modes, the store (opened once)."""

    def __init__(self, params, check_mode, diff_mode):
        self.params = params
        self.check_mode = check_mode
        self.diff_mode = diff_mode
        self.now = utcnow()
        self.who = who()
        self._store = None

    @property
    def store(self):
        if self._store is None:
            self._store = open_store(self.params.get('inventory'), password=self.params.get('inventory_password'))
            self._store.set_writer(self.who)  # lets other controllers see this writer is alive
        return self._store

    @property
    def inventory_dir(self):
        path = getattr(self.store, 'path', None)
        if path:
            return os.path.dirname(os.path.abspath(path))
        base = os.environ.get('XDG_DATA_HOME') or os.path.expanduser('~/.local/share')
        return os.path.join(base, 'pki.lifecycle')

    def event(self, tx, operation, result, message, record=None, ra_profile=None):
        tx.add_event(dict(
            time=iso(utcnow()), operation=operation, result=result, message=message,
            certificate_uuid=record['uuid'] if record else None,
            ra_profile=ra_profile or (record['ra_profile'] if record else None),
            who=self.who,
        ))

    def close(self):
        if self._store is not None:
            self._store.close()


def run(operation, params, check_mode=False, diff_mode=False):
    ctx = Context(params, check_mode, diff_mode)
    try:
        return OPERATIONS[operation](ctx)
    finally:
        ctx.close()


# --------------------------------------------------------------------------- records

def validation_status(record, now=None, renew_before=None):
    """Derived, never stored: valid, expiring, expired, revoked, invalid."""
    now = now or utcnow()
    state = record.get('state')
    if state == 'revoked':
        return 'revoked'
    if state != 'issued' or not record.get('not_after'):
        return 'invalid'
    not_before, not_after = parse_iso(record['not_before']), parse_iso(record['not_after'])
    if now >= not_after:
        return 'expired'
    if now < not_before - datetime.timedelta(seconds=CLOCK_SKEW_SECONDS):
        return 'invalid'
    if now >= renewal_opens(record, renew_before):
        return 'expiring'
    return 'valid'


def renewal_opens(record, renew_before=None):
    not_before, not_after = parse_iso(record['not_before']), parse_iso(record['not_after'])
    window = policylib.renewal_window_seconds(renew_before, (not_after - not_before).total_seconds())
    return not_after - datetime.timedelta(seconds=window)


def public_record(record, now=None, renew_before=None):
    """The record as modules return it: no PEMs (those are returned beside it)."""
    out = dict((k, record.get(k)) for k in (
        'uuid', 'serial', 'subject', 'subject_alt_names', 'issuer', 'not_before', 'not_after',
        'fingerprint_sha256', 'spki_sha256', 'state', 'ra_profile', 'labels', 'key_source',
        'token_profile', 'key_ref', 'revocation_reason', 'revoked_at', 'failure_reason',
        'created_at', 'updated_at'))
    out['validation_status'] = validation_status(record, now, renew_before)
    out['lineage'] = dict(renewed_from=record.get('renewed_from'), rekeyed_from=record.get('rekeyed_from'))
    return out


def certificate_result(record, changed, reason, ctx, before=None, renew_before=None):
    chain = record.get('chain_pem') or ''
    cert = record.get('certificate_pem') or ''
    result = dict(
        changed=changed, reason=reason,
        certificate=public_record(record, ctx.now, renew_before),
        certificate_pem=cert, chain_pem=chain,
        fullchain_pem=(cert + chain) if cert else '',
    )
    if record.get('state') == 'requested' and (record.get('connector_data') or {}).get('challenge_data'):
        result['challenge_data'] = record['connector_data']['challenge_data']
    if ctx.diff_mode:
        result['diff'] = dict(before=before or {}, after=diff_view(record) if changed else (before or {}))
    return result


def diff_view(record):
    if not record:
        return {}
    return dict((k, record.get(k)) for k in (
        'state', 'serial', 'subject', 'subject_alt_names', 'issuer', 'not_before', 'not_after',
        'fingerprint_sha256', 'spki_sha256', 'revocation_reason', 'labels'))


def new_record(ctx, profile, request, labels, lineage=None):
    stamp = iso(ctx.now)
    record = dict(
        uuid=str(uuidlib.uuid4()), ra_profile=profile['name'], state='requested',
        identity=request['identity'], serial=None, issuer=None, subject=request['subject'],
        subject_alt_names=request['subject_alt_names'], not_before=None, not_after=None,
        fingerprint_sha256=None, spki_sha256=request['spki_sha256'],
        key_source=request['key_source'], token_profile=request.get('token_profile'),
        key_ref=request.get('key_ref'), certificate_pem=None, chain_pem='',
        csr_pem=request.get('csr_pem') or '', renewed_from=None, rekeyed_from=None,
        revocation_reason=None, revoked_at=None, labels=dict(labels or {}), failure_reason=None,
        connector_data={}, requested_by=ctx.who, created_at=stamp, updated_at=stamp,
        # How a token-key CSR was built, so renewal can build the same request again.
        request_attributes=dict((k, request.get(k)) for k in ('extensions', 'signature_algorithm', 'digest')
                                if request.get(k)),
    )
    record.update(lineage or {})
    return record


# --------------------------------------------------------------------------- profiles, connectors

def load_profile(ctx, tx, name, for_what='issue'):
    profile = tx.get_ra_profile(name)
    if profile is None:
        known = [p['name'] for p in tx.list_ra_profiles()]
        raise InputError('RA profile %r is not in the inventory %s.' % (name, describe(ctx.params.get('inventory'))),
                         'Create it with pki.lifecycle.ra_profile, or use one of: %s.'
                         % (', '.join(sorted(known)) or 'none defined yet'))
    if not profile.get('enabled', True):
        raise PolicyError('RA profile %r is disabled, so it cannot %s certificates.' % (name, for_what),
                          'Enable it with pki.lifecycle.ra_profile (enabled: true) or use another profile.')
    return profile


def connector_secrets(cls, given):
    """Module-given secrets over environment fallbacks; unknown names refused."""
    given = dict((k, v) for k, v in (given or {}).items() if v not in (None, ''))
    unknown = sorted(set(given) - set(cls.SECRETS))
    if unknown:
        raise InputError('Unknown connector secret(s) %s for connector %r.' % (', '.join(unknown), cls.name),
                         'Valid secrets are: %s.' % (', '.join(sorted(cls.SECRETS)) or 'none'))
    secrets = {}
    for name, env in cls.SECRET_ENV.items():
        names = env if isinstance(env, (list, tuple)) else [env]
        for var in names:
            if os.environ.get(var):
                secrets[name] = os.environ[var]
                break
    secrets.update(given)
    return secrets


def make_connector(ctx, profile):
    cls = connector_class(profile['connector'])
    secrets = connector_secrets(cls, ctx.params.get('connector_secrets'))
    context = dict(inventory_dir=ctx.inventory_dir, check_mode=ctx.check_mode)
    ca_token = (profile.get('connector_options') or {}).get('ca_token_profile')
    if ca_token:
        # The CA key is in a token profile; a connector never reads the inventory, so the store
        # is resolved here (its PIN: connector_secrets.ca_pin, else token_secrets).
        token_secrets = dict(ctx.params.get('token_secrets') or {})
        if secrets.get('ca_pin'):
            token_secrets['pin'] = secrets['ca_pin']
        with ctx.store.transaction(write=False) as tx:
            context['ca_key_store'] = token_store(ctx, tx, ca_token, token_secrets)
    return cls(profile['name'], profile.get('connector_options') or {}, secrets,
               policy=profile.get('policy') or {}, context=context)


def check_attributes(cls, attributes, kind):
    accepted = cls.ISSUE_ATTRIBUTES if kind == 'issue' else cls.REVOKE_ATTRIBUTES
    unknown = sorted(set(attributes or {}) - set(accepted))
    if unknown:
        raise InputError('Unknown %s attribute(s) %s for connector %r.' % (kind, ', '.join(unknown), cls.name),
                         'Valid %s attributes are: %s.' % (kind, ', '.join(sorted(accepted)) or 'none'))


def merged_attributes(profile, given, kind='issue'):
    attributes = dict(profile.get('%s_attributes' % kind) or {})
    attributes.update(dict((k, v) for k, v in (given or {}).items() if v is not None))
    check_attributes(connector_class(profile['connector']), attributes, kind)
    return attributes


def refuse_secret_keys(options, where, secrets_option, declared=()):
    """Refuse option names that look like secrets, except the ones the connector or token type
    declares as (non-secret) options, e.g. token_label, ca_token_profile, ca_private_key (a path)."""
    for key in options or {}:
        if key not in declared and any(word in key.lower() for word in SECRET_WORDS):
            raise InputError('%s holds %r, which looks like a secret; secrets are never stored.' % (where, key),
                             'Pass it in %s instead.' % secrets_option)


# --------------------------------------------------------------------------- key sources

def token_store(ctx, tx, name, secrets=None):
    record = tx.get_token_profile(name)
    if record is None:
        known = [p['name'] for p in tx.list_token_profiles()]
        raise InputError('Token profile %r is not in the inventory.' % name,
                         'Create it with pki.lifecycle.token_profile, or use one of: %s.'
                         % (', '.join(sorted(known)) or 'none defined yet'))
    return open_key_store(record, (ctx.params.get('token_secrets') or {}) if secrets is None else secrets)


def resolve_request(ctx, tx, profile, params, previous=None):
    """Turn the key-source options into a request: subject, SANs, key, identity, CSR (lazy).

    The seed's key sources: an external CSR, or an existing key in a token profile (with
    request and signature attributes), or a key generated there (``generate_key``).
    """
    request = dict(ra_profile=profile['name'])
    if params.get('csr'):
        csr_pem = x509lib.read_pem_input(params['csr'], 'csr')
        csr = x509lib.load_csr(csr_pem)
        info = x509lib.csr_info(csr)
        request.update(
            key_source='csr', csr_pem=x509lib.pem(csr), public_key=csr.public_key(),
            subject=x509lib.normalize_subject(csr.subject),
            subject_alt_names=x509lib.normalize_sans(info['subject_alt_names']),
            spki_sha256=info['spki_sha256'], common_name=_common_name(csr.subject),
        )
    else:
        store = token_store(ctx, tx, params['token_profile'])
        key_name = params['key']
        if params.get('subject') is not None:
            subject = x509lib.parse_subject(params['subject'])
        elif previous is not None:
            subject = x509lib.parse_subject(previous['subject'])
        else:
            raise InputError('subject is required when the key comes from a token profile.',
                             "Give subject, e.g. 'CN=www.example.org'.")
        if params.get('subject_alt_names') is not None:
            sans = x509lib.normalize_sans(params['subject_alt_names'])
        else:
            sans = list(previous['subject_alt_names']) if previous else []
        request.update(key_source='token', token_profile=params['token_profile'], key_ref=store.key_ref(key_name),
                       subject=x509lib.normalize_subject(subject), subject_alt_names=sans,
                       common_name=_common_name(subject), key_store=store, key_name=key_name,
                       subject_name=subject)
        spec = KeySpec(params.get('key_type') or 'ec', params.get('key_size'), params.get('curve'))
        if store.has_key(key_name):
            signer = store.signer(key_name)
            request.update(signer=signer, public_key=signer.public_key,
                           spki_sha256=x509lib.spki_sha256(signer.public_key))
        elif params.get('generate_key'):
            # The key does not exist yet: policy is checked on the spec, the key made later.
            request.update(signer=None, public_key=None, spki_sha256=None, generate_spec=spec)
        else:
            raise TokenError('Key %r is not in token profile %r.' % (key_name, params['token_profile']),
                             'Set generate_key: true to create it, or name an existing key.')
        request['extensions'] = params.get('extensions')
        request['signature_algorithm'] = params.get('signature_algorithm')
        request['digest'] = params.get('digest') or 'sha256'
    pol = profile.get('policy') or {}
    if request.get('public_key') is not None:
        policylib.check_key(pol, x509lib.public_key_spec(request['public_key']))
        if request['key_source'] == 'token':
            csrlib.check_signature_algorithm(request['public_key'], request['signature_algorithm'])
    else:
        spec = request['generate_spec']
        policylib.check_key(pol, (spec.key_type, spec.key_size if spec.key_type == 'rsa' else spec.curve))
    policylib.check_names(pol, request['common_name'], request['subject_alt_names'])
    if not request['subject_alt_names'] and not request['common_name']:
        raise InputError('The request names nothing: no subject CN and no subject_alt_names.',
                         "Give subject_alt_names such as ['DNS:www.example.org'].")
    request['identity'] = request_identity(profile['name'], request['subject'], request['subject_alt_names'],
                                           request['spki_sha256'] or request.get('key_ref'))
    return request


def _common_name(name):
    from cryptography.x509.oid import NameOID  # guarded by the module wrapper
    values = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    return values[0].value if values else None


def materialize_key(request):
    """Generate a requested key (never in check mode) and fill in key facts + identity."""
    if request.get('public_key') is None and request.get('generate_spec') is not None:
        store = request['key_store']
        try:
            store.generate(request['key_name'], request['generate_spec'])
        except TokenError:
            # Another run generated the same key a moment ago: use it.
            if not store.has_key(request['key_name']):
                raise
        signer = store.signer(request['key_name'])
        request.update(signer=signer, public_key=signer.public_key,
                       spki_sha256=x509lib.spki_sha256(signer.public_key))
        csrlib.check_signature_algorithm(signer.public_key, request['signature_algorithm'])
        request['identity'] = request_identity(request['ra_profile'], request['subject'],
                                               request['subject_alt_names'], request['spki_sha256'])


def materialize_csr(request):
    if not request.get('csr_pem'):
        request['csr_pem'] = csrlib.build_csr(
            request['signer'], request['subject_name'], request['subject_alt_names'],
            extensions=request.get('extensions'), signature_algorithm=request.get('signature_algorithm'),
            digest=request.get('digest') or 'sha256')
    return request['csr_pem']


# --------------------------------------------------------------------------- issuance core

def lineage_head(tx, record):
    """The newest certificate descending from ``record`` by renewal or rekey."""
    seen = set()
    current = record
    while current['uuid'] not in seen:
        seen.add(current['uuid'])
        children = [c for c in tx.find_certificates(renewed_from=current['uuid'])
                    + tx.find_certificates(rekeyed_from=current['uuid'])
                    if c['state'] in ('issued', 'revoked')]
        if not children:
            break
        children.sort(key=lambda c: (c['created_at'], c['uuid']))
        current = children[-1]
    return current


def current_for_identity(tx, identity, now):
    """Newest issued, unexpired certificate with this identity, or None."""
    found = [r for r in tx.find_certificates(identity=identity, state='issued')
             if parse_iso(r['not_after']) > now]
    if not found:
        return None
    return sorted(found, key=lambda r: (r['created_at'], r['uuid']))[-1]


def _pid_alive(requested_by):
    try:
        user_host, pid = requested_by.rsplit(':', 1)
        host = user_host.split('@', 1)[1]
    except (AttributeError, ValueError, IndexError):
        return True
    if host != socket.gethostname():
        return True  # another controller: trust it until it times out
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except (PermissionError, ValueError):
        return True
    return True


def _same_host(requested_by):
    try:
        return requested_by.rsplit(':', 1)[0].split('@', 1)[1] == socket.gethostname()
    except (AttributeError, IndexError):
        return False


def _writer_alive(tx, record):
    """Is the writer of a 'requested' record still at work? The store's word first (PostgreSQL
    sees whether that writer's connection is open, on any controller), then the pid when the
    writer ran on this host, else a lease: REQUEST_LEASE_SECONDS from the record's updated_at."""
    requested_by = record.get('requested_by')
    known = tx.writer_alive(requested_by) if requested_by else None
    if known is not None:
        return known
    if _same_host(requested_by):
        return _pid_alive(requested_by)
    try:
        age = (utcnow() - parse_iso(record.get('updated_at'))).total_seconds()
    except (TypeError, ValueError):
        return True
    return age < REQUEST_LEASE_SECONDS


def _test_pause(stage):
    """TEST-ONLY crash hook; inert unless the environment variable PKI_LIFECYCLE_TEST_PAUSE_AT
    (comma-separated stage names: during_reserve, after_reserve, after_ca_call, before_store)
    names ``stage``. Then this process writes its pid to $PKI_LIFECYCLE_TEST_PAUSE_DIR/<stage>.<pid>
    and sleeps, so that tests/integration/test_crash_safety.py can SIGKILL it right there.
    Never set it outside tests."""
    stages = os.environ.get('PKI_LIFECYCLE_TEST_PAUSE_AT')
    if not stages or stage not in stages.split(','):
        return
    directory = os.environ.get('PKI_LIFECYCLE_TEST_PAUSE_DIR') or '.'
    with open(os.path.join(directory, '%s.%d' % (stage, os.getpid())), 'w') as handle:
        handle.write(str(os.getpid()))
    time.sleep(float(os.environ.get('PKI_LIFECYCLE_TEST_PAUSE_SECONDS', '120')))


def pending_for_identity(tx, identity):
    return tx.find_certificates(identity=identity, state='requested')


def recover_stale(ctx, connector, record):
    """A 'requested' record whose writer died: ask the CA, else mark it failed."""
    issued = None
    try:
        issued = connector.lookup(record)
    except PkiError:
        issued = None
    with ctx.store.transaction() as tx:
        current = tx.get_certificate(record['uuid'])
        if current is None or current['state'] != 'requested':
            return current
        if issued is not None:
            fill_from_certificate(current, issued)
            current['state'] = 'issued'
            ctx.event(tx, 'recover', 'changed', 'Recovered a certificate the CA issued before a crash.', current)
        else:
            current['state'] = 'failed'
            current['failure_reason'] = 'interrupted before the CA returned a certificate (writer %s died)' \
                % record.get('requested_by')
            ctx.event(tx, 'recover', 'failed', current['failure_reason'], current)
        current['updated_at'] = iso(utcnow())
        tx.put_certificate(current)
        return current


def fill_from_certificate(record, issued):
    cert = x509lib.load_certificate(issued.certificate_pem)
    info = x509lib.certificate_info(cert)
    record.update(
        serial=info['serial'], issuer=info['issuer'], subject=info['subject'],
        subject_alt_names=x509lib.normalize_sans(info['subject_alt_names']),
        not_before=info['not_before'], not_after=info['not_after'],
        fingerprint_sha256=info['fingerprint_sha256'], spki_sha256=info['spki_sha256'],
        certificate_pem=x509lib.pem(cert), chain_pem=''.join(issued.chain_pems),
    )
    if issued.connector_data:
        data = dict(record.get('connector_data') or {})
        data.update(issued.connector_data)
        record['connector_data'] = data
    return cert


def validate_issued(connector, request, issued, cert, now):
    """Parse and validate before storing: chain, key, names, validity."""
    chain = []
    for block in issued.chain_pems:
        chain.extend(x509lib.load_certificates(block))
    anchors = []
    for block in connector.trust_anchors():
        anchors.extend(x509lib.load_certificates(block))
    x509lib.verify_chain(cert, chain, anchors, at_time=now + datetime.timedelta(seconds=CLOCK_SKEW_SECONDS))
    info = x509lib.certificate_info(cert)
    if request['spki_sha256'] and info['spki_sha256'] != request['spki_sha256']:
        raise ValidationError('The CA returned a certificate for a different public key than the request\'s.')
    issued_sans = set(x509lib.normalize_sans(info['subject_alt_names']))
    missing = sorted(set(request['subject_alt_names']) - issued_sans)
    if missing:
        raise ValidationError('The issued certificate lacks the requested name(s) %s.' % ', '.join(missing))
    extra = issued_sans - set(request['subject_alt_names'])
    if request.get('common_name'):
        extra.discard('DNS:%s' % request['common_name'].lower())
        extra.discard('IP:%s' % request['common_name'])
    if extra:
        raise ValidationError('The issued certificate names %s, which was not requested.' % ', '.join(sorted(extra)))
    if getattr(connector, 'KEEPS_SUBJECT', True) and request.get('common_name'):
        if _common_name(cert.subject) != request['common_name']:
            raise ValidationError('The issued certificate\'s subject %s does not carry the requested CN %s.'
                                  % (info['subject'], request['common_name']))
    if not parse_iso(info['not_before']) <= now + datetime.timedelta(seconds=CLOCK_SKEW_SECONDS) \
            < parse_iso(info['not_after']):
        raise ValidationError('The issued certificate is not currently valid (%s to %s).'
                              % (info['not_before'], info['not_after']))


def issue_into(ctx, connector, profile, request, attributes, validity_days, labels, operation,
               lineage=None, previous=None, force=False):
    """Steps 2 and 3 for issue, renew and rekey. Returns (record, changed, reason)."""
    if not ctx.check_mode:
        # A generated key must exist before the identity (which holds its public key) is decided.
        materialize_key(request)
    deadline = time.time() + PENDING_WAIT_SECONDS
    resuming = False
    while True:
        with ctx.store.transaction() as tx:
            if not force and operation == 'issue':
                existing = current_for_identity(tx, request['identity'], ctx.now)
                if existing is not None:
                    return existing, False, _exists_reason(existing)
            pending = [p for p in pending_for_identity(tx, request['identity'])
                       if operation == 'issue' or p.get('renewed_from') == (lineage or {}).get('renewed_from')]
            # A request an earlier call left waiting (ACME challenges): this call finishes it.
            awaiting = sorted([p for p in pending if (p.get('connector_data') or {}).get('awaiting_challenges')],
                              key=lambda p: (p['created_at'], p['uuid']))
            if awaiting:
                if ctx.check_mode:
                    return None, True, 'Would finish the pending request %s through RA profile %r.' % (
                        awaiting[-1]['uuid'], profile['name'])
                record = awaiting[-1]
                # Claimed: from now on it is this run's request; another run waits for it.
                record['connector_data'] = dict(record['connector_data'], awaiting_challenges=False)
                record.update(requested_by=ctx.who, updated_at=iso(utcnow()))
                tx.put_certificate(record)
                resuming = True
                break
            alive = [p for p in pending if _writer_alive(tx, p)]
            stale = [p for p in pending if p not in alive]
            if not alive and not stale:
                if ctx.check_mode:
                    return None, True, 'Would %s a certificate through RA profile %r.' % (operation, profile['name'])
                record = new_record(ctx, profile, request, labels, lineage)
                tx.put_certificate(record)
                _test_pause('during_reserve')
                break
        # Another run is issuing the same certificate, or one crashed: wait or recover, then decide again.
        for record in stale:
            recover_stale(ctx, connector, record)
        if alive:
            if time.time() > deadline:
                raise ConnectorError('Another run (%s) has been issuing the same certificate for more than %d s.'
                                     % (alive[0].get('requested_by'), PENDING_WAIT_SECONDS),
                                     'Wait for it to finish, or check the CA.')
            time.sleep(0.2)
        if operation != 'issue' and alive:
            # For renew and rekey the other run's result is ours: return it once done.
            with ctx.store.transaction(write=False) as tx:
                done = tx.get_certificate(alive[0]['uuid'])
            if done and done['state'] == 'issued':
                return done, False, 'Another run renewed this certificate at the same time (serial %s).' % done['serial']

    _test_pause('after_reserve')
    try:
        if resuming:
            # Finish with the CSR the CA's order was made for; a failure leaves the record failed
            # (with its connector data, e.g. the ACME order URL) and a rerun starts afresh.
            csr_pem = record.get('csr_pem') or materialize_csr(request)
            outcome = connector.resume(record, csr_pem)
            if outcome is None:
                raise ConnectorError('The CA has nothing to finish for the pending request %s.' % record['uuid'],
                                     'Run the task again: a new request is made.')
            record['connector_data'] = dict((k, v) for k, v in record['connector_data'].items()
                                            if k not in ('awaiting_challenges', 'challenge_data'))
        else:
            csr_pem = materialize_csr(request)
            if operation == 'issue' or previous is None:
                outcome = connector.issue(csr_pem, attributes, validity_days=validity_days, record=record)
            else:
                outcome = connector.renew(csr_pem, previous, attributes, validity_days=validity_days, record=record)
    except PkiError as exc:
        if resuming:
            _fail(ctx, record, exc.message, operation)
        else:
            _abandon(ctx, record, exc, operation)
        raise
    except Exception as exc:  # pylint: disable=broad-except
        # Unknown failure after the CA may have been called: keep the record for recovery.
        _fail(ctx, record, 'unexpected error: %s' % exc, operation)
        raise PkiError('Issuing failed with an unexpected error: %s.' % exc,
                       'The record %s is kept as failed; see the event log.' % record['uuid'])

    _test_pause('after_ca_call')
    if isinstance(outcome, Pending):
        with ctx.store.transaction() as tx:
            current = tx.get_certificate(record['uuid'])
            current['connector_data'] = dict(outcome.connector_data, awaiting_challenges=True,
                                             challenge_data=outcome.challenge_data)
            current['csr_pem'] = csr_pem
            current['updated_at'] = iso(utcnow())
            tx.put_certificate(current)
        return current, True, outcome.message

    record['csr_pem'] = csr_pem
    cert = fill_from_certificate(record, outcome)
    try:
        validate_issued(connector, request, outcome, cert, utcnow())
    except PkiError as exc:
        _fail(ctx, record, exc.message, operation, keep_certificate=True)
        raise ValidationError('The CA issued a certificate that fails validation: %s' % exc.message,
                              'The record %s is stored as failed; check the RA profile and the CA.' % record['uuid'],
                              details=dict(certificate=public_record(record)))
    _test_pause('before_store')
    with ctx.store.transaction() as tx:
        record['state'] = 'issued'
        record['updated_at'] = iso(utcnow())
        tx.put_certificate(record)
        ctx.event(tx, operation, 'changed', 'Issued serial %s through RA profile %r.' % (record['serial'],
                                                                                         profile['name']), record)
    return record, True, None


def _abandon(ctx, record, exc, operation):
    """The CA did not issue (refused, unreachable, bad input found late): forget the
    reservation so the inventory is as it was; unless the connector says it may have issued."""
    if getattr(exc, 'details', {}).get('maybe_issued'):
        _fail(ctx, record, exc.message, operation)
        return
    with ctx.store.transaction() as tx:
        tx.delete_certificate(record['uuid'])


def _fail(ctx, record, reason, operation, keep_certificate=False):
    with ctx.store.transaction() as tx:
        current = dict(record) if keep_certificate else (tx.get_certificate(record['uuid']) or dict(record))
        current['state'] = 'failed'
        current['failure_reason'] = reason
        current['updated_at'] = iso(utcnow())
        tx.put_certificate(current)
        ctx.event(tx, operation, 'failed', reason, current)
    record.update(current)


# --------------------------------------------------------------------------- operations

def _exists_reason(existing):
    return 'An issued, unexpired certificate with the same RA profile, subject, names and key exists ' \
        '(serial %s).' % existing['serial']


def op_issue(ctx):
    p = ctx.params
    with ctx.store.transaction(write=False) as tx:
        profile = load_profile(ctx, tx, p['ra_profile'])
        attributes = merged_attributes(profile, p.get('attributes'))
        request = resolve_request(ctx, tx, profile, p)
        # The no-change path decides in this read snapshot: no write lock, no connector. (When
        # nothing is found, issue_into decides again under the write lock.)
        existing = None
        if not p.get('force') and request.get('spki_sha256'):
            existing = current_for_identity(tx, request['identity'], ctx.now)
    pol = profile.get('policy') or {}
    policylib.check_validity(pol, p.get('validity_days'))
    validity = policylib.effective_validity(pol, p.get('validity_days'))
    if existing is not None:
        record, changed, reason = existing, False, _exists_reason(existing)
    else:
        connector = make_connector(ctx, profile)
        record, changed, reason = issue_into(ctx, connector, profile, request, attributes, validity,
                                             p.get('labels'), 'issue', force=p.get('force'))
    if record is None:
        return dict(changed=True, reason=reason, certificate={}, certificate_pem='', chain_pem='',
                    fullchain_pem='')
    if changed and reason is None:
        reason = 'Issued a new certificate (serial %s) through RA profile %r%s.' % (
            record['serial'], profile['name'], ' because force is set' if p.get('force') else '')
    if not changed and p.get('labels') and not ctx.check_mode:
        record = update_labels(ctx, record, p['labels'])
    return certificate_result(record, changed, reason, ctx, renew_before=pol.get('renew_before'))


def update_labels(ctx, record, labels):
    """Labels are bookkeeping, not part of the identity: merge new ones in without a change report."""
    merged = dict(record.get('labels') or {})
    merged.update(labels)
    if merged == record.get('labels'):
        return record
    with ctx.store.transaction() as tx:
        current = tx.get_certificate(record['uuid'])
        current['labels'] = merged
        current['updated_at'] = iso(utcnow())
        tx.put_certificate(current)
    return current


def find_certificate(ctx, tx, value, purpose):
    """uuid, hex serial (colons allowed), PEM text or a path to a PEM file."""
    value = (value or '').strip()
    found = []
    if value.startswith('-----BEGIN') or os.path.isfile(value):
        cert = x509lib.load_certificate(x509lib.read_pem_input(value, 'certificate'))
        found = tx.find_certificates(fingerprint_sha256=x509lib.certificate_info(cert)['fingerprint_sha256'])
    else:
        if value.count('-') == 4:
            found = [tx.get_certificate(value.lower())]
        else:
            # A 32-digit hex serial also parses as a UUID, so serials are matched on their own.
            serial = value.replace(':', '').lower()
            found = tx.find_certificates(serial=serial)
            if not found and serial.lstrip('0') != serial:
                found = tx.find_certificates(serial=serial.lstrip('0'))
    found = [r for r in found if r]
    if not found:
        raise InputError('Certificate %r is not in the inventory %s.' % (_short(value), describe(ctx.params.get('inventory'))),
                         'Only certificates issued through an RA profile can be %s; issue it with '
                         'pki.lifecycle.certificate_issue first, or check the uuid or serial.' % purpose)
    if len(found) > 1:
        raise InputError('%r matches %d certificates in the inventory.' % (_short(value), len(found)),
                         'Name it by uuid.')
    return found[0]


def _short(value):
    return value if len(value) < 80 else value[:60] + '...'


def due_state(record, renew_before, now, connector=None):
    """Due when ``now`` reaches the CA's suggested renewal window (ACME ARI) when the
    connector offers one, else the ``renew_before`` window."""
    window = None
    if connector is not None:
        try:
            window = connector.renewal_window(record)
        except PkiError:
            window = None   # the CA's advice is optional: fall back to renew_before
    opens = window[0].replace(microsecond=0) if window else renewal_opens(record, renew_before)
    return now >= opens, opens


def cached_connector(ctx, connectors, profile):
    """One connector per RA profile for the whole task."""
    if profile['name'] not in connectors:
        connectors[profile['name']] = make_connector(ctx, profile)
    return connectors[profile['name']]


def renewal_due(ctx, record, p, profile, connectors):
    """The one due decision for renew and ``due: true``: returns (due, opens, renew_before).

    An explicit ``renew_before`` on the task wins over the CA's suggested window (ACME ARI);
    the RA profile's ``renew_before`` is only the fallback when the CA suggests none.
    """
    renew_before = p.get('renew_before') or (profile.get('policy') or {}).get('renew_before')
    advisor = None
    if not p.get('renew_before'):
        try:   # the CA may suggest the window; a connector error is reported later, if due
            advisor = cached_connector(ctx, connectors, profile)
        except PkiError:
            advisor = None
    due, opens = due_state(record, renew_before, ctx.now, advisor)
    return due, opens, renew_before


def renewal_request(ctx, tx, profile, record, p):
    """The request renewing ``record``. The seed: a new CSR, or else the key belonging to the certificate."""
    if p.get('csr'):
        request = resolve_request(ctx, tx, profile, dict(csr=p['csr']))
        if request['spki_sha256'] != record['spki_sha256']:
            raise InputError('The CSR is for a different key than certificate %s.' % record['uuid'],
                             'Renewal keeps the key; use pki.lifecycle.certificate_rekey to change it.')
    elif record['key_source'] == 'token':
        token_name, _sep, key_name = (record.get('key_ref') or '').partition(':')
        built = record.get('request_attributes') or {}
        request = resolve_request(ctx, tx, profile, dict(
            token_profile=record.get('token_profile') or token_name, key=key_name,
            subject=record['subject'], subject_alt_names=record['subject_alt_names'],
            extensions=built.get('extensions'), signature_algorithm=built.get('signature_algorithm'),
            digest=built.get('digest') or 'sha256'), previous=record)
        if request['spki_sha256'] != record['spki_sha256']:
            raise TokenError('The key %r in token profile %r no longer matches certificate %s.'
                             % (key_name, record.get('token_profile'), record['uuid']),
                             'Rekey the certificate with pki.lifecycle.certificate_rekey.')
    else:
        request = resolve_request(ctx, tx, profile, dict(csr=record['csr_pem']))
    return request


def renew_one(ctx, tx_record, p, connector=None, profile=None):
    """Renew one certificate record; returns (record, changed, reason)."""
    with ctx.store.transaction(write=False) as tx:
        record = lineage_head(tx, tx_record)
        if record['state'] == 'revoked':
            raise InputError('Certificate %s is revoked; a revoked certificate is not renewed.' % record['uuid'],
                             'Issue a new certificate with pki.lifecycle.certificate_issue.')
        if record['state'] != 'issued':
            raise InputError('Certificate %s is %s, not issued; only issued certificates are renewed.'
                             % (record['uuid'], record['state']),
                             'Issue it again with pki.lifecycle.certificate_issue.')
        profile = profile or load_profile(ctx, tx, record['ra_profile'], 'renew')
        pol = profile.get('policy') or {}
        connectors = {profile['name']: connector} if connector is not None else {}
        due, opens, renew_before = renewal_due(ctx, record, p, profile, connectors)
        connector = connectors.get(profile['name'])
        if not due and not p.get('force'):
            return record, False, 'Not due: valid until %s; the renewal window opens %s.' % (
                record['not_after'], iso(opens)), renew_before
        attributes = merged_attributes(profile, p.get('attributes'))
        request = renewal_request(ctx, tx, profile, record, p)
    validity = policylib.effective_validity(pol, p.get('validity_days'))
    connector = connector or make_connector(ctx, profile)
    labels = dict(record.get('labels') or {})
    new, changed, reason = issue_into(ctx, connector, profile, request, attributes, validity, labels, 'renew',
                                      lineage=dict(renewed_from=record['uuid']), previous=record,
                                      force=True)
    if new is None:
        return record, True, 'Would renew certificate %s (serial %s).' % (record['uuid'], record['serial']), \
            renew_before
    if changed and reason is None:
        reason = 'Renewed serial %s as serial %s (%s).' % (
            record['serial'], new['serial'], 'forced' if p.get('force') and not due else 'due since %s' % iso(opens))
    return new, changed, reason, renew_before


def op_renew(ctx):
    p = ctx.params
    if p.get('due'):
        return renew_due(ctx)
    with ctx.store.transaction(write=False) as tx:
        if p.get('certificate'):
            target = find_certificate(ctx, tx, p['certificate'], 'renewed')
        else:
            target = find_by_subject(ctx, tx, p)
    before = diff_view(target)
    record, changed, reason, renew_before = renew_one(ctx, target, p)
    return certificate_result(record, changed, reason, ctx, before=before, renew_before=renew_before)


def find_by_subject(ctx, tx, p):
    if p.get('subject') is None:
        raise InputError('certificate_renew needs certificate, or ra_profile with subject.',
                         'Name the certificate by uuid or serial, or give subject.')
    load_profile(ctx, tx, p['ra_profile'], 'renew')
    subject = x509lib.normalize_subject(x509lib.parse_subject(p['subject']))
    found = [r for r in tx.find_certificates(ra_profile=p['ra_profile'], state='issued', labels=p.get('labels') or None)
             if r['subject'] == subject]
    if not found:
        raise InputError('No issued certificate with subject %s in RA profile %r.' % (subject, p['ra_profile']),
                         'Only certificates issued through an RA profile can be renewed; issue it first.')
    heads = set(lineage_head(tx, r)['uuid'] for r in found)
    if len(heads) > 1:
        raise InputError('%d certificates in RA profile %r have subject %s.' % (len(heads), p['ra_profile'], subject),
                         'Name the certificate by uuid.')
    return found[0]


def _renew_error(record, exc):
    return dict(uuid=record['uuid'], subject=record['subject'], labels=record.get('labels'), msg=str(exc))


def _renew_single(ctx, record, p, connector, profile, results, errors):
    try:
        new, changed, reason, renew_before = renew_one(ctx, record, p, connector, profile)
        item = certificate_result(new, changed, reason, ctx, renew_before=renew_before)
        item['renewed_from'] = record['uuid']
        results.append(item)
    except PkiError as exc:
        errors.append(_renew_error(record, exc))


def renew_batch(ctx, items, p, connector, profile, results, errors):
    """Renew many due lineage heads of one RA profile with three transactions, not three each.

    The steps of renew_one + issue_into, each done for the whole batch: the requests are built
    in one read transaction, the reservations (``requested`` records, written before the CA is
    called) in one write transaction; the CA is called for each inside ``connector.batch()``
    (the embedded CA holds its lock once and flushes to disk once, on leaving); then the
    results are validated and stored, with their events, in one write transaction. A head
    that already has a renewal or rekey (done or in progress by another run) goes through
    renew_one, which waits for, recovers or reports it. Appends to ``results`` / ``errors``.
    """
    pol = profile.get('policy') or {}
    renew_before = p.get('renew_before') or pol.get('renew_before')
    validity = policylib.effective_validity(pol, p.get('validity_days'))
    prepared, reserved, issued, failed, fallback = [], [], [], [], []
    try:
        attributes = merged_attributes(profile, p.get('attributes'))
    except PkiError as exc:
        errors.extend(_renew_error(record, exc) for record, _due, _opens in items)
        return
    try:
        connector.trust_anchors()  # the CA is there and loads, before anything is reserved
    except PkiError as exc:
        errors.extend(_renew_error(record, exc) for record, _due, _opens in items)
        return
    with ctx.store.transaction(write=False) as tx:
        for record, due, opens in items:
            try:
                prepared.append((record, due, opens, renewal_request(ctx, tx, profile, record, p)))
            except PkiError as exc:
                errors.append(_renew_error(record, exc))
    with ctx.store.transaction() as tx:
        for record, due, opens, request in prepared:
            if tx.find_certificates(renewed_from=record['uuid']) or tx.find_certificates(rekeyed_from=record['uuid']):
                fallback.append(record)
                continue
            new = new_record(ctx, profile, request, dict(record.get('labels') or {}), dict(renewed_from=record['uuid']))
            tx.put_certificate(new)
            reserved.append((record, due, opens, request, new))
    with connector.batch():
        for record, due, opens, request, new in reserved:
            try:
                csr_pem = materialize_csr(request)
                outcome = connector.renew(csr_pem, record, attributes, validity_days=validity, record=new)
                if isinstance(outcome, Pending):
                    raise ConnectorError('The CA left the renewal of %s pending.' % record['uuid'],
                                         'Renew it on its own with pki.lifecycle.certificate_renew.',
                                         details=dict(maybe_issued=True))
                new['csr_pem'] = csr_pem
                cert = fill_from_certificate(new, outcome)
            except PkiError as exc:
                failed.append((record, new, exc, exc.message, bool(exc.details.get('maybe_issued'))))
                continue
            except Exception as exc:  # pylint: disable=broad-except
                failed.append((record, new, PkiError('Issuing failed with an unexpected error: %s.' % exc),
                               'unexpected error: %s' % exc, True))
                continue
            try:
                validate_issued(connector, request, outcome, cert, utcnow())
            except PkiError as exc:
                failed.append((record, new, ValidationError('The CA issued a certificate that fails validation: %s'
                                                            % exc.message), exc.message, True))
                continue
            issued.append((record, due, opens, new))
    # After connector.batch(): what the CA wrote is on disk before the inventory says issued.
    stamp = iso(utcnow())
    with ctx.store.transaction() as tx:
        for record, due, opens, new in issued:
            new.update(state='issued', updated_at=stamp)
            tx.put_certificate(new)
            ctx.event(tx, 'renew', 'changed', 'Issued serial %s through RA profile %r.' % (new['serial'], profile['name']),
                      new)
        for record, new, exc, reason, keep in failed:
            if keep:
                new.update(state='failed', failure_reason=reason, updated_at=stamp)
                tx.put_certificate(new)
                ctx.event(tx, 'renew', 'failed', reason, new)
            else:
                tx.delete_certificate(new['uuid'])
    for record, due, opens, new in issued:
        reason = 'Renewed serial %s as serial %s (%s).' % (
            record['serial'], new['serial'], 'forced' if p.get('force') and not due else 'due since %s' % iso(opens))
        item = certificate_result(new, True, reason, ctx, renew_before=renew_before)
        item['renewed_from'] = record['uuid']
        results.append(item)
    errors.extend(_renew_error(record, exc) for record, _new, exc, _reason, _keep in failed)
    for record in fallback:
        _renew_single(ctx, record, p, connector, profile, results, errors)


def renew_due(ctx):
    """Renew every due certificate (lineage heads only) of an RA profile and/or labels, in one task."""
    p = ctx.params
    with ctx.store.transaction(write=False) as tx:
        profiles = {}
        if p.get('ra_profile'):
            profiles[p['ra_profile']] = load_profile(ctx, tx, p['ra_profile'], 'renew')
        candidates = tx.find_certificates(ra_profile=p.get('ra_profile'), state='issued', labels=p.get('labels') or None)
        children = set()
        for r in tx.find_certificates(states=['issued', 'revoked', 'requested']):
            for parent in (r.get('renewed_from'), r.get('rekeyed_from')):
                if parent:
                    children.add(parent)
        heads = [r for r in candidates if r['uuid'] not in children]
        for r in heads:
            if r['ra_profile'] not in profiles:
                profiles[r['ra_profile']] = tx.get_ra_profile(r['ra_profile'])
    results, errors, connectors = [], [], {}
    batches = {}  # RA profile -> [(record, due, opens)] whose connector issues in batches
    for record in heads:
        profile = profiles.get(record['ra_profile'])
        if profile is None or not profile.get('enabled', True):
            continue
        due, _opens, _renew_before = renewal_due(ctx, record, p, profile, connectors)
        if not due and not p.get('force'):
            continue
        try:
            if profile['name'] not in connectors:
                connectors[profile['name']] = make_connector(ctx, profile)
        except PkiError as exc:
            errors.append(_renew_error(record, exc))
            continue
        if hasattr(connectors[profile['name']], 'batch') and not ctx.check_mode:
            batches.setdefault(profile['name'], []).append((record, due, _opens))
        else:
            _renew_single(ctx, record, p, connectors[profile['name']], profile, results, errors)
    for name, items in batches.items():
        for start in range(0, len(items), RENEW_BATCH_SIZE):
            renew_batch(ctx, items[start:start + RENEW_BATCH_SIZE], p, connectors[name], profiles[name],
                        results, errors)
    renewed = sum(1 for r in results if r['changed'])
    result = dict(changed=renewed > 0, renewed=renewed, certificates=results, errors=errors,
                  reason='Renewed %d due certificate(s)%s.' % (renewed, ', %d failed' % len(errors) if errors else '')
                  if renewed or errors else 'No certificate is due for renewal.')
    if errors:
        raise PkiError('%d of %d due certificate(s) could not be renewed: %s' % (
            len(errors), len(errors) + renewed, '; '.join('%s: %s' % (e['subject'], e['msg']) for e in errors)),
            'The others were renewed; fix the cause and run again.', details=result)
    return result


def op_rekey(ctx):
    p = ctx.params
    revoke_reason = normalize_reason(p.get('revoke_reason') or 'superseded')
    with ctx.store.transaction(write=False) as tx:
        given = find_certificate(ctx, tx, p['certificate'], 'rekeyed')
        record = lineage_head(tx, given)
        profile = load_profile(ctx, tx, record['ra_profile'], 'rekey')
        attributes = merged_attributes(profile, p.get('attributes'))
        request = resolve_request(ctx, tx, profile, p, previous=record)
    before = diff_view(record)
    pol = profile.get('policy') or {}
    if request['spki_sha256'] and request['spki_sha256'] == record['spki_sha256']:
        if record['uuid'] != given['uuid'] and record.get('rekeyed_from'):
            return certificate_result(record, False, 'The newest certificate of this lineage (serial %s) already '
                                      'has the requested key.' % record['serial'], ctx, before=before,
                                      renew_before=pol.get('renew_before'))
        raise InputError('The new key is the same key as certificate %s already has.' % record['uuid'],
                         'Rekey needs a different key: give a new CSR, or a new key name with generate_key: true.')
    if record['state'] != 'issued':
        raise InputError('Certificate %s is %s; only issued certificates are rekeyed.' % (record['uuid'], record['state']),
                         'Issue a new certificate with pki.lifecycle.certificate_issue.')
    policylib.check_validity(pol, p.get('validity_days'))
    validity = policylib.effective_validity(pol, p.get('validity_days'))
    connector = make_connector(ctx, profile)
    labels = dict(record.get('labels') or {})
    labels.update(p.get('labels') or {})
    new, changed, reason = issue_into(ctx, connector, profile, request, attributes, validity, labels, 'rekey',
                                      lineage=dict(rekeyed_from=record['uuid']), previous=None, force=True)
    if new is None:
        return dict(changed=True, reason='Would rekey certificate %s.' % record['uuid'], certificate={},
                    certificate_pem='', chain_pem='', fullchain_pem='')
    reason = reason or 'Rekeyed serial %s as serial %s with a new key.' % (record['serial'], new['serial'])
    if changed and new.get('state') == 'issued' and p.get('revoke_previous'):
        revoke_record(ctx, connector, profile, record, revoke_reason, {})
        reason += ' The previous certificate was revoked.'
    if changed and new.get('state') == 'issued' and p.get('destroy_previous_key') and record['key_source'] == 'token':
        with ctx.store.transaction(write=False) as tx:
            token_name, _sep, key_name = record['key_ref'].partition(':')
            token_store(ctx, tx, record.get('token_profile') or token_name).destroy(key_name)
        reason += ' The previous key was destroyed.'
    return certificate_result(new, changed, reason, ctx, before=before, renew_before=pol.get('renew_before'))


def normalize_reason(reason):
    text = (reason or 'unspecified').strip()
    for name in REVOCATION_REASONS:
        if text.lower().replace('_', '').replace(' ', '') == name.lower():
            return name
    raise InputError('Unknown revocation reason %r.' % (reason,),
                     'Use one of RFC 5280\'s reasons: %s.' % ', '.join(REVOCATION_REASONS))


def revoke_record(ctx, connector, profile, record, reason, attributes):
    facts = connector.revoke(record['certificate_pem'], record['serial'], reason, attributes) or {}
    with ctx.store.transaction() as tx:
        current = tx.get_certificate(record['uuid'])
        current.update(state='revoked', revocation_reason=reason, revoked_at=iso(utcnow()),
                       updated_at=iso(utcnow()))
        tx.put_certificate(current)
        ctx.event(tx, 'revoke', 'changed', 'Revoked serial %s (%s).' % (current['serial'], reason), current)
    return current, facts


def op_revoke(ctx):
    p = ctx.params
    reason = normalize_reason(p.get('reason'))
    with ctx.store.transaction(write=False) as tx:
        record = find_certificate(ctx, tx, p['certificate'], 'revoked')
        if record['state'] == 'revoked':
            return certificate_result(record, False, 'Already revoked (%s) at %s.' % (
                record['revocation_reason'], record['revoked_at']), ctx, before=diff_view(record))
        if record['state'] != 'issued':
            raise InputError('Certificate %s is %s; there is nothing the CA could revoke.' % (record['uuid'], record['state']),
                             'Only issued certificates are revoked.')
        profile = load_profile(ctx, tx, record['ra_profile'], 'revoke')
        attributes = merged_attributes(profile, p.get('attributes'), 'revoke')
    before = diff_view(record)
    if ctx.check_mode:
        after = dict(record, state='revoked', revocation_reason=reason)
        result = certificate_result(after, True, 'Would revoke serial %s (%s).' % (record['serial'], reason), ctx,
                                    before=before)
        return result
    connector = make_connector(ctx, profile)
    current, facts = revoke_record(ctx, connector, profile, record, reason, attributes)
    result = certificate_result(current, True, 'Revoked serial %s with reason %s.' % (current['serial'], reason),
                                ctx, before=before)
    result.update(dict((k, facts[k]) for k in ('crl_path', 'crl_number') if k in facts))
    return result


def op_info(ctx):
    p = ctx.params
    now = ctx.now
    with ctx.store.transaction(write=False) as tx:
        kwargs = dict(ra_profile=p.get('ra_profile'), labels=p.get('labels') or None)
        if p.get('state'):
            kwargs['states'] = list(p['state'])
        if p.get('due_within_days') is not None:
            kwargs['not_after_before'] = iso(now + datetime.timedelta(days=p['due_within_days']))
        if p.get('uuid'):
            kwargs['uuid'] = p['uuid']
        if p.get('serial'):
            kwargs['serial'] = p['serial'].replace(':', '').lower()
        if p.get('subject'):
            kwargs['subject'] = x509lib.normalize_subject(x509lib.parse_subject(p['subject']))
        records = tx.find_certificates(**kwargs)
        profiles = dict((r['name'], r) for r in tx.list_ra_profiles())
        if p.get('due_within_days') is not None:
            records = [r for r in records if r['state'] == 'issued']
        # What each returned item holds and how many are returned: info_fields.py.
        shape = InfoShape(p)
        wanted = set(p.get('validation_status') or [])
        certificates, counts = [], dict((s, 0) for s in VALIDATION_STATUSES)
        for record in records:
            pol = (profiles.get(record['ra_profile']) or {}).get('policy') or {}
            status = validation_status(record, now, pol.get('renew_before'))
            if wanted and status not in wanted:
                continue
            counts[status] += 1
            if shape.room(len(certificates)):
                certificates.append(shape.item(record, status, public_record, tx))
    counts['total'] = sum(counts.values())
    return dict(changed=False, certificates=certificates, counts=counts)


def _profile_view(record):
    return dict((k, v) for k, v in (record or {}).items() if k not in ('created_at', 'updated_at'))


def op_ra_profile(ctx):
    p = ctx.params
    name = p['name']
    with ctx.store.transaction(write=False) as tx:
        existing = tx.get_ra_profile(name)
        in_use = list(tx.find_certificates(ra_profile=name, state='issued')) if p['state'] == 'absent' else []
    before = _profile_view(existing)
    if p['state'] == 'absent':
        if existing is None:
            return dict(changed=False, reason='RA profile %r does not exist.' % name, ra_profile={})
        if in_use:
            raise PolicyError('RA profile %r still has %d issued certificate(s); removing it would leave them '
                              'unrenewable and unrevocable.' % (name, len(in_use)),
                              'Revoke them first, or disable the profile with enabled: false.')
        if not ctx.check_mode:
            with ctx.store.transaction() as tx:
                tx.delete_ra_profile(name)
                ctx.event(tx, 'ra_profile', 'changed', 'Removed RA profile %r.' % name, ra_profile=name)
        return _with_diff(ctx, dict(changed=True, reason='Removed RA profile %r.' % name, ra_profile={}), before, {})
    cls = connector_class(p.get('connector') or 'local')
    options = dict((k, v) for k, v in (p.get('connector_options') or {}).items() if v is not None)
    refuse_secret_keys(options, 'connector_options', 'connector_secrets', declared=cls.OPTIONS)
    unknown = sorted(set(options) - set(cls.OPTIONS))
    if unknown:
        raise InputError('Unknown connector option(s) %s for connector %r.' % (', '.join(unknown), cls.name),
                         'Valid options are: %s.' % ', '.join(sorted(cls.OPTIONS)))
    missing = [o for o in cls.REQUIRED_OPTIONS if o not in options]
    if missing:
        raise InputError('Connector %r needs option(s) %s.' % (cls.name, ', '.join(missing)),
                         'Add them to connector_options.')
    check_attributes(cls, p.get('issue_attributes'), 'issue')
    check_attributes(cls, p.get('revoke_attributes'), 'revoke')
    wanted = dict(
        name=name, enabled=p.get('enabled', True), description=p.get('description') or '',
        connector=cls.name, connector_options=options,
        issue_attributes=dict(p.get('issue_attributes') or {}),
        revoke_attributes=dict(p.get('revoke_attributes') or {}),
        policy=policylib.normalize_policy(p.get('policy')),
    )
    if p.get('validate'):
        connector = make_connector(ctx, wanted)
        if not ctx.check_mode:
            connector.check()
    if existing is not None and _profile_view(existing) == wanted:
        return _with_diff(ctx, dict(changed=False, reason='RA profile %r is as requested.' % name,
                                    ra_profile=existing), before, before)
    stamp = iso(ctx.now)
    record = dict(wanted, created_at=(existing or {}).get('created_at') or stamp, updated_at=stamp)
    verb = 'Created' if existing is None else 'Updated'
    if not ctx.check_mode:
        with ctx.store.transaction() as tx:
            tx.put_ra_profile(record)
            ctx.event(tx, 'ra_profile', 'changed', '%s RA profile %r.' % (verb, name), ra_profile=name)
    return _with_diff(ctx, dict(changed=True, reason='%s RA profile %r.' % (verb, name), ra_profile=record),
                      before, _profile_view(record))


def _with_diff(ctx, result, before, after):
    if ctx.diff_mode:
        result['diff'] = dict(before=before, after=after)
    return result


TOKEN_OPTIONS = {
    'file': ('path',),
    'pkcs11': ('module', 'token_label', 'token_serial', 'slot'),
}


def op_token_profile(ctx):
    p = ctx.params
    name = p['name']
    with ctx.store.transaction(write=False) as tx:
        existing = tx.get_token_profile(name)
    before = _profile_view(existing)
    if p['state'] == 'absent':
        if existing is None:
            return dict(changed=False, reason='Token profile %r does not exist.' % name, token_profile={})
        if not ctx.check_mode:
            with ctx.store.transaction() as tx:
                tx.delete_token_profile(name)
                ctx.event(tx, 'token_profile', 'changed', 'Removed token profile %r.' % name)
        return _with_diff(ctx, dict(changed=True, reason='Removed token profile %r.' % name, token_profile={}),
                          before, {})
    token_type = p.get('type') or 'file'
    if token_type not in TOKEN_OPTIONS:
        raise InputError('Unknown token profile type %r.' % token_type, 'Use one of: %s.' % ', '.join(TOKEN_OPTIONS))
    options = dict((k, v) for k, v in (p.get('options') or {}).items() if v is not None)
    refuse_secret_keys(options, 'options', 'token_secrets', declared=TOKEN_OPTIONS[token_type])
    unknown = sorted(set(options) - set(TOKEN_OPTIONS[token_type]))
    if unknown:
        raise InputError('Unknown option(s) %s for a %s token profile.' % (', '.join(unknown), token_type),
                         'Valid options are: %s.' % ', '.join(TOKEN_OPTIONS[token_type]))
    if token_type == 'file' and options.get('path'):
        options['path'] = os.path.abspath(os.path.expanduser(options['path']))
    wanted = dict(name=name, type=token_type, options=options)
    if p.get('validate') and not ctx.check_mode:
        open_key_store(wanted, ctx.params.get('token_secrets') or {}).check()
    if existing is not None and _profile_view(existing) == wanted:
        return _with_diff(ctx, dict(changed=False, reason='Token profile %r is as requested.' % name,
                                    token_profile=existing), before, before)
    stamp = iso(ctx.now)
    record = dict(wanted, created_at=(existing or {}).get('created_at') or stamp, updated_at=stamp)
    verb = 'Created' if existing is None else 'Updated'
    if not ctx.check_mode:
        with ctx.store.transaction() as tx:
            tx.put_token_profile(record)
            ctx.event(tx, 'token_profile', 'changed', '%s token profile %r.' % (verb, name))
    return _with_diff(ctx, dict(changed=True, reason='%s token profile %r.' % (verb, name), token_profile=record),
                      before, _profile_view(record))


OPERATIONS = {
    'ra_profile': op_ra_profile,
    'token_profile': op_token_profile,
    'issue': op_issue,
    'renew': op_renew,
    'rekey': op_rekey,
    'revoke': op_revoke,
    'info': op_info,
    # Copies between stores; what is copied and when nothing changes: inventory/migrate.py.
    'inventory_migrate': lambda ctx: migratelib.run(ctx.params, ctx.check_mode),
}
