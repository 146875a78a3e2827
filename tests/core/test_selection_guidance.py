"""Guidance: baseline wins, deep model wins, unmet latency, contradictions, rules file, Markdown in en/zh."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.i18n import translate
from core.selection.compare import SelectionError
from core.selection.advice_text import render_reason, to_markdown
from core.selection.guidance import Requirements, recommend, validate_requirements
from core.selection.rules import load_rules, parse_rules
from core.selection.significance import beats_baseline


def table(**accuracy: float) -> pd.DataFrame:
    """A comparison table (as comparison_table returns) for logreg / mlp / cnn with the given accuracies."""
    rows = {
        "logreg": {"kind": "sklearn", "train_seconds": 0.5, "parameters": 650, "size_mb": 0.009,
                   "latency_p50_ms": 0.08, "latency_p95_ms": 0.11, "peak_rss_mb": 310.0},
        "mlp": {"kind": "keras", "train_seconds": 6.0, "parameters": 52_000, "size_mb": 0.65,
                "latency_p50_ms": 0.5, "latency_p95_ms": 0.7, "peak_rss_mb": 900.0},
        "cnn": {"kind": "keras", "train_seconds": 20.0, "parameters": 60_000, "size_mb": 0.8,
                "latency_p50_ms": 0.9, "latency_p95_ms": 1.2, "peak_rss_mb": 950.0},
    }
    return pd.DataFrame([{"model": model, "test_accuracy": accuracy[model], **rows[model], "device": "CPU",
                          "train_size": 1000, "run_id": f"run-{model}", "dataset_fingerprint": "fp"}
                         for model in accuracy])


def predictions(n: int, right: int, *, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Labels and predictions with exactly `right` correct ones at random positions."""
    rng = np.random.default_rng(seed)
    truth = np.zeros(n, dtype=int)
    pred = np.ones(n, dtype=int)
    pred[rng.choice(n, size=right, replace=False)] = 0
    return truth, pred


REQUIREMENTS = Requirements(labelled_examples=20_000, latency_target_ms=5.0, compute="one_gpu")


def test_baseline_wins_when_the_cnn_is_not_significantly_better():
    truth, base = predictions(1000, 970, seed=0)
    _, cnn = predictions(1000, 972, seed=1)
    significance = {"cnn": beats_baseline(truth, cnn, base, model="cnn", baseline="logreg")}
    assert significance["cnn"].verdict == "no_difference"
    rec = recommend(table(logreg=0.970, cnn=0.972), REQUIREMENTS, use_case="vision", significance=significance)
    assert rec.baseline == "logreg" and rec.baseline_wins
    assert [item.model for item in rec.ranked] == ["logreg", "cnn"]
    keys = [key for key, _ in rec.ranked[0].reasons]
    assert "selection.reasons.baseline_as_good" in keys
    cnn_text = [render_reason(k, p) for k, p in rec.ranked[1].reasons]
    assert any("97.2% vs baseline 97.0% (+0.2 points" in text and ("McNemar p = " in text or "McNemar p < 0.001" in text) for text in cnn_text)
    assert any("No measurable gain" in text for text in cnn_text)
    markdown = to_markdown(rec, "en")
    assert "the simple baseline **Logistic regression (baseline)**" in markdown and "The simple baseline is as good" in markdown
    assert rec.unmet == [] and all(item.meets_all for item in rec.ranked)


def test_baseline_within_margin_wins_even_without_significance_data():
    rec = recommend(table(logreg=0.97, mlp=0.975), REQUIREMENTS, use_case="vision")
    assert rec.baseline_wins
    assert any(key == "selection.reasons.vs_baseline_untested" for key, _ in rec.ranked[1].reasons)


def test_a_significantly_better_cnn_wins():
    truth, base = predictions(1000, 900, seed=0)
    _, cnn = predictions(1000, 985, seed=1)
    significance = {"cnn": beats_baseline(truth, cnn, base, model="cnn", baseline="logreg")}
    assert significance["cnn"].verdict == "better"
    rec = recommend(table(logreg=0.90, cnn=0.985), REQUIREMENTS, use_case="vision", significance=significance)
    assert rec.ranked[0].model == "cnn" and not rec.baseline_wins
    assert "selection.reasons.significantly_better" in [key for key, _ in rec.ranked[0].reasons]
    assert rec.ranked[0].score == pytest.approx(1.0)  # best (gap 0) + significantly better (+1)
    assert rec.ranked[1].score == pytest.approx(-8.5)  # 8.5 points behind


