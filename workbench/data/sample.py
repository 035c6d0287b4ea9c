"""A small deterministic set of orders for the getting-started tour and smoke tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from elasticsearch import Elasticsearch, helpers

SAMPLE_INDEX = "workbench-getting-started"
STOREFRONTS = ("shopify", "magento", "custom")
CATEGORIES = ("apparel", "electronics", "home", "beauty", "sports")
REGIONS = ("EU-West", "EU-North", "US-East", "US-West", "APAC")
MAPPING: dict[str, Any] = {
    "dynamic": "strict",
    "properties": {
        "order_id": {"type": "keyword"},
        "@timestamp": {"type": "date"},
        "storefront": {"type": "keyword"},
        "category": {"type": "keyword"},
        "region": {"type": "keyword"},
        "items": {"type": "integer"},
        "total": {"type": "double"},
        "currency": {"type": "keyword"},
    },
}


def sample_orders(
    n: int = 200, seed: int = 7, start: datetime = datetime(2026, 11, 1, tzinfo=UTC)
) -> list[dict[str, Any]]:
    """``n`` orders over 14 days; the same ``seed`` always gives the same orders."""
    rng = np.random.default_rng(seed)
    offsets = np.sort(rng.integers(0, 14 * 24 * 3600, size=n))
    storefront = rng.choice(len(STOREFRONTS), size=n, p=[0.5, 0.3, 0.2])
    category = rng.choice(len(CATEGORIES), size=n)
    region = rng.choice(len(REGIONS), size=n)
    items = rng.integers(1, 6, size=n)
    unit = rng.lognormal(mean=3.3, sigma=0.6, size=n)
    totals = np.round(items * unit, 2)
    return [
        {
            "order_id": f"GS-{seed}-{i:06d}",
            "@timestamp": (start + timedelta(seconds=int(offsets[i]))).isoformat(),
            "storefront": STOREFRONTS[storefront[i]],
            "category": CATEGORIES[category[i]],
            "region": REGIONS[region[i]],
            "items": int(items[i]),
            "total": float(totals[i]),
            "currency": "EUR",
        }
        for i in range(n)
    ]


def load_sample(es: Elasticsearch, index: str = SAMPLE_INDEX, n: int = 200, seed: int = 7) -> int:
    """Recreate ``index`` with the sample orders; returns how many are searchable."""
    es.indices.delete(index=index, ignore_unavailable=True)
    es.indices.create(
        index=index,
        settings={"number_of_shards": 1, "number_of_replicas": 0},
        mappings=MAPPING,
    )
    actions = (
        {"_index": index, "_id": doc["order_id"], "_source": doc} for doc in sample_orders(n, seed)
    )
    helpers.bulk(es, actions, refresh="wait_for")
    return int(es.count(index=index)["count"])
