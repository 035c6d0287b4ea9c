"""Ingestion against the real node: exact reconciliation, dead letters, mapping guards."""

from __future__ import annotations

import copy
import json
import os
import random
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import orjson
import pytest
from elasticsearch import Elasticsearch

from workbench.cluster.capabilities import probe_capabilities
from workbench.data.dialects import source_records
from workbench.data.store import StoreSpec, generate
from workbench.ingest.deadletter import read
from workbench.ingest.loader import Loader
from workbench.ingest.mask import Masker
from workbench.ingest.reconcile import es_totals, reconcile_job
from workbench.ingest.seed import record_count
from workbench.schema.conflicts import field_conflicts
from workbench.schema.templates import (
    TOTAL_FIELDS_LIMIT,
    Domain,
    bootstrap_write_alias,
    delete_indices,
    install,
    money_type,
    rollover,
)

pytestmark = pytest.mark.cluster
MASKER = Masker(b"cluster-test-key-0123456789")


@pytest.fixture
def domains(es: Elasticsearch) -> dict[str, Domain]:
    delete_indices(es)
    return install(es, money_type(probe_capabilities(es)))


def load(es: Elasticsearch, domains: dict[str, Domain], job: Path, records: Any) -> Loader:
    loader = Loader(es, job, MASKER, domains, chunk_size=500)
    loader.run(records)
    loader.close()
    return loader


def test_load_reconciles_exactly_and_replays_without_duplicates(
    es: Elasticsearch, domains: dict[str, Domain], tmp_path: Path
) -> None:
    store = generate(StoreSpec(orders=600, days=5, seed=101))
    loader = load(es, domains, tmp_path / "first", source_records(store))
    result = reconcile_job(es, domains, store.totals, loader.dead_letter_path)
    assert result.passed, result.differences()
    assert result.verdict()["metrics"]["indexed"] == record_count(store)
    # The same source loaded again (a new job) overwrites the same _ids: no duplicates.
    again = load(es, domains, tmp_path / "second", source_records(store))
    assert reconcile_job(es, domains, store.totals, again.dead_letter_path).passed
    # Masking happened on the way in.
    hit = es.search(index=domains["payments"].read_alias, size=1)["hits"]["hits"][0]["_source"]
    assert set(hit["card"]) == {"token", "last4", "brand"}
    order = es.search(index=domains["orders"].read_alias, size=1)["hits"]["hits"][0]["_source"]
    assert "email" not in order["customer"]
    assert order["client"]["ip"].endswith(".0")


def corrupt(
    records: list[tuple[str, str, Any]], rate: float, seed: int
) -> tuple[list[tuple[str, str, Any]], Counter[str]]:
    """Break ``rate`` of the records in ways each stage must catch; count them by kind."""
    rng = random.Random(seed)
    out, kinds = [], Counter[str]()
    for system, entity, payload in records:
        if rng.random() >= rate:
            out.append((system, entity, payload))
            continue
        bad = copy.deepcopy(payload)
        if entity == "orders" and system == "shopify":
            bad["note_attributes"][0]["value"] = {"not": "a keyword"}  # strict mapping
            kind = "index"
        elif entity == "events" and system == "magento":
            bad["device_type"] = {"model": "x"}  # mapped keyword, gets an object
            kind = "index"
        elif entity == "payments" and system == "custom":
            bad["amountMinor"] = -500  # negative money
            kind = "validate"
        elif system == "custom" and entity == "events":
            bad["ts"] = "not-a-time"  # day unknown
            kind = "normalise"
        else:
            bad.pop(next(iter(bad)))  # a required field goes missing
            kind = "normalise"
        kinds[kind] += 1
        out.append((system, entity, bad))
    return out, kinds


def test_every_rejected_record_is_dead_lettered_with_its_reason(
    es: Elasticsearch, domains: dict[str, Domain], tmp_path: Path
) -> None:
    store = generate(StoreSpec(orders=800, days=5, seed=202))
    records, kinds = corrupt(list(source_records(store)), rate=0.01, seed=7)
    assert kinds["index"] > 0
    assert kinds["normalise"] > 0
    assert kinds["validate"] > 0
    loader = load(es, domains, tmp_path / "job", records)
    dead = read(loader.dead_letter_path)
    assert Counter(d["stage"] for d in dead) == kinds
    assert all(d["reason"] for d in dead)
    index_reasons = {d["reason"].split(":")[0] for d in dead if d["stage"] == "index"}
    assert index_reasons <= {
        "HTTP 400 document_parsing_exception",
        "HTTP 400 mapper_parsing_exception",
    }, index_reasons
    result = reconcile_job(es, domains, store.totals, loader.dead_letter_path)
    assert result.passed, result.differences()
    metrics = result.verdict()["metrics"]
    assert metrics["indexed"] + metrics["dead_lettered"] == metrics["source_records"]
    assert metrics["dead_lettered"] == sum(kinds.values())


