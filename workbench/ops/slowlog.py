"""Slow logs: parse them, fingerprint the queries, find where the time goes.

Formats read, line by line (a malformed line is counted, never fatal):

* 8.x/9.x ECS JSON (``elasticsearch.slowlog.*`` fields; the query source is JSON text
  whose quotes are escaped once more);
* 7.x JSON (``"type": "index_search_slowlog"``, ``took_millis``, ``source``);
* 7.x plain text (``[ts][WARN ][i.s.s.query] [node] [index][0] took[..], took_millis[..],
  …, source[{…}], id[],``).

A fingerprint normalises a query's literal values (``{"term": {"sku": "A-1"}}`` and
``{"term": {"sku": "B-2"}}`` are one fingerprint) but keeps its structure and the names
of fields, intervals and orders, so that one slow *pattern* stands out however many
values it was called with.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import pandas as pd

from workbench.ops.findings import Finding

COLUMNS = [
    "timestamp",
    "kind",
    "index",
    "shard",
    "took_ms",
    "total_hits",
    "total_shards",
    "search_type",
    "node",
    "source",
]
_PLAIN = re.compile(
    r"^\[(?P<ts>[^\]]+)\]\[(?P<level>\w+)\s*\]\[(?P<logger>[^\]]+?)\s*\]\s*\[(?P<node>[^\]]*)\]\s*"
    r"\[(?P<index>[^\]]+)\]\[(?P<shard>\d+)\]\s*took\[[^\]]*\],\s*took_millis\[(?P<took>\d+)\]"
    r"(?:,\s*total_hits\[(?P<hits>[^\]]*)\])?.*?(?:search_type\[(?P<stype>[^\]]*)\],\s*)?"
    r"(?:total_shards\[(?P<shards>\d+)\],\s*)?source\[(?P<source>.*)\],\s*id\["
)
_INDEX_SHARD = re.compile(r"\[([^\]/]+)(?:/[^\]]*)?\](?:\[(\d+)\])?")
_HITS = re.compile(r"\d+")
# Values under these keys name structure (fields, intervals, orders), not data.
STRUCTURAL = {
    "field",
    "fields",
    "order",
    "calendar_interval",
    "fixed_interval",
    "interval",
    "format",
    "time_zone",
    "operator",
    "type",
    "path",
    "score_mode",
    "_source",
    "execution_hint",
    "missing_bucket",
    "mode",
    "unit",
    "distance_type",
}


@dataclass
class Parsed:
    frame: pd.DataFrame
    lines: int = 0
    malformed: int = 0
    examples: list[str] = field(default_factory=list)


def _kind(logger: str) -> str:
    tail = logger.rsplit(".", 1)[-1]
    return {"query": "query", "fetch": "fetch", "index": "index"}.get(tail, tail)


def _number(value: Any) -> int:
    if isinstance(value, int):
        return value
    match = _HITS.search(str(value or ""))
    return int(match.group(0)) if match else 0


# Field names of the two JSON layouts, in COLUMNS order (after kind, index and shard).
_ECS_KEYS = (
    "@timestamp",
    "log.logger",
    "elasticsearch.slowlog.message",
    "elasticsearch.slowlog.took_millis",
    "elasticsearch.slowlog.total_hits",
    "elasticsearch.slowlog.total_shards",
    "elasticsearch.slowlog.search_type",
    "elasticsearch.node.name",
    "elasticsearch.slowlog.source",
)
_7X_KEYS = (
    "timestamp",
    "component",
    "message",
    "took_millis",
    "total_hits",
    "total_shards",
    "search_type",
    "node.name",
    "source",
)


def _from_json(d: dict[str, Any]) -> list[Any] | None:
    """A JSON slow-log record: ECS (8.x/9.x) that the fast path could not read, or 7.x."""
    if "elasticsearch.slowlog.message" in d:
        keys, escaped = _ECS_KEYS, True
    elif str(d.get("type", "")).endswith("slowlog"):
        keys, escaped = _7X_KEYS, False
    else:
        return None
    ts, logger, message, took, hits, shards, stype, node, source = (d.get(k) for k in keys)
    target = _INDEX_SHARD.search(str(message or ""))
    text = str(source or "")
    return [
        ts,
        _kind(str(logger or "")),
        target.group(1) if target else None,
        int(target.group(2)) if target and target.group(2) else None,
        _number(took),
        _number(hits),
        _number(shards),
        stype,
        node,
        text.replace('\\"', '"') if escaped else text,
    ]


def _from_plain(line: str) -> list[Any] | None:
    m = _PLAIN.match(line)
    if not m:
        return None
    return [
        m["ts"],
        _kind(m["logger"]),
        m["index"],
        int(m["shard"]),
        int(m["took"]),
        _number(m["hits"]),
        _number(m["shards"]),
        m["stype"],
        m["node"],
        m["source"],
    ]


_NUMBER = re.compile(rb'\s*"?(\d+)')


def _ecs_row(line: bytes) -> list[Any] | None:
    """An ECS slow-log line, read by finding its keys in the order Elasticsearch writes
    them: one pass with ``bytes.find`` and no full JSON parse (the fast path; anything
    unusual returns None and goes to the JSON parser). ``source`` stays escaped bytes:
    :func:`source_text` decodes it when a fingerprint needs it."""
    find = line.find
    a = find(b'"@timestamp":"')
    if a < 0:
        return None
    b = find(b'"', a + 14)
    timestamp = line[a + 14 : b]
    a = find(b'"elasticsearch.slowlog.message":"[', b)
    if a < 0:
        return None
    b = find(b'"', a + 34)
    message = line[a + 34 : b]
    source = b""
    a = find(b'"elasticsearch.slowlog.source":"', b)
    if a >= 0:
        b = find(b'","', a + 32)
        source = line[a + 32 : b]
    a = find(b'"elasticsearch.slowlog.took_millis":', b)
    took = _NUMBER.match(line, a + 36) if a >= 0 else None
    if took is None:
        return None
    a = find(b'"elasticsearch.slowlog.total_shards":', took.end())
    shards = _NUMBER.match(line, a + 37) if a >= 0 else None
    a = find(b'"log.logger":"', took.end())
    if a < 0:
        return None
    b = find(b'"', a + 14)
    kind = line[line.rfind(b".", a, b) + 1 : b]
    close = message.find(b"]")
    shard = message[close + 2 : -1]
    return [
        timestamp.decode(),
        kind.decode(),
        message[:close].split(b"/", 1)[0].decode(),
        int(shard) if shard.isdigit() else None,
        int(took.group(1)),
        None,
        int(shards.group(1)) if shards else 0,
        None,
        None,
        source,
    ]


def source_text(source: str | bytes) -> str:
    """A query source as JSON text (ECS lines escape its quotes once more)."""
    if isinstance(source, bytes):
        return source.decode("utf-8", "replace").replace('\\\\"', '"').replace('\\"', '"')
    return source


def parse_lines(lines: Iterable[str | bytes]) -> Parsed:
    """Every slow-log line in any supported format; bad lines are counted, not raised."""
    rows: list[list[Any]] = []
    parsed = Parsed(pd.DataFrame(columns=COLUMNS))
    for line in lines:
        raw = line if isinstance(line, bytes) else line.encode()
        # The fast path needs no stripping: it only looks for keys inside the line.
        row = _ecs_row(raw) if raw[:1] == b"{" else None
        if row is None:
            stripped = raw.strip()
            if not stripped:
                continue
            row = _slow_path(stripped)
            if row is None:
                parsed.lines += 1
                parsed.malformed += 1
                if len(parsed.examples) < 5:
                    parsed.examples.append(stripped.decode("utf-8", "replace")[:200])
                continue
        parsed.lines += 1
        rows.append(row)
    parsed.frame = pd.DataFrame(rows, columns=COLUMNS)
    return parsed


def _slow_path(line: bytes) -> list[Any] | None:
    """7.x JSON and plain-text lines, and ECS lines the fast path could not read."""
    if line[:1] != b"{":
        return _from_plain(line.decode("utf-8", "replace"))
    try:
        d = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None
    return _from_json(d) if isinstance(d, dict) else None


def parse_files(paths: Iterable[Path], offsets: dict[Path, int] | None = None) -> Parsed:
    """Parse files, each from an optional byte offset (to read only new lines)."""
    offsets = offsets or {}

    def lines() -> Iterable[bytes]:
        for path in paths:
            with path.open("rb") as fh:
                fh.seek(offsets.get(path, 0))
                yield from fh

    return parse_lines(lines())


def _normalise(value: Any, key: str | None = None) -> Any:
    if isinstance(value, dict):
        return {k: _normalise(v, k) for k, v in sorted(value.items())}
    if isinstance(value, list):
        if key in STRUCTURAL:
            return value
        items = [_normalise(v) for v in value]
        if all(not isinstance(v, dict | list) for v in items):
            return ["?"]  # a list of literals (terms, ids) is one literal
        return items
    if key in STRUCTURAL:
        return value
    return "?"


def fingerprint(source: str) -> tuple[str, str]:
    """(12-character id, normalised query text) for a query source."""
    try:
        query = json.loads(source)
    except (json.JSONDecodeError, TypeError):
        text = re.sub(r"\d+", "?", str(source))
    else:
        text = json.dumps(_normalise(query), sort_keys=True, separators=(",", ":"))
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()[:12], text


def by_fingerprint(frame: pd.DataFrame, kind: str = "query") -> pd.DataFrame:
    """Per fingerprint of the ``kind`` phase: count, p50/p95/max took, shards, indices."""
    phase = frame[frame["kind"] == kind].copy()
    if phase.empty:
        return pd.DataFrame(
            columns=[
                "fingerprint",
                "count",
                "p50_ms",
                "p95_ms",
                "max_ms",
                "mean_shards",
                "indices",
                "pattern",
                "example",
            ]
        )
    phase["source"] = phase["source"].map(source_text)
    prints = phase["source"].map(fingerprint)
    phase["fingerprint"] = prints.map(lambda p: p[0])
    phase["pattern"] = prints.map(lambda p: p[1])
    grouped = phase.groupby("fingerprint")
    out = pd.DataFrame(
        {
            "count": grouped.size(),
            "p50_ms": grouped["took_ms"].quantile(0.5),
            "p95_ms": grouped["took_ms"].quantile(0.95),
            "max_ms": grouped["took_ms"].max(),
            "mean_shards": grouped["total_shards"].mean().round(1),
            "indices": grouped["index"].agg(lambda s: ", ".join(sorted(set(map(str, s)))[:5])),
            "pattern": grouped["pattern"].first(),
            "example": grouped["source"].first(),
        }
    ).reset_index()
    return out.sort_values("p95_ms", ascending=False).reset_index(drop=True)


def findings(table: pd.DataFrame, parsed: Parsed, p95_threshold_ms: float) -> list[Finding]:
    """An error per fingerprint whose p95 is over the threshold; malformed lines noted."""
    out = [
        Finding(
            "error",
            "p95",
            str(row["fingerprint"]),
            f"p95 {row['p95_ms']:.0f} ms over {p95_threshold_ms:.0f} ms "
            f"({row['count']} calls on {row['indices']}): {str(row['pattern'])[:200]}",
        )
        for row in table.to_dict("records")
        if row["p95_ms"] > p95_threshold_ms
    ]
    if parsed.malformed:
        out.append(
            Finding(
                "warning",
                "malformed",
                "slow log",
                f"{parsed.malformed} of {parsed.lines} lines could not be read, "
                f"e.g. {parsed.examples[0][:120]!r}",
            )
        )
    if not parsed.lines:
        out.append(
            Finding(
                "warning",
                "empty",
                "slow log",
                "no slow-log lines were written: are the files right?",
            )
        )
    return out
