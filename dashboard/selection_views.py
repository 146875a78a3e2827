"""Sections of the model-selection page: read widgets, call core.selection / core.deployment, render."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Callable

import numpy as np
import pandas as pd
import streamlit as st

from core.contract.usecase import EXPORT_TFLITE
from core.deployment.export import deployment_report
from core.errors import StudioError
from core.evaluation.catalogue import format_metric, higher_is_better
from core.selection.advice_text import leader_text
from core.selection.compare import quality_columns, significance_applies
from core.selection.guidance import Requirements, pick_baseline
from core.selection.significance import METRIC_INPUTS, compare_metric_with_baseline, compare_with_baseline, p_text
from core.strategy.starting_points import start_label
from dashboard import access, charts, selection_charts
from dashboard.history_views import curve_label
from dashboard.i18n import current_language, device_text, error_text, t
from dashboard.lab_results import load_evaluation
from dashboard.pretrained_views import ranking_marker
from dashboard.run_names import dataset_text, model_name
from dashboard.widgets import translated_choice

if TYPE_CHECKING:
    from core.contract.usecase import UseCase
    from core.selection.guidance import Recommendation
    from core.tracking.store import Tracker
    from core.training.jobs import JobQueue

BENCHMARK_KEY = "sel_benchmark_jobs"


def split_scope(use_case_id: str, fingerprint: str) -> str:
    """Suffix of the widget keys that belong to one use case's split (requirements, charts, export)."""
    return f"{use_case_id}_{str(fingerprint)[:16]}"


def split_options(completed: pd.DataFrame, fingerprints: dict[str, str]) -> dict[str, str]:
    """{dataset fingerprint: "dataset · seed · n runs"}, newest split first: runs are only compared within one.

    The dataset is named as people know it (an upload's file name and size); the data fingerprint is
    added only where two splits would otherwise read the same.
    """
    options: dict[str, str] = {}
    counts: dict[str, int] = {}
    for row in completed.to_dict("records"):
        fingerprint = fingerprints.get(row["run_id"])
        if not fingerprint:
            continue
        counts[fingerprint] = counts.get(fingerprint, 0) + 1
        seed = row.get("seed", "?")
        seed = int(seed) if isinstance(seed, float) and seed.is_integer() else seed
        options.setdefault(fingerprint, f"{dataset_text(row)} · {t('selection_page.seed')} {seed}")
    labels = list(options.values())
    return {fp: (t("selection_page.split_label", split=label, runs=counts[fp], fingerprint=fp[:8])
                 if labels.count(label) > 1 else t("run_names.split", split=label, runs=counts[fp]))
            for fp, label in options.items()}


def uploaded_splits(completed: pd.DataFrame, fingerprints: dict[str, str]) -> dict[str, str]:
    """{split fingerprint: newest completed run on it} for the splits of uploaded files (a learning curve can
    train on the same file, seed and settings as that run)."""
    found: dict[str, str] = {}
    if completed.empty or "source_kind" not in completed:
        return found
    for row in completed.sort_values("started", ascending=False).to_dict("records"):
        fingerprint = fingerprints.get(row["run_id"])
        if fingerprint and row.get("source_kind") == "uploaded":
            found.setdefault(fingerprint, row["run_id"])
    return found


def render_benchmark_all(use_case: UseCase, splits: dict[str, str], queue: JobQueue) -> None:
    """Train every default candidate on one split as background jobs, with their progress."""
    with st.expander(t("selection_page.benchmark_title"), expanded=not splits):
        sources = {source.id: source for source in use_case.datasets
                   if source.kind == "bundled" and source.is_available()[0]}
        left, middle, right = st.columns([3, 1, 1])
        source_id = translated_choice(left.selectbox, t("lab.dataset"), list(sources),
                                      key=f"sel_bench_dataset_{use_case.id}",
                                      format_func=lambda sid: t(sources[sid].title_key))
        seed = int(middle.number_input(t("lab.seed"), min_value=0, max_value=2**31 - 1, value=0, step=1,
                                       key=f"sel_bench_seed_{use_case.id}"))
        jobs_key = f"{BENCHMARK_KEY}_{use_case.id}"  # another use case's benchmark is not this page's progress
        jobs = st.session_state.get(jobs_key, [])
        busy = any(queue.get(job_id) is not None and queue.get(job_id).active for job_id in jobs)
        right.write("")
        with right:
            allowed = access.can("train", note=True)
        if allowed and right.button(t("selection_page.benchmark_button"), key="sel_benchmark", type="primary",
                                    disabled=busy):
            from core.training.pipeline import benchmark_specs
            from dashboard.training_form import submit_training

            # training_form.submit_training checks the role and records the signed-in user on each run
            jobs = []
            for spec in benchmark_specs(use_case.id, source_id, seed=seed):
                try:
                    jobs.append(submit_training(queue, use_case.id, spec.dataset, spec.candidate, spec.config,
                                                spec.dataset_kwargs))
                except StudioError as error:  # e.g. this person's identical job is still queued or running
                    st.error(error_text(error))
            st.session_state[jobs_key] = jobs
        st.caption(t("selection_page.benchmark_help"))
        if jobs:
            _render_benchmark_progress(queue, jobs)


