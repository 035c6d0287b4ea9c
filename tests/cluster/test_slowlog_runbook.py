"""Slow-log profiling on the local node: a normal workload passes; a slow pattern fails
and is named."""

from __future__ import annotations

from pathlib import Path

import pytest
from elasticsearch import Elasticsearch

from tests.cluster.conftest import run

pytestmark = pytest.mark.cluster


def test_slowlog_profiling(es: Elasticsearch, seeded: Path, tmp_path: Path) -> None:
    code, verdict, err = run("slowlog_profiling", tmp_path, "-p", "repeat", "3")
    assert code == 0, err[-2000:]
    assert verdict["metrics"]["lines"] > 0
    assert verdict["metrics"]["malformed"] == 0
    assert verdict["metrics"]["fingerprints"] >= 4
    settings = es.indices.get_settings(index="commerce-orders-*", flat_settings=True)
    assert not any("slowlog" in k for s in settings.values() for k in s["settings"]), (
        "the thresholds are restored"
    )
    # The slow pattern (top_hits under a 20,000-bucket terms aggregation) costs tens of ms
    # per shard where the others cost a few: a 15 ms limit separates them.
    code, verdict, _ = run(
        "slowlog_profiling",
        tmp_path,
        "-p",
        "repeat",
        "3",
        "-p",
        "include_slow_pattern",
        "true",
        "-p",
        "p95_threshold_ms",
        "15",
    )
    assert code == 1
    named = [f for f in verdict["findings"] if f.startswith("error: p95")]
    assert named, verdict["findings"]
    assert all("top_hits" in f for f in named), named
    html = (tmp_path / "slowlog_profiling" / "slowlog_profiling.html").read_text()
    assert "composite aggregation" in html, "the advice names the fix"
