"""Load source records into Elasticsearch so that nothing is lost or duplicated.

Two resumable phases, both recorded in a job directory:

1. **spool**: each ``(system, entity, payload)`` is normalised, validated and masked,
   then appended to the durable :class:`~workbench.ingest.spool.Spool` with a
   deterministic ``_id`` (system and source event id), or dead-lettered with the reason.
   ``manifest.json`` records how many source records are done, so a restarted loader
   skips them (the source must replay in the same order, as files and seeded
   generators do).
2. **send**: spool chunks, already in ``_bulk`` format, go to the client's ``bulk`` API
   from ``concurrency`` threads, so the node indexes one chunk while the next is read.
   Items answered 429/502/503/504 are retried with exponential backoff; other item
   failures are dead-lettered with the error; the spool checkpoint advances, in order,
   only over chunks Elasticsearch acknowledged. If the cluster goes away, the loader
   waits with backoff (up to ``max_outage`` seconds) and resumes from the checkpoint; a
   replay re-indexes the same ``_id`` and so creates no duplicate.

The send path deliberately skips ``helpers.streaming_bulk``: its per-document work
(re-serialising actions, per-item result tuples) held it to about 0.6x of raw ``_bulk``
on the benchmark (``benchmarks/ingest.py``), while a request body cut straight from the
spool costs nothing per document when the response reports no errors.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from elasticsearch import ApiError, Elasticsearch, TransportError

from workbench.errors import WorkbenchError
from workbench.ingest.deadletter import DeadLetters
from workbench.ingest.mask import Masker
from workbench.ingest.normalise import (
    RecordError,
    normalise,
    parse_epoch_ms,
    parse_naive_utc,
    parse_offset_time,
)
from workbench.ingest.spool import Chunk, Spool, write_atomic
from workbench.ingest.validate import problems
from workbench.schema.templates import Domain

TRANSIENT = {429, 502, 503, 504}
SourceRecord = tuple[str, str, Any]
Progress = Callable[[str, int, int | None], None]


class IngestError(WorkbenchError):
    """Loading stopped; what is spooled is kept and the next run resumes."""


class _Transient(Exception):
    """Elasticsearch kept refusing (429/5xx) after the retries."""


@dataclass(frozen=True)
class _Failure:
    position: int
    status: int
    error: Any


@dataclass
class LoadSummary:
    source_records: int = 0
    skipped_on_resume: int = 0
    spooled: int = 0
    indexed: int = 0
    dead_lettered: dict[str, int] = field(default_factory=dict)
    outages: int = 0
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "dead_lettered_total": sum(self.dead_lettered.values())}


def _day_of(payload: Any) -> str | None:
    """Best-effort UTC day of a payload that could not be normalised."""
    if not isinstance(payload, dict):
        return None
    for key, parser in (
        ("created_at", None),
        ("timestamp", parse_offset_time),
        ("ts", parse_epoch_ms),
        ("placedAt", parse_epoch_ms),
        ("shippedAt", parse_epoch_ms),
        ("at", parse_epoch_ms),
    ):
        if key not in payload:
            continue
        value = payload[key]
        for attempt in (parser,) if parser else (parse_offset_time, parse_naive_utc):
            try:
                parsed = attempt(value)
            except (RecordError, ValueError, TypeError, OSError, OverflowError):
                continue
            iso = parsed[0] if isinstance(parsed, tuple) else parsed
            return str(iso)[:10]
    return None


def _storefront_of(system: str, entity: str, payload: Any) -> str:
    if system != "feed":
        return system
    if entity == "shipments" and isinstance(payload, dict):
        return str(payload.get("storefront") or "unknown")
    return "all"


class Loader:
    """Spool, then send, with a job directory that makes both phases resumable."""

    def __init__(
        self,
        es: Elasticsearch,
        job_dir: Path,
        masker: Masker,
        domains: dict[str, Domain],
        *,
        chunk_size: int = 5000,
        max_chunk_bytes: int = 8 << 20,
        concurrency: int = 2,
        max_retries: int = 6,
        initial_backoff: float = 1.0,
        max_outage: float = 600.0,
        progress: Progress | None = None,
    ) -> None:
        self.es = es
        self.job_dir = job_dir
        self.masker = masker
        self.domains = domains
        self.chunk_size = chunk_size
        self.max_chunk_bytes = max_chunk_bytes
        self.concurrency = concurrency
        self.max_retries = max_retries
        self.initial_backoff = initial_backoff
        self.max_outage = max_outage
        self.progress = progress
        job_dir.mkdir(parents=True, exist_ok=True)
        self.spool = Spool(job_dir / "spool")
        self.dead = DeadLetters(job_dir / "dead-letter.ndjson")
        self._manifest = job_dir / "manifest.json"

    @property
    def dead_letter_path(self) -> Path:
        return self.dead.path

    def manifest(self) -> dict[str, Any]:
        try:
            return dict(orjson.loads(self._manifest.read_bytes()))
        except (OSError, ValueError):
            return {"source_position": 0, "complete": False}

    def _save_manifest(self, position: int, complete: bool) -> None:
        self.spool.flush()
        self.dead.flush()
        write_atomic(
            self._manifest, orjson.dumps({"source_position": position, "complete": complete})
        )

    def _reject(
        self,
        summary: LoadSummary,
        stage: str,
        system: str,
        entity: str,
        key: str,
        reason: str,
        record: Any,
        storefront: str,
        day: str | None,
    ) -> None:
        self.dead.add(
            stage=stage,
            entity=entity,
            system=system,
            key=key,
            reason=reason,
            record=record,
            storefront=storefront,
            day=day,
        )
        summary.dead_lettered[stage] = summary.dead_lettered.get(stage, 0) + 1

    def spool_source(
        self,
        records: Iterable[SourceRecord],
        summary: LoadSummary,
        total: int | None = None,
        batch: int = 5000,
    ) -> None:
        """Phase 1: normalise, validate, mask and spool every record not yet spooled."""
        state = self.manifest()
        if state["complete"]:
            summary.skipped_on_resume = state["source_position"]
            summary.source_records = state["source_position"]
            return
        start = int(state["source_position"])
        position = 0
        for position, (system, entity, payload) in enumerate(records, start=1):
            if position <= start:
                continue
            self._spool_one(summary, position, system, entity, payload)
            if position % batch == 0:
                self._save_manifest(position, False)
                if self.progress:
                    self.progress("spool", position, total)
        summary.skipped_on_resume = min(start, position)
        summary.source_records = position
        self._save_manifest(position, True)
        if self.progress:
            self.progress("spool", position, total)

    def _spool_one(
        self, summary: LoadSummary, position: int, system: str, entity: str, payload: Any
    ) -> None:
        key = f"source:{entity}:{position}"
        try:
            doc = normalise(system, entity, payload)
        except RecordError as exc:
            self._reject(
                summary,
                "normalise",
                system,
                entity,
                key,
                str(exc),
                payload,
                _storefront_of(system, entity, payload),
                _day_of(payload),
            )
            return
        storefront, day = str(doc.get("storefront")), str(doc.get("@timestamp", ""))[:10]
        found = problems(entity, doc)
        if found:
            self._reject(
                summary,
                "validate",
                system,
                entity,
                key,
                "; ".join(found),
                payload,
                storefront,
                day or None,
            )
            return
        doc = self.masker.mask(doc)
        index = self.domains[entity].index_for(doc["@timestamp"])
        doc_id = f"{doc['source']['system']}:{doc['source']['event_id']}"
        self.spool.append(index, doc_id, orjson.dumps(doc))
        summary.spooled += 1

    def send(self, summary: LoadSummary) -> None:
        """Phase 2: send the spool to Elasticsearch until it is empty."""
        outage_started: float | None = None
        delay = 1.0
        while True:
            try:
                self._send_all(summary)
                return
            except (TransportError, _Transient) as exc:
                now = time.monotonic()
                if outage_started is None:
                    outage_started = now
                    summary.outages += 1
                if now - outage_started > self.max_outage:
                    raise IngestError(
                        f"Elasticsearch has not accepted documents for {self.max_outage:.0f} s "
                        f"({exc}). Nothing is lost: {self.spool.size():,} bytes wait in "
                        f"{self.spool.directory}; run the same load again to resume."
                    ) from None
                if self.progress:
                    self.progress(f"waiting {delay:.0f} s for Elasticsearch ({exc})", 0, None)
                time.sleep(delay)
                delay = min(delay * 2, 30.0)

    def _send_all(self, summary: LoadSummary) -> None:
        in_flight: deque[Future[tuple[Chunk, list[_Failure]]]] = deque()
        with ThreadPoolExecutor(self.concurrency, thread_name_prefix="bulk") as pool:
            try:
                for chunk in self.spool.chunks(self.chunk_size, self.max_chunk_bytes):
                    in_flight.append(pool.submit(self._send_chunk, chunk))
                    if len(in_flight) >= self.concurrency:
                        self._settle(summary, *in_flight.popleft().result())
                while in_flight:
                    self._settle(summary, *in_flight.popleft().result())
            finally:
                for future in in_flight:
                    future.cancel()

    def _send_chunk(self, chunk: Chunk) -> tuple[Chunk, list[_Failure]]:
        """Send one chunk; retry its transient failures; return its permanent ones."""
        todo = list(range(len(chunk.actions)))
        failures: list[_Failure] = []
        for attempt in range(self.max_retries + 1):
            if attempt:
                time.sleep(min(self.initial_backoff * 2 ** (attempt - 1), 30.0))
            try:
                # The body is already NDJSON bytes; the client's serializer passes it on.
                body: Any = chunk.body(todo if attempt else None)
                response = self.es.bulk(operations=body)
            except ApiError as exc:
                if exc.status_code in TRANSIENT:
                    continue
                raise
            if not response["errors"]:
                return chunk, failures
            retry = []
            for position, item in zip(todo, response["items"], strict=True):
                (info,) = item.values()
                status = int(info.get("status", 0))
                if status in TRANSIENT:
                    retry.append(position)
                elif not 200 <= status < 300:
                    failures.append(_Failure(position, status, info.get("error")))
            if not retry:
                return chunk, failures
            todo = retry
        raise _Transient(f"{len(todo)} documents still refused after {self.max_retries} retries")

    def _settle(self, summary: LoadSummary, chunk: Chunk, failures: list[_Failure]) -> None:
        """Dead-letter a sent chunk's permanent failures, then acknowledge the chunk."""
        for failure in failures:
            action = orjson.loads(chunk.actions[failure.position])["index"]
            doc = orjson.loads(chunk.documents[failure.position])
            error = failure.error
            reason = (
                f"{error.get('type')}: {error.get('reason')}"
                if isinstance(error, dict)
                else str(error)
            )
            self._reject(
                summary,
                "index",
                str(doc.get("source", {}).get("system")),
                self._entity_of(action["_index"]),
                action["_id"],
                f"HTTP {failure.status} {reason}",
                doc,
                str(doc.get("storefront")),
                str(doc.get("@timestamp", ""))[:10] or None,
            )
        summary.indexed += len(chunk.actions) - len(failures)
        self.dead.flush()
        self.spool.acknowledge(chunk.end)
        if self.progress:
            self.progress("send", summary.indexed, summary.spooled or None)

    def _entity_of(self, index: str) -> str:
        return next(
            (e for e, d in self.domains.items() if index.startswith(d.base + "-")), "unknown"
        )

    def run(self, records: Iterable[SourceRecord], total: int | None = None) -> LoadSummary:
        """Spool what is new, send everything pending, refresh; returns the counts."""
        began = time.monotonic()
        summary = LoadSummary()
        self.spool_source(records, summary, total)
        self.send(summary)
        self.es.indices.refresh(
            index=",".join(d.pattern for d in self.domains.values()),
            ignore_unavailable=True,
            allow_no_indices=True,
        )
        summary.seconds = time.monotonic() - began
        return summary

    def close(self) -> None:
        self.spool.close()
        self.dead.close()
