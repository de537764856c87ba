# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What is on a managed host, read without cryptography: the no-change path of ``certificate_request``.

Checking that the CSR on disk still fits the key and the request costs, done properly, an
import of cryptography, loading the key and signing a new CSR to compare with the old one.
After that check has passed (``host_request``), a small stamp beside the key records what was
checked: SHA-256 of the key file and of the CSR file, a digest of the request options (subject,
names, extensions, signature algorithm, digest) and the key's SPKI SHA-256. On the next run,
when the key file, the CSR file and the request options hash to the same values, the CSR is
known to be right and is returned as it is: no cryptography, no signing. Anything else (a
replaced key, an edited CSR, another subject, no stamp, a stamp from another version) takes the
full path, which writes a new stamp. A passphrase-protected key always takes the full path, so
that a wrong passphrase is still reported.

Also here: ``describe_files``, what is deployed at the certificate paths (SHA-256 of the
content, owner, group, mode), reported in the same round-trip.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import errno
import json
import os
import stat

from ansible_collections.pki.lifecycle.plugins.module_utils.errors import InputError
from ansible_collections.pki.lifecycle.plugins.module_utils.vocabulary import sha256_hex, write_atomic

STAMP_VERSION = 1
REQUEST_OPTIONS = ('subject', 'subject_alt_names', 'extensions', 'signature_algorithm', 'digest')


def read_bytes(path):
    """The file's bytes, or None when it does not exist."""
    try:
        with open(path, 'rb') as handle:
            return handle.read()
    except (IOError, OSError) as exc:
        if exc.errno == errno.ENOENT:
            return None
        raise InputError('%s cannot be read: %s.' % (path, exc.strerror or exc), 'Check its owner and mode.')


def stamp_path(key_path):
    """The stamp of the key at ``key_path``: a hidden file beside it (same owner, mode 0600)."""
    directory, name = os.path.split(key_path)
    return os.path.join(directory, '.%s.pki-lifecycle' % name)


def request_digest(params):
    """A digest of the options a CSR is built from (the key aside), as given."""
    blob = json.dumps([params.get(k) for k in REQUEST_OPTIONS], sort_keys=True, separators=(',', ':'), default=str)
    return sha256_hex(blob.encode('utf-8'))


def _stamp(key_bytes, csr_bytes, params, spki):
    return dict(version=STAMP_VERSION, key_sha256=sha256_hex(key_bytes), csr_sha256=sha256_hex(csr_bytes),
                request_sha256=request_digest(params), spki_sha256=spki)


def checked_csr(key_path, csr_path, params):
    """(csr_pem, spki_sha256) when the stamp proves the CSR on disk fits the key and the
    request; None when the full check must run."""
    if params.get('passphrase'):
        return None
    try:
        return _checked_csr(key_path, csr_path, params)
    except (InputError, IOError, OSError):
        return None   # unreadable (a path under a file, no permission): the full check says why


def _checked_csr(key_path, csr_path, params):
    stamp_bytes = read_bytes(stamp_path(key_path))
    if not stamp_bytes:
        return None
    try:
        stamp = json.loads(stamp_bytes.decode('utf-8'))
    except ValueError:
        return None
    if not isinstance(stamp, dict) or stamp.get('version') != STAMP_VERSION or not stamp.get('spki_sha256'):
        return None
    if os.path.islink(key_path) or not os.path.isfile(key_path):
        return None
    key_bytes, csr_bytes = read_bytes(key_path), read_bytes(csr_path)
    if key_bytes is None or csr_bytes is None:
        return None
    if _stamp(key_bytes, csr_bytes, params, stamp['spki_sha256']) != stamp:
        return None
    try:
        return csr_bytes.decode('ascii'), stamp['spki_sha256']
    except UnicodeDecodeError:
        return None


def write_stamp(key_path, csr_path, params, spki):
    """Record the check that just passed (after the key and the CSR are in place). A stamp
    that cannot be written only costs the next run the full check."""
    if params.get('passphrase'):
        return
    key_bytes, csr_bytes = read_bytes(key_path), read_bytes(csr_path)
    if key_bytes is None or csr_bytes is None:
        return
    data = json.dumps(_stamp(key_bytes, csr_bytes, params, spki), sort_keys=True)
    path = stamp_path(key_path)
    try:
        if read_bytes(path) != data.encode('utf-8'):
            write_atomic(path, data, mode=0o600, sync=False)
        info = os.stat(key_path)
        if (os.stat(path).st_uid, os.stat(path).st_gid) != (info.st_uid, info.st_gid):
            os.chown(path, info.st_uid, info.st_gid)
    except (IOError, OSError, InputError):
        pass


def _principal(lookup, number):
    try:
        return lookup(number)[0]
    except (KeyError, ImportError):
        return str(number)


def describe_files(paths):
    """What is deployed at each path: {path: {exists, sha256, owner, uid, group, gid, mode}};
    the controller compares it with what it would deploy (lifecycle/deployed.py)."""
    import grp
    import pwd
    out = {}
    for path in paths or []:
        path = os.path.abspath(os.path.expanduser(path))
        data = read_bytes(path)
        if data is None or not os.path.isfile(path):
            out[path] = dict(exists=False)
            continue
        info = os.stat(path)
        out[path] = dict(exists=True, sha256=sha256_hex(data), mode=stat.S_IMODE(info.st_mode),
                         uid=info.st_uid, gid=info.st_gid, owner=_principal(pwd.getpwuid, info.st_uid),
                         group=_principal(grp.getgrgid, info.st_gid))
    return out
