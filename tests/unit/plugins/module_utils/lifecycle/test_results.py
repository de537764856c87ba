"""lifecycle/results.py: the derived validation status, superseded included."""
import datetime

import pytest

from ansible_collections.pki.lifecycle.plugins.module_utils.lifecycle.results import public_record, validation_status
from ansible_collections.pki.lifecycle.plugins.module_utils.vocabulary import VALIDATION_STATUSES, iso

START = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)


def record(state='issued', days=30):
    return dict(uuid='u1', state=state, not_before=iso(START), not_after=iso(START + datetime.timedelta(days=days)))


@pytest.mark.parametrize('state, day, successor, expected', [
    ('issued', 1, None, 'valid'),
    ('issued', 25, None, 'expiring'),        # inside the last third
    ('issued', 31, None, 'expired'),
    ('issued', 1, 'u2', 'superseded'),
    ('issued', 25, 'u2', 'superseded'),      # replaced: not expiring, nothing to do
    ('issued', 31, 'u2', 'superseded'),      # replaced: not expired either
    ('revoked', 1, 'u2', 'revoked'),         # a revocation is never hidden
    ('revoked', 31, None, 'revoked'),
    ('failed', 1, None, 'invalid'),
])
def test_validation_status(state, day, successor, expected):
    now = START + datetime.timedelta(days=day)
    assert validation_status(record(state), now, None, successor) == expected
    assert expected in VALIDATION_STATUSES


def test_public_record_says_superseded_by():
    now = START + datetime.timedelta(days=40)
    current = public_record(record(), now)
    assert current['superseded_by'] is None and current['validation_status'] == 'expired'
    replaced = public_record(record(), now, superseded_by='u2')
    assert replaced['superseded_by'] == 'u2' and replaced['validation_status'] == 'superseded'
