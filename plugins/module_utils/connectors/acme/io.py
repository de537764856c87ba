# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ACME transport: the JWS-signing client (``acme``/``josepy``), nonces (badNonce retried),
the directory, Retry-After, and problem documents (RFC 7807) turned into ConnectorError
with their ``type`` and ``detail`` intact."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import datetime
import email.utils
import os
import ssl
import traceback

try:
    import josepy as jose
    import requests
    from acme import client as acme_client
    from acme import errors as acme_errors
    from acme import messages
    HAS_ACME = True
    ACME_IMPORT_ERROR = None
except ImportError:
    HAS_ACME = False
    ACME_IMPORT_ERROR = traceback.format_exc()

from ansible_collections.pki.lifecycle.plugins.module_utils.errors import ConnectorError, InputError

DEFAULT_POLL_TIMEOUT = 90
BAD_NONCE_RETRIES = 3
USER_AGENT = 'pki.lifecycle-acme'
ERROR_PREFIX = 'urn:ietf:params:acme:error:'
HINTS = {
    'badNonce': 'The server kept rejecting nonces; run the task again.',
    'rateLimited': 'The CA rate-limits this account or these names; wait until the limit resets (see the detail).',
    'externalAccountRequired': 'This CA needs External Account Binding: give eab_kid and eab_hmac_key in '
                               'connector_secrets.',
    'unauthorized': 'The account may not issue for these names, or the challenge answer was wrong.',
    'rejectedIdentifier': 'The CA will not issue for this name; change subject_alt_names or use another CA.',
    'unsupportedIdentifier': 'The CA does not issue for this kind of identifier (e.g. IP addresses).',
    'caa': 'A CAA DNS record forbids this CA for the name; fix the CAA record.',
    'dns': 'The CA could not resolve the name; check DNS.',
    'connection': 'The CA could not connect to the host to validate; check firewalls, the webroot or the DNS record.',
    'incorrectResponse': 'The answer the CA found is not the expected one; place resource_value exactly at '
                         'resource and run again.',
    'agreementRequired': 'Read the CA\'s terms of service, then set connector option terms_agreed: true.',
    'userActionRequired': 'Visit the URL in the detail (often new terms of service), then set terms_agreed.',
    'malformed': 'The request is malformed for this CA; see the detail.',
    'badRevocationReason': 'This CA does not accept that revocation reason; use another RFC 5280 reason.',
    'alreadyRevoked': 'The certificate is already revoked at the CA.',
    'accountDoesNotExist': 'The account is unknown to the CA; it is registered again on the next run.',
    'badCSR': 'The CA refused the CSR; check the key type and the names.',
    'invalidProfile': 'The CA does not offer this profile; use one its directory lists in meta.profiles.',
}


def b64url(data):
    return jose.b64.b64encode(data).decode('ascii')


def dir_get(directory, name):
    try:
        return directory[name]
    except (KeyError, AttributeError):
        return None


def system_bundle():
    """The system's CA bundle (OpenSSL's default), else the one requests ships (certifi)."""
    return ssl.get_default_verify_paths().cafile or getattr(requests.utils, 'DEFAULT_CA_BUNDLE_PATH', None)


def read_file(path, what, hint):
    try:
        with open(path, 'rb') as handle:
            return handle.read()
    except (IOError, OSError) as exc:
        raise InputError('Cannot read %s %s: %s.' % (what, path, exc.strerror or exc), hint)


def retry_after_seconds(value, now=None):
    """An HTTP Retry-After header (delta-seconds or HTTP-date, RFC 9110) -> seconds, or None."""
    if value in (None, ''):
        return None
    text = str(value).strip()
    if text.isdigit():
        return int(text)
    try:
        moment = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    now = now or datetime.datetime.now(datetime.timezone.utc)
    return max(0, int((moment - now).total_seconds()))


def problem_dict(error):
    """A messages.Error as a plain dict (type, detail, title, identifier, subproblems)."""
    out = dict(type=error.typ, detail=error.detail, title=error.title)
    if error.identifier is not None:
        out['identifier'] = '%s:%s' % (error.identifier.typ.name, error.identifier.value)
    if error.subproblems:
        out['subproblems'] = [problem_dict(sub) for sub in error.subproblems]
    return dict((k, v) for k, v in out.items() if v is not None)


def problem_text(error):
    text = '%s (%s)' % (error.detail or error.title or error.description or 'no detail', error.typ)
    for sub in error.subproblems or ():
        text += '; %s%s' % ('%s: ' % sub.identifier.value if sub.identifier is not None else '',
                            problem_text(sub))
    return text


def problem_type(exc):
    """The short ACME error type ('rateLimited', ...) a ConnectorError carries, or None."""
    problem = exc.details.get('problem') if isinstance(getattr(exc, 'details', None), dict) else None
    if not isinstance(problem, dict) or not problem.get('type'):
        return None
    return str(problem['type']).rsplit(':', 1)[-1]


