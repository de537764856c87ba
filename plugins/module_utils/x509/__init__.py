# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""X.509 helpers: read PEM, parse, describe, compare names, validate chains.

Pure functions over ``cryptography`` objects. Every failure is an ``InputError`` (bad
input from the user) or a ``ValidationError`` (an issued certificate that does not
check out), with a message that names the problem and a hint that says what to do.

One concern per file; this package re-exports their public names, so callers write
``from ...module_utils import x509 as x509lib`` and ``x509lib.load_csr(...)``:

- ``base.py``: whether cryptography is installed, lazy imports of optional libraries
  (``LazyModule``, ``optional_library``), the caches of bulk work;
- ``loading.py``: PEM text or a path in, certificates and (verified) CSRs out; ``pem``;
- ``names.py``: subjects and subject alternative names, parsed and normalised;
- ``keys.py``: public key type and size, SPKI and certificate fingerprints;
- ``describe.py``: certificate and CSR info dicts; key usage and EKU names;
- ``chain.py``: chain validation against the RA profile's trust anchors.

Times and serials are written as the inventory writes them: ``vocabulary.iso`` and
``serial_hex``.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.pki.lifecycle.plugins.module_utils.x509.base import (
    CRYPTOGRAPHY_IMPORT_ERROR, HAS_CRYPTOGRAPHY, LazyModule, cryptography_import_error, optional_library,
)
from ansible_collections.pki.lifecycle.plugins.module_utils.x509.chain import verify_chain
from ansible_collections.pki.lifecycle.plugins.module_utils.x509.describe import (
    EXTENDED_KEY_USAGES, KEY_USAGE_ALIASES, KEY_USAGES, certificate_facts, certificate_info, csr_info,
    subject_alt_names_of,
)
from ansible_collections.pki.lifecycle.plugins.module_utils.x509.keys import (
    fingerprint, public_key_dict, public_key_spec, spki_sha256,
)
from ansible_collections.pki.lifecycle.plugins.module_utils.x509.loading import (
    as_certificate_list, csr_public_key, csr_subject, load_certificate, load_certificates, load_csr,
    load_stored_csr, pem, read_pem_input, self_issued,
)
from ansible_collections.pki.lifecycle.plugins.module_utils.x509.names import (
    SAN_FORMS, check_name_bounds, format_san, normalize_sans, normalize_subject, parse_subject,
    parse_subject_alt_names,
)
