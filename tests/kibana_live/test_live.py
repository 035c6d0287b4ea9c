"""Against a real Kibana (KIBANA_URL, e.g. from the project's docker-compose)."""

import os

import pytest

from workbench.kibana.builders import commerce_objects
from workbench.kibana.client import KibanaClient
from workbench.kibana.diff import diff
from workbench.kibana.promote import apply, plan

pytestmark = [
    pytest.mark.kibana_live,
    pytest.mark.skipif(
        not os.environ.get("KIBANA_URL"),
        reason="KIBANA_URL is not set: no Kibana runs on this machine "
        "(see README: docker compose up)",
    ),
]


@pytest.fixture
def kibana():  # type: ignore[no-untyped-def]
    with KibanaClient.from_settings() as client:
        yield client


def test_status(kibana: KibanaClient) -> None:
    assert int(kibana.version().split(".")[0]) >= 8


def test_import_export_diff_round_trip(kibana: KibanaClient) -> None:
    objects = commerce_objects()
    preview = plan(kibana, objects, kibana.version())
    assert preview.errors == []
    result = apply(kibana, objects, preview, overwrite=True)
    assert result.success, [str(p) for p in result.problems]
    exported = kibana.export(objects=[(o["type"], o["id"]) for o in objects])
    changes = diff(objects, exported)
    assert not [c for c in changes if c.kind in {"added", "removed"}]
    for change in changes:
        assert not [p for p in change.panels if p.kind in {"added", "removed"}], change
