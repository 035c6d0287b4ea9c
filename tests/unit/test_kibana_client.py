"""The Kibana client against the documented HTTP contract (exact requests and responses)."""

import json
from pathlib import Path

import httpx
import pytest
import respx

from workbench.config import Credentials, Secret, Settings
from workbench.errors import ConfigError
from workbench.kibana.client import KibanaClient, KibanaError
from workbench.kibana.model import read_objects

URL = "http://kibana.test:5601"
API_KEY = "VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw=="
OBJECTS = read_objects(
    Path(__file__).parents[1] / "data" / "kibana" / "speed-layer-7.3-export.ndjson"
)


def client(space: str | None = None, auth: Credentials | None = None) -> KibanaClient:
    return KibanaClient(URL, auth or Credentials(api_key=Secret(API_KEY)), space=space, backoff=0.0)


def multipart_part(request: httpx.Request, name: str) -> bytes:
    """The raw content of one form-data part."""
    boundary = request.headers["content-type"].split("boundary=")[1].encode()
    for part in request.content.split(b"--" + boundary):
        head, _, body = part.partition(b"\r\n\r\n")
        if f'name="{name}"'.encode() in head:
            return body.rstrip(b"\r\n")
    raise AssertionError(f"no form part {name!r}")


@respx.mock
def test_headers_and_both_auth_modes() -> None:
    route = respx.get(f"{URL}/api/status").respond(
        200, json={"version": {"number": "9.5.3"}, "status": {"overall": {"level": "available"}}}
    )
    assert client().version() == "9.5.3"
    sent = route.calls.last.request
    assert sent.headers["kbn-xsrf"] == "true"
    assert sent.headers["elastic-api-version"] == "2023-10-31"
    assert sent.headers["authorization"] == f"ApiKey {API_KEY}"
    basic = Credentials(username="elastic", password=Secret("changeme-123"))
    client(auth=basic).status()
    assert route.calls.last.request.headers["authorization"] == "Basic ZWxhc3RpYzpjaGFuZ2VtZS0xMjM="
    client(auth=Credentials()).status()
    assert "authorization" not in route.calls.last.request.headers


@respx.mock
def test_spaces_prefix_every_saved_objects_path_but_not_status() -> None:
    export = respx.post(f"{URL}/s/marketing/api/saved_objects/_export").respond(200, text="")
    status = respx.get(f"{URL}/api/status").respond(200, json={"version": {"number": "9.5.3"}})
    kibana = client(space="marketing")
    assert kibana.export(types=["dashboard"]) == []
    kibana.status()
    assert export.called
    assert status.called


@respx.mock
def test_export_by_type_and_by_object() -> None:
    ndjson = (
        "\n".join(json.dumps(o) for o in OBJECTS)
        + "\n"
        + json.dumps({"exportedCount": 11, "missingRefCount": 0, "missingReferences": []})
    )
    route = respx.post(f"{URL}/api/saved_objects/_export").respond(
        200, text=ndjson, headers={"content-type": "application/ndjson"}
    )
    assert client().export(types=["dashboard", "visualization"]) == OBJECTS
    body = json.loads(route.calls.last.request.content)
    assert body == {
        "type": ["dashboard", "visualization"],
        "includeReferencesDeep": False,
        "excludeExportDetails": True,
    }
    client().export(objects=[("dashboard", "d1")], include_references_deep=True)
    body = json.loads(route.calls.last.request.content)
    assert body["objects"] == [{"type": "dashboard", "id": "d1"}]
    assert body["includeReferencesDeep"] is True
    with pytest.raises(ValueError, match="either types or objects"):
        client().export()


@respx.mock
def test_import_sends_the_bundle_as_multipart_file_with_flags() -> None:
    route = respx.post(f"{URL}/api/saved_objects/_import").respond(
        200,
        json={
            "success": True,
            "successCount": 11,
            "successResults": [
                {"type": o["type"], "id": o["id"], "meta": {"title": "x"}} for o in OBJECTS
            ],
        },
    )
    result = client().import_objects(OBJECTS, overwrite=True)
    request = route.calls.last.request
    assert request.url.params["overwrite"] == "true"
    assert "createNewCopies" not in request.url.params
    assert request.headers["content-type"].startswith("multipart/form-data")
    file = multipart_part(request, "file")
    assert len(file.decode().splitlines()) == 11
    assert result.success
    assert result.success_count == 11
    client().import_objects(OBJECTS, create_new_copies=True)
    assert route.calls.last.request.url.params["createNewCopies"] == "true"
    client().import_objects(OBJECTS, compatibility_mode=True)
    assert route.calls.last.request.url.params["compatibilityMode"] == "true"
    with pytest.raises(ValueError, match="cannot be combined"):
        client().import_objects(OBJECTS, create_new_copies=True, overwrite=True)
    with pytest.raises(ValueError, match="cannot be combined"):
        client().import_objects(OBJECTS, create_new_copies=True, compatibility_mode=True)


