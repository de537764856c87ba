# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whether the certificate files on a host differ from what should be deployed.

The host-side ``certificate_request`` reports what is deployed (``report_files``: SHA-256 of
each file's bytes, owner, group, mode; see ``host_state.describe_files``) in the same
round-trip that checks the key and the CSR. This decides, on the controller, whether the
deploy task has anything to do: a no-change run then costs one host round-trip. It answers
"differs" whenever it cannot tell (nothing reported, a symbolic mode, an unknown owner), so
the deploy module, which compares for itself, stays the last word.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

from ansible_collections.pki.lifecycle.plugins.module_utils.vocabulary import sha256_hex


def _mode_value(mode):
    """0o644 for 0o644 / '0644' / '644' / '0o644'; None when it is symbolic (u=rw,...)."""
    if isinstance(mode, int):
        return mode
    text = str(mode or '0644').strip().lower()
    if text.startswith('0o'):
        text = text[2:]
    try:
        return int(text, 8)
    except ValueError:
        return None


def _same_principal(wanted, name, number):
    """An owner/group given by name or by number matches the reported name or id."""
    if wanted in (None, ''):
        return True   # not asked for: whatever the connecting user gets
    return str(wanted) in (str(name), str(number))


def file_differs(spec, seen):
    """spec: {path, content, owner?, group?, mode?} (a deploy task's file); seen: what the host
    reported for that path (None when missing). True when the deploy would change something."""
    if not seen or not seen.get('exists'):
        return True
    content = (spec.get('content') or '').encode('utf-8')
    if sha256_hex(content) != seen.get('sha256'):
        return True
    mode = _mode_value(spec.get('mode'))
    if mode is None or mode != seen.get('mode'):
        return True
    return not (_same_principal(spec.get('owner'), seen.get('owner'), seen.get('uid'))
                and _same_principal(spec.get('group'), seen.get('group'), seen.get('gid')))


def files_differ(files, deployed):
    """The paths of ``files`` whose deploy would change something, given the host's report
    ``deployed`` ({path: description}); every path when there is no report."""
    deployed = deployed if isinstance(deployed, dict) else {}
    out = []
    for spec in files or []:
        path = os.path.normpath(str(spec.get('path') or ''))
        if file_differs(spec, deployed.get(path)):
            out.append(path)
    return out
