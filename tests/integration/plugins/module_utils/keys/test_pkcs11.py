"""Keys in a PKCS#11 token (SoftHSM2): the lifecycle with token keys, the CA key in a token,
and bad input. Real playbooks; assertions on returned values, the inventory, the token's
own objects (python-pkcs11) and openssl's verdict (req -verify, verify, crl -verify).
"""
import json
import os
import subprocess
import sys
import textwrap
import uuid

import pytest

import pkcs11   # a requirement (requirements.txt): missing, the tests fail rather than skip
from pkcs11 import Attribute, KeyType, ObjectClass
from pkcs11 import exceptions as p11_exc

from ansible_collections.pki.lifecycle.plugins.module_utils.keys import csr as csrlib
from ansible_collections.pki.lifecycle.plugins.module_utils.keys.base import KeySpec
from ansible_collections.pki.lifecycle.plugins.module_utils.keys.stores import open_key_store
from harness.playbook import REPO_ROOT, run_playbook
from harness.pki import certificate_rows, openssl, play, verify  # play: vars.work = the inventory's dir

REPO = str(REPO_ROOT)


def crl_verify(crl_pem, ca_pem, tmp_path):
    (tmp_path / 'c-crl.pem').write_text(crl_pem)
    (tmp_path / 'c-ca.pem').write_text(ca_pem)
    return openssl('crl', '-noout', '-verify', '-in', str(tmp_path / 'c-crl.pem'), '-CAfile', str(tmp_path / 'c-ca.pem'))


def req_verify(csr_pem):
    out = openssl('req', '-verify', '-noout', '-text', input_text=csr_pem)
    return out.returncode, out.stdout + out.stderr


def inventory_rows(path):
    return dict((r['uuid'], r) for r in certificate_rows(path))


@pytest.fixture
def token(softhsm):
    """A logged-in python-pkcs11 session on the test token (the test's own view of the token)."""
    lib = pkcs11.lib(softhsm.module)
    tok = lib.get_token(token_label=softhsm.token_label)
    session = tok.open(rw=True, user_pin=softhsm.user_pin)
    yield session
    session.close()


def make_token_key(session, label, kind):
    """An 'existing' key made outside the collection, as an HSM admin would (non-extractable)."""
    private = {Attribute.TOKEN: True, Attribute.PRIVATE: True, Attribute.SENSITIVE: True,
               Attribute.EXTRACTABLE: False}
    if kind == 'rsa':
        session.generate_keypair(KeyType.RSA, 2048, label=label, id=os.urandom(8), store=True,
                                 private_template=private)
    else:
        oid = {'P-256': '1.2.840.10045.3.1.7', 'P-384': '1.3.132.0.34'}[kind]
        params = pkcs11.util.ec.encode_named_curve_parameters(oid)
        session.generate_keypair(KeyType.EC, label=label, id=os.urandom(8), store=True,
                                 public_template={Attribute.EC_PARAMS: params}, private_template=private)


def private_keys(session, label):
    return list(session.get_objects({Attribute.CLASS: ObjectClass.PRIVATE_KEY, Attribute.LABEL: label}))


def assert_not_extractable(session, label):
    (key,) = private_keys(session, label)
    assert key[Attribute.SENSITIVE] is True
    assert key[Attribute.EXTRACTABLE] is False
    assert key[Attribute.TOKEN] is True and key[Attribute.PRIVATE] is True
    secret = Attribute.VALUE if key.key_type in (KeyType.EC, KeyType.EC_EDWARDS) else Attribute.PRIVATE_EXPONENT
    with pytest.raises(p11_exc.AttributeSensitive):
        key[secret]


def profiles(softhsm, pin_line=True):
    return """
    - name: RA profile
      pki.lifecycle.ra_profile:
        name: web
        connector: local
        connector_options: {directory: "{{ work }}/ca"}
        policy: {allowed_names: ["*.example.test"], key_types: [rsa, ec, ed25519], max_validity_days: 90}
    - name: token profile
      pki.lifecycle.token_profile:
        name: hsm
        type: pkcs11
        options: {module: "%s", token_label: "%s"}
        validate: true
        %s
""" % (softhsm.module, softhsm.token_label, 'token_secrets: {pin: "%s"}' % softhsm.user_pin if pin_line else '')


