# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Contact TLS endpoints from the controller and record what they serve.

A real handshake (the standard library's ssl, no certificate check during it, so that an
expired or foreign chain is still recorded); STARTTLS for SMTP. Every socket operation is
bounded by ``timeout`` seconds, and the whole endpoint by ``deadline`` seconds, so an endpoint
that hangs costs at most that. The chain is then checked against the trust anchors given.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import socket
import ssl
import time
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.pki.lifecycle.plugins.module_utils import x509 as x509lib
from ansible_collections.pki.lifecycle.plugins.module_utils.errors import PkiError
from ansible_collections.pki.lifecycle.plugins.module_utils.x509.base import LazyModule

x509 = LazyModule('cryptography.x509')
serialization = LazyModule('cryptography.hazmat.primitives.serialization')

STARTTLS = ('none', 'smtp')


class EndpointError(Exception):
    pass


def parse_endpoint(value):
    """'host:port', '[v6]:port' or a dict(host, port, server_name, starttls) -> dict."""
    if isinstance(value, dict):
        item = dict(value)
    else:
        text = str(value).strip()
        if text.startswith('['):
            host, _sep, port = text[1:].partition(']:')
        else:
            host, _sep, port = text.rpartition(':')
        item = dict(host=host, port=port)
    if not item.get('host') or not str(item.get('port', '')).isdigit():
        raise ValueError('endpoint %r is not host:port' % (value,))
    item['port'] = int(item['port'])
    item.setdefault('server_name', None)
    item['starttls'] = item.get('starttls') or 'none'
    if item['starttls'] not in STARTTLS:
        raise ValueError('endpoint %r: starttls %r is not one of %s' % (value, item['starttls'], ', '.join(STARTTLS)))
    return item


def endpoint_name(item):
    host = item['host']
    return '%s:%d' % ('[%s]' % host if ':' in host else host, item['port'])


class _Reader(object):
    def __init__(self, sock, deadline):
        self.sock, self.deadline, self.buf = sock, deadline, b''

    def line(self):
        while b'\n' not in self.buf:
            if time.time() > self.deadline:
                raise EndpointError('no answer before the deadline')
            chunk = self.sock.recv(4096)
            if not chunk:
                raise EndpointError('the server closed the connection')
            self.buf += chunk
            if len(self.buf) > 65536:
                raise EndpointError('the server sent an over-long line')
        line, self.buf = self.buf.split(b'\n', 1)
        return line.rstrip(b'\r').decode('latin-1')

    def reply(self):
        """An SMTP reply (possibly multi-line): (code, text)."""
        lines = []
        while True:
            line = self.line()
            lines.append(line)
            if len(line) < 4 or line[3] != '-':
                break
        code = lines[-1][:3]
        return (int(code) if code.isdigit() else None), ' / '.join(lines)


def _smtp_starttls(sock, deadline, ehlo_name):
    reader = _Reader(sock, deadline)
    code, text = reader.reply()
    if code != 220:
        raise EndpointError('not an SMTP server (greeting %r)' % text[:80])
    sock.sendall(('EHLO %s\r\n' % ehlo_name).encode('ascii'))
    code, text = reader.reply()
    if code != 250:
        raise EndpointError('SMTP EHLO refused: %r' % text[:80])
    if 'STARTTLS' not in text.upper():
        raise EndpointError('the SMTP server does not offer STARTTLS')
    sock.sendall(b'STARTTLS\r\n')
    code, text = reader.reply()
    if code != 220:
        raise EndpointError('SMTP STARTTLS refused: %r' % text[:80])


def _served_chain(tls):
    """DER certificates as served (leaf first). Python < 3.13 has the call only on _sslobj."""
    for owner in (tls, getattr(tls, '_sslobj', None)):
        getter = getattr(owner, 'get_unverified_chain', None)
        if getter is not None:
            chain = getter() or []
            return [c if isinstance(c, bytes) else c.public_bytes(ssl._ssl.ENCODING_DER) for c in chain]
    leaf = tls.getpeercert(binary_form=True)
    return [leaf] if leaf else []


def handshake(item, timeout=5.0, deadline=None, ehlo_name='pki-lifecycle.invalid'):
    """Connect, (STARTTLS,) handshake: dict(protocol, cipher, chain_der). EndpointError on failure."""
    started = time.time()
    deadline = started + (deadline or timeout * 3)
    try:
        sock = socket.create_connection((item['host'], item['port']), timeout=timeout)
    except socket.timeout:
        raise EndpointError('connection timed out after %.0f s (a firewall, or nothing listening)' % timeout)
    except (OSError, socket.error) as exc:
        raise EndpointError('cannot connect: %s' % (exc.strerror or exc))
    try:
        sock.settimeout(max(0.1, min(timeout, deadline - time.time())))
        if item['starttls'] == 'smtp':
            _smtp_starttls(sock, deadline, ehlo_name)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        # Record whatever is served (expired, foreign, wrong name); verification is done after.
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        try:
            context.minimum_version = ssl.TLSVersion.TLSv1
            context.set_ciphers('DEFAULT:@SECLEVEL=0')
        except (ValueError, ssl.SSLError):
            pass
        server_name = item.get('server_name') or (None if _is_ip(item['host']) else item['host'])
        tls = context.wrap_socket(sock, server_hostname=server_name, do_handshake_on_connect=False)
        sock = tls
        tls.settimeout(max(0.1, min(timeout, deadline - time.time())))
        tls.do_handshake()
        return dict(protocol=tls.version(), cipher=(tls.cipher() or [None])[0], chain_der=_served_chain(tls),
                    server_name=server_name, seconds=round(time.time() - started, 3))
    except socket.timeout:
        raise EndpointError('no TLS handshake within %.0f s: the endpoint hangs or does not speak TLS' % timeout)
    except ssl.SSLError as exc:
        raise EndpointError('TLS handshake failed (%s): not a TLS endpoint, or STARTTLS needed'
                            % (exc.reason or exc))
    except (OSError, socket.error) as exc:
        raise EndpointError('connection failed during the handshake: %s' % (exc.strerror or exc))
    finally:
        try:
            sock.close()
        except Exception:
            pass


