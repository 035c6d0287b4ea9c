"""Promote saved objects from one Kibana or space to another, safely.

1. :func:`remap` rewrites data-view ids and index-pattern titles (say
   ``commerce-*-staging`` -> ``commerce-*``) in the objects and their references.
2. :func:`plan` asks the target what exists: which objects would be created, which
   overwritten, and which referenced data views the target already has; it validates
   the bundle against that.
3. :func:`apply` refuses to overwrite without ``overwrite=True``, backs up the target's
   current version of every object it will overwrite, imports, and resolves the one
   import error that is safe to resolve on its own: a reference to a missing data view
   whose id is the title of a data view the target has.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workbench.config import Settings
from workbench.kibana.client import ImportResult, KibanaClient, KibanaError, write_backup
from workbench.kibana.model import SavedObject, decode, encode, label, read_objects
from workbench.kibana.validate import Finding, validate

DATA_VIEW = "index-pattern"


def _replace_titles(value: Any, patterns: dict[str, str]) -> Any:
    if isinstance(value, str):
        return patterns.get(value, value)
    if isinstance(value, list):
        return [_replace_titles(v, patterns) for v in value]
    if isinstance(value, dict):
        return {
            k: _replace_titles(v, patterns) if k in _TITLE_KEYS or isinstance(v, dict | list) else v
            for k, v in value.items()
        }
    return value


# Keys whose string values name index patterns by title (data views, TSVB, controls).
_TITLE_KEYS = {
    "title",
    "index_pattern",
    "series_index_pattern",
    "default_index_pattern",
    "indexPatternTitle",
    "index",
}


def remap(
    objects: list[SavedObject],
    data_views: dict[str, str] | None = None,
    patterns: dict[str, str] | None = None,
) -> list[SavedObject]:
    """Copies with data-view ids (``data_views``: old id -> new id) and index-pattern titles
    (``patterns``: old title -> new title) replaced wherever they are used."""
    data_views, patterns = data_views or {}, patterns or {}
    out = []
    for original in objects:
        obj = decode(copy.deepcopy(original))
        if obj["type"] == DATA_VIEW and obj["id"] in data_views:
            obj["id"] = data_views[obj["id"]]
        for ref in obj.get("references") or []:
            if ref.get("type") == DATA_VIEW and ref.get("id") in data_views:
                ref["id"] = data_views[ref["id"]]
        if patterns:
            attributes = obj.get("attributes") or {}
            if obj["type"] == DATA_VIEW:
                old_title = str(attributes.get("title"))
                attributes["title"] = patterns.get(old_title, old_title)
            else:
                for key in ("visState", "kibanaSavedObjectMeta"):
                    if key in attributes:
                        attributes[key] = _replace_titles(attributes[key], patterns)
            for ref in obj.get("references") or []:
                if ref.get("type") == DATA_VIEW and ref.get("id") in patterns:
                    ref["id"] = patterns[ref["id"]]
        out.append(encode(obj))
    return out


@dataclass
class Plan:
    """What an import would do on the target, before anything is written."""

    create: list[tuple[str, str]] = field(default_factory=list)
    overwrite: list[tuple[str, str]] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    current: dict[tuple[str, str], SavedObject] = field(default_factory=dict)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    def summary(self) -> dict[str, Any]:
        return {
            "create": len(self.create),
            "overwrite": len(self.overwrite),
            "errors": len(self.errors),
            "warnings": len(self.findings) - len(self.errors),
        }


def plan(
    client: KibanaClient, objects: list[SavedObject], target_version: str | None = None
) -> Plan:
    """Ask the target which objects exist, and validate against what it already has."""
    keys = [(str(o["type"]), str(o["id"])) for o in objects]
    current = client.existing(keys)
    inside = set(keys)
    outside = sorted(
        {(str(r["type"]), str(r["id"])) for o in objects for r in o.get("references") or []}
        - inside
    )
    external = set(client.existing(outside))
    findings = validate(objects, external=external, target_version=target_version)
    return Plan(
        create=[k for k in keys if k not in current],
        overwrite=[k for k in keys if k in current],
        findings=findings,
        current=current,
    )


def apply(
    client: KibanaClient,
    objects: list[SavedObject],
    the_plan: Plan,
    *,
    overwrite: bool = False,
    backup_dir: Path | None = None,
) -> ImportResult:
    """Import after the checks above; returns the final import result."""
    if the_plan.errors:
        raise KibanaError(
            "the bundle has validation errors; nothing was imported:\n"
            + "\n".join(str(f) for f in the_plan.errors)
        )
    if the_plan.overwrite and not overwrite:
        names = ", ".join(f"{t} {i}" for t, i in the_plan.overwrite[:5])
        raise KibanaError(
            f"{len(the_plan.overwrite)} objects exist on the target ({names}, "
            f"…); pass --overwrite to replace them (they are backed up first)"
        )
    if the_plan.overwrite and backup_dir is not None:
        write_backup(
            [the_plan.current[k] for k in the_plan.overwrite], backup_dir / "target-backup.ndjson"
        )
    result = client.import_objects(objects, overwrite=overwrite)
    retries = _safe_retries(client, result)
    if retries:
        result = client.resolve_import_errors(objects, retries)
    return result


def _safe_retries(client: KibanaClient, result: ImportResult) -> list[dict[str, Any]]:
    missing = result.of_kind("missing_references")
    if not missing:
        return []
    by_title = {
        str((dv.get("attributes") or {}).get("title")): str(dv["id"])
        for dv in client.find([DATA_VIEW])
    }
    retries = []
    for problem in missing:
        replace = []
        for ref in problem.detail.get("references", []):
            if ref.get("type") != DATA_VIEW or ref.get("id") not in by_title:
                break
            replace.append({"type": DATA_VIEW, "from": ref["id"], "to": by_title[ref["id"]]})
        else:
            retries.append(
                {
                    "type": problem.type,
                    "id": problem.id,
                    "overwrite": True,
                    "replaceReferences": replace,
                }
            )
    return retries


def describe(the_plan: Plan, objects: list[SavedObject]) -> str:
    """A dry run's report: what would be created or overwritten, and the findings."""
    by_key = {(str(o["type"]), str(o["id"])): o for o in objects}
    lines = [f"plan: {json.dumps(the_plan.summary())}"]
    lines += [f"  create    {label(by_key[k])}" for k in the_plan.create]
    lines += [f"  overwrite {label(by_key[k])}" for k in the_plan.overwrite]
    lines += [f"  {f}" for f in the_plan.findings]
    return "\n".join(lines)


