"""Learning curve: how good each starting point gets with 10 / 25 / 50 / 100 % of the labelled examples.

One background job trains the chosen candidates (typically one pretrained, one from scratch and the
baseline) on stratified subsets of the training split; the validation and test splits stay exactly
the same, so every point is measured on the same test set. Each point is an ordinary tracked run
(core.training.pipeline.run_training with TrainingSpec.train_fraction) carrying the curve's id,
its share of the training split and the full split's fingerprint as parameters. Runs on a subset
are tagged studio.train_fraction, so the Runs, Model selection and Strategy pages (Tracker.list_runs)
leave them out; core.selection.learning_curve reads them back and says how many labelled
examples each model needed (kept outside core.training: the Strategy page reads it without TensorFlow).
"""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Sequence

import numpy as np

from core.config import Settings, get_settings
from core.contract.registry import get_use_case
from core.data.cache import load_dataset
from core.data.uploads import upload_files, with_uploads
from core.errors import DataError
from core.models.weights import WeightsUnavailable, weights_status
from core.tracking.records import PARAM_CURVE, PARAM_CURVE_SIZE, PARAM_FRACTION, PARAM_SPLIT
from core.training.fitters import fitter_for
from core.training.pipeline import run_training
from core.training.subsets import subset_size

if TYPE_CHECKING:
    from core.contract.usecase import Candidate, UseCase
    from core.tracking.store import Tracker
    from core.training.runner import Progress

FRACTIONS = (0.1, 0.25, 0.5, 1.0)


def default_candidates(use_case: UseCase, *, usable: Callable[[Candidate], bool] | None = None) -> list[str]:
    """One candidate per starting point: the first usable pretrained one, the from-scratch default, the baseline.

    `usable(candidate)` says whether a pretrained candidate can train now (its weights cached or
    downloadable); the default is core.models.weights.weights_status.
    """
    if usable is None:
        def usable(candidate: Candidate) -> bool:
            return not candidate.weights or weights_status(candidate.weights)[0] != "offline"

    candidates = list(use_case.candidates)
    pretrained = next((c.id for c in candidates if c.pretrained and usable(c)), None)
    scratch_ids = [c.id for c in candidates if c.starting_point == "scratch"]
    scratch = use_case.default_candidate if use_case.default_candidate in scratch_ids else (
        scratch_ids[0] if scratch_ids else None)
    baseline = use_case.baseline or next((c.id for c in candidates if c.starting_point == "baseline"), None)
    return [cid for cid in (pretrained, scratch, baseline) if cid]


@dataclass(frozen=True)
class CurveProgress:
    """Where a learning-curve job is: point `point` (1-based) of `points`, and that run's own progress."""

    point: int
    points: int
    model: str
    train_fraction: float
    train_size: int
    inner: Any = None  # core.training.runner.Progress of the run being trained
    done: tuple[dict[str, Any], ...] = ()  # finished points so far (see LearningCurveJob)

    @property
    def fraction(self) -> float:
        """Share of the whole job done, 0..1, for a progress bar."""
        within = float(getattr(self.inner, "fraction", 0.0) or 0.0) if self.inner is not None else 0.0
        if getattr(self.inner, "phase", "") == "downloading":
            within = 0.0
        share = max(self.point - 1 + within, len(self.done)) / max(self.points, 1)
        return float(min(1.0, max(0.0, share)))


