"""Start, inspect and stop local clusters of real Elasticsearch nodes on loopback.

A cluster lives in ``WORKBENCH_HOME/clusters/<name>``: one directory per node (config,
data, logs, pid file), a shared snapshot repository and ``cluster.json``, the record of
what was started. Only processes recorded there, and verified by their command line and
config directory, are ever stopped.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from elasticsearch import ApiError, TransportError

from workbench.cluster import distribution, security
from workbench.cluster.java import JavaHome, find_java
from workbench.cluster.nodeconfig import NodeSpec, render_elasticsearch_yml, render_jvm_options
from workbench.cluster.process import (
    RunAs,
    can_traverse,
    chown_tree,
    is_node_of,
    pid_alive,
    port_in_use,
    read_pid,
    run_as,
    stop_pid,
)
from workbench.config import Settings
from workbench.connect import es_client
from workbench.errors import ClusterError, PortInUseError

DEFAULT_HTTP_PORT = 9200
TRANSPORT_OFFSET = 100
Step = Callable[[str], None]


def _quiet(_: str) -> None:
    return None


@dataclass(frozen=True)
class ClusterSpec:
    """What to run: how many nodes, on which ports, with how much heap, secured or not."""

    home: Path
    name: str = "local"
    nodes: int = 1
    http_port: int = DEFAULT_HTTP_PORT
    heap_mb: int | None = None
    version: str = distribution.DEFAULT_VERSION
    security: bool = False

    @property
    def directory(self) -> Path:
        return self.home / "clusters" / self.name

    @property
    def url(self) -> str:
        return f"{'https' if self.security else 'http'}://127.0.0.1:{self.http_port}"

    @property
    def heap(self) -> int:
        if self.heap_mb:
            return self.heap_mb
        return 1024 if self.nodes == 1 else 512

    def node_specs(self) -> list[NodeSpec]:
        if not 1 <= self.nodes <= 9:
            raise ClusterError(f"--nodes must be between 1 and 9, not {self.nodes}")
        return [
            NodeSpec(
                name=f"{self.name}-{i}",
                http_port=self.http_port + i,
                transport_port=self.http_port + TRANSPORT_OFFSET + i,
                directory=self.directory / f"node-{i}",
            )
            for i in range(self.nodes)
        ]


@dataclass
class ClusterRecord:
    """``cluster.json``: what the workbench started, so that only that is ever stopped."""

    name: str
    version: str
    url: str
    java_home: str
    heap_mb: int
    nodes: list[dict[str, object]] = field(default_factory=list)
    started_at: float = 0.0
    security: bool = False

    def save(self, directory: Path) -> None:
        (directory / "cluster.json").write_text(json.dumps(asdict(self), indent=2) + "\n")

    @classmethod
    def load(cls, directory: Path) -> ClusterRecord | None:
        try:
            raw = json.loads((directory / "cluster.json").read_text())
        except (OSError, ValueError):
            return None
        return cls(**raw)

    def client_env(self, directory: Path) -> dict[str, str]:
        """The variables that point the workbench at this cluster (credentials by file)."""
        if not self.security:
            return {"ES_URL": self.url}
        return security.SecurityFiles(directory / "security").client_env(self.url)


@dataclass(frozen=True)
class UpResult:
    url: str
    reused: bool
    seconds: float
    nodes: int
    version: str
    env: dict[str, str] = field(default_factory=dict)


def _live_nodes(record: ClusterRecord) -> list[tuple[int, Path]]:
    live = []
    for node in record.nodes:
        directory = Path(str(node["directory"]))
        pid = read_pid(directory / "elasticsearch.pid") or node.get("pid")
        config_dir = directory / "config"
        if isinstance(pid, int) and pid_alive(pid) and is_node_of(pid, config_dir):
            live.append((pid, directory))
    return live


def _log_tail(node: NodeSpec, cluster_name: str, lines: int = 25) -> str:
    """The end of the node's own log, or of the launcher's output when there is none."""
    for path in (node.logs_dir / f"{cluster_name}.log", node.startup_log):
        if path.is_file() and path.stat().st_size:
            text = path.read_text(errors="replace").splitlines()[-lines:]
            return f"--- last {len(text)} lines of {path} ---\n" + "\n".join(text)
    return "(the node wrote no log)"


class LocalCluster:
    """A named local cluster under ``WORKBENCH_HOME/clusters``."""

    def __init__(self, spec: ClusterSpec) -> None:
        self.spec = spec

    @property
    def record(self) -> ClusterRecord | None:
        return ClusterRecord.load(self.spec.directory)

    def running(self) -> list[tuple[int, Path]]:
        record = self.record
        return _live_nodes(record) if record else []

    def up(self, step: Step = _quiet, timeout: float = 180.0) -> UpResult:
        """Start the cluster, or reuse it when all its nodes already answer."""
        begin = time.monotonic()
        spec = self.spec
        record = self.record
        live = _live_nodes(record) if record else []
        if record and live:
            if record.security != spec.security:
                raise ClusterError(
                    f"cluster {spec.name!r} is running with security "
                    f"{'on' if record.security else 'off'}; run 'workbench cluster down "
                    f"--name {spec.name}' first"
                )
            if len(live) == len(record.nodes) == spec.nodes and self._healthy(record, spec.nodes):
                step(f"cluster {spec.name!r} already running at {record.url}")
                return UpResult(
                    record.url,
                    True,
                    time.monotonic() - begin,
                    spec.nodes,
                    record.version,
                    record.client_env(spec.directory),
                )
            if len(record.nodes) != spec.nodes:
                raise ClusterError(
                    f"cluster {spec.name!r} is running with {len(record.nodes)} node(s), not "
                    f"{spec.nodes}; run 'workbench cluster down --name {spec.name}' first"
                )
            step("some nodes are down; restarting the cluster")
            self.down(step)
        if record and len(record.nodes) != spec.nodes:
            raise ClusterError(
                f"cluster {spec.name!r} was created with {len(record.nodes)} node(s) and its data "
                f"cannot form a {spec.nodes}-node cluster. Use --nodes {len(record.nodes)}, "
                f"another --name, or 'workbench cluster down --name {spec.name} --wipe' first."
            )
        nodes = spec.node_specs()
        self._check_ports(nodes)
        java = find_java()
        step(f"Java {java.version} from {java.path} ({java.source})")
        es_home = self._distribution(step)
        user = run_as()
        self._prepare(nodes, es_home, java, user)
        step(f"starting {len(nodes)} node(s) as user {user.name!r}")
        record = ClusterRecord(
            name=spec.name,
            version=spec.version,
            url=spec.url,
            java_home=str(java.path),
            heap_mb=spec.heap,
            started_at=time.time(),
            security=spec.security,
        )
        launchers = [self._launch(node, es_home, java, user) for node in nodes]
        try:
            self._await_launchers(nodes, launchers, begin + timeout)
            for node in nodes:
                pid = read_pid(node.pid_file)
                record.nodes.append(
                    {
                        "name": node.name,
                        "http_port": node.http_port,
                        "transport_port": node.transport_port,
                        "directory": str(node.directory),
                        "pid": pid,
                    }
                )
            record.save(spec.directory)
            step("waiting for the cluster to form")
            self._await_health(record, nodes, begin + timeout)
        except BaseException:
            for launcher in launchers:
                if launcher.poll() is None:
                    launcher.kill()
            for node in nodes:
                pid = read_pid(node.pid_file)
                if pid and is_node_of(pid, node.config_dir):
                    stop_pid(pid, timeout=20)
            raise
        elapsed = time.monotonic() - begin
        step(f"cluster {spec.name!r} is up at {spec.url} after {elapsed:.1f} s")
        return UpResult(
            spec.url, False, elapsed, spec.nodes, spec.version, record.client_env(spec.directory)
        )

    def down(self, step: Step = _quiet, wipe: bool = False) -> int:
        """Stop every node this cluster record names; returns how many were running.

        With ``wipe`` the cluster's directory (data, logs, snapshots) is deleted too.
        """
        record = self.record
        live = _live_nodes(record) if record else []
        for pid, directory in live:
            step(f"stopping {directory.name} (pid {pid})")
            stop_pid(pid)
        if record is None:
            step(f"no cluster named {self.spec.name!r} was started here")
        else:
            step(f"cluster {self.spec.name!r}: {len(live)} node(s) stopped")
        if wipe and self.spec.directory.exists():
            shutil.rmtree(self.spec.directory)
            step(f"deleted {self.spec.directory}")
        return len(live)

    def _check_ports(self, nodes: list[NodeSpec]) -> None:
        for node in nodes:
            for port, kind in ((node.http_port, "HTTP"), (node.transport_port, "transport")):
                if port_in_use(port):
                    raise PortInUseError(
                        f"port {port} ({kind}, node {node.name}) is already in use by a process "
                        f"the workbench did not start, perhaps your own Elasticsearch. Leave it "
                        f"be and choose other ports with --port (HTTP; transport is +100)."
                    )

    def _distribution(self, step: Step) -> Path:
        home = self.spec.home
        zip_path = home / "downloads" / f"elasticsearch-{self.spec.version}.zip"
        if not zip_path.is_file():
            step(f"downloading Elasticsearch {self.spec.version} from Maven Central")
        archive = distribution.fetch(home / "downloads", self.spec.version)
        return distribution.unpack(archive, home / "dist", self.spec.version)

    def _prepare(self, nodes: list[NodeSpec], es_home: Path, java: JavaHome, user: RunAs) -> None:
        repo = self.spec.directory / "snapshots"
        self.spec.directory.mkdir(parents=True, exist_ok=True)
        for path in (es_home, java.path, self.spec.directory):
            blocked = can_traverse(path, user)
            if blocked:
                raise ClusterError(
                    f"user {user.name!r} cannot enter {blocked}, on the way to {path}. Set "
                    f"WORKBENCH_HOME to a directory other users can reach (root's default is "
                    f"/var/cache/commerce-workbench), or make {blocked} world-executable."
                )
        repo.mkdir(parents=True, exist_ok=True)
        files = None
        if self.spec.security:
            files = security.ensure_files(self.spec.directory / "security", es_home, java)
        for node in nodes:
            for directory in (node.data_dir, node.logs_dir, node.tmp_dir):
                directory.mkdir(parents=True, exist_ok=True)
            if not (node.config_dir / "jvm.options").is_file():
                shutil.copytree(es_home / "config", node.config_dir, dirs_exist_ok=True)
            (node.config_dir / "elasticsearch.yml").write_text(
                render_elasticsearch_yml(
                    self.spec.name,
                    node,
                    nodes,
                    repo,
                    security.node_settings() if files else None,
                )
            )
            if files:
                security.install(node, files, es_home, java)
            options = node.config_dir / "jvm.options.d"
            options.mkdir(exist_ok=True)
            (options / "workbench.options").write_text(render_jvm_options(self.spec.heap))
            node.pid_file.unlink(missing_ok=True)
        chown_tree(self.spec.directory, user)

    def _launch(
        self, node: NodeSpec, es_home: Path, java: JavaHome, user: RunAs
    ) -> subprocess.Popen[bytes]:
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "ES_JAVA_HOME": str(java.path),
            "ES_PATH_CONF": str(node.config_dir),
            "ES_TMPDIR": str(node.tmp_dir),
            "LANG": "C.UTF-8",
        }
        with node.startup_log.open("wb") as log:
            kwargs: dict[str, object] = {}
            if not user.is_caller:
                kwargs = {"user": user.uid, "group": user.gid, "extra_groups": []}
            return subprocess.Popen(  # type: ignore[call-overload, no-any-return]
                [str(es_home / "bin" / "elasticsearch"), "-d", "-p", str(node.pid_file)],
                cwd=node.directory,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                **kwargs,
            )

    def _await_launchers(
        self, nodes: list[NodeSpec], launchers: list[subprocess.Popen[bytes]], deadline: float
    ) -> None:
        # With -d the launcher returns once its server has started, or fails.
        for node, launcher in zip(nodes, launchers, strict=True):
            remaining = max(deadline - time.monotonic(), 1)
            try:
                code = launcher.wait(timeout=remaining)
            except subprocess.TimeoutExpired:
                raise ClusterError(
                    f"node {node.name} did not start in time.\n{_log_tail(node, self.spec.name)}"
                ) from None
            if code != 0:
                raise ClusterError(
                    f"node {node.name} failed to start (exit {code}).\n"
                    f"{_log_tail(node, self.spec.name)}"
                )

    def _healthy(self, record: ClusterRecord, nodes: int) -> bool:
        env = record.client_env(self.spec.directory)
        client = es_client(Settings.from_env(env), request_timeout=5, max_retries=0)
        try:
            health = client.cluster.health(wait_for_nodes=str(nodes), timeout="2s")
            return not health["timed_out"] and health["status"] in {"green", "yellow"}
        except (ApiError, TransportError):
            return False
        finally:
            client.close()

    def _await_health(self, record: ClusterRecord, nodes: list[NodeSpec], deadline: float) -> None:
        while time.monotonic() < deadline:
            if self._healthy(record, len(nodes)):
                return
            time.sleep(0.5)
        tails = "\n".join(_log_tail(n, self.spec.name, 15) for n in nodes)
        raise ClusterError(f"cluster {self.spec.name!r} did not become healthy in time.\n{tails}")
