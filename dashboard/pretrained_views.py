"""Lab pieces for pretrained candidates: the "starting point" marker, the one-time download notice
(offline: that candidate cannot train, every other one can), the two-stage note and download progress.

Nothing here touches the network: the notice reads the cache and STUDIO_OFFLINE only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import streamlit as st

from core.config import get_settings
from core.errors import StudioError
from core.evaluation.catalogue import format_metric, higher_is_better, is_percent
from core.models.weights import weights_status
from core.selection.compare import quality_columns
from core.selection.learning_curve import (PARAM_FRACTION, TOLERANCE, curve_points, latest_curve, needed_by_model,
                                           points_from_runs)
from core.strategy.evidence import primary_metrics
from core.strategy.starting_points import (LLM, START_KEYS, compare_starting_points, start_label, start_of,
                                          starting_point_rows)
from dashboard import access
from dashboard.i18n import current_language, error_text, t
from dashboard.pretrained_charts import plot_learning_curve
from dashboard.run_names import model_name
from dashboard.services import queued_text
from dashboard.widgets import translated_choice

if TYPE_CHECKING:
    from core.contract.usecase import Candidate, UseCase
    from core.tracking.store import Tracker
    from core.training.jobs import JobQueue
    from core.training.runner import Progress


def starting_point(candidate: Candidate) -> str:
    """"pretrained on ImageNet", "from scratch", "baseline" or "LLM, zero-shot" / "LLM, 8-shot" (its default k):
    where a candidate's weights start."""
    start = candidate.starting_point
    if start == "pretrained":
        return t(f"pretrained.source.{candidate.pretrained}")
    if start == LLM:
        return start_label(LLM, (candidate.hparams or {}).get("k"), current_language())
    return t("pretrained.baseline") if start == "baseline" else t("pretrained.from_scratch")


def render_pretrained_notice(candidate: Candidate, epochs: int) -> bool:
    """Say what a pretrained candidate needs and how it trains; False when it cannot train now (offline)."""
    if getattr(candidate, "fine_tune", None) is not None:
        from core.training.finetune import stage_epochs

        head, tune = stage_epochs(int(epochs), candidate.fine_tune.head_fraction)
        if tune:
            st.caption(t("pretrained.stage_note", head=head, next=head + 1, epochs=head + tune))
    if not getattr(candidate, "weights", ""):
        return True

    status, size_mb = weights_status(candidate.weights)
    text = t(f"pretrained.weights.{status}", name=t(candidate.name_key), size_mb=f"{size_mb:.0f}")
    if status == "offline":
        st.warning(text, icon=":material/cloud_off:")
        return False
    (st.success if status == "cached" else st.info)(text, icon=":material/download:")
    return True


def download_text(progress: Progress) -> str:
    """The progress bar's text while pretrained weights download (bytes counted in batch / batches)."""
    return t("pretrained.downloading", done_mb=f"{progress.batch / 2**20:.1f}",
             total_mb=f"{progress.batches / 2**20:.1f}")


CURVE_JOB_KEY = "lc_job"


def _curve_job(queue: JobQueue, use_case_id: str) -> str | None:
    """This session's learning-curve job of the use case; after a reload, this person's (browser's) active one,
    never another person's."""
    key = f"{CURVE_JOB_KEY}_{use_case_id}"
    job_id = st.session_state.get(key)
    if job_id is None or queue.get(job_id) is None:
        active = [job for job in queue.active() if job.meta.get("learning_curve") == use_case_id and access.owns(job)]
        job_id = active[0].id if active else None
        st.session_state[key] = job_id
    return job_id


def _model_label(use_case: UseCase, model_id: str) -> str:
    try:
        candidate = use_case.candidate(model_id)
    except KeyError:
        return model_name(use_case.id, model_id)
    label = f"{model_name(use_case.id, model_id)} · {starting_point(candidate)}"
    if candidate.weights:
        status, size_mb = weights_status(candidate.weights)
        if status == "download":  # offered, never preselected: it cannot run until the download succeeds
            label += " · " + t("learning_curve.needs_download", size_mb=f"{size_mb:.0f}")
    return label


