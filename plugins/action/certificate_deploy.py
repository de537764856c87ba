# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""pki.lifecycle.certificate_deploy: one host's certificate in one task (docs: plugins/modules/certificate_deploy.py).

The order of work, with the host round-trips counted:

1. host (key on the host): ``certificate_request`` ensures the key and the CSR and reports what
   is deployed at the certificate paths (SHA-256, owner, group, mode). On a no-change run this
   imports no cryptography on the host (host_state's stamp);
2. controller, in this worker: lifecycle ``issue`` (no change when the identity has a current
   certificate), then lifecycle ``renew`` of it (lifecycle decides whether it is due);
3. controller: lifecycle/deployed.py decides from the host's report which files differ;
4. host, only when something differs: ``certificate_request`` with ``files_only`` writes them.

So a no-change run costs one round-trip to the host. With the key in a token profile on the
controller nothing is reported before the deploy, so step 4 always runs (the module compares
for itself). An ACME order waiting for challenges returns ``challenge_data`` without deploying:
the caller answers them and finishes the order (the certificate role does, in YAML, because
dns-01 runs the user's tasks).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import gc

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.common.parameters import remove_values
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.action import ActionBase
from ansible.utils.vars import merge_hash

from ansible_collections.pki.lifecycle.plugins.module_utils.argspec import key_source_argument_spec
from ansible_collections.pki.lifecycle.plugins.module_utils.common import common_argument_spec
from ansible_collections.pki.lifecycle.plugins.modules import certificate_issue, certificate_renew
from ansible_collections.pki.lifecycle.plugins.plugin_utils.controller_action import (
    call_operation, plain, task_environment,
)
from ansible_collections.pki.lifecycle.plugins.plugin_utils.role_variables import (
    RoleVariablesError, deploy_arguments, role_options, validated_variables,
)

try:
    from ansible_collections.pki.lifecycle.plugins.module_utils.lifecycle.deployed import files_differ
except ImportError:  # reported by call_operation when lifecycle is missing
    files_differ = None

REQUEST_MODULE = 'pki.lifecycle.certificate_request'
RESULT_FIELDS = ('certificate', 'certificate_pem', 'chain_pem', 'root_pem', 'fullchain_pem', 'challenge_data')


def argument_spec():
    shared = key_source_argument_spec()
    spec = dict((k, shared[k]) for k in ('token_profile', 'key', 'key_type', 'key_size', 'curve', 'subject',
                                         'subject_alt_names', 'extensions', 'signature_algorithm', 'digest'))
    spec.update(common_argument_spec())
    spec.update(
        ra_profile=dict(type='str', required=True),
        key_location=dict(type='str', default='host', choices=['host', 'controller']),
        path=dict(type='path'),
        csr_path=dict(type='path'),
        passphrase=dict(type='str', no_log=True),
        key_owner=dict(type='str', no_log=False),
        key_group=dict(type='str', no_log=False),
        key_mode=dict(type='raw', default='0600', no_log=False),
        attributes=dict(type='dict'),
        validity_days=dict(type='int'),
        renew_before=dict(type='str'),
        labels=dict(type='dict'),
        cert_path=dict(type='path', required=True),
        chain_path=dict(type='path'),
        fullchain_path=dict(type='path'),
        owner=dict(type='str'),
        group=dict(type='str'),
        mode=dict(type='raw', default='0644'),
        create_dirs=dict(type='bool', default=False),
        dir_mode=dict(type='raw'),
        from_role_variables=dict(type='bool', default=False),
    )
    return dict(argument_spec=spec,
                required_if=[('key_location', 'host', ('path',)),
                             ('key_location', 'controller', ('token_profile', 'subject'))])


# Options the certificate role passes as they are, where an empty value (its defaults '', 0, {})
# means "not set"; and those that concern only one key location. Dropped before validation, so
# that the role's task needs no Jinja filter (each one a plugin load in every worker).
EMPTY_IS_UNSET = ('path', 'csr_path', 'passphrase', 'key_owner', 'key_group', 'token_profile', 'key', 'key_size',
                  'curve', 'subject_alt_names', 'extensions', 'signature_algorithm', 'attributes', 'validity_days',
                  'renew_before', 'labels', 'chain_path', 'fullchain_path', 'owner', 'group', 'dir_mode')
HOST_ONLY = ('path', 'csr_path', 'passphrase', 'key_owner', 'key_group')
CONTROLLER_ONLY = ('token_profile', 'key')


def given_args(args):
    """The task's arguments without the empty ones of EMPTY_IS_UNSET and those of the other key location."""
    args = dict(args)
    for name in EMPTY_IS_UNSET:
        if name in args and args[name] in (None, '', 0, {}, []) and args[name] is not False:
            del args[name]
    unused = CONTROLLER_ONLY if args.get('key_location', 'host') == 'host' else HOST_ONLY
    for name in unused:
        args.pop(name, None)
    return args


def _given(p, *names):
    return dict((k, p[k]) for k in names if p.get(k) not in (None, ''))


class ActionModule(ActionBase):
    _supports_check_mode = True
    _supports_async = False

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        gc.freeze()  # this worker is a fork of ansible-playbook: leave its heap alone (controller_action.py)
        self._no_log = set()
        try:
            args = self._arguments(task_vars)
        except RoleVariablesError as exc:
            return merge_hash(result, dict(failed=True, msg=str(exc)))
        validated = ArgumentSpecValidator(**argument_spec()).validate(given_args(args))
        if validated.error_messages:
            return merge_hash(result, dict(failed=True, msg=remove_values(validated.errors.msg, self._no_log)))
        p = validated.validated_parameters
        self._no_log.update(validated._no_log_values)
        try:
            out = self._deploy(p, task_vars)
        finally:
            self._remove_tmp_path(self._connection._shell.tmpdir)
        if self._no_log:
            preserved = dict((k, v) for k, v in out.items() if v is None or isinstance(v, bool))
            out = remove_values(out, self._no_log)
            out.update(preserved)
        return merge_hash(result, out)

    def _arguments(self, task_vars):
        """The task's arguments; with from_role_variables, the certificate role's variables over
        them (templated once and validated against the role's argument spec: role_variables.py)."""
        args = plain(self._task.args)
        if not boolean(args.pop('from_role_variables', False), strict=False):
            return args
        role = self._task._role  # pylint: disable=protected-access
        if role is None:
            raise RoleVariablesError('from_role_variables is for the task of the pki.lifecycle.certificate role; '
                                     'outside the role, give the options themselves.')
        options = role_options(role._role_path)  # pylint: disable=protected-access
        values, no_log = validated_variables(options, task_vars, self._templar)
        self._no_log.update(no_log)
        # What the role's variables do not set (the inventory and secrets of module_defaults) stays.
        args.update(deploy_arguments(values, task_vars.get('inventory_hostname'), argument_spec()['argument_spec']))
        return args

    # ------------------------------------------------------------------ the host

    def _host(self, args, task_vars):
        out = self._execute_module(module_name=REQUEST_MODULE, module_args=args, task_vars=task_vars)
        if out.get('failed'):
            out = dict(failed=True, msg=out.get('msg') or 'certificate_request failed on the host.',
                       step='host', module_stderr=out.get('module_stderr'), module_stdout=out.get('module_stdout'))
            return dict((k, v) for k, v in out.items() if v is not None)
        return out

    def _key_and_csr(self, p, task_vars):
        args = dict(path=p['path'], key_type=p['key_type'], mode=p['key_mode'], create_dirs=p['create_dirs'],
                    report_files=[f['path'] for f in self._files(p, {})])
        args.update(_given(p, 'csr_path', 'passphrase', 'key_size', 'curve', 'subject', 'subject_alt_names',
                           'extensions', 'signature_algorithm', 'digest', 'dir_mode'))
        args.update(dict((k, p['key_' + k]) for k in ('owner', 'group') if p.get('key_' + k)))
        return self._host(args, task_vars)

    @staticmethod
    def _files(p, issued):
        attributes = dict(mode=p['mode'])
        attributes.update(_given(p, 'owner', 'group'))
        files = [(p['cert_path'], 'certificate_pem'), (p.get('chain_path'), 'chain_pem'),
                 (p.get('fullchain_path'), 'fullchain_pem')]
        return [dict(attributes, path=path, content=issued.get(field) or '') for path, field in files if path]

    # ------------------------------------------------------------------ the controller

    def _operation(self, module, args, p):
        args = dict(args, **_given(p, 'inventory', 'inventory_password', 'connector_secrets', 'token_secrets'))
        out, no_log = call_operation(module, args, self._task.check_mode, self._task.diff, self._task.action)
        self._no_log.update(no_log)
        return out

    def _issue_or_renew(self, p, host):
        args = _given(p, 'ra_profile', 'attributes', 'validity_days', 'labels')
        if host is not None:
            args['csr'] = host['csr']
        else:
            args.update(_given(p, 'token_profile', 'key', 'key_type', 'key_size', 'curve', 'subject',
                               'subject_alt_names', 'extensions', 'signature_algorithm', 'digest'),
                        generate_key=True)
        issued = self._operation(certificate_issue, args, p)
        uuid = (issued.get('certificate') or {}).get('uuid')
        if issued.get('failed') or issued.get('changed') or issued.get('challenge_data') or not uuid:
            return issued, False
        renewed = self._operation(certificate_renew, dict(certificate=uuid, **_given(
            p, 'renew_before', 'validity_days', 'attributes')), p)
        if renewed.get('failed') or renewed.get('changed'):
            return renewed, True
        return issued, False

    # ------------------------------------------------------------------ the whole task

    def _deploy(self, p, task_vars):
        host = None
        reasons = []
        if p['key_location'] == 'host':
            host = self._key_and_csr(p, task_vars)
            if host.get('failed'):
                return host
            if host.get('changed'):
                reasons.append(host.get('reason'))
        environment = {}
        self._compute_environment_string(environment)
        with task_environment(environment):
            if host is not None and not host.get('csr'):   # check mode: the key is still to be made
                return dict(changed=True, reason=' '.join(reasons + ['Would then issue a certificate for it.']),
                            certificate={}, certificate_pem='', chain_pem='', root_pem='', fullchain_pem='',
                            files_changed=[], **self._host_facts(host))
            current, renewed = self._issue_or_renew(p, host)
        if current.get('failed'):
            return dict(current, step='controller')
        out = dict((k, current[k]) for k in RESULT_FIELDS if k in current)
        out.update(self._host_facts(host), renewed=renewed, files_changed=[], labels=p.get('labels') or {})
        for key in ('diff', 'warnings'):
            if current.get(key):
                out[key] = current[key]
        reasons.append(current.get('reason') or '')
        changed = bool(current.get('changed') or (host or {}).get('changed'))
        if current.get('challenge_data'):
            # What finishing the order needs (the CSR to ask again with, the host's report for
            # the deploy afterwards); left out otherwise, a smaller result for every host.
            if host is not None:
                out.update(csr=host.get('csr') or '', deployed=host.get('deployed') or {})
            return dict(out, changed=True, reason=' '.join(r for r in reasons if r))
        if not current.get('certificate_pem'):
            if self._task.check_mode:
                return dict(out, changed=True, reason=' '.join(r for r in reasons if r))
            return dict(out, failed=True, step='controller',
                        msg='No certificate to deploy: %s' % (current.get('reason') or 'the CA returned none.'))
        files = self._files(p, current)
        differ = files_differ(files, host.get('deployed')) if host is not None else [f['path'] for f in files]
        if differ and host is not None and self._task.check_mode:
            out['files_changed'] = differ          # the host's report says so: nothing to ask it
        elif differ:
            written = self._host(dict(_given(p, 'dir_mode'), path=p.get('path') or p['cert_path'], files_only=True,
                                      create_dirs=p['create_dirs'], files=files), task_vars)
            if written.get('failed'):
                return dict(out, **written)
            out['files_changed'] = written.get('files_changed') or []
        if out['files_changed']:
            reasons.append('%s %s.' % ('Would deploy' if self._task.check_mode else 'Deployed',
                                       ', '.join(out['files_changed'])))
        else:
            reasons.append('The deployed files are up to date.')
        return dict(out, changed=changed or bool(out['files_changed']), reason=' '.join(r for r in reasons if r))

    @staticmethod
    def _host_facts(host):
        if host is None:
            return {}
        return dict(spki_sha256=host.get('spki_sha256'), key_created=bool(host.get('key_created')),
                    csr_changed=bool(host.get('csr_changed')))
