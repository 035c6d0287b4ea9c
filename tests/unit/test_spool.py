from pathlib import Path

import orjson
import pandas as pd

from workbench.ingest.deadletter import DeadLetters, read
from workbench.ingest.reconcile import dead_letter_totals, reconcile
from workbench.ingest.spool import Position, Spool
from workbench.ingest.validate import problems


def fill(spool: Spool, n: int, start: int = 0) -> None:
    for i in range(start, start + n):
        spool.append("idx", f"d{i}", orjson.dumps({"n": i}))
    spool.flush()


def ids(spool: Spool, max_docs: int = 7) -> list[str]:
    return [
        orjson.loads(a)["index"]["_id"]
        for chunk in spool.chunks(max_docs, 1 << 20)
        for a in chunk.actions
    ]


def test_chunks_resume_after_acknowledged(tmp_path: Path) -> None:
    spool = Spool(tmp_path, segment_bytes=300)
    fill(spool, 30)
    assert len(spool.segments()) > 2, "small segments force rotation"
    assert ids(spool) == [f"d{i}" for i in range(30)]
    chunks = list(spool.chunks(12, 1 << 20))
    assert [len(c.actions) for c in chunks] == [12, 12, 6]
    body = chunks[0].body()
    assert body.count(b"\n") == 24, "a chunk is a ready _bulk body"
    assert chunks[0].body([1]) == chunks[0].actions[1] + chunks[0].documents[1]
    spool.acknowledge(chunks[0].end)
    reopened = Spool(tmp_path, segment_bytes=300)
    assert ids(reopened) == [f"d{i}" for i in range(12, 30)]
    assert min(reopened.segments()) == chunks[0].end.segment, "acknowledged segments go"
    reopened.acknowledge(list(reopened.chunks(100, 1 << 20))[-1].end)
    assert list(reopened.chunks(100, 1 << 20)) == []
    assert reopened.size() == 0


def test_chunks_respect_the_byte_limit(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    fill(spool, 10)
    sizes = [len(c.actions) for c in spool.chunks(100, 100)]
    assert sum(sizes) == 10
    assert max(sizes) < 10


def test_torn_last_record_is_cut_on_reopen(tmp_path: Path) -> None:
    for torn in (
        b'{"index":{"_index":"idx","_id":"torn"}}\n{"n":',
        b'{"index":{"_in',
        b'{"index":{"_index":"idx","_id":"torn"}}\n',
    ):
        directory = tmp_path / str(len(torn))
        spool = Spool(directory)
        fill(spool, 3)
        spool.close()
        with (directory / "segment-000001.ndjson").open("ab") as fh:
            fh.write(torn)
        reopened = Spool(directory)
        fill(reopened, 1, start=3)
        assert ids(reopened) == ["d0", "d1", "d2", "d3"], torn


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