UPLOADED_SPLIT = "split:"  # a data choice of the learning curve that is an uploaded file's split (by fingerprint)


def render_learning_curve(use_case: UseCase, queue: JobQueue, tracker: Tracker, *, uploads: dict[str, str] | None = None,
                          split_labels: dict[str, str] | None = None) -> None:
    """Model selection's learning curve: start one background job, follow it, chart how many labels each model needs.

    uploads ({split fingerprint: a completed run on it}) are the uploaded files the page compares runs on, offered
    beside the bundled data sets; split_labels ({fingerprint: label}) name a curve's data in its chart and table.
    """
    job_id = _curve_job(queue, use_case.id)
    state = queue.get(job_id) if job_id else None
    points = latest_curve(curve_points(tracker, use_case.id))
    st.subheader(t("learning_curve.title"))
    st.caption(t("learning_curve.intro"))
    with st.expander(t("learning_curve.setup"), expanded=len(points) == 0 and state is None,
                     icon=":material/stacked_line_chart:"):
        _render_curve_form(use_case, queue, busy=state is not None and state.active, uploads=uploads or {},
                           split_labels=split_labels or {})
    job_id = st.session_state.get(f"{CURVE_JOB_KEY}_{use_case.id}")
    if job_id:
        _render_curve_progress(queue, job_id, use_case)
    if len(points) == 0:
        st.caption(t("learning_curve.none_yet"))
        return
    _render_curve_results(points, use_case, _curve_data_label(points, use_case, split_labels or {}))


def _curve_data_label(points: Any, use_case: UseCase, split_labels: dict[str, str]) -> str:
    """The data a curve was measured on, as people know it: an upload's file name and size, else the source's title."""
    split = str(points["split"].iloc[0])
    if split in split_labels:
        return split_labels[split]
    source_id = str(points["dataset"].iloc[0])
    source = next((s for s in use_case.datasets if s.id == source_id), None)
    return t(source.title_key) if source is not None else source_id


def _render_curve_form(use_case: UseCase, queue: JobQueue, *, busy: bool, uploads: dict[str, str],
                       split_labels: dict[str, str]) -> None:
    from core.training.learning_curve import default_candidates

    sources = {source.id: t(source.title_key) for source in use_case.datasets
               if source.kind == "bundled" and source.is_available()[0]}
    sources.update({UPLOADED_SPLIT + fingerprint: split_labels.get(fingerprint, fingerprint[:8])
                    for fingerprint in uploads})
    status = {c.id: weights_status(c.weights)[0] if c.weights else "none" for c in use_case.candidates}
    usable = [c.id for c in use_case.candidates if status[c.id] != "offline"]
    # preselected: only what can run now (no weights, or weights in the cache); a download waits for a tick
    runnable = default_candidates(use_case, usable=lambda c: status[c.id] in ("none", "cached"))
    left, right = st.columns([1, 2])
    source_id = translated_choice(left.selectbox, t("learning_curve.dataset"), list(sources),
                                  key=f"lc_dataset_{use_case.id}", format_func=sources.__getitem__)
    chosen = translated_choice(right.multiselect, t("learning_curve.models"), usable,
                               default=[cid for cid in runnable if cid in usable],
                               key=f"lc_models_{use_case.id}", format_func=lambda cid: _model_label(use_case, cid))
    offline = [c for c in use_case.candidates if c.id not in usable]
    if offline:  # ImageNet backbones without their one-time download: say why they are not offered
        st.caption(t("learning_curve.offline_left_out", models=", ".join(t(c.name_key) for c in offline)))
    if not chosen:
        st.info(t("learning_curve.needs_models"))
    if access.can("train", note=True) and st.button(t("learning_curve.start"), key=f"lc_start_{use_case.id}",
                                                    type="primary", disabled=busy or not chosen or not source_id):
        from core.training.learning_curve import LearningCurveJob

        access.require("train")

        data = {"dataset": source_id}
        if source_id.startswith(UPLOADED_SPLIT):  # the same file, seed and settings as the runs compared above
            from core.training.saved_runs import run_data_choice

            dataset, seed, kwargs = run_data_choice(_tracker(), uploads[source_id[len(UPLOADED_SPLIT):]])
            data = {"dataset": dataset, "seed": seed, "dataset_kwargs": kwargs}
        job = LearningCurveJob(use_case.id, candidates=list(chosen), tracker=_tracker(), user=access.user_for_runs(),
                               **data)
        owner = access.job_identity()
        try:
            st.session_state[f"{CURVE_JOB_KEY}_{use_case.id}"] = queue.submit(
                job, title=t("learning_curve.job_title", use_case=t(use_case.title_key), dataset=sources[source_id]),
                meta={"learning_curve": use_case.id, "dataset": data["dataset"], "models": list(chosen)},
                owner=owner.user, owner_name=owner.label)
        except StudioError as error:  # the same person's identical curve job is already running
            st.error(error_text(error))
            return
        st.rerun()  # redraw with the job running: the start button disabled, the progress below it


