# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A private key and its CSR on a managed host: the logic of ``certificate_request``.

Nothing here is new cryptography: keys are written and loaded by ``keys/file.py``
(PKCS#8 PEM, 0600, written atomically, never overwritten, optional passphrase) and the
CSR is built by ``keys/csr.py`` ``build_csr`` — the same code the controller-side token
profiles use. What this file adds is the host-side bookkeeping:

- the key lives at an arbitrary path (``path``), not ``<dir>/<name>.pem``;
- the CSR (``csr_path``) is rewritten only when the request changes: a new CSR is built
  in memory and its CertificationRequestInfo (subject, key, extensions: deterministic
  DER) and signature algorithm are compared with the file's;
- ``rekey``: a second key ``<path><new_suffix>`` and its CSR ``<csr_path><new_suffix>``
  are made beside the current ones, which stay in use;
- ``files``: certificate files (not keys) written when their content or attributes
  differ, by atomic replace; ``files_only`` does only that;
- ``commit``: the new key and CSR replace the current ones by atomic renames, after the
  new certificate files (``files``, or ``<file><new_suffix>`` in ``commit_files``) are in
  place, all in one task.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import errno
import hashlib
import os
import stat

from ansible_collections.pki.lifecycle.plugins.module_utils import x509 as x509_utils
from ansible_collections.pki.lifecycle.plugins.module_utils.errors import InputError, PkiError, TokenError
from ansible_collections.pki.lifecycle.plugins.module_utils.keys.base import KeySpec
from ansible_collections.pki.lifecycle.plugins.module_utils.keys.csr import (
    build_csr, check_algorithm_for_key_type, request_parts,
)
from ansible_collections.pki.lifecycle.plugins.module_utils.keys.file import FileKeyStore, check_key_name


class HostKeyFile(FileKeyStore):
    """``keys/file.py``'s store, addressing a key by its file name in one directory.

    ``key_path('web.key')`` is ``<dir>/web.key`` (the file store appends '.pem'); writing,
    loading, encryption and the never-overwrite rule are the file store's.
    """

    def key_path(self, key_name):
        return os.path.join(self.path, check_key_name(key_name))


def _store_for(path, passphrase):
    path = os.path.abspath(os.path.expanduser(path))
    directory, name = os.path.split(path)
    try:
        check_key_name(name)
    except InputError:
        raise InputError('path %r: the key file name %r is not allowed.' % (path, name),
                         "Use letters, digits, '.', '_' and '-', not starting with '.'.")
    secrets = {'passphrase': passphrase} if passphrase else {}
    return HostKeyFile('host key %s' % path, {'path': directory}, secrets), name, path


def _read(path):
    try:
        with open(path, 'rb') as handle:
            return handle.read()
    except (IOError, OSError) as exc:
        if exc.errno == errno.ENOENT:
            return None
        raise InputError('%s cannot be read: %s.' % (path, exc.strerror or exc), 'Check its owner and mode.')


def _load_signer(store, name, path):
    """The signer of an existing key; a file that is not a key is an error naming the fix."""
    try:
        return store.signer(name)
    except TokenError as exc:
        if 'encrypted' in exc.message:
            raise TokenError('The private key %s is encrypted and the passphrase is wrong or missing.' % path,
                             'Pass the right passphrase (certificate_key_passphrase in the role).')
        raise TokenError('%s exists but is not a readable PEM private key.' % path,
                         'It is left untouched. Move it away (or point path elsewhere) and run again to '
                         'generate a new key; a certificate for the old key must then be rekeyed.')


def _ensure_key(store, name, path, spec, check_mode):
    """(signer or None, created?) for the key at ``path``; generated when missing."""
    if os.path.lexists(path):
        if not os.path.isfile(path):
            raise InputError('%s exists and is not a regular file.' % path, 'Point path at a key file.')
        return _load_signer(store, name, path), False
    if check_mode:
        return None, True
    try:
        store.check()
    except TokenError:
        raise TokenError('The key directory %s does not exist or is not writable.' % store.path,
                         'Create it, or fix its owner and mode, or choose another path.')
    try:
        return store.generate(name, spec), True
    except TokenError as exc:
        if store.has_key(name):       # another run made it a moment ago: use it
            return _load_signer(store, name, path), False
        raise TokenError('Cannot write the private key %s: %s' % (path, exc.message),
                         'Check that the directory is writable.')


def _same_request(old_pem, new_pem):
    """Same subject, key, extensions and signature algorithm (the signature itself may differ)."""
    if not old_pem:
        return False
    try:
        old = x509_utils.load_csr(old_pem)
        new = x509_utils.load_csr(new_pem)
        return (old.tbs_certrequest_bytes == new.tbs_certrequest_bytes
                and old.signature_algorithm_oid == new.signature_algorithm_oid
                and old.is_signature_valid)
    except Exception:  # pylint: disable=broad-except
        return False      # unreadable CSR: replace it


def _write_text(module, path, text):
    """Atomic replace of a small non-secret file (the CSR), with Ansible's own helper."""
    directory = os.path.dirname(path)
    tmp = os.path.join(directory, '.%s.tmp%d' % (os.path.basename(path), os.getpid()))
    try:
        with open(tmp, 'w') as handle:
            handle.write(text)
        module.atomic_move(tmp, path)
    except (IOError, OSError) as exc:
        raise InputError('Cannot write %s: %s.' % (path, exc.strerror or exc),
                         'Check that the directory exists and is writable.')
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _file_args(module, path, mode, owner, group):
    params = dict(mode=mode, owner=owner, group=group, seuser=None, serole=None, setype=None, selevel=None,
                  unsafe_writes=False, attributes=None)
    return module.load_file_common_arguments(params, path=path)


def _ensure_dirs(module, paths, mode, check_mode):
    """Create the missing parent directories of ``paths``; an existing one is left as it is."""
    made = []
    for directory in sorted(set(os.path.dirname(p) for p in paths if p)):
        if os.path.isdir(directory):
            continue
        if os.path.lexists(directory) and not os.path.isdir(directory):
            raise InputError('The deploy directory %s exists and is not a directory.' % directory,
                             'Fix the deploy path (or remove what is in the way).')
        if check_mode:
            made.append(directory)
            continue
        try:
            os.makedirs(directory)
        except OSError as exc:
            raise InputError('Cannot create the deploy directory %s: %s.' % (directory, exc.strerror or exc),
                             'Fix the deploy path or the permissions of its parent.')
        if mode:
            module.set_mode_if_different(directory, mode, False)
        made.append(directory)
    return made


def _check_writable(paths):
    """A deploy directory that exists but cannot be written is refused before anything is made."""
    for directory in sorted(set(os.path.dirname(p) for p in paths if p)):
        if os.path.isdir(directory) and not os.access(directory, os.W_OK | os.X_OK):
            raise InputError('The deploy directory %s is not writable.' % directory,
                             'Fix its owner or mode, or choose another deploy path.')


def _subject(p):
    return p.get('subject') if p.get('subject') is not None else ''


def _spec(p):
    return KeySpec(p.get('key_type') or 'ec', p.get('key_size'), p.get('curve'))


def _check_request(p, key_paths):
    """Refuse bad input before anything is written (directories, keys, CSRs): the key file
    names, the subject, names and extensions, and the signature algorithm of a key still to
    be generated (an existing key's is checked when its CSR is built, before it is written)."""
    for key_path in key_paths:
        _store_for(key_path, None)
    request_parts(_subject(p), p.get('subject_alt_names'), p.get('extensions'))
    if not all(os.path.lexists(key_path) for key_path in key_paths):
        check_algorithm_for_key_type(_spec(p).key_type, p.get('signature_algorithm'), p.get('digest') or 'sha256')


def _key_and_csr(module, p, key_path, csr_path, check_mode):
    """Ensure one key and its CSR; returns a result fragment."""
    store, name, key_path = _store_for(key_path, p.get('passphrase'))
    spec = _spec(p)
    signer, key_created = _ensure_key(store, name, key_path, spec, check_mode)
    changed = key_created
    csr_changed = False
    csr_pem = ''
    spki = None
    if signer is not None:
        spki = x509_utils.spki_sha256(signer.public_key)
        csr_pem = build_csr(signer, _subject(p), p.get('subject_alt_names'), extensions=p.get('extensions'),
                            signature_algorithm=p.get('signature_algorithm'), digest=p.get('digest') or 'sha256')
        old = _read(csr_path)
        if _same_request(old, csr_pem):
            csr_pem = old.decode('ascii')
        else:
            csr_changed = True
            if not check_mode:
                _write_text(module, csr_path, csr_pem)
    else:
        csr_changed = True
    if not check_mode:
        changed = module.set_fs_attributes_if_different(
            _file_args(module, key_path, p.get('mode') or '0600', p.get('owner'), p.get('group')), changed)
        if os.path.exists(csr_path):
            csr_changed = module.set_fs_attributes_if_different(
                _file_args(module, csr_path, p.get('csr_mode') or '0644', p.get('owner'), p.get('group')), csr_changed)
    return dict(key_path=key_path, csr_path=csr_path, csr=csr_pem, spki_sha256=spki,
                key_created=key_created, csr_changed=csr_changed, changed=changed or csr_changed)


def _install_files(module, files, check_mode):
    """Write each ``{path, content, owner, group, mode}`` whose content or attributes differ
    (atomic replace; certificates only, never keys). Returns the paths changed."""
    changed = []
    for spec in files or []:
        path = os.path.abspath(os.path.expanduser(spec['path']))
        content = spec.get('content') or ''
        old = _read(path)
        differs = old is None or old != content.encode('utf-8')
        if differs and not check_mode:
            _write_text(module, path, content)
        if not check_mode:
            differs = module.set_fs_attributes_if_different(
                _file_args(module, path, spec.get('mode') or '0644', spec.get('owner'), spec.get('group')), differs)
        if differs:
            changed.append(path)
    return changed


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
        data = _read(path)
        if data is None or not os.path.isfile(path):
            out[path] = dict(exists=False)
            continue
        info = os.stat(path)
        out[path] = dict(exists=True, sha256=hashlib.sha256(data).hexdigest(), mode=stat.S_IMODE(info.st_mode),
                         uid=info.st_uid, gid=info.st_gid, owner=_principal(pwd.getpwuid, info.st_uid),
                         group=_principal(grp.getgrgid, info.st_gid))
    return out


def _commit(module, p, key_path, csr_path, check_mode):
    """Move the new key into place: certificate files first (``files`` written, or
    ``<file><new_suffix>`` renamed), then the CSR, then the key."""
    suffix = p['new_suffix']
    key_path = os.path.abspath(os.path.expanduser(key_path))
    if not os.path.exists(key_path + suffix):
        return dict(changed=False, committed=[],
                    reason='No new key %s%s to commit: nothing to do.' % (key_path, suffix))
    installed = _install_files(module, p.get('files'), check_mode)
    moves = [os.path.abspath(os.path.expanduser(f)) for f in (p.get('commit_files') or [])]
    moves = [f for f in moves if os.path.exists(f + suffix)] + [csr_path, key_path]
    done = list(installed)
    for target in moves:
        if not os.path.exists(target + suffix):
            continue
        if not check_mode:
            try:
                os.rename(target + suffix, target)   # atomic on one file system
            except OSError as exc:
                raise InputError('Cannot move %s%s over %s: %s.' % (target, suffix, target, exc.strerror),
                                 'Moved so far: %s. Fix the cause and run again to finish.'
                                 % (', '.join(done) or 'nothing'))
        done.append(target)
    return dict(changed=True, committed=done,
                reason='Moved the new key and %d file(s) into place.' % (len(done) - 1))


def ensure(module):
    """Run ``certificate_request`` for ``module`` (an AnsibleModule); returns the result dict."""
    p = module.params
    check_mode = module.check_mode
    key_path = os.path.abspath(os.path.expanduser(p['path']))
    csr_path = os.path.abspath(os.path.expanduser(p.get('csr_path') or key_path + '.csr'))
    targets = [os.path.abspath(os.path.expanduser(f['path'])) for f in p.get('files') or []]
    if not p.get('files_only'):
        targets += [key_path, csr_path]
    if not p.get('files_only') and not p.get('commit'):
        _check_request(p, [key_path, key_path + p['new_suffix']] if p.get('rekey') else [key_path])
    made = _ensure_dirs(module, targets, p.get('dir_mode'), check_mode) if p.get('create_dirs') else []
    _check_writable(targets)
    if p.get('commit'):
        result = _commit(module, p, key_path, csr_path, check_mode)
        result.update(key_path=key_path, csr_path=csr_path)
        return result
    if p.get('files_only'):
        changed = _install_files(module, p.get('files'), check_mode)
        return dict(changed=bool(changed or made), files_changed=changed, key_path=key_path, csr_path=csr_path,
                    dirs_created=made,
                    reason=('%s %s.' % ('Would deploy' if check_mode else 'Deployed', ', '.join(changed)))
                    if changed else 'The deployed files are up to date.')
    result = _key_and_csr(module, p, key_path, csr_path, check_mode)
    result['dirs_created'] = made
    result['changed'] = result['changed'] or bool(made)
    reasons = ['created %s' % ', '.join(made)] if made else []
    if p.get('files'):
        result['files_changed'] = _install_files(module, p['files'], check_mode)
        result['changed'] = result['changed'] or bool(result['files_changed'])
        if result['files_changed']:
            reasons.append('deployed %s' % ', '.join(result['files_changed']))
    if result['key_created']:
        reasons.append('generated the private key %s' % key_path)
    if result['csr_changed']:
        reasons.append('wrote a new CSR %s' % csr_path)
    if p.get('rekey'):
        suffix = p['new_suffix']
        new = _key_and_csr(module, p, key_path + suffix, csr_path + suffix, check_mode)
        result.update(new_key_path=new['key_path'], new_csr_path=new['csr_path'], new_csr=new['csr'],
                      new_spki_sha256=new['spki_sha256'])
        result['changed'] = result['changed'] or new['changed']
        if new['key_created']:
            reasons.append('generated the new key %s beside the current one' % new['key_path'])
        elif new['csr_changed']:
            reasons.append('wrote a new CSR %s for the new key' % new['csr_path'])
    if p.get('report_files'):
        # Read after any write above: what the next task would find.
        result['deployed'] = describe_files(p['report_files'])
    result['reason'] = ('%s%s.' % (reasons[0][0].upper(), '; '.join(reasons)[1:]) if reasons
                        else 'The key and the CSR for the requested names exist.')
    if check_mode and reasons:
        result['reason'] = 'Would have ' + result['reason'][0].lower() + result['reason'][1:]
    return result


def run_module(module):
    """exit_json/fail_json for ``ensure``: the whole body of the module."""
    if not x509_utils.HAS_CRYPTOGRAPHY and not module.params.get('files_only'):
        from ansible.module_utils.basic import missing_required_lib
        module.fail_json(msg=missing_required_lib('cryptography'), exception=x509_utils.CRYPTOGRAPHY_IMPORT_ERROR)
    try:
        result = ensure(module)
    except PkiError as exc:
        module.fail_json(msg=str(exc), **dict(exc.details))
    module.exit_json(**result)
