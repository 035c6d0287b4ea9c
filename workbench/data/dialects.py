"""Render the synthetic store as the payloads real storefronts send.

Three dialects differ in field names, nesting, timestamp formats and money encodings:

* ``shopify`` (Shopify-like): snake_case, ISO 8601 timestamps with the shop's UTC offset
  (America/New_York), money as decimal strings.
* ``magento`` (Magento-like): snake_case with ``entity_id``/``increment_id``, naive
  ``YYYY-MM-DD HH:MM:SS`` timestamps in UTC (as Magento's REST API returns them), money
  as floats, the card number in ``additional_information``.
* ``custom`` (a custom checkout API): camelCase, epoch milliseconds, money as integer
  minor units (cents; yen have none).

Shipments, inventory and price updates come from one back-office ``feed`` format.
``source_records`` yields ``(system, entity, payload)`` in a deterministic order.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from workbench.data.geo import CITIES, MINOR_UNITS
from workbench.data.store import Store

SHOP_TZ = ZoneInfo("America/New_York")
SHOPIFY_EVENTS = {
    "product_view": "product_viewed",
    "search": "search_submitted",
    "add_to_cart": "product_added_to_cart",
    "remove_from_cart": "product_removed_from_cart",
    "checkout_start": "checkout_started",
    "payment_submitted": "payment_info_submitted",
    "purchase": "checkout_completed",
}
MAGENTO_EVENTS = {
    "product_view": "catalog_product_view",
    "search": "catalogsearch_query",
    "add_to_cart": "checkout_cart_add_product",
    "remove_from_cart": "sales_quote_remove_item",
    "checkout_start": "checkout_onepage_index",
    "payment_submitted": "sales_order_payment_place",
    "purchase": "checkout_onepage_success",
}
CUSTOM_STATUS = {"success": "APPROVED", "declined": "DECLINED", "error": "ERROR"}
SHOPIFY_STATUS = {"success": "success", "declined": "failure", "error": "error"}
ENTITY_ORDER = (
    "products",
    "customers",
    "orders",
    "events",
    "payments",
    "refunds",
    "shipments",
    "inventory",
    "price_updates",
)


def shopify_time(ts: int) -> str:
    return datetime.fromtimestamp(ts, SHOP_TZ).isoformat()


def magento_time(ts: int) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%S")


def epoch_ms(ts: int) -> int:
    return int(ts) * 1000


def decimal_string(amount: float, currency: str) -> str:
    return f"{amount:.{MINOR_UNITS[currency]}f}"


def minor_units(amount: float, currency: str) -> int:
    return round(amount * 10.0 ** MINOR_UNITS[currency])


def _clean(value: Any) -> Any:
    """numpy scalars and NaN/None to plain JSON values."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


def _plain(series: pd.Series) -> list[Any]:
    """A whole column as plain values; only columns that can hold NaN or numpy scalars
    are cleaned value by value."""
    values = series.tolist()
    if series.dtype == object or series.hasnans:
        return [_clean(v) for v in values]
    return values


def _rows(frame: pd.DataFrame) -> Iterator[dict[str, Any]]:
    """Each row as a dict of plain values. Columns are converted whole: reading
    Arrow-backed string columns element by element is several times slower."""
    columns = list(frame.columns)
    for values in zip(*(_plain(frame[c]) for c in columns), strict=True):
        yield dict(zip(columns, values, strict=True))


