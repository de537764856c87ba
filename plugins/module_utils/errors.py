# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Errors every layer raises; the module wrapper turns them into fail_json."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class PkiError(Exception):
    """A failure the user can act on.

    ``message`` names the problem, ``hint`` says what to do. Never put a secret in either.
    ``details`` is a dict returned to the user beside ``msg`` (e.g. the failed record).
    """

    def __init__(self, message, hint=None, details=None):
        super(PkiError, self).__init__(message)
        self.message = message
        self.hint = hint
        self.details = details or {}

    def __str__(self):
        if self.hint:
            return "%s %s" % (self.message.rstrip(), self.hint)
        return self.message


class InputError(PkiError):
    """Bad input: malformed PEM, bad CSR signature, weak key, unknown profile or attribute."""


class PolicyError(PkiError):
    """The request breaks the RA profile's policy."""


class InventoryError(PkiError):
    """The inventory cannot be opened, read or written."""


class ConnectorError(PkiError):
    """The CA refused the request or cannot be reached."""


class TokenError(PkiError):
    """A token profile (key store) cannot provide or use a key."""


class ValidationError(PkiError):
    """An issued certificate failed validation after issuance."""
