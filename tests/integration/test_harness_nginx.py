"""The nginx harness (harness/nginx.py): a real nginx serves what is deployed after a reload."""

from __future__ import annotations

import os
import subprocess

import pytest
from cryptography import x509

from harness.nginx import Nginx


def _self_signed(tmp_path, cn):
    key, cert = tmp_path / f"{cn}.key", tmp_path / f"{cn}.crt"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-keyout", str(key), "-out", str(cert), "-days", "1", "-subj", f"/CN={cn}"],
                   check=True, capture_output=True)
    return cert.read_bytes(), key.read_bytes()


def _cn(pem: str) -> str:
    return x509.load_pem_x509_certificate(pem.encode()).subject.rfc4514_string()


def test_nginx_serves_placeholder_then_reloads_deployed_cert(nginx_factory, tmp_path):
    cert_path, key_path = tmp_path / "deploy" / "web.crt", tmp_path / "deploy" / "web.key"
    web: Nginx = nginx_factory(cert_path=cert_path, key_path=key_path, server_name="web.test")
    assert _cn(web.served_certificate()) == "CN=placeholder web.test"
    assert web.reload_count() == 0

    cert, key = _self_signed(tmp_path, "cert-B")
    cert_path.write_bytes(cert)
    key_path.write_bytes(key)
    assert _cn(web.served_certificate()) == "CN=placeholder web.test"   # not before the reload
    subprocess.run(web.reload_command, shell=True, check=True, capture_output=True)
    # the master re-reads the files; the new worker serves the new certificate and the old one quits
    web.serves(lambda pem: _cn(pem) == "CN=cert-B")
    assert _cn(web.served_certificate()) == "CN=cert-B"
    assert web.reload_count() == 1

    # a mismatched pair: the reload is refused, the old certificate stays served
    _other_cert, other_key = _self_signed(tmp_path, "cert-C")
    key_path.write_bytes(other_key)
    assert web.reload(check=False).returncode != 0
    assert _cn(web.served_certificate()) == "CN=cert-B"
    assert web.reload_count() == 1


def test_nginx_stops_by_pid(nginx_factory):
    web = nginx_factory()
    pid = web.master_pid()
    web.stop()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
