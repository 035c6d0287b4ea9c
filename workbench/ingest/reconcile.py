"""Reconcile what Elasticsearch holds against the source totals and the dead letters.

For every entity, storefront and UTC day: source count = indexed + dead-lettered, and
the indexed EUR sum equals the source sum to the cent wherever nothing was
dead-lettered (a rejected record's amount cannot be trusted). Dead letters whose day
cannot be read are reported as ``unknown`` and balance out in the per-storefront
roll-up, which is what the verdict checks together with the amounts (not checked for
an entity and storefront with such dead letters).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from elasticsearch import Elasticsearch

from workbench.ingest.deadletter import read
from workbench.schema.templates import Domain

KEYS = ["entity", "storefront", "day"]
CENT = 0.005


def es_totals(es: Elasticsearch, domains: dict[str, Domain], page: int = 500) -> pd.DataFrame:
    """Count and EUR sum per entity, storefront and UTC day, by composite aggregation."""
    rows: list[dict[str, Any]] = []
    for entity, domain in domains.items():
        if not es.indices.exists_alias(name=domain.read_alias):
            continue
        after: dict[str, Any] | None = None
        while True:
            composite: dict[str, Any] = {
                "size": page,
                "sources": [
                    {"storefront": {"terms": {"field": "storefront"}}},
                    {
                        "day": {
                            "date_histogram": {
                                "field": "@timestamp",
                                "calendar_interval": "1d",
                                "time_zone": "UTC",
                                "format": "yyyy-MM-dd",
                            }
                        }
                    },
                ],
            }
            if after:
                composite["after"] = after
            agg: dict[str, Any] = {"composite": composite}
            if domain.amount_field:
                agg["aggs"] = {"amount": {"sum": {"field": domain.amount_field}}}
            response = es.options(request_timeout=120).search(
                index=domain.read_alias, size=0, aggs={"t": agg}
            )
            result = response["aggregations"]["t"]
            for bucket in result["buckets"]:
                rows.append(
                    {
                        "entity": entity,
                        "storefront": bucket["key"]["storefront"],
                        "day": bucket["key"]["day"],
                        "indexed": bucket["doc_count"],
                        "indexed_amount_eur": round(bucket["amount"]["value"], 2)
                        if domain.amount_field
                        else 0.0,
                    }
                )
            if not result["buckets"] or "after_key" not in result:
                break
            after = result["after_key"]
    return pd.DataFrame(rows, columns=[*KEYS, "indexed", "indexed_amount_eur"])


def dead_letter_totals(path: Path) -> pd.DataFrame:
    entries = read(path)
    frame = pd.DataFrame(
        [
            {
                "entity": e["entity"],
                "storefront": e.get("storefront") or "unknown",
                "day": e.get("day") or "unknown",
            }
            for e in entries
        ],
        columns=KEYS,
    )
    return frame.groupby(KEYS).size().rename("dead_lettered").reset_index()


@dataclass
class Reconciliation:
    table: pd.DataFrame
    rollup: pd.DataFrame

    @property
    def passed(self) -> bool:
        return bool((self.rollup["missing"] == 0).all()) and not self.amount_mismatches().any()

    def amount_mismatches(self) -> pd.Series:
        """Rows whose EUR sums differ, where they can be trusted: no dead letter on the row,
        and none of unknown day for its entity and storefront."""
        t = self.table
        unattributed = t.loc[
            (t["day"] == "unknown") & (t["dead_lettered"] > 0), ["entity", "storefront"]
        ].drop_duplicates()
        doubtful = t.set_index(["entity", "storefront"]).index.isin(
            unattributed.set_index(["entity", "storefront"]).index
        )
        checked = (t["dead_lettered"] == 0) & ~doubtful
        return checked & ((t["source_amount_eur"] - t["indexed_amount_eur"]).abs() > CENT)

    def differences(self) -> pd.DataFrame:
        """Only the rows that do not balance."""
        return self.table[(self.table["missing"] != 0) | self.amount_mismatches()]

    def verdict(self) -> dict[str, Any]:
        return {
            "status": "pass" if self.passed else "fail",
            "metrics": {
                "source_records": int(self.table["source_count"].sum()),
                "indexed": int(self.table["indexed"].sum()),
                "dead_lettered": int(self.table["dead_lettered"].sum()),
                "missing": int(self.rollup["missing"].sum()),
                "rows_out_of_balance": len(self.differences()),
            },
            "findings": [
                f"{r.entity}/{r.storefront}: source {r.source_count}, indexed {r.indexed}, "
                f"dead-lettered {r.dead_lettered}, missing {r.missing}"
                for r in self.rollup[self.rollup["missing"] != 0].itertuples()
            ],
        }


def reconcile(source: pd.DataFrame, indexed: pd.DataFrame, dead: pd.DataFrame) -> Reconciliation:
    """Join the three sides; ``missing`` = source - indexed - dead-lettered."""
    src = source.rename(columns={"count": "source_count", "amount_eur": "source_amount_eur"})
    table = src.merge(indexed, on=KEYS, how="outer").merge(dead, on=KEYS, how="outer")
    for column in ("source_count", "indexed", "dead_lettered"):
        table[column] = table[column].fillna(0).astype(int)
    for column in ("source_amount_eur", "indexed_amount_eur"):
        table[column] = table[column].fillna(0.0).round(2)
    table["missing"] = table["source_count"] - table["indexed"] - table["dead_lettered"]
    table = table.sort_values(KEYS).reset_index(drop=True)
    rollup = (
        table.groupby(["entity", "storefront"])[
            ["source_count", "indexed", "dead_lettered", "missing"]
        ]
        .sum()
        .reset_index()
    )
    return Reconciliation(table=table, rollup=rollup)


def reconcile_job(
    es: Elasticsearch, domains: dict[str, Domain], source: pd.DataFrame, dead_letter_path: Path
) -> Reconciliation:
    return reconcile(source, es_totals(es, domains), dead_letter_totals(dead_letter_path))
