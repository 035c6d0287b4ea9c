"""The node is a working Elasticsearch, proven through the official client."""

import uuid
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from elasticsearch import Elasticsearch, helpers

from workbench.cluster.capabilities import probe_capabilities
from workbench.data.sample import MAPPING, sample_orders

pytestmark = pytest.mark.cluster
INDEX = "wbtest-orders-2026.11"


@pytest.fixture(scope="module")
def orders(es: Elasticsearch) -> Iterator[list[dict[str, Any]]]:
    es.cluster.put_component_template(
        name="wbtest-orders-mappings",
        template={"mappings": MAPPING},
    )
    es.indices.put_index_template(
        name="wbtest-orders",
        index_patterns=["wbtest-orders-*"],
        composed_of=["wbtest-orders-mappings"],
        template={"settings": {"number_of_shards": 2, "number_of_replicas": 0}},
    )
    es.indices.delete(index=INDEX, ignore_unavailable=True)
    docs = sample_orders(1000, seed=42)
    ok, errors = helpers.bulk(
        es, ({"_index": INDEX, "_id": d["order_id"], "_source": d} for d in docs), refresh=True
    )
    assert (ok, errors) == (1000, [])
    yield docs
    es.indices.delete(index=INDEX, ignore_unavailable=True)
    es.indices.delete_index_template(name="wbtest-orders")
    es.cluster.delete_component_template(name="wbtest-orders-mappings")


def test_responses_carry_the_product_header(es: Elasticsearch) -> None:
    response = es.cluster.health()
    assert response.meta.headers["x-elastic-product"] == "Elasticsearch"
    versions = {n["version"] for n in es.nodes.info(metric="_none")["nodes"].values()}
    assert all(int(v.split(".")[0]) >= 8 for v in versions)


def test_template_shapes_the_index(es: Elasticsearch, orders: list[dict[str, Any]]) -> None:
    mapping = es.indices.get_mapping(index=INDEX)[INDEX]["mappings"]
    assert mapping["dynamic"] == "strict"
    assert mapping["properties"]["storefront"] == {"type": "keyword"}
    settings = es.indices.get_settings(index=INDEX)[INDEX]["settings"]["index"]
    assert settings["number_of_shards"] == "2"
    assert es.count(index=INDEX)["count"] == len(orders)


def test_search_matches_the_source(es: Elasticsearch, orders: list[dict[str, Any]]) -> None:
    expected = sorted(
        d["order_id"] for d in orders if d["storefront"] == "magento" and d["total"] >= 100
    )
    response = es.search(
        index=INDEX,
        query={
            "bool": {
                "filter": [{"term": {"storefront": "magento"}}, {"range": {"total": {"gte": 100}}}]
            }
        },
        size=1000,
        sort=[{"order_id": "asc"}],
        source=["order_id"],
    )
    assert [h["_source"]["order_id"] for h in response["hits"]["hits"]] == expected
    assert expected, "the sample should contain such orders"


def test_composite_aggregation_pages_through_every_bucket(
    es: Elasticsearch, orders: list[dict[str, Any]]
) -> None:
    counts: Counter[tuple[str, str]] = Counter()
    after: dict[str, Any] | None = None
    pages = 0
    while True:
        composite: dict[str, Any] = {
            "size": 4,
            "sources": [
                {"storefront": {"terms": {"field": "storefront"}}},
                {"category": {"terms": {"field": "category"}}},
            ],
        }
        if after:
            composite["after"] = after
        agg = es.search(index=INDEX, size=0, aggs={"pairs": {"composite": composite}})
        buckets = agg["aggregations"]["pairs"]["buckets"]
        if not buckets:
            break
        pages += 1
        for b in buckets:
            counts[(b["key"]["storefront"], b["key"]["category"])] += b["doc_count"]
        after = agg["aggregations"]["pairs"]["after_key"]
    assert counts == Counter((d["storefront"], d["category"]) for d in orders)
    assert pages >= 4


def test_snapshot_and_restore(es: Elasticsearch, orders: list[dict[str, Any]]) -> None:
    caps = probe_capabilities(es)
    assert caps["fs_snapshots"].available, caps["fs_snapshots"].detail
    repo_path = caps["fs_snapshots"].detail.split(": ", 1)[1].split(", ")[0]
    es.snapshot.create_repository(
        name="wbtest-repo", repository={"type": "fs", "settings": {"location": repo_path}}
    )
    name = f"wbtest-snap-{uuid.uuid4().hex[:8]}"
    try:
        snap = es.snapshot.create(
            repository="wbtest-repo",
            snapshot=name,
            indices=INDEX,
            wait_for_completion=True,
        )
        assert snap["snapshot"]["state"] == "SUCCESS"
        restored = "wbtest-restored"
        es.snapshot.restore(
            repository="wbtest-repo",
            snapshot=name,
            indices=INDEX,
            rename_pattern="(.+)",
            rename_replacement=restored,
            wait_for_completion=True,
        )
        es.indices.refresh(index=restored)
        hits = helpers.scan(es, index=restored, query={"query": {"match_all": {}}})
        assert sorted((h["_source"] for h in hits), key=lambda d: d["order_id"]) == orders
        es.indices.delete(index=restored)
    finally:
        es.options(ignore_status=404).snapshot.delete(repository="wbtest-repo", snapshot=name)
        es.snapshot.delete_repository(name="wbtest-repo")


def test_capabilities_agree_with_loaded_modules(es: Elasticsearch) -> None:
    modules = {
        m["name"]
        for node in es.nodes.info(metric="plugins")["nodes"].values()
        for m in node["modules"]
    }
    caps = probe_capabilities(es)
    assert caps["painless"].available == ("lang-painless" in modules)
    assert caps["reindex"].available == ("reindex" in modules)
    assert caps["mapper_extras"].available == ("mapper-extras" in modules)
    assert caps["ingest_pipelines"].available == ("ingest-common" in modules)
