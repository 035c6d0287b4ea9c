"""Render each local node's ``elasticsearch.yml`` and JVM options."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class NodeSpec:
    """One node of a local cluster: its name, loopback ports and directory."""

    name: str
    http_port: int
    transport_port: int
    directory: Path

    @property
    def config_dir(self) -> Path:
        return self.directory / "config"

    @property
    def data_dir(self) -> Path:
        return self.directory / "data"

    @property
    def logs_dir(self) -> Path:
        return self.directory / "logs"

    @property
    def tmp_dir(self) -> Path:
        return self.directory / "tmp"

    @property
    def pid_file(self) -> Path:
        return self.directory / "elasticsearch.pid"

    @property
    def startup_log(self) -> Path:
        return self.directory / "startup.log"


def _yaml_value(value: object) -> str:
    # JSON scalars and flow sequences are valid YAML, and quoting stays unambiguous.
    return json.dumps(value)


def render_elasticsearch_yml(
    cluster_name: str,
    node: NodeSpec,
    peers: list[NodeSpec],
    repo_dir: Path,
    security: dict[str, object] | None = None,
) -> str:
    """Settings for a loopback node; a single-node cluster skips discovery entirely.
    Security is off unless ``security`` gives its settings."""
    settings: dict[str, object] = {
        "cluster.name": cluster_name,
        "node.name": node.name,
        "network.host": "127.0.0.1",
        "http.port": node.http_port,
        "transport.port": node.transport_port,
        "path.data": str(node.data_dir),
        "path.logs": str(node.logs_dir),
        "path.repo": [str(repo_dir)],
        "xpack.security.enabled": False,
        **(security or {}),
    }
    if len(peers) == 1:
        settings["discovery.type"] = "single-node"
    else:
        settings["discovery.seed_hosts"] = [f"127.0.0.1:{p.transport_port}" for p in peers]
        settings["cluster.initial_master_nodes"] = [p.name for p in peers]
    lines = ["# Written by commerce-workbench; regenerated on every start."]
    lines += [f"{key}: {_yaml_value(value)}" for key, value in settings.items()]
    return "\n".join(lines) + "\n"


def render_jvm_options(heap_mb: int) -> str:
    """Heap size for ``config/jvm.options.d``: min equals max, as Elastic advises."""
    if heap_mb < 256:
        raise ValueError(f"heap of {heap_mb} MB is too small for Elasticsearch; use >= 256")
    return f"-Xms{heap_mb}m\n-Xmx{heap_mb}m\n"
