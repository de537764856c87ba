# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""pki.lifecycle.files_to_deploy: which certificate files differ from what a host reported."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
name: files_to_deploy
short_description: The certificate files that differ from what the host reported
version_added: 0.2.0
description:
  - Given the files a deploy task would write (C(path), C(content), C(owner), C(group), C(mode))
    and the RV(pki.lifecycle.certificate_request#module:deployed) report of the same host,
    returns the paths whose content (SHA-256), mode, owner or group differ, or every path when
    there is no report. The C(certificate) role runs its deploy task only when this is not empty.
positional: deployed
options:
  _input:
    description: The files to deploy.
    type: list
    elements: dict
    required: true
  deployed:
    description: The host's report, a dict of path to C(exists), C(sha256), C(owner), C(uid), C(group), C(gid), C(mode).
    type: dict
author:
  - pki.lifecycle contributors (@pki-lifecycle)
'''

EXAMPLES = r'''
- name: Deploy only what differs
  pki.lifecycle.certificate_request:
    path: /etc/ssl/www.key
    files_only: true
    files: "{{ files }}"
  when: files | pki.lifecycle.files_to_deploy(request.deployed | default(none)) | length > 0
'''

RETURN = r'''
_value:
  description: Paths that differ.
  type: list
  elements: str
'''

from ansible_collections.pki.lifecycle.plugins.module_utils.lifecycle.deployed import files_differ


def files_to_deploy(files, deployed=None):
    return files_differ(files, deployed)


class FilterModule(object):
    def filters(self):
        return {'files_to_deploy': files_to_deploy}
