"""Kibana saved objects as plain data: read every format found in the wild, decode the
attributes Kibana stores as JSON strings, and encode them again for import.

Formats read (:func:`read_objects`):

* an export NDJSON, one object per line, with or without the trailing summary line
  (``{"exportedCount": …}``) and with or without a final newline;
* pretty-printed JSON (one object, or a list), even when the file is called ``.ndjson``;
* kbn_archiver files: pretty-printed objects separated by blank lines;
* a folder of such files (integration packages keep one object per file, with some
  attributes already decoded).

Decoding (:func:`decode`) turns the stringified attributes (``panelsJSON``,
``optionsJSON``, ``visState``, ``uiStateJSON``, ``kibanaSavedObjectMeta.searchSourceJSON``,
``layerListJSON``, ``mapStateJSON``, ``controlGroupInput.*JSON``, and the index pattern's
``fields``, ``fieldFormatMap``, ``fieldAttrs``, ``runtimeFieldMap``, ``sourceFilters``) into
JSON values for storage and review; :func:`encode` turns them back into compact strings,
as Kibana's import expects. ``decode(encode(decode(x))) == decode(x)``. Every other
field, migration versions included, is kept as it is.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from workbench.errors import WorkbenchError

SavedObject = dict[str, Any]
# (path inside "attributes") of attributes Kibana keeps as JSON text.
STRINGIFIED: tuple[tuple[str, ...], ...] = (
    ("panelsJSON",),
    ("optionsJSON",),
    ("visState",),
    ("uiStateJSON",),
    ("kibanaSavedObjectMeta", "searchSourceJSON"),
    ("layerListJSON",),
    ("mapStateJSON",),
    ("controlGroupInput", "panelsJSON"),
    ("controlGroupInput", "ignoreParentSettingsJSON"),
    ("fields",),
    ("fieldFormatMap",),
    ("fieldAttrs",),
    ("runtimeFieldMap",),
    ("sourceFilters",),
)
VOLATILE = ("updated_at", "created_at", "version")


class SavedObjectError(WorkbenchError):
    """A file or object is not a Kibana saved object in any known format."""


def _is_summary(obj: Any) -> bool:
    return isinstance(obj, dict) and "exportedCount" in obj and "type" not in obj


def _objects_from(value: Any, origin: str) -> list[SavedObject]:
    items = value if isinstance(value, list) else [value]
    out = []
    for item in items:
        if _is_summary(item):
            continue
        if not isinstance(item, dict) or "type" not in item or "id" not in item:
            raise SavedObjectError(f"{origin}: an entry without 'type' and 'id' is no saved object")
        out.append(item)
    return out


def parse_text(text: str, origin: str = "<text>") -> list[SavedObject]:
    """Objects from one file's text, whatever the format (see the module docstring)."""
    stripped = text.strip()
    if not stripped:
        return []
    lines = [line for line in stripped.splitlines() if line.strip()]
    try:
        parsed = [json.loads(line) for line in lines]
        if all(isinstance(p, dict) for p in parsed):
            return _objects_from(parsed, origin)
    except json.JSONDecodeError:
        pass
    try:
        return _objects_from(json.loads(stripped), origin)
    except json.JSONDecodeError:
        pass
    chunks = [c for c in stripped.replace("\r\n", "\n").split("\n\n") if c.strip()]
    try:
        return _objects_from([json.loads(c) for c in chunks], origin)
    except json.JSONDecodeError as exc:
        raise SavedObjectError(
            f"{origin} is neither NDJSON, JSON nor kbn_archiver format: {exc}"
        ) from None


def read_objects(path: Path) -> list[SavedObject]:
    """Every saved object in a file, or in the ``.json``/``.ndjson`` files under a folder."""
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.suffix in {".json", ".ndjson"})
        return [obj for f in files for obj in parse_text(f.read_text("utf-8"), str(f))]
    return parse_text(path.read_text("utf-8"), str(path))


def _walk(attributes: dict[str, Any], path: tuple[str, ...]) -> tuple[dict[str, Any], str] | None:
    node: Any = attributes
    for key in path[:-1]:
        node = node.get(key) if isinstance(node, dict) else None
    if isinstance(node, dict) and path[-1] in node:
        return node, path[-1]
    return None


def _slots(obj: SavedObject) -> Iterator[tuple[dict[str, Any], str]]:
    """(holder, key) of every stringifiable attribute present in ``obj``."""
    attributes = obj.get("attributes")
    if not isinstance(attributes, dict):
        return
    for path in STRINGIFIED:
        found = _walk(attributes, path)
        if found is not None:
            yield found


def decode(obj: SavedObject) -> SavedObject:
    """A copy with the stringified attributes parsed (already-decoded ones are kept)."""
    out = copy.deepcopy(obj)
    for holder, key in _slots(out):
        value = holder[key]
        if isinstance(value, str) and value.strip():
            try:
                holder[key] = json.loads(value)
            except json.JSONDecodeError:
                continue  # not JSON after all: keep the text untouched
    return out


def _compact(value: Any) -> str:
    """JSON as JavaScript's ``JSON.stringify`` writes it: no spaces, Unicode as is."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def encode(obj: SavedObject) -> SavedObject:
    """A copy with the decodable attributes turned back into JSON strings for import."""
    out = copy.deepcopy(obj)
    for holder, key in _slots(out):
        if not isinstance(holder[key], str):
            holder[key] = _compact(holder[key])
    return out


def title(obj: SavedObject) -> str:
    attributes = obj.get("attributes") or {}
    return str(attributes.get("title") or attributes.get("name") or obj.get("id"))


def label(obj: SavedObject) -> str:
    """How findings name an object: type, title and id."""
    return f"{obj.get('type')} {title(obj)!r} ({obj.get('id')})"


def strip_volatile(obj: SavedObject) -> SavedObject:
    return {k: v for k, v in obj.items() if k not in VOLATILE}


def sort_key(obj: SavedObject) -> tuple[str, str]:
    return (str(obj.get("type")), str(obj.get("id")))


def stable(objects: Iterable[SavedObject]) -> list[SavedObject]:
    """Objects sorted by type and id, without the fields that change on every save."""
    return [strip_volatile(o) for o in sorted(objects, key=sort_key)]
