import json
from pathlib import Path

import pandas as pd

from workbench.ops.slowlog import (
    by_fingerprint,
    findings,
    fingerprint,
    parse_files,
    parse_lines,
    source_text,
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
    assert source_text(ecs["source"]).startswith('{"size":0')
    assert json.loads(source_text(ecs["source"]))["aggregations"]
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
    seven = frame.iloc[4]
    assert (seven["kind"], seven["shard"], seven["took_ms"], seven["node"]) == (
        "fetch",
        1,
        7,
        "node-2",
    )


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


def test_string_values_end_at_an_unescaped_quote() -> None:
    line = (
        b'{"elasticsearch.slowlog.message":"[i][2]","elasticsearch.slowlog.took_millis":"3",'
        b'"elasticsearch.slowlog.source":"{\\\\\\"q\\\\\\":\\\\\\"a\\\\\\\\\\\\\\"}",'
        b'"log.logger":"index.search.slowlog.query"}'
    )
    (row,) = parse_lines([line]).frame.to_dict("records")
    assert (row["index"], row["shard"], row["took_ms"], row["kind"]) == ("i", 2, 3, "query")
    assert source_text(row["source"]).startswith('{"q":"a')


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
