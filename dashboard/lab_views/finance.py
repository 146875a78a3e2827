"""Finance risk lab: credit data profile, train and compare models, thresholds and costs, reasons, fairness."""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from core.errors import StudioError
from dashboard import finance_charts as charts
from dashboard import access, views
from dashboard.i18n import dataset_source, device_text, error_text, t
from dashboard.widgets import translated_choice

MISSING_LABEL = "(missing)"


# ---- Runs page hooks -------------------------------------------------------------------------

def render_metric_row(metrics: dict[str, float], tags: dict[str, str]) -> None:
    """Headline figures of a credit run: ranking quality first; accuracy is not headlined (imbalance)."""
    columns = [*st.columns(4), *st.columns(4)]

    def show(column, label_key, name, fmt, help_key=None):
        value = metrics.get(name)
        text = fmt.format(value) if value is not None and np.isfinite(value) else "–"
        column.metric(t(label_key), text, help=t(help_key) if help_key else None)

    show(columns[0], "finance.metric.roc_auc", "test_roc_auc", "{:.3f}", "finance.metric.roc_auc_help")
    show(columns[1], "finance.metric.gini", "test_gini", "{:.3f}", "finance.metric.gini_help")
    show(columns[2], "finance.metric.ks", "test_ks", "{:.3f}", "finance.metric.ks_help")
    show(columns[3], "finance.metric.pr_auc", "test_pr_auc", "{:.3f}", "finance.metric.pr_auc_help")
    show(columns[4], "finance.metric.min_cost", "test_min_cost", "{:.3f}", "finance.metric.min_cost_help")
    show(columns[5], "finance.metric.latency", "latency_p50_ms", "{:.2f} ms", "finance.metric.latency_help")
    show(columns[6], "finance.metric.train_time", "train_seconds", "{:.1f} s")
    columns[7].metric(t("finance.metric.device"), device_text(tags.get("studio.device")))


def render_evaluation(evaluation: dict[str, Any], *, key: str, dataset: Any = None) -> None:
    """A stored credit evaluation as charts, at its cost-optimal threshold (Runs page)."""
    optimal = evaluation.get("optimal", {}).get("threshold", 0.5)
    _render_curves({t("finance.this_model"): evaluation}, evaluation, threshold=optimal, key=key,
                   threshold_label=t("finance.optimal"))
    _render_importance(evaluation, key=key)


# ---- Lab -------------------------------------------------------------------------------------

def render_lab(use_case: Any) -> None:
    """The finance lab below the use-case picker: data, train, results, try an applicant."""
    from dashboard.services import get_job_queue, get_tracker

    tab_data, tab_train, tab_results, tab_try = st.tabs(
        [t("finance.tab_data"), t("finance.tab_train"), t("finance.tab_results"), t("finance.tab_try")])
    with tab_data:
        loaded = _render_data(use_case)
    if loaded is None:
        for tab in (tab_train, tab_results, tab_try):
            with tab:
                st.info(t("finance.need_data"))
        return
    dataset, source_id, seed, kwargs = loaded
    queue = get_job_queue()
    with tab_train:
        _render_training(use_case, dataset, source_id, seed, kwargs, queue)
    tracker = get_tracker()
    with tab_results:
        run_id = views.render_run_picker(tracker, use_case.id, source_id, key="finance_result_run")
        if run_id is None:
            st.info(t("finance.no_runs"))
        else:
            _render_results(tracker, run_id, dataset, source_id, seed, kwargs)
    with tab_try:
        if run_id is None:
            st.info(t("finance.try_needs_run"))
        else:
            _render_applicant(tracker, run_id, dataset)


# ---- 1. Data ---------------------------------------------------------------------------------

