# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""HTML escaping for text and attribute values: certificate subjects, paths and labels are
written by whoever made the certificate or the host, so every value goes through esc()."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

_ESCAPES = (('&', '&amp;'), ('<', '&lt;'), ('>', '&gt;'), ('"', '&quot;'), ("'", '&#x27;'), ('`', '&#x60;'))


def esc(value):
    """Safe in element text and in double- or single-quoted attribute values."""
    text = '' if value is None else str(value)
    for char, entity in _ESCAPES:
        text = text.replace(char, entity)
    return text
