"""lifecycle/results.py: the derived validation status, superseded included."""
import datetime

import pytest

from ansible_collections.pki.lifecycle.plugins.module_utils.lifecycle.results import (
    public_record, record_field, validation_status,
)
from ansible_collections.pki.lifecycle.plugins.module_utils.vocabulary import RECORD_FIELDS, VALIDATION_STATUSES, iso

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


def test_each_field_alone_is_the_field_of_the_public_record():
    """A narrow fields list (certificate_info, a due sweep) gets each key as public_record has it."""
    now = START + datetime.timedelta(days=25)
    rec = dict(record(), renewed_from='u0', serial='0a', labels={'host': 'h'},
               connector_data={'issued_by': {'url': 'https://ca.test'}, 'profile': 'tlsserver'})
    full = public_record(rec, now, None, 'u2')
    assert full['lineage'] == {'renewed_from': 'u0', 'rekeyed_from': None}
    assert full['issued_by'] == {'url': 'https://ca.test', 'certificate_profile': 'tlsserver'}
    for key, value in full.items():
        assert record_field(rec, key, now, None, 'u2') == value, key


def test_the_fields_vocabulary_is_every_key_of_the_public_record():
    """certificate_info's and certificate_renew's ``fields`` choices start from RECORD_FIELDS:
    it must name exactly the keys public_record returns (issued_by only a renewal offers)."""
    record = dict(uuid='u', state='issued', not_before='2026-01-01T00:00:00Z', not_after='2027-01-01T00:00:00Z')
    assert set(RECORD_FIELDS) | {'issued_by'} == set(public_record(record))
    assert len(set(RECORD_FIELDS)) == len(RECORD_FIELDS)
