"""Slow-log parsing speed against json.loads per line into pandas, in the same run.

    python benchmarks/slowlog.py [--megabytes 40]

Both read the same ECS JSON lines (copies of real 9.5.3 slow-log lines, with varied
values) from memory; the baseline builds a DataFrame of every field with the standard
library's json, the parser builds its typed frame (index, shard, took, hits, source, …).
Target: >= 3x.
"""

from __future__ import annotations

import argparse
import json
import re
import time
from pathlib import Path

import pandas as pd

from workbench.ops.slowlog import parse_lines

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=float, default=40)
    args = parser.parse_args()
    lines = corpus(args.megabytes)
    mb = sum(len(line) + 1 for line in lines) / 2**20
    baseline = best_of(3, lambda: pd.DataFrame([json.loads(line) for line in lines]))
    ours = best_of(3, lambda: parse_lines(lines))
    assert len(parse_lines(lines[:1000]).frame) == 1000
    print(f"{len(lines):,} lines, {mb:.1f} MB")
    print(f"json.loads + DataFrame  {mb / baseline:8.1f} MB/s")
    print(f"workbench parser        {mb / ours:8.1f} MB/s")
    print(f"ratio: {baseline / ours:.2f}x (target >= 3x)")


if __name__ == "__main__":
    main()
