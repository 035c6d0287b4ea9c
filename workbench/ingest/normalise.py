"""Map each storefront dialect to the common schema, keeping the event's context.

Every normalised document carries ``source``: the system it came from, its id there,
the timestamp exactly as sent and the zone that timestamp was in. Money becomes a
decimal amount in the record's currency plus ``*_eur`` at the reference rate.
A payload that cannot be mapped raises :class:`RecordError` with the reason.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from workbench.data.dialects import MAGENTO_EVENTS, SHOPIFY_EVENTS
from workbench.data.geo import EUR_PER_UNIT, MINOR_UNITS, to_eur

Doc = dict[str, Any]
_SHOPIFY_TYPE = {v: k for k, v in SHOPIFY_EVENTS.items()}
_MAGENTO_TYPE = {v: k for k, v in MAGENTO_EVENTS.items()}
_CUSTOM_STATUS = {"APPROVED": "success", "DECLINED": "declined", "ERROR": "error"}
_SHOPIFY_STATUS = {"success": "success", "failure": "declined", "error": "error"}


class RecordError(ValueError):
    """A source record that cannot be normalised; the message is the dead-letter reason."""


@dataclass(frozen=True)
class Unparsed:
    """Source text that is not JSON (say, a broken line of an export), and why."""

    text: str
    error: str

    def __str__(self) -> str:
        return self.text


def _iso(dt: datetime) -> str:
    return dt.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def parse_offset_time(value: str) -> tuple[str, str]:
    """ISO 8601 with an offset -> (UTC ISO, the offset as sent)."""
    dt = datetime.fromisoformat(value)
    if dt.tzinfo is None:
        raise RecordError(f"timestamp {value!r} has no UTC offset")
    return _iso(dt), dt.strftime("%z")[:3] + ":" + dt.strftime("%z")[3:]


def parse_naive_utc(value: str) -> str:
    return _iso(datetime.strptime(value, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC))


def parse_epoch_ms(value: int) -> str:
    if isinstance(value, bool) or not isinstance(value, int):
        raise RecordError(f"epoch milliseconds must be an integer, got {value!r}")
    return _iso(datetime.fromtimestamp(value / 1000, UTC))


def money(value: Any, currency: str) -> float:
    """A decimal string or float, checked against the currency's minor units."""
    if currency not in MINOR_UNITS:
        raise RecordError(f"unknown currency {currency!r}")
    if isinstance(value, bool) or value is None:
        raise RecordError(f"money value {value!r} is not a number")
    try:
        amount = float(value)
    except (TypeError, ValueError):
        raise RecordError(f"money value {value!r} is not a number") from None
    return round(amount, MINOR_UNITS[currency])


def from_minor(value: Any, currency: str) -> float:
    if currency not in MINOR_UNITS:
        raise RecordError(f"unknown currency {currency!r}")
    if isinstance(value, bool) or not isinstance(value, int):
        raise RecordError(f"minor units must be an integer, got {value!r}")
    digits = MINOR_UNITS[currency]
    return round(value / 10.0**digits, digits)


def _source(system: str, event_id: Any, original: Any, zone: str) -> Doc:
    return {
        "system": system,
        "event_id": str(event_id),
        "original_timestamp": str(original),
        "timezone": zone,
    }


def _geo(country: Any, region: Any, city: Any, lat: Any, lon: Any) -> Doc:
    return {
        "country": country,
        "region": region,
        "city": city,
        "location": {"lat": lat, "lon": lon},
    }


def _note(attrs: list[Doc], name: str) -> Any:
    return next((a["value"] for a in attrs if a.get("name") == name), None)


def _line(
    sku: str, category: Any, qty: Any, unit: float, discount: float, promo: Any, currency: str
) -> Doc:
    if isinstance(qty, float) and qty.is_integer():
        qty = int(qty)
    if isinstance(qty, bool) or not isinstance(qty, int):
        raise RecordError(f"quantity {qty!r} is not a whole number")
    digits = MINOR_UNITS[currency]
    return {
        "sku": sku,
        "category": category,
        "quantity": qty,
        "unit_price": unit,
        "discount": discount,
        "line_total": round(unit * qty - discount, digits),
        "promotion_id": promo or None,
    }


