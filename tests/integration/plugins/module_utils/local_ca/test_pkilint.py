"""What the embedded CA issues, judged by an outside tool: DigiCert's pkilint (requirements-dev).

For CAs with RSA, EC and Ed25519 keys, created through pki.lifecycle.ra_profile and used through
certificate_issue and certificate_revoke (pytest-ansible, as a user runs them): the root, a leaf,
the issuer/subject pair and a CRL with an entry are linted against RFC 5280 (no finding above
INFO), and the root and the leaf against the CA/B Forum TLS profile, whose errors must all be
in the WebPKI-only list of docs/connectors/local.md (and every listed one must still occur:
the list is not stale)."""
import json
import os
import re
import subprocess
import sys

import pytest

from harness.pki import make_csr

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), *(['..'] * 5)))
DOC = os.path.join(REPO, 'docs', 'connectors', 'local.md')
BIN = os.path.dirname(sys.executable)
SEVERITIES = ('INFO', 'NOTICE', 'WARNING', 'ERROR', 'FATAL')


def documented_webpki_findings():
    with open(DOC) as handle:
        text = handle.read()
    block = text.split('<!-- webpki-only-findings', 1)[1].split('<!-- end webpki-only-findings', 1)[0]
    return set(re.findall(r'^\| `([a-z0-9_.]+)` \|', block, re.M))


def lint(tool, *args):
    """pkilint's findings as (severity, code, where)."""
    path = os.path.join(BIN, tool)
    assert os.path.exists(path), '%s is missing: pip install -r requirements-dev.txt (pkilint)' % tool
    out = subprocess.run([path, 'lint', '-f', 'JSON', '-s', 'INFO'] + list(args),
                         capture_output=True, text=True, check=False)
    assert out.stdout.strip().startswith('{'), (tool, args, out.returncode, out.stdout, out.stderr)
    found = []
    for result in json.loads(out.stdout)['results']:
        for finding in result['finding_descriptions']:
            found.append((finding['severity'], finding['code'], result['node_path']))
    return found


def above(findings, level):
    return [f for f in findings if SEVERITIES.index(f[0]) > SEVERITIES.index(level)]


# Only an Ed25519 CA's certificates have these (the WebPKI allows RSA and ECDSA only).
ED25519_ONLY = {'cabf.serverauth.prohibited_signature_algorithm_encoding',
                'cabf.serverauth.prohibited_subject_public_key_algorithm_encoding'}


@pytest.mark.parametrize('ca_key_type', ['rsa', 'ec', 'ed25519'])
def test_certificates_and_crls_pass_pkilint(pki_localhost, tmp_path, ca_key_type):
    inventory = 'sqlite://%s' % (tmp_path / 'inventory.db')

    def call(module, **args):
        result = pki_localhost('pki.lifecycle.' + module, inventory=inventory, **args)
        assert not result.get('failed'), result
        return result

    call('ra_profile', name='web', connector='local',
         connector_options={'directory': str(tmp_path / 'ca'), 'ca_key_type': ca_key_type,
                            'crl_distribution_point': 'http://pki.example.test/web.crl',
                            'extended_key_usage': 'server'})
    issued = call('certificate_issue', ra_profile='web', csr=make_csr(tmp_path, 'www.example.test'))
    other = call('certificate_issue', ra_profile='web', csr=make_csr(tmp_path, 'old.example.test'))
    revoked = call('certificate_revoke', certificate=other['certificate']['uuid'], reason='keyCompromise')

    files = {'root': issued['root_pem'], 'leaf': issued['certificate_pem']}
    assert files['root'] and issued['chain_pem'] == '', 'the root is returned apart, not in the chain'
    assert issued['fullchain_pem'] == issued['certificate_pem']
    for name, pem in files.items():
        (tmp_path / (name + '.pem')).write_text(pem)
    root, leaf = str(tmp_path / 'root.pem'), str(tmp_path / 'leaf.pem')
    crl = revoked['crl_path']

    pkix = {
        'root': lint('lint_pkix_cert', root),
        'leaf': lint('lint_pkix_cert', leaf),
        'root -> leaf': lint('lint_pkix_signer_signee_cert_chain', root, leaf),
        'crl': lint('lint_crl', '-t', 'CRL', '-p', 'PKIX', crl),
    }
    assert dict((k, above(v, 'INFO')) for k, v in pkix.items()) == dict((k, []) for k in pkix)

    allowed = documented_webpki_findings()
    assert allowed, 'the WebPKI-only list in %s is empty or moved' % DOC
    cabf = lint('lint_cabf_serverauth_cert', '-t', 'ROOT-CA', root) + \
        lint('lint_cabf_serverauth_cert', '-t', 'DV-FINAL-CERTIFICATE', leaf)
    errors = above(cabf, 'WARNING')
    assert [e for e in errors if e[1] not in allowed] == []
    # and the list is not stale: each documented finding still occurs
    expected = allowed if ca_key_type == 'ed25519' else allowed - ED25519_ONLY
    assert set(e[1] for e in errors) == expected
