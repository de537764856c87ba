"""ACME account key rollover (RFC 8555 section 7.3.5, keyChange) as an Ansible user does it:
change ``account_key`` in the RA profile's connector_options; pki.lifecycle.ra_profile rolls
the account over to the new key before storing the profile. Proven on Pebble and on
acme2certifier: afterwards the server refuses the old key (asked here with the ``acme``
library directly, not through our code), knows the account by the new key, and certificates
issued before the rollover are still the account's (revoked with the new key)."""
import subprocess

import pytest
from acme import client as acme_client
from acme import errors as acme_errors
from acme import messages
import josepy as jose
from cryptography.hazmat.primitives import serialization

from harness.pki import certificate_rows, make_csr, play
from harness.playbook import run_playbook


def account_of(directory_url, key_path, verify):
    """The account URL the server has for this key (onlyReturnExisting), or the problem type."""
    with open(key_path, 'rb') as handle:
        key = serialization.load_pem_private_key(handle.read(), password=None)
    net = acme_client.ClientNetwork(jose.JWKEC(key=key), alg=jose.ES256, verify_ssl=verify)
    client = acme_client.ClientV2(acme_client.ClientV2.get_directory(directory_url, net), net)
    try:
        return client.new_account(messages.NewRegistration(only_return_existing=True)).uri
    except acme_errors.ConflictError as exc:
        return exc.location
    except messages.Error as exc:
        return exc.typ


def new_key(path):
    out = subprocess.run(['openssl', 'genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256',
                          '-out', str(path)], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr


@pytest.mark.parametrize('server', ['pebble', 'acme2certifier'])
def test_account_key_rollover(server, pebble_factory, acme2certifier_factory, tmp_path):
    if server == 'pebble':
        ca = pebble_factory(env={'PEBBLE_AUTHZREUSE': '100', 'PEBBLE_VA_ALWAYS_VALID': '1'})
        options = {'directory_url': ca.directory_url, 'ca_bundle': ca.ca_bundle, 'terms_agreed': True,
                   'trust_anchor': str(tmp_path / 'root.pem'), 'poll_timeout': 20}
        (tmp_path / 'root.pem').write_text(ca.roots_pem())
        verify = ca.ca_bundle
    else:
        ca = acme2certifier_factory(prevalidated=True)
        options = {'directory_url': ca.directory_url, 'terms_agreed': True, 'contact': ['pki@example.test'],
                   'trust_anchor': ca.ca_cert_path}
        verify = True
    db = str(tmp_path / 'inventory.db')
    new_key(tmp_path / 'new-account.pem')
    csr1, csr2 = make_csr(tmp_path, 'before.example.test'), make_csr(tmp_path, 'after.example.test')
    tasks = """
    - name: profile with the generated key
      pki.lifecycle.ra_profile: {name: acct, connector: acme, connector_options: "{{ opts }}", validate: true}
    - name: issue before
      register: before
      pki.lifecycle.certificate_issue: {ra_profile: acct, csr: "%(csr1)s"}
    - name: finish before
      register: before2
      pki.lifecycle.certificate_issue: {ra_profile: acct, csr: "%(csr1)s"}
    - name: rollover in check mode
      check_mode: true
      pki.lifecycle.ra_profile: &new {name: acct, connector: acme, connector_options: "{{ opts | combine(new) }}"}
    - name: rollover
      register: rolled
      pki.lifecycle.ra_profile: *new
    - name: rollover rerun
      pki.lifecycle.ra_profile: *new
    - name: revoke a certificate issued before
      pki.lifecycle.certificate_revoke: {certificate: "{{ before2.certificate.uuid }}", reason: superseded}
    - name: issue after
      pki.lifecycle.certificate_issue: {ra_profile: acct, csr: "%(csr2)s"}
    - name: finish after
      register: after
      pki.lifecycle.certificate_issue: {ra_profile: acct, csr: "%(csr2)s"}
""" % dict(csr1=csr1, csr2=csr2)
    state = tmp_path / 'acme' / 'acct'
    extra = {'opts': options, 'new': {'account_key': str(tmp_path / 'new-account.pem')}}
    # The old (generated) key, before the rollover, for the server's view afterwards.
    run = run_playbook(play(tasks, 'sqlite://' + db), extra_vars=extra, tmp_path=tmp_path)
    assert run.rc == 0, run.summary()

    assert run.result('finish before')['certificate']['state'] == 'issued'
    check = run.result('rollover in check mode')
    assert check['changed'] and 'Would roll' in check['reason']
    rolled = run.result('rollover')
    assert rolled['changed'] and rolled['connector_changes']['account_key_rollover'] == 'rolled over'
    assert 'keyChange' in rolled['reason'] and 'old key is refused' in rolled['reason']
    assert rolled['ra_profile']['connector_options']['account_key'] == str(tmp_path / 'new-account.pem')
    rerun = run.result('rollover rerun')
    assert not rerun['changed'] and 'connector_changes' not in rerun
    assert run.result('revoke a certificate issued before')['certificate']['state'] == 'revoked'
    assert run.result('finish after')['certificate']['state'] == 'issued'

    # The server's own answer, asked with the acme library: the old key is no account any more,
    # the new key is the same account.
    account_url = rolled['connector_changes']['account_url']
    old_key = state / 'account.key.old'
    assert old_key.exists() and not (state / 'account.key').exists()
    assert account_of(options['directory_url'], str(old_key), verify) == \
        'urn:ietf:params:acme:error:accountDoesNotExist'
    assert account_of(options['directory_url'], str(tmp_path / 'new-account.pem'), verify) == account_url
    rows = certificate_rows(db)
    assert sorted(r['state'] for r in rows) == ['issued', 'revoked']
    assert all(r['connector_data']['account_url'] == account_url for r in rows)