def _render_data(use_case: Any):
    sources = {source.id: source for source in use_case.datasets if source.kind != "uploaded" or access.can("upload")}
    source_id = translated_choice(
        st.selectbox, t("finance.dataset"), list(sources), key="finance_dataset",
        format_func=lambda sid: t(sources[sid].title_key))
    source = sources[source_id]
    if source.description_key:
        st.caption(t(source.description_key))
    left, right = st.columns(2)
    seed = int(left.number_input(t("finance.seed"), min_value=0, max_value=2**31 - 1, value=0, step=1,
                                 key="finance_seed", help=t("finance.seed_help")))
    balance = translated_choice(right.selectbox, t("finance.balance"), ["none", "oversample", "undersample"],
                                key="finance_balance", format_func=lambda b: t(f"finance.balance_{b}"),
                                help=t("finance.balance_help"))
    kwargs: dict[str, Any] = {} if balance == "none" else {"balance": balance}
    available, reason_key = source.is_available()
    if not available:
        st.warning(t(reason_key or "finance.source_unavailable"))
        return None
    if source.kind == "uploaded":
        upload_kwargs = _render_upload()
        if upload_kwargs is None:
            return None
        kwargs.update(upload_kwargs)
    try:
        dataset = views.load_dataset_for_ui(use_case.id, source_id, seed, kwargs)
    except StudioError as error:
        st.error(error_text(error))
        return None
    _render_profile(dataset, upload_name=views.upload_name(kwargs))
    return dataset, source_id, seed, kwargs


def _render_upload() -> dict[str, Any] | None:
    """CSV upload, target column and "bad" value; None (with a message) until all three are usable."""
    from core.training.pipeline import store_upload
    from core.usecases.finance.data import guess_bad_value, guess_target, read_csv_bytes, target_values

    upload = views.checked_uploader(t("finance.upload"), key="finance_upload", help_key="finance.upload_help",
                                    needed_key="finance.upload_needed")
    if upload is None:
        return None
    try:
        data = views.upload_bytes(upload)
        frame, encoding = read_csv_bytes(data)
    except StudioError as error:
        st.error(error_text(error))
        return None
    st.caption(t("finance.upload_read", rows=len(frame), columns=frame.shape[1], encoding=encoding))
    columns = list(frame.columns)
    # Every file starts from the detection for that file: choices made for an earlier (maybe refused)
    # upload are never carried over, or a one-row file's "good" became the new file's "bad" value.
    identity = hashlib.sha256(data).hexdigest()[:16]
    if (st.session_state.get("finance_upload_identity") != identity
            or st.session_state.get("finance_target") not in columns):
        st.session_state["finance_upload_identity"] = identity
        st.session_state["finance_target"] = guess_target(columns)
    left, right = st.columns(2)
    target = left.selectbox(t("finance.target"), columns, key="finance_target", help=t("finance.target_help"))
    values = target_values(frame[target])
    if not values:
        st.error(t("errors.finance.no_target_values", column=target))
        return None
    if (st.session_state.get("finance_bad_value_for") != (identity, target)
            or st.session_state.get("finance_bad_value") not in values):  # a new file or target: detect again
        st.session_state["finance_bad_value_for"] = (identity, target)
        st.session_state["finance_bad_value"] = guess_bad_value(values)
    bad_value = right.selectbox(t("finance.bad_value"), values, key="finance_bad_value",
                                help=t("finance.bad_value_help"))
    path = store_upload(data, suffix=".csv")
    return {"path": str(path), "target": str(target), "bad_value": str(bad_value), **views.upload_name_kwargs(upload)}


