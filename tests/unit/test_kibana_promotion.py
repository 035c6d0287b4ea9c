"""Diff, remap, plan and apply against the documented Kibana contract."""

import copy
import json
from pathlib import Path

import httpx
import pytest
import respx

from workbench.config import Credentials, Secret
from workbench.kibana.client import KibanaClient, KibanaError
from workbench.kibana.diff import as_text, diff
from workbench.kibana.model import decode, encode, read_objects
from workbench.kibana.promote import apply, describe, plan, remap

URL = "http://kibana.test:5601"
OBJECTS = read_objects(
    Path(__file__).parents[1] / "data" / "kibana" / "speed-layer-7.3-export.ndjson"
)
DASHBOARD_ID = next(o["id"] for o in OBJECTS if o["type"] == "dashboard")


def edited(mutate) -> list[dict]:  # type: ignore[no-untyped-def]
    by_key = {(o["type"], o["id"]): decode(o) for o in copy.deepcopy(OBJECTS)}
    mutate(by_key)
    return [encode(o) for o in by_key.values()]


def test_identical_bundles_differ_in_nothing_but_volatile_fields() -> None:
    touched = [{**o, "updated_at": "2031-01-01T00:00:00Z", "version": "WzEwMF0="} for o in OBJECTS]
    assert diff(OBJECTS, touched) == []
    assert as_text([]) == "no differences"


def test_dashboard_panels_added_removed_moved_changed() -> None:
    def mutate(by_key: dict) -> None:
        dash = by_key[("dashboard", DASHBOARD_ID)]
        panels = dash["attributes"]["panelsJSON"]
        panels[0]["gridData"]["x"] += 12
        panels[1]["title"] = "Renamed"
        panels[2]["panelRefName"] = "panel_5"
        removed = panels.pop(3)
        panels.append(
            {
                **removed,
                "panelIndex": "new-panel",
                "gridData": {"x": 0, "y": 99, "w": 10, "h": 5, "i": "new-panel"},
            }
        )
        dash["attributes"]["title"] = "Account Overview v2"
        by_key[("search", next(i for t, i in by_key if t == "search"))]["attributes"][
            "description"
        ] = "changed"
        del by_key[
            (
                "index-pattern",
                next(
                    i
                    for (t, i), o in by_key.items()
                    if t == "index-pattern"
                    and o["attributes"]["title"] == "transactions_data_frame"
                ),
            )
        ]

    new = edited(mutate)
    new.append({"type": "tag", "id": "t1", "attributes": {"name": "commerce"}, "references": []})
    changes = {(c.type, c.kind): c for c in diff(OBJECTS, new)}
    dash = changes[("dashboard", "changed")]
    assert dash.title == "Account Overview v2"
    assert "attributes.title" in dash.fields
    panels = {(p.panel, p.kind): p for p in dash.panels}
    old_panels = decode(next(o for o in OBJECTS if o["type"] == "dashboard"))["attributes"][
        "panelsJSON"
    ]
    keys = [p["panelIndex"] for p in old_panels]
    assert (keys[0], "moved") in panels
    assert panels[(keys[1], "changed")].aspects == ["title"]
    assert panels[(keys[2], "changed")].aspects == ["visualization"]
    assert (keys[3], "removed") in panels
    assert ("new-panel", "added") in panels
    assert ("tag", "added") in changes
    assert ("index-pattern", "removed") in changes
    assert changes[("search", "changed")].fields == ["attributes.description"]
    text = as_text(diff(OBJECTS, new))
    assert "~ dashboard 'Account Overview v2'" in text
    assert "+ panel new-panel added" in text
    assert "- index-pattern 'transactions_data_frame'" in text


def test_remap_data_views_and_titles() -> None:
    pattern = next(o for o in OBJECTS if o["type"] == "index-pattern")
    moved = remap(
        OBJECTS,
        data_views={pattern["id"]: "prod-view"},
        patterns={pattern["attributes"]["title"]: "transactions_prod"},
    )
    new_pattern = next(o for o in moved if o["id"] == "prod-view")
    assert new_pattern["attributes"]["title"] == "transactions_prod"
    assert isinstance(new_pattern["attributes"]["fields"], str), "encoded for import again"
    referencing = [r for o in moved for r in o["references"] if r["type"] == "index-pattern"]
    assert not any(r["id"] == pattern["id"] for r in referencing)
    assert any(r["id"] == "prod-view" for r in referencing)
    tsvb = remap(
        [
            {
                "type": "visualization",
                "id": "v",
                "references": [],
                "attributes": {
                    "title": "TSVB",
                    "visState": json.dumps(
                        {
                            "type": "metrics",
                            "params": {
                                "index_pattern": "commerce-*-staging",
                                "series": [{"series_index_pattern": "commerce-*-staging"}],
                            },
                        }
                    ),
                },
            }
        ],
        patterns={"commerce-*-staging": "commerce-*"},
    )
    state = json.loads(tsvb[0]["attributes"]["visState"])
    assert state["params"]["index_pattern"] == "commerce-*"
    assert state["params"]["series"][0]["series_index_pattern"] == "commerce-*"
    assert tsvb[0]["attributes"]["title"] == "TSVB", "object titles are not index patterns"


