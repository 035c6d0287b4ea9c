"""Analytics queries against pandas ground truth, on a store whose seed no other test uses."""

from __future__ import annotations

import pandas as pd
import pytest
from elasticsearch import Elasticsearch

from workbench.analytics import funnel
from workbench.analytics.query import (
    Filters,
    composite,
    date_histogram,
    export,
    random_sampler_terms,
    sampler_terms,
)
from workbench.data.store import Store, StoreSpec
from workbench.ingest.seed import seed

pytestmark = pytest.mark.cluster
SPEC = StoreSpec(orders=700, days=9, seed=9091)


@pytest.fixture(scope="module")
def store(es: Elasticsearch, tmp_path_factory: pytest.TempPathFactory) -> Store:
    result = seed(es, tmp_path_factory.mktemp("home"), SPEC, fresh=True)
    assert result.reconciliation.passed
    return result.store


def truth_sessions(store: Store, segment: str | None = None) -> pd.DataFrame:
    events = store.events[~store.events["is_bot"]]
    flags = pd.crosstab(events["session_id"], events["type"]) > 0
    frame = pd.DataFrame({step: flags.get(step, False) for step in funnel.STEPS})
    frame.index.name = "session"
    frame = frame.reset_index()
    if segment:
        frame[segment] = frame["session"].map(store.sessions.set_index("session_id")[segment])
    return frame


@pytest.mark.parametrize("segment", [None, "device", "storefront", "campaign"])
def test_funnel_equals_pandas(es: Elasticsearch, store: Store, segment: str | None) -> None:
    from_es = funnel.table(funnel.sessions(es, segment=segment), segment=segment)
    truth = funnel.table(truth_sessions(store, segment), segment=segment)
    pd.testing.assert_frame_equal(
        from_es.sort_values(["segment", "step"]).reset_index(drop=True),
        truth.sort_values(["segment", "step"]).reset_index(drop=True),
        check_dtype=False,
    )
    overall = from_es[from_es["step"] == "purchase"]["sessions"].sum()
    assert overall == len(store.orders)


def test_orders_per_day_in_a_time_zone(es: Elasticsearch, store: Store) -> None:
    zone = "America/New_York"
    got = date_histogram(
        es, "commerce-orders", "day", zone, metrics={"revenue": {"sum": {"field": "total_eur"}}}
    )
    local = pd.to_datetime(store.orders["ts"], unit="s", utc=True).dt.tz_convert(zone)
    truth = (
        store.orders.assign(day=local.dt.normalize())
        .groupby("day")
        .agg(doc_count=("order_id", "size"), revenue=("total_eur", "sum"))
    )
    got = got.set_index("time")
    got = got[got["doc_count"] > 0]
    assert list(got.index) == list(truth.index)
    assert got["doc_count"].tolist() == truth["doc_count"].tolist()
    assert got["revenue"].round(2).tolist() == truth["revenue"].round(2).tolist()


def test_filters_and_composite_paging(es: Elasticsearch, store: Store) -> None:
    filters = Filters(storefront=("shopify", "custom"), device=("mobile",))
    pages = list(
        composite(
            es,
            "commerce-events",
            [{"s": {"terms": {"field": "session_id"}}}],
            query=filters.query(),
            page=200,
        )
    )
    assert len(pages) > 3
    total = sum(int(p["doc_count"].sum()) for p in pages)
    events = store.events
    expected = events[
        events["storefront"].isin(["shopify", "custom"]) & (events["device"] == "mobile")
    ]
    assert total == len(expected)
    assert sum(len(p) for p in pages) == expected["session_id"].nunique()


def test_point_in_time_export(es: Elasticsearch, store: Store) -> None:
    seen: list[int] = []
    frame = export(
        es,
        "commerce-orders",
        ["order_id", "total_eur", "geo.country"],
        page=250,
        slices=2,
        progress=seen.append,
    )
    assert len(frame) == len(store.orders)
    assert frame["order_id"].is_unique
    assert frame["total_eur"].sum() == pytest.approx(store.orders["total_eur"].sum(), abs=0.01)
    assert seen[-1] == len(store.orders)
    assert list(frame.columns) == ["order_id", "total_eur", "geo.country"]


def test_samplers_state_their_precision(es: Elasticsearch, store: Store) -> None:
    sampled = random_sampler_terms(es, "commerce-events", "product.category", 0.5)
    assert "estimates" in sampled.note
    assert set(sampled.frame["product.category"]) <= set(store.products["category"])
    top = sampler_terms(es, "commerce-events", "event.type", shard_size=100)
    assert "not the whole index" in top.note
    assert top.frame["count_in_sample"].sum() <= 100 * 9