def _render_benchmark_progress(queue: JobQueue, jobs: list[str]) -> None:
    active = any(queue.get(job_id) is not None and queue.get(job_id).active for job_id in jobs)

    @st.fragment(run_every=1.0 if active else None)
    def panel() -> None:
        states = [queue.get(job_id) for job_id in jobs]
        for state in states:
            if state is None:
                continue
            progress = state.progress
            fraction = 1.0 if state.finished else float(getattr(progress, "fraction", 0.0) or 0.0)
            st.progress(min(max(fraction, 0.0), 1.0),
                        text=f"{_name(state.meta.get('use_case'), state.meta.get('model', state.title))}: "
                             f"{t('training.status.' + state.state)}")
            if state.state == "failed" and state.error is not None:
                st.error(error_text(state.error))
        if active and all(state is None or state.finished for state in states):
            st.rerun()  # all done: redraw the comparison with the new runs

    panel()




def display_table(table: pd.DataFrame, use_case: UseCase) -> pd.DataFrame:
    """The comparison as a person reads it: translated headers, rounded figures, units in the headers."""
    shown = pd.DataFrame({t("selection.columns.model"): [_name(use_case.id, model) for model in table["model"]]})
    if "start" in table:  # pretrained vs from scratch vs baseline vs an LLM with k examples in its prompt
        k = table["shots"] if "shots" in table else pd.Series([None] * len(table))
        shown[t("pretrained.column")] = [start_label(start, shots, current_language())
                                         for start, shots in zip(table["start"], k)]
    for metric in quality_columns(use_case):
        if metric in table and table[metric].notna().any():
            name = t(f"selection.metrics.{metric}")
            shown[name] = table[metric].map(lambda v, m=metric: format_metric(m, v))
    if "llm_cost_per_1000" in table:  # an LLM is compared: what a decision costs to run, how often it answers badly
        from dashboard.llm_form import currency  # the payoff's currency, which runs' prices were typed in

        shown[t("selection.columns.llm_cost_per_1000_currency", currency=currency())] = table["llm_cost_per_1000"].map(
            lambda v: f"{v:,.2f}" if pd.notna(v) else "–")
        shown[t("selection.columns.test_invalid_rate")] = table["test_invalid_rate"].map(
            lambda v: f"{v:.1%}" if pd.notna(v) else "–")
    if "test_items" in table and "test_size" in table:  # a run that scored a sample: its figures are from fewer rows
        scored = pd.to_numeric(table["test_items"], errors="coerce").fillna(pd.to_numeric(table["test_size"],
                                                                                         errors="coerce"))
        if (scored < pd.to_numeric(table["test_size"], errors="coerce")).any():
            shown[t("selection.columns.scored")] = [
                t("selection.scored_sample", n=f"{n:,.0f}") if n < full else f"{n:,.0f}"
                for n, full in zip(scored, pd.to_numeric(table["test_size"], errors="coerce"))]
    formats = {"train_seconds": "{:.1f}", "parameters": "{:,.0f}", "size_mb": "{:.2f}", "latency_p50_ms": "{:.2f}",
               "latency_p95_ms": "{:.2f}", "batch_throughput": "{:,.0f}", "peak_rss_mb": "{:,.0f}"}
    asked = table["start"] == "llm" if "start" in table else pd.Series(False, index=table.index)
    for column, pattern in formats.items():
        if column in table:  # an LLM asked for answers trains nothing: its set-up time is not a training time
            values = table[column].where(~asked, math.nan) if column == "train_seconds" else table[column]
            shown[t(f"selection.columns.{column}")] = values.map(
                lambda v, p=pattern: p.format(v) if pd.notna(v) else "–")
    # an LLM behind an endpoint ran on that server, not on the machine that asked it
    hosts = table["sends_to"] if "sends_to" in table else pd.Series([""] * len(table), index=table.index)
    shown[t("selection.columns.device")] = [t("selection.endpoint_device", host=host) if isinstance(host, str) and host
                                            else device_text(device) for device, host in zip(table["device"], hosts)]
    return shown