def test_token_keys_through_the_whole_lifecycle(softhsm, token, tmp_path):
    p = 't' + uuid.uuid4().hex[:8]   # labels unique per run: the token is shared by the session
    make_token_key(token, p + '-rsa', 'rsa')
    make_token_key(token, p + '-ec384', 'P-384')
    inventory = tmp_path / 'inventory.db'
    issue = """
    - name: %(name)s
      register: %(reg)s
      pki.lifecycle.certificate_issue:
        ra_profile: web
        token_profile: hsm
        key: %(key)s
        subject: CN=%(cn)s.example.test
        subject_alt_names: [DNS:%(cn)s.example.test]
        %(extra)s
"""
    specs = [
        dict(reg='rsa_pss', cn='pss', key=p + '-rsa', extra='signature_algorithm: rsa-pss\n        digest: sha384'),
        dict(reg='ec384', cn='ec384', key=p + '-ec384', extra='digest: sha384'),
        dict(reg='gen_rsa', cn='genrsa', key=p + '-gen-rsa', extra='generate_key: true\n        key_type: rsa\n        key_size: 2048'),
        dict(reg='gen_ec', cn='genec', key=p + '-gen-ec', extra='generate_key: true\n        key_type: ec\n        curve: P-256'),
    ]
    tasks = profiles(softhsm)
    for spec in specs:
        tasks += issue % dict(spec, name='issue ' + spec['reg'])
    for spec in specs[1:3]:   # an existing and a generated key; each rerun costs a task
        tasks += issue % dict(spec, name='rerun ' + spec['reg'], reg='rerun_' + spec['reg'])
    tasks += """
    - name: renew existing rsa key
      register: renewed_rsa
      pki.lifecycle.certificate_renew: {certificate: "{{ rsa_pss.certificate.uuid }}", force: true}
    - name: renew generated ec key
      register: renewed_ec
      pki.lifecycle.certificate_renew: {certificate: "{{ gen_ec.certificate.uuid }}", renew_before: "100%%"}
    - name: rekey onto a new token key, destroying the old one
      register: rekeyed
      pki.lifecycle.certificate_rekey:
        certificate: "{{ renewed_ec.certificate.uuid }}"
        token_profile: hsm
        key: %(p)s-gen-ec-2
        generate_key: true
        key_type: ec
        curve: P-384
        destroy_previous_key: true
    - name: rekey rerun
      pki.lifecycle.certificate_rekey:
        certificate: "{{ renewed_ec.certificate.uuid }}"
        token_profile: hsm
        key: %(p)s-gen-ec-2
        generate_key: true
        key_type: ec
        curve: P-384
    - name: revoke
      register: revoked
      pki.lifecycle.certificate_revoke: {certificate: "{{ rekeyed.certificate.uuid }}", reason: superseded}
""" % dict(p=p)
    run = run_playbook(play(tasks, 'sqlite://%s' % inventory), tmp_path=tmp_path,
                       env={'PKI_LIFECYCLE_PKCS11_PIN': softhsm.user_pin})
    assert run.rc == 0, run.stdout[-4000:]
    assert softhsm.user_pin not in run.stdout

    results = dict((s['reg'], run.result('issue ' + s['reg'])) for s in specs)
    ca_pem = results['rsa_pss']['root_pem']
    rows = inventory_rows(str(inventory))
    for reg, result in results.items():
        assert result['changed'], reg
        assert result['certificate']['key_source'] == 'token' and result['certificate']['token_profile'] == 'hsm'
        if reg in ('ec384', 'gen_rsa'):
            rerun = run.result('rerun ' + reg)
            assert not rerun['changed'] and rerun['certificate']['uuid'] == result['certificate']['uuid'], reg
        out = verify(result['certificate_pem'], ca_pem, tmp_path)
        assert out.returncode == 0, (reg, out.stdout, out.stderr)
        # The CSR the token signed, as stored: openssl accepts its signature.
        csr_pem = rows[result['certificate']['uuid']]['csr_pem']
        code, text = req_verify(csr_pem)
        assert code == 0 and 'verify OK' in text, (reg, text)
        if reg == 'rsa_pss':
            assert 'rsassaPss' in text and 'sha384' in text, text
        if reg == 'ec384':
            assert 'ecdsa-with-SHA384' in text and 'P-384' in text, text
    assert 'PRIVATE KEY' not in json.dumps(rows)

    # Renewal re-signs a fresh CSR with the same token key.
    for reg, renewed in (('rsa_pss', run.result('renew existing rsa key')), ('gen_ec', run.result('renew generated ec key'))):
        assert renewed['changed'], renewed
        assert renewed['certificate']['spki_sha256'] == results[reg]['certificate']['spki_sha256']
        assert renewed['certificate']['key_ref'] == results[reg]['certificate']['key_ref']
        assert renewed['certificate']['lineage']['renewed_from'] == results[reg]['certificate']['uuid']
        assert renewed['certificate']['serial'] != results[reg]['certificate']['serial']
        assert verify(renewed['certificate_pem'], ca_pem, tmp_path).returncode == 0
    renewed_ec = run.result('renew generated ec key')
    rows = inventory_rows(str(inventory))
    assert rows[renewed_ec['certificate']['uuid']]['csr_pem'] != rows[results['gen_ec']['certificate']['uuid']]['csr_pem']
    assert req_verify(rows[renewed_ec['certificate']['uuid']]['csr_pem'])[0] == 0

    # Rekey: new key in the token, old key destroyed only after the new certificate was stored.
    rekeyed = run.result('rekey onto a new token key, destroying the old one')
    assert rekeyed['changed'] and 'previous key was destroyed' in rekeyed['reason'], rekeyed['reason']
    assert rekeyed['certificate']['spki_sha256'] != renewed_ec['certificate']['spki_sha256']
    assert rekeyed['certificate']['lineage']['rekeyed_from'] == renewed_ec['certificate']['uuid']
    assert not run.result('rekey rerun')['changed']
    assert private_keys(token, p + '-gen-ec') == []
    assert len(private_keys(token, p + '-gen-ec-2')) == 1
    assert len(private_keys(token, p + '-rsa')) == 1   # renewal kept the key

    revoked = run.result('revoke')
    assert revoked['changed'] and revoked['certificate']['state'] == 'revoked'
    crl = open(revoked['crl_path']).read()
    assert crl_verify(crl, ca_pem, tmp_path).returncode == 0
    assert verify(rekeyed['certificate_pem'], ca_pem, tmp_path, crl_pem=crl).returncode != 0
    assert verify(results['gen_rsa']['certificate_pem'], ca_pem, tmp_path, crl_pem=crl).returncode == 0

    # Keys the collection generated cannot leave the token.
    for label in (p + '-gen-rsa', p + '-gen-ec-2'):
        assert_not_extractable(token, label)
    (gen,) = private_keys(token, p + '-gen-ec-2')
    assert gen[Attribute.ID]   # CKA_ID set (key identifier), pairs key and certificate


