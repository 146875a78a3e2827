"""Business case latency on the Strategy page (not a test; prints numbers, asserts nothing). Budget: < 200 ms
for the page's recompute after a payoff edit, with 8 use cases (4 built-in with stored runs, 4 custom).

1. The business-case work per rerun, timed directly: analyse() with the four stored evaluations (cut-off or
   threshold choice, 2,000-resample bootstraps, profit curves), the business and ranking tables, and the
   value-against-cost chart serialised as Streamlit does.
2. Whole reruns through AppTest after editing a payoff number (the page as a user drives it), on a data dir
   holding real tracked runs with evaluation.json of realistic size (10,000 images, 1,000 reviews,
   1,000 applicants with validation scores and a scorecard, 671 users with a popularity run).

    .venv/bin/python benchmarks/bench_business.py [--repeats 20]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))
os.environ.setdefault("STUDIO_DATA_DIR", tempfile.mkdtemp(prefix="studio-bench-business-"))
os.environ.setdefault("STUDIO_OFFLINE", "1")

from bench_strategy import _ms  # noqa: E402 - the same median / p95 / max line as the strategy benchmark


def evaluations() -> dict[str, tuple[dict, dict | None]]:
    """{use case: (evaluation of its model, evaluation of its baseline or None)} with realistic row counts."""
    import numpy as np

    rng = np.random.default_rng(0)

    def classification(n: int, classes: int, accuracy: float) -> dict:
        truth = rng.integers(0, classes, n)
        right = rng.random(n) < accuracy
        predicted = np.where(right, truth, (truth + 1) % classes)
        sure = np.clip(np.where(right, rng.beta(8, 1, n), rng.beta(3, 2, n)), 1 / classes, 1)
        return {"y_true": truth.tolist(), "y_pred": predicted.tolist(), "confidence": sure.round(5).tolist()}

    def credit(n: int, shift: float) -> dict:
        bad = (rng.random(n) < 0.28).astype(int)
        return {"y_true": bad.tolist(), "scores": np.clip(rng.normal(0.3 + shift * bad, 0.15), 0, 1).round(6).tolist()}

    vision = {**classification(10_000, 10, 0.9), "validation": classification(10_000, 10, 0.9)}
    nlp = {**classification(1_000, 2, 0.85), "validation": classification(1_000, 2, 0.85)}
    model, scorecard = credit(1_000, 0.3), credit(1_000, 0.2)
    scorecard["y_true"] = model["y_true"]
    finance = {**model, "validation": credit(700, 0.3), "dataset_fingerprint": "f"}
    ranks = rng.integers(1, 3_000, 671)
    rec = {"ranks": np.where(rng.random(671) < 0.2, rng.integers(1, 11, 671), ranks).tolist(), "dataset_fingerprint": "r"}
    popularity = {"ranks": np.where(rng.random(671) < 0.12, rng.integers(1, 11, 671), ranks).tolist(),
                  "dataset_fingerprint": "r"}
    return {"vision": (vision, None), "nlp": (nlp, None), "finance": (finance, {**scorecard, "dataset_fingerprint": "f"}),
            "recommendation": (rec, popularity)}


def bench_core(repeats: int) -> None:
    import plotly.io as pio

    from core.business.evidence import RunEvidence
    from core.strategy.analysis import analyse, business_rows, payoff_rows, ranking_rows
    from core.strategy.model import default_assessment, new_custom_use_case
    from dashboard.business_charts import plot_value_vs_cost

    business = {uid: RunEvidence(uid, f"run-{uid}", model, f"base-{uid}" if base else "", base)
                for uid, (model, base) in evaluations().items()}
    assessment = default_assessment()
    for index in range(4):
        assessment.use_cases.append(new_custom_use_case(assessment, f"Custom {index + 1}"))
    samples, cpu = [], []
    for index in range(repeats + 1):
        assessment.use_case("vision").payoff.manual_cost = 0.4 + 0.05 * (index % 4)  # a payoff edit
        started, started_cpu = time.perf_counter(), time.process_time()
        analysis = analyse(assessment, {}, "en", business)
        business_rows(analysis), payoff_rows(analysis), ranking_rows(analysis)
        ids = list(analysis.cases)
        pio.to_json(plot_value_vs_cost(ids, [analysis.economics[u].value for u in ids],
                                       [analysis.economics[u].low for u in ids], [analysis.economics[u].high for u in ids],
                                       [analysis.economics[u].cost for u in ids], title="t", y_title="y",
                                       value_label="v", cost_label="c").to_dict(), validate=False)
        if index:  # the first one warms imports
            samples.append(time.perf_counter() - started)
            cpu.append(time.process_time() - started_cpu)
    assert len(analysis.cases) == 4, analysis.business_errors
    print(f"analysis + business tables + chart, 8 use cases, 4 valued: wall {_ms(samples)}\n{'':>58}CPU  {_ms(cpu)}")


def _store_runs() -> None:
    from core.tracking.records import TAG_DEVICE
    from dashboard.services import get_tracker

    tracker = get_tracker()
    models = {"vision": ("cnn", "test_accuracy", 0.93), "nlp": ("bilstm", "test_accuracy", 0.86),
              "finance": ("boosting", "test_roc_auc", 0.82), "recommendation": ("mf", "test_rmse", 0.9)}
    baselines = {"finance": ("scorecard", "test_roc_auc", 0.78), "recommendation": ("popularity", "test_rmse", 1.0)}
    for uid, (model, base) in evaluations().items():
        for name, metric, value, stored in ((*models[uid], model), *(((*baselines[uid], base),) if base else ())):
            run_id = tracker.start_run(use_case=uid, dataset="bundled", model=name, params={"epochs": 1},
                                       tags={TAG_DEVICE: "CPU (2 cores)"})
            tracker.log_metrics(run_id, {metric: value, "samples_per_second": 2000.0, "latency_p50_ms": 3.0,
                                         **({"test_hit_rate_at_10": 0.2} if uid == "recommendation" else {})})
            tracker.log_dict(run_id, stored, "evaluation.json")
            tracker.finish(run_id, "completed")


def bench_apptest(repeats: int) -> None:
    from streamlit.testing.v1 import AppTest

    _store_runs()
    at = AppTest.from_file(str(REPO_ROOT / "dashboard" / "app.py"), default_timeout=120)
    at.run()
    at.switch_page("../pages/strategy.py").run()
    for index in range(4):
        at.text_input(key="stg_new_name").input(f"Custom {index + 1}")
        at.button(key="stg_add").click().run()
    at.selectbox(key="stg_edit").set_value("vision").run()
    assert not at.exception, [e.value for e in at.exception]
    table = at.dataframe[3].value
    print("business table:", dict(zip(table[table.columns[0]], table[table.columns[1]])))
    edits = {
        "manual cost (vision)": lambda i: at.number_input(key="stg_w_vision_payoff_manual_cost").set_value(0.4 + 0.05 * (i % 4)),
        "items per year (vision)": lambda i: at.number_input(key="stg_w_vision_payoff_items_per_year").set_value(
            1_000_000.0 + 100_000 * (i % 4)),
        "target precision (vision)": lambda i: at.number_input(key="stg_w_vision_payoff_target_precision").set_value(
            (0.95, 0.97)[i % 2]),
    }
    for name, edit in edits.items():
        samples, cpu = [], []
        for index in range(repeats):
            edit(index)
            started, started_cpu = time.perf_counter(), time.process_time()
            at.run()
            samples.append(time.perf_counter() - started)
            cpu.append(time.process_time() - started_cpu)  # the script thread runs in this process
            assert not at.exception, [e.value for e in at.exception]
        print(f"AppTest rerun after a payoff edit, {name:<26} 8 use cases: wall {_ms(samples)}\n{'':>74}CPU  {_ms(cpu)}")
    for uid in ("vision", "nlp", "recommendation", "finance"):  # reference: the same page with no business case
        at.selectbox(key="stg_edit").set_value(uid).run()
        at.checkbox(key=f"stg_w_{uid}_payoff_enabled").uncheck().run()
    samples, cpu = [], []
    for index in range(repeats):
        at.slider(key="stg_w_finance_score_value").set_value(1 + index % 5)
        started, started_cpu = time.perf_counter(), time.process_time()
        at.run()
        samples.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    print(f"reference: rerun after a score edit, every payoff off, 8 use cases: wall {_ms(samples)}\n{'':>74}CPU  {_ms(cpu)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    print(f"load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    bench_core(args.repeats)
    bench_apptest(args.repeats)


if __name__ == "__main__":
    main()
