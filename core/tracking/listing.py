"""Tracker.list_runs' table: one row per run (ids, names, device, status, start, duration, final metrics, params).

Built from RunRecords (core.tracking.records), so it needs no MLflow; pandas is imported when a table is built.
"""

from __future__ import annotations

from typing import Any

BASE_COLUMNS = ["run_id", "run_name", "use_case", "dataset", "source_kind", "source_name", "dataset_rows", "model",
                "device", "status", "started", "duration_s", "user", "fingerprint"]


def runs_frame(records: list, use_case: str | None = None, curve_points: bool = False):
    """The records of `use_case` (all when None) as a DataFrame in their order; learning-curve points (a share of
    the training split) only with `curve_points`."""
    import pandas as pd

    records = [record for record in records if (not use_case or record.use_case == str(use_case).replace("'", ""))
               and (curve_points or record.train_fraction >= 1.0)]
    metric_names = sorted({key for record in records for key in record.metrics})
    reserved = set(BASE_COLUMNS) | set(metric_names)
    rows = []
    param_names: set[str] = set()
    for record in records:
        row: dict[str, Any] = {name: getattr(record, name) for name in BASE_COLUMNS}
        row.update(record.metrics)
        for key, value in record.params.items():
            if key in BASE_COLUMNS and str(row.get(key)) == value:
                continue  # use_case / dataset / model repeated as params
            column = f"param_{key}" if key in reserved else key
            row[column] = value
            param_names.add(column)
        rows.append(row)
    columns = BASE_COLUMNS + metric_names + sorted(param_names)
    frame = pd.DataFrame(rows, columns=columns)
    frame["started"] = pd.to_datetime(frame["started"])
    frame["duration_s"] = pd.to_numeric(frame["duration_s"], errors="coerce")
    frame["dataset_rows"] = pd.to_numeric(frame["dataset_rows"], errors="coerce")
    for name in param_names:
        if name in frame.columns:
            converted = pd.to_numeric(frame[name], errors="coerce")
            if converted.notna().sum() == frame[name].notna().sum():
                frame[name] = converted
    return frame
