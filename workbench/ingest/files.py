"""Source records from a storefront's NDJSON export, for the same loader path."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import orjson

from workbench.ingest.loader import SourceRecord
from workbench.ingest.normalise import Unparsed


def ndjson_records(path: Path, system: str, entity: str) -> Iterator[SourceRecord]:
    """One record per non-blank line, in file order (so that a reload resumes)."""
    with path.open("rb") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                yield system, entity, orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                text = line.decode("utf-8", errors="replace").rstrip("\n")
                yield system, entity, Unparsed(text, f"line {number} is not JSON: {exc}")
