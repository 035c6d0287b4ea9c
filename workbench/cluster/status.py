"""A cluster's identity and health without ``GET /`` (absent from the test distribution)."""

from __future__ import annotations

from typing import Any

from elasticsearch import Elasticsearch

from workbench.cluster.capabilities import probe_capabilities


def cluster_status(es: Elasticsearch, url: str) -> dict[str, Any]:
    """URL, version, health, nodes, loaded modules and the capability map."""
    health = es.cluster.health()
    info = es.nodes.info(metric="plugins,jvm").body
    nodes = []
    modules: set[str] = set()
    versions: set[str] = set()
    for node_id, node in sorted(info["nodes"].items(), key=lambda item: item[1]["name"]):
        names = sorted(m["name"] for m in node.get("modules", []))
        modules.update(names)
        versions.add(node["version"])
        nodes.append(
            {
                "id": node_id,
                "name": node["name"],
                "version": node["version"],
                "roles": node.get("roles", []),
                "java": node.get("jvm", {}).get("version"),
                "heap_max_bytes": node.get("jvm", {}).get("mem", {}).get("heap_max_in_bytes"),
                "modules": names,
                "plugins": sorted(p["name"] for p in node.get("plugins", [])),
            }
        )
    capabilities = probe_capabilities(es)
    return {
        "url": url,
        "cluster_name": health["cluster_name"],
        "version": ", ".join(sorted(versions)),
        "health": health["status"],
        "number_of_nodes": health["number_of_nodes"],
        "active_shards": health["active_shards"],
        "unassigned_shards": health["unassigned_shards"],
        "nodes": nodes,
        "modules": sorted(modules),
        "capabilities": {name: cap.as_dict() for name, cap in capabilities.items()},
    }
