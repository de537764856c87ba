"""Bad input a hostile or careless user gives (issue 17): each is refused with a message that
names the field and the fix, and the inventory stays byte-for-byte (JSON) / row-for-row (SQLite)
as it was. Over-long values are called "too long" with their RFC 5280 bound and are not echoed
in full. Module calls through pytest-ansible (conftest.py), SQLite and JSON inventories.

Set PKI17_MESSAGES=<file> to append each case's message there (the before/after table of the
issue's closing note)."""
import json
import os
import warnings

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

LONG = 'a' * 5000


def raw_csr(cn=None, sans=(), org=None):
    """A CSR cryptography would refuse to build (CN > 64): attributes built without validation."""
    attrs = []
    with warnings.catch_warnings():   # cryptography warns about the very lengths under test
        warnings.simplefilter('ignore')
        if org is not None:
            attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, org, _validate=False))
        if cn is not None:
            attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, cn, _validate=False))
    builder = x509.CertificateSigningRequestBuilder().subject_name(x509.Name(attrs))
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(s) for s in sans]), False)
    key = ec.generate_private_key(ec.SECP256R1())
    return builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM).decode()


def label(n):
    return 'l' * n


# name -> (module, args, words the message must hold); args may use {ca_dir}, {key_dir}, {work}.
CASES = {
    'csr CN of 5000 characters': ('certificate_issue', dict(csr=raw_csr(cn=LONG + '.example.test')),
                                  ['CN', 'too long', '64']),
    'csr O of 100 characters': ('certificate_issue', dict(csr=raw_csr(cn='ok.example.test', org='o' * 100,
                                                                         sans=['ok.example.test'])),
                                ['O', 'too long', '64']),
    'csr DNS label of 64': ('certificate_issue', dict(csr=raw_csr(sans=[label(64) + '.example.test'])),
                            ['subject_alt_names', 'too long', '63']),
    'csr DNS name of 5000': ('certificate_issue', dict(csr=raw_csr(sans=['.'.join([label(50)] * 100)])),
                             ['subject_alt_names', 'too long', '253']),
    'token subject CN of 5000': ('certificate_issue', dict(token_profile='keys', key='k', generate_key=True,
                                                           subject='CN=' + LONG),
                                 ['subject', 'CN', 'too long', '64']),
    'token SAN of 5000': ('certificate_issue', dict(token_profile='keys', key='k', generate_key=True,
                                                    subject='CN=ok.example.test',
                                                    subject_alt_names=['DNS:' + LONG + '.example.test']),
                          ['subject_alt_names', 'too long', '63']),
    'validity_days 0': ('certificate_issue', dict(csr='{good}', validity_days=0),
                        ['validity_days', '0', 'at least 1']),
    'validity_days -5': ('certificate_issue', dict(csr='{good}', validity_days=-5),
                         ['validity_days', '-5', 'at least 1']),
    'labels nested value': ('certificate_issue', dict(csr='{good}', labels={'host': {'nested': 1}}),
                            ['labels', 'host', 'string']),
    'malformed CSR': ('certificate_issue', dict(csr='-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n'
                                                    '-----END CERTIFICATE REQUEST-----\n'),
                      ['csr', 'not a PEM/DER CSR']),
    'empty ra_profile in issue': ('certificate_issue', dict(ra_profile='', csr='{good}'),
                                  ['ra_profile', 'empty']),
    'empty key name': ('certificate_issue', dict(token_profile='keys', key='', subject='CN=ok.example.test'),
                       ['key', 'empty']),
    'certificate ""': ('certificate_renew', dict(certificate=''),
                       ['certificate', 'not a uuid, serial or PEM']),
    'certificate zz:zz:not-hex': ('certificate_renew', dict(certificate='zz:zz:not-hex'),
                                  ['certificate', 'not a uuid, serial or PEM']),
    'revoke certificate zz:zz:not-hex': ('certificate_revoke', dict(certificate='zz:zz:not-hex'),
                                         ['certificate', 'not a uuid, serial or PEM']),
    'connector_options validity_days ninety': (
        'ra_profile', dict(name='web2', connector='local', connector_options={'validity_days': 'ninety'}),
        ['web2', 'connector_options.validity_days', 'whole number']),
    'connector_options ca_key_type dsa': (
        'ra_profile', dict(name='web2', connector='local', connector_options={'ca_key_type': 'dsa'}),
        ['web2', 'connector_options.ca_key_type', 'rsa, ec, ed25519']),
    'connector_options cfssl without url': (
        'ra_profile', dict(name='web2', connector='cfssl', connector_options={'profile': 'www'}),
        ['web2', 'connector_options.url']),
    'connector_secrets unknown': (
        'ra_profile', dict(name='web2', connector='local', connector_secrets={'ca_password': 'x'}),
        ['web2', 'connector_secrets', 'ca_password', 'ca_passphrase']),
    'ra_profile empty name': ('ra_profile', dict(name='', connector='local'), ['name', 'empty']),
    'ra_profile max_validity_days 0': ('ra_profile', dict(name='web2', policy={'max_validity_days': 0}),
                                       ['max_validity_days', 'at least 1']),
    'ra_profile max_validity_days -5': ('ra_profile', dict(name='web2', policy={'max_validity_days': -5}),
                                        ['max_validity_days', 'at least 1']),
    'file token profile without path': ('token_profile', dict(name='keys2', type='file', options={}),
                                        ['keys2', 'options.path', 'required']),
    'file token profile path a list': ('token_profile', dict(name='keys2', type='file', options={'path': ['a']}),
                                       ['keys2', 'options.path', 'string']),
    'pkcs11 slot not an integer': ('token_profile', dict(name='hsm', type='pkcs11',
                                                         options={'module': '/x.so', 'slot': 'first'}),
                                   ['hsm', 'options.slot', 'whole number']),
    'token_secrets unknown': ('token_profile', dict(name='keys2', type='file', options={'path': '{key_dir}'},
                                                    token_secrets={'pasphrase': 'x'}),
                              ['keys2', 'token_secrets', 'pasphrase', 'passphrase']),
    'inventory ""': ('certificate_info', dict(inventory=''), ['inventory is empty', 'Leave it out']),
    'token_profile empty name': ('token_profile', dict(name='', type='file', options={'path': '{key_dir}'}),
                                 ['name', 'empty']),
}


