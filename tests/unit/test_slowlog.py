import json
import re
from pathlib import Path

import pandas as pd

from workbench.ops.slowlog import (
    by_fingerprint,
    findings,
    fingerprint,
    parse_files,
    parse_lines,
    query_text,
    unescape,
)

ECS = Path(__file__).parents[1] / "data" / "slowlog" / "ecs-9.5.3.json"
PLAIN_7X = (
    "[2021-03-02T10:14:11,745][WARN ][i.s.s.query              ] [node-1] "
    "[commerce-orders-2021.03][0] took[39.8ms], took_millis[39], total_hits[12 hits], types[], "
    "stats[], search_type[QUERY_THEN_FETCH], total_shards[3], "
    'source[{"query":{"term":{"sku":{"value":"A-1"}}}}], id[], '
)
JSON_7X = (
    '{"type": "index_search_slowlog", "timestamp": "2021-03-02T10:14:12,001Z", "level": "WARN",'
    ' "component": "i.s.s.fetch", "cluster.name": "prod", "node.name": "node-2", '
    '"message": "[commerce-orders-2021.03][1]", "took": "7.1ms", "took_millis": "7", '
    '"total_hits": "12 hits", "stats": "[]", "search_type": "QUERY_THEN_FETCH", '
    '"total_shards": "3", '
    '"source": "{\\"query\\":{\\"term\\":{\\"sku\\":{\\"value\\":\\"B-2\\"}}}}", "id": ""}'
)


def test_every_format_parses_and_bad_lines_are_counted() -> None:
    lines = [
        *ECS.read_text().splitlines(),
        PLAIN_7X,
        JSON_7X,
        "garbage",
        '{"half": ',
        "",
        '{"type": "server", "message": "started"}',
    ]
    parsed = parse_lines(lines)
    assert parsed.lines == 8
    assert parsed.malformed == 3
    assert parsed.examples[0] == "garbage"
    frame = parsed.frame
    assert len(frame) == 5
    ecs = frame.iloc[0]
    assert ecs["index"].startswith("commerce-events-")
    assert ecs["shard"] == 0
    assert ecs["kind"] in {"query", "fetch"}
    assert ecs["format"] == "ecs"
    assert ecs["source"].startswith('{\\"size\\":0'), "kept as the log wrote it"
    assert json.loads(query_text(frame)[0])["aggregations"]
    plain = frame.iloc[3]
    assert (plain["kind"], plain["index"], plain["shard"], plain["took_ms"]) == (
        "query",
        "commerce-orders-2021.03",
        0,
        39,
    )
    assert plain["total_hits"] == 12
    assert plain["total_shards"] == 3
    assert plain["source"] == '{"query":{"term":{"sku":{"value":"A-1"}}}}'
    assert list(frame["format"]) == ["ecs", "ecs", "ecs", "7.x text", "7.x json"]
    assert json.loads(query_text(frame)[4]) == {"query": {"term": {"sku": {"value": "B-2"}}}}
    seven = frame.iloc[4]
    assert (seven["kind"], seven["shard"], seven["took_ms"], seven["node"]) == (
        "fetch",
        1,
        7,
        "node-2",
    )


def test_the_documented_ecs_layout_with_a_plain_source() -> None:
    """Elastic's reference shows a search slow-log event (keys as there, values ours)
    whose source is plain JSON, not escaped once more as the 9.5.3 node writes it."""
    query = {"query": {"term": {"note": 'say "hi"'}}}
    record = {
        "@timestamp": "2026-11-02T08:15:00.120Z",
        "auth.type": "REALM",
        "ecs.version": "1.2.0",
        "elasticsearch.cluster.name": "shop-prod",
        "elasticsearch.node.name": "es-hot-1",
        "elasticsearch.slowlog.id": "checkout-api",
        "elasticsearch.slowlog.message": "[commerce-orders-2026.11][3]",
        "elasticsearch.slowlog.search_type": "QUERY_THEN_FETCH",
        "elasticsearch.slowlog.source": json.dumps(query),
        "elasticsearch.slowlog.stats": "[]",
        "elasticsearch.slowlog.took": "1.2s",
        "elasticsearch.slowlog.took_millis": 1200,
        "elasticsearch.slowlog.total_hits": "7 hits",
        "elasticsearch.slowlog.total_shards": 6,
        "event.dataset": "elasticsearch.index_search_slowlog",
        "log.level": "WARN",
        "log.logger": "index.search.slowlog.query",
    }
    frame = parse_lines([json.dumps(record)] * 2).frame
    row = frame.iloc[0]
    assert (row["index"], row["shard"], row["took_ms"], row["total_hits"]) == (
        "commerce-orders-2026.11",
        3,
        1200,
        7,
    )
    assert (row["node"], row["kind"], row["format"]) == ("es-hot-1", "query", "ecs")
    assert json.loads(query_text(frame)[0]) == query, "a plain source is left as it is"


