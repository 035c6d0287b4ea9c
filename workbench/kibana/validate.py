"""Offline checks of a saved-object bundle, before anything reaches a Kibana.

Errors: duplicate ids; references to objects neither in the bundle nor declared
external; ``*RefName`` values (``panelRefName``, ``indexRefName``,
``savedSearchRefName``, ``indexPatternRefName``, …) with no reference of that name;
by-value panels and control-group controls whose references are missing at the top
level; objects or types newer than the target Kibana. Warnings: references nothing
uses, objects without a migration version, types this table does not know.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from workbench.kibana.model import SavedObject, decode, label

# Saved-object types and the Kibana version that introduced them.
TYPE_SINCE: dict[str, str] = {
    "config": "6.0.0",
    "index-pattern": "6.0.0",
    "visualization": "6.0.0",
    "search": "6.0.0",
    "dashboard": "6.0.0",
    "url": "6.0.0",
    "timelion-sheet": "6.0.0",
    "graph-workspace": "6.0.0",
    "canvas-workpad": "6.5.0",
    "map": "7.0.0",
    "query": "7.7.0",
    "canvas-element": "7.7.0",
    "lens": "7.10.0",
    "tag": "7.10.0",
    "osquery-saved-query": "7.16.0",
    "osquery-pack": "8.0.0",
    "event-annotation-group": "8.9.0",
    "links": "8.11.0",
    "config-global": "8.9.0",
}
UNUSED_EXEMPT = {"tag"}  # tags are referenced by the tagged object, not used inside it


@dataclass(frozen=True)
class Finding:
    severity: str  # "error" or "warning"
    code: str
    object: str
    message: str

    def __str__(self) -> str:
        return f"{self.severity}: {self.object}: {self.message} [{self.code}]"


def version_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", version)[:3])


def _ref_names(value: Any) -> Iterator[str]:
    """Every ``…RefName`` string anywhere inside decoded attributes."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key.endswith("RefName") and isinstance(item, str):
                yield item
            else:
                yield from _ref_names(item)
    elif isinstance(value, list):
        for item in value:
            yield from _ref_names(item)


def _inner_references(attributes: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(required top-level name, what needs it) for by-value panels and controls."""
    panels = attributes.get("panelsJSON")
    if isinstance(panels, list):
        for panel in panels:
            config = panel.get("embeddableConfig") or {}
            inner = (config.get("attributes") or {}).get("references") or []
            index = panel.get("panelIndex")
            for ref in inner:
                yield f"{index}:{ref.get('name')}", f"panel {index}"
    controls = (attributes.get("controlGroupInput") or {}).get("panelsJSON")
    if isinstance(controls, dict):
        for control_id, control in controls.items():
            if control.get("type") in {"optionsListControl", "rangeSliderControl"}:
                yield f"controlGroup_{control_id}:", f"control {control_id}"


def _check_object(
    obj: SavedObject,
    known: set[tuple[str, str]],
    external: set[tuple[str, str]],
    target: tuple[int, ...] | None,
) -> Iterator[Finding]:
    name = label(obj)
    decoded = decode(obj)
    attributes = decoded.get("attributes") or {}
    references = obj.get("references") or []
    ref_names = {r.get("name") for r in references}
    for ref in references:
        key = (ref.get("type"), ref.get("id"))
        if key not in known and key not in external:
            yield Finding(
                "error",
                "missing-reference",
                name,
                f"reference {ref.get('name')!r} points to {key[0]} {key[1]!r}, which is "
                f"neither in the bundle nor declared external",
            )
    used = set(_ref_names(attributes))
    for ref_name in sorted(used - ref_names):
        yield Finding(
            "error",
            "dangling-ref-name",
            name,
            f"attributes name reference {ref_name!r}, but no reference has that name",
        )
    for required, owner in _inner_references(attributes):
        matches = [
            n
            for n in ref_names
            if n == required or (required.endswith(":") and str(n).startswith(required))
        ]
        if not matches:
            yield Finding(
                "error",
                "missing-panel-reference",
                name,
                f"{owner} needs a top-level reference {required!r}",
            )
        used.update(matches)
    for ref in references:
        if ref.get("name") not in used and ref.get("type") not in UNUSED_EXEMPT:
            yield Finding(
                "warning",
                "unused-reference",
                name,
                f"reference {ref.get('name')!r} is used by nothing in the object",
            )
    type_name = str(obj.get("type"))
    migration = obj.get("typeMigrationVersion") or (obj.get("migrationVersion") or {}).get(
        type_name
    )
    if not migration:
        yield Finding(
            "warning",
            "no-migration-version",
            name,
            "no migrationVersion/typeMigrationVersion: Kibana will assume the "
            "current version and skip migrations",
        )
    if type_name not in TYPE_SINCE:
        yield Finding(
            "warning",
            "unknown-type",
            name,
            f"type {type_name!r} is not in the workbench's table of Kibana types",
        )
    elif target and version_tuple(TYPE_SINCE[type_name]) > target:
        yield Finding(
            "error",
            "type-too-new",
            name,
            f"type {type_name!r} needs Kibana {TYPE_SINCE[type_name]} or newer",
        )
    if target and migration and version_tuple(str(migration)) > target:
        yield Finding(
            "error",
            "newer-than-target",
            name,
            f"migrated to {migration}, newer than the target Kibana "
            f"{'.'.join(map(str, target))}; Kibana cannot import it",
        )


def validate(
    objects: list[SavedObject],
    external: Iterable[tuple[str, str]] = (),
    target_version: str | None = None,
) -> list[Finding]:
    """Findings for a bundle; ``external`` lists (type, id) that exist on the target."""
    keys = Counter((str(o.get("type")), str(o.get("id"))) for o in objects)
    findings = [
        Finding("error", "duplicate-id", f"{t} ({i})", f"{count} objects share this type and id")
        for (t, i), count in sorted(keys.items())
        if count > 1
    ]
    target = version_tuple(target_version) if target_version else None
    known, outside = set(keys), set(external)
    for obj in objects:
        findings.extend(_check_object(obj, known, outside, target))
    return findings
