"""Slow logs: parse them, fingerprint the queries, find where the time goes.

Formats read (a malformed line is counted, never fatal):

* 8.x/9.x ECS JSON (``elasticsearch.slowlog.*`` fields; the query source is JSON text
  whose quotes are escaped once more: :func:`query_text` undoes that);
* 7.x JSON (``"type": "index_search_slowlog"``, ``took_millis``, ``source``);
* 7.x plain text (``[ts][WARN ][i.s.s.query] [node] [index][0] took[..], took_millis[..],
  …, source[{…}], id[],``).

Files are read in blocks of whole lines. A block whose lines are all one JSON layout goes
through Arrow's multi-threaded JSON reader, which reads only the keys named here; any
other block (text lines, mixed layouts, a bad line) is read line by line, with the same
result. ``python benchmarks/slowlog.py`` measures both against ``json.loads`` + pandas.

A fingerprint normalises a query's literal values (``{"term": {"sku": "A-1"}}`` and
``{"term": {"sku": "B-2"}}`` are one fingerprint) but keeps its structure and the names
of fields, intervals and orders, so that one slow *pattern* stands out however many
values it was called with.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pj

from workbench.ops.findings import Finding

_PLAIN = re.compile(
    r"^\[(?P<ts>[^\]]+)\]\[(?P<level>\w+)\s*\]\[(?P<logger>[^\]]+?)\s*\]\s*\[(?P<node>[^\]]*)\]\s*"
    r"\[(?P<index>[^\]]+)\]\[(?P<shard>\d+)\]\s*took\[[^\]]*\],\s*took_millis\[(?P<took>\d+)\]"
    r"(?:,\s*total_hits\[(?P<hits>[^\]]*)\])?.*?(?:search_type\[(?P<stype>[^\]]*)\],\s*)?"
    r"(?:total_shards\[(?P<shards>\d+)\],\s*)?source\[(?P<source>.*)\],\s*id\["
)
_INDEX_SHARD = re.compile(r"\[([^\]/]+)(?:/[^\]]*)?\](?:\[(\d+)\])?")
_HITS = re.compile(r"\d+")
_WINDOW = 64 << 20  # bytes of a file held at once
_BLOCK = 4 << 20  # bytes of lines read together; a bad line costs its block the slow path
_ARROW_BLOCK = 1 << 20  # Arrow's unit of parallel parsing (a longer line takes the slow path)
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
    return logger.rsplit(".", 1)[-1]


def _number(value: Any) -> int:
    if isinstance(value, int):
        return value
    match = _HITS.search(str(value or ""))
    return int(match.group(0)) if match else 0


def unescape(source: str) -> str:
    """A query source from an ECS slow log as the JSON text that was sent.

    ES escapes the source as a JSON string before its ECS layout encodes the record, so
    the source in the record is escaped once more. Every backslash in it starts a pair,
    so these replacements, in this order, undo that exactly (JSON text has no NUL)."""
    return source.replace("\\\\", "\x00").replace('\\"', '"').replace("\x00", "\\")


def query_text(frame: pd.DataFrame) -> pd.Series:
    """Each row's query source as JSON text (``source`` keeps it as the log wrote it).

    Only ECS sources that are escaped once more are unescaped: they start ``{\\"``, as
    every escaped JSON object does (the 9.5.3 node writes them so), while a source logged
    as plain JSON (as in Elastic's documented example) starts ``{"``."""
    text = frame["source"].copy()
    escaped = (frame["format"] == "ecs") & text.str.startswith('{\\"')
    text[escaped] = text[escaped].map(unescape)
    return text


@dataclass(frozen=True)
class _Layout:
    """Where one JSON slow-log layout keeps each column (numbers as JSON numbers or text)."""

    timestamp: str
    logger: str
    message: str
    took: str
    hits: str
    shards: str
    search_type: str
    node: str
    source: str
    format: str
    numbers: pa.DataType = field(default_factory=pa.int64)

    def schema(self) -> pa.Schema:
        text = pa.string()
        return pa.schema(
            [
                (self.timestamp, text),
                (self.logger, text),
                (self.message, text),
                (self.took, self.numbers),
                (self.hits, text),
                (self.shards, self.numbers),
                (self.search_type, text),
                (self.node, text),
                (self.source, text),
            ]
        )


_ECS = _Layout(
    "@timestamp",
    "log.logger",
    "elasticsearch.slowlog.message",
    "elasticsearch.slowlog.took_millis",
    "elasticsearch.slowlog.total_hits",
    "elasticsearch.slowlog.total_shards",
    "elasticsearch.slowlog.search_type",
    "elasticsearch.node.name",
    "elasticsearch.slowlog.source",
    format="ecs",
)
_7X = _Layout(
    "timestamp",
    "component",
    "message",
    "took_millis",
    "total_hits",
    "total_shards",
    "search_type",
    "node.name",
    "source",
    format="7.x json",
    numbers=pa.string(),
)
# Tried in this order on each block of lines (9.x ECS writes numbers, 7.x writes text).
_LAYOUTS = (_ECS, replace(_ECS, numbers=pa.string()), _7X, replace(_7X, numbers=pa.int64()))
_SCHEMA = pa.schema(
    [
        ("timestamp", pa.string()),
        ("kind", pa.string()),
        ("index", pa.string()),
        ("shard", pa.int64()),
        ("took_ms", pa.int64()),
        ("total_hits", pa.int64()),
        ("total_shards", pa.int64()),
        ("search_type", pa.string()),
        ("node", pa.string()),
        ("source", pa.string()),
        ("format", pa.string()),
    ]
)
COLUMNS = list(_SCHEMA.names)
_TARGET = r"^\[(?P<index>[^\]/]+)(?:/[^\]]*)?\](?:\[(?P<shard>\d+)\])?"


def _digits(column: pa.ChunkedArray) -> pa.ChunkedArray:
    if column.type == pa.int64():
        return column
    return pc.cast(pc.struct_field(pc.extract_regex(column, r"(?P<n>\d+)"), [0]), pa.int64())


def _read_block(block: bytes, layout: _Layout) -> pa.Table | None:
    """A block of whole lines in one layout, read by Arrow's JSON reader, or None when any
    line is not in that layout (then the caller tries the next layout, then line by line)."""
    try:
        table = pj.read_json(
            pa.BufferReader(block),
            read_options=pj.ReadOptions(block_size=_ARROW_BLOCK),
            parse_options=pj.ParseOptions(
                explicit_schema=layout.schema(), unexpected_field_behavior="ignore"
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    # The reader skips blank lines and splits two records on one line: count them.
    lines = np.count_nonzero(np.frombuffer(block, np.uint8) == ord("\n"))
    if table.num_rows != lines + (not block.endswith(b"\n")):
        return None
    target = pc.extract_regex(table[layout.message], _TARGET)
    took = table[layout.took]
    if target.null_count or took.null_count:
        return None
    kind = pc.extract_regex(table[layout.logger].fill_null(""), r"(?P<kind>[^.]*)$")
    return pa.table(
        [
            table[layout.timestamp],
            pc.struct_field(kind, [0]),
            pc.struct_field(target, [0]),
            pc.cast(pc.struct_field(target, [1]), pa.int64()),
            _digits(took),
            _digits(table[layout.hits]).fill_null(0),
            _digits(table[layout.shards]).fill_null(0),
            table[layout.search_type],
            table[layout.node],
            table[layout.source].fill_null(""),
            pa.repeat(layout.format, table.num_rows),
        ],
        schema=_SCHEMA,
    )


def _from_json(d: dict[str, Any]) -> list[Any] | None:
    """A JSON slow-log record in either layout, read from a dict."""
    for layout in (_ECS, _7X):
        if layout.message in d:
            break
    else:
        return None
    if layout is _7X and not str(d.get("type", "")).endswith("slowlog"):
        return None
    target = _INDEX_SHARD.search(str(d.get(layout.message) or ""))
    return [
        d.get(layout.timestamp),
        _kind(str(d.get(layout.logger) or "")),
        target.group(1) if target else None,
        int(target.group(2)) if target and target.group(2) else None,
        _number(d.get(layout.took)),
        _number(d.get(layout.hits)),
        _number(d.get(layout.shards)),
        d.get(layout.search_type),
        d.get(layout.node),
        str(d.get(layout.source) or ""),
        layout.format,
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
        "7.x text",
    ]


def _from_line(line: bytes) -> list[Any] | None:
    """One line in any format: 7.x plain text, or a JSON record in either layout."""
    if line[:1] != b"{":
        return _from_plain(line.decode("utf-8", "replace"))
    try:
        d = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None
    return _from_json(d) if isinstance(d, dict) else None


def _read_lines(block: bytes, parsed: Parsed) -> pa.Table:
    rows: list[list[Any]] = []
    for line in block.splitlines():
        stripped = line.strip()
        if not stripped:
            continue
        parsed.lines += 1
        row = _from_line(stripped)
        if row is None:
            parsed.malformed += 1
            if len(parsed.examples) < 5:
                parsed.examples.append(stripped.decode("utf-8", "replace")[:200])
        else:
            rows.append(row)
    return pa.Table.from_pylist([dict(zip(COLUMNS, row, strict=True)) for row in rows], _SCHEMA)


def _blocks(data: bytes) -> Iterator[bytes]:
    start = 0
    while start < len(data):
        end = data.find(b"\n", start + _BLOCK)
        end = len(data) if end < 0 else end + 1
        yield data[start:end]
        start = end


class _Reader:
    """Reads slow-log bytes block by block: Arrow's multi-threaded JSON reader for every
    block that is all one JSON layout, line by line for the rest (text lines, mixed
    blocks, malformed lines, which are counted and kept as examples)."""

    def __init__(self) -> None:
        self.parsed = Parsed(pd.DataFrame(columns=COLUMNS))
        self.tables: list[pa.Table] = []
        self.layouts = list(_LAYOUTS)

    def feed(self, data: bytes) -> None:
        for block in _blocks(data):
            self.tables.append(self._block(block))

    def _block(self, block: bytes) -> pa.Table:
        if block.lstrip()[:1] == b"{":
            for layout in self.layouts:
                table = _read_block(block, layout)
                if table is not None:
                    self.layouts.remove(layout)
                    self.layouts.insert(0, layout)  # the next block is likely the same
                    self.parsed.lines += table.num_rows
                    return table
        return _read_lines(block, self.parsed)

    def result(self) -> Parsed:
        table = pa.concat_tables(self.tables) if self.tables else _SCHEMA.empty_table()
        self.parsed.frame = table.to_pandas(types_mapper={pa.int64(): pd.Int64Dtype()}.get)
        return self.parsed


def parse_lines(lines: Iterable[str | bytes]) -> Parsed:
    """Slow-log lines in any supported format; bad lines are counted, not raised."""
    reader = _Reader()
    reader.feed(b"\n".join(line if isinstance(line, bytes) else line.encode() for line in lines))
    return reader.result()


def parse_files(paths: Iterable[Path], offsets: dict[Path, int] | None = None) -> Parsed:
    """Parse files, each from an optional byte offset (to read only new lines), in
    windows of whole lines so that memory stays bounded on large logs."""
    offsets = offsets or {}
    reader = _Reader()
    for path in paths:
        with path.open("rb") as fh:
            fh.seek(offsets.get(path, 0))
            carry = b""
            while window := fh.read(_WINDOW):
                data = carry + window
                cut = data.rfind(b"\n") + 1
                carry = data[cut:]
                reader.feed(data[:cut])
            reader.feed(carry)
    return reader.result()


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
    phase["source"] = query_text(phase)
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
