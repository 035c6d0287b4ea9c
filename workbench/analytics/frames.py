"""Small query helpers that turn Elasticsearch answers into DataFrames."""

from __future__ import annotations

from typing import Any

import pandas as pd
from elasticsearch import Elasticsearch

DEFAULT_TIMEOUT = "30s"


def terms_frame(
    es: Elasticsearch,
    index: str,
    field: str,
    sum_field: str | None = None,
    query: dict[str, Any] | None = None,
    size: int = 50,
) -> pd.DataFrame:
    """Document counts (and an optional sum) per value of a keyword field.

    Columns: ``field``, ``count`` and, with ``sum_field``, ``sum_<sum_field>``; sorted
    by count, largest first. Raises if more than ``size`` values exist rather than
    silently dropping the rest (use the composite paginator for high cardinality).
    """
    aggs: dict[str, Any] = {"by": {"terms": {"field": field, "size": size}}}
    if sum_field:
        aggs["by"]["aggs"] = {"total": {"sum": {"field": sum_field}}}
    response = es.search(
        index=index, size=0, query=query or {"match_all": {}}, aggs=aggs, timeout=DEFAULT_TIMEOUT
    )
    by = response["aggregations"]["by"]
    if by.get("sum_other_doc_count", 0):
        raise ValueError(f"{field} has more than {size} values in {index}; raise size or paginate")
    rows = []
    for bucket in by["buckets"]:
        row: dict[str, Any] = {field: bucket["key"], "count": bucket["doc_count"]}
        if sum_field:
            row[f"sum_{sum_field}"] = round(bucket["total"]["value"], 2)
        rows.append(row)
    columns = [field, "count"] + ([f"sum_{sum_field}"] if sum_field else [])
    return pd.DataFrame(rows, columns=columns)


def hits_frame(
    es: Elasticsearch,
    index: str,
    query: dict[str, Any] | None = None,
    size: int = 20,
    sort: list[dict[str, Any]] | None = None,
) -> pd.DataFrame:
    """The ``_source`` of the first ``size`` hits, one row each (for small lookups)."""
    response = es.search(
        index=index,
        size=size,
        query=query or {"match_all": {}},
        sort=sort,
        timeout=DEFAULT_TIMEOUT,
    )
    return pd.DataFrame([hit["_source"] for hit in response["hits"]["hits"]])
