"""``workbench cluster up --security``: TLS and a password on a real local node."""

from __future__ import annotations

import base64
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from elastic_transport import TlsError
from elasticsearch import AuthenticationException, Elasticsearch
from elasticsearch import ConnectionError as ESConnectionError

from tests.cluster.test_lifecycle import our_nodes, workbench
from tests.conftest import free_ports
from workbench.config import Settings
from workbench.connect import es_client

pytestmark = [pytest.mark.cluster, pytest.mark.slow]


@pytest.fixture
def cluster_name() -> Iterator[str]:
    name = f"secured-{os.getpid()}"
    yield name
    workbench("cluster", "down", "--name", name, "--wipe")


def exports(stdout: str) -> dict[str, str]:
    lines = [line.removeprefix("export ") for line in stdout.splitlines()]
    return dict(line.split("=", 1) for line in lines if "=" in line)


def test_secured_node_needs_tls_and_the_generated_password(
    cluster_name: str, tmp_path: Path
) -> None:
    port = free_ports(1)
    up = workbench("cluster", "up", "--name", cluster_name, "--port", str(port), "--security")
    assert up.returncode == 0, up.stderr
    env = exports(up.stdout)
    assert env["ES_URL"] == f"https://127.0.0.1:{port}"
    assert env["ES_USERNAME"] == "elastic"
    password_file, ca = Path(env["ES_PASSWORD_FILE"]), Path(env["ES_CA_CERTS"])
    password = password_file.read_text().strip()
    assert len(password) >= 32
    assert stat.S_IMODE(password_file.stat().st_mode) == 0o600
    assert stat.S_IMODE((ca.parent / "ca.key").stat().st_mode) == 0o600

    es = es_client(Settings.from_env(env), max_retries=0)
    assert es.security.authenticate()["username"] == "elastic"
    assert es.cluster.health()["status"] in {"green", "yellow"}

    url = env["ES_URL"]
    anonymous = Elasticsearch(url, ca_certs=str(ca), max_retries=0)
    with pytest.raises(AuthenticationException):
        anonymous.info()
    wrong = Elasticsearch(url, ca_certs=str(ca), basic_auth=("elastic", "not-it"), max_retries=0)
    with pytest.raises(AuthenticationException):
        wrong.info()
    unverified = Elasticsearch(url, basic_auth=("elastic", password), max_retries=0)
    with pytest.raises(TlsError) as failed:
        unverified.info()
    assert "CERTIFICATE_VERIFY_FAILED" in repr(failed.value)
    plain = Elasticsearch(f"http://127.0.0.1:{port}", max_retries=0, request_timeout=5)
    with pytest.raises(ESConnectionError):
        plain.info()

    status = workbench("cluster", "status", "--name", cluster_name, "--json")
    assert status.returncode == 0, status.stderr
    again = workbench("cluster", "up", "--name", cluster_name, "--port", str(port), "--security")
    assert again.returncode == 0, again.stderr
    assert "reused" in again.stderr
    unsecured = workbench("cluster", "up", "--name", cluster_name, "--port", str(port))
    assert unsecured.returncode != 0
    assert "running with security on" in unsecured.stderr

    reports = tmp_path / "reports"
    runbook = workbench("run", "cluster_health", "--out", str(reports), env={**os.environ, **env})
    assert runbook.returncode == 0, runbook.stderr[-2000:]
    wrong_env = {**os.environ, **env, "ES_PASSWORD_FILE": str(tmp_path / "wrong")}
    (tmp_path / "wrong").write_text("wrong-Secret-pw-2718\n")
    refused = workbench("run", "cluster_health", "--out", str(reports / "refused"), env=wrong_env)
    assert refused.returncode == 2, "an authentication failure breaks the runbook"
    assert "AuthenticationException" in refused.stderr, "and says why"
    token = base64.b64encode(f"elastic:{password}".encode()).decode()
    written = "".join(p.read_text(errors="replace") for p in reports.rglob("*") if p.is_file())
    assert "cluster_health" in written
    for text in (written, runbook.stdout + runbook.stderr, refused.stdout + refused.stderr):
        assert password not in text
        assert token not in text
        assert "wrong-Secret-pw-2718" not in text

    cluster_dir = Settings.from_env().home / "clusters" / cluster_name
    logs = [p for p in cluster_dir.rglob("*") if p.is_file() and p.suffix in {".log", ".json"}]
    assert logs, "the node wrote logs"
    for path in [*logs, *cluster_dir.glob("node-*/startup.log")]:
        assert password not in path.read_text(errors="replace"), path
    for output in (up, again, unsecured, status):
        assert password not in output.stdout + output.stderr

    down = workbench("cluster", "down", "--name", cluster_name)
    assert down.returncode == 0, down.stderr
    assert our_nodes(cluster_name) == []


def test_three_secured_nodes_form_a_cluster_over_tls(cluster_name: str) -> None:
    port = free_ports(1)
    up = workbench(
        "cluster", "up", "--name", cluster_name, "--port", str(port), "--nodes", "3", "--security"
    )
    assert up.returncode == 0, up.stderr
    es = es_client(Settings.from_env(exports(up.stdout)), max_retries=0)
    health = es.cluster.health(wait_for_nodes="3", timeout="30s")
    assert health["number_of_nodes"] == 3
    settings = es.nodes.info(metric="settings")["nodes"]
    assert len(settings) == 3
    for node in settings.values():
        ssl = node["settings"]["xpack"]["security"]["transport"]["ssl"]
        assert ssl["enabled"] == "true", "the nodes talk to each other over TLS"
