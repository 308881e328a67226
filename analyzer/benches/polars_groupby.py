"""The issue's polars anchor: scan_csv each *_timing.log with the columns' types given (ours), or
the original's format's named columns (legacy, END_ rows only), then group_by(operation) with
count, min, max, mean, median, sum, collected by the streaming engine. Prints one JSON line like
pandas_groupby.py: rows read and the per-operation aggregates."""

import glob
import json
import os
import sys

import polars as pl

OURS_SCHEMA = {
    "timestamp": pl.String, "operation": pl.String, "phase": pl.String, "duration_ms": pl.Float64,
    "details": pl.String, "component": pl.String, "thread": pl.Int64, "call_id": pl.UInt64,
    "parent_id": pl.UInt64, "self_ms": pl.Float64, "start_ns": pl.UInt64, "status": pl.String,
}
LEGACY_SCHEMA = {"timestamp": pl.String, "operation": pl.String, "phase": pl.String, "duration_ms": pl.Float64}
LEGACY_SCHEMA.update({f"d{i}": pl.String for i in range(6)})

AGGREGATES = [
    pl.col("duration_ms").count().alias("count"), pl.col("duration_ms").min().alias("min"),
    pl.col("duration_ms").max().alias("max"), pl.col("duration_ms").mean().alias("mean"),
    pl.col("duration_ms").median().alias("median"), pl.col("duration_ms").sum().alias("sum"),
    pl.len().alias("rows"),
]


def aggregate(path, legacy):
    if legacy:
        frame = pl.scan_csv(path, has_header=False, skip_rows=2, schema=LEGACY_SCHEMA,
                            truncate_ragged_lines=True, quote_char=None, missing_columns="insert")
    else:
        frame = pl.scan_csv(path, schema=OURS_SCHEMA)
    # One pass: every row's operation is a group (START_ and END_ ones apart in the original's
    # format), so the row count comes from the same scan.
    table = frame.group_by("operation").agg(AGGREGATES).collect(engine="streaming")
    rows = int(table["rows"].sum())
    keys = ["count", "min", "max", "mean", "median", "sum"]
    operations = {}
    for row in table.iter_rows(named=True):
        name = row["operation"]
        if legacy:
            if not (name or "").startswith("END_"):
                continue
            name = name[4:]
        operations[name] = {k: float(row[k]) for k in keys}
    return rows, operations


def main():
    log_dir, legacy = sys.argv[1], sys.argv[2] == "legacy"
    rows = 0
    result = {}
    for path in sorted(glob.glob(os.path.join(log_dir, "*_timing.log"))):
        read_rows, operations = aggregate(path, legacy)
        rows += read_rows
        result[os.path.basename(path)[: -len("_timing.log")]] = operations
    print(json.dumps({"rows": rows, "operations": result}))


main()
