# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Walk paths and globs on a managed host and describe every certificate file found.

Bounded: ``max_depth`` directory levels below each root, ``max_file_size`` bytes per file,
``max_files`` files examined in all. Directory symlinks are followed at most once per real
directory (device + inode), so a symlink loop ends the descent instead of the run. A file that
cannot be read or parsed is listed in ``errors`` with the reason; it never stops the scan.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import errno
import fnmatch
import glob
import grp
import os
import pwd
import stat
import time

from ansible_collections.pki.lifecycle.plugins.module_utils import x509 as x509lib
from ansible_collections.pki.lifecycle.plugins.module_utils.discovery import parse

DEFAULT_PATTERNS = ('*.pem', '*.crt', '*.cer', '*.cert', '*.der', '*.p7b', '*.p7c', '*.pfx', '*.p12')
# Where a private key for ``name.crt`` usually sits: same directory, these names.
KEY_SUFFIXES = ('.key', '.key.pem', '-key.pem', '_key.pem', '.pem.key')
KEY_NAMES = ('privkey.pem', 'key.pem', 'private.pem', 'server.key')
MAX_KEY_FILE = 64 * 1024


def _user(uid):
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def _group(gid):
    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return str(gid)


def _why(exc):
    if exc.errno in (errno.EACCES, errno.EPERM):
        return 'permission denied (run discovery with become: true, or leave the path out)'
    if exc.errno == errno.ENOENT:
        return 'does not exist (check the path, or leave it out)'
    return exc.strerror or str(exc)


