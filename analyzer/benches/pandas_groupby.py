"""What the original analyzer does with pandas: read each *_timing.log, keep the END rows
(legacy) or all rows (ours), group by operation: count, min, max, mean, median, sum.
Prints one JSON line: rows read and the per-operation aggregates."""

import glob
import json
import os
import sys

import pandas as pd

LEGACY_NAMES = ["timestamp", "operation", "phase", "duration_ms", "d0", "d1", "d2", "d3", "d4", "d5"]


def read(path, legacy):
    if legacy:
        # The banner, then a 5-column header, then rows whose details hold unquoted commas:
        # name enough columns for them, as read_csv otherwise shifts every column.
        frame = pd.read_csv(path, header=None, skiprows=2, names=LEGACY_NAMES)
        rows = len(frame)
        frame = frame[frame["operation"].str.startswith("END_", na=False)]
        frame = frame.assign(operation=frame["operation"].str.slice(4))
        return rows, frame
    frame = pd.read_csv(path)
    return len(frame), frame


def main():
    log_dir, legacy = sys.argv[1], sys.argv[2] == "legacy"
    rows = 0
    result = {}
    for path in sorted(glob.glob(os.path.join(log_dir, "*_timing.log"))):
        read_rows, frame = read(path, legacy)
        rows += read_rows
        stem = os.path.basename(path)[: -len("_timing.log")]
        stats = frame.groupby("operation")["duration_ms"].agg(["count", "min", "max", "mean", "median", "sum"])
        result[stem] = {op: {k: float(v) for k, v in row.items()} for op, row in stats.iterrows()}
    print(json.dumps({"rows": rows, "operations": result}))


main()