def _render_profile(dataset: Any, *, upload_name: str = "") -> None:
    from core.usecases.finance.profile import profile

    report = _profile(dataset, profile)
    provenance, licence = dataset_source(dataset, upload_name=upload_name)
    st.caption(t("finance.provenance", provenance=provenance, licence=licence))
    cols = st.columns(4)
    cols[0].metric(t("finance.rows"), f"{sum(report['rows'].values()):,}")
    cols[1].metric(t("finance.features"), f"{len(report['columns'])}")
    cols[2].metric(t("finance.bad_rate"), f"{report['bad_rate']:.1%}", help=t("finance.bad_rate_help"))
    cols[3].metric(t("finance.test_rows"), f"{report['rows']['test']:,}",
                   help=t("finance.split_help", train=f"{report['rows']['train']:,}", val=f"{report['rows']['val']:,}"))
    if report["bad_rate"] < 0.1:
        st.warning(t("finance.imbalance_warning", rate=f"{report['bad_rate']:.1%}",
                     accuracy=f"{1 - report['bad_rate']:.1%}"))
    if dataset.extra.get("balance", "none") != "none":
        st.info(t("finance.balance_applied", balance=t(f"finance.balance_{dataset.extra['balance']}"),
                  rate=f"{float(np.mean(dataset.y_train)):.1%}"))
    for note in report["notes"]:
        st.info(t(f"finance.note.{note['kind']}", **{k: v for k, v in note.items() if k != "kind"}))
    table = pd.DataFrame({
        t("finance.col_column"): [c["name"] for c in report["columns"]],
        t("finance.col_type"): [t(f"finance.kind_{c['kind']}") for c in report["columns"]],
        t("finance.col_missing"): [f"{c['missing']:,} ({c['missing_share']:.1%})" for c in report["columns"]],
        t("finance.col_distinct"): [c["distinct"] for c in report["columns"]],
    })
    st.dataframe(table, hide_index=True, width="stretch", height=min(600, 38 + 35 * len(table)))
    # The box and its chart belong to this dataset: keyed by its fingerprint, so switching datasets
    # gives a fresh box (first column) and chart rather than one left over from the other table.
    names = [c["name"] for c in report["columns"]]
    scope = dataset.fingerprint
    column = st.selectbox(t("finance.bad_rate_by"), names, key=f"finance_profile_column_{scope}")
    chosen = next(c for c in report["columns"] if c["name"] == column)
    st.plotly_chart(charts.plot_bad_rate_by_level(
        chosen["levels"], overall=report["bad_rate"], title=t("finance.bad_rate_chart", column=column),
        x_title=column, y_title=t("finance.bad_rate"), overall_label=t("finance.overall")),
        key=f"finance_profile_chart_{scope}")


@st.cache_data(max_entries=8, show_spinner=False)
def _profile_cached(fingerprint: str, _dataset: Any, _profile_fn: Any) -> dict[str, Any]:
    return _profile_fn(_dataset)


def _profile(dataset: Any, profile_fn: Any) -> dict[str, Any]:
    return _profile_cached(dataset.fingerprint + dataset.extra.get("balance", ""), dataset, profile_fn)


# ---- 2. Train --------------------------------------------------------------------------------

def _finance_model(model_id: str) -> str:
    return views.model_name("finance", model_id)


def _render_training(use_case: Any, dataset: Any, source_id: str, seed: int, kwargs: dict[str, Any], queue: Any) -> None:
    bad_share = float(np.mean(dataset.y_train))
    own_job = views.render_candidate_training(
        use_case, source_id, seed, kwargs, queue, prefix="finance", batch_sizes=[32, 64, 128, 256],
        early_stopping=True, max_epochs=300,
        learning_rates=[1e-4, 3e-4, 1e-3, 3e-3, 1e-2], patience=5,
        class_weight_help=t("finance.class_weight_help", ratio=f"{(1 - bad_share) / max(bad_share, 1e-9):.1f}"))
    if own_job:
        _render_job(queue, own_job)


def _render_job(queue: Any, job_id: str) -> None:
    """Live progress of the finance job with loss and ROC-AUC curves, then how it ended (ROC-AUC, not accuracy)."""
    views.render_job_progress(queue, job_id, prefix="finance", render_curves=_render_history,
                              evaluating_key="finance.evaluating", render_outcome=_render_outcome)


def _render_outcome(state: Any) -> None:
    if state.state == "completed" and getattr(state.result, "status", "") != "cancelled":
        auc = (state.result.metrics or {}).get("test_roc_auc")
        st.success(t("finance.finished", auc=f"{auc:.3f}" if auc is not None else "–"))
    else:
        views.render_job_outcome(state)  # cancelled or failed: the lab's wording, with the error in the user's language


def _render_history(history: dict[str, list[float]], *, key: str) -> None:
    from dashboard.charts import plot_history

    if not views.has_curve(history):
        if history:
            st.caption(t("lab_forms.one_point_history"))
        return
    left, right = st.columns(2)
    left.plotly_chart(plot_history(history, metric="loss", title=t("finance.loss_curve"), x_title=t("finance.epoch"),
                                   y_title=t("finance.loss"), train_label=t("finance.train_split"),
                                   val_label=t("finance.val_split")), key=f"{key}_loss")
    if history.get("auc"):
        right.plotly_chart(plot_history(history, metric="auc", title=t("finance.auc_curve"), x_title=t("finance.epoch"),
                                        y_title="ROC-AUC", train_label=t("finance.train_split"),
                                        val_label=t("finance.val_split")), key=f"{key}_auc")


