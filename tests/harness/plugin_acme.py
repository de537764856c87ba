"""pytest plugin: the ACME servers of issue 16, started lazily once per session.

  acme2certifier          Acme2Certifier (harness/acme2certifier.py): ARI, meta.profiles
                          (classic, shortlived), keyChange; 7-day certificates; no challenge
                          validation. directory_url, ca_cert_path, profiles, sql(query)
  acme2certifier_factory  callable(**kwargs) -> a new started Acme2Certifier (port=, validity_days=)
  bind9                   Bind9 (harness/bind9.py): zone example.test, RFC 2136 with TSIG.
                          address, port, zone, tsig_key_name, tsig_algorithm, tsig_secret, dig_txt(name)
  pebble_bind9            PebbleOnDns resolving through bind9 (-dnsserver): real dns-01 validation

Same rule as harness.plugin: missing or broken servers skip, or fail with
PKI_LIFECYCLE_REQUIRE_SERVERS=1.
"""

from __future__ import annotations

from typing import Any, Callable

import pytest

from harness.acme2certifier import Acme2Certifier
from harness.bind9 import Bind9, PebbleOnDns

ACME_SERVER_FIXTURES = {"acme2certifier", "acme2certifier_factory", "bind9", "pebble_bind9"}


@pytest.fixture(scope="session")
def acme2certifier_factory(_server_pool) -> Callable[..., Acme2Certifier]:
    def factory(**kwargs: Any) -> Acme2Certifier:
        return _server_pool.start(Acme2Certifier, **kwargs)  # type: ignore[return-value]
    return factory


@pytest.fixture(scope="session")
def acme2certifier(acme2certifier_factory) -> Acme2Certifier:
    return acme2certifier_factory()


@pytest.fixture(scope="session")
def bind9(_server_pool) -> Bind9:
    return _server_pool.start(Bind9)  # type: ignore[return-value]


@pytest.fixture(scope="session")
def pebble_bind9(_server_pool, bind9) -> PebbleOnDns:
    return _server_pool.start(PebbleOnDns, dns_server=bind9.address)  # type: ignore[return-value]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if ACME_SERVER_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.server)
