# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""certificate_discovered: record what certificate_discover / certificate_discover_tls found.

The idempotency decisions of discovery: one record per fingerprint (an issued record gets
the locations where it was found; an unknown certificate becomes a ``discovered`` record),
a location not seen again inside the scanned scope is marked gone (never dropped), and a
rediscovery that finds the same things changes nothing (only ``last_seen`` moves, which is
bookkeeping). The merge rules are in discovery/inventory.py; this file reads the input,
runs them inside one write transaction (so forks recording at once never duplicate a
record) and writes events.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.pki.lifecycle.plugins.module_utils import x509 as x509lib
from ansible_collections.pki.lifecycle.plugins.module_utils.discovery import inventory as mergelib
from ansible_collections.pki.lifecycle.plugins.module_utils.errors import InputError, PkiError
from ansible_collections.pki.lifecycle.plugins.module_utils.vocabulary import iso

FIX = ('Pass the registered result of pki.lifecycle.certificate_discover (with host) or of '
       'pki.lifecycle.certificate_discover_tls as discovery, or a list of {host, discovery} as discoveries.')


def _batch(discovery, host, where):
    if not isinstance(discovery, dict) or discovery.get('kind') not in ('file', 'endpoint'):
        raise InputError('%s is not the result of a discovery module (no kind: file or endpoint).' % where, FIX)
    if discovery.get('failed'):
        raise InputError('%s is a failed discovery task: %s' % (where, discovery.get('msg')),
                         'Fix that task first; nothing was recorded.')
    if discovery['kind'] == 'file':
        if not host:
            raise InputError('%s is a file discovery but no host is given.' % where,
                             'Give host: "{{ inventory_hostname }}" so that locations name the host.')
        items = discovery.get('certificates')
        batch = dict(kind='file', host=host, roots=list(discovery.get('roots') or []), certificates=items or [],
                     errors=discovery.get('errors') or [], skipped=discovery.get('left_out') or [],
                     stats=discovery.get('stats') or {})
    else:
        items = discovery.get('endpoints')
        batch = dict(kind='endpoint', scanned=list(discovery.get('scanned') or []), endpoints=items or [],
                     errors=discovery.get('errors') or [])
    if not isinstance(items, list):
        raise InputError('%s has no list of findings.' % where, FIX)
    for item in items:
        if not isinstance(item, dict) or not item.get('certificate_pem'):
            raise InputError('%s holds a finding without certificate_pem.' % where, FIX)
        try:
            x509lib.load_certificate(item['certificate_pem'])
        except PkiError as exc:
            raise InputError('%s holds an unreadable certificate (%s).' % (where, exc), FIX)
    return batch


def batches(p):
    out = []
    if p.get('discovery') is not None:
        out.append(_batch(p['discovery'], p.get('host'), 'discovery'))
    for n, item in enumerate(p.get('discoveries') or []):
        if not isinstance(item, dict):
            raise InputError('discoveries[%d] is not a dict.' % n, FIX)
        out.append(_batch(item.get('discovery'), item.get('host'), 'discoveries[%d].discovery' % n))
    if not out:
        raise InputError('Nothing to record: neither discovery nor discoveries is given.', FIX)
    return out


def op_discover(ctx):
    work = batches(ctx.params)
    stamp = iso(ctx.now)
    with ctx.store.transaction(write=not ctx.check_mode) as tx:
        merged = mergelib.merge(tx.find_certificates(), work, stamp)
        changed = merged.changed_records()
        if not ctx.check_mode:
            for record in changed:
                record['updated_at'] = stamp
                tx.put_certificate(record)
                ctx.event(tx, 'discover', 'changed', '; '.join(merged.changes[record['uuid']]), record=record)
            for record in merged.bookkeeping_records():
                tx.put_certificate(record)    # last_seen only
    records = []
    for record in changed:
        records.append(dict(uuid=record['uuid'], fingerprint_sha256=record['fingerprint_sha256'],
                            subject=record['subject'], state=record['state'],
                            new=record['uuid'] in merged.created, changes=merged.changes[record['uuid']]))
    tally = dict((kind, 0) for kind in ('found at', 'back at', 'changed at', 'gone from'))
    for record in changed:
        for sentence in merged.changes[record['uuid']]:
            for kind in tally:
                if sentence.startswith(kind):
                    tally[kind] += 1
    gone = tally['gone from']
    seen = sum(len(b.get('certificates') or b.get('endpoints') or []) for b in work)
    if changed:
        reason = ('%d new certificate(s); locations: %d found, %d back, %d changed, %d gone.'
                  % (len(merged.created), tally['found at'], tally['back at'], tally['changed at'], gone))
    else:
        reason = 'Every certificate found (%d) is already recorded where it was found.' % seen
    return dict(changed=bool(changed), reason=reason, records=records,
                counts=dict(found=seen, new=len(merged.created), changed=len(changed), gone=gone,
                            errors=sum(len(b.get('errors') or []) for b in work)),
                errors=[dict(e, host=b.get('host')) if b['kind'] == 'file' else e
                        for b in work for e in b.get('errors') or []])
