"""The ``pki`` fixture of the x509 unit tests: root -> intermediate -> leaf and an unrelated
root (harness/certs.py), made once per test module."""
import pytest


@pytest.fixture(scope='module')
def pki():
    from harness.certs import make_pki
    return make_pki()
