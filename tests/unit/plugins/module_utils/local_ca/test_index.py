# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""local_ca/index.py: serials, issued/<serial>.pem + issued.jsonl, and finding them after a crash."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os

import pytest

from ansible_collections.pki.lifecycle.plugins.module_utils.errors import ConnectorError
from ansible_collections.pki.lifecycle.plugins.module_utils.local_ca.index import IssuedIndex, random_serial
from ansible_collections.pki.lifecycle.plugins.module_utils.local_ca.layout import Layout

PEM = '-----BEGIN CERTIFICATE-----\n%s\n-----END CERTIFICATE-----\n'


def index_at(tmp_path):
    layout = Layout(str(tmp_path / 'ca'))
    layout.ensure()
    return IssuedIndex(layout)


def test_random_serial_shape():
    serials = set(random_serial() for dummy in range(200))
    assert len(serials) == 200
    for serial in serials:
        # 127 bits, top bit set: always 32 hex digits, positive, 16 DER octets.
        assert serial.bit_length() == 127
        assert len('%x' % serial) == 32


def test_record_writes_pem_and_line(tmp_path):
    index = index_at(tmp_path)
    serial = '%x' % index.new_serial()
    index.record(serial, PEM % 'AAAA', {'record_uuid': 'u1', 'subject': 'CN=a'})
    assert (tmp_path / 'ca' / 'issued' / (serial + '.pem')).read_text() == PEM % 'AAAA'
    lines = (tmp_path / 'ca' / 'issued.jsonl').read_text().splitlines()
    assert [json.loads(line) for line in lines] == [{'record_uuid': 'u1', 'serial': serial, 'subject': 'CN=a'}]
    assert lines[0] == json.dumps(json.loads(lines[0]), sort_keys=True)  # the format existing files have
    assert index.serials() == {serial}


def test_find_newest_for_record(tmp_path):
    index = index_at(tmp_path)
    assert index.find('u1') is None  # no index yet
    index.record('a1', PEM % 'first', {'record_uuid': 'u1'}, sync=False)
    index.record('b2', PEM % 'other', {'record_uuid': 'u2'})
    index.record('c3', PEM % 'second', {'record_uuid': 'u1'})
    assert index.find('u1') == ('c3', PEM % 'second')
    assert index.find('u2') == ('b2', PEM % 'other')
    assert index.find('u3') is None and index.find(None) is None
    # An entry whose PEM is gone is passed over for an older one that has it.
    (tmp_path / 'ca' / 'issued' / 'c3.pem').unlink()
    assert index.find('u1') == ('a1', PEM % 'first')


def test_torn_line_from_a_crash(tmp_path):
    index = index_at(tmp_path)
    index.record('a1', PEM % 'a', {'record_uuid': 'u1'})
    path = tmp_path / 'ca' / 'issued.jsonl'
    with open(str(path), 'a') as handle:
        handle.write('{"record_uuid": "u2", "ser')  # the process died mid-line
    fresh = IssuedIndex(index.layout)
    assert fresh.serials() == {'a1'}
    assert [e['serial'] for e in fresh.entries()] == ['a1']
    fresh.record('b2', PEM % 'b', {'record_uuid': 'u3'})
    lines = path.read_text().splitlines()
    assert len(lines) == 3 and json.loads(lines[2])['serial'] == 'b2'  # the torn line was ended
    assert [e['serial'] for e in fresh.entries()] == ['a1', 'b2']
    assert fresh.serials() == {'a1', 'b2'}
    assert fresh.find('u3') == ('b2', PEM % 'b')


def test_serials_read_incrementally_and_see_other_writers(tmp_path):
    mine = index_at(tmp_path)
    other = IssuedIndex(mine.layout)  # another process on the same directory
    mine.record('a1', PEM % 'a', {})
    assert mine.serials() == {'a1'}
    other.record('b2', PEM % 'b', {})
    assert mine.serials() == {'a1', 'b2'}
    # A shorter file (restored from a backup) is read again from the start.
    (tmp_path / 'ca' / 'issued.jsonl').write_text(json.dumps({'serial': 'c3'}) + '\n')
    assert mine.serials() == {'c3'}
    assert '%x' % mine.new_serial() not in mine.serials()