# ---- 3. Results ------------------------------------------------------------------------------

def _load_evaluation(tracker: Any, run_id: str) -> dict[str, Any] | None:
    from core.training.pipeline import EVALUATION_FILE

    try:
        return tracker.load_dict(run_id, EVALUATION_FILE)
    except (StudioError, FileNotFoundError, OSError):
        return None


def _comparable_runs(tracker: Any, source_id: str, seed: int, kwargs: dict[str, Any]) -> pd.DataFrame:
    """Completed finance runs on the same test split (same dataset, seed and upload)."""
    runs = tracker.list_runs(use_case="finance")
    if runs.empty:
        return runs
    keep = (runs["dataset"] == source_id) & (runs["status"] == "completed") & runs.get("test_roc_auc", pd.Series(
        np.nan, index=runs.index)).notna()
    if "seed" in runs:
        keep &= runs["seed"].astype(str) == str(seed)
    for name in ("path", "target", "bad_value"):
        if name in kwargs and f"data_{name}" in runs:
            keep &= runs[f"data_{name}"].astype(str) == str(kwargs[name])
    return runs[keep]


def recommendation(runs: pd.DataFrame, *, bad_rate: float) -> list[tuple[str, dict[str, Any]]]:
    """Guidance lines (i18n key, params) from measured runs on one split: best AUC, gain over scorecard, cost."""
    if runs.empty:
        return []
    latest = runs.drop_duplicates(subset=["model"], keep="first")  # newest run per model
    best = latest.loc[latest["test_roc_auc"].idxmax()]
    lines: list[tuple[str, dict[str, Any]]] = [("finance.guide.best", {
        "model": _finance_model(best["model"]), "auc": f"{best['test_roc_auc']:.3f}", "n": len(latest)})]
    scorecard = latest[latest["model"] == "scorecard"]
    if len(latest) == 1:
        lines.append(("finance.guide.one_model", {}))
    elif scorecard.empty:
        lines.append(("finance.guide.no_scorecard", {}))
    elif best["model"] == "scorecard":
        lines.append(("finance.guide.scorecard_best", {"auc": f"{scorecard.iloc[0]['test_roc_auc']:.3f}"}))
    else:
        gain = float(best["test_roc_auc"] - scorecard.iloc[0]["test_roc_auc"])
        key = "finance.guide.gain_small" if gain < 0.01 else "finance.guide.gain_large"
        lines.append((key, {"model": _finance_model(best["model"]), "gain": f"{gain:.3f}",
                            "scorecard": f"{scorecard.iloc[0]['test_roc_auc']:.3f}"}))
    if "test_min_cost" in latest and latest["test_min_cost"].notna().any():
        cheapest = latest.loc[latest["test_min_cost"].idxmin()]
        lines.append(("finance.guide.cost", {"model": _finance_model(cheapest["model"]),
                                             "cost": f"{cheapest['test_min_cost']:.3f}"}))
    if bad_rate < 0.1:
        lines.append(("finance.guide.imbalance", {"rate": f"{bad_rate:.1%}", "accuracy": f"{1 - bad_rate:.1%}"}))
    return lines