@respx.mock
def test_import_reads_every_error_shape_even_with_http_200() -> None:
    errors = [
        {
            "id": "a",
            "type": "dashboard",
            "title": "A",
            "meta": {"title": "A"},
            "error": {"type": "conflict"},
        },
        {
            "id": "b",
            "type": "visualization",
            "meta": {"title": "B"},
            "error": {
                "type": "ambiguous_conflict",
                "destinations": [
                    {"id": "b1", "title": "B", "updatedAt": "2026-01-01"},
                    {"id": "b2", "title": "B", "updatedAt": "2026-01-02"},
                ],
            },
        },
        {
            "id": "c",
            "type": "search",
            "title": "C",
            "error": {
                "type": "missing_references",
                "references": [{"type": "index-pattern", "id": "logs-*"}],
            },
        },
        {"id": "d", "type": "canvas-workpad", "title": "D", "error": {"type": "unsupported_type"}},
        {
            "id": "e",
            "type": "lens",
            "title": "E",
            "error": {"type": "unknown", "message": "boom", "statusCode": 500},
        },
    ]
    respx.post(f"{URL}/api/saved_objects/_import").respond(
        200, json={"success": False, "successCount": 6, "errors": errors}
    )
    result = client().import_objects(OBJECTS)
    assert result.success is False
    assert result.success_count == 6
    assert [p.kind for p in result.problems] == [
        "conflict",
        "ambiguous_conflict",
        "missing_references",
        "unsupported_type",
        "unknown",
    ]
    assert str(result.of_kind("missing_references")[0]) == (
        "search 'C' (c): missing_references: needs index-pattern logs-*"
    )
    assert "2 possible destinations" in str(result.of_kind("ambiguous_conflict")[0])
    assert result.problems[1].title == "B", "the title falls back to meta.title"
    assert str(result.of_kind("unknown")[0]).endswith("boom")


@respx.mock
def test_resolve_import_errors_sends_retries() -> None:
    route = respx.post(f"{URL}/s/ops/api/saved_objects/_resolve_import_errors").respond(
        200, json={"success": True, "successCount": 2}
    )
    retries = [
        {"type": "dashboard", "id": "a", "overwrite": True},
        {"type": "visualization", "id": "b", "destinationId": "b2", "createNewCopy": False},
        {
            "type": "search",
            "id": "c",
            "ignoreMissingReferences": True,
            "replaceReferences": [{"type": "index-pattern", "from": "logs-*", "to": "abc"}],
        },
    ]
    result = client(space="ops").resolve_import_errors(OBJECTS, retries, compatibility_mode=True)
    request = route.calls.last.request
    assert json.loads(multipart_part(request, "retries")) == retries
    assert len(multipart_part(request, "file").splitlines()) == 11
    assert request.url.params["compatibilityMode"] == "true"
    assert result.success


@respx.mock
def test_find_pages_through_everything() -> None:
    pages = {
        "1": {"page": 1, "per_page": 2, "total": 5, "saved_objects": OBJECTS[0:2]},
        "2": {"page": 2, "per_page": 2, "total": 5, "saved_objects": OBJECTS[2:4]},
        "3": {"page": 3, "per_page": 2, "total": 5, "saved_objects": OBJECTS[4:5]},
    }
    route = respx.get(f"{URL}/api/saved_objects/_find").mock(
        side_effect=lambda request: httpx.Response(200, json=pages[request.url.params["page"]])
    )
    found = list(client().find(["dashboard", "search"], search="Account*", per_page=2))
    assert found == OBJECTS[:5]
    assert route.call_count == 3
    params = route.calls.last.request.url.params
    assert params.get_list("type") == ["dashboard", "search"]
    assert params["search"] == "Account*"


@respx.mock
def test_bulk_get_tells_what_exists() -> None:
    route = respx.post(f"{URL}/api/saved_objects/_bulk_get").respond(
        200,
        json={
            "saved_objects": [
                {"type": "dashboard", "id": "a", "attributes": {"title": "A"}},
                {
                    "type": "dashboard",
                    "id": "b",
                    "error": {"statusCode": 404, "message": "Not found"},
                },
            ]
        },
    )
    found = client().existing([("dashboard", "a"), ("dashboard", "b")])
    assert list(found) == [("dashboard", "a")]
    assert json.loads(route.calls.last.request.content) == [
        {"type": "dashboard", "id": "a"},
        {"type": "dashboard", "id": "b"},
    ]
    assert client().existing([]) == {}


@respx.mock
def test_retries_then_errors_that_say_what_to_do() -> None:
    route = respx.get(f"{URL}/api/status").mock(
        side_effect=[
            httpx.Response(503),
            httpx.Response(429, headers={"retry-after": "0"}),
            httpx.Response(200, json={"version": {"number": "9.5.3"}}),
        ]
    )
    assert client().version() == "9.5.3"
    assert route.call_count == 3
    respx.post(f"{URL}/api/saved_objects/_export").respond(
        401, json={"statusCode": 401, "error": "Unauthorized", "message": "unable to authenticate"}
    )
    with pytest.raises(KibanaError, match="KIBANA_API_KEY"):
        client().export(types=["dashboard"])
    respx.post(f"{URL}/s/nowhere/api/saved_objects/_export").respond(
        404, json={"statusCode": 404, "message": "Not Found"}
    )
    with pytest.raises(KibanaError, match="KIBANA_SPACE='nowhere'"):
        client(space="nowhere").export(types=["dashboard"])
    respx.get(f"{URL}/api/saved_objects/_find").mock(side_effect=httpx.ConnectError("refused"))
    with pytest.raises(KibanaError, match="cannot reach Kibana"):
        list(client().find(["dashboard"]))


def test_settings_build_the_client(tmp_path: Path) -> None:
    with pytest.raises(KibanaError, match="KIBANA_URL is not set"):
        KibanaClient.from_settings(Settings.from_env({}))
    with pytest.raises(ConfigError, match="KIBANA_CA_CERTS"):
        Settings.from_env({"KIBANA_URL": URL, "KIBANA_CA_CERTS": str(tmp_path / "absent.pem")})
    settings = Settings.from_env(
        {
            "KIBANA_URL": URL,
            "KIBANA_SPACE": "ops",
            "KIBANA_USERNAME": "u",
            "KIBANA_PASSWORD": "p-12345678",
        }
    )
    kibana = KibanaClient.from_settings(settings)
    assert kibana.path("/api/saved_objects/_find") == "/s/ops/api/saved_objects/_find"
    assert API_KEY not in repr(kibana.__dict__)
