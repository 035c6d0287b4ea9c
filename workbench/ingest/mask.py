"""Mask personal data before it leaves the loader.

* e-mail addresses and customer/user ids -> a keyed hash (HMAC-SHA256), so joins still
  work but the value cannot be recovered or brute-forced without the key;
* card numbers -> a keyed token plus the last four digits;
* IP addresses -> truncated (IPv4 to /24, IPv6 to /48);
* every other string, at any depth, is scrubbed of e-mail addresses and 13-19 digit
  runs (spaces and dashes allowed between digits), the shapes of card numbers; integers
  of 13-19 digits are replaced too. Only the identifiers the normaliser placed (record
  ids, ``session_id``, ``sku``, ``source.event_id``) and ``source.original_timestamp``,
  already parsed as the record's time, are kept as sent: they are keys, not card numbers.

The key comes from ``WORKBENCH_MASK_KEY`` (or ``WORKBENCH_MASK_KEY_FILE``), else from
``WORKBENCH_HOME/mask.key``, created once with 32 random bytes and mode 0600.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import os
import re
import secrets
from pathlib import Path
from typing import Any

import orjson

EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")
CARD = re.compile(r"(?<!\d)\d(?:[ \-]?\d){12,18}(?!\d)")
# The same shapes over a serialised document: most documents have none left after the
# structured rules, and one search over their JSON spares walking every value.
_DIGIT_RUN = re.compile(rb"[\d \-]{13,}")
_IPV4 = re.compile(r"(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})")
EMAIL_MARK = "[email]"
CARD_MARK = "[card]"


def load_key(home: Path) -> bytes:
    """The masking key: from the environment, a key file, or created under ``home``."""
    if os.environ.get("WORKBENCH_MASK_KEY"):
        return os.environ["WORKBENCH_MASK_KEY"].encode()
    if os.environ.get("WORKBENCH_MASK_KEY_FILE"):
        return Path(os.environ["WORKBENCH_MASK_KEY_FILE"]).read_bytes().strip()
    path = home / "mask.key"
    if not path.exists():
        home.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    return path.read_bytes().strip()


def scrub(text: str) -> str:
    """Remove e-mail addresses and card-number-shaped digit runs from free text."""
    if "@" in text:
        text = EMAIL.sub(EMAIL_MARK, text)
    return CARD.sub(CARD_MARK, text)


def truncate_ip(value: str) -> str | None:
    match = _IPV4.fullmatch(value)
    if match and all(int(part) <= 255 for part in match.groups()):
        return ".".join(match.groups()[:3]) + ".0"
    try:
        ip = ipaddress.ip_address(value)
    except ValueError:
        return None
    prefix = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False).network_address)


class Masker:
    """Applies the masking rules to normalised documents, in place."""

    def __init__(self, key: bytes) -> None:
        if len(key) < 16:
            raise ValueError("the masking key must have at least 16 bytes")
        self._key = key

    def hash(self, value: str) -> str:
        return hmac.new(self._key, value.encode(), hashlib.sha256).hexdigest()[:32]

    def card(self, number: str) -> dict[str, str | None]:
        digits = re.sub(r"\D", "", number)
        if len(digits) < 4:
            return {"token": None, "last4": None}
        return {"token": "tok_" + self.hash("card:" + digits)[:24], "last4": digits[-4:]}

    def mask(self, doc: dict[str, Any]) -> dict[str, Any]:
        for holder in ("customer", "user"):
            person = doc.get(holder)
            if isinstance(person, dict):
                if person.get("id") is not None:
                    person["id"] = self.hash("id:" + str(person["id"]))
                email = person.pop("email", None)
                if email:
                    person["email_hash"] = self.hash("email:" + str(email).strip().lower())
        card = doc.get("card")
        if isinstance(card, dict) and "number" in card:
            number = card.pop("number")
            card.update(self.card(str(number)) if number else {"token": None, "last4": None})
        client = doc.get("client")
        if isinstance(client, dict) and client.get("ip"):
            client["ip"] = truncate_ip(str(client["ip"]))
        kept = _set_aside(doc)
        result: dict[str, Any] = scrub_all(doc) if _suspect(orjson.dumps(doc, default=str)) else doc
        for (holder, key), value in kept.items():
            container: dict[str, Any] = result[holder] if holder else result
            container[key] = value
        return result


# Identifiers the normaliser itself placed (record ids, the source event id, and the
# source timestamp it has already parsed): keys, not card numbers, even when they hold a
# card-length digit run ("E-9091-000000123"). Scrubbing them would merge distinct records.
KEPT = (
    ("", "order_id"),
    ("", "event_id"),
    ("", "payment_id"),
    ("", "refund_id"),
    ("", "shipment_id"),
    ("", "update_id"),
    ("", "record_id"),
    ("", "session_id"),
    ("", "sku"),
    ("source", "event_id"),
    ("source", "original_timestamp"),
)


def _set_aside(doc: dict[str, Any]) -> dict[tuple[str, str], Any]:
    kept = {}
    for holder, key in KEPT:
        container = doc.get(holder) if holder else doc
        if isinstance(container, dict) and key in container:
            kept[(holder, key)] = container.pop(key)
    return kept


def _suspect(raw: bytes) -> bool:
    """Whether serialised JSON may hold an e-mail address or a card-length digit run."""
    at_signs = raw.count(b"@")
    if at_signs and at_signs > raw.count(b'"@'):  # '"@timestamp"' is a key, not an address
        return True
    return _DIGIT_RUN.search(raw) is not None


def scrub_all(value: Any) -> Any:
    """:func:`scrub` every string, and blank card-length integers, at any depth."""
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, int) and not isinstance(value, bool) and 13 <= len(str(abs(value))) <= 19:
        return CARD_MARK
    if isinstance(value, dict):
        return {k: scrub_all(v) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub_all(v) for v in value]
    return value
