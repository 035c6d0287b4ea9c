"""Export to a DataFrame: point in time + search_after against helpers.scan, same run.

    python benchmarks/export.py [--index commerce-events] [--slices 2]

Needs a node at ES_URL holding a seeded store (``workbench seed --orders 40000``). Prints
documents/s for ``helpers.scan`` (scroll) + ``pd.json_normalize`` and for
``workbench.analytics.query.export`` (target >= 1.5x), best of alternating rounds, after
checking that both frames hold the same values; then pages a composite aggregation over
``session_id`` x ``event.type`` with the request cache cleared and reports buckets/s (the
target needs >= 100k buckets: seed enough orders).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import pandas as pd
from elasticsearch import Elasticsearch, helpers

from workbench.analytics.query import LARGE_PAGE, composite, export
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


def scan_frame(es: Elasticsearch, index: str) -> pd.DataFrame:
    hits = helpers.scan(
        es, index=index, query={"query": {"match_all": {}}}, _source=FIELDS, size=5000
    )
    return pd.json_normalize([h["_source"] for h in hits])


def timed(work: Callable[[], pd.DataFrame]) -> tuple[float, pd.DataFrame]:
    began = time.perf_counter()
    frame = work()
    return time.perf_counter() - began, frame


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", default="commerce-events")
    parser.add_argument("--slices", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    es = es_client(Settings.from_env(), request_timeout=300)
    scan_s = ours_s = float("inf")
    for _ in range(args.rounds):  # alternate, so that neither gains from the other's warm-up
        seconds, baseline = timed(lambda: scan_frame(es, args.index))
        scan_s = min(scan_s, seconds)
        seconds, ours = timed(lambda: export(es, args.index, FIELDS, slices=args.slices))
        ours_s = min(ours_s, seconds)
    assert len(ours) == len(baseline), (len(ours), len(baseline))
    key = "event_id"
    merged = ours.merge(baseline[FIELDS], on=key, suffixes=("", "_scan"))
    assert len(merged) == len(ours), "the same documents"
    for name in FIELDS[1:]:
        assert merged[name].equals(merged[f"{name}_scan"]), name
    n = len(ours)
    print(f"{n:,} documents, {len(FIELDS)} fields, best of {args.rounds} rounds")
    print(f"helpers.scan + DataFrame   {n / scan_s:10,.0f} docs/s")
    print(f"PIT export ({args.slices} slices)     {n / ours_s:10,.0f} docs/s")
    print(f"ratio: {scan_s / ours_s:.2f}x (target >= 1.5x)")
    es.indices.clear_cache(index=args.index, request=True)  # a cold pager, not cached pages
    began = time.perf_counter()
    buckets = sum(
        len(page)
        for page in composite(
            es,
            args.index,
            [{"s": {"terms": {"field": "session_id"}}}, {"t": {"terms": {"field": "event.type"}}}],
            page=LARGE_PAGE,
        )
    )
    seconds = time.perf_counter() - began
    print(
        f"composite pager: {buckets:,} buckets in {seconds:.1f} s ({buckets / seconds:,.0f}/s)"
        + ("" if buckets >= 100_000 else " (fewer than 100k: seed more orders)")
    )


if __name__ == "__main__":
    main()