def test_extra_fields_neither_grow_the_mapping_nor_lose_documents(
    es: Elasticsearch, domains: dict[str, Domain], tmp_path: Path
) -> None:
    rng = random.Random(5)
    records = []
    for i in range(40):
        props = {f"x_{rng.getrandbits(40):x}": rng.choice(["a", 1, 2.5, True]) for _ in range(5000)}
        props["marker"] = f"m{i}"
        payload = {
            "eventId": f"EXTRA-{i}",
            "eventType": "product_view",
            "ts": 1_790_000_000_000 + i,
            "sessionId": f"S-{i}",
            "geo": {
                "country": "DE",
                "region": "Berlin",
                "city": "Berlin",
                "lat": 52.52,
                "lon": 13.405,
            },
            "props": props,
            **{f"top_{j}": j for j in range(50)},
        }
        records.append(("custom", "events", payload))
    load(es, domains, tmp_path / "job", records)
    index = domains["events"].read_alias
    assert es.count(index=index)["count"] == 40
    mapping = es.indices.get_mapping(index=index)
    for body in mapping.values():
        assert len(str(body["mappings"])) < 20_000
    fields = es.field_caps(index=index, fields="*")["fields"]
    assert len(fields) < TOTAL_FIELDS_LIMIT
    hit = es.search(index=index, query={"term": {"attributes.marker": "m7"}})
    assert hit["hits"]["total"]["value"] == 1


def test_rollover_moves_the_write_alias(es: Elasticsearch, domains: dict[str, Domain]) -> None:
    orders = domains["orders"]
    first = bootstrap_write_alias(es, orders)
    for i in range(3):
        es.index(
            index=orders.write_alias,
            id=f"live-{i}",
            refresh=True,
            document={
                "order_id": f"live-{i}",
                "@timestamp": "2026-11-01T00:00:00Z",
                "storefront": "custom",
            },
        )
    assert rollover(es, orders, {"max_docs": 10}, dry_run=True)["rolled_over"] is False
    result = rollover(es, orders, {"max_docs": 2})
    assert result["rolled_over"] is True
    assert result["old_index"] == first
    assert result["new_index"] == f"{orders.base}-live-000002"
    aliases = es.indices.get_alias(name=orders.write_alias)
    assert aliases[result["new_index"]]["aliases"][orders.write_alias]["is_write_index"] is True
    es.index(
        index=orders.write_alias,
        id="live-3",
        refresh=True,
        document={
            "order_id": "live-3",
            "@timestamp": "2026-11-01T00:00:00Z",
            "storefront": "custom",
        },
    )
    assert es.count(index=orders.read_alias)["count"] == 4, "the read alias spans both"


def test_field_caps_conflicts_across_storefront_exports(es: Elasticsearch) -> None:
    for name in ("raw-shopify-orders", "raw-custom-orders"):
        es.indices.delete(index=name, ignore_unavailable=True)
    es.indices.create(
        index="raw-shopify-orders",
        mappings={"properties": {"total_price": {"type": "keyword"}, "id": {"type": "long"}}},
    )
    es.indices.create(
        index="raw-custom-orders",
        mappings={"properties": {"total_price": {"type": "long"}, "id": {"type": "long"}}},
    )
    try:
        report = field_conflicts(es, "raw-*-orders")
        assert report["field"].tolist() == ["total_price"]
        (row,) = report.to_dict("records")
        assert row["types"] == ["keyword", "long"]
        assert row["indices"] == {"keyword": ["raw-shopify-orders"], "long": ["raw-custom-orders"]}
    finally:
        es.indices.delete(index="raw-shopify-orders,raw-custom-orders")


def test_money_mapping_follows_the_cluster(es: Elasticsearch, domains: dict[str, Domain]) -> None:
    expected = money_type(probe_capabilities(es))
    template = es.cluster.get_component_template(name="commerce-orders-mappings")
    props = template["component_templates"][0]["component_template"]["template"]["mappings"][
        "properties"
    ]
    assert props["total"] == expected
    assert es_totals(es, domains).empty


def test_ndjson_export_goes_through_the_same_path(es: Elasticsearch, tmp_path: Path) -> None:
    store = generate(StoreSpec(orders=150, days=2, seed=404))
    lines = [orjson.dumps(p) for s, _, p in source_records(store, ("orders",)) if s == "magento"]
    broken = [b'{"entity_id": 1, "increment_id": "O-x", ', b"[1, 2, 3]", b"not json at all"]
    export = tmp_path / "magento-orders.ndjson"
    export.write_bytes(b"\n".join([*lines[:10], broken[0], *lines[10:], broken[1], broken[2]]))
    env = {**os.environ, "WORKBENCH_HOME": str(tmp_path / "home")}
    command = [
        sys.executable,
        "-m",
        "workbench",
        "ingest",
        str(export),
        "--system",
        "magento",
        "--entity",
        "orders",
    ]
    first = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    assert first.returncode == 0, first.stderr
    report = json.loads(first.stdout)
    assert report["indexed"] == len(lines)
    assert report["dead_lettered_total"] == 3
    dead = read(Path(report["dead_letters"]))
    reasons = sorted(d["reason"] for d in dead)
    assert sum("is not JSON" in r for r in reasons) == 2
    assert any("not a JSON object" in r for r in reasons)
    es.indices.refresh(index="commerce-orders")
    ids = [orjson.loads(line)["increment_id"] for line in lines]
    found = es.count(index="commerce-orders", query={"terms": {"order_id": ids}})["count"]
    assert found == len(lines)
    again = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    assert json.loads(again.stdout)["skipped_on_resume"] == len(lines) + 3
    assert es.count(index="commerce-orders", query={"terms": {"order_id": ids}})["count"] == found
