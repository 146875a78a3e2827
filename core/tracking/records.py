"""What the studio records about a run: the names of its `studio.*` tags and the typed RunRecord read back.

The tags are written by the tracker and the training pipeline and read in ONE place, `run_record`,
so callers use fields (record.status, record.fingerprint) instead of raw "studio.xxx" strings.
Importing this module imports neither MLflow nor pandas.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Mapping, Protocol

if TYPE_CHECKING:
    from core.data.dataset import Dataset

TAG_USE_CASE = "studio.use_case"
TAG_DATASET = "studio.dataset"
TAG_DATASET_TITLE = "studio.dataset_title"
TAG_MODEL = "studio.model"
TAG_STATUS = "studio.status"
TAG_DEVICE = "studio.device"
TAG_DEVICE_KIND = "studio.device_kind"  # GPU | CPU
TAG_MIXED_PRECISION = "studio.mixed_precision"  # "True" | "False"
TAG_ERROR = "studio.error"
TAG_EPOCH_METRICS = "studio.epoch_metrics"
TAG_HOST = "studio.host"
TAG_PID = "studio.pid"
TAG_FINGERPRINT = "studio.dataset_fingerprint"
TAG_SOURCE_KIND = "studio.source_kind"  # bundled | online | uploaded
TAG_SOURCE_NAME = "studio.source_name"  # an upload's original file name ("german_credit.csv"); the stored copy is a hash
TAG_DATASET_ROWS = "studio.dataset_rows"  # examples in all splits (rows, images, texts, ratings)
TAG_TRAIN_FRACTION = "studio.train_fraction"  # a learning-curve run on a share (< 1) of the training split
TAG_USER = "studio.user"  # who started the run: the signed-in e-mail, or the OS user in single-user mode
TAG_EXECUTOR = "studio.executor"  # "ray" when a Ray worker trained it
TAG_WORKER = "studio.worker"  # which Ray worker
# Parameters each learning-curve point carries (Tracker.list_runs shows them as columns).
PARAM_CURVE = "curve_id"
PARAM_FRACTION = "curve_fraction"
PARAM_SPLIT = "curve_split"  # fingerprint of the full split the subsets were drawn from
PARAM_CURVE_SIZE = "curve_train_size"


@dataclass(frozen=True)
class RunRecord:
    """One tracked run as the studio reads it: its studio.* tags as fields, its params and final metrics.

    status is the studio's (completed, failed, cancelled, diverged, interrupted, running); metrics
    holds the final values only (per-epoch curves are named in `curves`, read them with Tracker.history).
    """

    run_id: str
    run_name: str = ""
    use_case: str = ""
    dataset: str = ""
    model: str = ""
    status: str = ""
    device: str = ""
    device_kind: str = ""
    mixed_precision: bool = False
    source_kind: str = ""
    source_name: str = ""
    dataset_title: str = ""
    dataset_rows: float = math.nan
    fingerprint: str = ""
    user: str = ""
    host: str = ""
    pid: str = ""
    error: str = ""
    executor: str = ""
    worker: str = ""
    params: Mapping[str, str] = field(default_factory=dict)
    metrics: Mapping[str, float] = field(default_factory=dict)
    curves: frozenset[str] = frozenset()
    started: datetime | None = None
    ended: datetime | None = None
    duration_s: float = math.nan
    mlflow_status: str = ""  # RUNNING | FINISHED | FAILED | KILLED
    train_fraction: float = 1.0  # share of the training split it trained on (< 1: a learning-curve point)

    @property
    def completed(self) -> bool:
        return self.status == "completed"

    @property
    def seed(self) -> int:
        """The seed its data split and weights used (0 when not recorded)."""
        try:
            return int(self.params.get("seed", 0))
        except (TypeError, ValueError):
            return 0

    @property
    def model_kind(self) -> str:
        """keras | sklearn, as the run logged it (an imported model is Keras)."""
        return str(self.params.get("model_kind", "keras"))


def epoch_keys(tags: Mapping[str, str]) -> frozenset[str]:
    """Metric keys a run logged per epoch (curves), as recorded by Tracker.log_epoch."""
    return frozenset(filter(None, tags.get(TAG_EPOCH_METRICS, "").split(",")))


def _rows(tagged: str | None, params: Mapping[str, str]) -> float:
    """A run's example count: its tag, else (runs recorded before the tag) the sum of its split sizes."""
    try:
        return float(tagged) if tagged else float(sum(int(params[name]) for name in ("train_size", "val_size",
                                                                                      "test_size")))
    except (KeyError, TypeError, ValueError):
        return math.nan


