"""Crash recovery: the node or the loader dies mid-ingest, and nothing is lost or doubled.

Each test runs its own node (on free ports) so that killing it disturbs no other test.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from elasticsearch import Elasticsearch

from tests.conftest import free_ports
from workbench.cluster.local import ClusterSpec, LocalCluster
from workbench.config import Settings
from workbench.data.dialects import source_records
from workbench.data.store import StoreSpec, generate
from workbench.ingest.loader import Loader, LoadSummary
from workbench.ingest.mask import Masker
from workbench.ingest.reconcile import reconcile_job
from workbench.ingest.seed import job_dir
from workbench.schema.templates import install

pytestmark = [pytest.mark.cluster, pytest.mark.slow]
# About 200,000 events (and 45,000 other records).
SPEC = StoreSpec(orders=9000, days=20, seed=303)


@pytest.fixture
def node() -> Iterator[LocalCluster]:
    cluster = LocalCluster(
        ClusterSpec(
            home=Settings.from_env().home, name=f"recovery-{os.getpid()}", http_port=free_ports(1)
        )
    )
    cluster.up()
    yield cluster
    cluster.down(wipe=True)


def count_events(es: Elasticsearch) -> int:
    try:
        return int(es.count(index="commerce-events")["count"])
    except Exception:
        return 0


def wait_for(predicate, timeout: float = 300.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not reached")
        time.sleep(0.2)


def test_node_killed_mid_ingest(node: LocalCluster, tmp_path: Path) -> None:
    store = generate(SPEC)
    assert len(store.events) >= 200_000
    es = Elasticsearch(node.spec.url, request_timeout=30, max_retries=1)
    domains = install(es, {"type": "double"})
    loader = Loader(
        es, tmp_path / "job", Masker(b"recovery-test-key-0123"), domains, max_outage=300
    )
    summary: list[LoadSummary] = []
    worker = threading.Thread(target=lambda: summary.append(loader.run(source_records(store))))
    worker.start()
    probe = Elasticsearch(node.spec.url, request_timeout=5)
    wait_for(lambda: count_events(probe) > 40_000)
    ((pid, _),) = node.running()
    os.kill(pid, signal.SIGKILL)
    time.sleep(3)
    node.up()
    worker.join(timeout=600)
    assert not worker.is_alive()
    loader.close()
    assert summary, "the loader must finish after the node comes back"
    assert summary[0].outages >= 1
    result = reconcile_job(es, domains, store.totals, loader.dead_letter_path)
    assert result.passed, result.differences()
    assert result.verdict()["metrics"]["dead_lettered"] == 0


def test_loader_killed_and_restarted(node: LocalCluster, tmp_path: Path) -> None:
    env = {
        **os.environ,
        "ES_URL": node.spec.url,
        "WORKBENCH_HOME": str(tmp_path / "home"),
        "WORKBENCH_MASK_KEY": "recovery-test-key-0123",
    }
    command = [
        sys.executable,
        "-m",
        "workbench",
        "seed",
        "--json",
        "--orders",
        str(SPEC.orders),
        "--days",
        str(SPEC.days),
        "--seed",
        str(SPEC.seed),
    ]
    first = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    probe = Elasticsearch(node.spec.url, request_timeout=5)
    wait_for(lambda: count_events(probe) > 40_000 or first.poll() is not None)
    assert first.poll() is None, "the first run finished before it could be killed"
    first.send_signal(signal.SIGKILL)
    first.wait()
    job = job_dir(tmp_path / "home", SPEC)
    assert (job / "spool" / "checkpoint.json").exists(), "progress was checkpointed"
    second = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=900, check=False
    )
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]
    report = json.loads(second.stdout)
    assert report["load"]["skipped_on_resume"] > 0, "the second run resumed, not restarted"
    verdict = report["reconciliation"]
    assert verdict["status"] == "pass", verdict
    assert verdict["metrics"]["missing"] == 0
    assert verdict["metrics"]["indexed"] == verdict["metrics"]["source_records"]