def _sentence_case(text: str) -> str:
    """First letter up, the rest as written ("accuracy" -> "Accuracy", "ROC AUC" stays "ROC AUC")."""
    return text[:1].upper() + text[1:]


def _name(use_case_id: Any, model_id: Any) -> str:
    return model_name(use_case_id, model_id)


def _names(use_case_id: str, table: pd.DataFrame) -> dict[str, str]:
    """{model id: its name for people} of the compared candidates."""
    return {str(model): _name(use_case_id, model) for model in table["model"]}


def render_pareto(table: pd.DataFrame, quality: str, *, use_case_id: str, scope: str) -> None:
    st.plotly_chart(
        selection_charts.plot_pareto(table, quality_column=quality, names=_names(use_case_id, table),
                                     title=t("selection.charts.pareto_title"),
                                     x_title=t("selection.charts.pareto_x"),
                                     y_title=_sentence_case(t(f"selection.metrics.{quality}")),
                                     front_label=t("selection.charts.pareto_front"),
                                     size_label=t("selection.charts.pareto_size"),
                                     unknown_size_label=t("selection.charts.size_unknown"),
                                     empty_message=t("selection_page.no_latency")),
        key=f"sel_pareto_{scope}",
    )


def render_training_curves(tracker: Tracker, table: pd.DataFrame, use_case: UseCase, *, scope: str) -> None:
    """The compared runs' per-epoch training curves on one chart (the data-size learning curve is pretrained_views')."""
    histories = {_name(use_case.id, row["model"]): tracker.history(row["run_id"]) for row in table.to_dict("records")}
    # Accuracy when every run recorded it; otherwise the loss every run has (rating models: mean squared
    # error; credit models: Keras records AUC, scikit-learn accuracy, both record log loss).
    if not any(any(values) for history in histories.values() for values in history.values()):
        st.caption(t("selection_page.no_curves"))  # e.g. only LLM runs: asked, not trained, no epochs to draw
        return
    metric = "accuracy" if histories and all("accuracy" in history for history in histories.values()) else "loss"
    st.plotly_chart(
        charts.plot_runs_overlay(histories, metric=metric, title=t("selection_page.curves_title"),
                                 x_title=t("lab.epoch"), y_title=curve_label(metric, {use_case.task}),
                                 train_label=t("lab.train_split"), val_label=t("lab.val_split")),
        key=f"sel_curves_{scope}",
    )


def _stored_evaluations(tracker: Tracker, table: Any) -> dict[str, dict[str, Any]]:
    """{model: its run's stored evaluation} for the compared runs; a run whose file is gone is left out."""
    evaluations = {row["model"]: load_evaluation(tracker, row["run_id"]) for row in table.to_dict("records")}
    return {model: evaluation for model, evaluation in evaluations.items() if evaluation is not None}


def render_baseline_tests(tracker: Tracker, table: pd.DataFrame, use_case: UseCase, *, scope: str
                          ) -> tuple[dict, str | None]:
    """McNemar and bootstrap CI of each deep model against the simple baseline on the same test set."""
    baseline = pick_baseline(table, use_case, None)  # the use case's first baseline (finance: the scorecard)
    if baseline is None:
        st.info(t("selection.notes.no_baseline"))
        return {}, None
    metric = quality_columns(use_case)[0]
    if not significance_applies(metric):
        return _render_metric_bootstrap(tracker, table, metric, baseline, use_case_id=use_case.id), baseline
    memo_key = ("sel_mcnemar", baseline, tuple(sorted(table["run_id"])))
    memo = st.session_state.setdefault("sel_bootstrap_memo", {})
    if memo_key not in memo:  # finished runs' predictions never change: tested once per set of runs, not per rerun
        evaluations = _stored_evaluations(tracker, table)
        try:
            memo[memo_key] = compare_with_baseline(evaluations, baseline)
        except StudioError as error:
            st.warning(error_text(error))
            return {}, baseline
    results = dict(memo[memo_key])
    results.pop(baseline, None)
    st.plotly_chart(
        selection_charts.plot_baseline_comparison(list(results.values()), names=_names(use_case.id, table),
                                                  title=t("selection.charts.baseline_title"),
                                                  x_title=t("selection.charts.baseline_x"),
                                                  zero_label=t("selection.charts.baseline_zero"),
                                                  empty_message=t("selection_page.no_deep_models")),
        key=f"sel_baseline_chart_{scope}",
    )
    for model, result in results.items():
        st.markdown(t(f"selection_page.verdict_{result.verdict}", model=_name(use_case.id, model),
                      baseline=_name(use_case.id, baseline),
                      difference=f"{result.difference * 100:+.1f}", low=f"{result.ci_low * 100:+.1f}",
                      high=f"{result.ci_high * 100:+.1f}", p=p_text(result.p_value)))
    return results, baseline


