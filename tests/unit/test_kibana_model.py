import json
import random
from collections import Counter
from pathlib import Path

import pytest

from workbench.kibana.files import dumps_ndjson, write_tree
from workbench.kibana.model import SavedObjectError, decode, encode, parse_text, read_objects
from workbench.kibana.validate import validate

DATA = Path(__file__).parents[1] / "data" / "kibana"
SPEED_LAYER = DATA / "speed-layer-7.3-export.ndjson"
SHARED = Path(__file__).parents[2].parent / "shared" / "data" / "kibana-exports"
needs_shared = pytest.mark.skipif(
    not SHARED.is_dir(),
    reason=f"the ELv2-licensed exports are not copied into the repository; {SHARED} is absent",
)


@pytest.fixture
def speed_layer() -> list[dict]:
    return read_objects(SPEED_LAYER)


def test_real_7x_export_parses(speed_layer: list[dict]) -> None:
    assert Counter(o["type"] for o in speed_layer) == {
        "config": 1,
        "index-pattern": 3,
        "visualization": 4,
        "search": 2,
        "dashboard": 1,
    }
    assert not SPEED_LAYER.read_bytes().endswith(b"\n"), "the file has no final newline"


def test_decode_encode_round_trip_is_lossless(speed_layer: list[dict]) -> None:
    for obj in speed_layer:
        decoded = decode(obj)
        assert decode(encode(decoded)) == decoded
        assert encode(decoded) == obj, "re-encoding restores Kibana's exact strings"
    dashboard = decode(next(o for o in speed_layer if o["type"] == "dashboard"))
    panels = dashboard["attributes"]["panelsJSON"]
    assert [p["panelRefName"] for p in panels] == [f"panel_{i}" for i in range(6)]
    search_source = dashboard["attributes"]["kibanaSavedObjectMeta"]["searchSourceJSON"]
    assert search_source["filter"][0]["meta"]["indexRefName"].endswith("filter[0].meta.index")
    pattern = decode(next(o for o in speed_layer if o["type"] == "index-pattern"))
    assert isinstance(pattern["attributes"]["fields"], list)


def test_every_format_gives_the_same_objects(speed_layer: list[dict], tmp_path: Path) -> None:
    text = SPEED_LAYER.read_text()
    summary = json.dumps({"exportedCount": 11, "missingRefCount": 0, "missingReferences": []})
    assert parse_text(text + "\n" + summary + "\n") == speed_layer
    pretty = tmp_path / "pretty.ndjson"
    pretty.write_text(json.dumps(speed_layer, indent=2))
    assert read_objects(pretty) == speed_layer
    archiver = tmp_path / "archiver.json"
    archiver.write_text("\n\n".join(json.dumps(o, indent=2) for o in speed_layer) + "\n")
    assert read_objects(archiver) == speed_layer
    folder = tmp_path / "package"
    for i, obj in enumerate(speed_layer):
        (folder / obj["type"]).mkdir(parents=True, exist_ok=True)
        (folder / obj["type"] / f"{i:02d}.json").write_text(json.dumps(decode(obj), indent=4))
    from_folder = read_objects(folder)
    assert sorted(json.dumps(encode(o), sort_keys=True) for o in from_folder) == sorted(
        json.dumps(o, sort_keys=True) for o in speed_layer
    )


def test_unknown_formats_are_refused() -> None:
    with pytest.raises(SavedObjectError, match="neither NDJSON"):
        parse_text("{not json")
    with pytest.raises(SavedObjectError, match="no saved object"):
        parse_text('{"title": "no type or id"}')