def test_fingerprints_ignore_literal_values_but_keep_structure() -> None:
    a, _ = fingerprint('{"query":{"term":{"sku":{"value":"A-1"}}},"size":10}')
    b, text = fingerprint('{"size":99,"query":{"term":{"sku":{"value":"B-2"}}}}')
    c, _ = fingerprint('{"query":{"term":{"order_id":{"value":"A-1"}}},"size":10}')
    assert a == b
    assert a != c, "a different field is a different pattern"
    assert '"?"' in text
    assert "B-2" not in text
    _, agg = fingerprint(
        '{"aggs":{"d":{"date_histogram":{"field":"@timestamp","calendar_interval":"day"}}}}'
    )
    assert '"field":"@timestamp"' in agg
    assert '"calendar_interval":"day"' in agg
    terms_a, _ = fingerprint('{"query":{"terms":{"sku":["A","B","C"]}}}')
    terms_b, _ = fingerprint('{"query":{"terms":{"sku":["D"]}}}')
    assert terms_a == terms_b


def test_ecs_sources_are_unescaped_exactly() -> None:
    query = {"query": {"term": {"q": 'a"b\\c'}}}
    inner = json.dumps(json.dumps(query))[1:-1]  # ES escapes the source, then the layout
    record = {
        "elasticsearch.slowlog.message": "[i][2]",
        "elasticsearch.slowlog.took_millis": "3",
        "elasticsearch.slowlog.source": inner,
        "log.logger": "index.search.slowlog.query",
    }
    assert unescape(inner) == json.dumps(query)
    for lines in ([json.dumps(record)], [json.dumps(record), "not json"]):
        row = parse_lines(lines).frame.iloc[0]
        assert (row["index"], row["shard"], row["took_ms"], row["kind"]) == ("i", 2, 3, "query")
        assert json.loads(unescape(row["source"])) == query


def test_grouping_and_findings(tmp_path: Path) -> None:
    log = tmp_path / "slow.log"
    fast = [PLAIN_7X.replace("took_millis[39]", f"took_millis[{ms}]") for ms in range(1, 21)]
    slow = [
        PLAIN_7X.replace("took_millis[39]", f"took_millis[{ms}]").replace(
            '"term":{"sku"', '"wildcard":{"sku"'
        )
        for ms in (400, 500, 600)
    ]
    log.write_text("\n".join([*fast, *slow, "not a slow log line"]) + "\n")
    parsed = parse_files([log])
    table = by_fingerprint(parsed.frame)
    assert list(table["count"]) == [3, 20]
    assert table.iloc[0]["p95_ms"] == 590.0
    assert table.iloc[1]["p50_ms"] == 10.5
    found = findings(table, parsed, p95_threshold_ms=100)
    assert [f.severity for f in found] == ["error", "warning"]
    assert "wildcard" in found[0].message
    assert "1 of 24 lines" in found[1].message
    offset_only = parse_files([log], {log: log.stat().st_size})
    assert offset_only.lines == 0
    assert by_fingerprint(pd.DataFrame(columns=parsed.frame.columns)).empty


def test_block_reader_and_line_reader_agree(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Arrow's reader (whole blocks) and the line reader (a block with a bad line) give the
    same rows in the same order, across file windows and blocks cut between any lines."""
    from workbench.ops import slowlog

    ecs = ECS.read_text().splitlines()
    lines = [re.sub(r'took_millis":\d+', f'took_millis":{i}', ecs[i % 3]) for i in range(60)]
    fast = parse_lines(lines)
    assert (fast.lines, fast.malformed, list(fast.frame["took_ms"])) == (60, 0, list(range(60)))
    slow = parse_lines([*lines[:30], "{broken", "", *lines[30:]])
    assert (slow.lines, slow.malformed, slow.examples) == (61, 1, ["{broken"])
    pd.testing.assert_frame_equal(slow.frame, fast.frame)
    log = tmp_path / "search_slowlog.json"
    log.write_text("\n".join([*lines[:45], "{broken", *lines[45:]]))  # no final newline
    monkeypatch.setattr(slowlog, "_WINDOW", 5000)
    monkeypatch.setattr(slowlog, "_BLOCK", 3000)
    windowed = parse_files([log])
    assert (windowed.lines, windowed.malformed) == (61, 1)
    pd.testing.assert_frame_equal(windowed.frame, fast.frame)
