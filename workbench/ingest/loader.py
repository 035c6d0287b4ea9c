"""Load source records into Elasticsearch so that nothing is lost or duplicated.

Two resumable phases, both recorded in a job directory:

1. **spool**: each ``(system, entity, payload)`` is normalised, validated and masked,
   then appended to the durable :class:`~workbench.ingest.spool.Spool` with a
   deterministic ``_id`` (system and source event id), or dead-lettered with the reason.
   ``manifest.json`` records how many source records are done, so a restarted loader
   skips them (the source must replay in the same order, as files and seeded
   generators do).
2. **send**: the spool is streamed through ``elasticsearch.helpers.streaming_bulk``
   with pre-serialised documents; 429/502/503/504 are retried with backoff, other item
   failures are dead-lettered, and the spool checkpoint advances only over records
   Elasticsearch acknowledged. If the cluster goes away, the loader waits with
   exponential backoff (up to ``max_outage`` seconds) and resumes from the checkpoint;
   a replay re-indexes the same ``_id`` and so creates no duplicate.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from elasticsearch import Elasticsearch, TransportError, helpers

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
from workbench.ingest.spool import Position, Spool, write_atomic
from workbench.ingest.validate import problems
from workbench.schema.templates import Domain

TRANSIENT = {429, 502, 503, 504}
SourceRecord = tuple[str, str, Any]
Progress = Callable[[str, int, int | None], None]


class IngestError(WorkbenchError):
    """Loading stopped; what is spooled is kept and the next run resumes."""


class _Transient(Exception):
    """Elasticsearch kept refusing (429/5xx) after the helper's retries."""


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


def _as_is(action: Any) -> Any:
    return action


class Loader:
    """Spool, then send, with a job directory that makes both phases resumable."""

    def __init__(
        self,
        es: Elasticsearch,
        job_dir: Path,
        masker: Masker,
        domains: dict[str, Domain],
        *,
        chunk_size: int = 2000,
        max_chunk_bytes: int = 8 << 20,
        max_outage: float = 600.0,
        progress: Progress | None = None,
    ) -> None:
        self.es = es
        self.job_dir = job_dir
        self.masker = masker
        self.domains = domains
        self.chunk_size = chunk_size
        self.max_chunk_bytes = max_chunk_bytes
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
        domain = self.domains[entity]
        header = {
            "i": domain.index_for(doc["@timestamp"]),
            "id": f"{doc['source']['system']}:{doc['source']['event_id']}",
            "e": entity,
            "s": storefront,
            "d": day,
            "k": key,
        }
        self.spool.append(header, orjson.dumps(doc))
        summary.spooled += 1

    def send(self, summary: LoadSummary) -> None:
        """Phase 2: stream the spool into Elasticsearch until it is empty."""
        outage_started: float | None = None
        delay = 1.0
        while True:
            try:
                self._stream(summary)
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

    def _stream(self, summary: LoadSummary) -> None:
        in_flight: deque[tuple[str, Position, dict[str, Any], bytes]] = deque()
        finished: dict[str, list[tuple[bool, dict[str, Any]]]] = {}
        acked: Position | None = None
        since_ack = 0

        # Each action is already (header, serialised document): the callback passes it on.
        def actions() -> Iterator[Any]:
            for entry in self.spool.pending():
                in_flight.append((entry.header["id"], entry.end, entry.header, entry.document))
                yield (
                    {"index": {"_index": entry.header["i"], "_id": entry.header["id"]}},
                    entry.document,
                )

        results = helpers.streaming_bulk(
            self.es,
            actions(),
            chunk_size=self.chunk_size,
            max_chunk_bytes=self.max_chunk_bytes,
            expand_action_callback=_as_is,
            raise_on_error=False,
            raise_on_exception=False,
            max_retries=5,
            initial_backoff=1,
            max_backoff=30,
            retry_on_status=tuple(TRANSIENT),
            yield_ok=True,
        )
        try:
            for ok, item in results:
                (info,) = item.values()
                finished.setdefault(info["_id"], []).append((ok, info))
                while in_flight and finished.get(in_flight[0][0]):
                    doc_id, end, header, document = in_flight.popleft()
                    done_ok, done_info = finished[doc_id].pop(0)
                    self._settle(summary, done_ok, done_info, header, document)
                    acked = end
                    since_ack += 1
                if since_ack >= 10 * self.chunk_size and acked:
                    self.dead.flush()
                    self.spool.acknowledge(acked)
                    since_ack = 0
                    if self.progress:
                        self.progress("send", summary.indexed, None)
        finally:
            if acked:
                self.dead.flush()
                self.spool.acknowledge(acked)

    def _settle(
        self,
        summary: LoadSummary,
        ok: bool,
        info: dict[str, Any],
        header: dict[str, Any],
        document: bytes,
    ) -> None:
        if ok:
            summary.indexed += 1
            return
        status = int(info.get("status", 0))
        if status in TRANSIENT or status == 0:
            raise _Transient(f"HTTP {status}: {info.get('error')}")
        error = info.get("error")
        reason = (
            f"{error.get('type')}: {error.get('reason')}" if isinstance(error, dict) else str(error)
        )
        system = header["id"].split(":", 1)[0]
        self._reject(
            summary,
            "index",
            system,
            header["e"],
            header["k"],
            f"HTTP {status} {reason}",
            orjson.loads(document),
            header["s"],
            header["d"] or None,
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