def test_ca_key_in_token(softhsm, token, tmp_path):
    p = 'c' + uuid.uuid4().hex[:8]
    make_token_key(token, p + '-ca-ec', 'P-384')   # an existing CA key (key ceremony), EC
    inventory = tmp_path / 'inventory.db'
    subprocess.run(['openssl', 'req', '-new', '-nodes', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256',
                    '-keyout', str(tmp_path / 'leaf.key'), '-out', str(tmp_path / 'leaf.csr'),
                    '-subj', '/CN=leaf.example.test', '-addext', 'subjectAltName=DNS:leaf.example.test'],
                   check=True, capture_output=True)
    tasks = profiles(softhsm, pin_line=False) + """
    - name: CA with a generated RSA key in the token
      pki.lifecycle.ra_profile:
        name: hsm-rsa-ca
        connector: local
        connector_options: {directory: "{{ work }}/ca-rsa", ca_token_profile: hsm, ca_key: %(p)s-ca-rsa, ca_key_type: rsa}
        connector_secrets: {ca_pin: "%(pin)s"}
        validate: true
    - name: CA with an existing EC key in the token
      pki.lifecycle.ra_profile:
        name: hsm-ec-ca
        connector: local
        connector_options: {directory: "{{ work }}/ca-ec", ca_token_profile: hsm, ca_key: %(p)s-ca-ec}
        validate: true
    - name: issue from a CSR on the RSA CA
      register: leaf_rsa
      pki.lifecycle.certificate_issue: {ra_profile: hsm-rsa-ca, csr: "%(csr)s"}
      environment: {PKI_LIFECYCLE_CA_PIN: "%(pin)s"}
    - name: issue a token key on the EC CA
      register: leaf_ec
      pki.lifecycle.certificate_issue:
        ra_profile: hsm-ec-ca
        token_profile: hsm
        key: %(p)s-leaf
        generate_key: true
        subject: CN=tokenleaf.example.test
    - name: revoke on the RSA CA
      register: revoked_rsa
      pki.lifecycle.certificate_revoke: {certificate: "{{ leaf_rsa.certificate.uuid }}", reason: keyCompromise}
      environment: {PKI_LIFECYCLE_CA_PIN: "%(pin)s"}
    - name: revoke on the EC CA
      register: revoked_ec
      pki.lifecycle.certificate_revoke: {certificate: "{{ leaf_ec.certificate.uuid }}", reason: superseded}
""" % dict(p=p, pin=softhsm.user_pin, csr=tmp_path / 'leaf.csr')
    run = run_playbook(play(tasks, 'sqlite://%s' % inventory), tmp_path=tmp_path,
                       env={'PKI_LIFECYCLE_PKCS11_PIN': softhsm.user_pin})
    assert run.rc == 0, run.stdout[-4000:]
    for ca, leaf, revoked, algo in (('ca-rsa', 'issue from a CSR on the RSA CA', 'revoke on the RSA CA', 'sha256WithRSAEncryption'),
                                    ('ca-ec', 'issue a token key on the EC CA', 'revoke on the EC CA', 'ecdsa-with-SHA256')):
        directory = tmp_path / ca
        assert not (directory / 'ca.key').exists(), 'the CA key must stay in the token'
        ca_pem = (directory / 'ca.pem').read_text()
        text = openssl('x509', '-noout', '-text', input_text=ca_pem).stdout
        assert algo in text, text
        # Self-signed by the token key: openssl accepts the CA certificate as its own anchor.
        assert verify(ca_pem, ca_pem, tmp_path).returncode == 0
        issued = run.result(leaf)
        out = verify(issued['certificate_pem'], ca_pem, tmp_path)
        assert out.returncode == 0, (ca, out.stdout, out.stderr)
        assert algo in openssl('x509', '-noout', '-text', input_text=issued['certificate_pem']).stdout
        crl = open(run.result(revoked)['crl_path']).read()
        out = crl_verify(crl, ca_pem, tmp_path)
        assert out.returncode == 0 and 'verify OK' in (out.stdout + out.stderr), (ca, out.stdout, out.stderr)
        assert verify(issued['certificate_pem'], ca_pem, tmp_path, crl_pem=crl).returncode != 0
    rsa_ca = openssl('x509', '-noout', '-text', input_text=(tmp_path / 'ca-rsa' / 'ca.pem').read_text()).stdout
    assert '3072 bit' in rsa_ca
    assert_not_extractable(token, p + '-ca-rsa')
    assert_not_extractable(token, p + '-leaf')


