"""pytest plugin: private nginx servers (harness/nginx.py), started on demand.

Fixtures:
  nginx_factory  (session) callable(cert_path=None, key_path=None, server_name='localhost')
                 -> a new started harness.nginx.Nginx, stopped by PID at the end of the session.
                 Give the paths a role deploys to: nginx serves a self-signed placeholder there
                 until the first deployment and reload.
  nginx          (session) one Nginx with its own placeholder certificate.

Same require_servers() rule as harness.plugin: nginx missing -> skip, or fail with
PKI_LIFECYCLE_REQUIRE_SERVERS=1. Tests using them get the ``server`` marker.
"""

from __future__ import annotations

from typing import Any, Callable

import pytest

from harness.nginx import Nginx

NGINX_FIXTURES = {"nginx", "nginx_factory"}


@pytest.fixture(scope="session")
def nginx_factory(_server_pool) -> Callable[..., Nginx]:
    def factory(**kwargs: Any) -> Nginx:
        return _server_pool.start(Nginx, **kwargs)  # type: ignore[return-value]
    return factory


@pytest.fixture(scope="session")
def nginx(nginx_factory) -> Nginx:
    return nginx_factory()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:  # noqa: ARG001
    for item in items:
        if NGINX_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.server)