def render_order(o: dict[str, Any], lines: list[dict[str, Any]]) -> dict[str, Any]:
    ccy = o["currency"]
    system = o["storefront"]
    if system == "shopify":
        return {
            "id": int(o["order_id"].rsplit("-", 1)[1]) + 450_000_000,
            "name": o["order_id"],
            "created_at": shopify_time(o["ts"]),
            "currency": ccy,
            "subtotal_price": decimal_string(o["subtotal"], ccy),
            "total_discounts": decimal_string(o["discount"], ccy),
            "total_tax": decimal_string(o["tax"], ccy),
            "total_price": decimal_string(o["total"], ccy),
            "total_shipping_price_set": {
                "shop_money": {"amount": decimal_string(o["shipping"], ccy), "currency_code": ccy}
            },
            "email": o["email"],
            "customer": {"id": o["customer_id"], "email": o["email"]},
            "browser_ip": o["ip"],
            "shipping_address": {
                "city": o["city"],
                "province": o["region"],
                "country_code": o["country"],
                "latitude": o["lat"],
                "longitude": o["lon"],
            },
            "note_attributes": [
                {"name": "session_id", "value": o["session_id"]},
                {"name": "device", "value": o["device"]},
            ],
            "landing_site": f"/?utm_campaign={o['campaign']}",
            "line_items": [
                {
                    "sku": li["sku"],
                    "product_type": li["category"],
                    "quantity": li["quantity"],
                    "price": decimal_string(li["unit_price"], ccy),
                    "total_discount": decimal_string(li["discount"], ccy),
                    "discount_code": li["promotion_id"],
                }
                for li in lines
            ],
        }
    if system == "magento":
        return {
            "entity_id": int(o["order_id"].rsplit("-", 1)[1]) + 1,
            "increment_id": o["order_id"],
            "created_at": magento_time(o["ts"]),
            "order_currency_code": ccy,
            "subtotal": o["subtotal"],
            "discount_amount": -o["discount"],
            "tax_amount": o["tax"],
            "shipping_amount": o["shipping"],
            "grand_total": o["total"],
            "customer_id": o["customer_id"],
            "customer_email": o["email"],
            "remote_ip": o["ip"],
            "extension_attributes": {
                "shipping_assignments": [
                    {
                        "shipping": {
                            "address": {
                                "city": o["city"],
                                "region": o["region"],
                                "country_id": o["country"],
                                "lat": o["lat"],
                                "lng": o["lon"],
                            }
                        }
                    }
                ],
                "session": {
                    "id": o["session_id"],
                    "device": o["device"],
                    "utm_campaign": o["campaign"],
                },
            },
            "items": [
                {
                    "sku": li["sku"],
                    "qty_ordered": float(li["quantity"]),
                    "price": li["unit_price"],
                    "discount_amount": li["discount"],
                    "product_options": {"category": li["category"]},
                    "applied_rule_ids": li["promotion_id"] or "",
                }
                for li in lines
            ],
        }
    return {
        "orderId": o["order_id"],
        "placedAt": epoch_ms(o["ts"]),
        "currency": ccy,
        "subtotalMinor": minor_units(o["subtotal"], ccy),
        "discountMinor": minor_units(o["discount"], ccy),
        "taxMinor": minor_units(o["tax"], ccy),
        "shippingMinor": minor_units(o["shipping"], ccy),
        "totalMinor": minor_units(o["total"], ccy),
        "customer": {"id": o["customer_id"], "email": o["email"]},
        "client": {
            "ip": o["ip"],
            "device": o["device"],
            "sessionId": o["session_id"],
            "campaign": o["campaign"],
        },
        "geo": {
            "city": o["city"],
            "region": o["region"],
            "country": o["country"],
            "lat": o["lat"],
            "lon": o["lon"],
        },
        "lines": [
            {
                "sku": li["sku"],
                "category": li["category"],
                "qty": li["quantity"],
                "unitMinor": minor_units(li["unit_price"], ccy),
                "discountMinor": minor_units(li["discount"], ccy),
                "promo": li["promotion_id"],
            }
            for li in lines
        ],
    }


