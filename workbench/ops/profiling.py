"""Where a query's time goes (the Profile API), what to change, and what caching and
timeouts do to it."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

import pandas as pd
from elasticsearch import Elasticsearch

SLOW_CLAUSES = {
    "WildcardQuery",
    "RegexpQuery",
    "PrefixQuery",
    "FuzzyQuery",
    "AutomatonQuery",
    "MultiTermQueryConstantScoreBlendedWrapper",
}


@dataclass
class Profile:
    clauses: pd.DataFrame  # type, description, milliseconds, share of the query time
    collectors_ms: float
    aggregations: pd.DataFrame  # type, description, milliseconds
    query_ms: float


def _walk(nodes: list[dict[str, Any]], depth: int = 0) -> list[dict[str, Any]]:
    rows = []
    for node in nodes:
        rows.append(
            {
                "type": node["type"],
                "description": node["description"][:160],
                "ms": node["time_in_nanos"] / 1e6,
                "depth": depth,
            }
        )
        rows.extend(_walk(node.get("children") or [], depth + 1))
    return rows


def profile(es: Elasticsearch, index: str, source: dict[str, Any]) -> Profile:
    """Run ``source`` once with ``profile: true`` and summarise it across shards."""
    body = {**source, "profile": True}
    response = es.search(index=index, body=body, request_cache=False)
    clauses, aggs, collectors = [], [], 0.0
    for shard in response["profile"]["shards"]:
        for search in shard["searches"]:
            clauses.extend(_walk(search["query"]))
            collectors += sum(c["time_in_nanos"] for c in search.get("collector", [])) / 1e6
        aggs.extend(_walk(shard.get("aggregations") or []))
    frame = pd.DataFrame(clauses, columns=["type", "description", "ms", "depth"])
    top = frame[frame["depth"] == 0]["ms"].sum() or 1.0
    summed: pd.DataFrame = frame.groupby(["type", "description", "depth"], as_index=False)[
        ["ms"]
    ].sum()
    frame = summed.sort_values("ms", ascending=False)
    frame["share_pct"] = (100 * frame["ms"] / top).round(1)
    agg_frame = pd.DataFrame(aggs, columns=["type", "description", "ms", "depth"])
    return Profile(
        frame.head(15).reset_index(drop=True),
        round(collectors, 2),
        agg_frame.sort_values("ms", ascending=False).head(10).reset_index(drop=True),
        round(top, 2),
    )


def advice(source: dict[str, Any], prof: Profile | None = None) -> list[str]:
    """Concrete changes for a query, from its structure and its profile."""
    text = json.dumps(source)
    tips = []
    query = source.get("query") or {}
    must = (query.get("bool") or {}).get("must") or []
    must = must if isinstance(must, list) else [must]
    if any(next(iter(c), "") in {"term", "terms", "range", "exists"} for c in must):
        tips.append(
            "term/range clauses sit in bool.must: move them to bool.filter (no "
            "scoring, and the filter cache can reuse them)"
        )
    if '"wildcard"' in text or '"regexp"' in text or '"prefix"' in text:
        tips.append(
            "wildcard/regexp/prefix queries scan the terms dictionary; a leading "
            "wildcard is worst. Index the value as a keyword with a normaliser, or "
            "add a wildcard-type or n-gram field for substring search"
        )
    for match in _terms_sizes(source):
        if match > 1000:
            tips.append(
                f"a terms aggregation asks for {match:,} buckets: page through them "
                "with a composite aggregation instead"
            )
            break
    if (
        '"terms"' in text
        and '"sampler"' not in text
        and '"random_sampler"' not in text
        and (
            prof is not None
            and not prof.aggregations.empty
            and prof.aggregations["ms"].sum() > prof.query_ms
        )
    ):
        tips.append(
            "aggregations dominate: for exploration, wrap them in random_sampler "
            "(probability 0.01-0.1) and accept the stated error"
        )
    if '"match"' in text and any(k in text for k in ('"session_id"', '"order_id"', '"sku"')):
        tips.append("match on an id field: ids are keywords, use term (exact, no analysis)")
    if int(source.get("size", 10)) > 1000:
        tips.append("a large size: export with point in time + search_after instead")
    if prof is not None:
        slow = prof.clauses[prof.clauses["type"].isin(SLOW_CLAUSES)]
        if not slow.empty:
            tips.append(
                f"{slow.iloc[0]['type']} takes {slow.iloc[0]['share_pct']} % of the query time"
            )
    return tips


def _terms_sizes(value: Any) -> list[int]:
    out = []
    if isinstance(value, dict):
        terms = value.get("terms")
        if isinstance(terms, dict) and "field" in terms:
            out.append(int(terms.get("size", 10)))
        for item in value.values():
            out.extend(_terms_sizes(item))
    elif isinstance(value, list):
        for item in value:
            out.extend(_terms_sizes(item))
    return out


def cache_and_timeout(
    es: Elasticsearch, index: str, source: dict[str, Any], runs: int = 3
) -> pd.DataFrame:
    """The same size-0 request with the request cache off and on, and with a 1 ms
    timeout (which returns partial results flagged ``timed_out`` instead of waiting)."""
    plain = {**source, "size": 0}
    rows = []
    for label, body, cache in (
        ("request cache off", plain, False),
        ("request cache on", plain, True),
        ("timeout 1ms", {**plain, "timeout": "1ms"}, False),
    ):
        tooks, timed_out = [], False
        for _ in range(runs):
            began = time.perf_counter()
            response = es.search(index=index, body=body, request_cache=cache)
            tooks.append((time.perf_counter() - began) * 1000)
            timed_out = timed_out or bool(response.get("timed_out"))
        rows.append(
            {
                "setting": label,
                "best_ms": round(min(tooks), 2),
                "median_ms": round(sorted(tooks)[len(tooks) // 2], 2),
                "timed_out": timed_out,
            }
        )
    return pd.DataFrame(rows)
