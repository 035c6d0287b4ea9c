"""Kibana's saved-objects HTTP API, built to its documented contract.

Every request carries ``kbn-xsrf`` and ``elastic-api-version``; a space prefixes paths
with ``/s/<space>``; 429 and 502/503/504 are retried with backoff (honouring
``Retry-After``); errors say what to do. Imports read the whole response: ``success``
may be false with HTTP 200, and each failed object carries one of the error types
``conflict``, ``ambiguous_conflict``, ``missing_references``, ``unsupported_type`` or
``unknown``.
"""

from __future__ import annotations

import json
import ssl
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from workbench.config import Credentials, Settings
from workbench.errors import WorkbenchError
from workbench.kibana.files import dumps_ndjson
from workbench.kibana.model import SavedObject, parse_text

API_VERSION = "2023-10-31"
TRANSIENT = {429, 502, 503, 504}
IMPORT_ERROR_TYPES = (
    "conflict",
    "ambiguous_conflict",
    "missing_references",
    "unsupported_type",
    "unknown",
)


class KibanaError(WorkbenchError):
    """Kibana refused a request, or could not be reached; the message says what to do."""


@dataclass(frozen=True)
class ImportProblem:
    """One object an import could not write, and why."""

    type: str
    id: str
    title: str
    kind: str
    detail: dict[str, Any]

    def __str__(self) -> str:
        extra = ""
        if self.kind == "missing_references":
            refs = ", ".join(f"{r['type']} {r['id']}" for r in self.detail.get("references", []))
            extra = f": needs {refs}"
        elif self.kind == "ambiguous_conflict":
            extra = f": {len(self.detail.get('destinations', []))} possible destinations"
        elif self.kind == "unknown":
            extra = f": {self.detail.get('message', '')}"
        return f"{self.type} {self.title!r} ({self.id}): {self.kind}{extra}"


@dataclass(frozen=True)
class ImportResult:
    success: bool
    success_count: int
    successes: list[dict[str, Any]] = field(default_factory=list)
    problems: list[ImportProblem] = field(default_factory=list)

    @classmethod
    def from_response(cls, body: dict[str, Any]) -> ImportResult:
        problems = []
        for item in body.get("errors") or []:
            error = item.get("error") or {}
            kind = error.get("type", "unknown")
            if kind not in IMPORT_ERROR_TYPES:
                kind = "unknown"
            problems.append(
                ImportProblem(
                    type=item.get("type", ""),
                    id=item.get("id", ""),
                    title=item.get("title") or (item.get("meta") or {}).get("title", ""),
                    kind=kind,
                    detail=error,
                )
            )
        return cls(
            success=bool(body.get("success")),
            success_count=int(body.get("successCount", 0)),
            successes=list(body.get("successResults") or []),
            problems=problems,
        )

    def of_kind(self, kind: str) -> list[ImportProblem]:
        return [p for p in self.problems if p.kind == kind]


