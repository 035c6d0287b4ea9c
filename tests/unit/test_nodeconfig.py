from pathlib import Path

import pytest
import yaml

from workbench.cluster.local import ClusterSpec
from workbench.cluster.nodeconfig import render_elasticsearch_yml, render_jvm_options
from workbench.errors import ClusterError


def test_single_node_config(tmp_path: Path) -> None:
    spec = ClusterSpec(home=tmp_path, name="t", http_port=9250)
    (node,) = spec.node_specs()
    cfg = yaml.safe_load(render_elasticsearch_yml("t", node, [node], tmp_path / "repo"))
    assert cfg["network.host"] == "127.0.0.1"
    assert cfg["http.port"] == 9250
    assert cfg["transport.port"] == 9350
    assert cfg["discovery.type"] == "single-node"
    assert "cluster.initial_master_nodes" not in cfg
    assert cfg["path.repo"] == [str(tmp_path / "repo")]
    assert cfg["path.data"] == str(tmp_path / "clusters" / "t" / "node-0" / "data")
    assert cfg["xpack.security.enabled"] is False


def test_three_node_config(tmp_path: Path) -> None:
    spec = ClusterSpec(home=tmp_path, name="three", nodes=3, http_port=9400)
    nodes = spec.node_specs()
    assert [n.http_port for n in nodes] == [9400, 9401, 9402]
    assert [n.transport_port for n in nodes] == [9500, 9501, 9502]
    cfg = yaml.safe_load(render_elasticsearch_yml("three", nodes[1], nodes, tmp_path))
    assert "discovery.type" not in cfg
    assert cfg["discovery.seed_hosts"] == ["127.0.0.1:9500", "127.0.0.1:9501", "127.0.0.1:9502"]
    assert cfg["cluster.initial_master_nodes"] == ["three-0", "three-1", "three-2"]
    assert cfg["node.name"] == "three-1"
    assert spec.heap == 512


def test_heap_options() -> None:
    assert render_jvm_options(1024) == "-Xms1024m\n-Xmx1024m\n"
    with pytest.raises(ValueError, match="too small"):
        render_jvm_options(128)


def test_node_count_bounds(tmp_path: Path) -> None:
    with pytest.raises(ClusterError, match="between 1 and 9"):
        ClusterSpec(home=tmp_path, nodes=12).node_specs()
