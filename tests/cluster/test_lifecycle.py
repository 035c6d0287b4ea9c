"""``workbench cluster up|status|down`` and ``workbench demo`` as a user runs them."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import free_ports
from workbench.cluster.distribution import DEFAULT_VERSION
from workbench.cluster.process import is_node_of, port_in_use
from workbench.config import Settings

pytestmark = [pytest.mark.cluster, pytest.mark.slow]
SECRET_PASSWORD = "lifecycle-Secret-pw-4815162342"


def workbench(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "workbench", *args],
        capture_output=True,
        text=True,
        timeout=600,
        env=env or os.environ.copy(),
        check=False,
    )


def our_nodes(name: str) -> list[int]:
    """Live processes that are Elasticsearch nodes of the named workbench cluster."""
    cluster_dir = Settings.from_env().home / "clusters" / name
    configs = sorted(cluster_dir.glob("node-*/config"))
    pids = [int(p) for p in os.listdir("/proc") if p.isdigit()]
    return [pid for pid in pids for conf in configs if is_node_of(pid, conf)]


@pytest.fixture
def cluster_name() -> Iterator[str]:
    name = f"lifecycle-{os.getpid()}"
    yield name
    workbench("cluster", "down", "--name", name, "--wipe")


def test_up_status_reuse_down(cluster_name: str) -> None:
    port = free_ports(1)
    first = workbench("cluster", "up", "--name", cluster_name, "--port", str(port))
    assert first.returncode == 0, first.stderr
    assert f"export ES_URL=http://127.0.0.1:{port}" in first.stdout

    status = workbench("cluster", "status", "--name", cluster_name, "--json")
    assert status.returncode == 0, status.stderr
    report = json.loads(status.stdout)
    assert report["version"] == DEFAULT_VERSION
    assert report["health"] in {"green", "yellow"}
    assert report["number_of_nodes"] == 1
    assert {"x-pack-core", "x-pack-security", "transport-netty4"} <= set(report["modules"])
    assert report["capabilities"]["fs_snapshots"]["available"] is True
    assert report["capabilities"]["painless"]["available"] is False
    assert len(our_nodes(cluster_name)) == 1

    again = workbench("cluster", "up", "--name", cluster_name, "--port", str(port))
    assert again.returncode == 0, again.stderr
    assert "reused" in again.stderr
    assert len(our_nodes(cluster_name)) == 1

    down = workbench("cluster", "down", "--name", cluster_name)
    assert down.returncode == 0, down.stderr
    assert "1 node(s) stopped" in down.stderr
    assert our_nodes(cluster_name) == []
    assert not port_in_use(port)


def test_foreign_process_on_the_port_is_reported_not_clobbered(cluster_name: str) -> None:
    with socket.socket() as foreign:
        foreign.bind(("127.0.0.1", 0))
        foreign.listen()
        port = foreign.getsockname()[1]
        result = workbench("cluster", "up", "--name", cluster_name, "--port", str(port))
        assert result.returncode == 1
        assert f"port {port}" in result.stderr
        assert "already in use" in result.stderr
        assert "--port" in result.stderr
        # The foreign listener still accepts connections.
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            pass
    assert our_nodes(cluster_name) == []


def test_status_of_an_unreachable_cluster_fails_clearly() -> None:
    port = free_ports(1)
    env = {**os.environ, "ES_URL": f"http://127.0.0.1:{port}"}
    result = workbench("cluster", "status", env=env)
    assert result.returncode == 1
    assert "cannot get the status" in result.stderr
    assert "workbench cluster up" in result.stderr


def test_three_node_cluster(cluster_name: str) -> None:
    port = free_ports(3)
    up = workbench("cluster", "up", "--name", cluster_name, "--nodes", "3", "--port", str(port))
    assert up.returncode == 0, up.stderr
    report = json.loads(workbench("cluster", "status", "--name", cluster_name, "--json").stdout)
    assert report["number_of_nodes"] == 3
    assert sorted(n["name"] for n in report["nodes"]) == [f"{cluster_name}-{i}" for i in range(3)]
    assert len(our_nodes(cluster_name)) == 3
    mismatch = workbench(
        "cluster", "up", "--name", cluster_name, "--nodes", "1", "--port", str(port)
    )
    assert mismatch.returncode == 1
    assert "running with 3 node(s)" in mismatch.stderr
    assert workbench("cluster", "down", "--name", cluster_name).returncode == 0
    assert our_nodes(cluster_name) == []


def test_demo_writes_an_offline_report_without_secrets(tmp_path: Path) -> None:
    port = free_ports(1)
    # Security is off on the local node, so these credentials are sent and ignored:
    # the point is that they appear in no output.
    env = {**os.environ, "ES_USERNAME": "analyst", "ES_PASSWORD": SECRET_PASSWORD}
    out = tmp_path / "reports"
    result = workbench("demo", "--port", str(port), "--out", str(out), env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    html = (out / "00_getting_started.html").read_text()
    notebook = (out / "00_getting_started.ipynb").read_text()
    assert "Revenue by storefront" in html
    assert '<script src="http' not in html
    assert re.search(r"plotly\.js v\d", html), "plotly.js must be embedded, not fetched"
    for text in (html, notebook, result.stdout, result.stderr):
        assert SECRET_PASSWORD not in text
    assert not port_in_use(port), "demo must stop the node it started"
