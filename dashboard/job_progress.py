"""A background training job as the lab follows it: live progress, ETA, Cancel, then how it ended."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

import numpy as np
import streamlit as st

from core.contract.registry import get_use_case
from core.errors import StudioError
from core.tracking.faults import short
from dashboard import access
from dashboard.history_views import CLASSIFICATION_CURVES, Curve, has_curve, render_history_charts
from dashboard.i18n import device_text, error_text, t
from dashboard.pretrained_views import download_text
from dashboard.run_names import model_name, use_case_title
from dashboard.services import queued_text

if TYPE_CHECKING:
    from core.training.jobs import JobQueue, JobState

ACTIVE_STATES = ("queued", "running")


def job_label(job: JobState) -> str:
    """A queued or running job as people name it ("Finance risk · Gradient boosting (scikit-learn)"), not
    its title of ids ("finance / upload_csv / gbm")."""
    meta = getattr(job, "meta", None) or {}
    if not meta.get("use_case") or not meta.get("model"):
        return str(job.title)
    return f"{use_case_title(meta['use_case'])} · {model_name(meta['use_case'], meta['model'])}"


def asks_a_model(job: JobState) -> bool:
    """Whether the job runs an LLM candidate (asked, or embedding): nothing is "trained" by cancelling it."""
    meta = getattr(job, "meta", None) or {}
    try:
        return get_use_case(str(meta.get("use_case"))).candidate(str(meta.get("model"))).asks_a_model
    except (KeyError, ValueError):
        return False


def other_job_text(job: JobState, *, mine: bool = False) -> str:
    """Someone else's queued or running job as whose it is ("Tom is training Vision · CNN, epoch 12 of 20")."""
    label = job_label(job)
    if mine:
        return t("lab.job_in_progress", job=label)
    progress = job.progress
    epoch, epochs = getattr(progress, "epoch", None), getattr(progress, "epochs", None)
    training = job.state == "running" and epoch and epochs and getattr(progress, "phase", "") != "preparing"
    scoring = job.state == "running" and getattr(progress, "phase", "") in ASKING
    if access.auth_configured():
        name = job.owner_name or job.owner or "?"
        if scoring:
            return t("llm_form.other_person_scoring", name=name, job=label, progress=scoring_text(progress))
        return (t("jobs.other_person", name=name, job=label, epoch=epoch, epochs=epochs) if training
                else t("jobs.other_person_waiting", name=name, job=label))
    if scoring:
        return t("llm_form.other_session_scoring", job=label, progress=scoring_text(progress))
    return (t("jobs.other_session", job=label, epoch=epoch, epochs=epochs) if training
            else t("jobs.other_session_waiting", job=label))


def _progress_fraction(progress: Any) -> float:
    if progress is None or not getattr(progress, "epochs", 0):
        return 0.0
    done = max(progress.epoch - 1, 0) + (progress.batch / progress.batches if progress.batches else 0.0)
    return float(min(max(done / progress.epochs, 0.0), 1.0))


ASKING = ("scoring", "embedding")  # an LLM answering test texts, or embedding training texts: items, no epochs


def scoring_fraction(progress: Any) -> float:
    """Share of the test texts an LLM has answered (Progress(phase="scoring", batch=done, batches=total))."""
    done, total = getattr(progress, "batch", 0) or 0, getattr(progress, "batches", 0) or 0
    return float(min(max(done / total, 0.0), 1.0)) if total else 0.0


def scoring_text(progress: Any) -> str:
    """"Scoring item 212 of 500 · 1:05 left" ("Embedding training text 212 of 1,600 · …" while an embedding model
    reads the training split) in the reader's language (no time left before the first answer)."""
    key = "llm_form.embedding" if getattr(progress, "phase", "") == "embedding" else "llm_form.scoring"
    text = t(key, done=f"{getattr(progress, 'batch', 0) or 0:,}",
             total=f"{getattr(progress, 'batches', 0) or 0:,}")
    eta = getattr(progress, "eta_s", None)
    return text if eta is None else t("llm_form.scoring_left", progress=text, eta=_format_seconds(eta))


