"""Every active run of an experiment read straight from the embedded MLflow SQLite store, in four queries.

MLflow's own search builds ORM objects run by run: 500 runs took 11 s against 0.3 s for these queries on the
same (loaded) machine. The rows are MLflow's tables as its SQLAlchemy store writes them (runs, tags, params,
latest_metrics) and come back as light objects with the fields core.tracking.records.run_record reads
(info.run_id, run_name, status, start_time, end_time, artifact_uri; data.tags, params, metrics), newest first
as Tracker._search orders them. Anything unexpected (another schema, a locked or missing file) gives None and
the caller searches through MLflow instead. Imports neither MLflow nor pandas.
"""

from __future__ import annotations

import math
import sqlite3
from dataclasses import dataclass, field


@dataclass
class RunInfo:
    run_id: str
    run_name: str
    status: str
    start_time: int | None
    end_time: int | None
    artifact_uri: str
    lifecycle_stage: str = "active"


@dataclass
class RunData:
    tags: dict[str, str] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)


@dataclass
class StoredRun:
    info: RunInfo
    data: RunData


ACTIVE = "FROM runs r WHERE r.experiment_id = ? AND r.lifecycle_stage = 'active'"


def sqlite_path(tracking_uri: str) -> str | None:
    if not tracking_uri.startswith("sqlite:///"):
        return None
    path = tracking_uri[len("sqlite:///"):]
    return None if not path or path == ":memory:" else path


def read_runs(tracking_uri: str, experiment_id: str) -> list[StoredRun] | None:
    """The experiment's active runs, newest first (start time, then run id), or None where this cannot read them."""
    path = sqlite_path(tracking_uri)
    if path is None:
        return None
    try:
        experiment = int(experiment_id)
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
        try:
            connection.execute("BEGIN")  # one snapshot for the four queries
            rows = connection.execute(
                f"SELECT r.run_uuid, r.name, r.status, r.start_time, r.end_time, r.artifact_uri {ACTIVE} "
                "ORDER BY r.start_time DESC, r.run_uuid", (experiment,)).fetchall()
            runs = {run_id: StoredRun(RunInfo(run_id, name or "", status or "", start, end, uri or ""), RunData())
                    for run_id, name, status, start, end, uri in rows}
            for run_id, key, value in connection.execute(
                    f"SELECT run_uuid, key, value FROM tags WHERE run_uuid IN (SELECT r.run_uuid {ACTIVE})",
                    (experiment,)):
                runs[run_id].data.tags[key] = value if value is not None else ""
            for run_id, key, value in connection.execute(
                    f"SELECT run_uuid, key, value FROM params WHERE run_uuid IN (SELECT r.run_uuid {ACTIVE})",
                    (experiment,)):
                runs[run_id].data.params[key] = value if value is not None else ""
            for run_id, key, value, is_nan in connection.execute(
                    "SELECT run_uuid, key, value, is_nan FROM latest_metrics WHERE run_uuid IN "
                    f"(SELECT r.run_uuid {ACTIVE})", (experiment,)):
                runs[run_id].data.metrics[key] = math.nan if is_nan else float(value)
            connection.rollback()
            for run in runs.values():  # as MLflow's own entity does for runs created without a name
                run.info.run_name = run.info.run_name or run.data.tags.get("mlflow.runName", "")
        finally:
            connection.close()
    except (sqlite3.Error, ValueError, TypeError, KeyError):
        return None
    return list(runs.values())
