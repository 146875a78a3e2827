"""Issue 21 item 7a: "Compare learning curves" leaves one-pass runs (a single point) out and names them."""

from __future__ import annotations

import json

PAGE = "../pages/runs.py"


def _history(run_id: str, points: list[float]) -> None:
    from dashboard.services import get_tracker

    for epoch, value in enumerate(points, start=1):
        get_tracker().log_epoch(run_id, epoch, {"loss": value, "val_loss": value + 0.05})


def test_one_pass_runs_are_named_not_drawn_as_dots(app_test, record_run):
    at = app_test(timeout=120)
    at.run()
    scorecard = record_run("finance", "credit_data", "scorecard", {"test_roc_auc": 0.849}, train_size=2800,
                           fingerprint="c")
    mlp = record_run("finance", "credit_data", "mlp", {"test_roc_auc": 0.861}, train_size=2800, fingerprint="c")
    _history(scorecard, [0.45])  # a one-pass fit logs its loss once, at epoch 1
    _history(mlp, [0.61, 0.52, 0.47])
    at.switch_page(PAGE).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.multiselect(key="runs_selected_all").value == [mlp, scorecard]
    charts = [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]
    overlay = next(spec for spec in charts if "solid = validation" in spec["layout"]["title"]["text"])
    groups = {trace.get("legendgroup", "") for trace in overlay["data"]}
    assert len(groups) == 1 and next(iter(groups)).startswith("Keras MLP"), groups
    assert all(len(trace["x"]) == 3 for trace in overlay["data"])  # no lone dot at epoch 1
    note = next(i.value for i in at.info if i.value.startswith("Not drawn, because"))
    assert "Scorecard (logistic regression)" in note and "Keras MLP" not in note, note
    # Only one-pass runs chosen: no empty chart, just the note.
    at.multiselect(key="runs_selected_all").set_value([scorecard]).run()
    assert not [c for c in at.get("plotly_chart") if "solid = validation" in json.loads(c.proto.spec)["layout"]
                ["title"]["text"]]
    assert any(i.value.startswith("Not drawn, because") for i in at.info)