def _is_ip(host):
    try:
        socket.inet_pton(socket.AF_INET6 if ':' in host else socket.AF_INET, host)
        return True
    except (OSError, socket.error, ValueError):
        return False


def describe(item, result, anchors, now=None):
    """The finding for one endpoint: leaf facts, served chain, verification against anchors."""
    certs = [x509.load_der_x509_certificate(der) for der in result['chain_der']]
    if not certs:
        raise EndpointError('the server sent no certificate')
    leaf, chain = certs[0], certs[1:]
    info = x509lib.certificate_info(leaf)
    verified, verify_error = None, None
    if anchors:
        try:
            x509lib.verify_chain(leaf, chain, anchors, at_time=now)
            verified = True
        except PkiError as exc:
            verified, verify_error = False, str(exc)
    names = info['subject_alt_names']
    server_name = result.get('server_name')
    name_matches = None
    if server_name:
        name_matches = any(_dns_match(n[4:], server_name) for n in names if n.startswith('DNS:')) \
            or ('IP:%s' % server_name) in names
    return dict(
        endpoint=endpoint_name(item), host=item['host'], port=item['port'], server_name=server_name,
        starttls=item['starttls'], protocol=result['protocol'], cipher=result['cipher'],
        seconds=result['seconds'], certificate_pem=pem(leaf), chain_pem=''.join(pem(c) for c in chain),
        chain_length=len(certs), verified=verified, verify_error=verify_error, name_matches=name_matches,
        fingerprint_sha256=info['fingerprint_sha256'], spki_sha256=info['spki_sha256'],
        subject=info['subject'], issuer=info['issuer'], serial=info['serial'],
        not_before=info['not_before'], not_after=info['not_after'], subject_alt_names=names,
        public_key=info['public_key'], signature_algorithm=info['signature_algorithm'],
        signature_digest=info['signature_digest'], self_signed=info['self_signed'])


def pem(cert):
    return cert.public_bytes(serialization.Encoding.PEM).decode('ascii')


def _dns_match(pattern, name):
    pattern, name = pattern.lower().rstrip('.'), name.lower().rstrip('.')
    if pattern.startswith('*.'):
        return '.' in name and name.split('.', 1)[1] == pattern[2:]
    return pattern == name


def _one(item, anchors, timeout, deadline, now):
    try:
        return describe(item, handshake(item, timeout, deadline), anchors, now), None
    except EndpointError as exc:
        return None, dict(endpoint=endpoint_name(item), host=item['host'], port=item['port'],
                          starttls=item['starttls'], reason=str(exc))
    except Exception as exc:   # odd bytes from one endpoint must not lose the others
        return None, dict(endpoint=endpoint_name(item), host=item['host'], port=item['port'],
                          starttls=item['starttls'], reason='unreadable answer: %s' % exc)


def scan(endpoints, anchors_pem='', timeout=5.0, deadline=None, now=None, workers=8):
    """dict(endpoints=[finding], errors=[dict(endpoint, reason)], stats); results in input order.

    ``workers`` endpoints are contacted at once (threads: the time is spent waiting on the network)."""
    anchors = x509lib.load_certificates(anchors_pem, 'trust anchors') if anchors_pem else []
    found, errors, items = [], [], []
    started = time.time()
    for raw in endpoints:
        try:
            items.append(parse_endpoint(raw))
        except ValueError as exc:
            errors.append(dict(endpoint=str(raw), reason='%s (write host:port, or a dict with host and port)' % exc))
    if workers > 1 and len(items) > 1:
        with ThreadPoolExecutor(max_workers=min(workers, len(items))) as pool:
            outcomes = list(pool.map(lambda i: _one(i, anchors, timeout, deadline, now), items))
    else:
        outcomes = [_one(i, anchors, timeout, deadline, now) for i in items]
    for ok, bad in outcomes:
        if ok is not None:
            found.append(ok)
        else:
            errors.append(bad)
    return dict(endpoints=found, errors=errors,
                stats=dict(contacted=len(found) + len(errors), served=len(found), errors=len(errors),
                           seconds=round(time.time() - started, 3)))


def run_module(module):
    """certificate_discover_tls's one call. Bad trust anchors fail the task; bad endpoints are listed."""
    error = x509lib.cryptography_import_error()
    if error:
        from ansible.module_utils.basic import missing_required_lib
        module.fail_json(msg=missing_required_lib('cryptography'), exception=error)
    p = module.params
    if p['timeout'] <= 0 or (p['deadline'] is not None and p['deadline'] <= 0) or p['workers'] < 1:
        module.fail_json(msg='timeout and deadline must be more than 0 seconds and workers at least 1 '
                             '(timeout=%s, deadline=%s, workers=%s).' % (p['timeout'], p['deadline'], p['workers']))
    try:
        anchors = x509lib.read_pem_input(p['trust_anchors'], 'trust_anchors', label='CERTIFICATE') if p['trust_anchors'] else ''
        result = scan(p['endpoints'], anchors, timeout=p['timeout'], deadline=p['deadline'], workers=p['workers'])
    except PkiError as exc:
        module.fail_json(msg=str(exc), **dict(exc.details))
    scanned = []
    for raw in p['endpoints']:
        try:
            scanned.append(endpoint_name(parse_endpoint(raw)))
        except ValueError:
            pass
    module.exit_json(changed=False, kind='endpoint', scanned=scanned, **result)