def _tracker() -> Tracker:
    from dashboard.services import get_tracker

    return get_tracker()


def _render_curve_progress(queue: JobQueue, job_id: str, use_case: UseCase) -> None:
    state = queue.get(job_id)
    if state is None:
        return
    active = state.active

    @st.fragment(run_every=1.0 if active else None)
    def panel() -> None:
        current = queue.get(job_id)
        progress = current.progress
        if current.active:
            if progress is None:
                st.progress(0.0, text=queued_text(queue) if current.state == "queued" else t("lab.preparing"))
            else:
                inner = getattr(progress.inner, "phase", "")
                key = "learning_curve.downloading" if inner == "downloading" else "learning_curve.running"
                st.progress(progress.fraction, text=t(key, point=progress.point, points=progress.points,
                                                      model=model_name(use_case.id, progress.model),
                                                      size=f"{progress.train_size:,}",
                                                      percent=f"{progress.train_fraction * 100:.0f}"))

            if access.may_cancel(current) and st.button(t("learning_curve.cancel"), key=f"lc_cancel_{use_case.id}"):
                access.cancel_job(queue, current)
                st.toast(t("lab.cancel_requested"))
            return
        if active:  # it has just finished: redraw the page with its points
            st.rerun()
        if current.state == "failed" and current.error is not None:
            st.error(error_text(current.error))
        elif current.state == "cancelled":
            done = len(progress.done) if progress is not None else 0
            st.warning(t("learning_curve.cancelled", done=done, points=getattr(progress, "points", 0) or 0))
        elif current.state == "completed" and isinstance(current.result, dict):
            models = {p["model"] for p in current.result["points"]}
            fractions = {p["fraction"] for p in current.result["points"]}
            st.success(t("learning_curve.finished", points=len(models), fractions=len(fractions)))
            for model, error in (current.result.get("skipped") or {}).items():  # e.g. weights not downloadable
                st.warning(t("learning_curve.skipped", model=model_name(use_case.id, model), reason=error_text(error)))

    panel()


