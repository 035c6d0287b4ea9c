"""A durable on-disk spool of bulk-ready documents with a send checkpoint.

Records are appended to numbered segment files in the ``_bulk`` format itself: an action
line (``{"index":{"_index":…,"_id":…}}``) and a document line, so a chunk of the spool
is a ready request body and sending costs no per-document serialisation. ``flush()``
fsyncs. A checkpoint (segment, byte offset) marks what
Elasticsearch has acknowledged; it is replaced atomically (write, fsync, rename), so a
crash at any moment resumes from the last acknowledged record. A torn last record, left
by a crash mid-write, is cut off when the spool is reopened.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import orjson

SEGMENT_BYTES = 64 << 20


@dataclass(frozen=True)
class Position:
    segment: int
    offset: int


@dataclass(frozen=True)
class Chunk:
    """Consecutive spooled records: their action and document lines, and where they end."""

    actions: list[bytes]
    documents: list[bytes]
    end: Position

    def body(self, which: list[int] | None = None) -> bytes:
        picked = range(len(self.actions)) if which is None else which
        return b"".join(self.actions[i] + self.documents[i] for i in picked)


def action_line(index: str, doc_id: str) -> bytes:
    return orjson.dumps({"index": {"_index": index, "_id": doc_id}}) + b"\n"


def sync(fh: BinaryIO) -> None:
    """Push what was written to ``fh`` onto the disk."""
    fh.flush()
    os.fsync(fh.fileno())


def write_atomic(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` so that a crash leaves the old or the new file."""
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("wb") as fh:
        fh.write(data)
        sync(fh)
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
        """Cut a torn last record left by a crash during a write: a partial line, or an
        action line whose document line never made it."""
        if not path.exists() or path.stat().st_size == 0:
            return
        data = path.read_bytes()
        keep = data.rfind(b"\n") + 1
        last = data.rfind(b"\n", 0, keep - 1) + 1
        if keep and data.startswith(b'{"index"', last):
            keep = last
        if keep != len(data):
            with path.open("rb+") as fh:
                fh.truncate(keep)

    def append(self, index: str, doc_id: str, document: bytes) -> None:
        if self._fh.tell() >= self.segment_bytes:
            self.flush()
            self._fh.close()
            self._segment += 1
            self._fh = self._path(self._segment).open("ab")
        self._fh.write(action_line(index, doc_id) + document + b"\n")

    def flush(self) -> None:
        sync(self._fh)

    def close(self) -> None:
        sync(self._fh)
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

    def chunks(self, max_docs: int, max_bytes: int) -> Iterator[Chunk]:
        """The records after the acknowledged position, in order, a chunk at a time."""
        start = self.acknowledged
        actions: list[bytes] = []
        documents: list[bytes] = []
        size = 0
        end = start
        for segment in self.segments():
            if segment < start.segment:
                continue
            with self._path(segment).open("rb") as fh:
                if segment == start.segment:
                    fh.seek(start.offset)
                offset = fh.tell()
                lines = iter(fh)
                for action in lines:
                    document = next(lines, b"")
                    if not document.endswith(b"\n"):
                        break
                    offset += len(action) + len(document)
                    actions.append(action)
                    documents.append(document)
                    size += len(action) + len(document)
                    end = Position(segment, offset)
                    if len(actions) >= max_docs or size >= max_bytes:
                        yield Chunk(actions, documents, end)
                        actions, documents, size = [], [], 0
        if actions:
            yield Chunk(actions, documents, end)

    def size(self) -> int:
        """Bytes of spool not yet acknowledged (an upper bound of what is left to send)."""
        start = self.acknowledged
        total = 0
        for segment in self.segments():
            if segment >= start.segment:
                total += self._path(segment).stat().st_size
        return total - start.offset
