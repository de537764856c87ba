# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""RA profile policy: which keys, names and validity a profile accepts.

Pure functions on plain values, so the lifecycle layer can check a request before
anything is written or any CA is called.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import ipaddress
import re

from ansible_collections.pki.lifecycle.plugins.module_utils.errors import InputError, PolicyError
from ansible_collections.pki.lifecycle.plugins.module_utils.vocabulary import (
    KEY_TYPES, POLICY_CURVES, UB_DNS_LABEL, UB_DNS_NAME, shorten,
)

POLICY_KEYS = ('key_types', 'min_rsa_bits', 'allowed_names', 'max_validity_days', 'renew_before')
# RSA below this is refused unless the profile lowers min_rsa_bits explicitly.
DEFAULT_MIN_RSA_BITS = 2048


def normalize_policy(policy):
    """Validate a policy dict from the user; return it with defaults filled and Nones dropped."""
    policy = dict((k, v) for k, v in (policy or {}).items() if v is not None)
    unknown = sorted(set(policy) - set(POLICY_KEYS))
    if unknown:
        raise InputError('Unknown policy key(s) %s.' % ', '.join(unknown),
                         'Valid policy keys are: %s.' % ', '.join(POLICY_KEYS))
    for key_type in policy.get('key_types') or []:
        if key_type not in KEY_TYPES:
            raise InputError('Unknown key type %r in policy.key_types.' % key_type,
                             'Use some of: %s.' % ', '.join(KEY_TYPES))
    for key in ('min_rsa_bits', 'max_validity_days'):
        if key in policy:
            policy[key] = positive_days(policy[key], 'policy.%s' % key,
                                        'Give a whole number of at least 1, or leave %s out.' % key)
    if 'renew_before' in policy:
        parse_renew_before(policy['renew_before'])
        policy['renew_before'] = str(policy['renew_before'])
    for pattern in policy.get('allowed_names') or []:
        if not isinstance(pattern, str) or not pattern:
            raise InputError('policy.allowed_names holds %r, which is not a name pattern.' % (pattern,),
                             "Use DNS patterns like '*.example.org' or IP networks like '10.0.0.0/8'.")
    return policy


def positive_days(value, name, hint=None):
    """An int of at least 1 from ``value``; 0 and negatives are refused, never taken as "not set"."""
    try:
        number = int(value) if not isinstance(value, bool) and str(value).strip().lstrip('-').isdigit() else None
    except (TypeError, ValueError):
        number = None
    if number is None or number < 1:
        raise InputError('%s is %s, which is not a number of at least 1.' % (name, shorten(repr(value), 40)),
                         hint or 'Give a whole number of days of at least 1, or leave %s out for the RA '
                                 "profile's default." % name)
    return number


def parse_renew_before(value):
    """'30', '30d' -> ('days', 30.0); '8h' -> ('days', 0.333...); '30m' -> ('days', 0.0208...);
    '33%' -> ('percent', 33.0)."""
    parsed = parse_duration_or_percent(value)
    if parsed is None:
        raise InputError('renew_before %r is neither a duration nor a percentage.' % (value,),
                         "Write days like '30' or '30d', hours like '8h', minutes like '30m', "
                         "or a share of the lifetime like '33%'.")
    kind, number = parsed
    if kind == 'percent':
        if not 0 < number <= 100:
            raise InputError('renew_before %r is not a percentage above 0 and up to 100.' % (value,),
                             "Write a share of the lifetime like '33%'.")
        return ('percent', number)
    return ('days', number / 86400.0)


# Units of a renewal window; 'm' is minutes (short-lived certificates), never months.
DURATION_UNITS = {'': 86400, 'd': 86400, 'day': 86400, 'days': 86400, 'h': 3600, 'hour': 3600, 'hours': 3600,
                  'm': 60, 'min': 60, 'mins': 60, 'minute': 60, 'minutes': 60}


def parse_duration_or_percent(value):
    """Self-contained: '30' / '30d' / '8h' / '30m' -> ('seconds', n); '33%' -> ('percent', n); else None.

    A bare number is days (what renew_before always meant)."""
    text = str(value).strip().lower()
    match = re.match(r'^(\d+(?:\.\d+)?)\s*([a-z]*|%)$', text)
    if not match:
        return None
    number, unit = float(match.group(1)), match.group(2)
    if unit == '%':
        return ('percent', number)
    if unit not in DURATION_UNITS:
        return None
    return ('seconds', number * DURATION_UNITS[unit])


# Below this lifetime a certificate is short-lived: renewal opens at half of it by default
# (Let's Encrypt's 6-day profile), not at a third.
SHORT_LIVED_SECONDS = 10 * 86400


