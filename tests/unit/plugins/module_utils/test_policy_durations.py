"""renew_before in hours and minutes (short-lived certificates) and the short-lived default."""
import pytest

from ansible_collections.pki.lifecycle.plugins.module_utils import policy
from ansible_collections.pki.lifecycle.plugins.module_utils.errors import InputError


@pytest.mark.parametrize('value,seconds', [
    ('8h', 8 * 3600), ('30m', 1800), ('1.5h', 5400), ('2 hours', 7200), ('45min', 2700), ('2d', 172800), ('3', 259200),
])
def test_hours_and_minutes(value, seconds):
    kind, days = policy.parse_renew_before(value)
    assert kind == 'days'
    assert round(days * 86400) == seconds
    assert round(policy.renewal_window_seconds(value, 6 * 86400)) == seconds


@pytest.mark.parametrize('value', ['8x', '30mo', 'h', '8 h m', '-8h'])
def test_bad_units_refused_with_the_fix(value):
    with pytest.raises(InputError) as info:
        policy.parse_renew_before(value)
    assert "'8h'" in info.value.hint and "'30m'" in info.value.hint


def test_normalize_policy_accepts_hours():
    assert policy.normalize_policy({'renew_before': '8h'})['renew_before'] == '8h'


def test_short_lived_default_is_half_the_lifetime():
    six_days = 6 * 86400
    assert policy.renewal_window_seconds(None, six_days) == six_days / 2
    # just under and at the ten-day line
    assert policy.renewal_window_seconds(None, 10 * 86400 - 1) == (10 * 86400 - 1) / 2
    assert policy.renewal_window_seconds(None, 10 * 86400) == 10 * 86400 / 3
    assert policy.renewal_window_seconds(None, 90 * 86400) == 30 * 86400
    # an explicit value wins
    assert policy.renewal_window_seconds('33%', six_days) == six_days * 0.33


def test_self_contained_parser():
    assert policy.parse_duration_or_percent('8h') == ('seconds', 28800)
    assert policy.parse_duration_or_percent('50%') == ('percent', 50.0)
    assert policy.parse_duration_or_percent('soon') is None
