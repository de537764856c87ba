# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Connector and token profile options checked against the spec their class declares
(``OPTION_SPEC``: name -> type, required, default, choices, min), when the profile is created
or changed, so that a wrong one is refused then, naming the profile and the option, and not
at the first certificate. Secrets are checked for their names and shape only (never stored).

Types: ``str``, ``int`` (a whole number, also as a string of digits; at least ``min``, default
1), ``number`` (seconds, may be fractional), ``bool`` (also 'true'/'false'/'yes'/'no'),
``list`` (strings; one string is a list of one), ``raw`` (anything). ``check``: a function
value -> value that raises ValueError with the reason (for values no type describes).
Options a class lists in ``OPTIONS`` but not in ``OPTION_SPEC`` are taken as ``raw``."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.pki.lifecycle.plugins.module_utils.errors import InputError
from ansible_collections.pki.lifecycle.plugins.module_utils.vocabulary import SECRET_WORDS, shorten

_TRUE = ('true', 'yes', 'on', '1')
_FALSE = ('false', 'no', 'off', '0')
TYPE_WORDS = {
    'str': 'a string', 'int': 'a whole number', 'number': 'a number', 'bool': 'true or false',
    'list': 'a list of strings', 'raw': 'a value',
}


def _what(cls):
    """'connector local', 'token type file'."""
    if getattr(cls, 'type', None):
        return 'token type %s' % cls.type
    return 'connector %s' % cls.name


def _coerce(value, spec):
    """The value in its declared type, or raise ValueError with what it should be."""
    kind = spec.get('type', 'str')
    if kind == 'str':
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise ValueError(TYPE_WORDS[kind])
        value = str(value)
    elif kind in ('int', 'number'):
        text = str(value).strip() if isinstance(value, (str, int, float)) and not isinstance(value, bool) else ''
        try:
            number = int(text) if kind == 'int' else float(text)
        except ValueError:
            raise ValueError(TYPE_WORDS[kind] + (' of days' if 'days' in spec.get('_name', '') else ''))
        # A number given as a number is kept as written (30 stays 30, not 30.0).
        value = number if kind == 'int' or isinstance(value, str) else value
        minimum = spec.get('min', 1)
        if value < minimum:
            raise ValueError('%s of at least %s' % (TYPE_WORDS[kind], minimum))
    elif kind == 'bool':
        if not isinstance(value, bool):
            text = str(value).strip().lower() if isinstance(value, (str, int)) else ''
            if text not in _TRUE + _FALSE:
                raise ValueError(TYPE_WORDS[kind])
            value = text in _TRUE
    elif kind == 'list':
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list) or not all(isinstance(i, str) and i.strip() for i in items):
            raise ValueError('a string or a list of non-empty strings')
    choices = spec.get('choices')
    if choices and value not in choices:
        raise ValueError('one of %s' % ', '.join(str(c) for c in choices))
    if spec.get('check'):
        value = spec['check'](value)
    return value


def check_options(cls, given, where, option_name, secrets_option):
    """The options to store: ``given`` without None values, each checked against
    ``cls.OPTION_SPEC`` (unknown, secret-looking, missing required, wrong type or choice
    refused). ``where``: how messages name the profile ("RA profile 'web'")."""
    options = dict((k, v) for k, v in (given or {}).items() if v is not None)
    specs = dict((name, {'type': 'raw'}) for name in cls.OPTIONS)
    specs.update(getattr(cls, 'OPTION_SPEC', {}) or {})
    for key in options:
        if key not in specs and any(word in key.lower() for word in SECRET_WORDS):
            raise InputError('%s: %s holds %r, which looks like a secret; secrets are never stored.'
                             % (where, option_name, key), 'Pass it in %s instead.' % secrets_option)
    unknown = sorted(set(options) - set(specs))
    if unknown:
        raise InputError('%s: unknown %s %s (%s).' % (where, option_name, ', '.join(unknown), _what(cls)),
                         'Valid options are: %s.' % ', '.join(sorted(specs)))
    required = set(getattr(cls, 'REQUIRED_OPTIONS', ()) or ())
    required.update(name for name, spec in specs.items() if spec.get('required'))
    missing = sorted(name for name in required if options.get(name) in (None, ''))
    if missing:
        raise InputError('%s: %s.%s is required (%s).' % (where, option_name, ', '.join(missing), _what(cls)),
                         'Add it to %s: %s.' % (option_name, '; '.join(
                             '%s: %s' % (m, cls.OPTIONS.get(m, '').rstrip('.')) for m in missing)))
    for key in sorted(options):
        spec = dict(specs[key], _name=key)
        try:
            options[key] = _coerce(options[key], spec)
        except ValueError as exc:
            shown = shorten(repr(options[key]), 40)
            raise InputError('%s: %s.%s is %s, not %s.' % (where, option_name, key, shown, exc),
                             'Give %s (%s).' % (exc, cls.OPTIONS.get(key, key).rstrip('.')))
    return options


def check_secrets(cls, given, where, secrets_option):
    """Secret names the class knows, each a string (or a number, e.g. a PIN); values unseen."""
    given = dict((k, v) for k, v in (given or {}).items() if v not in (None, ''))
    unknown = sorted(set(given) - set(cls.SECRETS))
    if unknown:
        raise InputError('%s: unknown %s %s (%s).' % (where, secrets_option, ', '.join(unknown), _what(cls)),
                         'Valid secrets are: %s.' % (', '.join(sorted(cls.SECRETS)) or 'none'))
    for key, value in sorted(given.items()):
        if isinstance(value, (bool, dict, list)):
            # The value is a secret: its type is named, never the value.
            raise InputError('%s: %s.%s is a %s, not a string.' % (where, secrets_option, key, type(value).__name__),
                             'Give the secret as a string.')