def render_event(e: dict[str, Any], customer_ids: list[str]) -> dict[str, Any]:
    city = CITIES[e["city_idx"]]
    customer = customer_ids[e["customer_idx"]] if e["customer_idx"] >= 0 else None
    system = e["storefront"]
    if system == "shopify":
        data: dict[str, Any] = {}
        if e["sku"]:
            data["productVariant"] = {
                "sku": e["sku"],
                "product": {"type": e["category"]},
                "price": {"amount": e["price_eur"], "currencyCode": "EUR"},
            }
        if e["query"]:
            data["searchResult"] = {"query": e["query"]}
        return {
            "id": e["event_id"],
            "name": SHOPIFY_EVENTS[e["type"]],
            "timestamp": shopify_time(e["ts"]),
            "clientId": e["session_id"],
            "customerId": customer,
            "context": {
                "navigator": {"userAgent": "bot" if e["is_bot"] else e["device"]},
                "client": {"ip": e["ip"]},
                "document": {"location": {"search": f"?utm_campaign={e['campaign']}"}},
            },
            "geo": {
                "country": city.country,
                "region": city.region,
                "city": city.city,
                "latitude": city.lat,
                "longitude": city.lon,
            },
            "data": data,
        }
    if system == "magento":
        return {
            "event_id": e["event_id"],
            "event_type": MAGENTO_EVENTS[e["type"]],
            "created_at": magento_time(e["ts"]),
            "session_id": e["session_id"],
            "customer_id": customer,
            "remote_ip": e["ip"],
            "device_type": e["device"],
            "is_robot": e["is_bot"],
            "utm_campaign": e["campaign"],
            "product": {"sku": e["sku"], "category": e["category"], "price": e["price_eur"]}
            if e["sku"]
            else None,
            "query_text": e["query"],
            "geoip": {
                "country_code": city.country,
                "region_name": city.region,
                "city_name": city.city,
                "location": [city.lon, city.lat],
            },
        }
    props: dict[str, Any] = {}
    if e["sku"]:
        props.update(
            sku=e["sku"], category=e["category"], priceMinor=minor_units(e["price_eur"], "EUR")
        )
    if e["query"]:
        props["query"] = e["query"]
    return {
        "eventId": e["event_id"],
        "eventType": e["type"],
        "ts": epoch_ms(e["ts"]),
        "sessionId": e["session_id"],
        "userId": customer,
        "bot": e["is_bot"],
        "client": {"ip": e["ip"], "device": e["device"], "campaign": e["campaign"]},
        "geo": {
            "country": city.country,
            "region": city.region,
            "city": city.city,
            "lat": city.lat,
            "lon": city.lon,
        },
        "props": props,
    }


def render_payment(p: dict[str, Any]) -> dict[str, Any]:
    ccy = p["currency"]
    system = p["storefront"]
    if system == "shopify":
        return {
            "id": p["payment_id"],
            "order_id": p["order_id"],
            "checkout_token": p["session_id"],
            "kind": "sale",
            "gateway": p["gateway"],
            "status": SHOPIFY_STATUS[p["status"]],
            "error_code": p["decline_code"],
            "amount": decimal_string(p["amount"], ccy),
            "currency": ccy,
            "created_at": shopify_time(p["ts"]),
            "payment_details": {
                "credit_card_number": p["card_number"],
                "credit_card_company": p["card_brand"].title(),
            },
        }
    if system == "magento":
        return {
            "transaction_id": p["payment_id"],
            "order_increment_id": p["order_id"],
            "quote_session": p["session_id"],
            "txn_type": "capture",
            "method": p["gateway"],
            "state": p["status"],
            "decline_reason": p["decline_code"],
            "amount": p["amount"],
            "currency_code": ccy,
            "created_at": magento_time(p["ts"]),
            "additional_information": {"cc_number": p["card_number"], "cc_type": p["card_brand"]},
        }
    return {
        "paymentId": p["payment_id"],
        "orderId": p["order_id"],
        "sessionId": p["session_id"],
        "psp": p["gateway"],
        "result": CUSTOM_STATUS[p["status"]],
        "reason": p["decline_code"],
        "amountMinor": minor_units(p["amount"], ccy),
        "currency": ccy,
        "ts": epoch_ms(p["ts"]),
        "card": {"pan": p["card_number"], "brand": p["card_brand"]},
    }


