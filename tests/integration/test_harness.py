"""The harness itself: every fixture against its real server, and the playbook runner."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import http.server
import json
import os
import ssl
import subprocess
import threading
import urllib.request

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from harness import servers as S
from harness.playbook import PlaybookRun, assert_ok
from harness.plugin import server_unavailable, start_server


# ------------------------------------------------------------------ helpers

def make_csr(*names: str, key=None) -> tuple[bytes, bytes]:
    """(csr_pem, key_pem) for DNS names; the first is the CN."""
    key = key or ec.generate_private_key(ec.SECP256R1())
    csr = (x509.CertificateSigningRequestBuilder()
           .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
           .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False)
           .sign(key, hashes.SHA256()))
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return csr.public_bytes(serialization.Encoding.PEM), key_pem


def issued_by(cert: x509.Certificate, issuer_pem: str | bytes) -> bool:
    issuer = x509.load_pem_x509_certificate(issuer_pem.encode() if isinstance(issuer_pem, str) else issuer_pem)
    try:
        cert.verify_directly_issued_by(issuer)
        return True
    except Exception:  # noqa: BLE001
        return False


def post_json(url: str, payload, headers=None, context=None):
    req = urllib.request.Request(url, data=json.dumps(payload).encode(), method="POST",
                                 headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=15, context=context) as resp:
            return resp.status, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as exc:
        body = exc.read()
        try:
            return exc.code, json.loads(body)
        except ValueError:
            return exc.code, body.decode("utf-8", "replace")


def get(url: str, context=None, headers=None):
    req = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(req, timeout=15, context=context) as resp:
        return resp.status, resp.read()


def acme_client(directory_url: str, ca_bundle: str | bool, eab: tuple[str, str] | None = None):
    import josepy as jose
    from acme import client, messages

    acc_key = jose.JWKEC(key=ec.generate_private_key(ec.SECP256R1()))
    net = client.ClientNetwork(acc_key, alg=jose.ES256, verify_ssl=ca_bundle, user_agent="pki-lifecycle-tests")
    directory = client.ClientV2.get_directory(directory_url, net)
    acme = client.ClientV2(directory, net=net)
    kwargs = {}
    if eab:
        kwargs["external_account_binding"] = messages.ExternalAccountBinding.from_data(
            account_public_key=acc_key.public_key(), kid=eab[0], hmac_key=eab[1], directory=directory)
    acme.new_account(messages.NewRegistration.from_data(terms_of_service_agreed=True, **kwargs))
    return acme, acc_key


def acme_issue(acme, acc_key, names, publish, kind="http-01") -> str:
    """Order a certificate; publish(challb, validation) makes the challenge answerable."""
    from acme import challenges

    csr_pem, _unused = make_csr(*names)
    order = acme.new_order(csr_pem)
    for authz in order.authorizations:
        chall_type = challenges.HTTP01 if kind == "http-01" else challenges.DNS01
        challb = next(c for c in authz.body.challenges if isinstance(c.chall, chall_type))
        response, validation = challb.response_and_validation(acc_key)
        publish(authz.body.identifier.value, challb, validation)
        acme.answer_challenge(challb, response)
    deadline = dt.datetime.now() + dt.timedelta(seconds=30)
    return acme.poll_and_finalize(order, deadline).fullchain_pem


# --------------------------------------------------------------- the rule

def test_require_servers_rule_fails_or_skips(monkeypatch):
    monkeypatch.setenv("PKI_LIFECYCLE_REQUIRE_SERVERS", "1")
    with pytest.raises(pytest.fail.Exception, match="gone"):
        server_unavailable("gone")
    monkeypatch.setenv("PKI_LIFECYCLE_REQUIRE_SERVERS", "0")
    with pytest.raises(pytest.skip.Exception, match="gone"):
        server_unavailable("gone")


def test_missing_binary_and_failed_start_are_reported(tmp_path, monkeypatch):
    class Missing(S.Server):
        name = "missing"

        def check_installed(self):
            raise S.ServerUnavailable("nosuchd not found: apt-get install -y nosuchd")

    class Broken(S.Server):
        name = "broken"
        start_attempts = 1

        def _start(self):
            p = self.spawn("broken", ["sh", "-c", "echo 'fatal: bad config line 3' >&2; exit 3"])
            S.wait_until(lambda: False, timeout=10, what="broken to listen", procs=[p])

    monkeypatch.setenv("PKI_LIFECYCLE_REQUIRE_SERVERS", "1")
    with pytest.raises(pytest.fail.Exception, match="nosuchd not found"):
        start_server(Missing(tmp_path / "m"))
    with pytest.raises(pytest.fail.Exception) as info:
        start_server(Broken(tmp_path / "b"))
    msg = str(info.value)
    assert "exited with code 3" in msg
    assert str(tmp_path / "b" / "broken.log") in msg
    assert "fatal: bad config line 3" in msg  # the log tail
    monkeypatch.delenv("PKI_LIFECYCLE_REQUIRE_SERVERS")
    with pytest.raises(pytest.skip.Exception):
        start_server(Missing(tmp_path / "m2"))


# ------------------------------------------------------------------- Pebble

def test_pebble_directory_and_roots(pebble):
    ctx = ssl.create_default_context(cafile=pebble.ca_bundle)
    status, body = get(pebble.directory_url, context=ctx)
    directory = json.loads(body)
    assert status == 200 and "newOrder" in directory and "newAccount" in directory
    assert directory["newOrder"].startswith("https://127.0.0.1:")
    root = x509.load_pem_x509_certificate(pebble.roots_pem().encode())
    assert root.issuer == root.subject
    assert pebble["directory_url"] == pebble.directory_url


def test_pebble_http01_and_dns01_real_validation(pebble):
    acme, key = acme_client(pebble.directory_url, pebble.ca_bundle)

    def via_challtestsrv(name, challb, validation):
        pebble.add_http01(challb.chall.encode("token"), validation)

    fullchain = acme_issue(acme, key, ["www.example.test", "api.example.test"], via_challtestsrv)
    chain = x509.load_pem_x509_certificates(fullchain.encode())
    leaf = chain[0]
    sans = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert set(sans.get_values_for_type(x509.DNSName)) == {"www.example.test", "api.example.test"}
    assert issued_by(chain[-1], pebble.roots_pem())
    assert pebble.cert_status(format(leaf.serial_number, "x"))["Status"] == "Valid"

    def via_txt(name, challb, validation):
        pebble.set_txt(f"_acme-challenge.{name}", validation)

    fullchain = acme_issue(acme, key, ["dns.example.test"], via_txt, kind="dns-01")
    pebble.clear_txt("_acme-challenge.dns.example.test")
    assert x509.load_pem_x509_certificates(fullchain.encode())[0]


def test_pebble_validation_is_real(pebble):
    """An unanswered http-01 challenge makes the order fail: validation is not faked."""
    from acme import errors

    acme, key = acme_client(pebble.directory_url, pebble.ca_bundle)
    with pytest.raises(errors.ValidationError) as info:
        acme_issue(acme, key, ["nothing-served.example.test"], lambda *a: None)
    authz = info.value.failed_authzrs[0].body
    assert authz.status.name == "invalid"
    problems = [c.error for c in authz.challenges if c.error is not None]
    assert problems and problems[0].typ.endswith(":unauthorized"), problems  # real http-01 fetch


def test_pebble_eab_required(pebble_eab):
    from acme import errors, messages

    assert pebble_eab.eab_kid and pebble_eab.eab_hmac_key
    import josepy as jose
    from acme import client

    # without EAB: refused
    acc_key = jose.JWKEC(key=ec.generate_private_key(ec.SECP256R1()))
    net = client.ClientNetwork(acc_key, alg=jose.ES256, verify_ssl=pebble_eab.ca_bundle)
    acme = client.ClientV2(client.ClientV2.get_directory(pebble_eab.directory_url, net), net=net)
    with pytest.raises(errors.Error, match="(?i)external"):
        acme.new_account(messages.NewRegistration.from_data(terms_of_service_agreed=True))
    # with EAB: an account and a certificate
    acme, key = acme_client(pebble_eab.directory_url, pebble_eab.ca_bundle,
                            eab=(pebble_eab.eab_kid, pebble_eab.eab_hmac_key))
    fullchain = acme_issue(acme, key, ["eab.example.test"],
                           lambda n, c, v: pebble_eab.add_http01(c.chall.encode("token"), v))
    assert "BEGIN CERTIFICATE" in fullchain


def test_pebble_own_http_responder(pebble_own_http, pebble_http_port):
    assert pebble_http_port == pebble_own_http.http_port
    tokens: dict[str, str] = {}
    seen: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            seen.append(self.path)
            token = self.path.rsplit("/", 1)[-1]
            body = tokens.get(token, "").encode()
            self.send_response(200 if body else 404)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", pebble_http_port), Handler)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        acme, key = acme_client(pebble_own_http.directory_url, pebble_own_http.ca_bundle)

        def publish(name, challb, validation):
            tokens[challb.chall.encode("token")] = validation

        fullchain = acme_issue(acme, key, ["own.example.test"], publish)
    finally:
        srv.shutdown()
        srv.server_close()
    assert "BEGIN CERTIFICATE" in fullchain
    assert any(p.startswith("/.well-known/acme-challenge/") for p in seen)


# ------------------------------------------------------------------ OpenBao

def test_openbao_signs_csr_over_http(openbao):
    assert openbao.addr.startswith("http://127.0.0.1:") and openbao.token == "root"
    assert (openbao.mount, openbao.role) == ("pki", "web")
    csr_pem, _unused = make_csr("host1.example.test", "www.host1.example.test")
    status, out = post_json(f"{openbao.addr}/v1/{openbao.mount}/sign/{openbao.role}",
                            {"csr": csr_pem.decode(), "common_name": "host1.example.test",
                             "alt_names": "www.host1.example.test", "ttl": "24h"},
                            headers={"X-Vault-Token": openbao.token})
    assert status == 200, out
    cert = x509.load_pem_x509_certificate(out["data"]["certificate"].encode())
    assert issued_by(cert, openbao.ca_pem)
    # names outside the role are refused
    csr_pem, _unused = make_csr("evil.example.org")
    status, out = post_json(f"{openbao.addr}/v1/pki/sign/web", {"csr": csr_pem.decode(),
                                                                "common_name": "evil.example.org"},
                            headers={"X-Vault-Token": openbao.token})
    assert status == 400 and "not allowed" in json.dumps(out)


def test_openbao_approle_and_acme(openbao):
    status, out = post_json(f"{openbao.addr}/v1/auth/approle/login",
                            {"role_id": openbao.approle["role_id"], "secret_id": openbao.approle["secret_id"]})
    assert status == 200, out
    token = out["auth"]["client_token"]
    csr_pem, _unused = make_csr("app.example.test")
    status, out = post_json(f"{openbao.addr}/v1/pki/sign/web",
                            {"csr": csr_pem.decode(), "common_name": "app.example.test"},
                            headers={"X-Vault-Token": token})
    assert status == 200, out
    # the AppRole token is limited to the pki paths
    status, _unused = post_json(f"{openbao.addr}/v1/sys/mounts/other", {"type": "kv"}, headers={"X-Vault-Token": token})
    assert status == 403
    status, body = get(openbao.acme_directory_url)
    directory = json.loads(body)
    assert status == 200 and directory["newOrder"].startswith(openbao.addr)
    # the ACME endpoints answer (account creation works; nonce header passes the mount)
    acme, _unused = acme_client(openbao.acme_directory_url, False)
    assert acme.directory.newOrder


def test_openbao_acme_dns01_through_pebble_dns(openbao, pebble):
    openbao.set_acme_dns_resolver(pebble.dns_address)
    try:
        acme, key = acme_client(openbao.acme_directory_url, False)
        fullchain = acme_issue(acme, key, ["acme.example.test"],
                               lambda n, c, v: pebble.set_txt(f"_acme-challenge.{n}", v), kind="dns-01")
    finally:
        openbao.set_acme_dns_resolver(None)
        pebble.clear_txt("_acme-challenge.acme.example.test")
    leaf = x509.load_pem_x509_certificates(fullchain.encode())[0]
    assert issued_by(leaf, openbao.ca_pem)


# -------------------------------------------------------------------- CFSSL

def test_cfssl_info_sign_authsign_revoke_crl(cfssl):
    status, out = post_json(f"{cfssl.url}/api/v1/cfssl/info", {})
    assert status == 200 and out["success"], out
    assert out["result"]["certificate"].strip() == cfssl.ca_pem.strip()
    assert set(cfssl.profiles) == {"server", "authserver"}
    assert int(cfssl.auth_key, 16) >= 0

    csr_pem, _unused = make_csr("cf1.example.test")
    status, out = post_json(f"{cfssl.url}/api/v1/cfssl/sign",
                            {"certificate_request": csr_pem.decode(), "profile": "server"})
    assert status == 200 and out["success"], out
    cert = x509.load_pem_x509_certificate(out["result"]["certificate"].encode())
    assert issued_by(cert, cfssl.ca_pem)

    request = json.dumps({"certificate_request": csr_pem.decode(), "profile": "authserver"}).encode()
    token = hmac.new(bytes.fromhex(cfssl.auth_key), request, hashlib.sha256).digest()
    status, out = post_json(f"{cfssl.url}/api/v1/cfssl/authsign",
                            {"token": base64.b64encode(token).decode(), "request": base64.b64encode(request).decode()})
    assert status == 200 and out["success"], out
    authed = x509.load_pem_x509_certificate(out["result"]["certificate"].encode())
    bad = hmac.new(b"wrong key", request, hashlib.sha256).digest()
    status, out = post_json(f"{cfssl.url}/api/v1/cfssl/authsign",
                            {"token": base64.b64encode(bad).decode(), "request": base64.b64encode(request).decode()})
    assert not (status == 200 and out.get("success")), out

    assert cfssl.cert_status(cert.serial_number)["status"] == "good"
    status, out = post_json(f"{cfssl.url}/api/v1/cfssl/revoke",
                            {"serial": str(authed.serial_number), "authority_key_id": "", "reason": "keyCompromise"})
    assert status == 200 and out["success"], out
    row = cfssl.cert_status(format(authed.serial_number, "x"))
    assert row["status"] == "revoked" and row["reason"] == 1
    crl = x509.load_pem_x509_crl(cfssl.gencrl().encode())
    assert crl.get_revoked_certificate_by_serial_number(authed.serial_number) is not None
    assert crl.get_revoked_certificate_by_serial_number(cert.serial_number) is None
    ca = x509.load_pem_x509_certificate(cfssl.ca_pem.encode())
    assert crl.is_signature_valid(ca.public_key())
    assert os.path.exists(cfssl.db_path)


# ------------------------------------------------------------------ SoftHSM

def test_softhsm_session_opens_with_pin(softhsm):
    import pkcs11

    assert os.environ["SOFTHSM2_CONF"] == softhsm.env["SOFTHSM2_CONF"]
    assert softhsm.module == "/usr/lib/softhsm/libsofthsm2.so"
    lib = pkcs11.lib(softhsm.module)
    token = lib.get_token(token_label=softhsm.token_label)
    with token.open(user_pin=softhsm.user_pin, rw=True) as session:
        pub, priv = session.generate_keypair(pkcs11.KeyType.RSA, 2048, label="harness-check", store=False)
        sig = priv.sign(b"data", mechanism=pkcs11.Mechanism.SHA256_RSA_PKCS)
        assert pub.verify(b"data", sig, mechanism=pkcs11.Mechanism.SHA256_RSA_PKCS)
    with pytest.raises(pkcs11.exceptions.PinIncorrect):
        token.open(user_pin="0000")
    # subprocesses see the token through the inherited SOFTHSM2_CONF
    out = subprocess.run(["softhsm2-util", "--show-slots"], capture_output=True, text=True, check=True)
    assert softhsm.token_label in out.stdout


# --------------------------------------------------------------- PostgreSQL

def test_postgresql_connects_with_password(postgresql):
    import psycopg

    assert postgresql.url.startswith("postgresql://pki@127.0.0.1:")
    with psycopg.connect(postgresql.url, password=postgresql.password, connect_timeout=5) as conn:
        assert conn.execute("SELECT current_user, current_database()").fetchone() == ("pki", "pki")
        conn.execute("CREATE TABLE IF NOT EXISTS harness_check (id int)")
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(postgresql.url, password="wrong", connect_timeout=5)
    url = postgresql.create_database("harness_extra")
    with psycopg.connect(url, password=postgresql.password, connect_timeout=5) as conn:
        assert conn.execute("SELECT current_database()").fetchone() == ("harness_extra",)
    postgresql.drop_database("harness_extra")


# -------------------------------------------------------------------- sshd

def test_sshd_runs_true(sshd):
    r = sshd.run("true")
    assert r.returncode == 0, r.stderr
    r = sshd.run("echo", "$SSH_CONNECTION")
    assert r.stdout.split()[2:4] == ["127.0.0.1", str(sshd.port)]


# --------------------------------------------------------------- playbooks

def test_run_playbook_ping(run_playbook):
    run = run_playbook("""
