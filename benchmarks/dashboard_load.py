"""Dashboard load check: N concurrent users refreshing the commerce dashboards' queries,
with the shard request cache on and off, in the same run.

    python benchmarks/dashboard_load.py [--users 8] [--refreshes 20]

Needs a node at ES_URL with a seeded store. Each refresh sends the size-0 aggregations
behind the business and operations dashboards (revenue over time, revenue by country,
funnel events by hour, payments by status, shipping delay by carrier). Reports p50/p95
latency per request and requests per second. Bounded: users x refreshes x queries requests.
"""

from __future__ import annotations

import argparse
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from workbench.config import Settings
from workbench.connect import es_client

QUERIES: list[tuple[str, dict[str, Any]]] = [
    (
        "commerce-orders",
        {
            "aggs": {
                "t": {
                    "date_histogram": {"field": "@timestamp", "calendar_interval": "day"},
                    "aggs": {"r": {"sum": {"field": "total_eur"}}},
                }
            }
        },
    ),
    (
        "commerce-orders",
        {
            "aggs": {
                "c": {
                    "terms": {"field": "geo.country", "size": 15},
                    "aggs": {"r": {"sum": {"field": "total_eur"}}},
                }
            }
        },
    ),
    (
        "commerce-events",
        {
            "query": {"terms": {"event.type": ["add_to_cart", "checkout_start", "purchase"]}},
            "aggs": {
                "h": {
                    "date_histogram": {"field": "@timestamp", "calendar_interval": "hour"},
                    "aggs": {"e": {"terms": {"field": "event.type"}}},
                }
            },
        },
    ),
    (
        "commerce-pii-payments",
        {
            "aggs": {
                "t": {
                    "date_histogram": {"field": "@timestamp", "calendar_interval": "day"},
                    "aggs": {"s": {"terms": {"field": "status"}}},
                }
            }
        },
    ),
    (
        "commerce-shipments",
        {
            "aggs": {
                "c": {
                    "terms": {"field": "carrier"},
                    "aggs": {"d": {"avg": {"field": "delay_hours"}}},
                }
            }
        },
    ),
]


def user(es: Any, refreshes: int, cache: bool) -> list[float]:
    latencies = []
    for _ in range(refreshes):
        for index, body in QUERIES:
            began = time.perf_counter()
            es.search(index=index, size=0, request_cache=cache, **body)
            latencies.append((time.perf_counter() - began) * 1000)
    return latencies


def run(users: int, refreshes: int, cache: bool) -> tuple[list[float], float]:
    es = es_client(Settings.from_env(), request_timeout=60, connections_per_node=users)
    es.indices.clear_cache(index="commerce-*", request=True)
    began = time.perf_counter()
    with ThreadPoolExecutor(max_workers=users) as pool:
        parts = list(pool.map(lambda _: user(es, refreshes, cache), range(users)))
    return [ms for part in parts for ms in part], time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=8)
    parser.add_argument("--refreshes", type=int, default=20)
    args = parser.parse_args()
    print(f"{args.users} users x {args.refreshes} refreshes x {len(QUERIES)} queries")
    for cache in (False, True):
        latencies, seconds = run(args.users, args.refreshes, cache)
        q = statistics.quantiles(latencies, n=20)
        print(
            f"request cache {'on ' if cache else 'off'}: p50 {statistics.median(latencies):6.1f} ms"
            f"  p95 {q[18]:6.1f} ms  {len(latencies) / seconds:7.1f} requests/s"
        )


if __name__ == "__main__":
    main()
