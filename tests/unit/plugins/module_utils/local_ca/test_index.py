# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""local_ca/index.py: serials, issued/<serial>.pem + issued.jsonl, and finding them after a crash."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import stat

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
    """Inside a batch nothing is written per certificate; end_batch writes every PEM file, then
    appends every index line at once, each carrying its PEM, with one fsync (of the index) and
    no sync of the whole machine; serials handed out meanwhile are never reused."""
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
    assert sorted(p.name for p in (tmp_path / 'ca' / 'issued').iterdir()) == [before + '.pem']
    assert len((tmp_path / 'ca' / 'issued.jsonl').read_text().splitlines()) == 1
    assert index.serials() >= set(serials)  # new_serial() knows them already
    synced = []

    def no_sync():
        raise AssertionError('os.sync() flushes every file system of the machine')
    real_fsync = os.fsync
    monkeypatch.setattr('os.sync', no_sync)
    monkeypatch.setattr('os.fsync', lambda fd: synced.append((
        os.readlink('/proc/self/fd/%d' % fd), sorted(p.name for p in (tmp_path / 'ca' / 'issued').iterdir()),
        len((tmp_path / 'ca' / 'issued.jsonl').read_text().splitlines()))) or real_fsync(fd))
    index.end_batch()
    # One fsync, of the index, once every PEM file and every line was written.
    assert synced == [(str(tmp_path / 'ca' / 'issued.jsonl'), sorted([before + '.pem'] + [s + '.pem' for s in serials]), 4)]
    lines = [json.loads(line) for line in (tmp_path / 'ca' / 'issued.jsonl').read_text().splitlines()]
    assert [line['serial'] for line in lines] == [before] + serials
    assert [line.get('certificate_pem') for line in lines] == [None] + [PEM % ('B%d' % i) for i in range(3)]
    assert index.find('u2') == (serials[1], PEM % 'B1')
    # A PEM file a crash tore (unsynced) does not matter: the synced line has the PEM.
    (tmp_path / 'ca' / 'issued' / (serials[1] + '.pem')).write_text('-----BEGIN CERT')
    assert IssuedIndex(index.layout).find('u2') == (serials[1], PEM % 'B1')
    index.record('%x' % index.new_serial(), PEM % 'AFTER', {'record_uuid': 'u9'})  # unbatched again
    assert len((tmp_path / 'ca' / 'issued.jsonl').read_text().splitlines()) == 5
    last = json.loads((tmp_path / 'ca' / 'issued.jsonl').read_text().splitlines()[-1])['serial']
    assert IssuedIndex(index.layout).serials() == set([before] + serials + [last])  # lines with PEMs parse too


def test_batch_pems_are_written_in_place_with_their_mode(tmp_path):
    """A batch writes each new PEM in place (no temporary file and rename): mode 0644 whatever
    the umask, and a leftover of the same serial (torn by a crash before its index line) is
    replaced whole."""
    index = index_at(tmp_path)
    index.record('%x' % index.new_serial(), PEM % 'FIRST', {'record_uuid': 'u0'})  # creates issued/
    leftover = '%x' % index.new_serial()
    (tmp_path / 'ca' / 'issued' / (leftover + '.pem')).write_text('-----BEGIN CERT')
    old_umask = os.umask(0o077)
    try:
        index.begin_batch()
        fresh = '%x' % index.new_serial()
        index.record(fresh, PEM % 'FRESH', {'record_uuid': 'u1'})
        index.record(leftover, PEM % 'AGAIN', {'record_uuid': 'u2'})
        index.end_batch()
    finally:
        os.umask(old_umask)
    for serial, body in ((fresh, 'FRESH'), (leftover, 'AGAIN')):
        path = tmp_path / 'ca' / 'issued' / (serial + '.pem')
        assert path.read_text() == PEM % body
        assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert not [p.name for p in (tmp_path / 'ca' / 'issued').iterdir() if not p.name.endswith('.pem')]
    assert index.find('u1') == (fresh, PEM % 'FRESH') and index.find('u2') == (leftover, PEM % 'AGAIN')