def _order_doc(
    order_id: str,
    ts: str,
    storefront: str,
    currency: str,
    amounts: dict[str, float],
    lines: list[Doc],
    extra: Doc,
) -> Doc:
    if currency not in EUR_PER_UNIT:
        raise RecordError(f"unknown currency {currency!r}")
    return {
        "order_id": order_id,
        "@timestamp": ts,
        "storefront": storefront,
        "currency": currency,
        **amounts,
        "total_eur": to_eur(amounts["total"], currency),
        "items": sum(li["quantity"] for li in lines),
        "line_items": lines,
        **extra,
    }


def _shopify_order(p: Doc) -> Doc:
    ccy = p["currency"]
    ts, zone = parse_offset_time(p["created_at"])
    addr = p["shipping_address"]
    lines = [
        _line(
            li["sku"],
            li.get("product_type"),
            li["quantity"],
            money(li["price"], ccy),
            money(li["total_discount"], ccy),
            li.get("discount_code"),
            ccy,
        )
        for li in p["line_items"]
    ]
    amounts = {
        "subtotal": money(p["subtotal_price"], ccy),
        "discount": money(p["total_discounts"], ccy),
        "tax": money(p["total_tax"], ccy),
        "shipping": money(p["total_shipping_price_set"]["shop_money"]["amount"], ccy),
        "total": money(p["total_price"], ccy),
    }
    campaign = p.get("landing_site", "").partition("utm_campaign=")[2] or None
    return _order_doc(
        p["name"],
        ts,
        "shopify",
        ccy,
        amounts,
        lines,
        {
            "session_id": _note(p.get("note_attributes", []), "session_id"),
            "device": _note(p.get("note_attributes", []), "device"),
            "campaign": campaign,
            "customer": {"id": p["customer"]["id"], "email": p["customer"].get("email")},
            "geo": _geo(
                addr["country_code"],
                addr["province"],
                addr["city"],
                addr["latitude"],
                addr["longitude"],
            ),
            "client": {"ip": p.get("browser_ip")},
            "source": _source("shopify", p["id"], p["created_at"], zone),
        },
    )


def _magento_order(p: Doc) -> Doc:
    ccy = p["order_currency_code"]
    ext = p["extension_attributes"]
    addr = ext["shipping_assignments"][0]["shipping"]["address"]
    session = ext.get("session", {})
    lines = [
        _line(
            li["sku"],
            li.get("product_options", {}).get("category"),
            li["qty_ordered"],
            money(li["price"], ccy),
            money(li["discount_amount"], ccy),
            li.get("applied_rule_ids"),
            ccy,
        )
        for li in p["items"]
    ]
    amounts = {
        "subtotal": money(p["subtotal"], ccy),
        "discount": abs(money(p["discount_amount"], ccy)),
        "tax": money(p["tax_amount"], ccy),
        "shipping": money(p["shipping_amount"], ccy),
        "total": money(p["grand_total"], ccy),
    }
    return _order_doc(
        p["increment_id"],
        parse_naive_utc(p["created_at"]),
        "magento",
        ccy,
        amounts,
        lines,
        {
            "session_id": session.get("id"),
            "device": session.get("device"),
            "campaign": session.get("utm_campaign"),
            "customer": {"id": p["customer_id"], "email": p.get("customer_email")},
            "geo": _geo(addr["country_id"], addr["region"], addr["city"], addr["lat"], addr["lng"]),
            "client": {"ip": p.get("remote_ip")},
            "source": _source("magento", p["entity_id"], p["created_at"], "UTC"),
        },
    )


def _custom_order(p: Doc) -> Doc:
    ccy = p["currency"]
    lines = [
        _line(
            li["sku"],
            li.get("category"),
            li["qty"],
            from_minor(li["unitMinor"], ccy),
            from_minor(li["discountMinor"], ccy),
            li.get("promo"),
            ccy,
        )
        for li in p["lines"]
    ]
    amounts = {
        k: from_minor(p[f"{k}Minor"], ccy)
        for k in ("subtotal", "discount", "tax", "shipping", "total")
    }
    geo, client = p["geo"], p.get("client", {})
    return _order_doc(
        p["orderId"],
        parse_epoch_ms(p["placedAt"]),
        "custom",
        ccy,
        amounts,
        lines,
        {
            "session_id": client.get("sessionId"),
            "device": client.get("device"),
            "campaign": client.get("campaign"),
            "customer": {"id": p["customer"]["id"], "email": p["customer"].get("email")},
            "geo": _geo(geo["country"], geo["region"], geo["city"], geo["lat"], geo["lon"]),
            "client": {"ip": client.get("ip")},
            "source": _source("custom", p["orderId"], p["placedAt"], "UTC"),
        },
    )


