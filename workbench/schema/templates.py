"""Component and index templates for every commerce domain.

Layout: transactional domains are ``dynamic: strict`` in monthly indices; the behaviour
stream (events) is ``dynamic: false`` in daily indices, so unexpected fields stay in
``_source`` without growing the mapping, and free-form attributes go to one
``flattened`` field. Payments (card tokens) and customer contact (hashed e-mails and
ids with locations) live under the ``commerce-pii-`` prefix, apart from the anonymised
behaviour stream, so that roles can grant or deny them as a whole. The catalogue is a
monthly snapshot. Every index
template adds its read alias; each domain also has a write alias for live ingestion
that rolls over by age, primary shard size or document count.

Money is ``scaled_float`` (factor 100) where the cluster has mapper-extras; the local
test distribution lacks it, so money is mapped as ``double`` there and the choice is
reported by :func:`money_type`. Amounts are rounded to the cent before indexing, so
sums agree to the cent either way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from elasticsearch import Elasticsearch

from workbench.cluster.capabilities import Capability

PREFIX = "commerce"
TOTAL_FIELDS_LIMIT = 1000
KEYWORD = {"type": "keyword"}
DATE = {"type": "date"}
SOURCE = {
    "properties": {
        "system": KEYWORD,
        "event_id": KEYWORD,
        "original_timestamp": KEYWORD,
        "timezone": KEYWORD,
    }
}
GEO = {
    "properties": {
        "country": KEYWORD,
        "region": KEYWORD,
        "city": KEYWORD,
        "location": {"type": "geo_point"},
    }
}


@dataclass(frozen=True)
class Domain:
    """One kind of record: its index naming, mapping and time partitioning."""

    entity: str
    name: str
    partition: str  # "month" or "day"
    dynamic: str
    fields: dict[str, Any]
    id_field: str
    amount_field: str | None = None
    pii: bool = False

    @property
    def base(self) -> str:
        return f"{PREFIX}-pii-{self.name}" if self.pii else f"{PREFIX}-{self.name}"

    @property
    def read_alias(self) -> str:
        return self.base

    @property
    def write_alias(self) -> str:
        return f"{self.base}-live"

    @property
    def pattern(self) -> str:
        return f"{self.base}-*"

    def index_for(self, timestamp: str) -> str:
        """The time-partitioned index for a document's ``@timestamp`` (UTC)."""
        dt = datetime.fromisoformat(timestamp).astimezone(UTC)
        suffix = dt.strftime("%Y.%m.%d" if self.partition == "day" else "%Y.%m")
        return f"{self.base}-{suffix}"


def _money(money: dict[str, Any], *names: str) -> dict[str, Any]:
    return {n: money for n in names}


def domains(money: dict[str, Any]) -> dict[str, Domain]:
    line = {
        "type": "nested",
        "properties": {
            "sku": KEYWORD,
            "category": KEYWORD,
            "quantity": {"type": "integer"},
            **_money(money, "unit_price", "discount", "line_total"),
            "promotion_id": KEYWORD,
        },
    }
    person = {"properties": {"id": KEYWORD, "email_hash": KEYWORD}}
    client = {"properties": {"ip": {"type": "ip"}}}
    return {
        d.entity: d
        for d in (
            Domain(
                "products",
                "catalogue",
                "month",
                "strict",
                {
                    "sku": KEYWORD,
                    "name": {"type": "text", "fields": {"raw": KEYWORD}},
                    "category": KEYWORD,
                    "brand": KEYWORD,
                    **_money(money, "price_eur", "cost_eur"),
                },
                "sku",
            ),
            Domain(
                "customers",
                "customers",
                "month",
                "strict",
                {
                    "record_id": KEYWORD,
                    "customer": person,
                    "geo": {"properties": {"country": KEYWORD, "region": KEYWORD, "city": KEYWORD}},
                },
                "record_id",
                pii=True,
            ),
            Domain(
                "orders",
                "orders",
                "month",
                "strict",
                {
                    "order_id": KEYWORD,
                    "session_id": KEYWORD,
                    "device": KEYWORD,
                    "campaign": KEYWORD,
                    "currency": KEYWORD,
                    "items": {"type": "integer"},
                    "line_items": line,
                    **_money(
                        money, "subtotal", "discount", "tax", "shipping", "total", "total_eur"
                    ),
                    "customer": person,
                    "geo": GEO,
                    "client": client,
                },
                "order_id",
                "total_eur",
            ),
            Domain(
                "events",
                "events",
                "day",
                "false",
                {
                    "event_id": KEYWORD,
                    "event": {"properties": {"type": KEYWORD}},
                    "session_id": KEYWORD,
                    "device": KEYWORD,
                    "campaign": KEYWORD,
                    "is_bot": {"type": "boolean"},
                    "user": person,
                    "product": {
                        "properties": {"sku": KEYWORD, "category": KEYWORD, "price_eur": money}
                    },
                    "search": {
                        "properties": {"query": {"type": "text", "fields": {"raw": KEYWORD}}}
                    },
                    "attributes": {"type": "flattened"},
                    "geo": GEO,
                    "client": client,
                },
                "event_id",
            ),
            Domain(
                "payments",
                "payments",
                "month",
                "strict",
                {
                    "payment_id": KEYWORD,
                    "order_id": KEYWORD,
                    "session_id": KEYWORD,
                    "gateway": KEYWORD,
                    "status": KEYWORD,
                    "decline_code": KEYWORD,
                    "currency": KEYWORD,
                    **_money(money, "amount", "amount_eur"),
                    "card": {"properties": {"token": KEYWORD, "last4": KEYWORD, "brand": KEYWORD}},
                },
                "payment_id",
                "amount_eur",
                pii=True,
            ),
            Domain(
                "refunds",
                "refunds",
                "month",
                "strict",
                {
                    "refund_id": KEYWORD,
                    "order_id": KEYWORD,
                    "currency": KEYWORD,
                    **_money(money, "amount", "amount_eur"),
                    "reason": KEYWORD,
                    "partial": {"type": "boolean"},
                },
                "refund_id",
                "amount_eur",
            ),
            Domain(
                "shipments",
                "shipments",
                "month",
                "strict",
                {
                    "shipment_id": KEYWORD,
                    "order_id": KEYWORD,
                    "carrier": KEYWORD,
                    "delay_hours": {"type": "float"},
                    "geo": GEO,
                },
                "shipment_id",
            ),
            Domain(
                "inventory",
                "inventory",
                "month",
                "strict",
                {
                    "update_id": KEYWORD,
                    "sku": KEYWORD,
                    "delta": {"type": "integer"},
                    "reason": KEYWORD,
                },
                "update_id",
            ),
            Domain(
                "price_updates",
                "prices",
                "month",
                "strict",
                {
                    "update_id": KEYWORD,
                    "sku": KEYWORD,
                    **_money(money, "old_price_eur", "new_price_eur"),
                    "actor": KEYWORD,
                },
                "update_id",
            ),
        )
    }


