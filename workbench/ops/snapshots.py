"""Restore drills: snapshot, restore under a prefix, prove the copy, measure RTO and RPO.

A drill's snapshot records, in its metadata, each index's document count and content
checksum taken just before the snapshot. Restored copies are checked against that record
(or, for a snapshot taken elsewhere without one, against the live index, which may have
moved on since). The checksum is order-independent: the sum, modulo 2^256, of the
SHA-256 of every document's ``_id`` and canonical ``_source``, read with a point in time
and ``search_after``, so any changed, missing or extra document changes it.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
import pandas as pd
from elasticsearch import Elasticsearch

from workbench.cluster.capabilities import probe_capabilities
from workbench.errors import CapabilityMissingError, WorkbenchError
from workbench.ops.findings import Finding

REPOSITORY = "workbench-drills"
MODULUS = 2**256


@dataclass(frozen=True)
class Checksum:
    count: int
    digest: str


def checksum(es: Elasticsearch, index: str, page: int = 5000) -> Checksum:
    """Count and order-independent content digest of every document of ``index``."""
    total, count = 0, 0
    pit = es.open_point_in_time(index=index, keep_alive="2m")["id"]
    after: list[Any] | None = None
    try:
        while True:
            response = es.search(
                pit={"id": pit, "keep_alive": "2m"},
                size=page,
                sort=[{"_shard_doc": "asc"}],
                search_after=after,
                track_total_hits=False,
            )
            hits = response["hits"]["hits"]
            if not hits:
                break
            for hit in hits:
                body = (
                    hit["_id"].encode()
                    + b"\0"
                    + orjson.dumps(hit["_source"], option=orjson.OPT_SORT_KEYS)
                )
                total = (total + int.from_bytes(hashlib.sha256(body).digest(), "big")) % MODULUS
                count += 1
            pit = response.get("pit_id", pit)
            after = hits[-1]["sort"]
    finally:
        es.close_point_in_time(id=pit)
    return Checksum(count, f"{total:064x}")


def ensure_repository(es: Elasticsearch, name: str = REPOSITORY) -> str:
    """Register an ``fs`` repository under the nodes' ``path.repo``."""
    if not probe_capabilities(es)["fs_snapshots"].available:
        raise CapabilityMissingError(
            "restore drills need an fs snapshot repository: set path.repo on every node "
            "(the local node has it), or register your own repository and pass its name"
        )
    es.snapshot.create_repository(
        name=name, repository={"type": "fs", "settings": {"location": name}}
    )
    return name


def resolve_indices(es: Elasticsearch, patterns: str) -> list[str]:
    names = sorted(es.indices.get(index=patterns, expand_wildcards="open").body)
    if not names:
        raise WorkbenchError(f"no open index matches {patterns!r}")
    return names


def take_snapshot(es: Elasticsearch, repository: str, indices: list[str]) -> dict[str, Any]:
    """Checksum each index, then snapshot them with the checksums in the metadata."""
    sums = {i: checksum(es, i).__dict__ for i in indices}
    name = "drill-" + datetime.now(UTC).strftime("%Y%m%d-%H%M%S-%f")
    response = es.snapshot.create(
        repository=repository,
        snapshot=name,
        indices=",".join(indices),
        wait_for_completion=True,
        include_global_state=False,
        metadata={"created_by": "commerce-workbench", "checksums": sums},
    )
    info = response["snapshot"]
    if info["state"] != "SUCCESS":
        raise WorkbenchError(f"snapshot {name} ended {info['state']}: {info.get('failures')}")
    return dict(info)


def find_snapshot(
    es: Elasticsearch, repository: str, name: str, before: str = ""
) -> dict[str, Any]:
    """A snapshot by name, or with ``name='latest'`` the newest successful one that
    started before ``before`` (ISO 8601; empty for now): point-in-time recovery."""
    snapshots = es.snapshot.get(repository=repository, snapshot="*")["snapshots"]
    ok = [s for s in snapshots if s["state"] == "SUCCESS"]
    if name != "latest":
        match = [s for s in ok if s["snapshot"] == name]
        if not match:
            raise WorkbenchError(f"no successful snapshot {name!r} in {repository}")
        return dict(match[0])
    limit = datetime.fromisoformat(before) if before else datetime.now(UTC)
    limit_ms = limit.timestamp() * 1000
    earlier = [s for s in ok if s["start_time_in_millis"] <= limit_ms]
    if not earlier:
        raise WorkbenchError(f"no successful snapshot in {repository} before {limit}")
    return dict(max(earlier, key=lambda s: s["start_time_in_millis"]))


def restore(
    es: Elasticsearch, repository: str, snapshot: str, indices: list[str], prefix: str
) -> float:
    """Restore ``indices`` as ``<prefix><index>``; returns the seconds it took (the RTO)."""
    for index in indices:
        es.indices.delete(index=prefix + index, ignore_unavailable=True)
    began = time.monotonic()
    es.snapshot.restore(
        repository=repository,
        snapshot=snapshot,
        indices=",".join(indices),
        rename_pattern="(.+)",
        rename_replacement=prefix + "$1",
        include_aliases=False,
        include_global_state=False,
        wait_for_completion=True,
    )
    es.cluster.health(
        index=",".join(prefix + i for i in indices), wait_for_status="yellow", timeout="120s"
    )
    return time.monotonic() - began


def verify(
    es: Elasticsearch, snapshot: dict[str, Any], indices: list[str], prefix: str
) -> tuple[pd.DataFrame, list[Finding]]:
    """Compare every restored copy with the snapshot's record (or the live index)."""
    recorded = (snapshot.get("metadata") or {}).get("checksums") or {}
    findings: list[Finding] = []
    rows = []
    for index in indices:
        copy = prefix + index
        expected = recorded.get(index)
        if expected is None:
            live = checksum(es, index)
            expected = live.__dict__
            findings.append(
                Finding(
                    "warning",
                    "no_record",
                    index,
                    "the snapshot holds no checksum record: compared with the "
                    "live index, which may have changed since",
                )
            )
        got = checksum(es, copy)
        source_mapping = es.indices.get_mapping(index=index)[index]["mappings"]
        copy_mapping = es.indices.get_mapping(index=copy)[copy]["mappings"]
        same_mapping = source_mapping == copy_mapping
        rows.append(
            {
                "index": index,
                "restored_as": copy,
                "expected_docs": expected["count"],
                "restored_docs": got.count,
                "checksum_ok": got.digest == expected["digest"],
                "mapping_ok": same_mapping,
            }
        )
        if got.count != expected["count"]:
            findings.append(
                Finding(
                    "error",
                    "count",
                    copy,
                    f"{got.count} documents restored, {expected['count']} expected",
                )
            )
        if got.digest != expected["digest"]:
            findings.append(
                Finding("error", "checksum", copy, "content differs from what was snapshotted")
            )
        if not same_mapping:
            findings.append(Finding("error", "mapping", copy, "mapping differs from the source"))
    return pd.DataFrame(rows), findings


def rpo_seconds(snapshot: dict[str, Any]) -> float:
    """Age of the snapshot: the data a restore from it would lose."""
    return time.time() - float(snapshot["start_time_in_millis"]) / 1000


def cleanup(es: Elasticsearch, indices: list[str], prefix: str) -> None:
    es.indices.delete(index=",".join(prefix + i for i in indices), ignore_unavailable=True)


def rto_findings(seconds: float | None, target: float) -> list[Finding]:
    if seconds is not None and seconds > target:
        return [
            Finding(
                "error",
                "rto",
                "restore",
                f"the restore took {seconds:.1f} s, over the {target:.0f} s target",
            )
        ]
    return []