def test_no_candidate_meets_the_latency_target():
    strict = Requirements(labelled_examples=20_000, latency_target_ms=0.05)
    rec = recommend(table(logreg=0.90, mlp=0.95, cnn=0.98), strict, use_case="vision")
    assert rec.unmet == ["latency"]
    assert all(item.flags == ["latency"] and not item.meets_all for item in rec.ranked)
    texts = [render_reason(k, p) for k, p in rec.ranked[0].reasons]
    assert any("exceeds the 0.05 ms target" in text for text in texts)
    markdown = to_markdown(rec, "en")
    assert "## Requirements no candidate meets" in markdown and "- **Latency target**" in markdown


def test_latency_target_met_by_some_only_flags_the_slow_ones():
    rec = recommend(table(logreg=0.90, cnn=0.98), Requirements(labelled_examples=20_000, latency_target_ms=0.5),
                    use_case="vision")
    assert rec.unmet == []
    flags = {item.model: item.flags for item in rec.ranked}
    assert flags == {"logreg": [], "cnn": ["latency"]}
    assert rec.ranked[0].model == "logreg"  # the only one meeting every requirement comes first


def test_unmeasured_latency_is_flagged_not_assumed():
    frame = table(logreg=0.9, cnn=0.98)
    frame.loc[frame["model"] == "cnn", "latency_p95_ms"] = np.nan
    rec = recommend(frame, REQUIREMENTS, use_case="vision")
    cnn = next(item for item in rec.ranked if item.model == "cnn")
    assert cnn.flags == ["latency"]
    assert "selection.reasons.latency_unmeasured" in [key for key, _ in cnn.reasons]


def test_explanations_and_little_data_favour_the_simple_model():
    needs = Requirements(labelled_examples=3000, explanations_required=True, compute="cpu")
    rec = recommend(table(logreg=0.95, cnn=0.975), needs, use_case="vision")
    assert rec.ranked[0].model == "logreg"
    cnn_keys = [key for key, _ in rec.ranked[1].reasons]
    assert {"selection.reasons.hard_to_explain", "selection.reasons.little_data"} <= set(cnn_keys)
    assert "selection.notes.explanations_scorecard" in [key for key, _ in rec.notes]


def test_contradictory_requirements_are_refused_with_the_conflict_named():
    with pytest.raises(SelectionError, match="latency target of 0 ms is impossible"):
        validate_requirements(Requirements(labelled_examples=100, latency_target_ms=0))
    with pytest.raises(SelectionError, match="at least 20 .*two per class"):
        validate_requirements(Requirements(labelled_examples=12), num_classes=10)
    with pytest.raises(SelectionError, match="not a valid choice for compute"):
        validate_requirements(Requirements(labelled_examples=100, compute="tpu"))
    with pytest.raises(SelectionError, match="whole number"):
        validate_requirements(Requirements(labelled_examples=-1))
    ten_classes = table(logreg=0.9, cnn=0.98).assign(num_classes=10)
    with pytest.raises(SelectionError, match="12 labelled examples cannot train and test a 10-class model"):
        recommend(ten_classes, Requirements(labelled_examples=12), use_case="vision")
    slow = table(logreg=0.9, cnn=0.98)
    slow["train_seconds"] = [50_000.0, 90_000.0]  # on 1,000 examples
    daily_cpu = Requirements(labelled_examples=2000, compute="cpu", retrain="daily")
    with pytest.raises(SelectionError, match=r"Daily retraining on CPU only .*logreg, needs about 27.8 hours"):
        recommend(slow, daily_cpu, use_case="vision")


def test_daily_retraining_flags_only_the_too_slow_candidates():
    frame = table(logreg=0.9, cnn=0.98)
    frame["train_seconds"] = [10.0, 50_000.0]  # cnn: 100k s on 2,000 examples
    rec = recommend(frame, Requirements(labelled_examples=2000, compute="one_gpu", retrain="daily"),
                    use_case="vision")
    cnn = next(item for item in rec.ranked if item.model == "cnn")
    assert cnn.flags == ["retraining"] and rec.unmet == []


