# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the embedded CA issued: issued/<serial>.pem and the index issued.jsonl.

The index is how a crash is recovered: a certificate signed but never recorded in the
inventory is found again by the inventory record's uuid (``find``). The PEM is written
before its index line, so an index entry always has its PEM; a line torn by a crash
belongs to a certificate that was never returned, and is skipped. A batch (bulk renewal)
keeps each PEM in its index line (``certificate_pem``) instead of a file of its own, and
syncs the index once: one append and one fsync make the batch durable, where creating and
syncing thousands of small files cost more than signing them.

Serial numbers (CA and leaves) are 127-bit positive integers with the top bit set:
126 random bits (CA/B Forum asks for 64), never zero, always 32 hex digits, and they
encode in 16 DER octets (within RFC 5280's 20). They are written as lowercase hex.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import errno
import json
import os
import re

from ansible_collections.pki.lifecycle.plugins.module_utils.errors import ConnectorError
from ansible_collections.pki.lifecycle.plugins.module_utils.local_ca import layout as layoutlib
from ansible_collections.pki.lifecycle.plugins.module_utils.vocabulary import serial_hex, write_atomic


_SERIAL = re.compile(rb'"serial": "([0-9a-fA-F]+)"')


def random_serial():
    return (int.from_bytes(os.urandom(16), 'big') >> 1) | (1 << 126)


class IssuedIndex(object):

    def __init__(self, layout):
        self.layout = layout
        self._serials = None   # serials of issued.jsonl read so far (see serials())
        self._serials_at = 0   # ... up to this byte offset
        self._pending = None   # inside a batch: (serial, PEM, entry) written at its end

    def entries(self):
        """All whole index entries, oldest first."""
        try:
            with open(self.layout.index) as handle:
                lines = handle.read().splitlines()
        except (IOError, OSError) as exc:
            if exc.errno == errno.ENOENT:
                return []
            raise
        entries = []
        for line in lines:
            try:
                entries.append(json.loads(line))
            except ValueError:
                continue  # a line torn by a crash: its certificate was never returned
        return entries

    def serials(self):
        """Serials in issued.jsonl. Called under the lock, where the file only grows: only the
        lines appended since the last call are read, so bulk issuance stays linear."""
        path = self.layout.index
        try:
            size = os.path.getsize(path)
        except OSError:
            size = 0
        if self._serials is None or size < self._serials_at:
            self._serials, self._serials_at = set(), 0
        if size > self._serials_at:
            self._serials.update(self._read_serials(path))
        return self._serials

    def _read_serials(self, path):
        """The serials of the lines appended since the last read."""
        with open(path, 'rb') as handle:
            handle.seek(self._serials_at)
            data = handle.read()
        end = data.rfind(b'\n') + 1  # whole lines only; a torn tail is read again next time
        # The serial of each line, without parsing the line: lines of a batch carry their PEM
        # (a CA's index grows by megabytes), and every process reads them all once. Lines are
        # json.dumps(sort_keys=True): '"serial": "' appears as is only as that key (inside a
        # string value its quotes are escaped). A line torn by a crash: its certificate was
        # never returned; if its serial made it, it is merely not handed out again.
        self._serials_at += end
        return set(serial.decode('ascii') for serial in _SERIAL.findall(data, 0, end))

    def new_serial(self):
        """A random serial not in the index. Caller holds the lock."""
        # Inside a batch: the serials read when it began, and the batch's own (record() adds
        # them); what other processes append meanwhile is ruled out by end_batch().
        known = self._serials if self._pending is not None and self._serials is not None else self.serials()
        serial = random_serial()
        while serial_hex(serial) in known:  # 2^-126 per try; cheap to rule out anyway
            serial = random_serial()
        return serial

    def begin_batch(self):
        """From now on record() keeps what it is given; end_batch() writes it all at once."""
        self.serials()
        self._pending = []

    def end_batch(self):
        """Write what the batch issued: all its index lines, each carrying its PEM, in one append
        and one fsync. Caller holds the lock and has not yet told the inventory: as for one
        certificate, the PEM is on disk before the record says issued."""
        pending, self._pending = self._pending, None
        if pending and os.path.exists(self.layout.index) and self._serials is not None:
            # Appended by another process since the batch began (a due sweep's other shares).
            taken = self._read_serials(self.layout.index) if os.path.getsize(self.layout.index) > self._serials_at \
                else set()
            clash = sorted(taken & set(serial for serial, _pem, _entry in pending))
            self._serials.update(taken)
            if clash:   # 2^-126 per pair: never seen, but an index must not name two certificates
                raise ConnectorError('Serial %s was issued twice by concurrent runs; the batch is not recorded.'
                                     % clash[0], 'Run the task again: its certificates are issued anew.')
        if pending:
            self._append([dict(entry, certificate_pem=pem) for _serial, pem, entry in pending], sync=True)

    def record(self, serial, certificate_pem, entry, sync=True):
        """Write issued/<serial>.pem, then append ``entry`` (with its serial) to the index.
        Caller holds the lock. ``sync=False``: no fsync; the caller syncs once later.
        Inside a batch (begin_batch) nothing is written until end_batch()."""
        if self._pending is not None:
            self._serials.add(serial)  # new_serial() must not hand it out again (read at begin_batch)
            self._pending.append((serial, certificate_pem, dict(entry, serial=serial)))
            return
        self.layout.ensure_issued_dir()
        # The PEM first, then the index line: an index entry always has its PEM.
        write_atomic(self.layout.issued_pem(serial), certificate_pem, sync=sync)
        self._append([dict(entry, serial=serial)], sync=sync)

    def _append(self, entries, sync):
        with open(self.layout.index, 'ab+') as index:
            if index.seek(0, os.SEEK_END):
                index.seek(-1, os.SEEK_END)
                if index.read(1) != b'\n':
                    index.write(b'\n')  # end a line torn by a crash so these stay whole
            index.write(''.join(json.dumps(e, sort_keys=True) + '\n' for e in entries).encode('utf-8'))
            index.flush()
            if sync:
                os.fsync(index.fileno())

    def find(self, record_uuid):
        """(serial hex, PEM text) of the newest certificate issued for ``record_uuid``, or None."""
        if not record_uuid or not os.path.exists(self.layout.index):
            return None
        # Only the lines that name the uuid are parsed: recovering a sweep's requests looks up
        # thousands, in an index whose batch lines carry PEMs.
        with open(self.layout.index, 'rb') as handle:
            data = handle.read()
        needle = json.dumps(record_uuid).encode('utf-8')
        for line in reversed(data.splitlines()):
            if needle not in line:
                continue
            try:
                entry = json.loads(line)
            except ValueError:
                continue  # a line torn by a crash: its certificate was never returned
            if isinstance(entry, dict) and entry.get('record_uuid') == record_uuid:
                if entry.get('certificate_pem'):   # issued in a batch: the PEM is in its line
                    return entry['serial'], entry['certificate_pem']
                path = self.layout.issued_pem(entry['serial'])
                if os.path.exists(path):
                    return entry['serial'], layoutlib.read(path).decode('ascii')
        return None
