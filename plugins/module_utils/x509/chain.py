# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Chain validation: does an issued certificate lead to one of the RA profile's trust
anchors? Every failure is a ``ValidationError`` naming the certificate at fault and what
to check (the connector, the clocks, the anchors)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import datetime

from ansible_collections.pki.lifecycle.plugins.module_utils.errors import ValidationError
from ansible_collections.pki.lifecycle.plugins.module_utils.vocabulary import as_utc, iso
from ansible_collections.pki.lifecycle.plugins.module_utils.x509.base import LazyModule, remember
from ansible_collections.pki.lifecycle.plugins.module_utils.x509.loading import as_certificate_list, load_certificate
from ansible_collections.pki.lifecycle.plugins.module_utils.x509.names import normalize_subject

x509 = LazyModule('cryptography.x509')
crypto_exceptions = LazyModule('cryptography.exceptions')
ec = LazyModule('cryptography.hazmat.primitives.asymmetric.ec')
ed448 = LazyModule('cryptography.hazmat.primitives.asymmetric.ed448')
ed25519 = LazyModule('cryptography.hazmat.primitives.asymmetric.ed25519')
padding = LazyModule('cryptography.hazmat.primitives.asymmetric.padding')
rsa = LazyModule('cryptography.hazmat.primitives.asymmetric.rsa')


def _describe(cert):
    return "'%s'" % (normalize_subject(cert.subject) or '(empty subject)')


def _check_validity(cert, at_time):
    if at_time < cert.not_valid_before_utc:
        raise ValidationError('certificate %s is not valid yet at %s: valid from %s to %s.'
                              % (_describe(cert), iso(at_time), iso(cert.not_valid_before_utc),
                                 iso(cert.not_valid_after_utc)),
                              "Check the controller's and the CA's clocks.")
    if at_time > cert.not_valid_after_utc:
        raise ValidationError('certificate %s expired at %s (checked at %s).'
                              % (_describe(cert), iso(cert.not_valid_after_utc), iso(at_time)),
                              'Renew it, or update the trust anchors of the RA profile.')


# (issuer, CA certificates below it) that passed _check_issuer_is_ca: a due sweep checks the
# same CA for thousands of leaves.
_ISSUER_OK = {}


def _check_issuer_is_ca(issuer, child, ca_below):
    if (issuer, ca_below) in _ISSUER_OK:
        return
    _check_issuer_constraints(issuer, child, ca_below)
    remember(_ISSUER_OK, (issuer, ca_below), True)


def _check_issuer_constraints(issuer, child, ca_below):
    try:
        bc = issuer.extensions.get_extension_for_class(x509.BasicConstraints).value
    except x509.ExtensionNotFound:
        bc = None
    if bc is None or not bc.ca:
        raise ValidationError('certificate %s signed %s but is not a CA (basicConstraints CA is false '
                              'or missing).' % (_describe(issuer), _describe(child)),
                              'The chain returned by the CA is wrong; check the connector.')
    if bc.path_length is not None and ca_below > bc.path_length:
        raise ValidationError('certificate %s allows %d CA certificates below it but the chain has %d.'
                              % (_describe(issuer), bc.path_length, ca_below),
                              'The chain returned by the CA is wrong; check the connector.')
    try:
        ku = issuer.extensions.get_extension_for_class(x509.KeyUsage).value
        if not ku.key_cert_sign:
            raise ValidationError('certificate %s signed %s but its key usage does not allow '
                                  'keyCertSign.' % (_describe(issuer), _describe(child)),
                                  'The chain returned by the CA is wrong; check the connector.')
    except x509.ExtensionNotFound:
        pass