def _format_seconds(seconds: float | None) -> str:
    if seconds is None or not np.isfinite(seconds):
        return "–"
    seconds = int(round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"


def render_job_progress(queue: JobQueue, job_id: str, *, prefix: str,
                        curves: tuple[Curve, ...] = CLASSIFICATION_CURVES, evaluating_key: str = "lab.evaluating",
                        render_outcome: Callable[[Any], None] | None = None) -> None:
    """Live progress of one job: polls the queue every second while it runs, then shows the outcome.

    A use case passes its own live curves (e.g. RMSE or ROC-AUC), the text shown while the test set is
    evaluated and the line that says how a job ended; widget keys start with `prefix` (the lab's LabView.prefix).
    """
    render_outcome = render_outcome or render_job_outcome
    state = queue.get(job_id)
    if state is None:
        return
    active = state.state in ACTIVE_STATES

    @st.fragment(run_every=1.0 if active else None)
    def panel() -> None:
        current = queue.get(job_id)
        if current is None:  # its record is gone (the Ray registry restarted); the page keeps working
            st.warning(t("errors.jobs.record_lost"), icon=":material/sync_problem:")
            return
        progress = current.progress
        if current.state in ACTIVE_STATES:  # after a reload the form shows defaults: say which model this is
            st.caption(t("lab.job_in_progress", job=job_label(current)))
        if current.state == "queued":
            st.info(queued_text(queue))
        elif current.state == "running":
            if progress is None or getattr(progress, "phase", "") == "preparing":
                st.progress(0.0, text=t("lab.preparing"))
            elif progress.phase == "downloading":
                st.progress(progress.fraction, text=download_text(progress))
            elif progress.phase in ASKING:  # an LLM answering (or embedding) texts one by one: no epochs
                st.progress(scoring_fraction(progress), text=scoring_text(progress))
            else:
                text = t("lab.progress_text", epoch=progress.epoch, epochs=progress.epochs, batch=progress.batch,
                         batches=progress.batches, eta=_format_seconds(progress.eta_s),
                         speed=f"{getattr(progress, 'samples_per_second', 0) or 0:,.0f}")
                if getattr(progress, "phase", "") == "evaluating":
                    text = t(evaluating_key)
                st.progress(_progress_fraction(progress), text=text)
                if has_curve(progress.history):  # the first epoch's single point waits for the second
                    render_history_charts(progress.history, key=f"{prefix}_live_{job_id}", curves=curves)
            # once the fit is over (test set evaluation, saving) there is no training left to cancel
            # Cancel only for the job's owner (and admins); the queue refuses anyone else as well
            if getattr(progress, "phase", "") not in ("evaluating", "done") and access.may_cancel(current) and \
                    st.button(t("llm_form.cancel") if asks_a_model(current) else t("lab.cancel"),
                              key=f"{prefix}_cancel"):
                try:
                    access.cancel_job(queue, current)
                    st.toast(t("lab.cancel_requested"))
                except StudioError as error:
                    st.error(error_text(error))
        else:
            seen_key = f"{prefix}_seen_{job_id}"
            if not st.session_state.get(seen_key):
                st.session_state[seen_key] = True
                if current.run_id:
                    st.session_state["lab_pending_run"] = current.run_id
                st.rerun()
            if current.cancelled_by and current.cancelled_by != current.owner_name:
                st.warning(t("jobs.cancelled_by", name=current.cancelled_by), icon=":material/person_cancel:")
            render_outcome(current)

    panel()


def render_job_outcome(state: JobState) -> None:
    """One line saying how the job ended, in the reader's language."""
    if state.state == "completed":
        outcome = state.result
        if getattr(outcome, "status", "completed") == "cancelled":
            st.warning(t("lab.cancelled"))
        else:
            metrics = (outcome.metrics or {}) if outcome else {}
            accuracy = metrics.get("test_accuracy")
            shown = f"{accuracy:.2%}" if accuracy is not None else "–"
            device = device_text(getattr(outcome, "device", None))
            if "test_invalid_answers" in metrics:  # an LLM asked, not trained: where it answered, on how many
                st.success(t("llm_form.finished", accuracy=shown, items=f"{int(metrics.get('test_items') or 0):,}",
                             device=device))
            else:
                st.success(t("lab.finished", accuracy=shown, device=device))
    elif state.state == "cancelled":
        st.warning(t("lab.cancelled"))
    elif state.state == "failed":
        st.error(failure_text(state.error))


def failure_text(error: BaseException | None) -> str:
    """Why a training failed, in words: a StudioError's own message; anything else says the training was lost
    (never the generic "Nothing was lost", which is false for a training that stopped)."""
    if error is None:
        return t("lab.failed")
    if isinstance(error, StudioError):
        return error_text(error)

    return t("jobs.training_failed", detail=short(error))