- hosts: localhost
  gather_facts: false
  tasks:
    - name: ping
      ansible.builtin.ping:
""")
    assert_ok(run)
    assert isinstance(run, PlaybookRun)
    assert run.result("ping")["ping"] == "pong"
    assert run.stats["localhost"]["ok"] == 1 and run.changed_count() == 0
    with pytest.raises(AssertionError, match="tasks recorded: \\['ping'\\]"):
        run.result("no such task")


def test_run_playbook_over_sshd_with_loops_and_failures(run_playbook, sshd, tmp_path):
    inventory = sshd.inventory_for(["web1", "web2"], {"web2": {"role_name": "second"}})
    run = run_playbook("""
- name: over ssh
  hosts: all
  gather_facts: false
  tasks:
    - name: ping
      ansible.builtin.ping:
    - name: write files
      ansible.builtin.command: touch {{ dir }}/{{ inventory_hostname }}-{{ item }}
      loop: [a, b]
    - name: fail on web2
      ansible.builtin.fail:
        msg: "web2 says {{ role_name | default('none') }}"
      when: inventory_hostname == 'web2'
      ignore_errors: true
""", inventory=inventory, extra_vars={"dir": str(tmp_path)})
    assert_ok(run)
    assert run.result("ping", "web1")["ping"] == "pong"
    assert run.result("ping", "web2")["ping"] == "pong"
    assert [r["item"] for r in run.records("write files", "web1", items=True)] == ["a", "b"]
    assert all(r["status"] == "changed" for r in run.records("write files", items=True))
    assert run.status("fail on web2", "web2") == "failed"
    assert run.result("fail on web2", "web2")["msg"] == "web2 says second"
    assert run.status("fail on web2", "web1") == "skipped"
    assert run.changed_count("web1") == 1 and run.changed_count() == 2
    assert run.stats["web2"]["ignored"] == 1
    assert (tmp_path / "web2-b").exists()

    again = run_playbook("""
- hosts: localhost
  gather_facts: false
  tasks:
    - name: nope
      ansible.builtin.command: /bin/false
""")
    assert again.rc != 0
    with pytest.raises(AssertionError, match="nope"):
        assert_ok(again)
