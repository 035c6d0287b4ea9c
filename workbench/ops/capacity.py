"""Capacity planning: storage per tier, data nodes, primaries, heap, and a disk forecast.

Each data class (behaviour, orders, payments, …) has a daily document volume, a
retention, replicas and a tier; its bytes per document are measured on the live
cluster. The formulas, with ``v`` a class's daily primary bytes today, ``g`` the monthly
growth rate, ``R`` its retention in days and ``r`` its replicas:

* daily primary bytes on day ``t`` (0 = today): ``v(t) = v * (1 + g) ** (t / 30)``;
* stored bytes on day ``t``, retention windows assumed full (steady state):
  ``S(t) = (1 + r) * sum(v(t - k) for k in 0..R-1)``;
* disk needed: ``S * (1 + overhead)``, ``overhead`` = 15 % for merges, translog and the OS;
* data nodes: ``ceil(disk needed at the horizon / (node disk * low watermark))``, so that
  no node passes the low watermark (85 %) by the end of the horizon; at least 1, and at
  least 2 when replicas are kept (a replica never shares a node with its primary);
* used disk on day ``t`` with ``N`` nodes: ``S(t) * (1 + overhead) / (N * node disk)``;
  the forecast gives the first day each watermark (85/90/95 %) is crossed;
* primaries per index: ``ceil(peak * v(horizon) * days per index / 30 GB)``, sized for
  the flash-sale peak so that peak-day indices stay within the 10-50 GB band;
* heap: half the node's RAM, at most 30 GB (below the compressed-oops limit).

The runbook fails when the high watermark is crossed inside the horizon with the nodes
the cluster has now.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pandas as pd
from elasticsearch import Elasticsearch

from workbench.errors import WorkbenchError
from workbench.ops.findings import Finding

GB = 1024**3
OVERHEAD = 0.15
WATERMARKS = {"low": 0.85, "high": 0.90, "flood_stage": 0.95}
MAX_HEAP_GB = 30
TARGET_SHARD = 30 * GB


@dataclass(frozen=True)
class DataClass:
    """One kind of data to keep: its volume, retention, replicas and tier."""

    name: str
    daily_docs: float
    bytes_per_doc: float
    retention_days: int
    replicas: int = 1
    tier: str = "hot"
    days_per_index: int = 1

    @property
    def daily_bytes(self) -> float:
        return self.daily_docs * self.bytes_per_doc


def daily_bytes_on(cls: DataClass, day: float, growth: float) -> float:
    """``v(t) = v * (1 + g) ** (t / 30)``."""
    return float(cls.daily_bytes * (1 + growth) ** (day / 30))


def stored_bytes(cls: DataClass, day: int, growth: float) -> float:
    """``S(t) = (1 + r) * sum(v(t - k), k < R)`` (closed form of the geometric sum)."""
    q = (1 + growth) ** (1 / 30)
    window = cls.retention_days
    if q == 1:
        total = cls.daily_bytes * window
    else:
        # sum_{k=0}^{R-1} v q^(t-k) = v q^t (1 - q^-R) / (1 - q^-1)
        total = cls.daily_bytes * q**day * (1 - q ** (-window)) / (1 - 1 / q)
    return (1 + cls.replicas) * total


def disk_needed(classes: list[DataClass], day: int, growth: float) -> float:
    return sum(stored_bytes(c, day, growth) for c in classes) * (1 + OVERHEAD)


def data_nodes(classes: list[DataClass], horizon: int, growth: float, node_disk: float) -> int:
    needed = math.ceil(disk_needed(classes, horizon, growth) / (node_disk * WATERMARKS["low"]))
    minimum = 2 if any(c.replicas for c in classes) else 1
    return max(needed, minimum)


def primaries(cls: DataClass, horizon: int, growth: float, peak: float) -> int:
    index_bytes = peak * daily_bytes_on(cls, horizon, growth) * cls.days_per_index
    return max(1, math.ceil(index_bytes / TARGET_SHARD))


def heap_gb(node_ram_gb: float) -> float:
    return min(node_ram_gb / 2, MAX_HEAP_GB)


def forecast(
    classes: list[DataClass], nodes: int, node_disk: float, horizon: int, growth: float, start: date
) -> pd.DataFrame:
    """Used disk per day for ``horizon`` days on ``nodes`` nodes."""
    rows = []
    for day in range(horizon + 1):
        used = disk_needed(classes, day, growth) / (nodes * node_disk)
        rows.append(
            {"date": start + timedelta(days=day), "day": day, "used_pct": round(100 * used, 2)}
        )
    return pd.DataFrame(rows)


def crossings(table: pd.DataFrame) -> dict[str, date | None]:
    """The first date each watermark is reached, or None within the forecast."""
    out: dict[str, date | None] = {}
    for name, fraction in WATERMARKS.items():
        hit = table[table["used_pct"] >= 100 * fraction]
        out[name] = hit["date"].iloc[0] if len(hit) else None
    return out


@dataclass
class Plan:
    classes: list[DataClass]
    tiers: pd.DataFrame
    per_class: pd.DataFrame
    nodes_needed: int
    heap_gb: float
    forecast: pd.DataFrame
    crossings: dict[str, date | None]
    findings: list[Finding]


def plan(
    classes: list[DataClass],
    *,
    nodes_now: int,
    node_disk_gb: float,
    node_ram_gb: float,
    growth: float,
    peak: float,
    horizon: int,
    start: date,
) -> Plan:
    node_disk = node_disk_gb * GB
    per_class = pd.DataFrame(
        [
            {
                "class": c.name,
                "tier": c.tier,
                "daily_gb": round(c.daily_bytes / GB, 3),
                "retention_days": c.retention_days,
                "replicas": c.replicas,
                "stored_gb_now": round(stored_bytes(c, 0, growth) / GB, 2),
                "stored_gb_at_horizon": round(stored_bytes(c, horizon, growth) / GB, 2),
                "primaries_per_index": primaries(c, horizon, growth, peak),
            }
            for c in classes
        ]
    )
    tiers = per_class.groupby("tier")[["stored_gb_now", "stored_gb_at_horizon"]].sum()
    table = forecast(classes, nodes_now, node_disk, horizon, growth, start)
    crossed = crossings(table)
    needed = data_nodes(classes, horizon, growth, node_disk)
    findings: list[Finding] = []
    if crossed["high"] is not None:
        findings.append(
            Finding(
                "error",
                "watermark",
                "cluster",
                f"the high watermark (90 %) is crossed on {crossed['high']} "
                f"with {nodes_now} data node(s); {needed} are needed",
            )
        )
    elif crossed["low"] is not None:
        findings.append(
            Finding(
                "warning",
                "watermark",
                "cluster",
                f"the low watermark (85 %) is crossed on {crossed['low']}",
            )
        )
    if needed > nodes_now:
        findings.append(
            Finding(
                "warning",
                "nodes",
                "cluster",
                f"{needed} data nodes needed by the horizon, {nodes_now} now",
            )
        )
    if node_ram_gb / 2 > MAX_HEAP_GB:
        findings.append(
            Finding(
                "info",
                "heap",
                "nodes",
                f"give {MAX_HEAP_GB} GB heap, not half of {node_ram_gb} GB: "
                f"above ~30 GB the JVM loses compressed pointers",
            )
        )
    return Plan(
        classes,
        tiers.reset_index(),
        per_class,
        needed,
        heap_gb(node_ram_gb),
        table,
        crossed,
        findings,
    )


def measured_doc_bytes(es: Elasticsearch, pattern: str) -> float:
    """Average primary bytes per document across the indices of ``pattern``."""
    stats = es.indices.stats(index=pattern, metric="store,docs").body["_all"]["primaries"]
    docs = stats["docs"]["count"]
    return float(stats["store"]["size_in_bytes"]) / docs if docs else 0.0


def measured_daily_docs(es: Elasticsearch, alias: str) -> float:
    """Documents per day over the span the documents cover (the recent ingest rate)."""
    span = es.search(index=alias, size=0, aggs={"t": {"stats": {"field": "@timestamp"}}})
    t = span["aggregations"]["t"]
    if not t["count"]:
        return 0.0
    days = max(float(t["max"] - t["min"]) / 86_400_000, 1.0)
    return float(t["count"]) / days


def classes_from_cluster(es: Elasticsearch, spec: dict[str, dict[str, Any]]) -> list[DataClass]:
    """Data classes whose bytes per document (and, unless given, daily documents) are
    measured from their indices. ``spec``: name -> {pattern, retention_days, replicas,
    tier, days_per_index, daily_docs?}."""
    out = []
    for name, item in spec.items():
        pattern = item["pattern"]
        if not es.indices.exists(index=pattern, allow_no_indices=False):
            raise WorkbenchError(
                f"data class {name!r}: no index matches {pattern!r}, so nothing can be "
                f"measured. Load data first ('workbench seed'), or change its pattern."
            )
        daily = item.get("daily_docs") or measured_daily_docs(es, pattern)
        out.append(
            DataClass(
                name,
                float(daily),
                measured_doc_bytes(es, pattern),
                int(item["retention_days"]),
                int(item.get("replicas", 1)),
                str(item.get("tier", "hot")),
                int(item.get("days_per_index", 1)),
            )
        )
    return out


def data_node_count(es: Elasticsearch) -> int:
    """Nodes with a data role (data, data_hot, data_content, …)."""
    nodes = es.nodes.info().body["nodes"].values()
    return sum(1 for n in nodes if any(r.startswith("data") for r in n.get("roles", [])))