def _render_results(tracker: Any, run_id: str, dataset: Any, source_id: str, seed: int, kwargs: dict[str, Any]) -> None:
    try:
        run = tracker.get_run(run_id)
    except StudioError as error:
        st.error(error_text(error))
        return
    render_metric_row(run.data.metrics, run.data.tags)
    status = run.data.tags.get("studio.status", "")
    if status != "completed":
        st.warning(t("finance.run_not_completed", status=status))
        return
    evaluation = _load_evaluation(tracker, run_id)
    if not evaluation:
        st.warning(t("finance.no_evaluation"))
        return
    same_data = evaluation.get("dataset_fingerprint") == dataset.fingerprint

    runs = _comparable_runs(tracker, source_id, seed, kwargs)
    st.subheader(t("finance.compare_title"))
    if not runs.empty:
        table = runs.drop_duplicates(subset=["model"], keep="first")
        st.dataframe(pd.DataFrame({
            t("finance.col_model"): table["model"].map(_finance_model),
            "ROC-AUC": table["test_roc_auc"].map("{:.3f}".format),
            "Gini": table["test_gini"].map("{:.3f}".format),
            "KS": table["test_ks"].map("{:.3f}".format),
            "PR-AUC": table["test_pr_auc"].map("{:.3f}".format),
            t("finance.metric.min_cost"): table.get("test_min_cost", pd.Series(np.nan, index=table.index)).map(
                lambda v: f"{v:.3f}" if pd.notna(v) else "–"),
            t("finance.metric.train_time"): table["train_seconds"].map(lambda v: f"{v:.1f} s"),
            t("finance.metric.latency"): table.get("latency_p50_ms", pd.Series(np.nan, index=table.index)).map(
                lambda v: f"{v:.2f} ms" if pd.notna(v) else "–"),
        }), hide_index=True, width="stretch")
        for key, params in recommendation(runs, bad_rate=float(np.mean(dataset.y_test))):
            st.markdown(f"- {t(key, **params)}")

    st.subheader(t("finance.threshold_title"))
    c1, c2 = st.columns(2)
    cost_bad = c1.number_input(t("finance.cost_bad"), min_value=0.0, max_value=1000.0, value=5.0, step=0.5,
                               key="finance_cost_bad", help=t("finance.cost_bad_help"))
    cost_good = c2.number_input(t("finance.cost_good"), min_value=0.0, max_value=1000.0, value=1.0, step=0.5,
                                key="finance_cost_good", help=t("finance.cost_good_help"))
    if cost_bad == 0 and cost_good == 0:
        st.error(t("errors.finance.bad_costs", bad=cost_bad, good=cost_good))
        return
    from core.usecases.finance.metrics import at_threshold, optimal_threshold, threshold_table

    y_true = np.asarray(evaluation["y_true"])
    scores = np.asarray(evaluation["scores"])
    table = threshold_table(y_true, scores, cost_bad_approved=cost_bad, cost_good_rejected=cost_good)
    best = optimal_threshold(table)
    slider_key = f"finance_threshold_{run_id[:8]}"
    marker = (round(best["threshold"], 2), cost_bad, cost_good)
    if st.session_state.get(f"{slider_key}_marker") != marker:  # new run or costs: start at the optimum
        st.session_state[f"{slider_key}_marker"] = marker
        st.session_state[slider_key] = float(round(best["threshold"], 2))
    threshold = st.slider(t("finance.threshold"), min_value=0.0, max_value=1.0, step=0.01, key=slider_key,
                          help=t("finance.threshold_help"))
    point = at_threshold(y_true, scores, threshold, cost_bad_approved=cost_bad, cost_good_rejected=cost_good)
    m = st.columns(4)
    m[0].metric(t("finance.approval_rate"), f"{point['approval_rate']:.1%}")
    m[1].metric(t("finance.bad_rate_approved"), f"{point['bad_rate_approved']:.1%}",
                help=t("finance.bad_rate_approved_help", base=f"{np.mean(y_true):.1%}"))
    m[2].metric(t("finance.expected_cost"), f"{point['expected_cost']:.3f}",
                delta=(f"{point['expected_cost'] - best['expected_cost']:+.3f}"
                       if point["expected_cost"] - best["expected_cost"] > 5e-4 else None), delta_color="inverse",
                help=t("finance.expected_cost_help"))
    m[3].metric(t("finance.optimal_threshold"), f"{best['threshold']:.2f}",
                help=t("finance.optimal_help", cost=f"{best['expected_cost']:.3f}",
                       approval=f"{best['approval_rate']:.1%}"))
    st.caption(t("finance.threshold_counts", bad=point["bad_approved"], good=point["good_rejected"], n=len(y_true)))
    st.plotly_chart(charts.plot_threshold_tradeoff(
        table, threshold=threshold, optimal=best["threshold"], title=t("finance.tradeoff_title"),
        x_title=t("finance.threshold_axis"), rate_title=t("finance.rate_axis"), cost_title=t("finance.cost_axis"),
        approval_label=t("finance.approval_rate"), bad_rate_label=t("finance.bad_rate_approved"),
        cost_label=t("finance.expected_cost"), chosen_label=t("finance.chosen"), optimal_label=t("finance.optimal")),
        key=f"finance_tradeoff_{run_id}")
    views.render_business_case(tracker, run_id, "finance", evaluation)

    st.subheader(t("finance.curves_title"))
    overlay = {}
    for row in runs.drop_duplicates(subset=["model"], keep="first").to_dict("records") if not runs.empty else []:
        other = evaluation if row["run_id"] == run_id else _load_evaluation(tracker, row["run_id"])
        if other:
            overlay[_finance_model(row["model"])] = other
    if not overlay:
        overlay = {t("finance.this_model"): evaluation}
    _render_curves(overlay, evaluation, threshold=threshold, key=f"finance_{run_id}")
    _render_importance(evaluation, key=f"finance_{run_id}")
    if same_data:
        _render_fairness(dataset, evaluation, threshold=threshold, key=f"finance_{run_id}")
    else:
        st.info(t("finance.fairness_other_data"))


