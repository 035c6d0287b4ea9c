"""A deterministic synthetic commerce store, generated with vectorised numpy.

``generate(StoreSpec(...))`` returns every entity as a DataFrame (catalogue, customers,
sessions, clickstream events, orders with line items, payments, refunds, shipments,
inventory and price updates, promotions) plus ``totals``: counts and EUR sums per
entity, storefront and UTC day, the ground truth that reconciliation checks against.

Behaviour modelled: a view → cart → checkout → payment → purchase funnel whose step
probabilities depend on device and campaign; promotions that draw views and carts to
their category; diurnal and weekly seasonality; flash-sale
bursts; a share of bot sessions (many views, nothing else); declined and failed payments
with retries; partial and full refunds; carrier- and region-dependent shipping delays;
and one bulk price-manipulation episode (recorded in ``episodes`` as ground truth).
The same spec always yields the same store.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
import pandas as pd

from workbench.data.geo import CITIES, EUR_PER_UNIT, MINOR_UNITS

STOREFRONTS = ("shopify", "magento", "custom")
STOREFRONT_WEIGHTS = {"shopify": 0.45, "magento": 0.35, "custom": 0.20}
CATEGORIES = ("apparel", "footwear", "electronics", "home", "beauty", "sports", "toys", "books")
CATEGORY_PRICE = {  # median EUR price and log-spread per category
    "apparel": (35, 0.5),
    "footwear": (70, 0.4),
    "electronics": (180, 0.8),
    "home": (45, 0.7),
    "beauty": (22, 0.5),
    "sports": (55, 0.6),
    "toys": (25, 0.5),
    "books": (15, 0.3),
}
BRANDS = (
    "Northwind",
    "Contoso",
    "Fabrikam",
    "Tailspin",
    "Adatum",
    "Litware",
    "Proseware",
    "Woodgrove",
    "Lucerne",
    "Margie",
)
DEVICES = ("desktop", "mobile", "tablet")
DEVICE_WEIGHTS = (0.42, 0.50, 0.08)
CAMPAIGNS = ("none", "email_newsletter", "social_paid", "search_brand", "affiliate")
CAMPAIGN_WEIGHTS = (0.45, 0.15, 0.18, 0.15, 0.07)
FUNNEL = ("product_view", "add_to_cart", "checkout_start", "payment_submitted", "purchase")
EVENT_TYPES = (
    "product_view",
    "search",
    "add_to_cart",
    "remove_from_cart",
    "checkout_start",
    "payment_submitted",
    "purchase",
)
# P(step | previous step) for a desktop session with no campaign; device and campaign
# lifts multiply each step's probability.
STEP_P = np.array([0.5, 0.62, 0.82, 0.93])
DEVICE_LIFT = {"desktop": 1.0, "mobile": 0.93, "tablet": 0.97}
CAMPAIGN_LIFT = {
    "none": 1.0,
    "email_newsletter": 1.06,
    "social_paid": 0.92,
    "search_brand": 1.04,
    "affiliate": 0.98,
}
GATEWAYS = ("stripe", "adyen", "paypal", "braintree")
DECLINE_CODES = ("insufficient_funds", "do_not_honor", "expired_card", "suspected_fraud")
CARRIERS_BY_COUNTRY = {
    "US": ("UPS", "FedEx", "USPS"),
    "CA": ("UPS", "Canada Post"),
    "GB": ("Royal Mail", "DPD"),
    "DE": ("DHL", "DPD"),
    "NL": ("PostNL", "DHL"),
}
DEFAULT_CARRIERS = ("DHL", "UPS", "FedEx")
CARRIER_SPEED = {
    "UPS": 1.0,
    "FedEx": 0.9,
    "USPS": 1.3,
    "Canada Post": 1.4,
    "Royal Mail": 1.2,
    "DPD": 1.0,
    "DHL": 1.05,
    "PostNL": 0.95,
}
FIRST_NAMES = (
    "anna",
    "ben",
    "carla",
    "david",
    "emma",
    "felix",
    "grace",
    "hugo",
    "ines",
    "jonas",
    "kai",
    "lena",
    "maya",
    "noah",
    "olga",
    "paul",
    "rosa",
    "sam",
    "tara",
    "yuki",
)
LAST_NAMES = (
    "smith",
    "muller",
    "martin",
    "garcia",
    "rossi",
    "jansen",
    "kowalski",
    "tanaka",
    "kim",
    "silva",
    "brown",
    "dubois",
    "novak",
    "lopez",
    "schmidt",
    "evans",
)
MAIL_DOMAINS = ("example.com", "mail.example.org", "inbox.example.net", "example.co.uk")
SEARCH_TERMS = {c: (c, f"{c} sale", f"best {c}", f"cheap {c}") for c in CATEGORIES}
DAY = 86_400


@dataclass(frozen=True)
class StoreSpec:
    """How big a store to generate, and from which seed."""

    orders: int = 5_000
    days: int = 30
    storefronts: tuple[str, ...] = STOREFRONTS
    seed: int = 1
    start: date = date(2026, 10, 1)
    products: int = 400
    bot_share: float = 0.04

    def __post_init__(self) -> None:
        if self.orders < 1 or self.days < 1 or self.products < 10:
            raise ValueError("orders and days must be >= 1, products >= 10")
        unknown = set(self.storefronts) - set(STOREFRONTS)
        if unknown or not self.storefronts:
            raise ValueError(f"storefronts must be among {STOREFRONTS}, got {self.storefronts}")
        if not 0 <= self.bot_share < 0.5:
            raise ValueError("bot_share must be in [0, 0.5)")

    @property
    def start_ts(self) -> int:
        return int(
            datetime(self.start.year, self.start.month, self.start.day, tzinfo=UTC).timestamp()
        )

    @property
    def end_ts(self) -> int:
        return self.start_ts + self.days * DAY


@dataclass
class Store:
    """Every generated entity, and the source totals reconciliation compares against."""

    spec: StoreSpec
    products: pd.DataFrame
    customers: pd.DataFrame
    promotions: pd.DataFrame
    sessions: pd.DataFrame
    events: pd.DataFrame
    orders: pd.DataFrame
    line_items: pd.DataFrame
    payments: pd.DataFrame
    refunds: pd.DataFrame
    shipments: pd.DataFrame
    inventory: pd.DataFrame
    price_updates: pd.DataFrame
    episodes: list[dict[str, Any]] = field(default_factory=list)

    @property
    def totals(self) -> pd.DataFrame:
        return source_totals(self)


def _to_minor(amount_eur: np.ndarray, currency: np.ndarray) -> np.ndarray:
    """EUR amounts converted to each row's currency, rounded to its minor unit."""
    rate = np.array([EUR_PER_UNIT[c] for c in currency])
    digits = np.array([MINOR_UNITS[c] for c in currency])
    scale = 10.0**digits
    out: np.ndarray = np.round(amount_eur / rate * scale) / scale
    return out


