# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ACME connector, one concern per file: io (JWS/HTTP, nonces, problem documents),
account (keys, registration, keyChange), orders, challenges, dns_rfc2136 (dns-01 by
RFC 2136 + TSIG), ari (RFC 9773), connector (the Connector class the registry loads).

The registry imports ``connector`` when the acme connector is first asked for. The pure
helpers are re-exported here for code that imported them from the former acme.py."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.pki.lifecycle.plugins.module_utils.connectors.acme.ari import (  # noqa: F401
    ari_certificate_id, certificate_id, parse_renewal_info)
from ansible_collections.pki.lifecycle.plugins.module_utils.connectors.acme.io import (  # noqa: F401
    problem_dict, problem_text)
from ansible_collections.pki.lifecycle.plugins.module_utils.connectors.acme.orders import (  # noqa: F401
    choose_chain, issuer_cn as _issuer_cn)
from ansible_collections.pki.lifecycle.plugins.module_utils.connectors.acme.connector import (  # noqa: F401
    AcmeConnector)
