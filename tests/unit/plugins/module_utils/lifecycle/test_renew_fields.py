"""certificate_renew's ``fields`` (due: true): each entry of ``certificates`` carries only what
was asked for, in certificate_info's vocabulary, built without the full entry."""
import datetime

import pytest

from ansible_collections.pki.lifecycle.plugins.module_utils.errors import InputError
from ansible_collections.pki.lifecycle.plugins.module_utils.lifecycle.results import (
    PEM_FIELDS, certificate_entry, certificate_result,
)
from ansible_collections.pki.lifecycle.plugins.modules import certificate_info, certificate_renew

ALWAYS = {'certificate', 'changed', 'reason', 'renewed_from'}


class _Ctx(object):
    diff_mode = False
    now = datetime.datetime.now(datetime.timezone.utc)


def test_fields_speak_certificate_info_vocabulary():
    # Every name certificate_renew accepts means what it means in certificate_info, but for the
    # few only a renewal returns; and every key of a returned record can be asked for.
    assert set(certificate_renew.FIELDS) - set(certificate_info.FIELDS) == {'issued_by', 'root_pem', 'fullchain_pem'}
    spec = certificate_renew.module_spec()['argument_spec']['fields']
    assert spec['choices'] == list(certificate_renew.FIELDS)


def test_each_field_alone_is_the_full_entry_narrowed(pki):
    """certificate_entry with one field = certificate_result with everything, cut down."""
    record = pki.certificates(uuid=pki.issue()['certificate']['uuid'])[0]
    full = certificate_result(record, True, 'why', _Ctx(), renew_before='30')
    assert set(full['certificate']) | set(PEM_FIELDS) == set(certificate_renew.FIELDS)  # nothing left out
    for field in certificate_renew.FIELDS:
        entry = certificate_entry(record, True, 'why', _Ctx(), [field], renew_before='30')
        if field in PEM_FIELDS:
            assert entry == dict(changed=True, reason='why', certificate={}, **{field: full[field]}), field
            assert entry[field] or field == 'chain_pem', field   # the embedded CA returns a root, no chain
        else:
            assert entry == dict(changed=True, reason='why', certificate={field: full['certificate'][field]}), field
    assert certificate_entry(record, True, 'why', _Ctx(), None, renew_before='30') == full
    assert certificate_entry(record, True, 'why', _Ctx(), [], renew_before='30') == full


def test_renew_due_with_fields_returns_only_those(pki):
    old = dict((c['certificate']['uuid'], c['certificate'])
               for c in (pki.issue(name='f%d.example.org' % i) for i in range(3)))
    result = pki.run('renew', due=True, ra_profile='web', renew_before='100%', fields=['uuid', 'not_after'])
    assert result['renewed'] == 3 and result['errors'] == []
    assert sorted(c['renewed_from'] for c in result['certificates']) == sorted(old)
    for item in result['certificates']:
        assert set(item) == ALWAYS and item['changed'] is True, item
        assert set(item['certificate']) == {'uuid', 'not_after'}, item
        [stored] = pki.certificates(uuid=item['certificate']['uuid'])
        assert stored['state'] == 'issued' and stored['renewed_from'] == item['renewed_from']
        assert stored['not_after'] == item['certificate']['not_after']
        assert stored['spki_sha256'] == old[item['renewed_from']]['spki_sha256']   # same key


def test_renew_due_with_pem_fields(pki):
    pki.issue(name='p.example.org')
    result = pki.run('renew', due=True, ra_profile='web', renew_before='100%',
                     fields=['lineage', 'certificate_pem', 'root_pem'])
    [item] = result['certificates']
    assert set(item) == ALWAYS | {'certificate_pem', 'root_pem'}
    assert item['certificate'] == {'lineage': {'renewed_from': item['renewed_from'], 'rekeyed_from': None}}
    [stored] = pki.certificates(renewed_from=item['renewed_from'])
    assert item['certificate_pem'] == stored['certificate_pem'] != ''
    assert item['root_pem'] == (pki.ca_dir / 'ca.pem').read_text()


def test_fields_without_due_is_refused_with_the_fix(pki):
    issued = pki.issue()['certificate']
    before = pki.snapshot()
    with pytest.raises(InputError) as err:
        pki.run('renew', certificate=issued['uuid'], force=True, fields=['uuid'])
    assert 'fields' in err.value.message and 'due: true' in err.value.hint
    assert pki.snapshot() == before
