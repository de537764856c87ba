# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The connector interface: how an RA profile reaches its certificate authority.

One file per CA in this package. A connector is built from the RA profile record
(``connector_options``, non-secret, stored) and ``connector_secrets`` (module option,
``no_log``, never stored). It declares the options, secrets and attributes it accepts so
that a wrong one is refused with the list of valid ones.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import contextlib


class Issued(object):
    """What the CA returned: the leaf PEM, the chain PEMs (leaf's issuer first, may
    include the root), and connector data worth recording (no secrets). ``certificate``: the
    leaf as a ``cryptography`` object when the connector has it already (the embedded CA signs
    it), whose PEM is exactly ``certificate_pem``: lifecycle then does not parse it again.
    ``made``: what the connector put into that certificate (x509 certificate_facts' ``made``:
    serial, validity, issuer, fingerprint), used for the record once checked equal."""

    def __init__(self, certificate_pem, chain_pems=None, connector_data=None, certificate=None, made=None):
        self.certificate_pem = certificate_pem
        self.chain_pems = list(chain_pems or [])
        self.connector_data = dict(connector_data or {})
        self.certificate = certificate
        self.made = made


class Pending(object):
    """The CA needs more (e.g. ACME challenges): call again to finish."""

    def __init__(self, challenge_data, connector_data=None, message=None):
        self.challenge_data = challenge_data
        self.connector_data = dict(connector_data or {})
        self.message = message or 'The CA is waiting for challenges to be answered.'


class Connector(object):
    name = None
    # name -> short description; used for validation messages and docs
    OPTIONS = {}
    # name -> dict(type=str|int|number|bool|list|raw, required, default, choices, min, check):
    # lifecycle.options checks connector_options against it when the RA profile is created
    # or changed (an option in OPTIONS without a spec is taken as raw).
    OPTION_SPEC = {}
    REQUIRED_OPTIONS = ()
    SECRETS = {}
    # secret name -> environment variable fallback
    SECRET_ENV = {}
    ISSUE_ATTRIBUTES = {}
    REVOKE_ATTRIBUTES = {}
    # True: the CA writes the requested subject CN into the certificate, and lifecycle refuses
    # one without it. False for CAs that write the subject themselves (ACME servers).
    KEEPS_SUBJECT = True

    def __init__(self, profile_name, options, secrets, policy=None, context=None):
        """``context``: dict with 'inventory_dir' (where file-based state may default to),
        'check_mode'."""
        self.profile_name = profile_name
        self.options = options or {}
        self.secrets = secrets or {}
        self.policy = policy or {}
        self.context = context or {}

    def check(self):
        """Reachability and credentials; raise ConnectorError with an actionable message."""
        raise NotImplementedError

    def issue(self, csr_pem, attributes, validity_days=None, record=None):
        """Return Issued (or Pending). ``record`` is the 'requested' inventory record."""
        raise NotImplementedError

    def renew(self, csr_pem, previous, attributes, validity_days=None, record=None):
        return self.issue(csr_pem, attributes, validity_days=validity_days, record=record)

    @contextlib.contextmanager
    def batch(self):
        """Wraps the issue()/renew() calls of a bulk renewal; lifecycle stores their results
        after leaving it. A CA that can do many at lower cost (one lock, one flush to disk)
        overrides it; whatever it defers must be durable when the block is left."""
        yield

    def can_fork(self):
        """True when this object keeps working in a forked child process, so that a large due
        sweep may sign in several (lifecycle/processes.py). Not with sockets, HTTP sessions or
        token sessions open, which a fork shares between two processes."""
        return False

    def revoke(self, certificate_pem, serial, reason, attributes):
        """Revoke; ``reason`` is an RFC 5280 name. Return a dict of extra facts
        (e.g. {'crl_path': ...})."""
        raise NotImplementedError

    def trust_anchors(self):
        """PEMs of the roots a chain from this CA must verify to."""
        raise NotImplementedError

    def lookup(self, record):
        """Crash recovery: an Issued for a 'requested' record the CA did issue, else None."""
        return None

    def resume(self, record, csr_pem):
        """Finish a request an earlier call left Pending (e.g. answer ACME challenges,
        finalize). Return Issued, or None when nothing can be finished. Default: lookup."""
        return self.lookup(record)

    # True: the connector signs its own CRL (the embedded CA) and implements crl().
    SIGNS_CRL = False

    def crl(self, refresh=False, dry_run=False):
        """Keep the CA's CRL fresh: re-sign it when ``refresh`` or when the connector's
        refresh point has passed, write it where it is published. Returns a dict: signed,
        crl_pem, crl_number, this_update, next_update (ISO 8601), revoked (count), published
        (paths). ``dry_run``: decide only. Only for connectors with SIGNS_CRL."""
        raise NotImplementedError

    def renewal_window(self, record):
        """The CA's suggested renewal window (start, end) as aware datetimes, or None
        (e.g. ACME ARI, RFC 9773). Lifecycle uses ``start`` in the due decision."""
        return None

    def renewal_updates(self, record):
        """Connector data to keep on ``record`` after ``renewal_window`` asked the CA (ACME:
        the ARI window and when to ask again, per Retry-After), or None."""
        return None

    def renewal_explanation(self, record):
        """A URL where the CA explains its suggested window (ACME ARI explanationURL), or None."""
        return None

    def reconfigure(self, old_options, check_mode=False):
        """The RA profile's connector options change from ``old_options`` to this connector's:
        act on the CA if the change needs it (ACME: account key rollover). Returns a dict of
        facts for the result (``message``: one sentence), or None. Default: nothing to do."""
        return None
