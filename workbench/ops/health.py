"""Cluster health: everything an SRE checks first, as findings.

Checks: cluster status; unassigned shards, each with the allocation explanation; heap
use and GC per node; thread-pool rejections; disk use against the watermarks (low 85 %,
high 90 %, flood stage 95 % unless the cluster sets others); pending tasks;
circuit-breaker trips.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pandas as pd
from elasticsearch import ApiError, Elasticsearch

from workbench.ops.findings import Finding

DEFAULT_WATERMARKS = {"low": 85.0, "high": 90.0, "flood_stage": 95.0}
HEAP_WARNING = 85.0


@dataclass
class HealthReport:
    findings: list[Finding]
    metrics: dict[str, Any]
    nodes: pd.DataFrame
    unassigned: pd.DataFrame


def watermarks(es: Elasticsearch) -> dict[str, float]:
    """Disk watermarks in percent of disk used (absolute byte values are not compared)."""
    settings = es.cluster.get_settings(include_defaults=True, flat_settings=True)
    merged = {**settings["defaults"], **settings["persistent"], **settings["transient"]}
    out = dict(DEFAULT_WATERMARKS)
    for name in out:
        value = str(merged.get(f"cluster.routing.allocation.disk.watermark.{name}", ""))
        match = re.fullmatch(r"(\d+(?:\.\d+)?)%", value.strip())
        if match:
            out[name] = float(match.group(1))
    return out


def _explain(es: Elasticsearch, index: str, shard: int, primary: bool) -> str:
    try:
        body = es.cluster.allocation_explain(index=index, shard=shard, primary=primary)
    except ApiError as exc:
        return f"no explanation: {exc.message}"
    decisions = [
        d
        for n in body.get("node_allocation_decisions") or []
        for d in n.get("deciders") or []
        if d.get("decision") == "NO"
    ]
    reasons = sorted({d.get("explanation", "") for d in decisions})
    return "; ".join(reasons) or str(
        body.get("allocate_explanation") or body.get("unassigned_info", {}).get("reason", "unknown")
    )


def check(es: Elasticsearch, allow_yellow: bool = False) -> HealthReport:
    """Run every check; nothing here changes the cluster."""
    findings: list[Finding] = []
    health = es.cluster.health()
    status = health["status"]
    if status == "red":
        findings.append(
            Finding(
                "error", "status", health["cluster_name"], "red: some primary shards are unassigned"
            )
        )
    elif status == "yellow":
        findings.append(
            Finding(
                "warning" if allow_yellow else "error",
                "status",
                health["cluster_name"],
                "yellow: some replicas are unassigned",
            )
        )
    shards: Any = es.cat.shards(format="json", h="index,shard,prirep,state,unassigned.reason").body
    rows = []
    for shard in shards:
        if shard["state"] != "UNASSIGNED":
            continue
        primary = shard["prirep"] == "p"
        why = _explain(es, shard["index"], int(shard["shard"]), primary)
        rows.append(
            {
                "index": shard["index"],
                "shard": int(shard["shard"]),
                "primary": primary,
                "reason": shard.get("unassigned.reason"),
                "explanation": why,
            }
        )
        findings.append(
            Finding(
                "error" if primary or not allow_yellow else "warning",
                "unassigned",
                f"{shard['index']}[{shard['shard']}]{'p' if primary else 'r'}",
                why,
            )
        )
    unassigned = pd.DataFrame(rows, columns=["index", "shard", "primary", "reason", "explanation"])
    marks = watermarks(es)
    stats = es.nodes.stats(metric="jvm,thread_pool,fs,breaker")
    node_rows = []
    for node in stats["nodes"].values():
        name = node["name"]
        heap = float(node["jvm"]["mem"]["heap_used_percent"])
        gc = node["jvm"]["gc"]["collectors"]
        total = node["fs"]["total"]["total_in_bytes"]
        disk = 100.0 * (1 - node["fs"]["total"]["available_in_bytes"] / total) if total else 0.0
        rejected = {
            pool: v.get("rejected", 0)
            for pool, v in node["thread_pool"].items()
            if v.get("rejected", 0)
        }
        tripped = {b: v["tripped"] for b, v in node["breakers"].items() if v.get("tripped")}
        node_rows.append(
            {
                "node": name,
                "heap_used_pct": heap,
                "gc_collections": sum(c["collection_count"] for c in gc.values()),
                "gc_seconds": sum(c["collection_time_in_millis"] for c in gc.values()) / 1000,
                "disk_used_pct": round(disk, 1),
                "rejections": sum(rejected.values()),
                "breaker_trips": sum(tripped.values()),
            }
        )
        if heap >= HEAP_WARNING:
            findings.append(
                Finding(
                    "warning",
                    "heap",
                    name,
                    f"heap {heap:.0f} % used (warning at {HEAP_WARNING:.0f} %)",
                )
            )
        for pool, count in sorted(rejected.items()):
            findings.append(
                Finding(
                    "warning", "rejections", name, f"thread pool {pool} rejected {count} requests"
                )
            )
        for breaker, count in sorted(tripped.items()):
            findings.append(
                Finding(
                    "warning", "breaker", name, f"circuit breaker {breaker} tripped {count} times"
                )
            )
        if disk >= marks["high"]:
            findings.append(
                Finding(
                    "error",
                    "disk",
                    name,
                    f"disk {disk:.1f} % used, above the high watermark "
                    f"({marks['high']:.0f} %): shards move away",
                )
            )
        elif disk >= marks["low"]:
            findings.append(
                Finding(
                    "warning",
                    "disk",
                    name,
                    f"disk {disk:.1f} % used, above the low watermark "
                    f"({marks['low']:.0f} %): no new shards here",
                )
            )
    pending = len(es.cluster.pending_tasks()["tasks"])
    if pending:
        findings.append(
            Finding(
                "warning",
                "pending_tasks",
                health["cluster_name"],
                f"{pending} cluster tasks pending",
            )
        )
    metrics = {
        "status": status,
        "nodes": health["number_of_nodes"],
        "unassigned_shards": len(rows),
        "pending_tasks": pending,
        "watermarks_pct": marks,
    }
    return HealthReport(findings, metrics, pd.DataFrame(node_rows), unassigned)
