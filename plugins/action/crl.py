# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""pki.lifecycle.crl on the controller runs in Ansible's worker (plugin_utils/controller_action.py)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.pki.lifecycle.plugins.modules import crl as module
from ansible_collections.pki.lifecycle.plugins.plugin_utils.controller_action import ControllerAction


class ActionModule(ControllerAction):
    MODULE = module