def _event_doc(event_id: str, ts: str, kind: str, storefront: str, extra: Doc) -> Doc:
    return {
        "event_id": event_id,
        "@timestamp": ts,
        "event": {"type": kind},
        "storefront": storefront,
        **extra,
    }


def _shopify_event(p: Doc) -> Doc:
    ts, zone = parse_offset_time(p["timestamp"])
    ctx, data, geo = p.get("context", {}), p.get("data", {}), p["geo"]
    variant = data.get("productVariant")
    agent = ctx.get("navigator", {}).get("userAgent")
    if p["name"] not in _SHOPIFY_TYPE:
        raise RecordError(f"unknown Shopify event name {p['name']!r}")
    return _event_doc(
        p["id"],
        ts,
        _SHOPIFY_TYPE[p["name"]],
        "shopify",
        {
            "session_id": p["clientId"],
            "user": {"id": p.get("customerId")},
            "device": agent,
            "is_bot": agent == "bot",
            "campaign": ctx.get("document", {})
            .get("location", {})
            .get("search", "")
            .partition("utm_campaign=")[2]
            or None,
            "product": {
                "sku": variant["sku"],
                "category": variant["product"]["type"],
                "price_eur": money(variant["price"]["amount"], "EUR"),
            }
            if variant
            else None,
            "search": {"query": data["searchResult"]["query"]} if "searchResult" in data else None,
            "geo": _geo(
                geo["country"], geo["region"], geo["city"], geo["latitude"], geo["longitude"]
            ),
            "client": {"ip": ctx.get("client", {}).get("ip")},
            "source": _source("shopify", p["id"], p["timestamp"], zone),
        },
    )


def _magento_event(p: Doc) -> Doc:
    if p["event_type"] not in _MAGENTO_TYPE:
        raise RecordError(f"unknown Magento event type {p['event_type']!r}")
    product, geo = p.get("product"), p["geoip"]
    lon, lat = geo["location"]
    return _event_doc(
        p["event_id"],
        parse_naive_utc(p["created_at"]),
        _MAGENTO_TYPE[p["event_type"]],
        "magento",
        {
            "session_id": p["session_id"],
            "user": {"id": p.get("customer_id")},
            "device": p.get("device_type"),
            "is_bot": bool(p.get("is_robot")),
            "campaign": p.get("utm_campaign"),
            "product": {
                "sku": product["sku"],
                "category": product["category"],
                "price_eur": money(product["price"], "EUR"),
            }
            if product
            else None,
            "search": {"query": p["query_text"]} if p.get("query_text") else None,
            "geo": _geo(geo["country_code"], geo["region_name"], geo["city_name"], lat, lon),
            "client": {"ip": p.get("remote_ip")},
            "source": _source("magento", p["event_id"], p["created_at"], "UTC"),
        },
    )


_CUSTOM_PROPS = {"sku", "category", "priceMinor", "query"}


def _custom_event(p: Doc) -> Doc:
    props, client, geo = p.get("props", {}), p.get("client", {}), p["geo"]
    attributes = {k: v for k, v in props.items() if k not in _CUSTOM_PROPS}
    return _event_doc(
        p["eventId"],
        parse_epoch_ms(p["ts"]),
        p["eventType"],
        "custom",
        {
            "attributes": attributes or None,
            "session_id": p["sessionId"],
            "user": {"id": p.get("userId")},
            "device": client.get("device"),
            "is_bot": bool(p.get("bot")),
            "campaign": client.get("campaign"),
            "product": {
                "sku": props["sku"],
                "category": props.get("category"),
                "price_eur": from_minor(props["priceMinor"], "EUR"),
            }
            if "sku" in props
            else None,
            "search": {"query": props["query"]} if "query" in props else None,
            "geo": _geo(geo["country"], geo["region"], geo["city"], geo["lat"], geo["lon"]),
            "client": {"ip": client.get("ip")},
            "source": _source("custom", p["eventId"], p["ts"], "UTC"),
        },
    )


