from pathlib import Path

import orjson
import pandas as pd

from workbench.ingest.deadletter import DeadLetters, read
from workbench.ingest.reconcile import dead_letter_totals, reconcile
from workbench.ingest.spool import Position, Spool
from workbench.ingest.validate import problems


def fill(spool: Spool, n: int, start: int = 0) -> None:
    for i in range(start, start + n):
        spool.append({"id": f"d{i}"}, orjson.dumps({"n": i}))
    spool.flush()


def test_pending_resumes_after_acknowledged(tmp_path: Path) -> None:
    spool = Spool(tmp_path, segment_bytes=200)
    fill(spool, 30)
    assert len(spool.segments()) > 2, "small segments force rotation"
    entries = list(spool.pending())
    assert [e.header["id"] for e in entries] == [f"d{i}" for i in range(30)]
    spool.acknowledge(entries[11].end)
    reopened = Spool(tmp_path, segment_bytes=200)
    assert [e.header["id"] for e in reopened.pending()][:2] == ["d12", "d13"]
    assert len(list(reopened.pending())) == 18
    assert min(reopened.segments()) == entries[11].end.segment, "acknowledged segments go"
    reopened.acknowledge(list(reopened.pending())[-1].end)
    assert list(reopened.pending()) == []
    assert reopened.size() == 0


def test_torn_last_line_is_cut_on_reopen(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    fill(spool, 3)
    spool.close()
    segment = tmp_path / "segment-000001.ndjson"
    with segment.open("ab") as fh:
        fh.write(b'{"id":"torn"}\t{"n":')
    reopened = Spool(tmp_path)
    fill(reopened, 1, start=3)
    assert [e.header["id"] for e in reopened.pending()] == ["d0", "d1", "d2", "d3"]


def test_acknowledged_default_and_position(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    assert spool.acknowledged == Position(1, 0)


def test_dead_letters_keep_one_per_key_and_scrub(tmp_path: Path) -> None:
    dead = DeadLetters(tmp_path / "dl.ndjson")
    for _ in range(2):
        dead.add(
            stage="index",
            entity="orders",
            system="shopify",
            key="k1",
            reason="bad",
            record={"email": "x@example.com", "pan": "4111111111111111"},
            storefront="shopify",
            day="2026-10-01",
        )
    dead.add(
        stage="normalise",
        entity="events",
        system="custom",
        key="k2",
        reason="worse",
        record=[1],
        storefront="custom",
        day=None,
    )
    dead.close()
    entries = read(tmp_path / "dl.ndjson")
    assert len(entries) == 2
    text = (tmp_path / "dl.ndjson").read_text()
    assert "x@example.com" not in text
    assert "4111111111111111" not in text
    totals = dead_letter_totals(tmp_path / "dl.ndjson")
    assert set(totals["day"]) == {"2026-10-01", "unknown"}


def test_reconcile_balances_and_flags() -> None:
    source = pd.DataFrame(
        [
            {
                "entity": "orders",
                "storefront": "shopify",
                "day": "2026-10-01",
                "count": 10,
                "amount_eur": 100.0,
            },
            {
                "entity": "orders",
                "storefront": "shopify",
                "day": "2026-10-02",
                "count": 5,
                "amount_eur": 50.0,
            },
        ]
    )
    indexed = pd.DataFrame(
        [
            {
                "entity": "orders",
                "storefront": "shopify",
                "day": "2026-10-01",
                "indexed": 10,
                "indexed_amount_eur": 100.0,
            },
            {
                "entity": "orders",
                "storefront": "shopify",
                "day": "2026-10-02",
                "indexed": 4,
                "indexed_amount_eur": 41.0,
            },
        ]
    )
    dead = pd.DataFrame(
        [{"entity": "orders", "storefront": "shopify", "day": "unknown", "dead_lettered": 1}]
    )
    result = reconcile(source, indexed, dead)
    assert result.passed, result.table
    assert result.rollup["missing"].tolist() == [0]
    short = reconcile(source, indexed.assign(indexed=[10, 3]), dead)
    assert not short.passed
    assert short.verdict()["findings"] == [
        "orders/shopify: source 15, indexed 13, dead-lettered 1, missing 1"
    ]
    no_dead = indexed.assign(indexed=[10, 5], indexed_amount_eur=[99.0, 50.0])
    wrong_sum = reconcile(source, no_dead, dead.iloc[:0])
    assert not wrong_sum.passed
    assert len(wrong_sum.differences()) == 1
    assert reconcile(source, no_dead.assign(indexed_amount_eur=[100.0, 50.0]), dead.iloc[:0]).passed


def test_validation_problems() -> None:
    good = {
        "order_id": "O-1",
        "@timestamp": "2026-10-01T00:00:00Z",
        "storefront": "shopify",
        "currency": "EUR",
        "subtotal": 1.0,
        "discount": 0.0,
        "tax": 0.1,
        "shipping": 0.0,
        "total": 1.0,
        "total_eur": 1.0,
        "geo": {"location": {"lat": 1.0, "lon": 2.0}},
        "line_items": [{"quantity": 1, "unit_price": 1.0}],
    }
    assert problems("orders", good) == []
    bad = {
        **good,
        "total": -1,
        "currency": "XXX",
        "storefront": "woo",
        "line_items": [],
        "geo": {"location": {"lat": 91, "lon": 0}},
        "@timestamp": "soon",
    }
    found = " | ".join(problems("orders", bad))
    for fragment in (
        "total must be",
        "unknown currency",
        "unknown storefront",
        "at least one line",
        "not a valid coordinate",
        "not ISO 8601",
    ):
        assert fragment in found
