"""Semantic diff of two saved-object bundles (files, or a live Kibana's export).

Objects are matched by type and id and compared decoded, without volatile fields, so a
re-export with new timestamps or re-stringified JSON shows no change. Dashboards are
compared panel by panel (matched by ``panelIndex``): panels added, removed, moved
(``gridData``) or changed, naming what changed: title, query, filters, visualization.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from workbench.kibana.model import SavedObject, decode, stable, title

Key = tuple[str, str]


@dataclass(frozen=True)
class PanelChange:
    panel: str
    kind: str  # added, removed, moved, changed
    aspects: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ObjectChange:
    type: str
    id: str
    title: str
    kind: str  # added, removed, changed
    fields: list[str] = field(default_factory=list)
    panels: list[PanelChange] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _index(objects: list[SavedObject]) -> dict[Key, SavedObject]:
    return {(str(o["type"]), str(o["id"])): decode(o) for o in stable(objects)}


def _panel_key(panel: dict[str, Any], position: int) -> str:
    return str(panel.get("panelIndex") or panel.get("i") or position)


def _panel_target(panel: dict[str, Any], references: dict[str, Any]) -> Any:
    """What the panel shows: a referenced object's id, or its by-value attributes."""
    ref_name = panel.get("panelRefName")
    if ref_name:
        return references.get(ref_name)
    config = dict(panel.get("embeddableConfig") or {})
    attributes = dict(config.get("attributes") or {})
    state = dict(attributes.get("state") or {})
    state.pop("query", None)
    state.pop("filters", None)
    attributes["state"] = state
    attributes.pop("title", None)
    config["attributes"] = attributes
    config.pop("title", None)
    return {"type": panel.get("type"), "config": config, "id": panel.get("id")}


def _panel_aspects(
    old: dict[str, Any], new: dict[str, Any], old_refs: dict[str, Any], new_refs: dict[str, Any]
) -> list[str]:
    def state(panel: dict[str, Any], key: str) -> Any:
        attributes = (panel.get("embeddableConfig") or {}).get("attributes") or {}
        return (attributes.get("state") or {}).get(key)

    def panel_title(panel: dict[str, Any]) -> Any:
        config = panel.get("embeddableConfig") or {}
        return (
            panel.get("title")
            or config.get("title")
            or (config.get("attributes") or {}).get("title")
        )

    aspects = []
    if panel_title(old) != panel_title(new):
        aspects.append("title")
    if state(old, "query") != state(new, "query"):
        aspects.append("query")
    if state(old, "filters") != state(new, "filters"):
        aspects.append("filters")
    if _panel_target(old, old_refs) != _panel_target(new, new_refs):
        aspects.append("visualization")
    return aspects


def _ref_map(obj: SavedObject) -> dict[str, Any]:
    return {r.get("name"): (r.get("type"), r.get("id")) for r in obj.get("references") or []}


def _panels(old: SavedObject, new: SavedObject) -> list[PanelChange]:
    def panels(obj: SavedObject) -> dict[str, dict[str, Any]]:
        raw = (obj.get("attributes") or {}).get("panelsJSON")
        items = raw if isinstance(raw, list) else []
        return {_panel_key(p, i): p for i, p in enumerate(items)}

    before, after = panels(old), panels(new)
    old_refs, new_refs = _ref_map(old), _ref_map(new)
    changes = [PanelChange(k, "added") for k in after if k not in before]
    changes += [PanelChange(k, "removed") for k in before if k not in after]
    for key in (k for k in before if k in after):
        a, b = before[key], after[key]
        if a.get("gridData") != b.get("gridData"):
            changes.append(PanelChange(key, "moved"))
        aspects = _panel_aspects(a, b, old_refs, new_refs)
        if aspects:
            changes.append(PanelChange(key, "changed", aspects))
    return changes


def _changed_fields(old: SavedObject, new: SavedObject) -> list[str]:
    fields = []
    old_attrs, new_attrs = old.get("attributes") or {}, new.get("attributes") or {}
    for name in sorted(set(old_attrs) | set(new_attrs)):
        if name == "panelsJSON" and old.get("type") == "dashboard":
            continue
        if old_attrs.get(name) != new_attrs.get(name):
            fields.append(f"attributes.{name}")
    for name in sorted((set(old) | set(new)) - {"attributes", "type", "id"}):
        if old.get(name) != new.get(name):
            fields.append(name)
    return fields


def diff(old: list[SavedObject], new: list[SavedObject]) -> list[ObjectChange]:
    """What turns bundle ``old`` into bundle ``new``."""
    before, after = _index(old), _index(new)
    changes = []
    for key in sorted(set(before) | set(after)):
        if key not in before:
            changes.append(ObjectChange(*key, title(after[key]), "added"))
        elif key not in after:
            changes.append(ObjectChange(*key, title(before[key]), "removed"))
        elif before[key] != after[key]:
            panels = _panels(before[key], after[key]) if key[0] == "dashboard" else []
            changes.append(
                ObjectChange(
                    *key,
                    title(after[key]),
                    "changed",
                    _changed_fields(before[key], after[key]),
                    panels,
                )
            )
    return changes


def as_text(changes: list[ObjectChange]) -> str:
    if not changes:
        return "no differences"
    lines = []
    sign = {"added": "+", "removed": "-", "changed": "~", "moved": ">"}
    for change in changes:
        lines.append(f"{sign[change.kind]} {change.type} {change.title!r} ({change.id})")
        lines.extend(f"    field {f}" for f in change.fields)
        for panel in change.panels:
            what = f": {', '.join(panel.aspects)}" if panel.aspects else ""
            lines.append(f"    {sign[panel.kind]} panel {panel.panel} {panel.kind}{what}")
    return "\n".join(lines)