def _money_doc(
    id_field: str,
    record_id: str,
    ts: str,
    storefront: str,
    amount: float,
    currency: str,
    extra: Doc,
) -> Doc:
    """A payment or refund: its id, time, amount in its currency and in EUR."""
    return {
        id_field: record_id,
        "@timestamp": ts,
        "storefront": storefront,
        "amount": amount,
        "currency": currency,
        "amount_eur": to_eur(amount, currency),
        **extra,
    }


def _shopify_payment(p: Doc) -> Doc:
    ts, zone = parse_offset_time(p["created_at"])
    details = p.get("payment_details", {})
    return _money_doc(
        "payment_id",
        p["id"],
        ts,
        "shopify",
        money(p["amount"], p["currency"]),
        p["currency"],
        {
            "order_id": p.get("order_id"),
            "session_id": p.get("checkout_token"),
            "gateway": p["gateway"],
            "status": _SHOPIFY_STATUS[p["status"]],
            "decline_code": p.get("error_code"),
            "card": {
                "number": details.get("credit_card_number"),
                "brand": (details.get("credit_card_company") or "").lower() or None,
            },
            "source": _source("shopify", p["id"], p["created_at"], zone),
        },
    )


def _magento_payment(p: Doc) -> Doc:
    info = p.get("additional_information", {})
    ccy = p["currency_code"]
    return _money_doc(
        "payment_id",
        p["transaction_id"],
        parse_naive_utc(p["created_at"]),
        "magento",
        money(p["amount"], ccy),
        ccy,
        {
            "order_id": p.get("order_increment_id"),
            "session_id": p.get("quote_session"),
            "gateway": p["method"],
            "status": p["state"],
            "decline_code": p.get("decline_reason"),
            "card": {"number": info.get("cc_number"), "brand": info.get("cc_type")},
            "source": _source("magento", p["transaction_id"], p["created_at"], "UTC"),
        },
    )


def _custom_payment(p: Doc) -> Doc:
    card = p.get("card", {})
    if p["result"] not in _CUSTOM_STATUS:
        raise RecordError(f"unknown payment result {p['result']!r}")
    return _money_doc(
        "payment_id",
        p["paymentId"],
        parse_epoch_ms(p["ts"]),
        "custom",
        from_minor(p["amountMinor"], p["currency"]),
        p["currency"],
        {
            "order_id": p.get("orderId"),
            "session_id": p.get("sessionId"),
            "gateway": p["psp"],
            "status": _CUSTOM_STATUS[p["result"]],
            "decline_code": p.get("reason"),
            "card": {"number": card.get("pan"), "brand": card.get("brand")},
            "source": _source("custom", p["paymentId"], p["ts"], "UTC"),
        },
    )


def _shopify_refund(p: Doc) -> Doc:
    ts, zone = parse_offset_time(p["created_at"])
    tx = p["transactions"][0]
    return _money_doc(
        "refund_id",
        p["id"],
        ts,
        "shopify",
        money(tx["amount"], tx["currency"]),
        tx["currency"],
        {
            "order_id": p["order_id"],
            "reason": p.get("note"),
            "partial": not p.get("restock"),
            "source": _source("shopify", p["id"], p["created_at"], zone),
        },
    )


def _magento_refund(p: Doc) -> Doc:
    ccy = p["order_currency_code"]
    return _money_doc(
        "refund_id",
        p["entity_id"],
        parse_naive_utc(p["created_at"]),
        "magento",
        money(p["grand_total"], ccy),
        ccy,
        {
            "order_id": p["order_increment_id"],
            "reason": p.get("customer_note"),
            "partial": bool(p.get("is_partial")),
            "source": _source("magento", p["entity_id"], p["created_at"], "UTC"),
        },
    )


def _custom_refund(p: Doc) -> Doc:
    return _money_doc(
        "refund_id",
        p["refundId"],
        parse_epoch_ms(p["ts"]),
        "custom",
        from_minor(p["amountMinor"], p["currency"]),
        p["currency"],
        {
            "order_id": p["orderId"],
            "reason": p.get("reason"),
            "partial": bool(p.get("partial")),
            "source": _source("custom", p["refundId"], p["ts"], "UTC"),
        },
    )


