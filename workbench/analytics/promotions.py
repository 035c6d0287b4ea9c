"""Category performance inside promotion windows against a baseline, with bootstrap
confidence intervals for the lift."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from elasticsearch import Elasticsearch

from workbench.analytics.query import composite


def daily_counts(es: Elasticsearch, event: str = "add_to_cart") -> pd.DataFrame:
    """Events of one type per UTC day (a UTC DatetimeIndex) and category (0 where a
    category had none)."""
    sources = [
        {"day": {"date_histogram": {"field": "@timestamp", "calendar_interval": "day"}}},
        {"category": {"terms": {"field": "product.category"}}},
    ]
    query = {
        "bool": {
            "filter": [{"term": {"event.type": event}}],
            "must_not": [{"term": {"is_bot": True}}],
        }
    }
    pages = list(composite(es, "commerce-events", sources, query=query))
    frame = (
        pd.concat(pages, ignore_index=True)
        if pages
        else pd.DataFrame(columns=["day", "category", "doc_count"])
    )
    table = frame.pivot_table(
        index="day", columns="category", values="doc_count", fill_value=0, aggfunc="sum"
    )
    table.index = pd.to_datetime(table.index.astype("int64"), unit="ms", utc=True)
    table.index.name = "day"
    return table.sort_index()


def _whole_days(promo: dict[Any, Any]) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The window's whole UTC days, as [first, last) midnights."""
    start, end = (
        pd.Timestamp(float(str(promo[key])), unit="s", tz="UTC") for key in ("start_ts", "end_ts")
    )
    return start.ceil("D"), end.floor("D")


def lift(
    counts: pd.DataFrame, promotions: pd.DataFrame, resamples: int = 2000, seed: int = 7
) -> pd.DataFrame:
    """Per promotion (whole days only): mean daily events of its category inside the
    window, on days no promotion of that category covers (the baseline), their ratio, and
    a 95 % bootstrap interval of the ratio (days resampled with replacement each side)."""
    rng = np.random.default_rng(seed)
    rows = []
    windows = [(p, *_whole_days(p)) for p in promotions.to_dict("records")]
    for promo, first, last in windows:
        categories = list(counts.columns) if promo["category"] == "*" else [promo["category"]]
        for category in categories:
            if category not in counts.columns:
                continue
            series = counts[category]
            days = series.index
            # The baseline is every day outside all windows that cover this category.
            promoted = np.zeros(len(days), bool)
            for other, start, stop in windows:
                if other["category"] in (category, "*"):
                    promoted |= (days >= start) & (days < stop)
            inside = series[(days >= first) & (days < last)].to_numpy(float)
            outside = series[~promoted].to_numpy(float)
            if len(inside) == 0 or len(outside) == 0 or outside.mean() == 0:
                continue
            point = inside.mean() / outside.mean()
            boot_in = rng.choice(inside, (resamples, len(inside))).mean(axis=1)
            boot_out = rng.choice(outside, (resamples, len(outside))).mean(axis=1)
            ratios = boot_in / np.where(boot_out == 0, np.nan, boot_out)
            low, high = np.nanpercentile(ratios, [2.5, 97.5])
            rows.append(
                {
                    "promotion": promo["promotion_id"],
                    "category": category,
                    "days_in": len(inside),
                    "per_day_in": round(inside.mean(), 2),
                    "per_day_baseline": round(outside.mean(), 2),
                    "lift": round(point, 3),
                    "ci_low": round(float(low), 3),
                    "ci_high": round(float(high), 3),
                }
            )
    return pd.DataFrame(
        rows,
        columns=[
            "promotion",
            "category",
            "days_in",
            "per_day_in",
            "per_day_baseline",
            "lift",
            "ci_low",
            "ci_high",
        ],
    )
