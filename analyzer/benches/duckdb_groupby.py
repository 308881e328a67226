"""The issue's DuckDB anchor: read each *_timing.log with read_csv and the columns' types given
(ours), or the original's format's five named columns (legacy, END_ rows only), then one
GROUP BY operation with count, min, max, avg, median, sum. Prints one JSON line like
pandas_groupby.py: rows read and the per-operation aggregates."""

import glob
import json
import os
import sys

import duckdb

OURS_COLUMNS = {
    "timestamp": "VARCHAR", "operation": "VARCHAR", "phase": "VARCHAR", "duration_ms": "DOUBLE",
    "details": "VARCHAR", "component": "VARCHAR", "thread": "BIGINT", "call_id": "UBIGINT",
    "parent_id": "UBIGINT", "self_ms": "DOUBLE", "start_ns": "UBIGINT", "status": "VARCHAR",
}
# The original's rows hold unquoted commas in their details: name enough columns for them.
LEGACY_COLUMNS = {"timestamp": "VARCHAR", "operation": "VARCHAR", "phase": "VARCHAR", "duration_ms": "DOUBLE"}
LEGACY_COLUMNS.update({f"d{i}": "VARCHAR" for i in range(6)})


def aggregate(connection, path, legacy):
    if legacy:
        source = (f"read_csv('{path}', header=false, skip=2, columns={LEGACY_COLUMNS!r}, "
                  "null_padding=true, quote='', escape='', delim=',', auto_detect=false, strict_mode=false)")
    else:
        source = f"read_csv('{path}', header=true, columns={OURS_COLUMNS!r})"
    # One pass: every row's operation is a group (START_ and END_ ones apart in the original's
    # format), so the row count comes from the same scan.
    query = (f"SELECT operation, count(duration_ms), min(duration_ms), max(duration_ms), avg(duration_ms), "
             f"median(duration_ms), sum(duration_ms), count(*) FROM {source} GROUP BY operation")
    result = connection.execute(query).fetchall()
    rows = sum(row[7] for row in result)
    if legacy:
        result = [(row[0][4:],) + row[1:] for row in result if row[0] and row[0].startswith("END_")]
    keys = ["count", "min", "max", "mean", "median", "sum"]
    return rows, {row[0]: {k: float(v) for k, v in zip(keys, row[1:7])} for row in result}


def main():
    log_dir, legacy = sys.argv[1], sys.argv[2] == "legacy"
    connection = duckdb.connect()
    rows = 0
    result = {}
    for path in sorted(glob.glob(os.path.join(log_dir, "*_timing.log"))):
        read_rows, operations = aggregate(connection, path, legacy)
        rows += read_rows
        result[os.path.basename(path)[: -len("_timing.log")]] = operations
    print(json.dumps({"rows": rows, "operations": result}))


main()
