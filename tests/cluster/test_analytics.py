"""Analytics queries against pandas ground truth, on a store whose seed no other test uses."""

from __future__ import annotations

import numpy as np
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


@pytest.fixture(scope="module")
def per_session(es: Elasticsearch, store: Store) -> pd.DataFrame:
    return funnel.sessions(es, segments=("device", "storefront", "campaign"))


@pytest.mark.parametrize("segment", [None, "device", "storefront", "campaign"])
def test_funnel_equals_pandas(store: Store, per_session: pd.DataFrame, segment: str | None) -> None:
    from_es = funnel.table(per_session, segment=segment)
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


def test_sales_density_tiles(es: Elasticsearch, store: Store) -> None:
    from workbench.analytics.geo import sales_density, tile_centre, tile_of

    got = sales_density(es, zoom=6).set_index("tile")
    tiles = tile_of(store.orders["lat"].to_numpy(), store.orders["lon"].to_numpy(), 6)
    truth = (
        store.orders.assign(tile=tiles)
        .groupby("tile")
        .agg(orders=("order_id", "size"), revenue_eur=("total_eur", "sum"))
    )
    assert sorted(got.index) == sorted(truth.index)
    assert got.loc[truth.index, "orders"].tolist() == truth["orders"].tolist()
    assert (got.loc[truth.index, "revenue_eur"] - truth["revenue_eur"]).abs().max() < 0.01
    (berlin,) = tile_of(np.array([52.52]), np.array([13.405]), 6)
    assert berlin == "6/34/20"  # y = floor((1 - asinh(tan(52.52 deg)) / pi) / 2 * 64) = 20
    lat, lon = tile_centre(berlin)
    assert abs(lat - 52.52) < 3
    assert abs(lon - 13.405) < 3


def test_shipping_delay_by_region(es: Elasticsearch, store: Store) -> None:
    from workbench.analytics.geo import shipping_delay

    got = shipping_delay(es).set_index("geo.region")
    truth = store.shipments.groupby("region")["delay_hours"]
    assert got["shipments"].to_dict() == truth.size().to_dict()
    assert (got["mean_hours"] - truth.mean().round(2)).abs().max() <= 0.011
    exact_p90 = truth.quantile(0.9)
    spread = truth.max() - truth.min()
    # TDigest is approximate: within 10 % of each region's range of the exact p90
    assert ((got["p90_hours"] - exact_p90).abs() <= 0.1 * spread + 0.5).all()


def test_orders_by_hour_and_abandonment_by_day(es: Elasticsearch, store: Store) -> None:
    from workbench.analytics.timeseries import abandonment, against_previous, orders_revenue

    hourly = orders_revenue(es, "hour", "Europe/Berlin")
    local = pd.to_datetime(store.orders["ts"], unit="s", utc=True).dt.tz_convert("Europe/Berlin")
    truth = store.orders.groupby(local.dt.floor("h")).size()
    hourly = hourly[hourly["orders"] > 0].set_index("time")
    assert hourly["orders"].to_dict() == truth.to_dict()

    got = abandonment(es, "day").set_index("time")
    events = store.events[~store.events["is_bot"]]
    day = pd.to_datetime(events["ts"], unit="s", utc=True).dt.floor("D")
    carted = events[events["type"] == "add_to_cart"].groupby(day)["session_id"].nunique()
    bought = events[events["type"] == "purchase"].groupby(day)["session_id"].nunique()
    assert got["carted"].to_dict() == carted.to_dict()
    assert got["purchased"].to_dict() == bought.reindex(carted.index, fill_value=0).to_dict()
    compared = against_previous(got.reset_index(), "carted", 1)
    assert compared["previous_carted"].iloc[1] == got["carted"].iloc[0]


def test_promotion_lift_with_bootstrap_interval(es: Elasticsearch, store: Store) -> None:
    from workbench.analytics.promotions import daily_counts, lift

    counts = daily_counts(es)
    events = store.events[(~store.events["is_bot"]) & (store.events["type"] == "add_to_cart")]
    day = pd.to_datetime(events["ts"] // 86400 * 86400, unit="s", utc=True).rename("day")
    truth = events.groupby([day, "category"]).size().unstack(fill_value=0)
    assert str(counts.index.tz) == "UTC"
    assert counts.index.equals(truth.index), "every day, as UTC midnights"
    assert (
        counts.to_numpy().tolist()
        == truth.reindex(index=counts.index, columns=counts.columns, fill_value=0)
        .to_numpy()
        .tolist()
    )
    table = lift(counts, store.promotions)
    assert not table.empty
    assert (table["ci_low"] <= table["lift"]).all()
    assert (table["lift"] <= table["ci_high"]).all()
    assert table.equals(lift(counts, store.promotions)), "seeded: the same interval twice"