class AcmeIO(object):
    """Transport for the connector: TLS verification, calls with problem translation."""

    def _verify(self):
        bundle = self.options.get('ca_bundle')
        if bundle:
            bundle = os.path.expanduser(bundle)
            if not os.path.isfile(bundle):
                raise InputError('connector option ca_bundle %s is not a file.' % bundle,
                                 'Give the PEM file of the CA that signed the ACME server\'s TLS certificate.')
            return bundle
        return system_bundle() or True

    def _translate(self, exc, doing):
        """Any library/transport error -> ConnectorError with the problem intact.

        ``details.unavailable`` marks what a fallback RA profile may take over: the CA is
        unreachable, answers 5xx, or rate-limits."""
        if isinstance(exc, messages.Error):
            code = exc.code or str(exc.typ).rsplit(':', 1)[-1]
            details = dict(problem=problem_dict(exc))
            if code in ('rateLimited', 'serverInternal'):
                details['unavailable'] = True
            return ConnectorError('The ACME server %s refused to %s: %s.'
                                  % (self.directory_url, doing, problem_text(exc)),
                                  HINTS.get(code, 'See the problem detail from the CA.'), details=details)
        if isinstance(exc, acme_errors.IssuanceError):
            return self._translate(exc.error, doing)
        if isinstance(exc, acme_errors.ValidationError):
            problems, reasons = [], []
            for authzr in exc.failed_authzrs:
                for chall in authzr.body.challenges:
                    if chall.error is not None:
                        problems.append(dict(problem_dict(chall.error), identifier=authzr.body.identifier.value,
                                             challenge_type=chall.chall.typ))
                        reasons.append('%s (%s): %s' % (authzr.body.identifier.value, chall.chall.typ,
                                                        problem_text(chall.error)))
            return ConnectorError('The ACME server could not validate the challenge(s) to %s: %s.'
                                  % (doing, '; '.join(reasons) or 'no reason given'),
                                  'Answer each challenge exactly as challenge_data says, then run the task again '
                                  '(a new order is created).',
                                  details=dict(problem=problems[0] if len(problems) == 1 else problems))
        if isinstance(exc, acme_errors.TimeoutError):
            return ConnectorError('The ACME server did not finish (%s) within %d s.' % (doing, self.poll_timeout),
                                  'Raise connector option poll_timeout, or check the CA.')
        if isinstance(exc, requests.exceptions.SSLError):
            return ConnectorError('TLS verification of the ACME server %s failed: %s.' % (self.directory_url, exc),
                                  'Set connector option ca_bundle to the PEM of the CA that signed the server\'s '
                                  'TLS certificate (TLS verification is never turned off).')
        if isinstance(exc, (requests.exceptions.ConnectionError, requests.exceptions.Timeout)):
            return ConnectorError('The ACME server %s is unreachable: %s.' % (self.directory_url, exc),
                                  'Check directory_url, the network and that the server runs.',
                                  details=dict(unavailable=True))
        if isinstance(exc, acme_errors.ClientError):
            response = exc.args[0] if exc.args else None
            if isinstance(response, tuple):
                response = response[0]
            if isinstance(response, requests.Response):
                return ConnectorError('The ACME server %s answered HTTP %d to %s at %s: %s.'
                                      % (self.directory_url, response.status_code, doing, response.url,
                                         (response.text or '')[:200].strip() or response.reason),
                                      'Check directory_url: it must be the ACME directory resource.',
                                      details=dict(unavailable=response.status_code >= 500))
            return ConnectorError('ACME request failed (%s): %s.' % (doing, exc), 'Check directory_url and the CA.')
        if isinstance(exc, (jose.DeserializationError, ValueError, KeyError)):
            return ConnectorError('The ACME server %s sent an unexpected answer to %s: %s.'
                                  % (self.directory_url, doing, exc),
                                  'Check that directory_url is an RFC 8555 directory.')
        return ConnectorError('ACME request failed (%s): %s.' % (doing, exc), 'See the CA\'s logs.')

    def _call(self, doing, func, *args, **kwargs):
        """Run a library call; badNonce retried, everything else translated."""
        for attempt in range(BAD_NONCE_RETRIES + 1):
            try:
                return func(*args, **kwargs)
            except acme_errors.ConflictError:
                raise   # "account exists": the caller wants its Location
            except messages.Error as exc:
                if exc.code == 'badNonce' and attempt < BAD_NONCE_RETRIES:
                    continue
                raise self._translate(exc, doing)
            except ConnectorError:
                raise
            except (acme_errors.Error, requests.exceptions.RequestException, jose.DeserializationError,
                    ValueError, KeyError) as exc:
                raise self._translate(exc, doing)

    def _post_as_get(self, client, url, doing):
        return self._call(doing, client._post_as_get, url)  # pylint: disable=protected-access

    def _directory(self, net):
        directory = self._call('return its directory', acme_client.ClientV2.get_directory, self.directory_url, net)
        for needed in ('newNonce', 'newAccount', 'newOrder'):
            if not dir_get(directory, needed):
                raise ConnectorError('%s is not an ACME directory: it has no %s.' % (self.directory_url, needed),
                                     'Check directory_url.')
        return directory
