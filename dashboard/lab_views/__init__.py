"""Per-use-case views for the lab and the Runs page, found by convention.

A use case whose lab differs from image classification adds `dashboard/lab_views/<use_case_id>.py`
(a new file, nothing else edited). The module may define:

- `render_lab(use_case) -> None`: everything in the lab below the use-case picker (tabs: data,
  train, results, try it). Without it the lab shows the image-classification flow.
- `render_metric_row(metrics, tags) -> None`: a run's headline figures (Runs page, lab results).
- `render_evaluation(evaluation, *, key, dataset=None) -> None`: what evaluation.json holds,
  as charts (Runs page re-evaluation).
"""

from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType


def view_module(use_case_id: str) -> ModuleType | None:
    """dashboard.lab_views.<use_case_id> when it exists, else None (image-classification views)."""
    name = f"{__name__}.{use_case_id}"
    if not use_case_id.isidentifier() or importlib.util.find_spec(name) is None:
        return None
    return importlib.import_module(name)


def view_function(use_case_id: str | None, function: str):
    """The named function of a use case's view module, or None when it does not define one."""
    module = view_module(use_case_id) if use_case_id else None
    return getattr(module, function, None) if module is not None else None
