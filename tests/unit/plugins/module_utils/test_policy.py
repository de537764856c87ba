"""Pure logic of RA profile policy and lifecycle decisions."""
import datetime

import pytest

from ansible_collections.pki.lifecycle.plugins.module_utils import policy
from ansible_collections.pki.lifecycle.plugins.module_utils.lifecycle.request import request_identity
from ansible_collections.pki.lifecycle.plugins.module_utils.lifecycle.results import validation_status
from ansible_collections.pki.lifecycle.plugins.module_utils.lifecycle.revoke import normalize_reason
from ansible_collections.pki.lifecycle.plugins.module_utils.vocabulary import iso
from ansible_collections.pki.lifecycle.plugins.module_utils.errors import InputError, PolicyError


@pytest.mark.parametrize('value,expected', [
    ('30', ('days', 30.0)), ('30d', ('days', 30.0)), ('7 days', ('days', 7.0)), ('33%', ('percent', 33.0)),
    ('8h', ('days', 28800 / 86400.0)), ('1.5 hours', ('days', 5400 / 86400.0)), ('30m', ('days', 1800 / 86400.0)),
    ('5 minutes', ('days', 300 / 86400.0)), ('2min', ('days', 120 / 86400.0)),
])
def test_parse_renew_before(value, expected):
    assert policy.parse_renew_before(value) == expected


@pytest.mark.parametrize('value', ['soon', '101%', '-3', '0%'])
def test_parse_renew_before_refuses(value):
    with pytest.raises(InputError):
        policy.parse_renew_before(value)


def test_renewal_window_defaults_to_a_third():
    assert policy.renewal_window_seconds(None, 90 * 86400) == 30 * 86400
    assert policy.renewal_window_seconds('10%', 100) == 10
    assert policy.renewal_window_seconds('2', 10 ** 9) == 2 * 86400


@pytest.mark.parametrize('kind,value,allowed', [
    ('DNS', 'www.example.org', True),
    ('DNS', 'a.b.example.org', False),
    ('DNS', 'example.org', True),
    ('DNS', 'www.example.org.evil.test', False),
    ('IP', '10.1.2.3', True),
    ('IP', '192.168.0.1', False),
    ('DNS', 'deep.sub.corp.test', True),
    # a wildcard stands for one label of at most 63 characters, a name is at most 253 (RFC 5280)
    ('DNS', 'l' * 63 + '.example.org', True),
    ('DNS', 'l' * 64 + '.example.org', False),
    ('DNS', 'l' * 5000 + '.example.org', False),
    ('DNS', '.'.join(['l' * 60] * 5) + '.corp.test', False),
    ('DNS', '.'.join(['l' * 60] * 3) + '.corp.test', True),
    ('CN', 'l' * 64 + '.example.org', False),
])
def test_name_patterns(kind, value, allowed):
    patterns = ['*.example.org', 'example.org', '10.0.0.0/8', '**.corp.test']
    assert policy.name_allowed(patterns, kind, value) is allowed


def test_check_names_lists_every_refused_name():
    with pytest.raises(PolicyError) as err:
        policy.check_names({'allowed_names': ['*.example.org']}, 'x.example.org', ['DNS:a.evil.test', 'IP:1.2.3.4'])
    assert 'DNS:a.evil.test' in err.value.message and 'IP:1.2.3.4' in err.value.message


def test_check_key():
    policy.check_key({}, ('rsa', 2048))
    with pytest.raises(PolicyError, match='2048'):
        policy.check_key({}, ('rsa', 1024))
    policy.check_key({'min_rsa_bits': 1024}, ('rsa', 1024))
    with pytest.raises(PolicyError, match='ED25519'):
        policy.check_key({'key_types': ['ec']}, ('ed25519', None))


def test_validity():
    policy.check_validity({'max_validity_days': 90}, 90)
    with pytest.raises(PolicyError):
        policy.check_validity({'max_validity_days': 90}, 91)
    assert policy.effective_validity({'max_validity_days': 30}, None, 90) == 30
    assert policy.effective_validity({}, None, None) is None


def test_normalize_policy_refuses_unknown_keys():
    with pytest.raises(InputError, match='Valid policy keys'):
        policy.normalize_policy({'colour': 'red'})


def test_identity_ignores_san_order_and_depends_on_key():
    a = request_identity('p', 'CN=x', ['DNS:a', 'DNS:b'], 'k1')
    assert a == request_identity('p', 'CN=x', ['DNS:b', 'DNS:a'], 'k1')
    assert a != request_identity('p', 'CN=x', ['DNS:a', 'DNS:b'], 'k2')
    assert a != request_identity('q', 'CN=x', ['DNS:a', 'DNS:b'], 'k1')


def _record(days_left, lifetime=90, state='issued'):
    now = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
    not_after = now + datetime.timedelta(days=days_left)
    not_before = not_after - datetime.timedelta(days=lifetime)
    return now, dict(state=state, not_before=iso(not_before), not_after=iso(not_after))


@pytest.mark.parametrize('days_left,renew_before,expected', [
    (60, None, 'valid'), (29, None, 'expiring'), (-1, None, 'expired'), (40, '50%', 'expiring'), (40, '30', 'valid'),
])
def test_validation_status(days_left, renew_before, expected):
    now, record = _record(days_left)
    assert validation_status(record, now, renew_before) == expected


def test_validation_status_of_other_states():
    now, record = _record(60, state='revoked')
    assert validation_status(record, now) == 'revoked'
    record['state'] = 'failed'
    assert validation_status(record, now) == 'invalid'


def test_revocation_reasons():
    assert normalize_reason('keycompromise') == 'keyCompromise'
    assert normalize_reason(None) == 'unspecified'
    with pytest.raises(InputError) as err:
        normalize_reason('because')
    assert 'cessationOfOperation' in str(err.value)


@pytest.mark.parametrize('value', [0, -5, '0', 'ninety', True, None, 1.5])
def test_validity_days_below_one_or_not_a_number_is_refused(value):
    with pytest.raises(InputError) as err:
        policy.check_validity({}, value if value is not None else 'x')
    assert 'validity_days' in err.value.message and 'at least 1' in err.value.message


@pytest.mark.parametrize('key', ['max_validity_days', 'min_rsa_bits'])
def test_normalize_policy_refuses_zero_and_negatives(key):
    for value in (0, -5, 'x'):
        with pytest.raises(InputError, match='policy.%s' % key):
            policy.normalize_policy({key: value})
    assert policy.normalize_policy({key: '30'})[key] == 30


def test_refused_names_are_shortened():
    with pytest.raises(PolicyError) as err:
        policy.check_names({'allowed_names': ['*.example.org']}, None, ['DNS:' + 'a' * 5000 + '.evil.test'])
    assert len(err.value.message) < 300 and '5014 characters' in err.value.message