RESTRICTED_CONF = """directories.tokendir = {tokendir}
objectstore.backend = file
log.level = ERROR
slots.removable = false
slots.mechanisms = -{first},{rest}
"""


def restricted_conf(softhsm, path, mechanisms):
    # SoftHSM 2.6 drops the first entry of a '-' list, so it is named twice.
    path.write_text(RESTRICTED_CONF.format(tokendir=softhsm.token_dir, first=mechanisms[0], rest=','.join(mechanisms)))
    return str(path)


NO_PSS_NO_EDDSA = ['CKM_RSA_PKCS_PSS', 'CKM_SHA1_RSA_PKCS_PSS', 'CKM_SHA224_RSA_PKCS_PSS', 'CKM_SHA256_RSA_PKCS_PSS',
                   'CKM_SHA384_RSA_PKCS_PSS', 'CKM_SHA512_RSA_PKCS_PSS', 'CKM_EDDSA', 'CKM_EC_EDWARDS_KEY_PAIR_GEN']


def test_bad_input(softhsm, token, tmp_path):
    p = 'b' + uuid.uuid4().hex[:8]
    make_token_key(token, p + '-rsa', 'rsa')
    inventory = tmp_path / 'inventory.db'
    wrong_pin = 'Wr0ng-%s' % uuid.uuid4().hex[:6]
    restricted = restricted_conf(softhsm, tmp_path / 'restricted.conf', NO_PSS_NO_EDDSA)
    setup = profiles(softhsm) + """
    - name: EC-only profile
      pki.lifecycle.ra_profile:
        name: ec-only
        connector_options: {directory: "{{ work }}/ca"}
        policy: {allowed_names: ["*.example.test"], key_types: [ec]}
    - name: token profile with a missing library
      pki.lifecycle.token_profile:
        name: nolib
        type: pkcs11
        options: {module: /nonexistent/libpkcs11.so, token_label: x}
    - name: issued
      register: issued
      pki.lifecycle.certificate_issue:
        ra_profile: web
        token_profile: hsm
        key: %(p)s-rsa
        subject: CN=ok.example.test
    - name: CA that will break
      pki.lifecycle.ra_profile:
        name: breaking
        connector_options: {directory: "{{ work }}/ca-breaking"}
        policy: {allowed_names: ["*.example.test"]}
    - name: issued on the CA that will break
      pki.lifecycle.certificate_issue:
        ra_profile: breaking
        token_profile: hsm
        key: %(p)s-old
        generate_key: true
        subject: CN=old.example.test
""" % dict(p=p)
    run = run_playbook(play(setup, 'sqlite://%s' % inventory), tmp_path=tmp_path,
                       env={'PKI_LIFECYCLE_PKCS11_PIN': softhsm.user_pin})
    assert run.rc == 0, run.stdout[-3000:]
    old_uuid = run.result('issued on the CA that will break')['certificate']['uuid']
    # The CA fails after the new key is generated: its issued/ directory is now a file.
    issued_dir = tmp_path / 'ca-breaking' / 'issued'
    for child in issued_dir.iterdir():
        child.unlink()
    issued_dir.rmdir()
    issued_dir.write_text('not a directory')
    before = inventory_rows(str(inventory))
    cases = [
        # (name, task, extra task keywords, needles)
        ('wrong pin', """pki.lifecycle.certificate_issue: {ra_profile: web, token_profile: hsm, key: %(p)s-rsa, subject: CN=w.example.test}
      environment: {PKI_LIFECYCLE_PKCS11_PIN: "{{ lookup('env', 'TEST_WRONG_PIN') }}"}""", ['refused the PIN', 'token_secrets.pin']),
        ('wrong pin validate', """pki.lifecycle.token_profile:
        name: hsm
        type: pkcs11
        options: {module: "%(module)s", token_label: "%(label)s"}
        validate: true
        token_secrets: {pin: "{{ lookup('env', 'TEST_WRONG_PIN') }}"}""", ['refused the PIN']),
        ('missing key', 'pki.lifecycle.certificate_issue: {ra_profile: web, token_profile: hsm, key: %(p)s-nope, subject: CN=m.example.test}',
         ["'%(p)s-nope'", 'generate_key']),
        ('unsupported mechanism', """pki.lifecycle.certificate_issue: {ra_profile: web, token_profile: hsm, key: %(p)s-rsa, """
                                  """subject: CN=u.example.test, signature_algorithm: rsa-pss}
      environment: {SOFTHSM2_CONF: "%(restricted)s"}""", ['cannot sign rsa-pss', 'CKM_SHA256_RSA_PKCS_PSS', 'CKM_SHA256_RSA_PKCS,', 'CKM_ECDSA']),
        ('unsupported key type', """pki.lifecycle.certificate_issue: {ra_profile: web, token_profile: hsm, key: %(p)s-ed, """
                                 """generate_key: true, key_type: ed25519, """
                                 """subject: CN=e.example.test}
      environment: {SOFTHSM2_CONF: "%(restricted)s"}""", ['cannot generate Ed25519', 'CKM_EC_EDWARDS_KEY_PAIR_GEN', 'CKM_RSA_PKCS_KEY_PAIR_GEN']),
        ('missing module', 'pki.lifecycle.certificate_issue: {ra_profile: web, token_profile: nolib, key: k, subject: CN=n.example.test}',
         ['/nonexistent/libpkcs11.so does not exist', 'option module']),
        ('missing module validate', """pki.lifecycle.token_profile:
        name: nolib2
        type: pkcs11
        options: {module: /nonexistent/libpkcs11.so, token_label: x}
        validate: true""", ['does not exist']),
        ('policy forbids rsa', 'pki.lifecycle.certificate_issue: {ra_profile: ec-only, token_profile: hsm, key: %(p)s-rsa, subject: CN=r.example.test}',
         ['does not accept RSA keys', 'type ec']),
        ('rekey that fails keeps the old key', """pki.lifecycle.certificate_rekey:
        certificate: "%(old)s"
        token_profile: hsm
        key: %(p)s-new
        generate_key: true
        destroy_previous_key: true""", ['unexpected error']),
        ('no token', """pki.lifecycle.token_profile:
        name: notoken
        type: pkcs11
        options: {module: "%(module)s", token_label: no-such-token}
        validate: true""", ["no token with token_label 'no-such-token'"]),
    ]
    values = dict(p=p, old=old_uuid, wrong=wrong_pin, restricted=restricted, module=softhsm.module, label=softhsm.token_label)
    tasks = ''
    for name, task, _needles in cases:
        tasks += '    - name: %s\n      %s\n      ignore_errors: true\n' % (name, task % values)
    # The wrong PIN reaches the tasks through the environment, so that it is not in the playbook's
    # text (Ansible quotes task source in errors) and Ansible's no_log masking cannot hide an echo.
    run = run_playbook(play(tasks, 'sqlite://%s' % inventory), tmp_path=tmp_path,
                       env={'PKI_LIFECYCLE_PKCS11_PIN': softhsm.user_pin, 'TEST_WRONG_PIN': wrong_pin})
    assert run.rc == 0, run.stdout[-3000:]
    for name, _task, needles in cases:
        result = run.result(name)
        assert run.status(name) == 'failed', (name, result)
        for needle in needles:
            assert needle % values in result['msg'], (name, needle, result['msg'])
    # The PIN never shows: not in the output, not in any result, not as masked stars in a message.
    assert wrong_pin not in run.stdout and wrong_pin not in run.stderr
    assert wrong_pin not in json.dumps(run.results)
    assert all('********' not in (r['result'].get('msg') or '') for r in run.results)
    after = inventory_rows(str(inventory))
    assert dict((u, after[u]) for u in before) == before
    # Only the failed rekey left a trace: its record, kept as failed for the operator.
    assert [(r['ra_profile'], r['state'], r['rekeyed_from']) for u, r in after.items() if u not in before] == \
        [('breaking', 'failed', old_uuid)]
    assert private_keys(token, p + '-ed') == []
    # The old key stays until a rekeyed certificate is stored; this rekey stored none.
    assert len(private_keys(token, p + '-old')) == 1