def test_files_are_deterministic(speed_layer: list[dict], tmp_path: Path) -> None:
    shuffled = speed_layer[:]
    random.Random(3).shuffle(shuffled)
    shuffled[0] = {**shuffled[0], "updated_at": "2030-01-01T00:00:00.000Z", "version": "WzksOV0="}
    assert dumps_ndjson(speed_layer) == dumps_ndjson(shuffled)
    bundle = dumps_ndjson(speed_layer)
    assert "updated_at" not in bundle
    assert parse_text(bundle) == [
        {k: v for k, v in o.items() if k not in {"updated_at", "version"}}
        for o in sorted(speed_layer, key=lambda o: (o["type"], o["id"]))
    ]
    first = write_tree(speed_layer, tmp_path / "tree")
    snapshot = {p: p.read_bytes() for p in first}
    (tmp_path / "tree" / "dashboard" / "stale.json").write_text("{}")
    second = write_tree(shuffled, tmp_path / "tree")
    assert second == first
    assert {p: p.read_bytes() for p in second} == snapshot
    assert not (tmp_path / "tree" / "dashboard" / "stale.json").exists()
    assert isinstance(json.loads(snapshot[first[0]])["attributes"], dict)


def test_validation_of_a_sound_bundle(speed_layer: list[dict]) -> None:
    findings = validate(speed_layer, target_version="7.3.1")
    assert [(f.severity, f.code) for f in findings] == [("warning", "no-migration-version")]
    assert "config '7.3.1'" in findings[0].object


def test_validation_finds_each_problem(speed_layer: list[dict]) -> None:
    dashboard = next(o for o in speed_layer if o["type"] == "dashboard")
    broken = json.loads(json.dumps(dashboard))
    broken["references"] = [r for r in broken["references"] if r["name"] != "panel_3"]
    broken["references"].append({"name": "spare", "type": "visualization", "id": "nowhere"})
    lens = {
        "type": "lens",
        "id": "l1",
        "attributes": {"title": "Revenue"},
        "references": [],
        "typeMigrationVersion": "8.9.0",
    }
    bundle = [o for o in speed_layer if o is not dashboard] + [broken, lens, lens]
    codes = Counter(f.code for f in validate(bundle, target_version="7.9.0"))
    assert codes["dangling-ref-name"] == 1
    assert codes["missing-reference"] == 1
    assert codes["unused-reference"] == 1
    assert codes["duplicate-id"] == 1
    assert codes["type-too-new"] == 2
    assert codes["newer-than-target"] == 2
    messages = " ".join(str(f) for f in validate(bundle, target_version="7.9.0"))
    assert "'Account Overview'" in messages, "findings name the title"
    assert dashboard["id"] in messages, "and the id"


@needs_shared
def test_integration_package_dashboard() -> None:
    (dashboard,) = read_objects(SHARED / "integrations-nginx-dashboard.json")
    assert isinstance(dashboard["attributes"]["panelsJSON"], list), "decoded in the source"
    assert dashboard["coreMigrationVersion"] == "8.8.0"
    assert dashboard["typeMigrationVersion"] == "8.7.0"
    findings = validate([dashboard])
    assert {f.code for f in findings} == {"missing-reference"}
    assert len(findings) == 10
    assert all("'metrics-*'" in f.message for f in findings)
    assert validate([dashboard], external=[("index-pattern", "metrics-*")]) == []
    encoded = encode(dashboard)
    assert isinstance(encoded["attributes"]["panelsJSON"], str)
    assert isinstance(encoded["attributes"]["controlGroupInput"]["panelsJSON"], str)
    assert decode(encoded) == decode(dashboard)
    assert encoded["typeMigrationVersion"] == "8.7.0"


@needs_shared
def test_kbn_archiver_fixture_with_missing_references() -> None:
    (dashboard,) = read_objects(SHARED / "kbn-archiver-show-relationships.json")
    findings = validate([dashboard])
    missing = sorted(f.message for f in findings if f.code == "missing-reference")
    assert len(missing) == 2
    assert "visualization 'missing-vis-ref'" in missing[0]
    assert "dashboard 'missing-dashboard-ref'" in missing[1]
    assert decode(dashboard)["attributes"]["panelsJSON"] == []
    assert encode(decode(dashboard)) == dashboard
