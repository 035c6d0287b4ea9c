import re
import string

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.ingest.mask import CARD_MARK, EMAIL_MARK, Masker, scrub, truncate_ip

MASKER = Masker(b"unit-test-key-0123456789")
DIGIT_RUN = re.compile(r"(?<!\d)\d(?:[ \-]?\d){12,18}(?!\d)")
EMAILISH = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")

card_numbers = st.integers(min_value=13, max_value=19).flatmap(
    lambda n: st.text(alphabet=string.digits, min_size=n, max_size=n)
)
separators = st.sampled_from(["", " ", "-"])
local = st.text(alphabet=string.ascii_letters + string.digits + "._%+-", min_size=1, max_size=20)
domain = st.text(alphabet=string.ascii_lowercase + string.digits + "-", min_size=1, max_size=15)
emails = st.builds(
    lambda a, b, c: f"{a}@{b}.{c}",
    local,
    domain,
    st.text(alphabet=string.ascii_letters, min_size=2, max_size=6),
)
noise = st.text(max_size=30)


@st.composite
def spaced_card(draw) -> str:
    digits = draw(card_numbers)
    sep = draw(separators)
    return sep.join(digits[i : i + 4] for i in range(0, len(digits), 4))


@st.composite
def dirty_documents(draw) -> dict:
    pieces = draw(st.lists(st.one_of(spaced_card(), emails, noise), min_size=1, max_size=6))
    text = " ".join(pieces)
    return {
        "customer": {"id": draw(noise), "email": draw(emails)},
        "card": {"number": draw(spaced_card()), "brand": "visa"},
        "client": {"ip": "203.0.113.77"},
        "note": text,
        "attributes": {
            draw(st.text(alphabet=string.ascii_lowercase, min_size=1, max_size=8)): draw(
                st.one_of(spaced_card(), emails, noise)
            ),
            "as_number": int(draw(card_numbers)[:16].lstrip("0") or "1" * 16),
        },
        "lines": [draw(spaced_card()), {"deep": draw(emails)}],
    }


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


@settings(max_examples=300, deadline=None)
@given(dirty_documents())
def test_no_email_or_card_number_survives(doc: dict) -> None:
    masked = MASKER.mask(doc)
    text = orjson.dumps(masked).decode()
    assert not EMAILISH.search(text), text
    for value in _strings(masked):
        assert not DIGIT_RUN.search(value), value
    assert not re.search(r"(?<!\d)\d{13,19}(?!\d)", text), text
    assert masked["client"]["ip"] == "203.0.113.0"
    assert "email" not in masked["customer"]
    assert "number" not in masked["card"]


def test_structured_rules() -> None:
    doc = MASKER.mask(
        {
            "customer": {"id": "C-1", "email": " Anna@Example.com "},
            "card": {"number": "4111 1111 1111 1111"},
            "client": {"ip": "10.1.2.3"},
            "source": {"original_timestamp": "1790828646000"},
        }
    )
    again = MASKER.mask({"customer": {"id": "C-1", "email": "anna@example.com"}})
    assert doc["customer"]["id"] == again["customer"]["id"] != "C-1"
    assert doc["customer"]["email_hash"] == again["customer"]["email_hash"]
    assert doc["card"]["last4"] == "1111"
    assert doc["card"]["token"].startswith("tok_")
    assert doc["client"]["ip"] == "10.1.2.0"
    assert doc["source"]["original_timestamp"] == "1790828646000", "a parsed epoch is kept"
    other = Masker(b"another-key-0123456789").mask({"customer": {"id": "C-1"}})
    assert other["customer"]["id"] != doc["customer"]["id"], "hashes depend on the key"


def test_scrub_and_ip_truncation() -> None:
    assert scrub("mail a.b@x.org or 5500-0000-0000-0004!") == f"mail {EMAIL_MARK} or {CARD_MARK}!"
    assert scrub("order 12345, phone 0049 30 1234") == "order 12345, phone 0049 30 1234"
    assert truncate_ip("2001:db8:abcd:12::1") == "2001:db8:abcd::"
    assert truncate_ip("not an ip") is None


def test_identifiers_with_card_length_digit_runs_are_kept() -> None:
    # Seed 9091 and a 9-digit counter make a 13-digit run; scrubbing it would give every
    # event the same id and silently merge them.
    doc = MASKER.mask(
        {
            "event_id": "E-9091-000000123",
            "session_id": "S-9091-00001234",
            "source": {
                "system": "custom",
                "event_id": "E-9091-000000123",
                "original_timestamp": "1790828646000",
            },
            "note": "card 4111 1111 1111 1111",
            "sku": "SKU-9091-00012",
        }
    )
    assert doc["event_id"] == "E-9091-000000123"
    assert doc["source"]["event_id"] == "E-9091-000000123"
    assert doc["session_id"] == "S-9091-00001234"
    assert doc["note"] == f"card {CARD_MARK}"
