"""SRE runbooks through ``workbench run`` on the seeded node: a pass and a fail each."""

from __future__ import annotations

from pathlib import Path

import pytest
from elasticsearch import Elasticsearch

from tests.cluster.conftest import run

pytestmark = pytest.mark.cluster


def test_cluster_health(es: Elasticsearch, seeded: Path, tmp_path: Path) -> None:
    code, verdict, err = run("cluster_health", tmp_path)
    assert code == 0, err[-2000:]
    assert verdict["metrics"]["status"] == "green"
    es.indices.create(index="wbtest-needs-replica", settings={"number_of_replicas": 1})
    try:
        code, verdict, _ = run("cluster_health", tmp_path)
        assert code == 1
        assert verdict["metrics"]["unassigned_shards"] == 1
        assert any("wbtest-needs-replica[0]r" in f for f in verdict["findings"])
        assert any("yellow" in f for f in verdict["findings"])
        code, verdict, _ = run("cluster_health", tmp_path, "-p", "allow_yellow", "true")
        assert code == 0
    finally:
        es.indices.delete(index="wbtest-needs-replica")


def test_shard_sizing(es: Elasticsearch, seeded: Path, tmp_path: Path) -> None:
    code, verdict, err = run("shard_sizing", tmp_path, "-p", "pattern", "commerce-*")
    assert code == 0, err[-2000:]
    assert verdict["metrics"]["requests"] >= 2
    es.indices.create(
        index="wbtest-oversharded", settings={"number_of_shards": 24, "number_of_replicas": 0}
    )
    try:
        code, verdict, _ = run("shard_sizing", tmp_path, "-p", "pattern", "*")
        assert code == 1
        assert any("over_sharded: wbtest-oversharded" in f for f in verdict["findings"])
        html = (tmp_path / "shard_sizing" / "shard_sizing.html").read_text()
        assert "/wbtest-oversharded/_shrink/wbtest-oversharded-shrunk" in html
        assert (
            es.indices.get_settings(index="wbtest-oversharded")["wbtest-oversharded"]["settings"][
                "index"
            ]["number_of_shards"]
            == "24"
        ), "nothing was applied"
    finally:
        es.indices.delete(index="wbtest-oversharded")


def test_capacity_planning(seeded: Path, tmp_path: Path) -> None:
    code, verdict, err = run("capacity_planning", tmp_path)
    assert code == 0, err[-2000:]
    assert verdict["metrics"]["high_watermark_date"] == "None"
    code, verdict, _ = run(
        "capacity_planning", tmp_path, "-p", "node_disk_gb", "0.005", "-p", "growth_rate", "0.5"
    )
    assert code == 1
    assert any("high watermark (90 %) is crossed" in f for f in verdict["findings"])