class KibanaClient:
    """A client for one Kibana (and optionally one space)."""

    def __init__(
        self,
        url: str,
        auth: Credentials | None = None,
        *,
        space: str | None = None,
        verify: bool | ssl.SSLContext = True,
        timeout: float = 30.0,
        retries: int = 3,
        backoff: float = 1.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        headers = {"kbn-xsrf": "true", "elastic-api-version": API_VERSION}
        auth = auth or Credentials()
        basic: tuple[str, str] | None = None
        if auth.api_key:
            headers["Authorization"] = f"ApiKey {auth.api_key.reveal()}"
        elif auth.username and auth.password:
            basic = (auth.username, auth.password.reveal())
        self.url = url.rstrip("/")
        self.space = space
        self.retries = retries
        self.backoff = backoff
        self._http = httpx.Client(
            base_url=self.url,
            headers=headers,
            auth=basic,
            verify=verify,
            timeout=timeout,
            transport=transport,
        )

    @classmethod
    def from_settings(cls, settings: Settings | None = None, **kwargs: Any) -> KibanaClient:
        settings = settings or Settings.from_env()
        if not settings.kibana_url:
            raise KibanaError("KIBANA_URL is not set; point it at your Kibana (see README)")
        verify: bool | ssl.SSLContext = settings.kibana_verify_certs
        if verify and settings.kibana_ca_certs:
            verify = ssl.create_default_context(cafile=str(settings.kibana_ca_certs))
        return cls(
            settings.kibana_url,
            settings.kibana_auth,
            space=settings.kibana_space,
            verify=verify,
            **kwargs,
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> KibanaClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def path(self, api: str, spaced: bool = True) -> str:
        return f"/s/{self.space}{api}" if spaced and self.space else api

    def _request(
        self, method: str, api: str, *, spaced: bool = True, **kwargs: Any
    ) -> httpx.Response:
        url = self.path(api, spaced)
        for attempt in range(self.retries + 1):
            try:
                response = self._http.request(method, url, **kwargs)
            except httpx.TransportError as exc:
                if attempt == self.retries:
                    raise KibanaError(
                        f"cannot reach Kibana at {self.url}: {exc}. Is KIBANA_URL "
                        "right, and is Kibana up?"
                    ) from None
                time.sleep(self.backoff * 2**attempt)
                continue
            if response.status_code in TRANSIENT and attempt < self.retries:
                wait = response.headers.get("retry-after", "")
                time.sleep(float(wait) if wait.isdigit() else self.backoff * 2**attempt)
                continue
            if response.is_success:
                return response
            raise KibanaError(self._explain(response, method, url))
        raise AssertionError("unreachable")

    def _explain(self, response: httpx.Response, method: str, url: str) -> str:
        try:
            body = response.json()
            message = body.get("message") or body.get("error") or response.text
        except ValueError:
            message = response.text[:300]
        status = response.status_code
        hint = {
            401: "Kibana rejected the credentials: check KIBANA_API_KEY or "
            "KIBANA_USERNAME/KIBANA_PASSWORD",
            403: "the credentials lack the privilege for this (saved objects management "
            "in this space)",
            404: f"not found; if this is a space, check KIBANA_SPACE={self.space!r}"
            if self.space
            else "not found",
        }.get(status, "")
        return f"{method} {url}: HTTP {status} {message}" + (f" ({hint})" if hint else "")

    def status(self) -> dict[str, Any]:
        """``GET /api/status``: version and overall level."""
        return dict(self._request("GET", "/api/status", spaced=False).json())

    def version(self) -> str:
        return str(self.status()["version"]["number"])

    def export(
        self,
        types: list[str] | None = None,
        objects: list[tuple[str, str]] | None = None,
        *,
        include_references_deep: bool = False,
    ) -> list[SavedObject]:
        """Objects of these types, or these (type, id) objects, as one bundle."""
        if bool(types) == bool(objects):
            raise ValueError("export needs either types or objects, not both")
        body: dict[str, Any] = {
            "includeReferencesDeep": include_references_deep,
            "excludeExportDetails": True,
        }
        if types:
            body["type"] = types
        else:
            body["objects"] = [{"type": t, "id": i} for t, i in objects or []]
        response = self._request("POST", "/api/saved_objects/_export", json=body)
        return parse_text(response.text, "export response")

    @staticmethod
    def _import_flags(
        overwrite: bool, create_new_copies: bool, compatibility_mode: bool
    ) -> dict[str, str]:
        if create_new_copies and (overwrite or compatibility_mode):
            raise ValueError(
                "createNewCopies cannot be combined with overwrite or "
                "compatibilityMode (Kibana refuses it)"
            )
        flags = {
            "overwrite": overwrite,
            "createNewCopies": create_new_copies,
            "compatibilityMode": compatibility_mode,
        }
        return {k: "true" for k, v in flags.items() if v}

    def import_objects(
        self,
        objects: list[SavedObject],
        *,
        overwrite: bool = False,
        create_new_copies: bool = False,
        compatibility_mode: bool = False,
    ) -> ImportResult:
        """``POST _import`` with the bundle as the multipart ``file``."""
        params = self._import_flags(overwrite, create_new_copies, compatibility_mode)
        files = {"file": ("export.ndjson", dumps_ndjson(objects).encode(), "application/ndjson")}
        response = self._request("POST", "/api/saved_objects/_import", params=params, files=files)
        return ImportResult.from_response(response.json())

    def resolve_import_errors(
        self,
        objects: list[SavedObject],
        retries: list[dict[str, Any]],
        *,
        create_new_copies: bool = False,
        compatibility_mode: bool = False,
    ) -> ImportResult:
        """Retry objects with ``overwrite``, ``destinationId``, ``replaceReferences``,
        ``createNewCopy`` or ``ignoreMissingReferences`` set per object."""
        params = self._import_flags(False, create_new_copies, compatibility_mode)
        files = {"file": ("export.ndjson", dumps_ndjson(objects).encode(), "application/ndjson")}
        response = self._request(
            "POST",
            "/api/saved_objects/_resolve_import_errors",
            params=params,
            files=files,
            data={"retries": json.dumps(retries)},
        )
        return ImportResult.from_response(response.json())

    def find(
        self, types: list[str], search: str | None = None, per_page: int = 100
    ) -> Iterator[SavedObject]:
        """Every object of these types (``_find``, page by page)."""
        page = 1
        while True:
            params: dict[str, Any] = {"type": types, "per_page": per_page, "page": page}
            if search:
                params["search"] = search
            body = self._request("GET", "/api/saved_objects/_find", params=params).json()
            yield from body.get("saved_objects", [])
            if page * per_page >= int(body.get("total", 0)) or not body.get("saved_objects"):
                return
            page += 1

    def existing(self, keys: list[tuple[str, str]]) -> dict[tuple[str, str], SavedObject]:
        """Which of these (type, id) exist in the space (``_bulk_get``), with their content."""
        if not keys:
            return {}
        body = [{"type": t, "id": i} for t, i in keys]
        found = self._request("POST", "/api/saved_objects/_bulk_get", json=body).json()
        return {
            (o["type"], o["id"]): o for o in found.get("saved_objects", []) if not o.get("error")
        }


def write_backup(objects: list[SavedObject], path: Path) -> Path:
    """Keep a target's current objects before they are overwritten."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dumps_ndjson(objects), "utf-8")
    return path
