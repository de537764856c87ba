"""Time to build and sign one CSR with a key in a PKCS#11 token (SoftHSM2) against the same
with a key in a file, through the collection's own code (keys/csr.build_csr: CSR encoding,
signature, and the signature check every CSR gets before it is returned).

    .venv/bin/python bench/csr_sign_token_vs_file.py [--rounds 200]

Creates a throwaway SoftHSM2 token in a temporary directory (needs `softhsm2`), generates an
RSA-2048 and an EC P-256 key in it and in a file token profile, and prints the median time per
CSR for each (build_csr: for a token key the CertificationRequestInfo is encoded with
asn1crypto, for a file key by cryptography), the median time of the signature alone
(Signer.sign over 400 bytes), and the ratio token/file. The one-off login (C_Login, which SoftHSM2 makes slow
on purpose with PBKDF2) is printed on its own: a module run pays it once.
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, 'tests'))
from harness.playbook import ensure_collection_link  # noqa: E402
from harness.servers import SOFTHSM_MODULE_CANDIDATES  # noqa: E402

sys.path.insert(0, str(ensure_collection_link()))

PIN = '1234'


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--rounds', type=int, default=200)
    args = parser.parse_args()
    module = next((m for m in SOFTHSM_MODULE_CANDIDATES if os.path.exists(m)), None)
    if module is None or not shutil.which('softhsm2-util'):
        sys.exit('softhsm2 is not installed (apt-get install -y softhsm2)')
    work = tempfile.mkdtemp(prefix='bench-p11-')
    try:
        os.mkdir(os.path.join(work, 'tokens'))
        conf = os.path.join(work, 'softhsm2.conf')
        with open(conf, 'w') as handle:
            handle.write('directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' % work)
        os.environ['SOFTHSM2_CONF'] = conf   # before the library loads in this process
        subprocess.run(['softhsm2-util', '--init-token', '--free', '--label', 'bench', '--so-pin', '5678',
                        '--pin', PIN], check=True, capture_output=True)
        run(module, work, args.rounds)
    finally:
        from ansible_collections.pki.lifecycle.plugins.module_utils.keys import pkcs11 as p11
        p11.close_sessions()
        shutil.rmtree(work, ignore_errors=True)


def run(module, work, rounds):
    from ansible_collections.pki.lifecycle.plugins.module_utils.keys.base import KeySpec
    from ansible_collections.pki.lifecycle.plugins.module_utils.keys.csr import build_csr
    from ansible_collections.pki.lifecycle.plugins.module_utils.keys.stores import open_key_store

    token = open_key_store({'name': 'hsm', 'type': 'pkcs11', 'options': {'module': module, 'token_label': 'bench'}},
                           {'pin': PIN})
    files = open_key_store({'name': 'files', 'type': 'file', 'options': {'path': os.path.join(work, 'keys')}}, {})
    start = time.perf_counter()
    token.check()
    login = time.perf_counter() - start
    print('python %s, SoftHSM2 token, %d rounds per case; token login (once per module run): %.1f ms'
          % (sys.version.split()[0], rounds, login * 1000))
    print('%-42s %11s %11s %8s' % ('case (median per operation)', 'token (ms)', 'file (ms)', 'ratio'))
    for label, spec, algorithm in (('RSA-2048 rsa-pkcs1v15 sha256', KeySpec('rsa', 2048), 'rsa-pkcs1v15'),
                                   ('RSA-2048 rsa-pss sha256', KeySpec('rsa', 2048), 'rsa-pss'),
                                   ('EC P-256 ecdsa sha256', KeySpec('ec', curve='P-256'), 'ecdsa')):
        name = label.split()[0].lower() + '-' + algorithm
        signers = {'token': token.generate(name, spec), 'file': files.generate(name, spec)}
        tbs = b'x' * 400   # about the size of a CertificationRequestInfo
        for what, call in (('CSR', lambda signer: build_csr(signer, 'CN=bench.example.test', ['DNS:bench.example.test'],
                                                            signature_algorithm=algorithm)),
                           ('signature only', lambda signer: signer.sign(tbs, algorithm, 'sha256'))):
            medians = {}
            for kind, signer in signers.items():
                call(signer)
                times = []
                for _unused in range(rounds):
                    start = time.perf_counter()
                    call(signer)
                    times.append(time.perf_counter() - start)
                medians[kind] = statistics.median(times)
            print('%-42s %11.3f %11.3f %7.2fx' % ('%s, %s' % (label, what), medians['token'] * 1000,
                                                  medians['file'] * 1000, medians['token'] / medians['file']))


if __name__ == '__main__':
    main()