def test_no_runs_and_no_baseline():
    with pytest.raises(SelectionError, match="no completed runs"):
        recommend(pd.DataFrame(), REQUIREMENTS, use_case="vision")
    rec = recommend(table(mlp=0.95, cnn=0.97), REQUIREMENTS, use_case="vision")
    assert rec.baseline is None and not rec.baseline_wins
    assert "selection.notes.no_baseline" in [key for key, _ in rec.notes]


def test_default_rules_load_and_bad_rules_are_refused(tmp_path):
    rules = load_rules()
    assert rules.settings["baseline_margin_points"] == 1.0
    assert {"latency_over_target", "baseline_as_good"} <= {rule["id"] for rule in rules.rules}
    broken = tmp_path / "guidance.yaml"
    broken.write_text("rules: [unclosed", encoding="utf-8")
    with pytest.raises(SelectionError, match="guidance rules cannot be used"):
        load_rules(broken)
    with pytest.raises(SelectionError, match="unknown field 'latncy'"):
        parse_rules({"version": 1, "rules": [{"id": "x", "reason": "selection.reasons.latency_ok",
                                              "when": [["latncy", "is_set"]]}]})
    with pytest.raises(SelectionError, match="not a key of"):
        parse_rules({"version": 1, "rules": [{"id": "x", "reason": "selection.reasons.nope"}]})
    with pytest.raises(SelectionError, match="unknown op"):
        parse_rules({"version": 1, "rules": [{"id": "x", "reason": "selection.reasons.latency_ok",
                                              "candidate": [["parameters", "=~", 3]]}]})


def test_an_edited_rule_changes_the_ranking():
    custom = parse_rules({"version": 1, "rules": [
        {"id": "prefer_small", "candidate": [["size_mb", "<", 0.1]], "score": 20,
         "reason": "selection.reasons.on_premises"}]})
    rec = recommend(table(logreg=0.80, cnn=0.98), REQUIREMENTS, use_case="vision", rules=custom)
    assert rec.ranked[0].model == "logreg" and rec.ranked[0].score == pytest.approx(2.0)


def test_markdown_in_chinese():
    truth, base = predictions(1000, 970, seed=0)
    _, cnn = predictions(1000, 972, seed=1)
    significance = {"cnn": beats_baseline(truth, cnn, base, model="cnn", baseline="logreg")}
    strict = Requirements(labelled_examples=20_000, latency_target_ms=0.05, retrain="weekly")
    markdown = to_markdown(recommend(table(logreg=0.970, cnn=0.972), strict, use_case="vision",
                                     significance=significance), "zh")
    assert markdown.startswith("# 模型推荐：")
    assert "没有任何候选模型满足的需求" in markdown and "简单基线同样出色" in markdown
    assert "准确率 97.2%，基线为 97.0%" in markdown and "每周" in markdown
    assert translate("selection.md.title", "en", use_case="x") not in markdown


def _rating_table(rmse: dict[str, float]) -> pd.DataFrame:
    kinds = {"bias": "sklearn", "mf": "keras"}
    return pd.DataFrame([{"model": model, "kind": kinds[model], "test_rmse": value, "train_seconds": 1.0,
                          "train_size": 80_000, "device": "CPU", "run_id": f"run-{model}",
                          "dataset_fingerprint": "fp", "latency_p50_ms": 0.5, "latency_p95_ms": 0.7}
                         for model, value in rmse.items()])


def test_rating_guidance_reads_rmse_in_its_own_unit_and_lower_wins():
    rec = recommend(_rating_table({"bias": 0.891, "mf": 0.852}), Requirements(labelled_examples=80_000),
                    use_case="recommendation")
    assert rec.ranked[0].model == "mf" and not rec.baseline_wins  # 4.4 % lower error than the baseline
    texts = [render_reason(key, params) for key, params in rec.ranked[0].reasons]
    assert texts[0] == "Measured RMSE: 0.852, the best of the candidates."
    assert any(text.startswith("RMSE 0.852 vs baseline 0.891 (-0.039). McNemar tests accuracy only") for text in texts)


def test_rating_baseline_margin_is_relative_to_the_baseline_error():
    # 0.5 % lower RMSE is inside the 1 % margin: the baseline is as good; 1.0 RMSE absolute would hide any gain.
    rec = recommend(_rating_table({"bias": 0.891, "mf": 0.887}), Requirements(labelled_examples=80_000),
                    use_case="recommendation")
    assert rec.baseline_wins


