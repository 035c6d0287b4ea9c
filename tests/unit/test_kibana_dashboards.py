from pathlib import Path

from workbench.kibana.builders import VIEWS, commerce_objects
from workbench.kibana.diff import diff
from workbench.kibana.files import write_tree
from workbench.kibana.model import decode, read_objects
from workbench.kibana.validate import validate
from workbench.schema.templates import domains

DASHBOARDS = Path(__file__).parents[2] / "dashboards"
VIEW_ENTITY = {
    "orders": "orders",
    "events": "events",
    "payments": "payments",
    "shipments": "shipments",
}


def flatten(props: dict, prefix: str = "") -> dict[str, str]:
    """{dotted field: type} of a mapping's properties."""
    out: dict[str, str] = {}
    for name, spec in props.items():
        if "properties" in spec:
            out.update(flatten(spec["properties"], f"{prefix}{name}."))
        else:
            out[f"{prefix}{name}"] = spec["type"]
    return out


def mapped_fields() -> dict[str, dict[str, str]]:
    """entity -> {dotted field: type}, from the index design (plus the common fields)."""
    common = {"@timestamp": "date", "storefront": "keyword"}
    return {
        entity: {**common, **flatten(domain.fields)}
        for entity, domain in domains({"type": "double"}).items()
    }


def test_committed_files_are_what_the_builders_make(tmp_path: Path) -> None:
    written = write_tree(commerce_objects(), tmp_path)
    committed = sorted(DASHBOARDS.rglob("*.json"))
    assert [p.relative_to(tmp_path) for p in written] == [
        p.relative_to(DASHBOARDS) for p in committed
    ], "run: workbench kibana dashboards"
    for new, old in zip(written, committed, strict=True):
        assert new.read_bytes() == old.read_bytes(), f"{old} is stale: workbench kibana dashboards"
    assert diff(read_objects(DASHBOARDS), commerce_objects()) == []


def test_dashboards_validate_cleanly() -> None:
    objects = read_objects(DASHBOARDS)
    assert validate(objects, target_version="9.5.3") == []
    titles = {decode(o)["attributes"]["title"] for o in objects if o["type"] == "dashboard"}
    assert titles == {"Commerce operations", "Commerce business"}


def test_every_panel_uses_fields_the_index_design_maps() -> None:
    fields = mapped_fields()
    by_view = {v.id: VIEW_ENTITY[k] for k, v in VIEWS.items()}
    panels = 0
    for obj in commerce_objects():
        if obj["type"] != "dashboard":
            continue
        for panel in obj["attributes"]["panelsJSON"]:
            attributes = panel["embeddableConfig"]["attributes"]
            (ref,) = attributes["references"]
            entity = by_view[ref["id"]]
            (layer,) = attributes["state"]["datasourceStates"]["formBased"]["layers"].values()
            for column in layer["columns"].values():
                field = column["sourceField"]
                if field == "___records___":
                    continue
                assert field in fields[entity], f"{panel['title']}: {entity} has no {field}"
                kind = fields[entity][field]
                operation = column["operationType"]
                if operation == "terms":
                    assert kind == "keyword", (panel["title"], field, kind)
                elif operation in {"sum", "average"}:
                    assert kind in {"double", "float", "scaled_float", "integer"}, field
                elif operation == "date_histogram":
                    assert kind == "date"
            panels += 1
    assert panels == 9