def _time(milliseconds: int | None) -> datetime | None:
    return datetime.fromtimestamp(milliseconds / 1000) if milliseconds else None


def run_record(run: Any) -> RunRecord:
    """The RunRecord of an mlflow Run (info, data.tags, data.params, data.metrics)."""
    info, data = run.info, run.data
    tags, params = data.tags, dict(data.params)
    curves = epoch_keys(tags)
    status = "running" if info.status == "RUNNING" else tags.get(TAG_STATUS) or (info.status or "").lower()
    duration = ((info.end_time - info.start_time) / 1000 if info.end_time and info.start_time else math.nan)
    return RunRecord(
        run_id=info.run_id, run_name=info.run_name or "",
        use_case=tags.get(TAG_USE_CASE, ""), dataset=tags.get(TAG_DATASET, ""), model=tags.get(TAG_MODEL, ""),
        status=status, device=tags.get(TAG_DEVICE) or params.get("device", ""),
        device_kind=tags.get(TAG_DEVICE_KIND, ""), mixed_precision=tags.get(TAG_MIXED_PRECISION) == "True",
        source_kind=tags.get(TAG_SOURCE_KIND, ""), source_name=tags.get(TAG_SOURCE_NAME, ""),
        dataset_title=tags.get(TAG_DATASET_TITLE, ""), dataset_rows=_rows(tags.get(TAG_DATASET_ROWS), params),
        fingerprint=tags.get(TAG_FINGERPRINT, ""), user=tags.get(TAG_USER, ""),
        host=tags.get(TAG_HOST, ""), pid=tags.get(TAG_PID, ""), error=tags.get(TAG_ERROR, ""),
        executor=tags.get(TAG_EXECUTOR, ""), worker=tags.get(TAG_WORKER, ""),
        params=params, metrics={key: value for key, value in data.metrics.items() if key not in curves},
        curves=curves, started=_time(info.start_time), ended=_time(info.end_time), duration_s=duration,
        mlflow_status=info.status or "", train_fraction=_fraction(tags.get(TAG_TRAIN_FRACTION)),
    )


def _fraction(tagged: str | None) -> float:
    try:
        return float(tagged) if tagged else 1.0
    except ValueError:
        return 1.0


class Device(Protocol):
    """Where a run trained, as the tags need it (core.training.device.DeviceInfo is one)."""

    name: str
    kind: str
    mixed_precision: bool


ENDPOINT_DEVICE = "endpoint "  # a run answered by a server elsewhere records its device as "endpoint <host>"


def endpoint_host(base_url: str) -> str:
    """An endpoint's host[:port] ("api.openai.com", "127.0.0.1:8080") from its base URL, never a user:password
    part; the URL itself when it names no host."""
    from urllib.parse import urlparse

    parsed = urlparse(str(base_url))
    if not parsed.hostname:
        return str(base_url)
    return f"{parsed.hostname}:{parsed.port}" if parsed.port else parsed.hostname


def endpoint_of(device: Any) -> str | None:
    """The host of a run recorded as answered by an endpoint ("endpoint api.openai.com" -> "api.openai.com"), or
    None for a run on this machine's CPU or GPU."""
    name = str(device or "")
    return name[len(ENDPOINT_DEVICE):] if name.startswith(ENDPOINT_DEVICE) else None


def device_tags(device: Device) -> dict[str, str]:
    """Tags that say where a run trained."""
    return {TAG_DEVICE: device.name, TAG_DEVICE_KIND: device.kind, TAG_MIXED_PRECISION: str(device.mixed_precision)}


def dataset_tags(dataset: Dataset, upload_name: str = "") -> dict[str, str]:
    """Tags that tell a run's data apart: split fingerprint, title, kind, an upload's file name, example count."""
    from pathlib import PureWindowsPath

    tags = {TAG_FINGERPRINT: dataset.fingerprint, TAG_DATASET_TITLE: dataset.title,
            TAG_SOURCE_KIND: dataset.source_kind, TAG_DATASET_ROWS: str(sum(dataset.sizes.values()))}
    name = str(upload_name or "").strip()
    if name:
        tags[TAG_SOURCE_NAME] = PureWindowsPath(name).name  # a browser may send a path (either slash); keep the name
    return tags


def user_tags(user: str | None) -> dict[str, str]:
    """The tag naming who asked for a run; none (the tracker records the OS user) when nobody signed in."""
    return {TAG_USER: user} if user else {}
