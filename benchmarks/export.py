"""Export to a DataFrame: point in time + search_after against helpers.scan, same run.

    python benchmarks/export.py [--index commerce-events] [--slices 2]

Needs a node at ES_URL holding a seeded store (``workbench seed --orders 20000``). Prints
documents/s for ``helpers.scan`` (scroll) + ``pd.DataFrame`` and for
``workbench.analytics.query.export`` (target >= 1.5x), then pages a composite aggregation
over ``session_id`` x ``event.type`` and reports buckets/s (the target needs >= 100k
buckets: seed enough orders).
"""

from __future__ import annotations

import argparse
import time

import pandas as pd
from elasticsearch import helpers

from workbench.analytics.query import composite, export
from workbench.config import Settings
from workbench.connect import es_client

FIELDS = [
    "event_id",
    "@timestamp",
    "event.type",
    "session_id",
    "storefront",
    "device",
    "product.sku",
    "product.price_eur",
    "geo.country",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", default="commerce-events")
    parser.add_argument("--slices", type=int, default=2)
    args = parser.parse_args()
    es = es_client(Settings.from_env(), request_timeout=300)
    began = time.perf_counter()
    hits = helpers.scan(
        es, index=args.index, query={"query": {"match_all": {}}}, _source=FIELDS, size=5000
    )
    baseline = pd.json_normalize([h["_source"] for h in hits])
    scan_s = time.perf_counter() - began
    began = time.perf_counter()
    ours = export(es, args.index, FIELDS, slices=args.slices)
    ours_s = time.perf_counter() - began
    assert len(ours) == len(baseline), (len(ours), len(baseline))
    n = len(ours)
    print(f"{n:,} documents, {len(FIELDS)} fields")
    print(f"helpers.scan + DataFrame   {n / scan_s:10,.0f} docs/s")
    print(f"PIT export ({args.slices} slices)     {n / ours_s:10,.0f} docs/s")
    print(f"ratio: {scan_s / ours_s:.2f}x (target >= 1.5x)")
    began = time.perf_counter()
    buckets = sum(
        len(page)
        for page in composite(
            es,
            args.index,
            [{"s": {"terms": {"field": "session_id"}}}, {"t": {"terms": {"field": "event.type"}}}],
            page=10_000,
        )
    )
    seconds = time.perf_counter() - began
    print(
        f"composite pager: {buckets:,} buckets in {seconds:.1f} s ({buckets / seconds:,.0f}/s)"
        + ("" if buckets >= 100_000 else " (fewer than 100k: seed more orders)")
    )


if __name__ == "__main__":
    main()
