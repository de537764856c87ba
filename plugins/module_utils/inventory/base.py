# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The inventory store interface.

Every store (sqlite, json, postgresql) keeps four collections of plain dicts:
RA profiles and token profiles (keyed by ``name``), certificates (keyed by ``uuid``)
and an append-only event log. All access goes through a transaction::

    with store.transaction() as tx:          # exclusive: one writer at a time
        rec = tx.get_certificate(uuid)
        tx.put_certificate(rec)
        tx.add_event({...})
    with store.transaction(write=False) as tx:  # consistent read, no lock held for long

A transaction that raises is rolled back and leaves the store exactly as it was
(byte for byte for JSON, row for row for SQL). Nothing in a record is ever a secret.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

# 2: state 'discovered', fields locations/origin/replaceable/adoption (discovery, issue 15),
#    an index on fingerprint_sha256 (discovery finds records by fingerprint).
SCHEMA_VERSION = 2

# Fields of a certificate record. Stores persist every one of them (lists and dicts as JSON);
# unknown keys are kept too (stored in the record's JSON ``extra`` column where the store has
# columns).
CERTIFICATE_FIELDS = (
    'uuid',               # str, uuid4
    'ra_profile',         # str
    'state',              # 'requested' | 'issued' | 'revoked' | 'failed' | 'discovered' (schema 2)
    'identity',           # str, sha256 hex of the request identity (lifecycle.identity())
    'serial',             # str, lowercase hex without colons, or None while requested
    'issuer',             # str, RFC 4514
    'subject',            # str, RFC 4514
    'subject_alt_names',  # list of 'DNS:x', 'IP:x', 'email:x', 'URI:x'
    'not_before',         # str, ISO 8601 UTC '2026-11-25T16:30:00Z'
    'not_after',          # str, same
    'fingerprint_sha256',  # str, lowercase hex
    'spki_sha256',        # str, lowercase hex of the SubjectPublicKeyInfo DER
    'key_source',         # 'csr' | 'token'
    'token_profile',      # str or None
    'key_ref',            # str or None: key name inside the token profile, never the key
    'certificate_pem',    # str or None
    'chain_pem',          # str ('' when none)
    'csr_pem',            # str
    'renewed_from',       # uuid or None
    'rekeyed_from',       # uuid or None
    'revocation_reason',  # str or None (RFC 5280 name)
    'revoked_at',         # str ISO 8601 or None
    'labels',             # dict str -> str
    'failure_reason',     # str or None
    'connector_data',     # dict, connector-specific, no secrets (e.g. ACME order URL)
    'requested_by',       # str, 'user@host:pid' of the writer of the 'requested' record
    'request_attributes',  # dict: extensions, signature_algorithm, digest of a token-key CSR
    'created_at',         # str ISO 8601
    'updated_at',         # str ISO 8601
    # schema 2 (discovery): absent in older records, read as the defaults in brackets
    'locations',          # list of dicts: where the certificate was found (discovery/inventory.py) [[]]
    'origin',             # 'discovered' when the record was created by discovery ['issued']
    'replaceable',        # True: adopted from another CA; renewal issues through the profile [False]
    'adoption',           # dict: when and how a discovered record was bound to an RA profile [None]
)

RA_PROFILE_FIELDS = (
    'name', 'enabled', 'description', 'connector', 'connector_options',
    'issue_attributes', 'revoke_attributes', 'policy', 'created_at', 'updated_at',
)

TOKEN_PROFILE_FIELDS = ('name', 'type', 'options', 'created_at', 'updated_at')

EVENT_FIELDS = (
    'id',                 # int, assigned by the store, increasing
    'time',               # str ISO 8601
    'operation',          # 'issue', 'renew', 'rekey', 'revoke', 'ra_profile', ...
    'result',             # 'changed', 'unchanged', 'failed', 'requested'
    'message',            # str
    'certificate_uuid',   # str or None
    'ra_profile',         # str or None
    'who',                # str, 'user@host:pid'
)


class InventoryStore(object):
    """Opened from an ``inventory`` string by ``inventory.open_store(url)``."""

    url = None

    def transaction(self, write=True):
        """Context manager yielding an ``InventoryTransaction``."""
        raise NotImplementedError

    def close(self):
        pass

    def set_writer(self, who):
        """Tell the store who writes through it ('user@host:pid'); see writer_alive."""


class InventoryTransaction(object):
    # RA profiles
    def get_ra_profile(self, name):
        """dict or None"""
        raise NotImplementedError

    def put_ra_profile(self, profile):
        """insert or replace by name"""
        raise NotImplementedError

    def delete_ra_profile(self, name):
        raise NotImplementedError

    def list_ra_profiles(self):
        raise NotImplementedError

    # token profiles
    def get_token_profile(self, name):
        raise NotImplementedError

    def put_token_profile(self, profile):
        raise NotImplementedError

    def delete_token_profile(self, name):
        raise NotImplementedError

    def list_token_profiles(self):
        raise NotImplementedError

    # certificates
    def get_certificate(self, uuid):
        raise NotImplementedError

    def put_certificate(self, record):
        """insert or replace by uuid"""
        raise NotImplementedError

    def delete_certificate(self, uuid):
        """Remove a record. Only used to undo a 'requested' reservation the CA never saw."""
        raise NotImplementedError

    def find_certificates(self, uuid=None, ra_profile=None, state=None, states=None,
                          identity=None, serial=None, fingerprint_sha256=None,
                          spki_sha256=None, subject=None, labels=None,
                          not_after_before=None, renewed_from=None, rekeyed_from=None):
        """List of records matching every given filter (None = any).

        ``states`` is a list; ``labels`` a dict every key/value of which the record's
        labels must contain; ``not_after_before`` an ISO 8601 string (records with
        not_after < it). Ordered by created_at, then uuid.
        """
        raise NotImplementedError

    # event log (append only)
    def add_event(self, event):
        raise NotImplementedError

    def list_events(self, certificate_uuid=None, limit=None):
        raise NotImplementedError

    # liveness of other writers (crash recovery)
    def writer_alive(self, who):
        """True/False when the store knows whether writer ``who`` (a record's requested_by)
        is still running, None when it cannot tell (file stores: lifecycle checks the pid)."""
        return None
