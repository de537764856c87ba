# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Argument-spec pieces shared by several modules.

The twin of the ``pki.lifecycle.key_source`` doc fragment: keep the two in step
(``ansible-test sanity --test validate-modules`` compares them). The choices come from the
shared vocabulary. Used by certificate_issue and certificate_rekey (certificate_request
takes ``key_source_argument_spec`` alone)::

    spec = dict(...)
    spec.update(key_source_argument_spec())
    PkiModule(argument_spec=spec,
              mutually_exclusive=KEY_SOURCE_MUTUALLY_EXCLUSIVE,
              required_one_of=KEY_SOURCE_REQUIRED_ONE_OF,
              required_together=KEY_SOURCE_REQUIRED_TOGETHER,
              required_if=KEY_SOURCE_REQUIRED_IF)

What the lifecycle layer receives: ``csr`` (PEM text or a path, not read here) XOR
``token_profile`` + ``key``; ``subject`` is raw (a DN string or a dict);
``extensions`` is None or a dict with the keys key_usage, extended_key_usage,
basic_constraints (each possibly None; basic_constraints is None or {'ca': bool,
'path_length': int or None, 'critical': bool}), the shape keys.csr.build_extensions
takes; ``signature_algorithm`` None means "by key type"; ``key_size`` and ``curve`` None
mean the KeySpec defaults.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.pki.lifecycle.plugins.module_utils.vocabulary import (
    DIGESTS, EC_CURVES, KEY_TYPES, RSA_KEY_SIZES, SIGNATURE_ALGORITHMS,
)


def key_source_argument_spec():
    """A new dict (callers may update it) of the key source options."""
    return dict(
        csr=dict(type='str'),
        # no_log=False: names, not secrets (ansible-test flags option names containing 'key'/'token')
        token_profile=dict(type='str', no_log=False),
        key=dict(type='str', no_log=False),
        generate_key=dict(type='bool', default=False, no_log=False),
        key_type=dict(type='str', default='ec', choices=list(KEY_TYPES)),
        key_size=dict(type='int', choices=list(RSA_KEY_SIZES)),
        curve=dict(type='str', choices=list(EC_CURVES)),
        subject=dict(type='raw'),
        subject_alt_names=dict(type='list', elements='str'),
        extensions=dict(
            type='dict',
            options=dict(
                key_usage=dict(type='list', elements='str'),
                extended_key_usage=dict(type='list', elements='str'),
                basic_constraints=dict(
                    type='dict',
                    options=dict(
                        ca=dict(type='bool', default=False),
                        path_length=dict(type='int'),
                        critical=dict(type='bool', default=True),
                    ),
                ),
            ),
        ),
        signature_algorithm=dict(type='str', choices=list(SIGNATURE_ALGORITHMS)),
        digest=dict(type='str', default='sha256', choices=list(DIGESTS)),
    )


# A CSR carries its own subject, names and extensions; a token key needs them from the task.
KEY_SOURCE_MUTUALLY_EXCLUSIVE = [
    ('csr', 'token_profile'),
    ('csr', 'subject'),
    ('csr', 'subject_alt_names'),
    ('csr', 'extensions'),
]
KEY_SOURCE_REQUIRED_ONE_OF = [
    ('csr', 'token_profile'),
]
KEY_SOURCE_REQUIRED_TOGETHER = [
    ('token_profile', 'key'),
]
KEY_SOURCE_REQUIRED_IF = [
    ('generate_key', True, ('token_profile', 'key')),
]
