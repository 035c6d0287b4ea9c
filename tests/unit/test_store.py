from itertools import pairwise

import numpy as np
import pandas as pd
import pytest

from workbench.data.geo import CITIES, EUR_PER_UNIT
from workbench.data.store import FUNNEL, StoreSpec, generate


@pytest.fixture(scope="module")
def store():
    return generate(StoreSpec(orders=1500, days=14, seed=21))


def test_same_spec_same_store() -> None:
    a, b = (
        generate(StoreSpec(orders=200, days=5, seed=9)),
        generate(StoreSpec(orders=200, days=5, seed=9)),
    )
    for name in ("orders", "events", "payments", "refunds", "shipments", "inventory"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))
    c = generate(StoreSpec(orders=200, days=5, seed=10))
    assert not a.orders["total"].equals(c.orders["total"])


def test_exactly_the_requested_orders(store) -> None:
    assert len(store.orders) == 1500
    assert store.orders["order_id"].is_unique
    purchases = store.events[store.events["type"] == "purchase"]
    assert len(purchases) == 1500


def test_funnel_drops_off_step_by_step(store) -> None:
    human = store.events[~store.events["is_bot"]]
    reached = [human.loc[human["type"] == step, "session_id"].nunique() for step in FUNNEL]
    assert all(a > b for a, b in pairwise(reached)), reached
    assert 0.05 < reached[-1] / reached[0] < 0.5


def test_bots_only_browse(store) -> None:
    bots = store.events[store.events["is_bot"]]
    share = store.sessions["is_bot"].mean()
    assert 0.02 < share < 0.08
    assert set(bots["type"]) == {"product_view"}
    per_session = bots.groupby("session_id").size().mean()
    human_views = store.events[(~store.events["is_bot"]) & (store.events["type"] == "product_view")]
    assert per_session > 3 * human_views.groupby("session_id").size().mean()


def test_diurnal_weekly_and_flash_sale_seasonality(store) -> None:
    hours = pd.to_datetime(store.sessions["start_ts"], unit="s", utc=True)
    by_hour = hours.dt.hour.value_counts()
    assert by_hour[19] > 2 * by_hour[4]
    flash = store.promotions[store.promotions["flash_sale"]]
    start = int(flash["start_ts"].iloc[0])
    in_flash = store.sessions["start_ts"].between(start, start + 3 * 3600 - 1).sum()
    same_hours_day_before = (
        store.sessions["start_ts"].between(start - 86400, start - 86400 + 3 * 3600 - 1).sum()
    )
    assert in_flash > 3 * same_hours_day_before
    day = hours.dt.day_of_week
    weekend = (day >= 5).sum() / max(hours[day >= 5].dt.date.nunique(), 1)
    weekday = (day < 5).sum() / max(hours[day < 5].dt.date.nunique(), 1)
    assert weekend > weekday


def test_order_arithmetic(store) -> None:
    lines = store.line_items.groupby("order_id")["line_total"].sum()
    orders = store.orders.set_index("order_id")
    net = orders["subtotal"] - orders["discount"]
    np.testing.assert_allclose(lines.reindex(orders.index), net, atol=0.011 * 3)
    np.testing.assert_allclose(orders["total"], net + orders["shipping"], atol=0.011)
    rates = orders["currency"].map(EUR_PER_UNIT)
    np.testing.assert_allclose(orders["total_eur"], (orders["total"] * rates).round(2), atol=1e-9)
    assert (orders["discount"] > 0).any(), "promotions must discount some lines"


def test_payments_refunds_shipments(store) -> None:
    pay = store.payments
    success = pay[pay["status"] == "success"]
    assert len(success) == len(store.orders)
    merged = success.merge(store.orders, on="order_id")
    np.testing.assert_allclose(merged["amount"], merged["total"])
    assert {"declined", "error"} <= set(pay["status"])
    assert pay.loc[pay["status"] == "declined", "decline_code"].notna().all()
    digits = pay["card_number"].map(lambda n: [int(c) for c in n][::-1])
    luhn = digits.map(lambda d: (sum(d[0::2]) + sum(sum(divmod(2 * x, 10)) for x in d[1::2])) % 10)
    assert (luhn == 0).all()
    refunds = store.refunds.merge(
        store.orders[["order_id", "total", "ts"]], on="order_id", suffixes=("", "_order")
    )
    assert (refunds["amount"] <= refunds["total"] + 1e-9).all()
    assert (refunds["ts"] > refunds["ts_order"]).all()
    assert refunds["partial"].any()
    assert (~refunds["partial"]).any()
    slow = {c.city for c in CITIES if c.slow}
    ship = store.shipments
    assert (
        ship.loc[ship["city"].isin(slow), "delay_hours"].median()
        > 1.3 * ship.loc[~ship["city"].isin(slow), "delay_hours"].median()
    )


def test_price_manipulation_episode(store) -> None:
    (episode,) = store.episodes
    hits = store.price_updates[store.price_updates["actor"] == episode["actor"]]
    assert len(hits) == len(episode["skus"]) > 0
    assert episode["end_ts"] - episode["start_ts"] <= 600
    ratio = hits["new_price_eur"] / hits["old_price_eur"]
    assert ratio.between(0.08, 0.12).all()


def test_source_totals_match_frames(store) -> None:
    totals = store.totals
    by_entity = totals.groupby("entity")["count"].sum()
    assert by_entity["orders"] == len(store.orders)
    assert by_entity["events"] == len(store.events)
    assert by_entity["payments"] == len(store.payments)
    orders = totals[totals["entity"] == "orders"]
    assert orders["amount_eur"].sum() == pytest.approx(store.orders["total_eur"].sum(), abs=0.01)
    assert set(orders["storefront"]) == {"shopify", "magento", "custom"}


def test_spec_is_checked() -> None:
    with pytest.raises(ValueError, match="storefronts"):
        StoreSpec(storefronts=("woocommerce",))
    with pytest.raises(ValueError, match="orders"):
        StoreSpec(orders=0)


def test_promotions_draw_shoppers_to_their_category(store) -> None:
    events = store.events[store.events["type"] == "add_to_cart"]
    for promo in store.promotions[~store.promotions["flash_sale"]].to_dict("records"):
        inside = events["ts"].between(promo["start_ts"], promo["end_ts"] - 1)
        share_in = (events.loc[inside, "category"] == promo["category"]).mean()
        share_out = (events.loc[~inside, "category"] == promo["category"]).mean()
        assert share_in > share_out, promo["promotion_id"]
