# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ModuleDocFragment(object):
    """The ``attributes`` every module documents, as community.crypto's ``attributes`` fragment.

    Use ``pki.lifecycle.attributes`` plus ``.controller`` (modules that run on the controller
    and belong to the action group) or ``.host`` (certificate_request). A module then states
    only what is its own: ``diff_mode.support`` and any ``details``; its values win over
    these when both give a key.
    """

    # Descriptions as in ansible.builtin.action_common_attributes; every module supports check mode.
    DOCUMENTATION = r'''
options: {}
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in
      diff mode.
  platform:
    description: Target OS/families that can be operated against.
    support: full
    platforms: posix
'''

    # Runs on the controller, where the inventory is; member of group/pki.lifecycle.certificates.
    CONTROLLER = r'''
options: {}
attributes:
  platform:
    details: The controller.
  action_group:
    description: Action is part of action_group(s), for convenient setting of module_defaults.
    support: full
    membership:
      - pki.lifecycle.certificates
'''

    # Runs on the managed host (the key stays there); in no action group.
    HOST = r'''
options: {}
attributes:
  platform:
    details: The managed host.
'''