@dataclass
class LearningCurveJob:
    """A job for core.training.jobs.JobQueue: every candidate at every fraction, one tracked run each.

    Candidates train with their default budget (epochs, batch size, learning rate), as "benchmark
    all candidates" does, so the 100 % point is an ordinary comparison run. Returns
    {"status": completed | cancelled, "curve_id", "split", "points": [...]}.
    """

    use_case: str
    dataset: str
    candidates: Sequence[str]
    tracker: Tracker
    fractions: Sequence[float] = FRACTIONS
    seed: int = 0
    dataset_kwargs: dict[str, Any] = field(default_factory=dict)
    user: str | None = None
    settings: Settings | None = None
    curve_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    uploads: dict[str, bytes] = field(default_factory=dict)  # an uploaded file's bytes, for a remote worker

    def specs(self) -> list[Any]:
        """The full-data TrainingSpec of each chosen candidate, in the order chosen."""
        from core.training.pipeline import benchmark_specs

        by_id = {spec.candidate: spec for spec in benchmark_specs(self.use_case, self.dataset, seed=self.seed,
                                                                   dataset_kwargs=self.dataset_kwargs)}
        missing = [cid for cid in self.candidates if cid not in by_id]
        if missing or not self.candidates:
            raise DataError("errors.learning_curve.no_candidates", models=", ".join(missing) or "-")
        return [dataclasses.replace(by_id[cid], user=self.user) for cid in self.candidates]

    def __call__(self, context: Any) -> dict[str, Any]:
        fractions = sorted({float(f) for f in self.fractions})
        for fraction in fractions:
            subset_size(1, fraction)  # a fraction outside (0, 1] fails before anything trains
        if self.uploads:  # on a worker that cannot read the app's disk: store the file here first
            return dataclasses.replace(self, uploads={}, dataset_kwargs=with_uploads(
                self.dataset_kwargs, self.uploads, self.settings or get_settings()))._points(context, fractions)
        return self._points(context, fractions)

    def _points(self, context: Any, fractions: list[float]) -> dict[str, Any]:
        specs = self.specs()
        full = load_dataset(self.use_case, self.dataset, seed=self.seed, **self.dataset_kwargs)
        classes = len(np.unique(full.y_train)) if np.issubdtype(np.asarray(full.y_train).dtype, np.integer) else 0
        total = len(full.y_train)
        plan = [(spec, fraction) for spec in specs for fraction in fractions]
        done: list[dict[str, Any]] = []
        skipped: dict[str, Exception] = {}  # models whose pretrained weights cannot be had now, with why
        status = "completed"
        for position, (spec, fraction) in enumerate(plan, start=1):
            if context.cancelled.is_set():
                status = "cancelled"
                break
            if spec.candidate in skipped:
                continue
            size = subset_size(total, fraction, classes)
            curve_params = {PARAM_CURVE: self.curve_id, PARAM_FRACTION: fraction, PARAM_SPLIT: full.fingerprint,
                            PARAM_CURVE_SIZE: size}

            def report(progress: Progress | None, *, _p=position, _s=spec, _f=fraction, _n=size) -> None:
                context.report(CurveProgress(_p, len(plan), _s.candidate, _f, _n, progress, tuple(done)))

            def started(run_id: str) -> None:
                context.set_run_id(run_id)
                self.tracker.log_params(run_id, curve_params)

            report(None)
            try:
                outcome = run_training(dataclasses.replace(spec, train_fraction=fraction), tracker=self.tracker,
                                       report=report, cancel_event=context.cancelled, on_run_id=started,
                                       settings=self.settings, tags=getattr(context, "run_tags", None))
            except WeightsUnavailable as error:  # no network for a one-time download: the other models go on
                skipped[spec.candidate] = error
                continue
            if outcome.status == "cancelled":
                status = "cancelled"
                break
            done.append({"run_id": outcome.run_id, "model": spec.candidate, "fraction": fraction,
                         "train_size": size, **{k: v for k, v in outcome.metrics.items()
                                                if k.startswith(("test_", "latency_")) or k == "train_seconds"}})
            context.report(CurveProgress(position, len(plan), spec.candidate, fraction, size, None, tuple(done)))
        if skipped and not done and status == "completed":
            raise next(iter(skipped.values()))  # nothing could train: the job fails with the reason
        return {"status": status, "curve_id": self.curve_id, "split": full.fingerprint, "points": done,
                "skipped": skipped}

    @property
    def wants_gpu(self) -> bool:
        settings = self.settings or get_settings()
        case = get_use_case(self.use_case)
        return settings.device_policy != "cpu" and any(
            fitter_for(case.candidate(c).kind).uses_accelerator for c in self.candidates)

    def for_remote(self) -> "LearningCurveJob":
        """This job with the app's settings and an uploaded file's bytes, ready to run on another machine."""
        settings = self.settings or get_settings()
        uploads = {name: path.read_bytes() for name, path in upload_files(self.dataset_kwargs, settings).items()}
        return dataclasses.replace(self, settings=settings, uploads=uploads)


def run_learning_curve(job: LearningCurveJob, *, report: Callable[[Any], None] | None = None,
                       cancel_event: Any = None) -> dict[str, Any]:
    """Run a LearningCurveJob in this thread (benchmarks, scripts): the same code the job queue runs."""
    import threading

    class _Context:
        def __init__(self) -> None:
            self.cancelled = cancel_event or threading.Event()

        def report(self, progress: Any) -> None:
            (report or (lambda _: None))(progress)

        def set_run_id(self, run_id: str) -> None:
            pass

    return job(_Context())
