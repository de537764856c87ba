# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ModuleDocFragment(object):
    """Secrets for connectors and token profiles. Argument spec: module_utils/common.py."""

    DOCUMENTATION = r'''
options:
  connector_secrets:
    description:
      - Secrets for the connector of the RA profile the task works through (its CA credentials).
        They are used for this task only, never logged and never written to the inventory, so
        give them to every task that reaches the CA (C(module_defaults) is the easy way).
      - Each key has an environment variable fallback where one is listed; a key set here wins.
      - The keys a connector accepts are below; any other key is refused with the list of valid ones.
      - "Connector V(local): C(ca_passphrase), the passphrase of the CA private key (a CA key the
        connector creates is encrypted with it); fallback E(PKI_LIFECYCLE_CA_PASSPHRASE). C(ca_pin), the
        user PIN of the token holding the CA key when the RA profile names C(ca_token_profile);
        fallback E(PKI_LIFECYCLE_CA_PIN), else O(token_secrets) C(pin)."
      - "Connector V(acme): C(eab_kid) and C(eab_hmac_key), the External Account Binding key id and
        base64url HMAC key the CA gave you (fallbacks E(PKI_LIFECYCLE_ACME_EAB_KID),
        E(PKI_LIFECYCLE_ACME_EAB_HMAC_KEY)); C(account_key_passphrase), the passphrase of the ACME
        account key (fallback E(PKI_LIFECYCLE_ACME_ACCOUNT_KEY_PASSPHRASE))."
      - "Connector V(vault): C(token), a Vault or OpenBao token (fallback E(VAULT_TOKEN)); or
        C(role_id) and C(secret_id) for AppRole login (fallbacks E(VAULT_ROLE_ID) and
        E(VAULT_SECRET_ID) when no token is given; given AppRole secrets win over E(VAULT_TOKEN))."
      - "Connector V(cfssl): C(auth_key), the hex HMAC key for the C(authsign) endpoint (fallback
        E(CFSSL_AUTH_KEY)), needed when the server signs only authenticated requests."
    type: dict
    default: {}
  token_secrets:
    description:
      - Secrets that unlock the token profile holding the private key. Used for this task only,
        never logged and never written to the inventory.
      - "C(passphrase): the passphrase of the private key files of a V(file) token profile (new keys
        are encrypted with it); fallback E(PKI_LIFECYCLE_TOKEN_PASSPHRASE)."
      - "C(pin): the user PIN of a V(pkcs11) token profile; fallback E(PKI_LIFECYCLE_PKCS11_PIN)."
    type: dict
    default: {}
'''
