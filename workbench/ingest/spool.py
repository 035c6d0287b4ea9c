"""A durable on-disk spool of bulk-ready documents with a send checkpoint.

Records are appended to numbered segment files, one line each:
``<header JSON>\\t<document JSON>\\n`` where the header holds index, id, entity and
attribution. ``flush()`` fsyncs. A checkpoint (segment, byte offset) marks what
Elasticsearch has acknowledged; it is replaced atomically (write, fsync, rename), so a
crash at any moment resumes from the last acknowledged record. A torn last line, left
by a crash mid-write, is cut off when the spool is reopened.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

SEGMENT_BYTES = 64 << 20


@dataclass(frozen=True)
class Position:
    segment: int
    offset: int


@dataclass(frozen=True)
class Entry:
    """One spooled record and where it ends in the spool."""

    header: dict[str, Any]
    document: bytes
    end: Position


def write_atomic(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` so that a crash leaves the old or the new file."""
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    tmp.replace(path)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


class Spool:
    """Append-only segments plus an acknowledged position."""

    def __init__(self, directory: Path, segment_bytes: int = SEGMENT_BYTES) -> None:
        self.directory = directory
        self.segment_bytes = segment_bytes
        directory.mkdir(parents=True, exist_ok=True)
        self._checkpoint = directory / "checkpoint.json"
        segments = self.segments()
        self._segment = segments[-1] if segments else 1
        self._repair(self._path(self._segment))
        self._fh = self._path(self._segment).open("ab")

    def _path(self, segment: int) -> Path:
        return self.directory / f"segment-{segment:06d}.ndjson"

    def segments(self) -> list[int]:
        return sorted(int(p.stem.split("-")[1]) for p in self.directory.glob("segment-*.ndjson"))

    @staticmethod
    def _repair(path: Path) -> None:
        """Cut a torn last line (no newline) left by a crash during a write."""
        if not path.exists() or path.stat().st_size == 0:
            return
        with path.open("rb+") as fh:
            fh.seek(-1, os.SEEK_END)
            if fh.read(1) == b"\n":
                return
            data = path.read_bytes()
            fh.truncate(data.rfind(b"\n") + 1)

    def append(self, header: dict[str, Any], document: bytes) -> None:
        if self._fh.tell() >= self.segment_bytes:
            self.flush()
            self._fh.close()
            self._segment += 1
            self._fh = self._path(self._segment).open("ab")
        self._fh.write(orjson.dumps(header) + b"\t" + document + b"\n")

    def flush(self) -> None:
        self._fh.flush()
        os.fsync(self._fh.fileno())

    def close(self) -> None:
        self.flush()
        self._fh.close()

    @property
    def acknowledged(self) -> Position:
        try:
            raw = orjson.loads(self._checkpoint.read_bytes())
            return Position(int(raw["segment"]), int(raw["offset"]))
        except (OSError, ValueError, KeyError):
            return Position(self.segments()[0] if self.segments() else 1, 0)

    def acknowledge(self, position: Position) -> None:
        """Record that everything up to ``position`` is in Elasticsearch (or dead-lettered)."""
        write_atomic(
            self._checkpoint, orjson.dumps({"segment": position.segment, "offset": position.offset})
        )
        for segment in self.segments():
            if segment < position.segment:
                self._path(segment).unlink(missing_ok=True)

    def pending(self) -> Iterator[Entry]:
        """Every record after the acknowledged position, in order."""
        start = self.acknowledged
        for segment in self.segments():
            if segment < start.segment:
                continue
            with self._path(segment).open("rb") as fh:
                if segment == start.segment:
                    fh.seek(start.offset)
                offset = fh.tell()
                for line in fh:
                    offset += len(line)
                    if not line.endswith(b"\n"):
                        break
                    header, _, document = line[:-1].partition(b"\t")
                    yield Entry(orjson.loads(header), document, Position(segment, offset))

    def size(self) -> int:
        """Bytes of spool not yet acknowledged (an upper bound of what is left to send)."""
        start = self.acknowledged
        total = 0
        for segment in self.segments():
            if segment >= start.segment:
                total += self._path(segment).stat().st_size
        return total - start.offset
