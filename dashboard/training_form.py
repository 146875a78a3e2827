"""A lab's training form: candidate table, model choice, fit settings kept across reruns, the Train button."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

import pandas as pd
import streamlit as st

from core.errors import StudioError
from core.training.fitters import fitter_for
from core.training.pipeline import TrainingSpec, make_training_job
from core.training.runner import TrainConfig
from dashboard import access
from dashboard.i18n import error_text, t
from dashboard.job_progress import ACTIVE_STATES, other_job_text
from dashboard.llm_form import LLM_KINDS, render_llm_settings, train_request
from dashboard.run_names import model_name, use_case_title
from dashboard.pretrained_views import render_pretrained_notice, starting_point
from dashboard.widgets import kept_value, translated_choice

if TYPE_CHECKING:
    from core.contract.usecase import Candidate
    from core.training.jobs import JobQueue
    from core.training.runner import TrainConfig
    from dashboard.labs.contract import LabData

JOB_PARAM = "job"  # the page URL's ?job=<id>: this browser's own job, found again after a reload


def follow_own_job(queue: JobQueue, use_case_id: str, state_key: str) -> tuple[str | None, bool]:
    """This session's own training job of the use case (kept under state_key) and whether it is still active.

    A reload starts a new session while the job lives on in the server: the page finds it again by its
    own id, kept in the page's URL (?job=<id>), and only when it is this person's (this browser's, in
    single-user mode). Another person's running job is never taken for this session's own.
    """
    own_job = st.session_state.get(state_key)
    own_state = queue.get(own_job) if own_job else None
    if own_state is None or not access.owns(own_state):
        own_job, own_state = None, None
        linked = st.query_params.get(JOB_PARAM)
        found = queue.get(linked) if linked else None
        if found is not None and found.meta.get("use_case") == use_case_id and access.adopt(found):
            own_job, own_state = linked, found
        st.session_state[state_key] = own_job
    return own_job, own_state is not None and own_state.state in ACTIVE_STATES


def linked_use_case(get_queue: Callable[[], Any], use_case_ids: list[str]) -> str | None:
    """The use case of the job in the page's URL (?job=<id>), when it is this session's own; else None."""
    linked = st.query_params.get(JOB_PARAM)
    found = get_queue().get(linked) if linked else None
    use_case_id = found.meta.get("use_case") if found is not None else None
    return use_case_id if use_case_id in use_case_ids and access.adopt(found) else None


def submit_training(queue: JobQueue, use_case_id: str, source_id: str, candidate_id: str, config: TrainConfig,
                    dataset_kwargs: dict[str, Any], candidate_params: dict[str, Any] | None = None) -> str:
    """Queue one training run in the background as this session's job; the job id.

    Its meta holds everything that makes two submissions the same job (use case, data, model, every
    setting, an LLM's candidate_params): the queue refuses the same person's identical job while the first is
    queued or running. candidate_params never hold a secret (an API key travels by its variable's name).
    """
    from dataclasses import asdict

    from dashboard.services import get_tracker

    access.require("train")
    owner = access.job_identity()
    params = dict(candidate_params or {})
    spec = TrainingSpec(use_case=use_case_id, dataset=source_id, candidate=candidate_id, config=config,
                        dataset_kwargs=dataset_kwargs, user=access.user_for_runs(), candidate_params=params)
    meta = {"use_case": use_case_id, "dataset": source_id, "model": candidate_id, "epochs": config.epochs,
            "settings": repr(sorted(asdict(config).items())), "data": repr(sorted(dataset_kwargs.items()))}
    if params:
        meta["params"] = repr(sorted(params.items()))
    queue.refuse_repeat(owner.user, meta, title=f"{use_case_title(use_case_id)} · {model_name(use_case_id, candidate_id)}")
    return queue.submit(make_training_job(spec, get_tracker()), title=spec.title(), meta=meta, owner=owner.user,
                        owner_name=owner.label)


RATE_LADDER = (1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0)  # every learning-rate slider's steps


def learning_rates(up_to: float = 3e-2) -> list[float]:
    """The learning rates a slider offers: the ladder's steps up to `up_to` (a lab's largest sensible one)."""
    return [rate for rate in RATE_LADDER if rate <= up_to * (1 + 1e-9)]


LEARNING_RATES = tuple(learning_rates())  # the labs' default range, 1e-4 to 3e-2


def candidate_options(options: Any, defaults: Any) -> list[Any]:
    """A widget's options plus every candidate default they lack, in ascending order."""
    return sorted({*options, *(value for value in defaults if value is not None)})


def fit_defaults(candidate: Candidate) -> dict[str, Any]:
    """A candidate's own epochs, batch size and learning rate, as the training form's widgets hold them."""
    return {"epochs": candidate.default_epochs, "batch_size": candidate.default_batch_size,
            "learning_rate": candidate.default_learning_rate}


def render_candidate_training(data: LabData, queue: JobQueue, *, prefix: str, batch_sizes: list[int], early_stopping: bool,
                              parameters: dict[str, int] | None = None, max_epochs: int = 100,
                              max_learning_rate: float = 3e-2, patience: int = 2,
                              class_weight_help: str | None = None) -> str | None:
    """Candidate table, model choice, fit settings and the Train button of a lab; the job id to follow, if any.

    Widget keys are `<prefix>_model`, `<prefix>_epochs`, ... so each use case keeps its own choices.
    Every source starts on the use case's default model; choosing a model puts its own epochs, batch
    size and learning rate on the widgets. One-pass models (scikit-learn, popularity) show no fit
    settings, only a line saying they do not apply. `parameters` ({candidate id: count}) adds a size column;
    `class_weight_help` (a translated text) adds a "class weights (balanced)" box.
    """
    use_case = data.use_case
    candidates = {candidate.id: candidate for candidate in use_case.candidates}
    table = pd.DataFrame({t("lab.model"): [t(c.name_key) for c in use_case.candidates],
                          t("lab.what_when"): [t(c.description_key) for c in use_case.candidates],
                          t("pretrained.column"): [starting_point(c) for c in use_case.candidates]})
    if parameters is not None:
        # a model whose size is not ours to count (an LLM behind an endpoint) shows a dash, not 0
        table[t("lab.parameters")] = [f"{parameters[c.id]:,}" if c.id in parameters else "–"
                                      for c in use_case.candidates]
    st.table(table.set_index(t("lab.model")))
    model_key = f"{prefix}_model"
    default_id = use_case.default_candidate or use_case.candidates[0].id
    keep_model = kept_value(model_key, default_id, valid=candidates.__contains__)
    # every candidate's own defaults are among the options: a value missing from them would
    # silently show (and train with) the first option instead
    batch_options = candidate_options(batch_sizes, [c.default_batch_size for c in use_case.candidates])
    rate_options = candidate_options(learning_rates(max_learning_rate),
                                     [c.default_learning_rate for c in use_case.candidates])
    # a typed epochs value out of range stays on the form with a message naming the range (never reset)
    valid = {"epochs": lambda value: isinstance(value, int) and not isinstance(value, bool),
             "batch_size": batch_options.__contains__, "learning_rate": rate_options.__contains__}
    keepers = {name: kept_value(f"{prefix}_{name}", value, valid=valid[name])
               for name, value in fit_defaults(candidates[st.session_state[model_key]]).items()}
    keep_stop = kept_value(f"{prefix}_early_stopping", early_stopping)

    def use_model() -> None:  # the new model's own defaults land on the fit widgets
        keep_model()
        chosen = candidates.get(st.session_state.get(model_key))
        if chosen is not None:
            for name, value in fit_defaults(chosen).items():
                st.session_state[f"_kept_{prefix}_{name}"] = value

    candidate_id = translated_choice(st.radio, t("lab.model"), list(candidates), key=model_key,
                                     horizontal=True, format_func=lambda cid: t(candidates[cid].name_key),
                                     on_change=use_model)
    candidate = candidates[candidate_id]
    settings = fit_defaults(candidate)
    stop_early = False
    is_llm = candidate.kind in LLM_KINDS
    llm_ready = True
    if is_llm:  # asked, not trained: its model, prompt, prices and test sample instead of fit settings
        llm_ready = render_llm_settings(candidate, data, prefix=prefix) is not None
    elif not fitter_for(candidate.kind).one_pass:  # epochs, batch and learning rate mean something
        col_epochs, col_batch, col_lr, col_stop = st.columns(4)
        # no min/max on the widget: the browser would silently keep the old value on an out-of-range entry
        settings["epochs"] = col_epochs.number_input(t("lab.epochs"), step=1, key=f"{prefix}_epochs",
                                                     on_change=keepers["epochs"],
                                                     help=t("jobs.epochs_help", low=1, high=max_epochs))
        settings["batch_size"] = col_batch.selectbox(t("lab.batch_size"), batch_options, key=f"{prefix}_batch_size",
                                                     on_change=keepers["batch_size"])
        settings["learning_rate"] = col_lr.select_slider(t("lab.learning_rate"), options=rate_options,
                                                         key=f"{prefix}_learning_rate",
                                                         on_change=keepers["learning_rate"])
        stop_early = col_stop.checkbox(t("lab.early_stopping"), key=f"{prefix}_early_stopping", on_change=keep_stop,
                                       help=t("lab_forms.early_stopping_help", patience=patience))
    else:
        st.caption(t("lab_forms.one_pass"))
    balanced = False
    if class_weight_help is not None and not is_llm:
        keep_weight = kept_value(f"{prefix}_class_weight", False)
        balanced = st.checkbox(t("lab_forms.class_weight"), key=f"{prefix}_class_weight", on_change=keep_weight,
                               help=class_weight_help)
    epochs_refusal = epochs_problem(settings["epochs"], max_epochs) if "epochs" in settings else None
    if epochs_refusal and not fitter_for(candidate.kind).one_pass:
        st.error(epochs_refusal, icon=":material/error:")
    # Train stays enabled: a corrected value typed and clicked at once reaches the server with the click
    # (a disabled button would swallow that click); an out-of-range value is refused on the click instead
    can_train = llm_ready and render_pretrained_notice(candidate, int(settings["epochs"]) if not epochs_refusal else 1)
    _submit_requested(queue, data, prefix)  # a Train click of this run: on the data this run loaded
    own_job, busy = follow_own_job(queue, use_case.id, f"{prefix}_job_id")
    if access.can("train", note=True):
        st.button(t("llm_form.run") if candidate.kind == "llm" else t("lab.train"), type="primary", key=f"{prefix}_train",
                  disabled=busy or not can_train,
                  on_click=_train_clicked, args=(prefix, candidates, patience, max_epochs,
                                                 class_weight_help is not None))
        refused = st.session_state.pop(f"{prefix}_refused", None)
        if refused:
            st.error(refused, icon=":material/block:")
        own_job = st.session_state.get(f"{prefix}_job_id")
    render_other_jobs(queue, own_job, busy=busy)
    return own_job


def epochs_problem(value: Any, max_epochs: int) -> str | None:
    """A message naming the allowed range when `value` is not a whole number from 1 to max_epochs, else None."""
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= max_epochs:
        return None
    return t("jobs.epochs_range", low=1, high=max_epochs, value=value)


def _train_clicked(prefix: str, candidates: dict[str, Any], patience: int, max_epochs: int,
                   has_class_weight: bool) -> None:
    """Train's on_click: runs before the page script, with exactly the values the form showed when pressed.

    It reads the model and fit settings and leaves them as a request; the page run it starts submits the
    job on the data it loads for the chosen source (`_submit_requested`). The callback's own arguments
    come from the last run that drew the button: data passed that way was the old dataset when a source
    was chosen and Train pressed while the page was still busy (a CI run trained digits, not the chosen
    Fashion-MNIST). A second click while this session's job is still queued or running (a double click, a
    click during a slow rerun) is refused by the queue as a repeat of an active job, with a message.
    """
    candidate_id = st.session_state.get(f"{prefix}_model")
    candidate = candidates.get(candidate_id)
    if candidate is None:
        return
    settings = fit_defaults(candidate)
    stop_early = False
    if not fitter_for(candidate.kind).one_pass:
        settings = {name: st.session_state.get(f"{prefix}_{name}", value) for name, value in settings.items()}
        stop_early = bool(st.session_state.get(f"{prefix}_early_stopping", False))
        problem = epochs_problem(settings["epochs"], max_epochs)
        if problem:
            st.session_state[f"{prefix}_refused"] = problem
            return
    candidate_params: dict[str, Any] = {}
    if candidate.kind in LLM_KINDS:  # the LLM block's values as the click found them, checked as the page does
        candidate_params, problem = train_request(candidate, prefix)
        if problem:
            st.session_state[f"{prefix}_refused"] = problem
            return
    balanced = (has_class_weight and candidate.kind not in LLM_KINDS
                and bool(st.session_state.get(f"{prefix}_class_weight", False)))
    st.session_state[f"{prefix}_train_request"] = {
        "candidate": candidate_id, "epochs": int(settings["epochs"]), "batch_size": int(settings["batch_size"]),
        "learning_rate": float(settings["learning_rate"]), "early_stopping": stop_early, "patience": patience,
        "class_weight": "balanced" if balanced else None, "candidate_params": candidate_params}


def _submit_requested(queue: JobQueue, data: LabData, prefix: str) -> None:
    """Submit the job a Train click asked for (kept until a page run gets this far), on this run's data."""
    request = st.session_state.pop(f"{prefix}_train_request", None)
    if request is None:
        return
    candidate_id = request.pop("candidate")
    candidate_params = request.pop("candidate_params", None) or {}
    config = TrainConfig(seed=int(data.seed), **request)
    try:
        own_job = submit_training(queue, data.use_case.id, data.source_id, candidate_id, config, data.kwargs,
                                  candidate_params=candidate_params)
    except StudioError as error:
        st.session_state[f"{prefix}_refused"] = error_text(error)
        return
    st.session_state[f"{prefix}_job_id"] = own_job
    st.query_params[JOB_PARAM] = own_job


def render_other_jobs(queue: JobQueue, own_job: str | None, *, busy: bool) -> None:
    """Every other queued or running job, as whose it is (its epoch kept current every 2 s while there are
    any); Cancel only where this person may (admins)."""
    if not any(job.id != own_job for job in queue.active()):
        return

    @st.fragment(run_every=2.0)
    def panel() -> None:
        _other_jobs(queue, own_job, busy=busy)

    panel()


def _other_jobs(queue: JobQueue, own_job: str | None, *, busy: bool) -> None:
    others = [job for job in queue.active() if job.id != own_job]
    for job in others:
        st.info(other_job_text(job, mine=access.owns(job)), icon=":material/group:")
        if not access.owns(job) and access.may_cancel(job) and st.button(
                t("jobs.cancel_other", name=job.owner_name or job.owner or "?"), key=f"cancel_other_{job.id}"):
            access.cancel_job(queue, job)
            st.toast(t("lab.cancel_requested"))
    if others and not busy and any(not access.owns(job) for job in others):
        st.caption(t("jobs.queue_behind"))
