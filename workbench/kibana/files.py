"""Saved objects as files for git: the same objects always give the same bytes.

* :func:`dumps_ndjson`: an import-ready NDJSON bundle (attributes encoded as Kibana
  expects), objects sorted by type and id, keys sorted, volatile fields dropped;
* :func:`write_tree`: one pretty-printed, decoded file per object
  (``<dir>/<type>/<id>.json``) for review in pull requests; files of objects no longer in
  the bundle are removed.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from workbench.kibana.model import SavedObject, decode, encode, stable

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def dumps_ndjson(objects: list[SavedObject]) -> str:
    lines = [
        json.dumps(encode(o), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        for o in stable(objects)
    ]
    return "".join(line + "\n" for line in lines)


def file_name(obj: SavedObject) -> str:
    """A file name for an id: unsafe characters become ``_`` (ids like ``metrics-*``)."""
    return _UNSAFE.sub("_", str(obj["id"])) + ".json"


def write_tree(objects: list[SavedObject], directory: Path) -> list[Path]:
    """Write one decoded file per object; returns the paths written, in order."""
    written = []
    for obj in stable(objects):
        path = directory / str(obj["type"]) / file_name(obj)
        path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(decode(obj), sort_keys=True, ensure_ascii=False, indent=2) + "\n"
        if not path.exists() or path.read_text("utf-8") != text:
            path.write_text(text, "utf-8")
        written.append(path)
    keep = set(written)
    for stale in directory.glob("*/*.json"):
        if stale not in keep:
            stale.unlink()
    return written
