"""lifecycle/crl.py: keep the embedded CA's CRLs fresh, on demand and in check mode; one event per CRL signed."""
from cryptography import x509

from ansible_collections.pki.lifecycle.plugins.module_utils.inventory.stores import open_store


def events(pki):
    store = open_store(pki.inventory)
    try:
        with store.transaction(write=False) as tx:
            return [e for e in tx.list_events() if e['operation'] == 'crl']
    finally:
        store.close()


def test_fresh_crl_is_left_alone_refresh_resigns_and_logs(pki, tmp_path):
    web = tmp_path / 'www' / 'web.crl'
    pki.ra_profile(connector_options=dict(directory=str(pki.ca_dir), crl_publish_paths=[str(web)]))
    pki.issue()   # creates the CA and its first CRL
    fresh = pki.run('crl')
    assert fresh['changed'] is False and 'fresh' in fresh['reason']
    [item] = fresh['crls']
    assert item['ra_profile'] == 'web' and item['signed'] is False and item['crl_number'] == 1
    assert item['published'] == [str(pki.ca_dir / 'crl.pem'), str(web)]
    assert events(pki) == []

    before = pki.snapshot()
    would = pki.run('crl', check_mode=True, refresh=True)
    assert would['changed'] is True and would['reason'].startswith('Would re-sign')
    assert pki.snapshot() == before and (pki.ca_dir / 'crl.pem').read_text() == item['crl_pem']

    done = pki.run('crl', ra_profile='web', refresh=True)
    assert done['changed'] is True and done['crls'][0]['crl_number'] == 2
    crl = x509.load_pem_x509_crl(web.read_bytes())
    assert crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number == 2
    assert [e['ra_profile'] for e in events(pki)] == ['web']