def _fill(value, values):
    if isinstance(value, str):
        return value.format(**values) if value.startswith('{') and value.endswith('}') else value
    if isinstance(value, dict):
        return dict((k, _fill(v, values)) for k, v in value.items())
    return value


@pytest.mark.parametrize('case', sorted(CASES))
def test_bad_input_fails_with_the_fix_and_changes_nothing(pki, case):
    module, args, words = CASES[case]
    pki.setup()
    good = pki.csr('good.example.test')
    args = _fill(dict(args), dict(ca_dir=pki.ca_dir, key_dir=pki.key_dir, work=str(pki.work), good=good))
    if module in ('certificate_issue',):
        args.setdefault('ra_profile', 'web')
    before = pki.snapshot()
    result = pki(module, **args)
    log = os.environ.get('PKI17_MESSAGES')
    if log and pki.url.startswith('json'):
        with open(log, 'a') as handle:
            handle.write(json.dumps({'case': case, 'msg': result.get('msg'), 'failed': result.get('failed')}) + '\n')
    pki.assert_failed(result, *words)
    assert len(result['msg']) < 700, 'an over-long value is echoed in full: %d characters' % len(result['msg'])
    assert 'This is a bug' not in result['msg']
    assert pki.snapshot() == before


@pytest.mark.parametrize('kind', ['sqlite', 'json'])
def test_inventory_under_a_regular_file_says_so(pki_localhost, tmp_path, kind):
    blocker = tmp_path / 'not-a-dir'
    blocker.write_text('a file where a directory should be\n')
    url = '%s://%s' % (kind, tmp_path / 'not-a-dir' / 'sub' / 'inventory.db')
    result = pki_localhost('pki.lifecycle.certificate_info', inventory=url)
    assert result.get('failed'), result
    for word in ('component of its path', str(blocker), 'is a regular file', 'Point `inventory`'):
        assert word in result['msg'], (word, result['msg'])
    assert 'permissions' not in result['msg']
    assert blocker.read_text() == 'a file where a directory should be\n'


def test_validate_true_still_reaches_the_ca(pki):
    """Options pass the spec, then validate: true asks the CA (here: the embedded CA's directory
    is a file, which only the connector's check finds)."""
    (pki.work / 'ca-file').write_text('x')
    pki.setup()
    before = pki.snapshot()
    result = pki('ra_profile', name='web2', connector='local', validate=True,
                 connector_options={'directory': str(pki.work / 'ca-file'), 'validity_days': '30'})
    assert result.get('failed') and 'ca-file' in result['msg'], result
    assert pki.snapshot() == before
    ok = pki('ra_profile', name='web3', connector='local', validate=True,
             connector_options={'directory': str(pki.work / 'ca3'), 'validity_days': '30',
                                'extended_key_usage': 'server', 'chain_includes_root': 'no'})
    assert ok['changed'] and not ok.get('failed'), ok
    # stored in their declared types
    assert ok['ra_profile']['connector_options']['validity_days'] == 30
    assert ok['ra_profile']['connector_options']['chain_includes_root'] is False
    assert os.path.exists(pki.work / 'ca3' / 'ca.pem') or os.listdir(pki.work / 'ca3')
