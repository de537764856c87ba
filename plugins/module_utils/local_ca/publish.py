# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""When the embedded CA re-signs its CRL (a share of the CRL's lifetime), and where it
publishes it besides crl.pem (paths relying parties fetch it from, e.g. a web root)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import re
from ansible_collections.pki.lifecycle.plugins.module_utils.x509.base import LazyModule

x509 = LazyModule('cryptography.x509')

from ansible_collections.pki.lifecycle.plugins.module_utils.errors import ConnectorError, InputError
from ansible_collections.pki.lifecycle.plugins.module_utils.vocabulary import iso, write_atomic

DEFAULT_REFRESH = '50%'


def parse_refresh(value):
    """crl_refresh: the share of a CRL's lifetime after which it is re-signed, '50%' -> 0.5."""
    text = str(DEFAULT_REFRESH if value in (None, '') else value).strip()
    match = re.match(r'^(\d+(?:\.\d+)?)\s*%$', text)
    if not match or not 0 < float(match.group(1)) < 100:
        raise InputError('crl_refresh %r is not a percentage above 0 and below 100.' % (value,),
                         hint="Write the share of the CRL's lifetime after which it is re-signed, like '50%'.")
    return float(match.group(1)) / 100.0


def publish_paths(value):
    """crl_publish_paths: a path or a list of absolute paths on the controller."""
    paths = [value] if isinstance(value, str) else list(value or [])
    for path in paths:
        if not isinstance(path, str) or not os.path.isabs(os.path.expanduser(path)):
            raise InputError('crl_publish_paths holds %r, which is not an absolute path.' % (path,),
                             hint='List absolute file paths on the controller, e.g. /var/www/pki/web.crl.')
    return [os.path.expanduser(p) for p in paths]


def due(crl, share, now, validity=None):
    """Is ``crl`` past ``share`` of its lifetime at ``now``? With ``validity`` (the configured
    CRL lifetime, a timedelta) also when less than (1 - share) of that is left, so that a
    longer configured lifetime takes effect at the next run."""
    this_update, next_update = crl.last_update_utc, crl.next_update_utc
    if now >= this_update + (next_update - this_update) * share:
        return True
    return validity is not None and next_update - now < validity * (1 - share)


def facts(crl):
    """What the crl operation reports about a CRL."""
    try:
        number = crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number
    except x509.ExtensionNotFound:
        number = None
    return {'crl_number': number, 'this_update': iso(crl.last_update_utc), 'next_update': iso(crl.next_update_utc),
            'revoked': len(crl)}


def publish(pem, paths):
    """Write the CRL PEM to each path (atomic replace, mode 0644); returns the paths written."""
    written = []
    for path in paths:
        directory = os.path.dirname(path)
        if not os.path.isdir(directory):
            try:
                os.makedirs(directory, 0o755)
            except OSError as exc:
                raise ConnectorError('Cannot create %s to publish the CRL: %s.' % (directory, exc.strerror),
                                     hint='Fix crl_publish_paths or the directory permissions.')
        try:
            write_atomic(path, pem, mode=0o644)
        except (IOError, OSError) as exc:
            raise ConnectorError('Cannot publish the CRL to %s: %s.' % (path, exc.strerror or exc),
                                 hint='Fix crl_publish_paths or the permissions of that directory.')
        written.append(path)
    return written
