"""The dead-letter file: every rejected record, with the reason, never silently dropped.

NDJSON, one object per rejection: ``time``, ``stage`` (normalise, validate or index),
``entity``, ``system``, ``key`` (stable per source record), ``storefront`` and ``day``
(for reconciliation, when they can be read from the record), ``reason`` and ``record``
(the original payload, or the masked document for index rejections). Card numbers and
e-mail addresses are scrubbed from ``record``. A replay after a crash may append the
same rejection twice; :func:`read` keeps one per key.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from workbench.ingest.mask import scrub_all
from workbench.ingest.spool import sync


class DeadLetters:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._fh = path.open("ab")
        self.written = 0

    def add(
        self,
        *,
        stage: str,
        entity: str,
        system: str,
        key: str,
        reason: str,
        record: Any,
        storefront: str | None,
        day: str | None,
    ) -> None:
        entry = {
            "time": datetime.now(UTC).isoformat(timespec="seconds"),
            "stage": stage,
            "entity": entity,
            "system": system,
            "key": key,
            "storefront": storefront,
            "day": day,
            "reason": reason,
            "record": scrub_all(record),
        }
        self._fh.write(orjson.dumps(entry, default=str) + b"\n")
        self.written += 1

    def flush(self) -> None:
        sync(self._fh)

    def close(self) -> None:
        sync(self._fh)
        self._fh.close()


def read(path: Path) -> list[dict[str, Any]]:
    """All dead letters, one per key (the last one written wins)."""
    if not path.exists():
        return []
    by_key: dict[str, dict[str, Any]] = {}
    with path.open("rb") as fh:
        for line in fh:
            if line.endswith(b"\n"):
                entry = orjson.loads(line)
                by_key[entry["key"]] = entry
    return list(by_key.values())
