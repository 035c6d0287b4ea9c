"""``workbench run`` over the runbooks: pass, fail, broken, and no secret in any output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from elasticsearch import Elasticsearch

pytestmark = pytest.mark.cluster
PASSWORD = "runbook-Secret-pw-0815"


def workbench(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    # Security is off on the test node: the credentials are sent and ignored; the point
    # is that they reach no output.
    env = {**os.environ, "WORKBENCH_HOME": str(home), "ES_USERNAME": "sre", "ES_PASSWORD": PASSWORD}
    return subprocess.run(
        [sys.executable, "-m", "workbench", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )


def outputs(directory: Path) -> str:
    return "".join(p.read_text(errors="replace") for p in directory.rglob("*") if p.is_file())


def test_reconciliation_passes_then_fails_when_documents_vanish(
    es: Elasticsearch, tmp_path: Path
) -> None:
    params = ["-p", "orders", "400", "-p", "days", "3", "-p", "seed", "77"]
    out = tmp_path / "reports"
    passed = workbench(
        "run", "ingest_reconciliation", *params, "--out", str(out), home=tmp_path / "home"
    )
    assert passed.returncode == 0, passed.stderr[-3000:]
    run_dir = out / "ingest_reconciliation"
    verdict = json.loads((run_dir / "verdict.json").read_text())
    assert verdict["runbook"] == "ingest_reconciliation"
    assert verdict["status"] == "pass"
    assert verdict["metrics"]["missing"] == 0
    assert verdict["metrics"]["indexed"] > 10_000
    html = (run_dir / "ingest_reconciliation.html").read_text()
    assert "reconcile_seed(" not in html, "the report hides the code"
    assert "Ingest reconciliation" in html
    for text in (outputs(out), passed.stdout, passed.stderr):
        assert PASSWORD not in text

    hits = es.search(index="commerce-orders", size=3, sort=[{"order_id": "asc"}])["hits"]["hits"]
    for hit in hits:
        es.delete(index=hit["_index"], id=hit["_id"], refresh=True)
    try:
        check_vanished(tmp_path, params, out)
    finally:
        # Put them back: later tests (and the notebooks) read a consistent store.
        for hit in hits:
            es.index(index=hit["_index"], id=hit["_id"], document=hit["_source"], refresh=True)


def check_vanished(tmp_path: Path, params: list[str], out: Path) -> None:
    run_dir = out / "ingest_reconciliation"
    failed = workbench(
        "run",
        "ingest_reconciliation",
        *params,
        "-p",
        "load",
        "false",
        "--out",
        str(out),
        home=tmp_path / "home",
    )
    assert failed.returncode == 1, failed.stderr[-3000:]
    verdict = json.loads((run_dir / "verdict.json").read_text())
    assert verdict["status"] == "fail"
    assert verdict["metrics"]["missing"] == 3
    assert any(f.startswith("orders/") for f in verdict["findings"])
    assert "fail" in failed.stderr


def test_credentials_are_refused_as_parameters(tmp_path: Path) -> None:
    result = workbench(
        "run",
        "ingest_reconciliation",
        "-p",
        "es_password",
        "x",
        "--out",
        str(tmp_path),
        home=tmp_path,
    )
    assert result.returncode == 2
    assert "looks like a credential" in result.stderr


def test_a_broken_runbook_exits_2(tmp_path: Path) -> None:
    unknown = workbench("run", "no_such_runbook", "--out", str(tmp_path), home=tmp_path)
    assert unknown.returncode == 2
    assert "ingest_reconciliation" in unknown.stderr, "the error lists the known runbooks"
    broken = workbench(
        "run",
        "ingest_reconciliation",
        "-p",
        "storefronts",
        "woocommerce",
        "--out",
        str(tmp_path),
        home=tmp_path,
    )
    assert broken.returncode == 2
    assert "ValueError" in broken.stderr
    assert (tmp_path / "ingest_reconciliation" / "ingest_reconciliation.html").is_file()
