"""Orders, revenue (EUR) and cart abandonment over time, against the previous period."""

from __future__ import annotations

import pandas as pd
from elasticsearch import Elasticsearch

from workbench.analytics.query import LARGE_PAGE, Filters, composite, date_histogram


def orders_revenue(
    es: Elasticsearch, interval: str = "day", time_zone: str = "UTC", filters: Filters | None = None
) -> pd.DataFrame:
    """Orders and revenue per calendar interval in ``time_zone``."""
    frame = date_histogram(
        es,
        "commerce-orders",
        interval,
        time_zone,
        {"revenue_eur": {"sum": {"field": "total_eur"}}},
        (filters or Filters()).query(),
    )
    frame = frame.rename(columns={"doc_count": "orders"})
    frame["revenue_eur"] = frame["revenue_eur"].round(2)
    return frame


def abandonment(
    es: Elasticsearch, interval: str = "day", time_zone: str = "UTC", filters: Filters | None = None
) -> pd.DataFrame:
    """Per interval: sessions that added to cart, sessions that purchased, and the
    abandonment rate ``1 - purchased / carted`` (exact: composite over sessions)."""
    base = (filters or Filters()).query()
    query = {
        "bool": {
            "filter": [base, {"terms": {"event.type": ["add_to_cart", "purchase"]}}],
            "must_not": [{"term": {"is_bot": True}}],
        }
    }
    sources = [
        {
            "time": {
                "date_histogram": {
                    "field": "@timestamp",
                    "calendar_interval": interval,
                    "time_zone": time_zone,
                }
            }
        },
        {"session": {"terms": {"field": "session_id"}}},
    ]
    aggs = {
        "cart": {"filter": {"term": {"event.type": "add_to_cart"}}},
        "purchase": {"filter": {"term": {"event.type": "purchase"}}},
    }
    pages = list(composite(es, "commerce-events", sources, aggs, query, page=LARGE_PAGE))
    if not pages:
        return pd.DataFrame(columns=["time", "carted", "purchased", "abandonment_pct"])
    per = pd.concat(pages, ignore_index=True)
    out = per.groupby("time").agg(
        carted=("cart", lambda s: int((s > 0).sum())),
        purchased=("purchase", lambda s: int((s > 0).sum())),
    )
    out = out.reset_index()
    out["time"] = pd.to_datetime(out["time"], unit="ms", utc=True).dt.tz_convert(time_zone)
    out["abandonment_pct"] = (
        100 * (1 - out["purchased"] / out["carted"].where(out["carted"] > 0))
    ).round(2)
    return out


def against_previous(frame: pd.DataFrame, column: str, periods: int) -> pd.DataFrame:
    """Add the value ``periods`` rows earlier and the change in percent."""
    out = frame.copy()
    out[f"previous_{column}"] = out[column].shift(periods)
    out[f"change_pct_{column}"] = (100 * (out[column] / out[f"previous_{column}"] - 1)).round(2)
    return out
