from datetime import UTC, datetime

import pytest

from workbench.data.dialects import source_records
from workbench.data.geo import to_eur
from workbench.data.store import StoreSpec, generate
from workbench.ingest.normalise import RecordError, from_minor, money, normalise, parse_offset_time


@pytest.fixture(scope="module")
def store():
    return generate(StoreSpec(orders=300, days=4, seed=33))


def iso(ts: int) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat().replace("+00:00", "Z")


def test_every_dialect_normalises_to_the_ground_truth(store) -> None:
    orders = store.orders.set_index("order_id")
    payments = store.payments.set_index("payment_id")
    events = store.events.set_index("event_id")
    systems = set()
    for system, entity, payload in source_records(store, ("orders", "payments", "events")):
        doc = normalise(system, entity, payload)
        systems.add((system, entity))
        if entity == "orders":
            truth = orders.loc[doc["order_id"]]
            assert doc["@timestamp"] == iso(truth["ts"])
            assert doc["total"] == truth["total"]
            assert doc["total_eur"] == truth["total_eur"]
            assert doc["currency"] == truth["currency"]
            assert doc["customer"]["email"] == truth["email"]
            assert doc["items"] == truth["items"]
            assert doc["geo"]["city"] == truth["city"]
            assert doc["session_id"] == truth["session_id"]
        elif entity == "payments":
            truth = payments.loc[doc["payment_id"]]
            assert doc["status"] == truth["status"]
            assert doc["amount"] == truth["amount"]
            assert doc["card"]["number"] == truth["card_number"]
        else:
            truth = events.loc[doc["event_id"]]
            assert doc["event"]["type"] == truth["type"]
            assert doc["@timestamp"] == iso(truth["ts"])
            assert doc["is_bot"] == truth["is_bot"]
        assert doc["source"]["system"] == system
        assert doc["storefront"] == system
    assert len(systems) == 9


def test_context_keeps_the_original_timestamp_and_zone(store) -> None:
    shopify = next(p for s, e, p in source_records(store, ("orders",)) if s == "shopify")
    doc = normalise("shopify", "orders", shopify)
    assert doc["source"]["original_timestamp"] == shopify["created_at"]
    assert doc["source"]["timezone"] in {"-04:00", "-05:00"}
    assert parse_offset_time("2026-10-01T05:45:28-04:00") == ("2026-10-01T09:45:28Z", "-04:00")


def test_money_encodings() -> None:
    assert money("12.50", "EUR") == 12.5
    assert money(12.499999, "EUR") == 12.5
    assert from_minor(1234, "EUR") == 12.34
    assert from_minor(1234, "JPY") == 1234
    assert to_eur(100.0, "USD") == 92.0
    with pytest.raises(RecordError, match="not a number"):
        money("twelve", "EUR")
    with pytest.raises(RecordError, match="integer"):
        from_minor(12.5, "EUR")
    with pytest.raises(RecordError, match="unknown currency"):
        money("1", "XXX")


@pytest.mark.parametrize(
    ("system", "entity", "payload", "reason"),
    [
        ("shopify", "orders", {"id": 1}, "missing field"),
        ("custom", "events", [1, 2], "not a JSON object"),
        (
            "custom",
            "events",
            {
                "eventId": "x",
                "eventType": "product_view",
                "ts": "yesterday",
                "sessionId": "s",
                "geo": {},
            },
            "epoch milliseconds",
        ),
        (
            "shopify",
            "events",
            {"name": "teleported", "timestamp": "2026-10-01T00:00:00Z", "geo": {}},
            "unknown Shopify event",
        ),
        ("magento", "refunds", {"created_at": "01/10/2026"}, "missing field"),
        ("woo", "orders", {}, "no normaliser"),
    ],
)
def test_malformed_records_say_why(system: str, entity: str, payload: object, reason: str) -> None:
    with pytest.raises(RecordError, match=reason):
        normalise(system, entity, payload)