def renewal_window_seconds(renew_before, lifetime_seconds):
    """How long before not_after the renewal window opens. Default: a third of the lifetime,
    half of it for short-lived certificates (under ten days)."""
    if renew_before in (None, ''):
        if lifetime_seconds < SHORT_LIVED_SECONDS:
            return lifetime_seconds / 2.0
        return lifetime_seconds / 3.0
    kind, number = parse_renew_before(renew_before)
    if kind == 'percent':
        return lifetime_seconds * number / 100.0
    return number * 86400.0


def check_key(policy, key_spec):
    """key_spec: ('rsa', bits) / ('ec', curve) / ('ed25519', None)."""
    key_type, size = key_spec
    allowed = policy.get('key_types')
    if allowed and key_type not in allowed:
        raise PolicyError('The RA profile does not accept %s keys.' % key_type.upper(),
                          'Use a key of type %s.' % ' or '.join(allowed))
    if key_type == 'rsa':
        minimum = int(policy.get('min_rsa_bits') or DEFAULT_MIN_RSA_BITS)
        if size < minimum:
            raise PolicyError('The key is RSA %d bits, weaker than the %d bits the RA profile requires.'
                              % (size, minimum),
                              'Generate an RSA key of at least %d bits (or an EC key).' % minimum)
    if key_type == 'ec' and size not in POLICY_CURVES:
        raise PolicyError('The EC curve %s is not accepted.' % size,
                          'Use one of: %s.' % ', '.join(POLICY_CURVES))


def _dns_pattern_regex(pattern):
    # '*' stands for exactly one DNS label, as in certificate wildcards; a leading '**.'
    # stands for one or more labels, for profiles that allow a whole subtree.
    # A wildcard never stands for more than one label's RFC 1035 / RFC 5280 bound.
    label = '[^.]{1,%d}' % UB_DNS_LABEL
    pattern = pattern.lower().rstrip('.')
    if pattern.startswith('**.'):
        return re.compile(r'^(?:%s\.)+' % label + re.escape(pattern[3:]) + '$')
    parts = [re.escape(part) for part in pattern.split('*')]
    return re.compile('^' + label.join(parts) + '$')


def name_allowed(patterns, kind, value):
    """Is one name (kind 'DNS', 'IP', 'email', 'URI', 'CN') allowed by the patterns?"""
    if not patterns:
        return True
    if kind in ('DNS', 'CN') and len(value.rstrip('.')) > UB_DNS_NAME:
        return False
    for pattern in patterns:
        if kind == 'IP':
            try:
                if ipaddress.ip_address(value) in ipaddress.ip_network(pattern, strict=False):
                    return True
            except ValueError:
                continue
        elif kind == 'email':
            domain = value.rsplit('@', 1)[-1]
            if _dns_pattern_regex(pattern).match(value.lower()) or _dns_pattern_regex(pattern).match(domain.lower()):
                return True
        else:
            if _dns_pattern_regex(pattern).match(value.lower()):
                return True
    return False


def check_names(policy, common_name, subject_alt_names):
    """subject_alt_names: canonical strings 'DNS:x', 'IP:x', ... ; common_name may be None."""
    patterns = policy.get('allowed_names') or []
    refused = []
    if common_name and not name_allowed(patterns, 'CN', common_name):
        # A CN that is an IP address is checked as one.
        try:
            ipaddress.ip_address(common_name)
            if not name_allowed(patterns, 'IP', common_name):
                refused.append('CN=%s' % shorten(common_name))
        except ValueError:
            refused.append('CN=%s' % shorten(common_name))
    for san in subject_alt_names or []:
        kind, _sep, value = san.partition(':')
        if not name_allowed(patterns, kind, value):
            refused.append(shorten(san))
    if refused:
        raise PolicyError('The RA profile does not allow the name(s) %s.' % ', '.join(refused),
                          'Allowed names: %s. Request names that match, or change the profile policy.'
                          % ', '.join(patterns))


def check_validity(policy, validity_days):
    if validity_days is not None:
        positive_days(validity_days, 'validity_days')
    maximum = policy.get('max_validity_days')
    if maximum and validity_days and int(validity_days) > int(maximum):
        raise PolicyError('validity_days %s is longer than the %s days the RA profile allows.'
                          % (validity_days, maximum),
                          'Ask for %s days or fewer.' % maximum)


def effective_validity(policy, requested, connector_default=None):
    """The validity to ask the CA for: requested, else the connector default, capped by policy."""
    days = requested if requested not in (None, '') else connector_default
    maximum = policy.get('max_validity_days')
    if days is None:
        return int(maximum) if maximum else None
    if maximum and int(days) > int(maximum) and not requested:
        return int(maximum)
    return int(days)
