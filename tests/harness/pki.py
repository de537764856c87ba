"""Helpers the integration suites share: openssl, CSRs, reading an inventory independently
(sqlite3 / json, not our store code), a localhost play around tasks, and the tasks that answer
ACME challenges through pebble-challtestsrv. Test modules import these from here rather than
from each other (pytest runs with --import-mode=importlib: test files are not importable)."""
import json
import os
import sqlite3
import subprocess


def openssl(*args, input_text=None):
    return subprocess.run(['openssl'] + list(args), input=input_text, capture_output=True, text=True, check=False)


def verify(cert_pem, ca_pem, tmp_path, crl_pem=None):
    (tmp_path / 'leaf.pem').write_text(cert_pem)
    (tmp_path / 'ca.pem').write_text(ca_pem)
    args = ['verify', '-CAfile', str(tmp_path / 'ca.pem')]
    if crl_pem:
        (tmp_path / 'crl.pem').write_text(crl_pem)
        args += ['-crl_check', '-CRLfile', str(tmp_path / 'crl.pem')]
    return openssl(*(args + [str(tmp_path / 'leaf.pem')]))


def snapshot(inventory_path):
    """Byte-for-byte for JSON, row-for-row for SQLite."""
    if inventory_path.endswith('.json'):
        with open(inventory_path, 'rb') as handle:
            return handle.read()
    conn = sqlite3.connect('file:%s?mode=ro' % inventory_path, uri=True)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


def certificate_rows(inventory_path):
    if inventory_path.endswith('.json'):
        with open(inventory_path) as handle:
            return list(json.load(handle)['certificates'].values())
    conn = sqlite3.connect('file:%s?mode=ro' % inventory_path, uri=True)
    try:
        return [json.loads(row[0]) for row in conn.execute('SELECT data FROM certificates')]
    finally:
        conn.close()


def play(tasks, inventory):
    """A localhost play around ``tasks``; vars.work is the inventory's directory."""
    return """
- hosts: localhost
  gather_facts: false
  vars:
    work: "%s"
  module_defaults:
    group/pki.lifecycle.certificates:
      inventory: "%s"
  tasks:
%s
""" % (os.path.dirname(inventory.split('://', 1)[-1]), inventory, tasks)


def make_csr(tmp_path, name, key_args=('-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'), sans=None):
    key, csr = tmp_path / (name + '.key'), tmp_path / (name + '.csr')
    args = ['req', '-new', '-nodes'] + list(key_args) + ['-keyout', str(key), '-out', str(csr),
                                                         '-subj', '/CN=%s' % name]
    args += ['-addext', 'subjectAltName=%s' % (sans or 'DNS:%s' % name)]
    out = openssl(*args)
    assert out.returncode == 0, out.stderr
    return str(csr)


# Tasks that publish challenge_data through challtestsrv, as a user's DNS / webroot step would.
def answer(register):
    return """
    - name: answer {r}
      when: {r}.challenge_data is defined
      loop: "{{{{ {r}.challenge_data }}}}"
      ansible.builtin.uri:
        url: "{{{{ cts }}}}/{{{{ 'add-http01' if item.challenge_type == 'http-01' else 'set-txt' }}}}"
        method: POST
        body_format: json
        body: "{{{{ {{'token': item.resource | basename, 'content': item.resource_value}}
                 if item.challenge_type == 'http-01' else {{'host': item.resource ~ '.', 'value': item.resource_value}} }}}}"
""".format(r=register)
