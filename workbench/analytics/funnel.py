"""Purchase funnel (view -> cart -> checkout -> purchase), computed per session in
Elasticsearch: a composite aggregation over sessions returns, for each session, whether
it has each step; a session reaches step k when it has steps 1..k. Conversion and
drop-off per step follow, overall or by a segment (device, storefront, campaign).

One pass can carry several segments (each page of a composite makes the node read every
event again, so one pass instead of four matters on a large store); :func:`table` folds
the rows back to one per session, or per session and segment value."""

from __future__ import annotations

from typing import Any

import pandas as pd
import plotly.graph_objects as go
from elasticsearch import Elasticsearch

from workbench.analytics.query import LARGE_PAGE, Filters, composite

STEPS = ("product_view", "add_to_cart", "checkout_start", "purchase")


def sessions(
    es: Elasticsearch,
    filters: Filters | None = None,
    steps: tuple[str, ...] = STEPS,
    segments: tuple[str, ...] = (),
    index: str = "commerce-events",
    include_bots: bool = False,
) -> pd.DataFrame:
    """A row per session and combination of segment values (None where an event has
    none) with a boolean per step."""
    query = (filters or Filters()).query()
    if not include_bots:
        query = {"bool": {"filter": [query], "must_not": [{"term": {"is_bot": True}}]}}
    sources: list[dict[str, Any]] = [{"session": {"terms": {"field": "session_id"}}}]
    sources += [{name: {"terms": {"field": name, "missing_bucket": True}}} for name in segments]
    aggs = {step: {"filter": {"term": {"event.type": step}}} for step in steps}
    pages = list(composite(es, index, sources, aggs, query, page=LARGE_PAGE))
    if not pages:
        return pd.DataFrame(columns=["session", *segments, *steps])
    frame = pd.concat(pages, ignore_index=True).drop(columns=["doc_count"])
    for step in steps:
        frame[step] = frame[step] > 0
    return frame


def table(
    per_session: pd.DataFrame, steps: tuple[str, ...] = STEPS, segment: str | None = None
) -> pd.DataFrame:
    """Sessions reaching each step, conversion from the first step and from the previous
    one, and drop-off, per value of ``segment`` when given (sessions without a value are
    left out of that breakdown)."""
    keys = ["session", *([segment] if segment else [])]
    has = per_session.groupby(keys)[list(steps)].any()
    reached = has.cumprod(axis=1).astype(bool)
    groups = reached.index.get_level_values(segment) if segment else ["all"] * len(reached)
    rows = []
    for value, part in reached.groupby(groups):
        counts = part.sum()
        first = int(counts.iloc[0])
        previous = first
        for step in steps:
            n = int(counts[step])
            rows.append(
                {
                    "segment": value,
                    "step": step,
                    "sessions": n,
                    "conversion_pct": round(100 * n / first, 2) if first else 0.0,
                    "step_conversion_pct": round(100 * n / previous, 2) if previous else 0.0,
                    "drop_off": previous - n,
                }
            )
            previous = n
    return pd.DataFrame(rows)


def figure(funnel: pd.DataFrame, title: str = "Purchase funnel") -> go.Figure:
    fig = go.Figure()
    for value, part in funnel.groupby("segment"):
        fig.add_trace(
            go.Funnel(
                name=str(value),
                y=part["step"],
                x=part["sessions"],
                textinfo="value+percent initial",
            )
        )
    fig.update_layout(title=title)
    return fig
