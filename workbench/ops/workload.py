"""A representative commerce query workload, slow-log thresholds, and where the logs are."""

from __future__ import annotations

import json
import random
import time
from pathlib import Path
from typing import Any

import pandas as pd
from elasticsearch import Elasticsearch

from workbench.cluster.local import ClusterRecord
from workbench.config import Settings
from workbench.errors import WorkbenchError

Query = tuple[str, str, dict[str, Any]]
SLOW_SETTINGS = (
    "index.search.slowlog.threshold.query.warn",
    "index.search.slowlog.threshold.fetch.warn",
)


def commerce_queries(rng: random.Random) -> list[Query]:
    """(name, index, body) for the queries a storefront team runs all day; literal values
    vary from call to call, as they do in production."""
    days = rng.randint(7, 400)
    storefront = rng.choice(["shopify", "magento", "custom"])
    return [
        (
            "revenue by storefront",
            "commerce-orders",
            {
                "size": 0,
                "query": {"bool": {"filter": [{"range": {"@timestamp": {"gte": f"now-{days}d"}}}]}},
                "aggs": {
                    "s": {
                        "terms": {"field": "storefront"},
                        "aggs": {"r": {"sum": {"field": "total_eur"}}},
                    }
                },
            },
        ),
        (
            "orders of a storefront",
            "commerce-orders",
            {
                "size": rng.randint(5, 25),
                "query": {
                    "bool": {
                        "filter": [
                            {"term": {"storefront": storefront}},
                            {"range": {"total_eur": {"gte": rng.randint(10, 90)}}},
                        ]
                    }
                },
                "sort": [{"@timestamp": "desc"}],
            },
        ),
        (
            "events per day",
            "commerce-events",
            {
                "size": 0,
                "query": {"term": {"event.type": rng.choice(["purchase", "add_to_cart"])}},
                "aggs": {
                    "d": {"date_histogram": {"field": "@timestamp", "calendar_interval": "day"}}
                },
            },
        ),
        (
            "payments by status",
            "commerce-pii-payments",
            {
                "size": 0,
                "query": {"bool": {"filter": [{"term": {"storefront": storefront}}]}},
                "aggs": {"s": {"terms": {"field": "status"}}},
            },
        ),
        (
            "search terms",
            "commerce-events",
            {
                "size": 10,
                "query": {
                    "match": {
                        "search.query": rng.choice(
                            ["shoes", "books sale", "best toys", "cheap home"]
                        )
                    }
                },
            },
        ),
    ]


def slow_query(rng: random.Random) -> Query:
    """A classic slow pattern: a top_hits per bucket of a high-cardinality terms
    aggregation (every bucket runs its own fetch)."""
    return (
        "sessions with their latest events",
        "commerce-events",
        {
            "size": 0,
            "query": {"range": {"@timestamp": {"gte": f"now-{rng.randint(400, 900)}d"}}},
            "aggs": {
                "sessions": {
                    "terms": {"field": "session_id", "size": 20000},
                    "aggs": {"latest": {"top_hits": {"size": 5, "sort": [{"@timestamp": "desc"}]}}},
                }
            },
        },
    )


def run(
    es: Elasticsearch, repeat: int = 5, include_slow: bool = False, seed: int = 1
) -> pd.DataFrame:
    """Send the workload ``repeat`` times; returns one row per request (client-side ms)."""
    rng = random.Random(seed)  # noqa: S311 - varied literals, not security
    rows = []
    for round_ in range(repeat):
        queries = commerce_queries(rng) + ([slow_query(rng)] if include_slow else [])
        for name, index, body in queries:
            began = time.perf_counter()
            response = es.search(index=index, body=body, request_cache=False)
            rows.append(
                {
                    "round": round_,
                    "query": name,
                    "index": index,
                    "took_ms": response["took"],
                    "client_ms": round((time.perf_counter() - began) * 1000, 2),
                }
            )
    return pd.DataFrame(rows)


def bodies(include_slow: bool = False, seed: int = 1) -> dict[str, tuple[str, dict[str, Any]]]:
    """One example body per query name (for profiling)."""
    rng = random.Random(seed)  # noqa: S311 - varied literals, not security
    queries = commerce_queries(rng) + ([slow_query(rng)] if include_slow else [])
    return {name: (index, body) for name, index, body in queries}


def set_thresholds(es: Elasticsearch, indices: str, warn_ms: int | None) -> None:
    """Log every search phase slower than ``warn_ms`` (None restores the defaults)."""
    value = None if warn_ms is None else f"{warn_ms}ms"
    es.indices.put_settings(index=indices, settings={k: value for k in SLOW_SETTINGS})


def log_files(settings: Settings, pattern: str = "") -> list[Path]:
    """The search slow-log files: ``pattern`` (a glob) if given, else those of the local
    cluster the workbench runs at ``ES_URL``."""
    if pattern:
        found = (
            sorted(Path("/").glob(pattern.lstrip("/")))
            if pattern.startswith("/")
            else sorted(Path().glob(pattern))
        )
        if not found:
            raise WorkbenchError(f"no slow-log file matches {pattern!r}")
        return found
    for record_file in sorted((settings.home / "clusters").glob("*/cluster.json")):
        record = ClusterRecord(**json.loads(record_file.read_text()))
        if record.url == settings.es_url:
            dirs = [Path(str(n["directory"])) / "logs" for n in record.nodes]
            return sorted(p for d in dirs for p in d.glob("*_index_search_slowlog.json"))
    raise WorkbenchError(
        f"{settings.es_url} is not a local cluster of the workbench, so its slow logs are "
        "files on its nodes: copy them here and pass log_path (a glob), e.g. "
        "'/var/log/elasticsearch/*_index_search_slowlog.json'"
    )


def sizes(files: list[Path]) -> dict[Path, int]:
    """Current size of each file, to read only what the workload adds."""
    return {f: f.stat().st_size for f in files}