FALLBACK_SCRIPT = textwrap.dedent("""
    import json, sys
    sys.path.insert(0, %(collections)r)
    from ansible_collections.pki.lifecycle.plugins.module_utils.keys.stores import open_key_store
    from ansible_collections.pki.lifecycle.plugins.module_utils.keys import csr as csrlib
    store = open_key_store({'name': 'hsm', 'type': 'pkcs11', 'options': {'module': %(module)r, 'token_label': %(label)r}},
                           {'pin': %(pin)r})
    signer = store.signer(%(key)r)
    out = {}
    for algorithm in ('rsa-pkcs1v15', 'rsa-pss'):
        for digest in ('sha256', 'sha512'):
            mech = signer.mechanism(algorithm, digest)
            out['%%s/%%s' %% (algorithm, digest)] = dict(
                mechanism=mech[0].name, host_hash=mech[2],
                csr=csrlib.build_csr(signer, 'CN=fb.example.test', ['DNS:fb.example.test'],
                                     signature_algorithm=algorithm, digest=digest))
    print(json.dumps(out))
""")


def test_csrs_signed_in_the_token_verify_with_openssl(softhsm, token, tmp_path):
    """Built through our code in this process (RSA-PSS, PKCS#1 v1.5, ECDSA on P-256 and P-384:
    SoftHSM has no CKM_ECDSA_SHA*, so the host hashes), then with a token that lacks the combined
    RSA mechanisms (CKM_RSA_PKCS over DigestInfo, CKM_RSA_PKCS_PSS over the hash)."""
    p = 'r' + uuid.uuid4().hex[:8]
    make_token_key(token, p + '-rsa', 'rsa')
    store = open_key_store({'name': 'hsm', 'type': 'pkcs11',
                            'options': {'module': softhsm.module, 'token_label': softhsm.token_label}},
                           {'pin': softhsm.user_pin})
    store.generate(p + '-ec256', KeySpec('ec', curve='P-256'))
    store.generate(p + '-ec384', KeySpec('ec', curve='P-384'))
    cases = [(p + '-rsa', 'rsa-pss', 'sha256', 'rsassaPss'), (p + '-rsa', 'rsa-pss', 'sha512', 'rsassaPss'),
             (p + '-rsa', 'rsa-pkcs1v15', 'sha384', 'sha384WithRSAEncryption'),
             (p + '-ec256', 'ecdsa', 'sha256', 'ecdsa-with-SHA256'), (p + '-ec384', 'ecdsa', 'sha384', 'ecdsa-with-SHA384'),
             (p + '-ec256', 'ecdsa', 'sha512', 'ecdsa-with-SHA512')]
    for key, algorithm, digest, shown in cases:
        signer = store.signer(key)
        assert signer.private_key is None
        mech = signer.mechanism(algorithm, digest)
        if algorithm == 'ecdsa':
            assert mech[0].name == 'ECDSA' and mech[2] is True   # SoftHSM 2.6: hash on the host
        pem = csrlib.build_csr(signer, 'CN=x.example.test', ['DNS:x.example.test'],
                               signature_algorithm=algorithm, digest=digest)
        code, text = req_verify(pem)
        assert code == 0 and 'verify OK' in text and shown in text, (key, algorithm, digest, text)

    conf = restricted_conf(softhsm, tmp_path / 'no-combined.conf', [
        'CKM_SHA1_RSA_PKCS', 'CKM_SHA224_RSA_PKCS', 'CKM_SHA256_RSA_PKCS', 'CKM_SHA384_RSA_PKCS', 'CKM_SHA512_RSA_PKCS',
        'CKM_SHA1_RSA_PKCS_PSS', 'CKM_SHA224_RSA_PKCS_PSS', 'CKM_SHA256_RSA_PKCS_PSS', 'CKM_SHA384_RSA_PKCS_PSS',
        'CKM_SHA512_RSA_PKCS_PSS'])
    script = FALLBACK_SCRIPT % dict(collections=os.path.join(REPO, '.collections'), module=softhsm.module,
                                    label=softhsm.token_label, pin=softhsm.user_pin, key=p + '-rsa')
    out = subprocess.run([sys.executable, '-c', script], capture_output=True, text=True,
                         env=dict(os.environ, SOFTHSM2_CONF=conf), timeout=120, check=False)
    assert out.returncode == 0, out.stderr[-3000:]
    produced = json.loads(out.stdout)
    assert len(produced) == 4
    for name, item in produced.items():
        assert item['host_hash'] is True, (name, item)
        assert item['mechanism'] == ('RSA_PKCS' if name.startswith('rsa-pkcs1v15') else 'RSA_PKCS_PSS'), (name, item)
        code, text = req_verify(item['csr'])
        assert code == 0 and 'verify OK' in text, (name, text)
