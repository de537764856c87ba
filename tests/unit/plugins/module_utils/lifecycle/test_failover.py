"""lifecycle/failover.py: the fallback chain refused at profile creation (loop, unknown,
another attribute set), and the order in which CAs are asked (pure logic: connectors here are
plain objects; the real failover between two ACME servers is tests/integration/plugins/
module_utils/lifecycle/test_failover.py)."""
import pytest

from ansible_collections.pki.lifecycle.plugins.module_utils.errors import ConnectorError, InputError, PolicyError
from ansible_collections.pki.lifecycle.plugins.module_utils.lifecycle import failover


def test_fallback_chain_checked_at_creation(pki):
    pki.ra_profile(name='b')
    assert pki.ra_profile(name='a', fallback_ra_profile='b')['ra_profile']['fallback_ra_profile'] == 'b'
    before = pki.snapshot()
    with pytest.raises(InputError) as loop:
        pki.ra_profile(name='b', fallback_ra_profile='a')
    assert 'makes a loop: b -> a -> b' in loop.value.message and 'never lead back' in loop.value.hint
    with pytest.raises(InputError) as itself:
        pki.ra_profile(name='a', fallback_ra_profile='a')
    assert 'makes a loop: a -> a' in itself.value.message
    with pytest.raises(InputError) as unknown:
        pki.ra_profile(name='a', fallback_ra_profile='nowhere')
    assert "'nowhere' is not in the inventory" in unknown.value.message and 'one of: b' in unknown.value.hint
    with pytest.raises(InputError) as attributes:
        pki.ra_profile(name='c', connector='cfssl', connector_options=dict(url='https://cfssl.invalid'),
                       fallback_ra_profile='b')
    assert "connector 'local'" in attributes.value.message and 'differ' in attributes.value.message
    with pytest.raises(PolicyError) as removal:
        pki.run('ra_profile', name='b', state='absent')
    assert 'is the fallback of a' in removal.value.message
    assert pki.snapshot() == before
    # a profile without a fallback stores none (profiles from before stay "as requested")
    assert 'fallback_ra_profile' not in pki.ra_profile(name='b')['ra_profile']


class _Ca(object):
    def __init__(self, error=None):
        self.error, self.calls = error, 0

    def issue(self):
        self.calls += 1
        if self.error:
            raise self.error
        return 'issued'


class _Authorities(failover.Authorities):
    def __init__(self, chain):
        self._chain = chain
        self.profile = chain[0][0]

    def chain(self):
        return iter(self._chain)


def _down(what='unreachable'):
    return ConnectorError('The ACME server is %s.' % what, 'Check it.', details=dict(unavailable=True))


def test_ask_goes_down_the_chain_only_when_unavailable():
    primary, backup = dict(name='p', connector='acme', fallback_ra_profile='b'), dict(name='b', connector='acme')
    down, up = _Ca(_down()), _Ca()
    outcome, profile, _connector, facts = failover.ask(_Authorities([(primary, down), (backup, up)]),
                                                       lambda ca: ca.issue())
    assert outcome == 'issued' and profile is backup and (down.calls, up.calls) == (1, 1)
    assert facts == dict(ra_profile='b', connector='acme', fallback_from='p',
                         fallback_reason="'p': The ACME server is unreachable.")
    # a refusal (bad CSR, unauthorized...) is the answer: no failover
    refused, spare = _Ca(ConnectorError('badCSR', 'fix it')), _Ca()
    with pytest.raises(ConnectorError):
        failover.ask(_Authorities([(primary, refused), (backup, spare)]), lambda ca: ca.issue())
    assert spare.calls == 0
    # the primary answers: no fallback asked, issued_by says so
    fine = _Ca()
    assert failover.ask(_Authorities([(primary, fine), (backup, spare)]), lambda ca: ca.issue())[3] == \
        dict(ra_profile='p', connector='acme')
    # every CA down: the last error, naming the ones before
    with pytest.raises(ConnectorError) as both:
        failover.ask(_Authorities([(primary, _Ca(_down())), (backup, _Ca(_down('rate-limited')))]),
                     lambda ca: ca.issue())
    assert 'rate-limited' in both.value.message and "after failing over from 'p'" in both.value.message
