"""Shared fixtures. Cluster tests need a node at ES_URL (scripts/test starts one)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from elasticsearch import ApiError, Elasticsearch, TransportError

from workbench.cluster.process import port_in_use
from workbench.config import Settings
from workbench.connect import es_client


@pytest.fixture(scope="session")
def settings() -> Settings:
    return Settings.from_env()


@pytest.fixture(scope="session")
def es(settings: Settings) -> Iterator[Elasticsearch]:
    client = es_client(settings, max_retries=0)
    try:
        client.cluster.health(wait_for_status="yellow", timeout="30s")
    except (ApiError, TransportError) as exc:
        pytest.fail(
            f"no healthy Elasticsearch at {settings.es_url} ({exc}). Cluster tests need a node: "
            "run scripts/test, or 'workbench cluster up' and export ES_URL."
        )
    yield client
    client.close()


def free_ports(count: int) -> int:
    """A first HTTP port such that it, the next ``count - 1`` and their transport ports
    (HTTP + 100) are free on loopback."""
    for base in range(9600, 9900, 10):
        ports = [base + i for i in range(count)] + [base + 100 + i for i in range(count)]
        if not any(port_in_use(p) for p in ports):
            return base
    raise RuntimeError("no free loopback ports between 9600 and 9900")
