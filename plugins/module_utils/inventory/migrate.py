# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Copy a whole inventory from one store to another (module ``inventory_migrate``).

The source is read in one read transaction (one consistent snapshot, no lock held on it
for long); the destination is written in one write transaction (all or nothing), then read
back through a NEW connection and compared record for record with the snapshot: RA profiles,
token profiles and certificates by their key, the event log in order (event ids are the
destination's own, everything else must match).

The destination must be empty, or already hold a copy of (a part of) the source: records the
source lacks, or an event log that is not a prefix of the source's, are refused, because the
result would not be a copy. A record present on both sides with different contents is
refused too unless ``overwrite`` is set (the source's version wins). Copying again after
the source grew copies only what is new; copying an identical inventory changes nothing.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

from ansible_collections.pki.lifecycle.plugins.module_utils.errors import InventoryError
from ansible_collections.pki.lifecycle.plugins.module_utils.inventory.stores import describe, open_store, parse

# (collection, key field, list method, put method)
KEYED = (
    ('ra_profiles', 'name', 'list_ra_profiles', 'put_ra_profile'),
    ('token_profiles', 'name', 'list_token_profiles', 'put_token_profile'),
    ('certificates', 'uuid', 'find_certificates', 'put_certificate'),
)
COLLECTIONS = tuple(k[0] for k in KEYED) + ('events',)


def read_all(store):
    """Everything ``store`` holds, from one read transaction."""
    with store.transaction(write=False) as tx:
        return _read_in(tx)


def _event_body(event):
    return dict((k, v) for k, v in event.items() if k != 'id')


def plan(source, destination, overwrite=False):
    """What to write into ``destination`` (read_all of it) to make it a copy of ``source``:
    {collection: [records]}. Raises InventoryError when the result could not be a copy."""
    todo = {}
    for name, key, _lister, _put in KEYED:
        have = dict((r[key], r) for r in destination[name])
        wanted = dict((r[key], r) for r in source[name])
        extra = sorted(set(have) - set(wanted))
        if extra:
            raise InventoryError(
                "The destination holds %d %s the source does not (%s), so it would not be a copy."
                % (len(extra), name.replace('_', ' '), ', '.join(extra[:5]) + (' ...' if len(extra) > 5 else '')),
                "Copy into an empty inventory (a new database or file).")
        differ = sorted(k for k in wanted if k in have and have[k] != wanted[k])
        if differ and not overwrite:
            raise InventoryError(
                "The destination holds %d of the source's %s with different contents (%s)."
                % (len(differ), name.replace('_', ' '), ', '.join(differ[:5]) + (' ...' if len(differ) > 5 else '')),
                "Set overwrite: true to replace them with the source's versions, or copy into an "
                "empty inventory.")
        todo[name] = [r for k, r in sorted(wanted.items()) if have.get(k) != r]
    have_events = [_event_body(e) for e in destination['events']]
    source_events = [_event_body(e) for e in source['events']]
    if source_events[:len(have_events)] != have_events:
        raise InventoryError("The destination's event log is not a part of the source's (%d events "
                             "there, %d in the source), so it would not be a copy."
                             % (len(have_events), len(source_events)),
                             "Copy into an empty inventory (a new database or file).")
    todo['events'] = source_events[len(have_events):]
    return todo


def differences(source, copy):
    """Where ``copy`` (read_all) is not record for record ``source``: a list of sentences."""
    found = []
    for name, key, _lister, _put in KEYED:
        a = dict((r[key], r) for r in source[name])
        b = dict((r[key], r) for r in copy[name])
        for k in sorted(set(a) | set(b)):
            if a.get(k) != b.get(k):
                found.append('%s %s %s' % (name, k, 'missing' if k not in b else
                                           'extra' if k not in a else 'differs'))
    if [_event_body(e) for e in source['events']] != [_event_body(e) for e in copy['events']]:
        found.append('the event log differs (%d events in the source, %d in the copy)'
                     % (len(source['events']), len(copy['events'])))
    return found


def copy_inventory(source_store, open_destination, check_mode=False, overwrite=False,
                   destination_exists=True):
    """Make the store ``open_destination()`` opens a copy of ``source_store``; verify it
    through a second ``open_destination()``. Returns the module result. In check mode a
    destination file that does not exist is not opened (opening would create it)."""
    source = read_all(source_store)
    totals = dict((name, len(source[name])) for name in COLLECTIONS)
    if check_mode and not destination_exists:
        todo = plan(source, dict((name, []) for name in COLLECTIONS), overwrite)
        copied = dict((name, len(todo[name])) for name in COLLECTIONS)
        return dict(changed=any(copied.values()), copied=copied, totals=totals, verified=False,
                    reason='Would create the destination and copy %s.' % _count_text(copied))
    destination_store = open_destination()
    try:
        todo = plan(source, read_all(destination_store), overwrite)
        copied = dict((name, len(todo[name])) for name in COLLECTIONS)
        changed = any(copied.values())
        if changed and not check_mode:
            with destination_store.transaction() as tx:
                # Re-planned under the write lock: nobody changed the destination in between.
                todo = plan(source, _read_in(tx), overwrite)
                for name, _key, _lister, put in KEYED:
                    for record in todo[name]:
                        getattr(tx, put)(record)
                for event in todo['events']:
                    tx.add_event(event)
    finally:
        destination_store.close()
    result = dict(changed=changed, copied=copied, totals=totals, verified=False)
    if check_mode:
        result['reason'] = ('Would copy %s.' % _count_text(copied)) if changed else \
            'The destination already holds a copy of the source.'
        return result
    check_store = open_destination()  # a new connection: read back what was committed
    try:
        problems = differences(source, read_all(check_store))
    finally:
        check_store.close()
    if problems:
        raise InventoryError("The copy does not match the source record for record: %s."
                             % '; '.join(problems[:10]),
                             "The source was not changed; check the destination and copy again.",
                             details=dict(copied=copied, totals=totals))
    result['verified'] = True
    result['reason'] = ('Copied %s; verified record for record.' % _count_text(copied)) if changed else \
        'The destination already holds a copy of the source (verified record for record).'
    return result


def _read_in(tx):
    data = dict((name, getattr(tx, lister)()) for name, _key, lister, _put in KEYED)
    data['events'] = tx.list_events()
    return data


def _count_text(copied):
    return ', '.join('%d %s' % (copied[name], name.replace('_', ' ')) for name in COLLECTIONS)


def _exists(spec):
    kind, target = parse(spec)
    return kind == 'postgresql' or os.path.exists(target)


def run(params, check_mode=False):
    """The ``inventory_migrate`` operation: ``source`` (default: ``inventory``) to ``destination``."""
    source_spec = params.get('source') or params.get('inventory')
    source_password = params.get('source_password') or params.get('inventory_password')
    destination_spec = params['destination']
    if describe(source_spec) == describe(destination_spec):
        raise InventoryError("The source and the destination are the same inventory, %s."
                             % describe(source_spec),
                             "Name a different destination.")
    source_store = open_store(source_spec, password=source_password)
    try:
        result = copy_inventory(source_store,
                                lambda: open_store(destination_spec,
                                                   password=params.get('destination_password')),
                                check_mode=check_mode, overwrite=params.get('overwrite'),
                                destination_exists=_exists(destination_spec))
    finally:
        source_store.close()
    result.update(source=describe(source_spec), destination=describe(destination_spec))
    return result