def _signed_by(child, issuer):
    """Does ``issuer`` (its name and its key) sign ``child``? What verify_directly_issued_by
    checks, with the signature verified by the issuer's key object directly: that call loads
    the issuer's key again for every certificate, as much as the verification itself costs."""
    try:
        if child.issuer != issuer.subject:
            return False
        key, params = issuer.public_key(), child.signature_algorithm_parameters
        if isinstance(key, ec.EllipticCurvePublicKey) and isinstance(params, ec.ECDSA):
            key.verify(child.signature, child.tbs_certificate_bytes, params)
        elif isinstance(key, rsa.RSAPublicKey) and isinstance(params, (padding.PKCS1v15, padding.PSS)):
            key.verify(child.signature, child.tbs_certificate_bytes, params, child.signature_hash_algorithm)
        elif isinstance(key, (ed25519.Ed25519PublicKey, ed448.Ed448PublicKey)) and params is None:
            key.verify(child.signature, child.tbs_certificate_bytes)
        else:   # any other pairing: cryptography decides (and refuses a mismatch)
            child.verify_directly_issued_by(issuer)
        return True
    except (crypto_exceptions.InvalidSignature, ValueError, TypeError, crypto_exceptions.UnsupportedAlgorithm):
        return False


def verify_chain(leaf, chain, anchors, at_time=None):
    """Build and check the path leaf -> intermediates -> one of ``anchors``.

    ``chain``: the CA's intermediates in any order, with or without the root.
    ``anchors``: the RA profile's trusted certificates. Certificates may be objects or
    PEM. Checks every signature, name chaining, validity at ``at_time`` (default now)
    of every certificate including the anchor, basicConstraints/pathLen/keyCertSign of
    every issuer. Returns the path (leaf first, anchor last); ValidationError otherwise.
    """
    leaf = load_certificate(leaf)
    chain = as_certificate_list(chain, 'certificate chain')
    anchors = as_certificate_list(anchors, 'trust anchors')
    # Not utcnow(): a certificate whose notBefore is this very second is valid already.
    at_time = datetime.datetime.now(datetime.timezone.utc) if at_time is None else as_utc(at_time)
    if not anchors:
        raise ValidationError('certificate chain cannot be validated: the RA profile has no trust '
                              'anchors.', 'Name the trust anchors (root certificates) of the RA profile.')

    def anchor_names():   # for messages only
        return ', '.join(_describe(a) for a in anchors)

    # Certificates compare by their DER: no fingerprint is needed to tell an anchor or a loop.
    path, current = [leaf], leaf
    for _depth in range(16):   # far longer than any real chain; stops loops
        _check_validity(current, at_time)
        if any(current == a for a in anchors):
            return path
        if current.subject == current.issuer and _signed_by(current, current):
            # A self-signed certificate ends the path: trusted only if it is an anchor.
            if any(a.subject == current.subject for a in anchors):
                raise ValidationError('certificate chain does not lead to a trusted anchor of the RA '
                                      'profile: it ends at a self-signed %s that is not the trusted one '
                                      '(same name, different certificate).' % _describe(current),
                                      'The CA was re-created or is an impostor; update the RA profile '
                                      'trust anchors only if you trust the new root.')
            raise ValidationError('certificate chain does not lead to a trusted anchor of the RA '
                                  'profile: it ends at the self-signed %s, which is not among %s.'
                                  % (_describe(current), anchor_names()),
                                  'Add that root to the RA profile trust anchors if you trust it.')
        # Anchors first, so that a root sent by the CA is replaced by the trusted one.
        candidates = []
        for c in anchors + chain:   # a root sent in the chain and anchored is one candidate, not two
            if c.subject == current.issuer and not any(c == p for p in path + candidates):
                candidates.append(c)
        if not candidates:
            raise ValidationError("certificate chain does not lead to a trusted anchor of the RA profile: "
                                  "issuer '%s' of %s not found among the chain and the anchors %s."
                                  % (normalize_subject(current.issuer), _describe(current), anchor_names()),
                                  'Check that the connector returns the intermediate certificates and '
                                  'that the RA profile names the right root.')
        issuer = next((c for c in candidates if _signed_by(current, c)), None)
        if issuer is None:
            raise ValidationError('signature of certificate %s does not verify with the key of %s.'
                                  % (_describe(current), _describe(candidates[0])),
                                  'The chain returned by the CA does not belong to this certificate.')
        ca_below = sum(1 for p in path[1:] if p.subject != p.issuer)
        _check_issuer_is_ca(issuer, current, ca_below)
        path.append(issuer)
        current = issuer
    raise ValidationError('certificate chain is too long (more than 16 certificates).',
                          'Check the chain returned by the CA.')
