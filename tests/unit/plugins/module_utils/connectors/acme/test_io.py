"""acme/io.py: which CA failures a fallback RA profile may take over (``details.unavailable``):
unreachable, server errors, rate limits; not refusals."""
import pytest
import requests
from acme import errors as acme_errors
from acme import messages

from ansible_collections.pki.lifecycle.plugins.module_utils.connectors.acme.connector import AcmeConnector


def _connector():
    return AcmeConnector('p', {'directory_url': 'https://acme.example.test/dir'}, {})


@pytest.mark.parametrize('problem,unavailable', [
    ('rateLimited', True), ('serverInternal', True), ('malformed', False), ('unauthorized', False),
    ('badCSR', False), ('invalidProfile', False),
])
def test_problem_documents(problem, unavailable):
    error = messages.Error.from_json({'type': 'urn:ietf:params:acme:error:' + problem, 'detail': 'd'})
    exc = _connector()._translate(error, 'create an order')
    assert bool(exc.details.get('unavailable')) is unavailable


@pytest.mark.parametrize('status,unavailable', [(500, True), (503, True), (404, False), (400, False)])
def test_http_status_without_problem_document(status, unavailable):
    response = requests.Response()
    response.status_code, response.url, response._content = status, 'https://acme.example.test/dir', b'oops'
    exc = _connector()._translate(acme_errors.ClientError(response), 'return its directory')
    assert bool(exc.details.get('unavailable')) is unavailable and ('HTTP %d' % status) in exc.message


def test_unreachable():
    exc = _connector()._translate(requests.exceptions.ConnectionError('refused'), 'return its directory')
    assert exc.details['unavailable'] is True and 'unreachable' in exc.message
