# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The host's private key and CSR, checked the full way (cryptography): the key file store
addressed by path, loading or generating the key, building the CSR and comparing it with the
one on disk. ``host_request`` imports this only when the stamp of ``host_state`` cannot
vouch for the key and the CSR, so that a no-change run never imports cryptography."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

from ansible_collections.pki.lifecycle.plugins.module_utils import x509 as x509_utils
from ansible_collections.pki.lifecycle.plugins.module_utils.errors import InputError, TokenError
from ansible_collections.pki.lifecycle.plugins.module_utils.keys.base import KeySpec
from ansible_collections.pki.lifecycle.plugins.module_utils.keys.csr import (
    build_csr, check_algorithm_for_key_type, request_parts,
)
from ansible_collections.pki.lifecycle.plugins.module_utils.keys.file import FileKeyStore, check_key_name

# None when cryptography imports on this host, else why not (host_request reports it).
cryptography_import_error = x509_utils.cryptography_import_error


class HostKeyFile(FileKeyStore):
    """``keys/file.py``'s store, addressing a key by its file name in one directory.

    ``key_path('web.key')`` is ``<dir>/web.key`` (the file store appends '.pem'); writing,
    loading, encryption and the never-overwrite rule are the file store's.
    """

    def key_path(self, key_name):
        return os.path.join(self.path, check_key_name(key_name))


def store_for(path, passphrase):
    path = os.path.abspath(os.path.expanduser(path))
    directory, name = os.path.split(path)
    try:
        check_key_name(name)
    except InputError:
        raise InputError('path %r: the key file name %r is not allowed.' % (path, name),
                         "Use letters, digits, '.', '_' and '-', not starting with '.'.")
    secrets = {'passphrase': passphrase} if passphrase else {}
    return HostKeyFile('host key %s' % path, {'path': directory}, secrets), name, path


def load_signer(store, name, path):
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


def ensure_key(store, name, path, spec, check_mode):
    """(signer or None, created?) for the key at ``path``; generated when missing."""
    if os.path.lexists(path):
        if not os.path.isfile(path):
            raise InputError('%s exists and is not a regular file.' % path, 'Point path at a key file.')
        return load_signer(store, name, path), False
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
            return load_signer(store, name, path), False
        raise TokenError('Cannot write the private key %s: %s' % (path, exc.message),
                         'Check that the directory is writable.')


def same_request(old_pem, new_pem):
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


def request_subject(p):
    return p.get('subject') if p.get('subject') is not None else ''


def key_spec(p):
    return KeySpec(p.get('key_type') or 'ec', p.get('key_size'), p.get('curve'))


def check_request(p, key_paths):
    """Refuse bad input before anything is written (directories, keys, CSRs): the key file
    names, the subject, names and extensions, and the signature algorithm of a key still to
    be generated (an existing key's is checked when its CSR is built, before it is written)."""
    for key_path in key_paths:
        store_for(key_path, None)
    request_parts(request_subject(p), p.get('subject_alt_names'), p.get('extensions'))
    if not all(os.path.lexists(key_path) for key_path in key_paths):
        check_algorithm_for_key_type(key_spec(p).key_type, p.get('signature_algorithm'), p.get('digest') or 'sha256')


def key_and_request(p, key_path, csr_path, check_mode, old_csr):
    """The full check of one key and its CSR: (csr_pem, spki_sha256, key_created, csr_differs).

    The key is loaded (generated when missing, not in check mode) and a CSR built for the
    request; ``old_csr`` (the bytes on disk) is kept when it asks for the same thing."""
    store, name, key_path = store_for(key_path, p.get('passphrase'))
    signer, key_created = ensure_key(store, name, key_path, key_spec(p), check_mode)
    if signer is None:
        return '', None, key_created, True
    spki = x509_utils.spki_sha256(signer.public_key)
    csr_pem = build_csr(signer, request_subject(p), p.get('subject_alt_names'), extensions=p.get('extensions'),
                        signature_algorithm=p.get('signature_algorithm'), digest=p.get('digest') or 'sha256')
    if same_request(old_csr, csr_pem):
        return old_csr.decode('ascii'), spki, key_created, False
    return csr_pem, spki, key_created, True