def test_metric_formats_match_how_people_read_them():
    from core.evaluation.catalogue import format_metric
    from core.selection.advice_text import format_gap, format_quality

    assert format_metric("test_accuracy", 0.97222) == "97.22%"
    assert format_metric("test_roc_auc", 0.8351) == "0.835"
    assert format_metric("test_rmse", float("nan")) == "–"
    assert format_quality("test_roc_auc", 83.51) == "0.835"  # guidance holds ratio metrics x100
    assert format_gap("test_accuracy", 1.25) == "+1.2 points" or format_gap("test_accuracy", 1.25) == "+1.3 points"
    assert format_gap("test_accuracy", -2.0, "zh") == "-2.0 个百分点"
    assert format_gap("test_rmse", 0.039) == "-0.039"  # 0.039 better = 0.039 lower error


def test_reasons_name_the_candidates_in_the_readers_language():
    rec = recommend(table(logreg=0.90, cnn=0.985), REQUIREMENTS, use_case="vision")
    text = " ".join(render_reason(key, params) for key, params in rec.ranked[1].reasons)
    assert "Convolutional network (CNN) at 98.5%" in text and " cnn " not in f" {text} "
    chinese = " ".join(render_reason(key, params, "zh") for key, params in rec.ranked[1].reasons)
    assert translate("models.cnn.name", "zh") in chinese


def test_a_lower_rmse_outweighs_a_one_point_penalty_as_an_accuracy_gain_would():
    """RMSE 0.870 vs 0.887 is 2 % less error; scored as a raw 0.017 it lost to the bias baseline on any penalty."""
    rows = [("popularity", "sklearn", 1.055, 9_067), ("bias", "sklearn", 0.887, 9_738), ("mf", "keras", 0.870, 1_256_073)]
    ratings = pd.DataFrame([{"model": model, "kind": kind, "test_rmse": rmse, "parameters": parameters,
                             "train_seconds": 5.0, "train_size": 80_003, "device": "CPU", "run_id": model}
                            for model, kind, rmse, parameters in rows])
    rec = recommend(ratings, Requirements(labelled_examples=80_003), use_case="recommendation")
    assert [item.model for item in rec.ranked] == ["mf", "bias", "popularity"]
    mf, bias = rec.ranked[0], rec.ranked[1]
    assert "selection.reasons.cpu_large_model" in [key for key, _ in mf.reasons]  # penalised, still first
    assert bias.score == pytest.approx(-(0.887 - 0.870) / 0.870 * 100, abs=1e-3)  # -1.954 points
    assert mf.score == pytest.approx(-1.0)


def test_a_candidate_best_on_hit_rate_is_named_beside_an_rmse_recommendation():
    """Issue 21 item 7d: u.data recommended matrix factorisation by RMSE while popularity had the best HitRate@10."""
    rows = [("popularity", "sklearn", 1.025, 0.084), ("bias", "sklearn", 0.944, 0.012), ("mf", "keras", 0.921, 0.030)]
    ratings = pd.DataFrame([{"model": model, "kind": kind, "test_rmse": rmse, "test_hit_rate_at_10": hit,
                             "train_seconds": 5.0, "train_size": 80_000, "device": "CPU", "run_id": model}
                            for model, kind, rmse, hit in rows])
    rec = recommend(ratings, Requirements(labelled_examples=80_000), use_case="recommendation")
    assert rec.ranked[0].model == "mf"
    assert rec.leaders == [{"metric": "test_hit_rate_at_10", "model": "popularity", "value": 0.084,
                            "recommended": "mf", "recommended_value": 0.030}]
    from core.selection.advice_text import leader_text

    text = leader_text(rec, rec.leaders[0])
    assert text.startswith("The recommendation ranks by RMSE. By HitRate@10, Popularity") and "8.40%" in text \
        and "3.00% for Matrix factorisation" in text, text
    assert "HitRate@10" in leader_text(rec, rec.leaders[0], "zh") and "8.40%" in leader_text(rec, rec.leaders[0], "zh")
    assert text in to_markdown(rec)
    # When the recommended model also leads on HitRate@10 (or nobody measured it), nothing more is said.
    ratings.loc[ratings["model"] == "mf", "test_hit_rate_at_10"] = 0.09
    assert recommend(ratings, Requirements(labelled_examples=80_000), use_case="recommendation").leaders == []
    assert recommend(ratings.drop(columns=["test_hit_rate_at_10"]), Requirements(labelled_examples=80_000),
                     use_case="recommendation").leaders == []
