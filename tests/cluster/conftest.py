"""Fixtures for the runbook tests: a seeded store, and running a runbook as a user would."""

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