def render_refund(r: dict[str, Any]) -> dict[str, Any]:
    ccy = r["currency"]
    system = r["storefront"]
    if system == "shopify":
        return {
            "id": r["refund_id"],
            "order_id": r["order_id"],
            "created_at": shopify_time(r["ts"]),
            "note": r["reason"],
            "restock": not r["partial"],
            "transactions": [
                {"kind": "refund", "amount": decimal_string(r["amount"], ccy), "currency": ccy}
            ],
        }
    if system == "magento":
        return {
            "entity_id": r["refund_id"],
            "order_increment_id": r["order_id"],
            "created_at": magento_time(r["ts"]),
            "grand_total": r["amount"],
            "order_currency_code": ccy,
            "customer_note": r["reason"],
            "is_partial": r["partial"],
        }
    return {
        "refundId": r["refund_id"],
        "orderId": r["order_id"],
        "ts": epoch_ms(r["ts"]),
        "amountMinor": minor_units(r["amount"], ccy),
        "currency": ccy,
        "reason": r["reason"],
        "partial": r["partial"],
    }


def render_feed(entity: str, row: dict[str, Any]) -> dict[str, Any]:
    """Back-office feeds: catalogue (PIM), customers (CRM), shipments (3PL), inventory and
    prices (ERP)."""
    if entity == "products":
        return {
            "sku": row["sku"],
            "title": row["name"],
            "productType": row["category"],
            "vendor": row["brand"],
            "priceMinor": minor_units(row["price_eur"], "EUR"),
            "costMinor": minor_units(row["cost_eur"], "EUR"),
            "snapshotAt": epoch_ms(row["ts"]),
        }
    if entity == "customers":
        city = CITIES[row["city_idx"]]
        return {
            "recordId": row["record_id"],
            "customerId": row["customer_id"],
            "email": row["email"],
            "country": city.country,
            "region": city.region,
            "city": city.city,
            "exportedAt": epoch_ms(row["ts"]),
        }
    if entity == "shipments":
        return {
            "shipmentId": row["shipment_id"],
            "orderId": row["order_id"],
            "storefront": row["storefront"],
            "carrier": row["carrier"],
            "shippedAt": epoch_ms(row["ts"]),
            "deliveryHours": row["delay_hours"],
            "destination": {
                "country": row["country"],
                "region": row["region"],
                "city": row["city"],
                "lat": row["lat"],
                "lon": row["lon"],
            },
        }
    if entity == "inventory":
        return {
            "updateId": row["update_id"],
            "sku": row["sku"],
            "at": epoch_ms(row["ts"]),
            "delta": row["delta"],
            "reason": row["reason"],
        }
    return {
        "updateId": row["update_id"],
        "sku": row["sku"],
        "at": epoch_ms(row["ts"]),
        "oldPriceMinor": minor_units(row["old_price_eur"], "EUR"),
        "newPriceMinor": minor_units(row["new_price_eur"], "EUR"),
        "actor": row["actor"],
    }


def source_records(
    store: Store, entities: tuple[str, ...] = ENTITY_ORDER
) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """Every record as ``(system, entity, payload)``, entity by entity, in time order."""
    for entity in entities:
        if entity == "orders":
            by_order: dict[int, list[dict[str, Any]]] = defaultdict(list)
            for line in _rows(store.line_items):
                by_order[line["order_idx"]].append(line)
            for i, order in enumerate(_rows(store.orders)):
                yield order["storefront"], entity, render_order(order, by_order[i])
        elif entity == "events":
            customer_ids = store.customers["customer_id"].tolist()
            for event in _rows(store.events):
                yield event["storefront"], entity, render_event(event, customer_ids)
        elif entity == "payments":
            for payment in _rows(store.payments):
                yield payment["storefront"], entity, render_payment(payment)
        elif entity == "refunds":
            for refund in _rows(store.refunds):
                yield refund["storefront"], entity, render_refund(refund)
        else:
            for row in _rows(getattr(store, entity)):
                yield "feed", entity, render_feed(entity, row)
