"""Field-type conflicts across indices (say, one storefront's raw export per index)."""

from __future__ import annotations

import pandas as pd
from elasticsearch import Elasticsearch


def field_conflicts(es: Elasticsearch, pattern: str) -> pd.DataFrame:
    """One row per field mapped with more than one type under ``pattern``.

    Columns: ``field``, ``types`` (sorted) and ``indices`` (type -> indices using it).
    Such a field cannot be aggregated or sorted on across the pattern.
    """
    caps = es.field_caps(index=pattern, fields="*", include_unmapped=False)
    rows = []
    for name, by_type in sorted(caps["fields"].items()):
        types = {t: info for t, info in by_type.items() if t != "unmapped"}
        if len(types) < 2 or name.startswith("_"):
            continue
        rows.append(
            {
                "field": name,
                "types": sorted(types),
                "indices": {
                    t: sorted(info.get("indices") or caps["indices"])
                    for t, info in sorted(types.items())
                },
            }
        )
    return pd.DataFrame(rows, columns=["field", "types", "indices"])