def _render_metric_bootstrap(tracker: Tracker, table: pd.DataFrame, metric: str, baseline: str, *,
                             use_case_id: str) -> dict:
    """ROC-AUC or RMSE differences from the baseline with a paired bootstrap CI (McNemar fits accuracy only)."""
    metric_name = t(f"selection.metrics.{metric}")
    if metric not in METRIC_INPUTS:
        st.info(t("selection_page.no_significance", metric=metric_name, baseline=_name(use_case_id, baseline)))
        return {}
    memo_key = ("sel_bootstrap", metric, baseline, tuple(sorted(table["run_id"])))
    memo = st.session_state.setdefault("sel_bootstrap_memo", {})
    if memo_key not in memo:  # 1,000 resamples per model: computed once per set of runs, not on every widget change
        evaluations = _stored_evaluations(tracker, table)
        try:
            memo[memo_key] = compare_metric_with_baseline(evaluations, baseline, metric,
                                                          higher_is_better=higher_is_better(metric))
        except StudioError as error:
            st.warning(error_text(error))
            return {}
    results = memo[memo_key]
    st.caption(t("selection_page.bootstrap_note", metric=metric_name))
    if not results:
        st.info(t("selection_page.no_deep_models"))
    for model, result in results.items():
        st.markdown(t(f"selection_page.metric_verdict_{result.verdict}", model=_name(use_case_id, model),
                      baseline=_name(use_case_id, baseline),
                      metric=metric_name, value=f"{result.value:.3f}", baseline_value=f"{result.baseline_value:.3f}",
                      difference=f"{result.difference:+.3f}", low=f"{result.ci_low:+.3f}",
                      high=f"{result.ci_high:+.3f}"))
    return results


def num_classes(table: pd.DataFrame) -> int | None:
    value = table["num_classes"].iloc[0] if "num_classes" in table and len(table) else None
    return int(value) if value is not None and pd.notna(value) else None


def labelled_default(table: pd.DataFrame) -> int:
    """The compared split's recorded training-set size (examples, texts or ratings the models learned from)."""
    sizes = pd.to_numeric(table["train_size"], errors="coerce") if "train_size" in table else pd.Series(dtype=float)
    return int(sizes.max()) if sizes.notna().any() else 1000


def requirements_form(table: pd.DataFrame, *, use_case_id: str, scope: str) -> Requirements:
    """The stakeholder's requirements, as widgets.

    Labelled examples start at the compared split's training size and belong to that split (key
    scoped by `scope`); the other requirements belong to the use case.
    """
    first, second, third = st.columns(3)
    labelled = first.number_input(t("selection.requirements.labelled_examples"), min_value=0,
                                  value=labelled_default(table), step=100, key=f"sel_labelled_{scope}")
    use_target = second.checkbox(t("selection_page.use_latency_target"), value=False,
                                 key=f"sel_use_latency_{use_case_id}")
    target = second.number_input(t("selection.requirements.latency_target_ms") + " (ms)", min_value=0.0,
                                 value=5.0, step=0.5, key=f"sel_latency_{use_case_id}", disabled=not use_target)
    explanations = third.checkbox(t("selection.requirements.explanations_required"), key=f"sel_explain_{use_case_id}")
    on_premises = third.checkbox(t("selection.requirements.on_premises_only"), key=f"sel_onprem_{use_case_id}")
    compute_options = ["cpu", "one_gpu", "cluster"]
    compute = translated_choice(first.radio, t("selection.requirements.compute"), compute_options,
                                key=f"sel_compute_{use_case_id}", format_func=lambda c: t(f"selection.compute.{c}"),
                                horizontal=True)
    retrain_options = ["rarely", "monthly", "weekly", "daily"]
    retrain = translated_choice(second.radio, t("selection.requirements.retrain"), retrain_options,
                                key=f"sel_retrain_{use_case_id}", format_func=lambda r: t(f"selection.retrain.{r}"),
                                horizontal=True)
    return Requirements(labelled_examples=int(labelled), latency_target_ms=float(target) if use_target else None,
                        explanations_required=bool(explanations), compute=compute,
                        on_premises_only=bool(on_premises), retrain=retrain)