def _render_curve_results(points: Any, use_case: UseCase, data_label: str) -> None:
    metric = next((m for m in quality_columns(use_case) if m in points and points[m].notna().any()), None)
    if metric is None:
        return
    percent = is_percent(metric)
    metric_name = t(f"selection.metrics.{metric}")
    y_title = f"{metric_name[:1].upper()}{metric_name[1:]}" + (" (%)" if percent else "")
    curves, starts = {}, {}
    for model, rows in points.groupby("model", sort=False):
        name = model_name(use_case.id, model)
        curves[name] = (rows["train_size"].tolist(), rows[metric].tolist())
        starts[name] = _start_id(use_case, str(model))
    st.plotly_chart(plot_learning_curve(curves, title=t("learning_curve.chart_title_data", data=data_label),
                                        x_title=t("learning_curve.x_title"), y_title=y_title, percent=percent,
                                        starts=starts),
                    key=f"lc_chart_{use_case.id}")
    better = higher_is_better(metric)
    needed = needed_by_model(points, metric, higher_is_better=better)
    rows = []
    for model, group in points.groupby("model", sort=False):
        group = group.sort_values("train_size")
        first, last = group.iloc[0], group.iloc[-1]
        rows.append({
            t("learning_curve.columns.model"): model_name(use_case.id, model),
            t("learning_curve.columns.start"): _start_text(use_case, str(model)),
            t("learning_curve.columns.needed"): needed_text(needed.get(model), int(last["train_size"]), len(group)),
            t("learning_curve.columns.at_smallest", metric=metric_name, size=f"{int(first['train_size']):,}"):
                format_metric(metric, first[metric]),
            t("learning_curve.columns.at_full", metric=metric_name, size=f"{int(last['train_size']):,}"):
                format_metric(metric, last[metric]),
        })
    import pandas as pd

    st.markdown(f"**{t('learning_curve.needed_title_data', data=data_label)}**")
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", key=f"lc_needed_{use_case.id}")
    tolerance = t("learning_curve.tolerance_points") if percent else f"{TOLERANCE:g}"
    test = points["test_size"].iloc[0] if "test_size" in points else None
    st.caption(t("learning_curve.needed_note", tolerance=tolerance, metric=metric_name,
                 test=f"{int(test):,}" if test is not None and test == test else "–"))


def needed_text(needed: int | None, largest: int, points: int) -> str:
    """'900', or '≥ 3,600 (still improving)' when only the largest size came within the tolerance of the best."""
    if needed is None:
        return "–"
    if points > 1 and needed >= largest:
        return t("learning_curve.still_improving", size=f"{largest:,}")
    return f"{needed:,}"


def _start_id(use_case: UseCase, model_id: str) -> str:
    return start_of(use_case.id, model_id)


def _start_text(use_case: UseCase, model_id: str) -> str:
    try:
        return starting_point(use_case.candidate(model_id))
    except KeyError:
        return ""


@st.cache_data(ttl=5.0, show_spinner=False)
def _runs_and_curve_points() -> tuple[Any, Any]:
    """(runs on whole training splits, learning-curve points) from the tracker, read at most every few seconds."""
    from pathlib import Path

    uri = get_settings().tracking_uri
    if uri.startswith("sqlite:///") and not Path(uri[len("sqlite:///"):]).exists():
        return None, None  # nothing was ever tracked here: no MLflow import to pay for
    from dashboard.services import get_tracker

    try:
        runs = get_tracker().list_runs(curve_points=True)
    except Exception:  # noqa: BLE001 - the planner's own evidence line says when the tracker cannot be read
        return None, None
    whole = runs
    if PARAM_FRACTION in runs.columns:
        whole = runs[runs[PARAM_FRACTION].astype(float).fillna(1.0) >= 1.0]
    return whole, points_from_runs(runs)


def render_starting_points(analysis: Any) -> None:
    """The Strategy page's pretrained vs from scratch vs baseline vs LLM table (quality, cost, labelled examples)."""
    st.subheader(t("starting_points.title"))
    st.caption(t("starting_points.intro"))
    runs, points = _runs_and_curve_points()
    wanted = [use_case.id for use_case in analysis.assessment.use_cases]
    metrics = {uid: metric for uid, metric in primary_metrics().items() if uid in wanted}
    comparison = compare_starting_points(runs, metrics, points)
    rows = starting_point_rows(comparison, current_language(), {uid: analysis.title(uid) for uid in wanted})
    if not rows:
        st.info(t("starting_points.none"))
        return
    st.dataframe(rows, hide_index=True, width="stretch", key="stg_starting_points")


def ranking_marker(use_case_id: str, model_id: str, is_baseline: bool) -> str:
    """Model selection's ranking marker: "baseline" for the use case's baseline, else where the weights started."""
    if is_baseline:
        return t("selection.md.baseline")
    return t(START_KEYS.get(start_of(use_case_id, model_id), "pretrained.from_scratch"))
