"""Findings every runbook reports, and the verdict they add up to."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import pandas as pd


@dataclass(frozen=True)
class Finding:
    severity: str  # "error" fails the runbook; "warning" and "info" do not
    check: str
    subject: str
    message: str

    def __str__(self) -> str:
        return f"{self.severity}: {self.check}: {self.subject}: {self.message}"


def findings_frame(findings: list[Finding]) -> pd.DataFrame:
    """A table of findings, errors first."""
    order = {"error": 0, "warning": 1, "info": 2}
    rows = sorted((asdict(f) for f in findings), key=lambda r: order.get(r["severity"], 3))
    return pd.DataFrame(rows, columns=["severity", "check", "subject", "message"])


def verdict(
    findings: list[Finding], metrics: dict[str, Any]
) -> tuple[str, dict[str, Any], list[str]]:
    """(status, metrics, findings as text): fail when any finding is an error."""
    errors = [f for f in findings if f.severity == "error"]
    counted = {
        **metrics,
        "errors": len(errors),
        "warnings": sum(f.severity == "warning" for f in findings),
    }
    return (
        ("fail" if errors else "pass"),
        counted,
        [str(f) for f in findings if f.severity != "info"],
    )
