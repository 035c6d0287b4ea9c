import gc

import pytest

from workbench.analytics.query import Filters, _collector_paused, _column


def test_collector_pause_restores_the_previous_state() -> None:
    seen = []

    def failing_page() -> None:
        with _collector_paused():
            seen.append(gc.isenabled())
            raise RuntimeError("a failed page")

    assert gc.isenabled()
    with pytest.raises(RuntimeError):
        failing_page()
    assert seen == [False]
    assert gc.isenabled(), "re-enabled after an error"
    gc.disable()
    try:
        with _collector_paused():
            pass
        assert not gc.isenabled(), "a collector the caller disabled stays disabled"
    finally:
        gc.enable()


def test_dotted_columns_read_nested_sources() -> None:
    rows = [{"event": {"type": "view"}, "a": 1}, {"event": "flat"}, {}]
    assert _column(rows, "event.type") == ["view", None, None]
    assert _column(rows, "a") == [1, None, None]


def test_filters_go_to_filter_context() -> None:
    query = Filters(start="2026-10-01", storefront=("shopify",), device=("mobile", "tablet"))
    clauses = query.query()["bool"]["filter"]
    assert {"terms": {"storefront": ["shopify"]}} in clauses
    assert {"terms": {"device": ["mobile", "tablet"]}} in clauses
    assert any("range" in c for c in clauses)
    assert "must" not in query.query()["bool"]
