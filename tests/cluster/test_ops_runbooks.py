"""SRE runbooks through ``workbench run`` on the seeded node: a pass and a fail each."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from elasticsearch import Elasticsearch

from workbench.data.store import StoreSpec
from workbench.ingest.seed import seed

pytestmark = pytest.mark.cluster
API_KEY = "b3BzOnJ1bmJvb2stYXBpLWtleS0xMjM0NQ=="


@pytest.fixture(scope="module")
def seeded(es: Elasticsearch, tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("home")
    result = seed(es, home, StoreSpec(orders=600, days=10, seed=505), fresh=True)
    assert result.reconciliation.passed
    # Single node: no index may wait for a replica, or health would rightly be yellow.
    es.indices.put_settings(index="*", settings={"index.number_of_replicas": 0})
    return home


def run(runbook: str, out: Path, *params: str) -> tuple[int, dict, str]:
    # Security is off on the test node: the API key is sent and ignored; it must reach
    # no output.
    env = {**os.environ, "ES_API_KEY": API_KEY}
    result = subprocess.run(
        [sys.executable, "-m", "workbench", "run", runbook, *params, "--out", str(out)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )
    verdict_file = out / runbook / "verdict.json"
    verdict = json.loads(verdict_file.read_text()) if verdict_file.exists() else {}
    texts = [p.read_text(errors="replace") for p in (out / runbook).glob("*")]
    assert all(API_KEY not in t for t in [*texts, result.stdout, result.stderr])
    return result.returncode, verdict, result.stderr


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
