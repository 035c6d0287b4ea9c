"""The Kibana promotion runbook, offline (no KIBANA_URL): validation decides the verdict."""

import json
import os
import subprocess
import sys
from pathlib import Path

from workbench.kibana.files import dumps_ndjson
from workbench.kibana.model import read_objects

SPEED_LAYER = Path(__file__).parents[1] / "data" / "kibana" / "speed-layer-7.3-export.ndjson"


def run(tmp_path: Path, *params: str) -> tuple[subprocess.CompletedProcess[str], dict]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KIBANA_")}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "workbench",
            "run",
            "kibana_promotion",
            *params,
            "--out",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    verdict_file = tmp_path / "kibana_promotion" / "verdict.json"
    verdict = json.loads(verdict_file.read_text()) if verdict_file.exists() else {}
    return result, verdict


def test_the_shipped_dashboards_pass(tmp_path: Path) -> None:
    result, verdict = run(tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    assert verdict["status"] == "pass"
    assert verdict["metrics"]["validation_errors"] == 0
    assert "offline" in verdict["metrics"]["target"]


def test_a_bundle_with_a_missing_data_view_fails(tmp_path: Path) -> None:
    objects = [
        o for o in read_objects(SPEED_LAYER) if o["attributes"].get("title") != "transactions_clean"
    ]
    bundle = tmp_path / "broken.ndjson"
    bundle.write_text(dumps_ndjson(objects))
    result, verdict = run(tmp_path, "-p", "source", str(bundle))
    assert result.returncode == 1, result.stderr[-2000:]
    assert verdict["status"] == "fail"
    assert verdict["metrics"]["validation_errors"] >= 1
    assert any("missing-reference" in f and "Transactions" in f for f in verdict["findings"])


def test_malformed_remapping_breaks_the_runbook(tmp_path: Path) -> None:
    result, _ = run(tmp_path, "-p", "remap_patterns", "no-equals-sign")
    assert result.returncode == 2
    assert "old=new pairs" in result.stderr
