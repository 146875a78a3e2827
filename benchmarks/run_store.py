"""A store of many generated runs for the page benchmarks (bench_strategy.py, bench_pages_runs.py).

Four real runs are trained once (a quick candidate per use case: logistic regression on digits, TF-IDF on the
English reviews, popularity on MovieLens, the scorecard on the credit table), then cloned through the studio's
own Tracker (MLflow, SQLite) into as many runs as asked: each clone has its template's params, tags, final
metrics (jittered) and evaluation.json, a model id cycled over the use case's candidates, and a finished
status. No training per clone, so 500 runs take minutes, not hours.

    from benchmarks.run_store import grow_store
    grow_store(tracker, 200)   # adds runs until the store holds 200 listed runs
"""

from __future__ import annotations

import random
import time
from typing import Any

TEMPLATES = (  # (use case, dataset, candidate) trained once for real
    ("vision", "digits", "logreg"),
    ("nlp", "en_reviews", "tfidf_logreg"),
    ("recommendation", "movielens", "popularity"),
    ("finance", "credit_data", "scorecard"),
)
TEMPLATE_TAG = "bench.template"


def _train_templates(tracker: Any) -> None:
    from core.training.pipeline import run_training, TrainingSpec

    for use_case, dataset, candidate in TEMPLATES:
        started = time.perf_counter()
        outcome = run_training(TrainingSpec(use_case, dataset, candidate), tracker=tracker,
                               tags={TEMPLATE_TAG: "1"})
        print(f"  template {use_case}/{dataset}/{candidate}: {outcome.status} in {time.perf_counter() - started:.1f} s")


def _templates(tracker: Any) -> list[dict[str, Any]]:
    """[{use_case, params, tags, metrics, evaluation}] of the trained templates (trained on first call)."""
    runs = tracker._search(f"tags.`{TEMPLATE_TAG}` = '1'")
    if len(runs) < len(TEMPLATES):
        _train_templates(tracker)
        runs = tracker._search(f"tags.`{TEMPLATE_TAG}` = '1'")
    out = []
    for run in runs:
        tags = {k: v for k, v in run.data.tags.items() if k.startswith("studio.")}
        out.append({"use_case": tags["studio.use_case"], "dataset": tags["studio.dataset"],
                    "params": dict(run.data.params), "tags": tags, "metrics": dict(run.data.metrics),
                    "evaluation": tracker.load_dict(run.info.run_id, "evaluation.json")})
    return out


def listed_runs(tracker: Any) -> int:
    return len(tracker._search())


def grow_store(tracker: Any, target: int, *, seed: int = 0) -> float:
    """Add cloned finished runs until `tracker` lists `target` runs; returns the seconds spent."""
    from core.contract.registry import get_use_case

    started = time.perf_counter()
    templates = _templates(tracker)
    have = listed_runs(tracker)
    rng = random.Random(seed + have)
    skip = {"studio.use_case", "studio.dataset", "studio.model", "studio.status", "studio.host", "studio.pid",
            "studio.user"}
    for index in range(have, target):
        template = templates[index % len(templates)]
        candidates = [c.id for c in get_use_case(template["use_case"]).candidates]
        model = candidates[(index // len(templates)) % len(candidates)]
        params = {**template["params"], "model": model}
        tags = {k: v for k, v in template["tags"].items() if k not in skip}
        run_id = tracker.start_run(use_case=template["use_case"], dataset=template["dataset"], model=model,
                                   params=params, tags=tags)
        metrics = {k: v * (1 + rng.uniform(-0.05, 0.05)) for k, v in template["metrics"].items()}
        tracker.log_metrics(run_id, metrics)
        tracker.log_dict(run_id, template["evaluation"], "evaluation.json")
        tracker.finish(run_id, "completed")
    return time.perf_counter() - started
