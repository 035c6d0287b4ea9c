"""Slow-log parsing speed against json.loads per line into pandas, in the same run.

    python benchmarks/slowlog.py [--megabytes 40]

Both read the same slow-log file of ECS JSON lines (copies of real 9.5.3 slow-log lines,
with varied values; the file is read once first so both read it from the page cache): the
baseline builds a DataFrame of every field with the standard library's json, line by
line; the parser builds its typed frame (index, shard, took, hits, unescaped source, …).
The parser runs twice: with Arrow's thread pool (the default) and on one thread.
Target: >= 3x.
"""

from __future__ import annotations

import argparse
import json
import re
import tempfile
import time
from pathlib import Path

import pandas as pd
import pyarrow as pa

from workbench.ops.slowlog import parse_files

SAMPLE = Path(__file__).parents[1] / "tests" / "data" / "slowlog" / "ecs-9.5.3.json"


def corpus(megabytes: float) -> list[bytes]:
    """Copies of the real lines, byte for byte but for the took and the index name."""
    samples = SAMPLE.read_bytes().splitlines()
    lines, size, i = [], 0, 0
    while size < megabytes * 2**20:
        line = re.sub(rb'(took_millis":"?)\d+', rb"\g<1>%d" % (i % 997), samples[i % len(samples)])
        line = re.sub(
            rb"commerce-events-2026\.10\.\d\d", b"commerce-events-2026.10.%02d" % (i % 28 + 1), line
        )
        lines.append(line)
        size += len(line) + 1
        i += 1
    return lines


def best_of(runs: int, work) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        work()
        times.append(time.perf_counter() - began)
    return min(times)


def baseline(path: Path) -> pd.DataFrame:
    with path.open("rb") as fh:
        return pd.DataFrame([json.loads(line) for line in fh])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=float, default=40)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "commerce_index_search_slowlog.json"
        lines = corpus(args.megabytes)
        path.write_bytes(b"\n".join(lines) + b"\n")
        mb = path.stat().st_size / 2**20
        expected = baseline(path)
        parsed = parse_files([path])
        assert (parsed.lines, parsed.malformed) == (len(lines), 0)
        assert list(parsed.frame["took_ms"]) == list(expected["elasticsearch.slowlog.took_millis"])
        base = best_of(3, lambda: baseline(path))
        threads = best_of(3, lambda: parse_files([path]))
        cpus = pa.cpu_count()
        pa.set_cpu_count(1)
        one = best_of(3, lambda: parse_files([path]))
        pa.set_cpu_count(cpus)
    print(f"{len(lines):,} lines, {mb:.1f} MB, {cpus} CPUs for Arrow")
    print(f"json.loads + DataFrame      {mb / base:8.1f} MB/s")
    print(f"workbench parser            {mb / threads:8.1f} MB/s  {base / threads:.2f}x")
    print(f"workbench parser, 1 thread  {mb / one:8.1f} MB/s  {base / one:.2f}x")
    print(f"ratio: {base / threads:.2f}x ({base / one:.2f}x on one thread; target >= 3x)")


if __name__ == "__main__":
    main()
