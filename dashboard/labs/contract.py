"""What every use case's lab provides: the LabView contract and the LabData its data tab hands on.

The lab page draws four tabs (data, train, results, try it) and calls the lab's parts in them; the
Runs page shows a run with the lab's metric row and evaluation view. A use case without its own lab
gets the generic one (dashboard.labs.generic), built from the same shared parts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

from dashboard.history_views import CLASSIFICATION_CURVES, Curve

if TYPE_CHECKING:
    from core.contract.usecase import UseCase
    from core.data.dataset import Dataset


@dataclass(frozen=True)
class LabData:
    """What the data tab loaded: the dataset and the choices that name it (training, runs and uploads need them)."""

    use_case: UseCase
    dataset: Dataset
    source_id: str
    seed: int
    kwargs: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class LabView:
    """One use case's lab. Widget keys start with `prefix` (the use case id); the text keys name what the tabs say.

    data(use_case) -> LabData | None: draws the data tab; None once it has shown why nothing is loaded.
    train(data, queue): the training form and the live progress of this session's job.
    results(tracker, run_id, data): everything the chosen run measured; None: the shared results shell
        (dashboard.lab_results.show_results) drawn with this lab's metric row, curves and evaluation.
    try_it(tracker, run_id | None, data): use the chosen run's model (run_id None: no run yet).
    metric_row(metrics, tags): a run's headline figures (lab results, Runs page).
    evaluation(evaluation, *, key, dataset=None): a stored evaluation.json as charts (lab results, Runs page).
    curves: the per-epoch training curves its runs record (live progress and results).
    """

    prefix: str
    data: Callable[[Any], LabData | None]
    train: Callable[[LabData, Any], None]
    results: Callable[[Any, str, LabData], None] | None
    try_it: Callable[[Any, str | None, LabData], None]
    metric_row: Callable[[dict[str, float], dict[str, str]], None]
    evaluation: Callable[..., None]
    curves: tuple[Curve, ...] = CLASSIFICATION_CURVES
    evaluation_needs_data: bool = True  # the evaluation view shows test examples (images, texts)
    tab_keys: tuple[str, str, str, str] = ("lab.tab_data", "lab.tab_train", "lab.tab_results", "lab.tab_try")
    no_runs_key: str = "lab.no_runs_yet"
    try_needs_run_key: str = "lab.try_needs_run"
    need_data_key: str = ""  # when set, the other tabs say so while the data tab has nothing loaded
