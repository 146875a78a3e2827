"""Issue 21 item 1: the Results tab shows runs of the file chosen on the Data tab, never another upload's.

Runs on two uploaded files are recorded (the census file's newest), then the credit file is uploaded:
the picker preselects a credit run, its tiles, comparison table and guidance are the credit runs', and a
caption names the census file whose runs are not listed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.i18n import translate

LAB = "../pages/lab.py"


def _csv(n: int, bad_every: int, *, seed: int) -> bytes:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"Status": np.where(np.arange(n) % bad_every == bad_every - 1, "bad", "good"),
                          "Income": rng.normal(150, 40, n).round(), "Home": rng.choice(["rent", "owner"], n),
                          "Amount": rng.integers(300, 3000, n)})
    return frame.to_csv(index=False).encode()


CREDIT, CENSUS = _csv(120, 3, seed=0), _csv(160, 4, seed=1)


def _dataset(content: bytes):
    """The dataset the lab loads for this file (target Status, bad value 'bad', seed 0)."""
    from core.data.cache import load_dataset
    from core.data.uploads import store_upload

    return load_dataset("finance", "upload_csv", seed=0, path=str(store_upload(content, suffix=".csv")),
                        target="Status", bad_value="bad")


def _record(record_run, dataset, name: str, model: str, auc: float) -> str:
    """A finished credit run on `dataset` with ROC-AUC `auc` and a stored evaluation of its test rows."""
    from core.tracking.run_files import EVALUATION_FILE
    from core.usecases.finance.metrics import binary_report
    from dashboard.services import get_tracker

    n_test = len(dataset.y_test)
    run_id = record_run("finance", "upload_csv", model, {"test_roc_auc": auc, "test_gini": 2 * auc - 1,
                                                          "test_ks": 0.4, "test_pr_auc": 0.5},
                        train_size=len(dataset.y_train), fingerprint=dataset.fingerprint, source_name=name,
                        rows=sum(dataset.sizes.values()))
    y = np.asarray(dataset.y_test)
    scores = np.clip(0.5 * y + np.random.default_rng(1).uniform(0, 0.6, n_test), 0, 1)
    get_tracker().log_dict(run_id, {**binary_report(y, scores), "y_true": y.tolist(), "scores": scores.tolist(),
                                    "importance": [], "dataset_fingerprint": dataset.fingerprint}, EVALUATION_FILE)
    return run_id


def _open_with_runs(app_test, record_run):
    at = app_test(timeout=120).run()
    credit, census = _dataset(CREDIT), _dataset(CENSUS)
    assert credit.fingerprint != census.fingerprint
    runs = {"credit_mlp": _record(record_run, credit, "credit.csv", "mlp", 0.742),
            "credit_scorecard": _record(record_run, credit, "credit.csv", "scorecard", 0.790),
            "census_mlp": _record(record_run, census, "census.csv", "mlp", 0.910)}  # the newest run of the source
    at.switch_page(LAB).run()
    at.session_state["lab_use_case"] = "finance"
    at.run()
    at.selectbox(key="finance_dataset").set_value("upload_csv").run()
    return at, runs


def _upload(at, name: str, content: bytes):
    at.file_uploader(key="finance_upload").set_value((name, content, "text/csv")).run()
    assert not at.exception, [e.value for e in at.exception]
    # Recorded runs have no saved model, so only the Try tab may say that it cannot score with one.
    assert all("has no saved model" in e.value for e in at.error), [e.value for e in at.error]
    return at


def test_results_preselect_a_run_of_the_uploaded_file_and_name_the_others(app_test, record_run):
    at, runs = _open_with_runs(app_test, record_run)
    at = _upload(at, "credit.csv", CREDIT)
    picker = at.selectbox(key="finance_result_run")
    assert picker.value == runs["credit_scorecard"], picker.value  # the newest completed run on this file
    assert len(picker.options) == 2 and all("credit.csv · 120 rows" in label for label in picker.options), \
        picker.options  # options are shown as labels: file, rows, AUC; the census run is not among them
    assert "AUC 0.790" in picker.options[0]
    tiles = {metric.label: metric.value for metric in at.metric}
    assert tiles["ROC-AUC"] == "0.790", tiles
    assert "0.910" not in tiles.values()
    # The threshold panel counts this file's test applicants, not the census file's.
    counts = next(c.value for c in at.caption if "test applicants" in c.value)
    assert counts.startswith(f"On the {len(_dataset(CREDIT).y_test)} test applicants"), counts
    others = [c.value for c in at.caption if "census.csv" in c.value]
    assert others and "census.csv · 160 rows (1 run)" in others[0], [c.value for c in at.caption]


def test_compare_table_and_guidance_hold_only_the_files_runs(app_test, record_run):
    at, runs = _open_with_runs(app_test, record_run)
    at = _upload(at, "credit.csv", CREDIT)
    table = next(d.value for d in at.dataframe if "ROC-AUC" in d.value.columns)
    assert sorted(table["ROC-AUC"]) == ["0.742", "0.790"], table
    text = "\n".join(m.value for m in at.markdown)
    assert "Highest ROC-AUC among 2 model(s): **Scorecard (logistic regression)** (0.790)" in text, text


def test_the_other_file_shows_its_own_run_and_a_new_file_has_none(app_test, record_run):
    at, runs = _open_with_runs(app_test, record_run)
    at = _upload(at, "census.csv", CENSUS)
    assert at.selectbox(key="finance_result_run").value == runs["census_mlp"]
    assert {metric.label: metric.value for metric in at.metric}["ROC-AUC"] == "0.910"
    table = next(d.value for d in at.dataframe if "ROC-AUC" in d.value.columns)
    assert list(table["ROC-AUC"]) == ["0.910"]
    # A file nobody trained on: no run is chosen for it; the tab says so and names the files that have runs.
    at = _upload(at, "fresh.csv", _csv(100, 4, seed=7))
    assert not [s for s in at.selectbox if s.key == "finance_result_run"]
    assert any(i.value == translate("finance.no_runs", "en") for i in at.info), [i.value for i in at.info]
    assert any("census.csv · 160 rows (1 run)" in c.value and "credit.csv · 120 rows (2 runs)" in c.value
               for c in at.caption), [c.value for c in at.caption]
    assert "ROC-AUC" not in {metric.label for metric in at.metric}


def test_a_run_shown_again_starts_its_threshold_at_the_optimum_not_zero(app_test, record_run):
    """Seen in Chromium: back on a run after another one, its threshold slider came back at 0.00 (approve nobody)."""
    at, runs = _open_with_runs(app_test, record_run)
    at = _upload(at, "credit.csv", CREDIT)

    def slider():
        return next(s for s in at.slider if s.key == f"finance_threshold_{runs['credit_scorecard'][:8]}")

    optimal = float({m.label: m.value for m in at.metric}["Cost-optimal threshold"])
    assert slider().value == optimal > 0
    at.selectbox(key="finance_result_run").set_value(runs["credit_mlp"]).run()
    at.selectbox(key="finance_result_run").set_value(runs["credit_scorecard"]).run()
    assert slider().value == optimal, slider().value
    fairness = next(s for s in at.slider if s.key.endswith("_fairness_threshold"))
    assert fairness.value == optimal