def _eur(amount: np.ndarray, currency: np.ndarray) -> np.ndarray:
    """Vectorised :func:`workbench.data.geo.to_eur`: the same formula, so sums reconcile."""
    rate = np.array([EUR_PER_UNIT[c] for c in currency])
    out: np.ndarray = np.round(amount * rate, 2)
    return out


def _or_none(mask: np.ndarray, values: Any) -> np.ndarray:
    """``values`` where ``mask`` holds, ``None`` elsewhere (an object array)."""
    out = np.full(len(mask), None, dtype=object)
    out[mask] = np.asarray(values, dtype=object)[mask]
    return out


def _luhn_pan(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` Luhn-valid 16-digit test card numbers (Visa/Mastercard-like prefixes)."""
    body = rng.integers(0, 10, size=(n, 15))
    body[:, 0] = rng.choice([4, 5], size=n)
    digits = body[:, ::-1].copy()
    doubled = digits[:, 0::2] * 2
    digits[:, 0::2] = np.where(doubled > 9, doubled - 9, doubled)
    check = (10 - digits.sum(axis=1) % 10) % 10
    full = np.concatenate([body, check[:, None]], axis=1)
    return np.array(["".join(map(str, row)) for row in full])


def _hour_weights(spec: StoreSpec, flash_hours: np.ndarray) -> np.ndarray:
    """Relative traffic per UTC hour: diurnal and weekly cycles, flash-sale bursts."""
    hours = np.arange(spec.days * 24)
    hod = hours % 24
    diurnal = (
        0.3
        + np.exp(-((hod - 19) ** 2) / (2 * 3.5**2))
        + 0.45 * np.exp(-((hod - 12) ** 2) / (2 * 2.0**2))
    )
    dow = (np.datetime64(spec.start) + (hours // 24)).astype("datetime64[D]").astype(int)
    weekday = (dow + 3) % 7  # 1970-01-01 was a Thursday; 0 = Monday
    weekly = np.where(weekday >= 5, 1.25, np.where(weekday == 0, 0.92, 1.0))
    weights = diurnal * weekly
    weights[flash_hours] *= 6.0
    out: np.ndarray = weights / weights.sum()
    return out


def _promotions(rng: np.random.Generator, spec: StoreSpec) -> tuple[pd.DataFrame, np.ndarray]:
    """Category promotions of some days, and two three-hour site-wide flash sales."""
    rows = []
    for i in range(4):
        start_day = int(rng.integers(0, max(spec.days - 2, 1)))
        length = int(rng.integers(2, 6))
        rows.append(
            {
                "promotion_id": f"PROMO-{spec.seed}-{i}",
                "category": CATEGORIES[int(rng.integers(0, len(CATEGORIES)))],
                "discount_pct": int(rng.choice([10, 15, 20, 30])),
                "start_ts": spec.start_ts + start_day * DAY,
                "end_ts": min(spec.start_ts + (start_day + length) * DAY, spec.end_ts),
                "flash_sale": False,
            }
        )
    flash_hours: list[int] = []
    for i in range(2 if spec.days >= 3 else 1):
        day = int(rng.integers(0, spec.days))
        hour = day * 24 + 18
        flash_hours.extend(range(hour, min(hour + 3, spec.days * 24)))
        rows.append(
            {
                "promotion_id": f"FLASH-{spec.seed}-{i}",
                "category": "*",
                "discount_pct": 25,
                "start_ts": spec.start_ts + hour * 3600,
                "end_ts": spec.start_ts + (hour + 3) * 3600,
                "flash_sale": True,
            }
        )
    return pd.DataFrame(rows), np.array(flash_hours, dtype=int)


def _catalogue(rng: np.random.Generator, spec: StoreSpec) -> pd.DataFrame:
    n = spec.products
    category = rng.choice(len(CATEGORIES), size=n)
    median = np.array([CATEGORY_PRICE[CATEGORIES[c]][0] for c in category])
    spread = np.array([CATEGORY_PRICE[CATEGORIES[c]][1] for c in category])
    price = np.round(median * np.exp(rng.normal(0, spread)), 0) - 0.01
    price = np.maximum(price, 1.99)
    popularity = rng.lognormal(0.0, 1.0, size=n)  # a long tail, no single dominant product
    return pd.DataFrame(
        {
            "sku": [f"SKU-{spec.seed}-{i:05d}" for i in range(n)],
            "name": [
                f"{BRANDS[b]} {CATEGORIES[c]} item {i}"
                for i, (b, c) in enumerate(
                    zip(rng.integers(0, len(BRANDS), n), category, strict=True)
                )
            ],
            "category": np.array(CATEGORIES)[category],
            "brand": np.array(BRANDS)[rng.integers(0, len(BRANDS), n)],
            "price_eur": np.round(price, 2),
            "cost_eur": np.round(price * rng.uniform(0.35, 0.7, n), 2),
            "currency": "EUR",
            "popularity": popularity / popularity.sum(),
            "stock": rng.integers(50, 500, n),
            "ts": spec.start_ts,  # the catalogue snapshot the storefronts start from
            "storefront": "all",
        }
    )


def _customers(rng: np.random.Generator, spec: StoreSpec) -> pd.DataFrame:
    n = max(spec.orders * 2 // 3, 10)
    weights = np.array([c.weight for c in CITIES])
    city = rng.choice(len(CITIES), size=n, p=weights / weights.sum())
    first = np.array(FIRST_NAMES)[rng.integers(0, len(FIRST_NAMES), n)]
    last = np.array(LAST_NAMES)[rng.integers(0, len(LAST_NAMES), n)]
    domain = np.array(MAIL_DOMAINS)[rng.integers(0, len(MAIL_DOMAINS), n)]
    ids = np.arange(n)
    return pd.DataFrame(
        {
            "customer_id": [f"C-{spec.seed}-{i:07d}" for i in ids],
            "email": [
                f"{f}.{la}{i}@{d}" for f, la, i, d in zip(first, last, ids, domain, strict=True)
            ],
            "city_idx": city,
            "record_id": [f"CRM-{spec.seed}-{i:07d}" for i in ids],
            "ts": spec.start_ts,  # the CRM export the store starts from
            "storefront": "all",
        }
    )


def _geo_columns(city_idx: np.ndarray) -> dict[str, np.ndarray]:
    table = np.array(CITIES, dtype=object)[city_idx]
    return {
        "country": table[:, 0].astype(str),
        "region": table[:, 1].astype(str),
        "city": table[:, 2].astype(str),
        "lat": table[:, 3].astype(float),
        "lon": table[:, 4].astype(float),
        "currency": table[:, 6].astype(str),
    }


def _sessions(
    rng: np.random.Generator, spec: StoreSpec, customers: pd.DataFrame, hour_p: np.ndarray
) -> pd.DataFrame:
    """Human and bot sessions with the funnel stage each reaches (exactly ``orders`` buy)."""
    base = float(np.prod(STEP_P))
    n_human = int(spec.orders / (base * 0.93) * 1.1) + 20
    while True:
        device = rng.choice(len(DEVICES), size=n_human, p=DEVICE_WEIGHTS)
        campaign = rng.choice(len(CAMPAIGNS), size=n_human, p=CAMPAIGN_WEIGHTS)
        lift = (
            np.array([DEVICE_LIFT[d] for d in DEVICES])[device]
            * np.array([CAMPAIGN_LIFT[c] for c in CAMPAIGNS])[campaign]
        )
        passed = rng.random((n_human, 4)) < np.minimum(STEP_P[None, :] * lift[:, None], 0.99)
        stage = np.cumprod(passed, axis=1).sum(axis=1)  # 0..4 steps passed after the view
        buyers = np.flatnonzero(stage == 4)
        if len(buyers) >= spec.orders:
            break
        n_human = int(n_human * 1.3)
    # Exactly `orders` purchases: the surplus stop at payment (their payment fails).
    surplus = rng.permutation(buyers)[: len(buyers) - spec.orders]
    stage[surplus] = 3
    n_bot = int(n_human * spec.bot_share / (1 - spec.bot_share))
    n = n_human + n_bot
    hours = rng.choice(len(hour_p), size=n, p=hour_p)
    start = spec.start_ts + hours * 3600 + rng.integers(0, 3600 - 900, size=n)
    order = np.argsort(start, kind="stable")
    storefront_p = np.array([STOREFRONT_WEIGHTS[s] for s in spec.storefronts])
    is_bot = np.r_[np.zeros(n_human, bool), np.ones(n_bot, bool)]
    customer = rng.integers(0, len(customers), size=n)
    frame = (
        pd.DataFrame(
            {
                "start_ts": start,
                "is_bot": is_bot,
                "stage": np.r_[stage, np.zeros(n_bot, int)],
                "device": np.r_[np.array(DEVICES)[device], np.full(n_bot, "bot")],
                "campaign": np.r_[np.array(CAMPAIGNS)[campaign], np.full(n_bot, "none")],
                "storefront": np.array(spec.storefronts)[
                    rng.choice(len(spec.storefronts), size=n, p=storefront_p / storefront_p.sum())
                ],
                "customer_idx": np.where(is_bot, -1, customer),
                "city_idx": np.where(
                    is_bot,
                    rng.integers(0, len(CITIES), n),
                    customers["city_idx"].to_numpy()[customer],
                ),
                "ip": [f"{a}.{b}.{c}.{d}" for a, b, c, d in rng.integers(1, 255, size=(n, 4))],
            }
        )
        .iloc[order]
        .reset_index(drop=True)
    )
    frame.insert(0, "session_id", [f"S-{spec.seed}-{i:08d}" for i in range(n)])
    return frame


def _events(
    rng: np.random.Generator,
    spec: StoreSpec,
    sessions: pd.DataFrame,
    products: pd.DataFrame,
    payment_attempts: np.ndarray,
    promotions: pd.DataFrame,
) -> pd.DataFrame:
    """Clickstream: each session's events, in funnel order, minutes apart."""
    n = len(sessions)
    stage = sessions["stage"].to_numpy()
    bot = sessions["is_bot"].to_numpy()
    counts = {
        "product_view": np.where(bot, 8 + rng.poisson(12, n), 1 + rng.poisson(1.0, n)),
        "search": np.where(bot, 0, rng.poisson(0.4, n)),
        "add_to_cart": np.where(stage >= 1, 1 + rng.poisson(0.4, n), 0),
        "remove_from_cart": np.where((stage >= 1) & (rng.random(n) < 0.15), 1, 0),
        "checkout_start": (stage >= 2).astype(int),
        "payment_submitted": np.where(stage >= 3, payment_attempts, 0),
        "purchase": (stage >= 4).astype(int),
    }
    phase = {
        "product_view": 0,
        "search": 0,
        "add_to_cart": 1,
        "remove_from_cart": 1,
        "checkout_start": 2,
        "payment_submitted": 3,
        "purchase": 4,
    }
    parts = []
    for kind, count in counts.items():
        idx = np.repeat(np.arange(n), count)
        if not len(idx):
            continue
        rank = np.arange(len(idx)) - np.repeat(np.cumsum(count) - count, count)
        parts.append(
            pd.DataFrame({"session_idx": idx, "type": kind, "rank": rank, "phase": phase[kind]})
        )
    ev = pd.concat(parts, ignore_index=True)
    start = sessions["start_ts"].to_numpy()[ev["session_idx"].to_numpy()]
    step_gap = np.where(ev["type"].to_numpy() == "payment_submitted", 40, 25)
    ts = (
        start
        + ev["phase"].to_numpy() * 180
        + ev["rank"].to_numpy() * step_gap
        + rng.integers(0, 20, len(ev))
    )
    ev["ts"] = np.minimum(ts, spec.end_ts - 1)
    ev = ev.sort_values(["ts", "session_idx", "phase", "rank"], kind="stable").reset_index(
        drop=True
    )
    sku_idx = rng.choice(len(products), size=len(ev), p=products["popularity"].to_numpy())
    sku_idx = _promoted(rng, ev, sku_idx, products, promotions)
    has_product = ev["type"].isin(["product_view", "add_to_cart", "remove_from_cart"]).to_numpy()
    category = products["category"].to_numpy()[sku_idx]
    term_pick = rng.integers(0, 4, len(ev))
    sess = sessions.iloc[ev["session_idx"].to_numpy()]
    out = pd.DataFrame(
        {
            "event_id": [f"E-{spec.seed}-{i:09d}" for i in range(len(ev))],
            "ts": ev["ts"].to_numpy(),
            "type": ev["type"].to_numpy(),
            "session_id": sess["session_id"].to_numpy(),
            "session_idx": ev["session_idx"].to_numpy(),
            "storefront": sess["storefront"].to_numpy(),
            "device": sess["device"].to_numpy(),
            "campaign": sess["campaign"].to_numpy(),
            "is_bot": sess["is_bot"].to_numpy(),
            "customer_idx": sess["customer_idx"].to_numpy(),
            "city_idx": sess["city_idx"].to_numpy(),
            "ip": sess["ip"].to_numpy(),
            "sku": _or_none(has_product, products["sku"].to_numpy()[sku_idx]),
            "category": _or_none(has_product, category),
            "price_eur": np.where(has_product, products["price_eur"].to_numpy()[sku_idx], np.nan),
            "query": _or_none(
                ev["type"].to_numpy() == "search",
                [SEARCH_TERMS[c][t] for c, t in zip(category, term_pick, strict=True)],
            ),
        }
    )
    return out


def _promoted(
    rng: np.random.Generator,
    ev: pd.DataFrame,
    sku_idx: np.ndarray,
    products: pd.DataFrame,
    promotions: pd.DataFrame,
) -> np.ndarray:
    """Inside a category promotion, shoppers turn to that category: a share of the
    views and carts (twice the discount, e.g. 40 % at 20 % off) go to its products."""
    out = sku_idx.copy()
    ts = ev["ts"].to_numpy()
    kinds = ev["type"].isin(["product_view", "add_to_cart"]).to_numpy()
    categories = products["category"].to_numpy()
    weights = products["popularity"].to_numpy()
    for promo in promotions.to_dict("records"):
        if promo["category"] == "*":
            continue
        members = np.flatnonzero(categories == promo["category"])
        inside = kinds & (ts >= int(promo["start_ts"])) & (ts < int(promo["end_ts"]))
        switch = inside & (rng.random(len(ts)) < 2 * float(promo["discount_pct"]) / 100)
        p = weights[members] / weights[members].sum()
        out[switch] = rng.choice(members, size=int(switch.sum()), p=p)
    return out


def _active_discount(
    ts: np.ndarray, category: np.ndarray, promotions: pd.DataFrame
) -> tuple[np.ndarray, np.ndarray]:
    """Best discount percentage (and its promotion id) for each timestamp and category."""
    pct = np.zeros(len(ts))
    promo = np.full(len(ts), None, dtype=object)
    for row in promotions.to_dict("records"):
        hit = (ts >= int(row["start_ts"])) & (ts < int(row["end_ts"]))
        if row["category"] != "*":
            hit &= category == row["category"]
        better = hit & (float(row["discount_pct"]) > pct)
        pct[better] = float(row["discount_pct"])
        promo[better] = row["promotion_id"]
    return pct, promo


def _orders(
    rng: np.random.Generator,
    spec: StoreSpec,
    sessions: pd.DataFrame,
    events: pd.DataFrame,
    products: pd.DataFrame,
    customers: pd.DataFrame,
    promotions: pd.DataFrame,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    purchases = events[events["type"] == "purchase"]
    n = len(purchases)
    sess = sessions.iloc[purchases["session_idx"].to_numpy()]
    geo = _geo_columns(sess["city_idx"].to_numpy())
    order_ids = np.array([f"O-{spec.seed}-{i:07d}" for i in range(n)])
    n_lines = 1 + rng.poisson(1.2, n)
    line_order = np.repeat(np.arange(n), n_lines)
    sku_idx = rng.choice(len(products), size=len(line_order), p=products["popularity"].to_numpy())
    qty = 1 + rng.poisson(0.3, len(line_order))
    currency = geo["currency"][line_order]
    ts = purchases["ts"].to_numpy()
    category = products["category"].to_numpy()[sku_idx]
    pct, promo = _active_discount(ts[line_order], category, promotions)
    unit = _to_minor(products["price_eur"].to_numpy()[sku_idx], currency)
    digits = np.array([MINOR_UNITS[c] for c in currency])
    discount = np.round(unit * qty * pct / 100 * 10.0**digits) / 10.0**digits
    line_total = np.round((unit * qty - discount) * 10.0**digits) / 10.0**digits
    lines = pd.DataFrame(
        {
            "order_id": order_ids[line_order],
            "order_idx": line_order,
            "line": 0,
            "sku": products["sku"].to_numpy()[sku_idx],
            "category": category,
            "quantity": qty,
            "unit_price": unit,
            "discount": discount,
            "line_total": line_total,
            "currency": currency,
            "promotion_id": promo,
        }
    )
    lines["line"] = lines.groupby("order_idx").cumcount() + 1
    subtotal = np.bincount(line_order, weights=unit * qty, minlength=n)
    discount_total = np.bincount(line_order, weights=discount, minlength=n)
    ccy = geo["currency"]
    order_digits = np.array([MINOR_UNITS[c] for c in ccy])
    scale = 10.0**order_digits
    net = np.round((subtotal - discount_total) * scale) / scale
    shipping = np.where(_eur(net, ccy) >= 50, 0.0, _to_minor(np.full(n, 4.99), ccy))
    tax = np.round(net * 0.19 / 1.19 * scale) / scale  # VAT-style, included in prices
    total = np.round((net + shipping) * scale) / scale
    cust = sess["customer_idx"].to_numpy()
    orders = pd.DataFrame(
        {
            "order_id": order_ids,
            "ts": ts,
            "session_id": sess["session_id"].to_numpy(),
            "storefront": sess["storefront"].to_numpy(),
            "device": sess["device"].to_numpy(),
            "campaign": sess["campaign"].to_numpy(),
            "customer_id": customers["customer_id"].to_numpy()[cust],
            "email": customers["email"].to_numpy()[cust],
            **{k: v for k, v in geo.items()},
            "items": np.bincount(line_order, weights=qty, minlength=n).astype(int),
            "subtotal": np.round(subtotal * scale) / scale,
            "discount": np.round(discount_total * scale) / scale,
            "shipping": shipping,
            "tax": tax,
            "total": total,
            "total_eur": _eur(total, ccy),
            "ip": sess["ip"].to_numpy(),
        }
    )
    return orders, lines


def _payments(
    rng: np.random.Generator,
    spec: StoreSpec,
    sessions: pd.DataFrame,
    events: pd.DataFrame,
    orders: pd.DataFrame,
) -> pd.DataFrame:
    """One payment per ``payment_submitted`` event; each buyer's last attempt succeeds."""
    pay = events[events["type"] == "payment_submitted"].copy()
    n = len(pay)
    sess_idx = pay["session_idx"].to_numpy()
    last = ~pd.Series(sess_idx).duplicated(keep="last").to_numpy()
    bought = sessions["stage"].to_numpy()[sess_idx] >= 4
    success = bought & last
    failed_kind = rng.random(n) < 0.8
    status = np.where(success, "success", np.where(failed_kind, "declined", "error"))
    order_of_session = pd.Series(orders.index.to_numpy(), index=orders["session_id"])
    sid = pay["session_id"].to_numpy()
    order_idx = order_of_session.reindex(sid).to_numpy()
    has_order = ~np.isnan(order_idx)
    geo = _geo_columns(sessions["city_idx"].to_numpy()[sess_idx])
    cart_eur = np.round(np.exp(rng.normal(4.0, 0.7, n)), 2)
    amount = _to_minor(cart_eur, geo["currency"])
    oi = order_idx[has_order].astype(int)
    amount[has_order] = orders["total"].to_numpy()[oi]
    currency = geo["currency"]
    pan = _luhn_pan(rng, n)
    return pd.DataFrame(
        {
            "payment_id": [f"P-{spec.seed}-{i:08d}" for i in range(n)],
            "ts": pay["ts"].to_numpy(),
            "session_id": sid,
            "order_id": _or_none(
                has_order,
                orders["order_id"].to_numpy()[np.where(has_order, order_idx, 0).astype(int)],
            ),
            "storefront": pay["storefront"].to_numpy(),
            "gateway": np.array(GATEWAYS)[rng.integers(0, len(GATEWAYS), n)],
            "status": status,
            "decline_code": _or_none(
                status == "declined", np.array(DECLINE_CODES)[rng.integers(0, 4, n)]
            ),
            "amount": amount,
            "currency": currency,
            "amount_eur": _eur(amount, currency),
            "card_number": pan,
            "card_brand": np.where(np.char.startswith(pan, "4"), "visa", "mastercard"),
        }
    )


def _refunds(rng: np.random.Generator, spec: StoreSpec, orders: pd.DataFrame) -> pd.DataFrame:
    pick = rng.random(len(orders)) < 0.05
    src = orders[pick]
    ts = src["ts"].to_numpy() + rng.integers(DAY, 20 * DAY, len(src))
    keep = ts < spec.end_ts
    src, ts = src[keep], ts[keep]
    partial = rng.random(len(src)) < 0.4
    share = np.where(partial, rng.uniform(0.2, 0.8, len(src)), 1.0)
    digits = np.array([MINOR_UNITS[c] for c in src["currency"]])
    amount = np.round(src["total"].to_numpy() * share * 10.0**digits) / 10.0**digits
    return pd.DataFrame(
        {
            "refund_id": [f"R-{spec.seed}-{i:07d}" for i in range(len(src))],
            "ts": ts,
            "order_id": src["order_id"].to_numpy(),
            "storefront": src["storefront"].to_numpy(),
            "amount": amount,
            "currency": src["currency"].to_numpy(),
            "amount_eur": _eur(amount, src["currency"].to_numpy()),
            "reason": np.array(["damaged", "wrong_size", "not_as_described", "late_delivery"])[
                rng.integers(0, 4, len(src))
            ],
            "partial": partial,
        }
    )


def _shipments(rng: np.random.Generator, spec: StoreSpec, orders: pd.DataFrame) -> pd.DataFrame:
    n = len(orders)
    countries = orders["country"].to_numpy()
    carrier = np.array(
        [
            CARRIERS_BY_COUNTRY.get(c, DEFAULT_CARRIERS)[
                k % len(CARRIERS_BY_COUNTRY.get(c, DEFAULT_CARRIERS))
            ]
            for c, k in zip(countries, rng.integers(0, 6, n), strict=True)
        ]
    )
    slow = np.array([CITIES[i].slow for i in _city_index(orders)])
    speed = np.array([CARRIER_SPEED[c] for c in carrier])
    delay = np.round(rng.lognormal(np.log(40), 0.45, n) * speed * np.where(slow, 1.8, 1.0), 1)
    shipped = np.minimum(
        orders["ts"].to_numpy() + rng.integers(2 * 3600, 30 * 3600, n), spec.end_ts - 1
    )
    return pd.DataFrame(
        {
            "shipment_id": [f"SH-{spec.seed}-{i:07d}" for i in range(n)],
            "ts": shipped,
            "order_id": orders["order_id"].to_numpy(),
            "storefront": orders["storefront"].to_numpy(),
            "carrier": carrier,
            "country": countries,
            "region": orders["region"].to_numpy(),
            "city": orders["city"].to_numpy(),
            "lat": orders["lat"].to_numpy(),
            "lon": orders["lon"].to_numpy(),
            "delay_hours": delay,
        }
    )


def _city_index(orders: pd.DataFrame) -> list[int]:
    lookup = {c.city: i for i, c in enumerate(CITIES)}
    return [lookup[c] for c in orders["city"]]


def _inventory(
    rng: np.random.Generator,
    spec: StoreSpec,
    lines: pd.DataFrame,
    orders: pd.DataFrame,
    products: pd.DataFrame,
) -> pd.DataFrame:
    """Daily stock decrements from sales, and weekly restocks, per SKU."""
    day = (orders["ts"].to_numpy()[lines["order_idx"].to_numpy()] - spec.start_ts) // DAY
    sold = (
        pd.DataFrame({"sku": lines["sku"], "day": day, "qty": lines["quantity"]})
        .groupby(["sku", "day"], sort=True)["qty"]
        .sum()
        .reset_index()
    )
    sold["delta"] = -sold["qty"]
    sold["reason"] = "sales"
    restock_days = np.arange(0, spec.days, 7)
    restock = pd.DataFrame(
        {
            "sku": np.repeat(products["sku"].to_numpy(), len(restock_days)),
            "day": np.tile(restock_days, len(products)),
        }
    )
    restock["delta"] = rng.integers(20, 200, len(restock))
    restock["reason"] = "restock"
    inv = pd.concat([sold[["sku", "day", "delta", "reason"]], restock], ignore_index=True)
    inv["ts"] = (
        spec.start_ts
        + inv["day"].to_numpy() * DAY
        + np.where(inv["reason"] == "sales", DAY - 1, 6 * 3600)
    )
    inv = inv.sort_values(["ts", "sku", "reason"], kind="stable").reset_index(drop=True)
    inv.insert(0, "update_id", [f"I-{spec.seed}-{i:08d}" for i in range(len(inv))])
    inv["storefront"] = "all"
    return inv.drop(columns=["day"])


def _price_updates(
    rng: np.random.Generator, spec: StoreSpec, products: pd.DataFrame
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Routine repricing, plus one bulk price manipulation: a category cut to 10 % in minutes."""
    n_days = spec.days
    per_day = max(len(products) // 50, 1)
    day = np.repeat(np.arange(n_days), per_day)
    sku_idx = rng.integers(0, len(products), len(day))
    old = products["price_eur"].to_numpy()[sku_idx]
    new = np.round(old * rng.uniform(0.95, 1.05, len(day)), 2)
    ts = spec.start_ts + day * DAY + rng.integers(8 * 3600, 18 * 3600, len(day))
    actor = np.array(["pricing-bot", "merchandiser"])[rng.integers(0, 2, len(day))]
    episode_day = int(rng.integers(n_days // 3, max(n_days * 2 // 3, n_days // 3 + 1)))
    category = CATEGORIES[int(rng.integers(0, len(CATEGORIES)))]
    victims = np.flatnonzero(products["category"].to_numpy() == category)[:40]
    e_start = spec.start_ts + episode_day * DAY + 2 * 3600 + 17 * 60
    e_ts = e_start + np.sort(rng.integers(0, 600, len(victims)))
    e_old = products["price_eur"].to_numpy()[victims]
    frame = (
        pd.DataFrame(
            {
                "ts": np.r_[ts, e_ts],
                "sku": np.r_[
                    products["sku"].to_numpy()[sku_idx], products["sku"].to_numpy()[victims]
                ],
                "old_price_eur": np.r_[old, e_old],
                "new_price_eur": np.r_[new, np.round(e_old * 0.1, 2)],
                "actor": np.r_[actor, np.full(len(victims), "bulk-import-7731")],
            }
        )
        .sort_values(["ts", "sku"], kind="stable")
        .reset_index(drop=True)
    )
    frame.insert(0, "update_id", [f"PU-{spec.seed}-{i:07d}" for i in range(len(frame))])
    frame["storefront"] = "all"
    episode = {
        "kind": "bulk_price_manipulation",
        "category": category,
        "start_ts": int(e_ts.min()) if len(e_ts) else e_start,
        "end_ts": int(e_ts.max()) if len(e_ts) else e_start,
        "skus": products["sku"].to_numpy()[victims].tolist(),
        "actor": "bulk-import-7731",
    }
    return frame, episode


def generate(spec: StoreSpec | None = None) -> Store:
    """Generate a whole store; deterministic for a given spec."""
    spec = spec or StoreSpec()
    rng = np.random.default_rng(spec.seed)
    promotions, flash_hours = _promotions(rng, spec)
    products = _catalogue(rng, spec)
    customers = _customers(rng, spec)
    sessions = _sessions(rng, spec, customers, _hour_weights(spec, flash_hours))
    stage = sessions["stage"].to_numpy()
    attempts = np.where(
        stage >= 4, 1 + (rng.random(len(sessions)) < 0.06), 1 + (rng.random(len(sessions)) < 0.4)
    )
    events = _events(rng, spec, sessions, products, attempts, promotions)
    orders, lines = _orders(rng, spec, sessions, events, products, customers, promotions)
    payments = _payments(rng, spec, sessions, events, orders)
    refunds = _refunds(rng, spec, orders)
    shipments = _shipments(rng, spec, orders)
    inventory = _inventory(rng, spec, lines, orders, products)
    price_updates, episode = _price_updates(rng, spec, products)
    return Store(
        spec=spec,
        products=products,
        customers=customers,
        promotions=promotions,
        sessions=sessions,
        events=events,
        orders=orders,
        line_items=lines,
        payments=payments,
        refunds=refunds,
        shipments=shipments,
        inventory=inventory,
        price_updates=price_updates,
        episodes=[episode],
    )


# entity -> (frame attribute, amount column or None)
ENTITIES: dict[str, tuple[str, str | None]] = {
    "products": ("products", None),
    "customers": ("customers", None),
    "orders": ("orders", "total_eur"),
    "events": ("events", None),
    "payments": ("payments", "amount_eur"),
    "refunds": ("refunds", "amount_eur"),
    "shipments": ("shipments", None),
    "inventory": ("inventory", None),
    "price_updates": ("price_updates", None),
}


def source_totals(store: Store) -> pd.DataFrame:
    """Count and EUR sum per entity, storefront and UTC day: reconciliation's ground truth."""
    parts = []
    for entity, (attr, amount) in ENTITIES.items():
        frame: pd.DataFrame = getattr(store, attr)
        day = pd.to_datetime(frame["ts"], unit="s", utc=True).dt.strftime("%Y-%m-%d")
        values = frame[amount] if amount else pd.Series(0.0, index=frame.index)
        grouped = (
            pd.DataFrame({"storefront": frame["storefront"], "day": day, "v": values})
            .groupby(["storefront", "day"], sort=True)
            .agg(count=("v", "size"), amount_eur=("v", "sum"))
            .reset_index()
        )
        grouped.insert(0, "entity", entity)
        parts.append(grouped)
    out = pd.concat(parts, ignore_index=True)
    out["amount_eur"] = out["amount_eur"].round(2)
    return out
