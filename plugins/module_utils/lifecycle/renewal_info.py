# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The CA's renewal advice (ACME ARI, RFC 9773) kept on the record: the suggested window and
when the CA said to ask again (Retry-After), so that due checks in between ask nobody; and
the CA's explanation URL for the reason a task returns."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.pki.lifecycle.plugins.module_utils.vocabulary import iso, utcnow


def keep(ctx, connector, record):
    """Store what the connector learnt about ``record``'s renewal window in its connector data.
    Not a change of the certificate (``changed`` stays false); nothing is written in check mode."""
    if connector is None or ctx.check_mode:
        return
    updates = connector.renewal_updates(record)
    if not updates:
        return
    with ctx.store.transaction() as tx:
        current = tx.get_certificate(record['uuid'])
        if current is None:
            return
        current['connector_data'] = dict(current.get('connector_data') or {}, **updates)
        current['updated_at'] = iso(utcnow())
        tx.put_certificate(current)
    record['connector_data'] = dict(record.get('connector_data') or {}, **updates)


def explained(connector, record):
    """' The CA explains its window at URL.' or ''."""
    url = connector.renewal_explanation(record) if connector is not None else None
    return ' The CA explains its renewal window at %s.' % url if url else ''