def test_batch_writes_everything_at_its_end(tmp_path, monkeypatch):
    """Inside a batch nothing is written per certificate; end_batch appends every index line at
    once, each carrying its PEM (no file per certificate), with one fsync, of the index, and no
    sync of the whole machine; serials handed out meanwhile are never reused."""
    index = index_at(tmp_path)
    before = '%x' % index.new_serial()
    index.record(before, PEM % 'OLD', {'record_uuid': 'u0'})
    index.begin_batch()
    serials = []
    for i in range(3):
        serial = '%x' % index.new_serial()
        serials.append(serial)
        index.record(serial, PEM % ('B%d' % i), {'record_uuid': 'u%d' % (i + 1)})
    assert len(set(serials + [before])) == 4
    assert len((tmp_path / 'ca' / 'issued.jsonl').read_text().splitlines()) == 1
    assert index.serials() >= set(serials)  # new_serial() knows them already
    synced = []

    def no_sync():
        raise AssertionError('os.sync() flushes every file system of the machine')
    real_fsync = os.fsync
    monkeypatch.setattr('os.sync', no_sync)
    monkeypatch.setattr('os.fsync', lambda fd: synced.append((
        os.readlink('/proc/self/fd/%d' % fd), len((tmp_path / 'ca' / 'issued.jsonl').read_text().splitlines())))
        or real_fsync(fd))
    index.end_batch()
    assert synced == [(str(tmp_path / 'ca' / 'issued.jsonl'), 4)]   # one fsync, of the index, once written
    assert sorted(p.name for p in (tmp_path / 'ca' / 'issued').iterdir()) == [before + '.pem']
    lines = [json.loads(line) for line in (tmp_path / 'ca' / 'issued.jsonl').read_text().splitlines()]
    assert [line['serial'] for line in lines] == [before] + serials
    assert [line.get('certificate_pem') for line in lines] == [None] + [PEM % ('B%d' % i) for i in range(3)]
    fresh = IssuedIndex(index.layout)   # another process (crash recovery)
    assert fresh.find('u2') == (serials[1], PEM % 'B1') and fresh.find('u0') == (before, PEM % 'OLD')
    index.record('%x' % index.new_serial(), PEM % 'AFTER', {'record_uuid': 'u9'})  # unbatched again: a file
    assert len((tmp_path / 'ca' / 'issued.jsonl').read_text().splitlines()) == 5
    last = json.loads((tmp_path / 'ca' / 'issued.jsonl').read_text().splitlines()[-1])
    assert 'certificate_pem' not in last and (tmp_path / 'ca' / 'issued' / (last['serial'] + '.pem')).exists()
    assert IssuedIndex(index.layout).serials() == set([before] + serials + [last['serial']])


def test_serials_are_read_without_parsing_lines_and_never_from_a_value(tmp_path):
    """serials() finds each line's serial key; text that looks like one inside a value (a
    subject, a PEM) is not a serial, and a torn tail is read once whole."""
    index = index_at(tmp_path)
    index.record('a1', PEM % 'a', {'record_uuid': 'u1', 'subject': 'CN="serial": "dead"'})
    index.begin_batch()
    index.record('b2', PEM % 'b', {'record_uuid': 'u2', 'subject': 'O=x\\\\", "serial": "beef'})
    index.end_batch()
    path = tmp_path / 'ca' / 'issued.jsonl'
    with open(str(path), 'a') as handle:
        handle.write('{"serial": "c3", "record')   # torn: the writer died
    assert IssuedIndex(index.layout).serials() == {'a1', 'b2'}
    assert [e['serial'] for e in IssuedIndex(index.layout).entries()] == ['a1', 'b2']
    with open(str(path), 'a') as handle:
        handle.write('_uuid": "u3"}\n')   # the line completed (another writer's view of it)
    assert IssuedIndex(index.layout).serials() == {'a1', 'b2', 'c3'}


def test_two_batches_at_once_and_a_serial_taken_meanwhile(tmp_path):
    """Two processes of a due sweep batch the same CA at once (the lock is held only to begin and
    to end a batch): both batches are written whole; a serial another batch wrote meanwhile is
    refused at the end, with nothing of that batch written."""
    first, second = index_at(tmp_path), IssuedIndex(Layout(str(tmp_path / 'ca')))
    first.begin_batch()
    second.begin_batch()
    mine = ['%x' % first.new_serial() for dummy in range(2)]
    theirs = ['%x' % second.new_serial() for dummy in range(2)]
    for serial in mine:
        first.record(serial, PEM % serial, {'record_uuid': 'a-' + serial})
    for serial in theirs:
        second.record(serial, PEM % serial, {'record_uuid': 'b-' + serial})
    first.end_batch()
    second.end_batch()
    assert first.serials() >= set(mine + theirs) and second.serials() >= set(mine + theirs)
    assert sorted(e['serial'] for e in first.entries()) == sorted(mine + theirs)
    # The clash: a third batch that happens to draw a serial the first one wrote after it began.
    third = IssuedIndex(Layout(str(tmp_path / 'ca')))
    third.begin_batch()
    first.begin_batch()
    taken = '%x' % first.new_serial()
    first.record(taken, PEM % taken, {'record_uuid': 'late'})
    first.end_batch()
    third.record(taken, PEM % taken, {'record_uuid': 'clash'})
    with pytest.raises(ConnectorError) as raised:
        third.end_batch()
    assert taken in raised.value.message and 'Run the task again' in raised.value.hint
    assert [e['record_uuid'] for e in first.entries()].count('clash') == 0