def render_recommendation(recommendation: Recommendation, render_reason: Callable[..., str], lang: str) -> None:
    """Ranked candidates, each with its reasons quoting measured numbers, and unmet requirements flagged."""
    best = recommendation.best
    if recommendation.baseline_wins:
        st.success(t("selection_page.baseline_wins", model=_name(recommendation.use_case, best.model)))
    elif best is not None:
        st.success(t("selection_page.winner", model=_name(recommendation.use_case, best.model)))
    for leader in recommendation.leaders:  # best on a secondary ranking metric: said beside the recommendation
        st.info(leader_text(recommendation, leader, lang))
    for requirement in recommendation.unmet:
        st.error(t("selection_page.unmet", requirement=t(f"selection.unmet.{requirement}")))
    for rank, advice in enumerate(recommendation.ranked, start=1):
        status = t("selection.md.meets_all") if advice.meets_all else t(
            "selection.md.misses", requirements=", ".join(t(f"selection.unmet.{flag}") for flag in advice.flags))
        with st.container(border=True):
            st.markdown(f"**{rank}. {_name(recommendation.use_case, advice.model)}**" + f" · {ranking_marker(recommendation.use_case, advice.model, advice.is_baseline)}"
                        + f" · {status}")
            for key, params in advice.reasons:
                st.markdown(f"- {render_reason(key, params, lang)}")
    for key, params in recommendation.notes:
        st.info(render_reason(key, params, lang))


def render_deployment(tracker: Tracker, table: pd.DataFrame, use_case: UseCase | None = None, *, scope: str = "") -> None:
    """Export a Keras candidate to SavedModel and TFLite (float, int8) and measure size, latency, accuracy."""
    if use_case is not None and not use_case.can(EXPORT_TFLITE):
        # Text, table and user-item models take strings and named columns; the TFLite check is image-only.
        st.info(t("selection_page.deploy_images_only", use_case=t(use_case.title_key)))
        return
    keras_rows = table[table["kind"] == "keras"]
    if keras_rows.empty:
        st.info(t("selection_page.deploy_needs_keras"))
        return
    options = {row["run_id"]: _name(use_case.id if use_case is not None else None, row["model"])
               for row in keras_rows.to_dict("records")}
    run_id = st.selectbox(t("selection_page.deploy_pick"), list(options), key=f"sel_export_run_{scope}",
                          format_func=options.get)
    results = st.session_state.setdefault("sel_export_results", {})  # by run id: cannot leak across splits
    if access.can("export", note=True) and st.button(t("selection_page.deploy_button"), key=f"sel_export_{scope}"):
        try:
            with st.spinner(t("selection_page.deploy_running")):
                results[run_id] = _deployment_rows(tracker, run_id)
        except StudioError as error:
            st.error(error_text(error))
    rows = results.get(run_id)
    if rows:
        frame = pd.DataFrame(rows)
        shown = pd.DataFrame({
            t("deployment.columns.format"): frame["format"].map(lambda f: t(f"deployment.formats.{f}")),
            t("deployment.columns.size_bytes"): frame["size_bytes"].map(lambda b: f"{b / 1024:,.1f} KB"),
            t("deployment.columns.latency_p50_ms"): frame["latency_p50_ms"].map(lambda v: f"{v:.3f}"),
            t("deployment.columns.latency_p95_ms"): frame["latency_p95_ms"].map(lambda v: f"{v:.3f}"),
            t("deployment.columns.accuracy"): frame["accuracy"].map(lambda v: f"{v:.2%}"),
            t("deployment.columns.accuracy_delta"): frame["accuracy_delta"].map(lambda v: f"{v * 100:+.2f} pt"),
            t("deployment.columns.max_probability_difference"): frame["max_probability_difference"].map(
                lambda v: f"{v:.1e}"),
        })
        st.table(shown)
        st.caption(t("selection_page.deploy_note"))


def _deployment_rows(tracker: Tracker, run_id: str) -> list[dict]:
    import tempfile

    from core.training.saved_runs import load_run_dataset, load_run_model

    dataset = load_run_dataset(tracker, run_id)
    model = load_run_model(tracker, run_id)
    with tempfile.TemporaryDirectory() as directory:
        rows = deployment_report(model, dataset.x_test.astype(np.float32), dataset.y_test, directory=directory)
    return [{key: value for key, value in row.items() if key != "path"} for row in rows]