def load_bundle(source: Path, views: str = "", patterns: str = "") -> list[SavedObject]:
    """Read a bundle and remap it; ``views``/``patterns`` are ``old=new,old2=new2``."""

    def pairs(text: str) -> dict[str, str]:
        items = [p.split("=", 1) for p in text.split(",") if p.strip()]
        bad = [p for p in items if len(p) != 2]
        if bad:
            raise ValueError(f"remappings are old=new pairs separated by commas, not {text!r}")
        return {old.strip(): new.strip() for old, new in items}

    return remap(read_objects(source), pairs(views), pairs(patterns))


def target_from_environment() -> KibanaClient | None:
    """The target Kibana from KIBANA_URL, or None when only offline checks can run."""
    settings = Settings.from_env()
    return KibanaClient.from_settings(settings) if settings.kibana_url else None


def verdict(
    findings: list[Finding], the_plan: Plan | None, result: ImportResult | None
) -> tuple[str, dict[str, Any], list[str]]:
    """(status, metrics, findings) of a promotion: fail on any error."""
    errors = [str(f) for f in findings if f.severity == "error"]
    problems = [str(p) for p in result.problems] if result else []
    metrics: dict[str, Any] = {
        "validation_errors": len(errors),
        "warnings": sum(f.severity == "warning" for f in findings),
        "target": "checked" if the_plan else "none (KIBANA_URL unset: offline checks only)",
    }
    if the_plan:
        metrics.update(create=len(the_plan.create), overwrite=len(the_plan.overwrite))
    if result:
        metrics.update(imported=result.success_count, import_problems=len(problems))
    failed = bool(errors or problems or (result and not result.success))
    return ("fail" if failed else "pass"), metrics, errors + problems
