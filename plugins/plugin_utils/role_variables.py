# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The certificate role's variables as the arguments of its one task (certificate_deploy with
``from_role_variables``).

Each variable is templated once, validated against the role's own argument spec
(meta/argument_specs.yml, entry point ``main``: the same spec Ansible's separate validation task
uses, so the messages name the same variables), and mapped to a certificate_deploy option. The
labels the renewal and decommission roles read are built here as well. Why in the task:
docs/roles.md (one worker per host on a no-change run).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.common.yaml import yaml_load

PREFIX = 'certificate_'
# Role variables whose option has another name than the variable without its prefix.
RENAMED = {'certificate_key_path': 'path', 'certificate_key_passphrase': 'passphrase',
           'certificate_token_key': 'key'}


class RoleVariablesError(Exception):
    """The role's variables are invalid (the message names them), or the task is not in the role."""


def role_options(role_path):
    """The options of the role's ``main`` entry point: {variable: spec}. Read with the plain
    (C) YAML loader: Ansible's DataLoader deep-copies its tagged cache on every call, a third of
    the task's time in each worker."""
    path = os.path.join(role_path, 'meta', 'argument_specs.yml')
    try:
        with open(path, 'rb') as handle:
            data = yaml_load(handle) or {}
    except (IOError, OSError) as exc:
        raise RoleVariablesError('from_role_variables needs the role\'s meta/argument_specs.yml: %s.' % exc)
    return ((data.get('argument_specs') or {}).get('main') or {}).get('options') or {}


def validated_variables(options, task_vars, templar):
    """The role's variables, templated and validated: (values, no_log values)."""
    values = dict((name, task_vars[name]) for name in options if name in task_vars)
    values = templar.template(values)
    validated = ArgumentSpecValidator(options).validate(values, validate_role_argument_spec=True)
    if validated.error_messages:
        raise RoleVariablesError(
            'The certificate role\'s variables are invalid: %s. Fix them where they are set (play, inventory '
            'or -e); roles/certificate/meta/argument_specs.yml gives each one\'s type and choices.'
            % '; '.join(validated.error_messages))
    return validated.validated_parameters, set(validated._no_log_values)  # pylint: disable=protected-access


def deployment_labels(v, host):
    """Where and how the certificate is deployed, recorded on it for the renewal and
    decommission roles (the user's certificate_labels first, ours over them)."""
    on_host = v['certificate_key_location'] == 'host'
    labels = dict(v.get('certificate_labels') or {})
    labels.update(
        host=host, role='certificate',
        cert_path=v['certificate_cert_path'], chain_path=v['certificate_chain_path'],
        fullchain_path=v['certificate_fullchain_path'],
        key_path=v['certificate_key_path'] if on_host else '',
        csr_path=v['certificate_csr_path'] if on_host else '',
        owner=v['certificate_owner'], group=v['certificate_group'], mode=v['certificate_mode'],
        reload_service=v['certificate_reload_service'],
        reload_state=v['certificate_reload_state'] if v['certificate_reload_service'] else '',
        reload_command=v['certificate_reload_command'])
    return labels


def deploy_arguments(v, host, option_names):
    """certificate_deploy's arguments from the validated role variables: the variables that name
    one of its options (certificate_<option>, or RENAMED), plus the labels."""
    args = {}
    for name, value in v.items():
        option = RENAMED.get(name, name[len(PREFIX):])
        if option in option_names and option != 'labels':
            args[option] = value
    args['labels'] = deployment_labels(v, host)
    return args