class Scan(object):
    """One discovery run. ``run()`` returns dict(certificates, errors, skipped, stats)."""

    def __init__(self, paths, patterns=None, excludes=None, max_depth=8, max_file_size=1048576,
                 max_files=100000, passwords=(), include_ca=False, match_keys=True):
        self.paths = list(paths)
        self.patterns = list(patterns or DEFAULT_PATTERNS)
        self.excludes = list(excludes or [])
        self.max_depth = max_depth
        self.max_file_size = max_file_size
        self.max_files = max_files
        self.passwords = [p for p in passwords or [] if p]
        self.include_ca = include_ca
        self.match_keys = match_keys
        self.certificates, self.errors, self.skipped = [], [], []
        self.files = self.dirs = 0
        self.truncated = False
        self._seen_dirs = set()
        self._key_cache = {}

    # ------------------------------------------------------------------ walking
    def run(self):
        for root in self.paths:
            expanded = os.path.expanduser(root)
            matches = sorted(glob.glob(expanded)) if glob.has_magic(expanded) else [expanded]
            if not matches:
                self.errors.append(dict(path=root, reason='no file matches this glob (check the pattern, or leave it out)'))
            for path in matches:
                self._root(path)
        return dict(certificates=self.certificates, errors=self.errors, left_out=self.skipped,
                    stats=dict(files_examined=self.files, directories=self.dirs,
                               certificates=len(self.certificates), errors=len(self.errors),
                               left_out=len(self.skipped), truncated=self.truncated))

    def _root(self, path):
        try:
            st = os.stat(path)
        except OSError as exc:
            self.errors.append(dict(path=path, reason=_why(exc)))
            return
        if stat.S_ISDIR(st.st_mode):
            self._walk(path, 0)
        else:
            self._file(path, named=True)   # a file named explicitly is read whatever its name

    def _excluded(self, path):
        return any(fnmatch.fnmatch(path, e) or fnmatch.fnmatch(os.path.basename(path), e) for e in self.excludes)

    def _walk(self, top, depth):
        try:
            st = os.stat(top)
        except OSError as exc:
            self.errors.append(dict(path=top, reason=_why(exc)))
            return
        ident = (st.st_dev, st.st_ino)
        if ident in self._seen_dirs:
            return   # symlink loop, or a second way into a directory already scanned
        self._seen_dirs.add(ident)
        self.dirs += 1
        try:
            entries = sorted(os.listdir(top))
        except OSError as exc:
            self.errors.append(dict(path=top, reason=_why(exc)))
            return
        subdirs = []
        for name in entries:
            path = os.path.join(top, name)
            if self._excluded(path):
                continue
            try:
                is_dir = os.path.isdir(path)
            except OSError:
                is_dir = False
            if is_dir:
                subdirs.append(path)
            elif any(fnmatch.fnmatch(name, p) for p in self.patterns):
                self._file(path)
            if self.truncated:
                return
        if depth >= self.max_depth:
            if subdirs:
                self.skipped.append(dict(path=top, reason='max_depth %d reached: %d subdirectories not scanned'
                                         % (self.max_depth, len(subdirs))))
            return
        for path in subdirs:
            self._walk(path, depth + 1)
            if self.truncated:
                return

    # ------------------------------------------------------------------ one file
    def _file(self, path, named=False):
        if self.files >= self.max_files:
            if not self.truncated:
                self.truncated = True
                self.skipped.append(dict(path=path, reason='max_files %d reached: the scan stopped here'
                                         % self.max_files))
            return
        self.files += 1
        try:
            st = os.stat(path)
        except OSError as exc:
            self.errors.append(dict(path=path, reason=_why(exc)))
            return
        if not stat.S_ISREG(st.st_mode):
            self.skipped.append(dict(path=path, reason='not a regular file'))
            return
        if st.st_size > self.max_file_size:
            self.skipped.append(dict(path=path, reason='larger than max_file_size (%d > %d bytes)'
                                     % (st.st_size, self.max_file_size)))
            return
        try:
            with open(path, 'rb') as handle:
                data = handle.read(self.max_file_size + 1)
        except (IOError, OSError) as exc:
            self.errors.append(dict(path=path, reason=_why(exc)))
            return
        try:
            parsed = parse.parse_bytes(data, self.passwords)
        except parse.NotCertificate as exc:
            (self.skipped if exc.skip else self.errors).append(dict(path=path, reason=str(exc)))
            return
        except Exception as exc:   # a parser bug on odd bytes must not end the scan
            self.errors.append(dict(path=path, reason='unreadable: %s' % exc))
            return
        self._describe(path, st, parsed, named)

    def _describe(self, path, st, parsed, named):
        certs = parsed.certs
        leaves = [c for c in certs if not parse.is_ca(c)]
        if self.include_ca or not leaves:
            reported = certs if (self.include_ca or named or len(certs) == 1) else []
        else:
            reported = leaves
        if not reported:
            self.skipped.append(dict(path=path, reason='CA certificates only (%d); include_ca: true reports them'
                                     % len(certs)))
            return
        location = dict(
            path=path, real_path=os.path.realpath(path) if os.path.islink(path) else None,
            owner=_user(st.st_uid), group=_group(st.st_gid), mode='%04o' % stat.S_IMODE(st.st_mode),
            size=st.st_size, format=parsed.format, certificates_in_file=len(certs))
        for index, cert in enumerate(certs):
            if cert not in reported:
                continue
            try:
                info = x509lib.certificate_info(cert)
            except Exception as exc:   # malformed extensions: listed, scan goes on
                self.errors.append(dict(path=path, reason='certificate %d: %s' % (index, exc)))
                continue
            chain = parse.order_chain(cert, certs)
            item = dict(location, index=index)
            item.update(
                certificate_pem=parse.pem(cert), chain_pem=''.join(parse.pem(c) for c in chain),
                fingerprint_sha256=info['fingerprint_sha256'], spki_sha256=info['spki_sha256'],
                subject=info['subject'], issuer=info['issuer'], serial=info['serial'],
                not_before=info['not_before'], not_after=info['not_after'],
                subject_alt_names=info['subject_alt_names'], public_key=info['public_key'],
                signature_algorithm=info['signature_algorithm'], signature_digest=info['signature_digest'],
                self_signed=info['self_signed'], is_ca=info['is_ca'],
                private_key=self._key_for(path, info['spki_sha256'], parsed) if self.match_keys else None)
            self.certificates.append(item)

    # ------------------------------------------------------------------ keys beside it
    def _key_candidates(self, path):
        directory, name = os.path.split(path)
        stem = name
        for ext in ('.pem', '.crt', '.cer', '.cert', '.der'):
            if stem.endswith(ext):
                stem = stem[:-len(ext)]
                break
        for suffix in ('-cert', '_cert', '.cert', '-fullchain', '.fullchain', '-chain'):
            if stem.endswith(suffix):
                stem = stem[:-len(suffix)]
        names = [stem + s for s in KEY_SUFFIXES] + list(KEY_NAMES)
        seen = set()
        for candidate in names:
            full = os.path.join(directory, candidate)
            if full != path and full not in seen:
                seen.add(full)
                yield full

    def _read_key(self, path):
        if path not in self._key_cache:
            value = None
            try:
                st = os.stat(path)
                if stat.S_ISREG(st.st_mode) and st.st_size <= MAX_KEY_FILE:
                    with open(path, 'rb') as handle:
                        value = parse.load_key_spki(handle.read())
            except (IOError, OSError) as exc:
                value = ('error', _why(exc))
            self._key_cache[path] = value
        return self._key_cache[path]

    def _key_for(self, path, spki, parsed):
        """Where the private key is and whether it matches; the key itself is never kept."""
        if parsed.key_spkis:
            return dict(path=path, matches=spki in parsed.key_spkis, reason='in the same file')
        found = None
        for candidate in self._key_candidates(path):
            if not os.path.exists(candidate):
                continue
            value = self._read_key(candidate)
            if value is None:
                continue
            if isinstance(value, tuple):
                found = found or dict(path=candidate, matches=None, reason=value[1])
            elif value == 'encrypted':
                found = found or dict(path=candidate, matches=None, reason='encrypted key: not compared')
            elif value == spki:
                return dict(path=candidate, matches=True, reason='public key matches the certificate')
            else:
                found = found or dict(path=candidate, matches=False, reason='a key for a different certificate')
        if parsed.encrypted_keys and not found:
            return dict(path=path, matches=None, reason='encrypted key in the same file: not compared')
        return found


def run_module(module):
    """certificate_discover's one call: scan, exit_json (never fails on a bad file)."""

    error = x509lib.cryptography_import_error()
    if error:
        from ansible.module_utils.basic import missing_required_lib
        module.fail_json(msg=missing_required_lib('cryptography'), exception=error)
    p = module.params
    for name in ('max_depth', 'max_file_size', 'max_files'):
        if p[name] < 0:
            module.fail_json(msg='%s is %d; it must be 0 or more.' % (name, p[name]))
    started = time.time()
    result = Scan(p['paths'], patterns=p['patterns'], excludes=p['excludes'], max_depth=p['max_depth'],
                  max_file_size=p['max_file_size'], max_files=p['max_files'], passwords=p['pkcs12_passwords'],
                  include_ca=p['include_ca'], match_keys=p['match_keys']).run()
    result['stats']['seconds'] = round(time.time() - started, 3)
    module.exit_json(changed=False, kind='file', roots=list(p['paths']), **result)
