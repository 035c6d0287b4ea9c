"""The restore drill: a clean pass, a tampered copy that fails, point-in-time selection."""

from __future__ import annotations

from pathlib import Path

import pytest
from elasticsearch import Elasticsearch

from tests.cluster.conftest import run

pytestmark = pytest.mark.cluster


def test_restore_drill_passes_then_catches_an_altered_document(
    es: Elasticsearch,
    seeded: Path,
    tmp_path: Path,
) -> None:
    code, verdict, err = run("restore_drill", tmp_path, "-p", "keep_restored", "true")
    assert code == 0, err[-2000:]
    metrics = verdict["metrics"]
    assert metrics["indices"] >= 2
    assert metrics["rto_seconds"] is not None
    assert metrics["rpo_seconds"] < 600
    copy = es.search(index="drill-commerce-orders-*", size=1)["hits"]["hits"][0]
    es.update(
        index=copy["_index"],
        id=copy["_id"],
        doc={"total": copy["_source"]["total"] + 1},
        refresh=True,
    )
    code, verdict, _ = run(
        "restore_drill",
        tmp_path,
        "-p",
        "snapshot",
        metrics["snapshot"],
        "-p",
        "restore_copies",
        "false",
        "-p",
        "keep_restored",
        "true",
    )
    assert code == 1
    assert any(f"checksum: {copy['_index']}" in f for f in verdict["findings"])
    code, verdict, _ = run("restore_drill", tmp_path, "-p", "snapshot", "latest")
    assert code == 0, "the latest snapshot restores cleanly again"
    assert verdict["metrics"]["snapshot"] == metrics["snapshot"]
    assert not es.indices.exists(index="drill-commerce-orders-*", allow_no_indices=False)


def test_an_rto_target_that_cannot_be_met_fails(seeded: Path, tmp_path: Path) -> None:
    code, verdict, _ = run("restore_drill", tmp_path, "-p", "rto_target_seconds", "0.000001")
    assert code == 1
    assert any("rto: restore" in f for f in verdict["findings"])
