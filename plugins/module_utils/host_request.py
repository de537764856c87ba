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

When the stamp beside the key (``host_state``) vouches that the key and the CSR on disk are
what the request asks for, none of the above cryptography runs: ``host_keys`` (which imports
cryptography) is imported only for the full check.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

from ansible_collections.pki.lifecycle.plugins.module_utils import host_state
from ansible_collections.pki.lifecycle.plugins.module_utils.errors import InputError, PkiError
from ansible_collections.pki.lifecycle.plugins.module_utils.host_state import describe_files, read_bytes

__all__ = ['describe_files', 'ensure', 'run_module']


class CryptographyMissing(Exception):
    """The full check of the key and CSR needs cryptography, which the host lacks."""


def _host_keys():
    """The cryptography side (host_keys), imported only when the stamp cannot vouch."""
    try:
        from ansible_collections.pki.lifecycle.plugins.module_utils import host_keys
    except ImportError:
        import traceback
        raise CryptographyMissing(traceback.format_exc())
    error = host_keys.cryptography_import_error()
    if error:
        raise CryptographyMissing(error)
    return host_keys


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


def _key_and_csr(module, p, key_path, csr_path, check_mode, checked=None):
    """Ensure one key and its CSR; returns a result fragment. ``checked``: (csr, spki) the
    stamp vouched for (host_state.checked_csr); otherwise the full check (host_keys)."""
    key_created = csr_changed = False
    if checked is not None:
        csr_pem, spki = checked
    else:
        csr_pem, spki, key_created, csr_changed = _host_keys().key_and_request(
            p, key_path, csr_path, check_mode, read_bytes(csr_path))
        if csr_changed and spki is not None and not check_mode:
            _write_text(module, csr_path, csr_pem)
    changed = key_created
    if not check_mode:
        changed = module.set_fs_attributes_if_different(
            _file_args(module, key_path, p.get('mode') or '0600', p.get('owner'), p.get('group')), changed)
        if os.path.exists(csr_path):
            csr_changed = module.set_fs_attributes_if_different(
                _file_args(module, csr_path, p.get('csr_mode') or '0644', p.get('owner'), p.get('group')), csr_changed)
        if checked is None and spki is not None:
            host_state.write_stamp(key_path, csr_path, p, spki)
    return dict(key_path=key_path, csr_path=csr_path, csr=csr_pem, spki_sha256=spki,
                key_created=key_created, csr_changed=csr_changed, changed=changed or csr_changed)


def _install_files(module, files, check_mode):
    """Write each ``{path, content, owner, group, mode}`` whose content or attributes differ
    (atomic replace; certificates only, never keys). Returns the paths changed."""
    changed = []
    for spec in files or []:
        path = os.path.abspath(os.path.expanduser(spec['path']))
        content = spec.get('content') or ''
        old = read_bytes(path)
        differs = old is None or old != content.encode('utf-8')
        if differs and not check_mode:
            _write_text(module, path, content)
        if not check_mode:
            differs = module.set_fs_attributes_if_different(
                _file_args(module, path, spec.get('mode') or '0644', spec.get('owner'), spec.get('group')), differs)
        if differs:
            changed.append(path)
    return changed


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
    if not check_mode and os.path.exists(host_state.stamp_path(key_path + suffix)):
        try:   # the new key's stamp goes with it (a stale one only costs the full check)
            os.rename(host_state.stamp_path(key_path + suffix), host_state.stamp_path(key_path))
        except OSError:
            pass
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
    checked = None
    if not p.get('files_only') and not p.get('commit'):
        if not p.get('rekey'):
            checked = host_state.checked_csr(key_path, csr_path, p)
        if checked is None:   # what the stamp vouches for passed these checks when it was written
            _host_keys().check_request(p, [key_path, key_path + p['new_suffix']] if p.get('rekey') else [key_path])
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
    result = _key_and_csr(module, p, key_path, csr_path, check_mode, checked)
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
    try:
        result = ensure(module)
    except PkiError as exc:
        module.fail_json(msg=str(exc), **dict(exc.details))
    except CryptographyMissing as exc:
        from ansible.module_utils.basic import missing_required_lib
        module.fail_json(msg=missing_required_lib('cryptography'), exception=exc.args[0])
    module.exit_json(**result)