def _render_curves(overlay: dict[str, dict[str, Any]], evaluation: dict[str, Any], *, threshold: float, key: str,
                   threshold_label: str | None = None) -> None:
    left, right = st.columns(2)
    left.plotly_chart(charts.plot_roc(
        {label: {**e["roc"], "auc": e["roc_auc"]} for label, e in overlay.items()}, title=t("finance.roc_title"),
        x_title=t("finance.fpr"), y_title=t("finance.tpr"), chance_label=t("finance.chance")), key=f"{key}_roc")
    right.plotly_chart(charts.plot_pr(
        {label: {**e["pr"], "pr_auc": e["pr_auc"]} for label, e in overlay.items()},
        base_rate=float(evaluation.get("bad_rate", 0.0)), title=t("finance.pr_title"), x_title=t("finance.recall"),
        y_title=t("finance.precision"), base_label=t("finance.pr_base")), key=f"{key}_pr")
    left, right = st.columns(2)
    left.plotly_chart(charts.plot_ks(
        evaluation["ks_curve"], ks=evaluation["ks"], ks_threshold=evaluation["ks_threshold"], title=t("finance.ks_title"),
        x_title=t("finance.score_axis"), y_title=t("finance.cumulative_share"), good_label=t("finance.good"),
        bad_label=t("finance.bad"), ks_label="KS"), key=f"{key}_ks")
    right.plotly_chart(charts.plot_score_distribution(
        evaluation["histogram"], threshold=threshold, title=t("finance.distribution_title"),
        x_title=t("finance.score_axis"), y_title=t("finance.share_of_group"), good_label=t("finance.good"),
        bad_label=t("finance.bad"), threshold_label=threshold_label or t("finance.chosen")), key=f"{key}_hist")
    st.plotly_chart(charts.plot_calibration(
        evaluation["calibration"], title=t("finance.calibration_title"), x_title=t("finance.predicted_axis"),
        y_title=t("finance.observed_axis"), model_label=t("finance.this_model"), perfect_label=t("finance.perfect")),
        key=f"{key}_calibration")
    st.caption(t("finance.calibration_note", brier=f"{evaluation.get('brier', float('nan')):.3f}"))


def _render_importance(evaluation: dict[str, Any], *, key: str) -> None:
    st.subheader(t("finance.importance_title"))
    st.plotly_chart(charts.plot_importance(evaluation.get("importance", []), title=t("finance.importance_chart"),
                                           x_title=t("finance.importance_axis")), key=f"{key}_importance")
    st.caption(t("finance.importance_note"))


