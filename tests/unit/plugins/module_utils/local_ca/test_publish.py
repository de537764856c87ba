# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pki.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""local_ca/publish.py and Revocations.keep(): when the CRL is re-signed, where it is published."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import datetime
import json
import subprocess

import pytest
from cryptography import x509

from ansible_collections.pki.lifecycle.plugins.module_utils.errors import InputError
from ansible_collections.pki.lifecycle.plugins.module_utils.local_ca import publish
from ansible_collections.pki.lifecycle.plugins.module_utils.local_ca.authority import Authority
from ansible_collections.pki.lifecycle.plugins.module_utils.local_ca.crl import Revocations
from ansible_collections.pki.lifecycle.plugins.module_utils.local_ca.layout import Layout
from ansible_collections.pki.lifecycle.plugins.module_utils.local_ca.lock import DirectoryLock


@pytest.fixture
def ca(tmp_path):
    layout = Layout(str(tmp_path / 'ca'))
    lock = DirectoryLock(layout)
    return layout, lock, Authority(layout, lock, subject='CN=Publish Test CA').open()


@pytest.mark.parametrize('value,share', [(None, 0.5), ('', 0.5), ('50%', 0.5), ('25 %', 0.25), ('90%', 0.9)])
def test_parse_refresh(value, share):
    assert publish.parse_refresh(value) == share


@pytest.mark.parametrize('value', ['0%', '100%', 'half', '2d', -1])
def test_parse_refresh_refuses(value):
    with pytest.raises(InputError) as exc:
        publish.parse_refresh(value)
    assert "'50%'" in exc.value.hint


def test_publish_paths_must_be_absolute():
    assert publish.publish_paths('/srv/www/a.crl') == ['/srv/www/a.crl']
    with pytest.raises(InputError):
        publish.publish_paths(['relative/a.crl'])


def test_keep_resigns_after_the_share_and_publishes(ca, tmp_path):
    layout, lock, pair = ca
    web = tmp_path / 'www' / 'pki' / 'ca.crl'          # parent directories are created
    revocations = Revocations(layout, lock, validity_days=4, refresh_share=0.5, publish_paths=[str(web)])
    first = revocations.keep(pair)
    assert first['signed'] and first['crl_number'] == 1 and first['published'] == [layout.crl, str(web)]
    assert web.read_text() == open(layout.crl).read() == first['crl_pem']
    again = revocations.keep(pair)
    assert not again['signed'] and again['crl_number'] == 1
    # half of the 4 days has not passed: dry run says fresh; later than that: due
    crl = x509.load_pem_x509_crl(first['crl_pem'].encode())
    assert not publish.due(crl, 0.5, crl.last_update_utc + datetime.timedelta(days=1, hours=23))
    assert publish.due(crl, 0.5, crl.last_update_utc + datetime.timedelta(days=2, hours=1))  # lastUpdate is backdated 5 min
    # a publish path emptied (or added) since is filled with the current CRL, without re-signing
    web.unlink()
    assert not revocations.keep(pair)['signed'] and web.read_text() == first['crl_pem']
    forced = revocations.keep(pair, refresh=True)
    assert forced['signed'] and forced['crl_number'] == 2 and web.read_text() == forced['crl_pem']
    out = subprocess.run(['openssl', 'crl', '-in', str(web), '-noout', '-crlnumber'], capture_output=True, text=True,
                         check=False)
    assert out.stdout.strip() == 'crlNumber=0x02'


def test_keep_dry_run_writes_nothing(ca, tmp_path):
    layout, lock, pair = ca
    web = tmp_path / 'www' / 'ca.crl'
    revocations = Revocations(layout, lock, validity_days=4, publish_paths=[str(web)])
    revocations.keep(pair)
    forced = revocations.keep(pair, refresh=True, dry_run=True)
    assert forced['signed'] and forced['crl_number'] == 1
    assert json.loads(open(layout.revoked).read())['crl_number'] == 1


def test_revocation_publishes_too(ca, tmp_path):
    layout, lock, pair = ca
    web = tmp_path / 'www' / 'ca.crl'
    Revocations(layout, lock, validity_days=4, publish_paths=[str(web)]).revoke(pair, 'abc', 'keyCompromise')
    crl = x509.load_pem_x509_crl(web.read_bytes())
    assert crl.get_revoked_certificate_by_serial_number(0xabc) is not None