def money_type(capabilities: dict[str, Capability]) -> dict[str, Any]:
    """``scaled_float`` where mapper-extras exists, else ``double`` (stated in the README)."""
    if capabilities.get("mapper_extras") and capabilities["mapper_extras"].available:
        return {"type": "scaled_float", "scaling_factor": 100}
    return {"type": "double"}


def common_component(replicas: int) -> dict[str, Any]:
    return {
        "settings": {
            "number_of_replicas": replicas,
            "index.mapping.total_fields.limit": TOTAL_FIELDS_LIMIT,
        },
        "mappings": {"properties": {"@timestamp": DATE, "storefront": KEYWORD, "source": SOURCE}},
    }


def index_template(domain: Domain, shards: int) -> dict[str, Any]:
    return {
        "index_patterns": [domain.pattern],
        "composed_of": [f"{PREFIX}-common", f"{domain.base}-mappings"],
        "priority": 200,
        "template": {"settings": {"number_of_shards": shards}, "aliases": {domain.read_alias: {}}},
        "_meta": {"managed_by": "commerce-workbench", "entity": domain.entity},
    }


def install(
    es: Elasticsearch, money: dict[str, Any], replicas: int = 0, shards: int = 1
) -> dict[str, Domain]:
    """Create or update every component and index template; returns the domains."""
    es.cluster.put_component_template(name=f"{PREFIX}-common", template=common_component(replicas))
    all_domains = domains(money)
    for domain in all_domains.values():
        es.cluster.put_component_template(
            name=f"{domain.base}-mappings",
            template={"mappings": {"dynamic": domain.dynamic, "properties": domain.fields}},
        )
        body = index_template(domain, shards)
        es.indices.put_index_template(name=domain.base, **body)
    return all_domains


ROLLOVER_CONDITIONS = {"max_age": "1d", "max_primary_shard_size": "10gb", "max_docs": 50_000_000}


def bootstrap_write_alias(es: Elasticsearch, domain: Domain) -> str:
    """Create ``<base>-live-000001`` as the write index behind the domain's write alias."""
    if es.indices.exists_alias(name=domain.write_alias):
        return domain.write_alias
    first = f"{domain.base}-live-000001"
    es.indices.create(index=first, aliases={domain.write_alias: {"is_write_index": True}})
    return first


def rollover(
    es: Elasticsearch,
    domain: Domain,
    conditions: dict[str, Any] | None = None,
    dry_run: bool = False,
) -> dict[str, Any]:
    """Roll the write alias over when any condition is met (the rollover API decides)."""
    response = es.indices.rollover(
        alias=domain.write_alias, conditions=conditions or ROLLOVER_CONDITIONS, dry_run=dry_run
    )
    return dict(response.body)


def delete_indices(es: Elasticsearch) -> list[str]:
    """Delete every ``commerce-*`` index (names resolved first: wildcard deletes are
    refused by clusters with ``action.destructive_requires_name``)."""
    names = sorted(es.indices.get(index=f"{PREFIX}-*", expand_wildcards="all").body)
    for start in range(0, len(names), 50):
        es.indices.delete(index=",".join(names[start : start + 50]))
    return names
