"""Capacity formulas against values computed by hand (see the module docstring)."""

from datetime import date

import pytest

from workbench.ops.capacity import (
    GB,
    DataClass,
    crossings,
    daily_bytes_on,
    data_nodes,
    disk_needed,
    forecast,
    heap_gb,
    plan,
    primaries,
    stored_bytes,
)

MiB = 2**20


def test_steady_state_storage_without_growth() -> None:
    cls = DataClass("behaviour", daily_docs=1024, bytes_per_doc=1024, retention_days=10, replicas=1)
    assert cls.daily_bytes == MiB
    assert stored_bytes(cls, 0, 0.0) == 20 * MiB  # 2 copies x 10 days x 1 MiB
    assert disk_needed([cls], 0, 0.0) == pytest.approx(23 * MiB)  # + 15 % overhead


def test_growth_and_the_closed_form_sum() -> None:
    cls = DataClass("orders", daily_docs=1, bytes_per_doc=GB, retention_days=7, replicas=0)
    assert daily_bytes_on(cls, 30, 0.3) == pytest.approx(1.3 * GB)
    explicit = sum(daily_bytes_on(cls, 45 - k, 0.3) for k in range(7))
    assert stored_bytes(cls, 45, 0.3) == pytest.approx(explicit)


def test_nodes_primaries_and_heap() -> None:
    cls = DataClass("tax", daily_docs=1, bytes_per_doc=10 * GB, retention_days=10, replicas=0)
    # 100 GB stored, 115 GB with overhead, over 85 GB usable per 100 GB node -> 2 nodes
    assert data_nodes([cls], 0, 0.0, 100 * GB) == 2
    assert data_nodes([DataClass("x", 1, GB, 1, replicas=0)], 0, 0.0, 100 * GB) == 1
    assert data_nodes([DataClass("x", 1, GB, 1, replicas=1)], 0, 0.0, 100 * GB) == 2
    peaky = DataClass("events", daily_docs=1, bytes_per_doc=20 * GB, retention_days=90)
    assert primaries(peaky, 0, 0.0, peak=3.0) == 2  # 3 x 20 GB / 30 GB
    monthly = DataClass(
        "orders", daily_docs=1, bytes_per_doc=GB, retention_days=400, days_per_index=30
    )
    assert primaries(monthly, 0, 0.0, peak=1.0) == 1
    assert heap_gb(64) == 30
    assert heap_gb(16) == 8


def test_watermark_crossing_days() -> None:
    # used(t) = 1.15 * 50 GB * 2^(t/30) / 100 GB = 0.575 * 2^(t/30)
    # low 85 %: t >= 30*log2(0.85/0.575) = 16.9 -> day 17; high: 19.4 -> 20; flood: 21.7 -> 22
    cls = DataClass("burst", daily_docs=1, bytes_per_doc=50 * GB, retention_days=1, replicas=0)
    table = forecast(
        [cls], nodes=1, node_disk=100 * GB, horizon=40, growth=1.0, start=date(2026, 12, 1)
    )
    assert table["used_pct"].iloc[0] == pytest.approx(57.5)
    assert crossings(table) == {
        "low": date(2026, 12, 18),
        "high": date(2026, 12, 21),
        "flood_stage": date(2026, 12, 23),
    }


def test_plan_fails_when_the_high_watermark_is_crossed() -> None:
    cls = DataClass("burst", daily_docs=1, bytes_per_doc=50 * GB, retention_days=1, replicas=0)
    result = plan(
        [cls],
        nodes_now=1,
        node_disk_gb=100,
        node_ram_gb=64,
        growth=1.0,
        peak=2.0,
        horizon=40,
        start=date(2026, 12, 1),
    )
    assert [f.check for f in result.findings if f.severity == "error"] == ["watermark"]
    assert "2026-12-21" in str(result.findings[0])
    assert result.nodes_needed == 2  # 1.15 * 50 GB * 2^(40/30) = 144.9 GB over 85 GB a node
    calm = plan(
        [cls],
        nodes_now=3,
        node_disk_gb=100,
        node_ram_gb=16,
        growth=0.0,
        peak=2.0,
        horizon=40,
        start=date(2026, 12, 1),
    )
    assert not [f for f in calm.findings if f.severity == "error"]
    assert calm.heap_gb == 8
