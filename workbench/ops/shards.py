"""Shard sizing: audit every index against Elastic's guidance and recommend primaries.

Guidance (Elastic's sizing docs): primary shards of 10-50 GB; under ~200M documents
per shard; at most 1,000 non-frozen shards per node. Findings:

* error: a primary above 50 GB or 200M documents; more shards on a node than 1,000;
  an index with at least 4 primaries and 4 times more than its size needs (over-sharded:
  each shard costs heap, file handles and cluster-state updates);
* warning: several primaries averaging under 1 GB (tiny shards);
* info: empty indices.

Recommendations give, for each commerce domain, the primaries future indices need from
the measured daily volume, and the request bodies that would apply them: the index
template change, rollover conditions, and a shrink for over-sharded indices. Nothing is
applied unless ``apply`` is called.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pandas as pd
from elasticsearch import Elasticsearch

from workbench.ops.findings import Finding

GB = 1024**3
SHARD_MIN, SHARD_MAX = 10 * GB, 50 * GB
MAX_DOCS_PER_SHARD = 200_000_000
MAX_SHARDS_PER_NODE = 1000
TINY_SHARD = 1 * GB
OVERSHARD_FACTOR = 4


def primaries_for(index_bytes: float, target_shard_bytes: float = 30 * GB) -> int:
    """Primaries that keep each shard near the target size: ``ceil(size / target)``, >= 1."""
    return max(1, math.ceil(index_bytes / target_shard_bytes))


def index_table(es: Elasticsearch, pattern: str) -> pd.DataFrame:
    """One row per index: primaries, replicas, documents, primary bytes."""
    rows: Any = es.cat.indices(
        index=pattern,
        format="json",
        bytes="b",
        h="index,pri,rep,docs.count,pri.store.size,health",
        expand_wildcards="open",
    ).body
    frame = pd.DataFrame(
        [
            {
                "index": r["index"],
                "primaries": int(r["pri"]),
                "replicas": int(r["rep"]),
                "docs": int(r["docs.count"] or 0),
                "primary_bytes": int(r["pri.store.size"] or 0),
                "health": r["health"],
            }
            for r in rows
            if not r["index"].startswith(".")
        ],
        columns=["index", "primaries", "replicas", "docs", "primary_bytes", "health"],
    )
    frame["bytes_per_primary"] = frame["primary_bytes"] / frame["primaries"].clip(lower=1)
    frame["docs_per_primary"] = frame["docs"] / frame["primaries"].clip(lower=1)
    return frame.sort_values("index").reset_index(drop=True)


def audit(
    es: Elasticsearch, pattern: str = "*", target_shard_bytes: float = 30 * GB
) -> tuple[list[Finding], pd.DataFrame]:
    """Findings for every index matching ``pattern``, and the table they come from."""
    table = index_table(es, pattern)
    findings: list[Finding] = []
    for row in table.to_dict("records"):
        name = str(row["index"])
        if row["bytes_per_primary"] > SHARD_MAX:
            findings.append(
                Finding(
                    "error",
                    "shard_size",
                    name,
                    f"primaries average {row['bytes_per_primary'] / GB:.1f} GB, "
                    f"above 50 GB: recovery and relocation get slow",
                )
            )
        if row["docs_per_primary"] > MAX_DOCS_PER_SHARD:
            findings.append(
                Finding(
                    "error",
                    "shard_docs",
                    name,
                    f"{row['docs_per_primary']:,.0f} documents per primary, above 200M",
                )
            )
        needed = primaries_for(row["primary_bytes"], target_shard_bytes)
        if row["primaries"] >= OVERSHARD_FACTOR and row["primaries"] >= OVERSHARD_FACTOR * needed:
            findings.append(
                Finding(
                    "error",
                    "over_sharded",
                    name,
                    f"{row['primaries']} primaries for {row['primary_bytes'] / GB:.2f} GB:"
                    f" {needed} would do; shrink it (request below)",
                )
            )
        elif row["primaries"] > 1 and row["bytes_per_primary"] < TINY_SHARD and row["docs"]:
            findings.append(
                Finding(
                    "warning",
                    "tiny_shards",
                    name,
                    f"{row['primaries']} primaries of "
                    f"{row['bytes_per_primary'] / 2**20:.0f} MB on average",
                )
            )
        if row["docs"] == 0:
            findings.append(Finding("info", "empty", name, "no documents"))
    nodes: Any = es.cat.allocation(format="json", h="node,shards").body
    for node in nodes:
        count = int(node.get("shards") or 0)
        if node["node"] != "UNASSIGNED" and count > MAX_SHARDS_PER_NODE:
            findings.append(
                Finding(
                    "error",
                    "shards_per_node",
                    node["node"],
                    f"{count} shards, above {MAX_SHARDS_PER_NODE}",
                )
            )
    return findings, table


@dataclass(frozen=True)
class Recommendation:
    template: str
    current_primaries: int
    recommended_primaries: int
    daily_primary_bytes: float
    days_per_index: int
    requests: list[dict[str, Any]]


def daily_volume(es: Elasticsearch, index: str) -> float:
    """Primary bytes per day: store size over the days the documents span."""
    stats = es.indices.stats(index=index, metric="store").body["_all"]["primaries"]
    size = float(stats["store"]["size_in_bytes"])
    span = es.search(index=index, size=0, aggs={"t": {"stats": {"field": "@timestamp"}}})
    t = span["aggregations"]["t"]
    if not t["count"]:
        return 0.0
    days = max(float(t["max"] - t["min"]) / 86_400_000, 1.0)
    return size / days


def recommend(
    es: Elasticsearch, prefix: str = "commerce-", target_shard_bytes: float = 30 * GB
) -> list[Recommendation]:
    """Primaries for future indices of each workbench template, from measured volume."""
    out = []
    templates = es.indices.get_index_template(name=f"{prefix}*").body["index_templates"]
    for item in sorted(templates, key=lambda t: t["name"]):
        name, body = item["name"], item["index_template"]
        pattern = body["index_patterns"][0]
        alias = pattern.rstrip("-*")
        if not es.indices.exists_alias(name=alias):
            continue
        daily = daily_volume(es, alias)
        days = 1 if "events" in name else 30
        settings = (body.get("template") or {}).get("settings") or {}
        current = int(
            settings.get("number_of_shards")
            or (settings.get("index") or {}).get("number_of_shards")
            or 1
        )
        wanted = primaries_for(daily * days, target_shard_bytes)
        template = {
            **{
                k: v
                for k, v in body.items()
                if k in {"index_patterns", "composed_of", "priority", "_meta"}
            },
            "template": {
                **(body.get("template") or {}),
                "settings": {**settings, "number_of_shards": wanted},
            },
        }
        requests = [
            {"method": "PUT", "path": f"/_index_template/{name}", "body": template},
            {
                "method": "POST",
                "path": f"/{alias}-live/_rollover",
                "body": {
                    "conditions": {
                        "max_age": f"{days}d",
                        "max_primary_shard_size": "50gb",
                        "max_primary_shard_docs": MAX_DOCS_PER_SHARD,
                    }
                },
            },
        ]
        out.append(Recommendation(name, current, wanted, daily, days, requests))
    return out


def shrink_requests(index: str, primaries: int) -> list[dict[str, Any]]:
    """Block writes, then shrink into ``<index>-shrunk`` with ``primaries`` shards (a
    factor of the current count; on several nodes, first move a copy of every shard to
    one node with ``index.routing.allocation.require._name``)."""
    return [
        {"method": "PUT", "path": f"/{index}/_settings", "body": {"index.blocks.write": True}},
        {
            "method": "POST",
            "path": f"/{index}/_shrink/{index}-shrunk",
            "body": {"settings": {"index.number_of_shards": primaries, "index.blocks.write": None}},
        },
    ]


def shrink_target(current: int, needed: int) -> int:
    """The smallest factor of ``current`` that is at least ``needed`` (shrink's rule)."""
    return next(f for f in range(max(needed, 1), current + 1) if current % f == 0)


def apply(es: Elasticsearch, requests: list[dict[str, Any]]) -> list[Any]:
    """Send the recommended requests (only when the runbook's ``apply`` is True)."""
    return [
        es.perform_request(
            r["method"],
            r["path"],
            body=r["body"],
            headers={"accept": "application/json", "content-type": "application/json"},
        ).body
        for r in requests
    ]


def shrinks(
    table: pd.DataFrame, target_shard_bytes: float = 30 * GB
) -> dict[str, list[dict[str, Any]]]:
    """Shrink requests for every over-sharded index in an :func:`index_table`."""
    out = {}
    for row in table.to_dict("records"):
        needed = primaries_for(row["primary_bytes"], target_shard_bytes)
        if row["primaries"] >= OVERSHARD_FACTOR and row["primaries"] >= OVERSHARD_FACTOR * needed:
            out[str(row["index"])] = shrink_requests(
                str(row["index"]), shrink_target(int(row["primaries"]), needed)
            )
    return out