def _product(p: Doc) -> Doc:
    return {
        "sku": p["sku"],
        "@timestamp": parse_epoch_ms(p["snapshotAt"]),
        "name": p.get("title"),
        "category": p["productType"],
        "brand": p.get("vendor"),
        "price_eur": from_minor(p["priceMinor"], "EUR"),
        "cost_eur": from_minor(p["costMinor"], "EUR"),
        "storefront": "all",
        "source": _source("feed", p["sku"], p["snapshotAt"], "UTC"),
    }


def _customer(p: Doc) -> Doc:
    return {
        "record_id": p["recordId"],
        "@timestamp": parse_epoch_ms(p["exportedAt"]),
        "customer": {"id": p["customerId"], "email": p.get("email")},
        "geo": {"country": p.get("country"), "region": p.get("region"), "city": p.get("city")},
        "storefront": "all",
        "source": _source("feed", p["recordId"], p["exportedAt"], "UTC"),
    }


def _shipment(p: Doc) -> Doc:
    d = p["destination"]
    return {
        "shipment_id": p["shipmentId"],
        "@timestamp": parse_epoch_ms(p["shippedAt"]),
        "order_id": p["orderId"],
        "storefront": p["storefront"],
        "carrier": p["carrier"],
        "delay_hours": p["deliveryHours"],
        "geo": _geo(d["country"], d["region"], d["city"], d["lat"], d["lon"]),
        "source": _source("feed", p["shipmentId"], p["shippedAt"], "UTC"),
    }


def _inventory(p: Doc) -> Doc:
    return {
        "update_id": p["updateId"],
        "@timestamp": parse_epoch_ms(p["at"]),
        "sku": p["sku"],
        "delta": p["delta"],
        "reason": p["reason"],
        "storefront": "all",
        "source": _source("feed", p["updateId"], p["at"], "UTC"),
    }


def _price_update(p: Doc) -> Doc:
    return {
        "update_id": p["updateId"],
        "@timestamp": parse_epoch_ms(p["at"]),
        "sku": p["sku"],
        "old_price_eur": from_minor(p["oldPriceMinor"], "EUR"),
        "new_price_eur": from_minor(p["newPriceMinor"], "EUR"),
        "actor": p["actor"],
        "storefront": "all",
        "source": _source("feed", p["updateId"], p["at"], "UTC"),
    }


NORMALISERS: dict[tuple[str, str], Callable[[Doc], Doc]] = {
    ("shopify", "orders"): _shopify_order,
    ("magento", "orders"): _magento_order,
    ("custom", "orders"): _custom_order,
    ("shopify", "events"): _shopify_event,
    ("magento", "events"): _magento_event,
    ("custom", "events"): _custom_event,
    ("shopify", "payments"): _shopify_payment,
    ("magento", "payments"): _magento_payment,
    ("custom", "payments"): _custom_payment,
    ("shopify", "refunds"): _shopify_refund,
    ("magento", "refunds"): _magento_refund,
    ("custom", "refunds"): _custom_refund,
    ("feed", "products"): _product,
    ("feed", "customers"): _customer,
    ("feed", "shipments"): _shipment,
    ("feed", "inventory"): _inventory,
    ("feed", "price_updates"): _price_update,
}


def normalise(system: str, entity: str, payload: Any) -> Doc:
    """One source payload in the common schema; :class:`RecordError` says why not."""
    try:
        normaliser = NORMALISERS[(system, entity)]
    except KeyError:
        raise RecordError(f"no normaliser for {entity} from {system!r}") from None
    if isinstance(payload, Unparsed):
        raise RecordError(payload.error)
    if not isinstance(payload, dict):
        raise RecordError(f"payload is a {type(payload).__name__}, not a JSON object")
    try:
        return normaliser(payload)
    except RecordError:
        raise
    except KeyError as exc:
        raise RecordError(f"missing field {exc.args[0]!r}") from None
    except (TypeError, ValueError, AttributeError, IndexError) as exc:
        raise RecordError(f"malformed {entity} record: {exc}") from None
