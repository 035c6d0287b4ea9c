"""Purchase funnel (view -> cart -> checkout -> purchase), computed per session in
Elasticsearch: a composite aggregation over sessions returns, for each session, whether
it has each step; a session reaches step k when it has steps 1..k. Conversion and
drop-off per step follow, overall or by a segment (device, storefront, campaign)."""

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
    segment: str | None = None,
    index: str = "commerce-events",
    include_bots: bool = False,
) -> pd.DataFrame:
    """One row per session: the segment value and a boolean per step."""
    query = (filters or Filters()).query()
    if not include_bots:
        query = {"bool": {"filter": [query], "must_not": [{"term": {"is_bot": True}}]}}
    sources: list[dict[str, Any]] = [{"session": {"terms": {"field": "session_id"}}}]
    if segment:
        sources.append({segment: {"terms": {"field": segment}}})
    aggs = {step: {"filter": {"term": {"event.type": step}}} for step in steps}
    pages = list(composite(es, index, sources, aggs, query, page=LARGE_PAGE))
    if not pages:
        return pd.DataFrame(columns=["session", *([segment] if segment else []), *steps])
    frame = pd.concat(pages, ignore_index=True).drop(columns=["doc_count"])
    for step in steps:
        frame[step] = frame[step] > 0
    return frame


def table(
    per_session: pd.DataFrame, steps: tuple[str, ...] = STEPS, segment: str | None = None
) -> pd.DataFrame:
    """Sessions reaching each step, conversion from the first step and from the previous
    one, and drop-off, per segment when given."""
    reached = per_session[list(steps)].cumprod(axis=1).astype(bool)
    groups = per_session[segment] if segment else pd.Series("all", index=per_session.index)
    rows = []
    for value, idx in reached.groupby(groups).groups.items():
        counts = reached.loc[idx].sum()
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