def kibana() -> KibanaClient:
    return KibanaClient(
        URL, Credentials(api_key=Secret("a2V5OnNlY3JldA==")), space="prod", backoff=0.0
    )


def bulk_get(existing: set[tuple[str, str]]):  # type: ignore[no-untyped-def]
    def respond(request: httpx.Request) -> httpx.Response:
        asked = json.loads(request.content)
        return httpx.Response(
            200,
            json={
                "saved_objects": [
                    {**next(o for o in OBJECTS if (o["type"], o["id"]) == (a["type"], a["id"]))}
                    if (a["type"], a["id"]) in existing
                    else {"type": a["type"], "id": a["id"], "error": {"statusCode": 404}}
                    for a in asked
                ]
            },
        )

    return respond


@respx.mock
def test_plan_previews_and_apply_refuses_to_overwrite(tmp_path: Path) -> None:
    dashboard = ("dashboard", DASHBOARD_ID)
    respx.post(f"{URL}/s/prod/api/saved_objects/_bulk_get").mock(side_effect=bulk_get({dashboard}))
    imported = respx.post(f"{URL}/s/prod/api/saved_objects/_import").respond(
        200, json={"success": True, "successCount": len(OBJECTS)}
    )
    preview = plan(kibana(), OBJECTS)
    assert preview.overwrite == [dashboard]
    assert len(preview.create) == len(OBJECTS) - 1
    assert "overwrite dashboard 'Account Overview'" in describe(preview, OBJECTS)
    with pytest.raises(KibanaError, match="pass --overwrite"):
        apply(kibana(), OBJECTS, preview, backup_dir=tmp_path)
    assert not imported.called, "nothing is written before the user agrees"
    result = apply(kibana(), OBJECTS, preview, overwrite=True, backup_dir=tmp_path)
    assert result.success
    backup = read_objects(tmp_path / "target-backup.ndjson")
    assert [(o["type"], o["id"]) for o in backup] == [dashboard]
    assert imported.calls.last.request.url.params["overwrite"] == "true"


@respx.mock
def test_validation_errors_stop_the_import() -> None:
    broken = [o for o in OBJECTS if o["type"] != "search"]
    respx.post(f"{URL}/s/prod/api/saved_objects/_bulk_get").mock(side_effect=bulk_get(set()))
    imported = respx.post(f"{URL}/s/prod/api/saved_objects/_import")
    preview = plan(kibana(), broken)
    assert preview.errors
    with pytest.raises(KibanaError, match="validation errors"):
        apply(kibana(), broken, preview)
    assert not imported.called


@respx.mock
def test_missing_data_view_by_title_is_resolved_safely() -> None:
    lens = {
        "type": "lens",
        "id": "rev",
        "attributes": {"title": "Revenue"},
        "typeMigrationVersion": "8.9.0",
        "references": [
            {
                "type": "index-pattern",
                "id": "commerce-orders",
                "name": "indexpattern-datasource-layer-1",
            }
        ],
    }
    respx.post(f"{URL}/s/prod/api/saved_objects/_bulk_get").respond(
        200,
        json={
            "saved_objects": [
                {"type": "lens", "id": "rev", "error": {"statusCode": 404}},
                {"type": "index-pattern", "id": "commerce-orders", "error": {"statusCode": 404}},
            ]
        },
    )
    respx.post(f"{URL}/s/prod/api/saved_objects/_import").respond(
        200,
        json={
            "success": False,
            "successCount": 0,
            "errors": [
                {
                    "type": "lens",
                    "id": "rev",
                    "title": "Revenue",
                    "error": {
                        "type": "missing_references",
                        "references": [{"type": "index-pattern", "id": "commerce-orders"}],
                    },
                }
            ],
        },
    )
    respx.get(f"{URL}/s/prod/api/saved_objects/_find").respond(
        200,
        json={
            "page": 1,
            "per_page": 100,
            "total": 1,
            "saved_objects": [
                {
                    "type": "index-pattern",
                    "id": "9f0c-prod",
                    "attributes": {"title": "commerce-orders"},
                }
            ],
        },
    )
    resolved = respx.post(f"{URL}/s/prod/api/saved_objects/_resolve_import_errors").respond(
        200, json={"success": True, "successCount": 1}
    )
    preview = plan(kibana(), [lens])
    assert [f.code for f in preview.errors] == ["missing-reference"]
    preview.findings = []  # the user accepted that the data view is named by title
    result = apply(kibana(), [lens], preview)
    assert result.success
    body = resolved.calls.last.request.content.decode()
    assert (
        '"replaceReferences": [{"type": "index-pattern", "from": "commerce-orders", '
        '"to": "9f0c-prod"}]' in body
    )
