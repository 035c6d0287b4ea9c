"""Check normalised documents before they are sent; each problem becomes a reason."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any, TypeGuard

from workbench.data.geo import EUR_PER_UNIT
from workbench.data.store import EVENT_TYPES, STOREFRONTS

ID_FIELD = {
    "products": "sku",
    "customers": "record_id",
    "orders": "order_id",
    "events": "event_id",
    "payments": "payment_id",
    "refunds": "refund_id",
    "shipments": "shipment_id",
    "inventory": "update_id",
    "price_updates": "update_id",
}
MONEY = {
    "orders": ("subtotal", "discount", "tax", "shipping", "total", "total_eur"),
    "payments": ("amount", "amount_eur"),
    "refunds": ("amount", "amount_eur"),
    "price_updates": ("old_price_eur", "new_price_eur"),
    "products": ("price_eur", "cost_eur"),
}
PAYMENT_STATUS = {"success", "declined", "error"}


def _number(value: Any) -> TypeGuard[float]:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def problems(entity: str, doc: dict[str, Any]) -> list[str]:
    """Everything wrong with ``doc``; empty when it may be indexed."""
    out: list[str] = []
    key = ID_FIELD[entity]
    if not isinstance(doc.get(key), str) or not doc[key]:
        out.append(f"{key} is missing or empty")
    try:
        datetime.fromisoformat(str(doc.get("@timestamp")))
    except ValueError:
        out.append(f"@timestamp {doc.get('@timestamp')!r} is not ISO 8601")
    if doc.get("storefront") not in (*STOREFRONTS, "all"):
        out.append(f"unknown storefront {doc.get('storefront')!r}")
    if "currency" in doc and doc["currency"] not in EUR_PER_UNIT:
        out.append(f"unknown currency {doc['currency']!r}")
    for name in MONEY.get(entity, ()):
        value = doc.get(name)
        if not _number(value) or value < 0:
            out.append(f"{name} must be a non-negative number, got {value!r}")
    geo = doc.get("geo")
    if isinstance(geo, dict) and "location" in geo:
        loc = geo.get("location") or {}
        lat, lon = loc.get("lat"), loc.get("lon")
        if not (_number(lat) and _number(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
            out.append(f"geo.location ({lat!r}, {lon!r}) is not a valid coordinate")
    if entity == "orders":
        lines = doc.get("line_items") or []
        if not lines:
            out.append("an order needs at least one line item")
        for i, line in enumerate(lines):
            if not isinstance(line.get("quantity"), int) or line["quantity"] < 1:
                out.append(f"line_items[{i}].quantity must be a positive integer")
            if not _number(line.get("unit_price")) or line["unit_price"] < 0:
                out.append(f"line_items[{i}].unit_price must be a non-negative number")
    if entity == "events" and (doc.get("event") or {}).get("type") not in EVENT_TYPES:
        out.append(f"unknown event type {(doc.get('event') or {}).get('type')!r}")
    if entity == "payments" and doc.get("status") not in PAYMENT_STATUS:
        out.append(f"unknown payment status {doc.get('status')!r}")
    if entity == "refunds" and _number(doc.get("amount")) and doc["amount"] == 0:
        out.append("a refund of zero")
    return out