def _render_fairness(dataset: Any, evaluation: dict[str, Any], *, threshold: float, key: str) -> None:
    from core.usecases.finance.fairness import EXTREME_APPROVAL, group_report
    from core.usecases.finance.profile import band_column

    st.subheader(t("finance.fairness_title"))
    features = dataset.extra["features"]
    names = [f["name"] for f in features]
    preferred = next((n for n in names if n.lower() in ("age", "marital", "sex", "gender", "年龄", "性别")), names[0])
    if st.session_state.get("finance_sensitive") not in names:
        st.session_state["finance_sensitive"] = preferred
    left, right = st.columns(2)
    column = left.selectbox(t("finance.sensitive"), names, key="finance_sensitive", help=t("finance.sensitive_help"))
    # The fairness threshold starts at (and follows) the threshold chosen above until the person moves it.
    slider_key = f"{key}_fairness_threshold"
    if st.session_state.get(f"{slider_key}_follows") != threshold:
        st.session_state[f"{slider_key}_follows"] = threshold
        st.session_state[slider_key] = float(threshold)
    fair_threshold = right.slider(t("finance.fairness_threshold"), min_value=0.0, max_value=1.0, step=0.01,
                                  key=slider_key, help=t("finance.fairness_threshold_help", threshold=f"{threshold:.2f}"))
    feature = next(f for f in features if f["name"] == column)
    groups = band_column(dataset.x_test[feature["key"]], feature["kind"], bins=4)
    if len(set(groups)) > 12:
        st.warning(t("finance.too_many_groups", count=len(set(groups))))
        return
    report = group_report(evaluation["y_true"], evaluation["scores"], groups, threshold=fair_threshold)
    if report["approval_extreme"]:
        st.warning(t(f"finance.fairness_approval_{report['approval_extreme']}", approval=_pct(report["approval_rate"]),
                     threshold=f"{fair_threshold:.2f}", limit=f"{EXTREME_APPROVAL:.0%}"))
    minimum = report["min_group_size"]
    c1, c2 = st.columns(2)
    dp, eo = report["demographic_parity_difference"], report["equalized_odds_difference"]
    c1.metric(t("finance.dp_difference"), f"{dp:.3f}" if dp is not None else "–",
              help=t("finance.dp_help", minimum=minimum))
    c2.metric(t("finance.eo_difference"), f"{eo:.3f}" if eo is not None else "–",
              help=t("finance.eo_help", minimum=minimum))
    if report["small_groups"]:
        st.info(t("finance.fairness_small_groups", groups=", ".join(report["small_groups"]), minimum=minimum))
    if dp is None:
        st.info(t("finance.fairness_too_few_groups", minimum=minimum))
    st.plotly_chart(charts.plot_group_rates(report["groups"], title=t("finance.group_chart", column=column,
                                                                                threshold=f"{fair_threshold:.2f}"),
                                            y_title=t("finance.rate_axis"), approval_label=t("finance.approval_rate"),
                                            tpr_label=t("finance.tpr_group"), fpr_label=t("finance.fpr_group"),
                                            small_label=t("finance.group_too_small")),
                    key=f"{key}_fairness")
    st.dataframe(pd.DataFrame({
        t("finance.col_group"): [g["group"] for g in report["groups"]],
        t("finance.col_count"): [g["count"] for g in report["groups"]],
        t("finance.bad_rate"): [_pct(g["bad_rate"]) for g in report["groups"]],
        t("finance.approval_rate"): [_pct(g["approval_rate"]) for g in report["groups"]],
        t("finance.tpr_group"): [_pct(g["tpr"]) for g in report["groups"]],
        t("finance.fpr_group"): [_pct(g["fpr"]) for g in report["groups"]],
        t("finance.col_counted"): [t("finance.group_not_counted", minimum=minimum) if g["small"]
                                   else t("finance.group_counted") for g in report["groups"]],
    }), hide_index=True, width="stretch")
    st.caption(t("finance.fairness_note"))


def _pct(value: float | None) -> str:
    return f"{value:.1%}" if value is not None else "–"


# ---- 4. Try an applicant ---------------------------------------------------------------------

