"""Probe what a cluster can do, so notebooks can explain a missing feature.

Each probe is a real request; a feature is present when the cluster answers it as a
cluster with that feature would. Module lists alone are not trusted: a user's cluster
may name modules differently, and a feature may be disabled by settings or licence.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from elasticsearch import ApiError, Elasticsearch

from workbench.errors import CapabilityMissingError

JSON = {"accept": "application/json", "content-type": "application/json"}
FULL = "a full Elasticsearch (your own cluster or the docker-compose file)"


@dataclass(frozen=True)
class Capability:
    name: str
    available: bool
    detail: str
    needs: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _request(
    es: Elasticsearch, method: str, path: str, body: dict[str, Any] | None = None
) -> tuple[int, Any]:
    try:
        response = es.perform_request(method, path, headers=JSON, body=body)
        return response.meta.status, response.body
    except ApiError as exc:
        return exc.meta.status, exc.body


def _error_type(body: Any) -> str:
    error = body.get("error") if isinstance(body, dict) else None
    return str(error.get("type", "")) if isinstance(error, dict) else ""


def _why(status: int, body: Any) -> str:
    """A one-line reason from an error response, whichever shape it has."""
    error = body.get("error") if isinstance(body, dict) else body
    if isinstance(error, dict):
        error = error.get("reason") or error.get("type")
    return f"HTTP {status}: {error}" if error else f"HTTP {status}"


def _ingest(es: Elasticsearch) -> tuple[bool, str]:
    status, body = _request(es, "GET", "/_nodes/ingest?filter_path=nodes.*.ingest.processors")
    processors: set[str] = set()
    if status == 200:
        for node in (body.get("nodes") or {}).values():
            processors |= {p["type"] for p in node.get("ingest", {}).get("processors", [])}
    common = {"set", "rename", "date", "script"} & processors
    names = ", ".join(sorted(processors)) or "none"
    return bool(common), f"processors: {names}"


def _painless(es: Elasticsearch) -> tuple[bool, str]:
    status, body = _request(
        es, "POST", "/_scripts/painless/_execute", {"script": {"source": "21 * 2"}}
    )
    ok = status == 200 and str(body.get("result")) == "42"
    return ok, "executed 21 * 2" if ok else _why(status, body)


def _endpoint(path: str) -> Callable[[Elasticsearch], tuple[bool, str]]:
    def probe(es: Elasticsearch) -> tuple[bool, str]:
        status, body = _request(es, "GET", path)
        if status == 200:
            return True, f"GET {path} answered"
        return False, f"GET {path}: {_why(status, body)}"

    return probe


def _analysis(es: Elasticsearch) -> tuple[bool, str]:
    status, body = _request(es, "POST", "/_analyze", {"analyzer": "english", "text": "shoes"})
    ok = status == 200 and [t["token"] for t in body.get("tokens", [])] == ["shoe"]
    return ok, "the english analyzer stems 'shoes'" if ok else _why(status, body)


def _module(name: str) -> Callable[[Elasticsearch], tuple[bool, str]]:
    """Judge by the nodes' module list, where a request probe would change the cluster
    (a mapping needs an index) or trip the client (``POST /_reindex`` answers 405)."""

    def probe(es: Elasticsearch) -> tuple[bool, str]:
        status, body = _request(es, "GET", "/_nodes/plugins?filter_path=nodes.*.modules.name")
        if status != 200:
            return False, _why(status, body)
        per_node = [{m["name"] for m in node.get("modules", [])} for node in body["nodes"].values()]
        ok = bool(per_node) and all(name in modules for modules in per_node)
        return ok, f"module {name} loaded on every node" if ok else f"no {name} module"

    return probe


def _security(es: Elasticsearch) -> tuple[bool, str]:
    status, body = _request(es, "GET", "/_security/_authenticate")
    if status == 200:
        return True, f"authenticated as {body.get('username')!r}"
    return False, _why(status, body)


def _snapshots(es: Elasticsearch) -> tuple[bool, str]:
    status, body = _request(es, "GET", "/_nodes/settings?filter_path=nodes.*.settings.path.repo")
    repos: set[str] = set()
    if status == 200:
        for node in (body.get("nodes") or {}).values():
            value = node.get("settings", {}).get("path", {}).get("repo", [])
            repos |= set(value if isinstance(value, list) else [value])
    return bool(repos), f"path.repo: {', '.join(sorted(repos))}" if repos else "path.repo unset"


PROBES: dict[str, tuple[Callable[[Elasticsearch], tuple[bool, str]], str]] = {
    "ingest_pipelines": (_ingest, f"the ingest-common module: {FULL}"),
    "painless": (_painless, f"the lang-painless module: {FULL}"),
    "reindex": (_module("reindex"), f"the reindex module: {FULL}"),
    "analysis_common": (_analysis, f"the analysis-common module (language analyzers): {FULL}"),
    "mapper_extras": (
        _module("mapper-extras"),
        f"the mapper-extras module (scaled_float, rank_feature, search_as_you_type): {FULL}",
    ),
    "data_streams": (_endpoint("/_data_stream"), f"the data-streams module: {FULL}"),
    "ilm": (_endpoint("/_ilm/status"), f"index lifecycle management (x-pack-ilm): {FULL}"),
    "ml": (_endpoint("/_ml/info"), f"machine learning (x-pack-ml, platinum or trial): {FULL}"),
    "watcher": (_endpoint("/_watcher/stats"), f"Watcher (x-pack-watcher): {FULL}"),
    "security": (
        _security,
        "xpack.security.enabled: true on the cluster",
    ),
    "fs_snapshots": (_snapshots, "path.repo set in elasticsearch.yml on every node"),
}


def probe_capabilities(es: Elasticsearch) -> dict[str, Capability]:
    """Run every probe; never raises for a missing feature."""
    out = {}
    for name, (probe, needs) in PROBES.items():
        available, detail = probe(es)
        out[name] = Capability(name, available, detail, needs)
    return out


def require(capabilities: dict[str, Capability], name: str, purpose: str) -> None:
    """Raise an actionable error when ``name`` is missing."""
    cap = capabilities[name]
    if not cap.available:
        raise CapabilityMissingError(
            f"{purpose} needs {name}, which this cluster lacks ({cap.detail}). "
            f"It needs {cap.needs}."
        )
