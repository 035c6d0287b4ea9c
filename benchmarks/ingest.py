"""Ingestion throughput against baselines measured in the same run, on the same node.

    python benchmarks/ingest.py [--orders 4000] [--faker-rows 20000]

Needs a node at ES_URL (``workbench cluster up``) and, for the generator comparison,
Faker (``pip install -e '.[bench]'``). Prints docs/s and ratios:

* raw: pre-serialised ``_bulk`` bodies sent back to back (the node's limit);
* helpers.bulk: the official helper with default settings, from dicts;
* loader send: this loader's send phase (spool -> streaming_bulk), the part that
  competes with the two above for the node;
* loader end to end: normalise + validate + mask + spool + send, from source payloads;
* generator: synthetic store rows/s against Faker building order rows one by one.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson
from elasticsearch import Elasticsearch, helpers

from workbench.config import Settings
from workbench.connect import es_client
from workbench.data.dialects import ENTITY_ORDER, source_records
from workbench.data.store import StoreSpec, generate
from workbench.ingest.loader import Loader, LoadSummary
from workbench.ingest.mask import Masker
from workbench.ingest.normalise import normalise
from workbench.schema.templates import delete_indices, domains, install

MASKER = Masker(b"benchmark-key-0123456789")
CHUNK = 5000


def prepared(
    store_records: list[tuple[str, str, Any]], all_domains: dict[str, Any]
) -> list[tuple[str, str, dict[str, Any]]]:
    """(index, id, masked document) for every record, as the baselines receive them."""
    out = []
    for system, entity, payload in store_records:
        doc = MASKER.mask(normalise(system, entity, payload))
        out.append(
            (
                all_domains[entity].index_for(doc["@timestamp"]),
                f"{system}:{doc['source']['event_id']}",
                doc,
            )
        )
    return out


def reset(es: Elasticsearch) -> dict[str, Any]:
    delete_indices(es)
    return install(es, {"type": "double"})


def timed(label: str, es: Elasticsearch, n: int, run: Any) -> float:
    reset(es)
    began = time.perf_counter()
    run()
    es.indices.refresh(index="commerce-*")
    seconds = time.perf_counter() - began
    count = es.count(index="commerce-*")["count"]
    assert count == n, f"{label}: {count} documents indexed, expected {n}"
    rate = n / seconds
    print(f"{label:<22} {rate:>10,.0f} docs/s  ({seconds:.1f} s)")
    return rate


def raw_bulk(es: Elasticsearch, docs: list[tuple[str, str, dict[str, Any]]]) -> Any:
    bodies = []
    for start in range(0, len(docs), CHUNK):
        lines = []
        for index, doc_id, doc in docs[start : start + CHUNK]:
            lines.append(orjson.dumps({"index": {"_index": index, "_id": doc_id}}))
            lines.append(orjson.dumps(doc))
        bodies.append(b"\n".join(lines) + b"\n")

    def run() -> None:
        for body in bodies:
            response = es.bulk(operations=body)
            assert not response["errors"]

    return run


def helper_bulk(es: Elasticsearch, docs: list[tuple[str, str, dict[str, Any]]]) -> Any:
    def run() -> None:
        helpers.bulk(es, ({"_index": i, "_id": d, "_source": doc} for i, d, doc in docs))

    return run


def loader_send(
    es: Elasticsearch, records: list[tuple[str, str, Any]], job: Path, spooled: dict[str, float]
) -> Any:
    all_domains = domains({"type": "double"})
    loader = Loader(es, job, MASKER, all_domains)
    summary = LoadSummary()
    began = time.perf_counter()
    loader.spool_source(records, summary)
    spooled["seconds"] = time.perf_counter() - began

    def run() -> None:
        loader.send(summary)
        loader.close()

    return run


def loader_full(es: Elasticsearch, records: list[tuple[str, str, Any]], job: Path) -> Any:
    def run() -> None:
        loader = Loader(es, job, MASKER, domains({"type": "double"}))
        loader.run(records)
        loader.close()

    return run


def generator_vs_faker(orders: int, faker_rows: int) -> None:
    began = time.perf_counter()
    store = generate(StoreSpec(orders=orders, days=30, seed=11))
    seconds = time.perf_counter() - began
    frames = (*ENTITY_ORDER, "line_items", "sessions", "customers")
    rows = sum(len(getattr(store, name)) for name in frames)
    ours = rows / seconds
    try:
        from faker import Faker
    except ImportError:
        print("generator: Faker is not installed (pip install -e '.[bench]'); skipped")
        return
    fake = Faker()
    Faker.seed(11)
    began = time.perf_counter()
    for i in range(faker_rows):
        {
            "order_id": f"O-{i}",
            "ts": fake.date_time_this_month(),
            "email": fake.email(),
            "city": fake.city(),
            "country": fake.country_code(),
            "lat": fake.latitude(),
            "lon": fake.longitude(),
            "sku": fake.bothify("SKU-#####"),
            "total": fake.pydecimal(left_digits=3, right_digits=2, positive=True),
            "card": fake.credit_card_number(),
            "ip": fake.ipv4_public(),
        }
    baseline = faker_rows / (time.perf_counter() - began)
    print(f"{'generator':<22} {ours:>10,.0f} rows/s  ({rows:,} rows of every entity)")
    print(f"{'Faker row by row':<22} {baseline:>10,.0f} rows/s")
    print(f"generator / Faker: {ours / baseline:.1f}x (target >= 50x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=4000)
    parser.add_argument("--faker-rows", type=int, default=20000)
    args = parser.parse_args()
    es = es_client(Settings.from_env(), request_timeout=120)
    store = generate(StoreSpec(orders=args.orders, days=10, seed=7))
    records = list(source_records(store))
    docs = prepared(records, domains({"type": "double"}))
    n = len(docs)
    print(f"{n:,} documents from {args.orders:,} orders")
    work = Path(tempfile.mkdtemp(prefix="wb-bench-"))
    try:
        raw = timed("raw _bulk", es, n, raw_bulk(es, docs))
        helper = timed("helpers.bulk default", es, n, helper_bulk(es, docs))
        spooled: dict[str, float] = {}
        reset(es)
        send = timed("loader send", es, n, loader_send(es, records, work / "a", spooled))
        full = timed("loader end to end", es, n, loader_full(es, records, work / "b"))
        print(f"{'loader spool phase':<22} {n / spooled['seconds']:>10,.0f} docs/s")
        print(
            f"loader send / raw: {send / raw:.2f}x (target >= 0.9x); "
            f"loader send / helpers.bulk: {send / helper:.2f}x (target >= 1.5x); "
            f"end to end / raw: {full / raw:.2f}x"
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)
        delete_indices(es)
    generator_vs_faker(args.orders * 5, args.faker_rows)


if __name__ == "__main__":
    main()