def _render_applicant(tracker: Any, run_id: str, dataset: Any) -> None:
    from core.usecases.finance.adapter import default_applicant_index, score_applicant
    from dashboard.views import _run_model

    try:
        completed = tracker.get_run(run_id).data.tags.get("studio.status") == "completed"
    except StudioError:
        completed = False
    evaluation = _load_evaluation(tracker, run_id) if completed else None
    if not evaluation:
        st.info(t("finance.try_needs_run"))
        return
    if evaluation.get("dataset_fingerprint") != dataset.fingerprint:
        st.info(t("finance.fairness_other_data"))
        return
    n_test = len(dataset.y_test)
    default_index = default_applicant_index(dataset)
    if "finance_applicant" not in st.session_state:
        st.session_state["finance_applicant"] = default_index
    index = int(st.number_input(t("finance.applicant_index", n=n_test), min_value=0, max_value=n_test - 1, step=1,
                                key="finance_applicant", help=t("finance.applicant_help")))
    truth = t("finance.bad") if dataset.y_test[index] == 1 else t("finance.good")
    st.caption(t("finance.applicant_truth", outcome=truth))
    applicant: dict[str, Any] = {}
    columns = st.columns(3)
    for position, feature in enumerate(dataset.extra["features"]):
        value = np.asarray(dataset.x_test[feature["key"]])[index]
        widget_key = f"finance_field_{index}_{feature['key']}"
        column = columns[position % 3]
        if feature["kind"] == "numeric":
            entered = column.number_input(feature["name"], value=None if np.isnan(value) else float(value),
                                          key=widget_key, placeholder=t("finance.missing_value"))
            applicant[feature["key"]] = np.array([np.nan if entered is None else entered], dtype="float32")
        else:
            other = t("finance.other_value")
            options = [MISSING_LABEL, *feature.get("vocabulary", [])]
            current = MISSING_LABEL if value == "" else str(value)
            if current not in options:
                options.append(current)
            options.append(other)
            entered = column.selectbox(feature["name"], options, index=options.index(current), key=widget_key)
            if entered == other:  # a value never seen in training: the Keras models send it to the OOV bucket
                entered = column.text_input(t("finance.other_value_for", column=feature["name"]),
                                            key=f"{widget_key}_other").strip() or MISSING_LABEL
            applicant[feature["key"]] = np.array(["" if entered in (None, MISSING_LABEL) else str(entered)], dtype=object)
    threshold = float(evaluation.get("optimal", {}).get("threshold", 0.5))
    slider_key = f"finance_threshold_{run_id[:8]}"
    threshold = float(st.session_state.get(slider_key, threshold))
    try:
        model = _run_model(run_id)
        with st.spinner(t("finance.scoring")):
            result = score_applicant(model, dataset, applicant, threshold=threshold)
    except StudioError as error:
        st.error(error_text(error))
        return
    c1, c2, c3 = st.columns(3)
    c1.metric(t("finance.score"), f"{result['score']:.1%}", help=t("finance.score_help"))
    c2.metric(t("finance.decision"), t(f"finance.decision_{result['decision']}"))
    c3.metric(t("finance.threshold"), f"{threshold:.2f}", help=t("finance.threshold_from_results"))
    for name, value in result["unseen"]:
        st.warning(t("finance.unseen", column=name, value=value))
    top = [r for r in result["reasons"] if abs(r["contribution"]) > 1e-9][:4]
    for reason in top:
        direction = t("finance.raises") if reason["contribution"] > 0 else t("finance.lowers")
        shown = _shown_value(dataset, applicant, reason["key"])
        st.markdown(f"- **{reason['name']} = {shown}** {direction} ({reason['contribution']:+.2f})")
    reasons = [{**r, "label": f"{r['name']} = {_shown_value(dataset, applicant, r['key'])}"} for r in result["reasons"]]
    st.plotly_chart(charts.plot_contributions(reasons, title=t("finance.reasons_title"),
                                              x_title=t("finance.reasons_axis"), up_label=t("finance.raises"),
                                              down_label=t("finance.lowers")), key="finance_reasons_chart")
    st.caption(t("finance.reasons_method", permutations=result["permutations"], background=result["background"]))


def _shown_value(dataset: Any, applicant: dict[str, Any], key: str) -> str:
    value = np.asarray(applicant[key]).reshape(-1)[0]
    missing = t("finance.missing_shown")
    if isinstance(value, (float, np.floating)):
        return missing if np.isnan(value) else f"{value:,.6g}"
    return missing if value == "" else str(value)
