"""A lab's training form: candidate table, model choice, fit settings kept across reruns, the Train button."""

from __future__ import annotations

from typing import Any, Callable

import pandas as pd
import streamlit as st

from core.training.fitters import fitter_for
from dashboard import access
from dashboard.i18n import t
from dashboard.job_progress import ACTIVE_STATES, job_label
from dashboard.pretrained_views import render_pretrained_notice, starting_point
from dashboard.widgets import translated_choice

def follow_own_job(queue: Any, use_case_id: str, state_key: str) -> tuple[str | None, bool]:
    """This session's training job of the use case (kept under state_key) and whether it is still active.

    A reload starts a new session, but the job lives on in the server: the page follows the use
    case's running job again (a queued one when none runs).
    """
    own_job = st.session_state.get(state_key)
    if own_job is None or queue.get(own_job) is None:
        active = sorted((job for job in queue.active() if job.meta.get("use_case") == use_case_id),
                        key=lambda job: job.state != "running")
        own_job = active[0].id if active else None
        st.session_state[state_key] = own_job
    own_state = queue.get(own_job) if own_job else None
    return own_job, own_state is not None and own_state.state in ACTIVE_STATES


def submit_training(queue: Any, use_case_id: str, source_id: str, candidate_id: str, config: Any,
                    dataset_kwargs: dict[str, Any]) -> str:
    """Queue one training run in the background; the job id (its meta lets a reloaded page find it)."""
    from core.training.pipeline import TrainingSpec, make_training_job
    from dashboard.services import get_tracker

    access.require("train")
    spec = TrainingSpec(use_case=use_case_id, dataset=source_id, candidate=candidate_id, config=config,
                        dataset_kwargs=dataset_kwargs, user=access.user_for_runs())
    return queue.submit(make_training_job(spec, get_tracker()), title=spec.title(),
                        meta={"use_case": use_case_id, "dataset": source_id, "model": candidate_id,
                              "epochs": config.epochs})


RATE_LADDER = (1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0)  # every learning-rate slider's steps


def learning_rates(up_to: float = 3e-2) -> list[float]:
    """The learning rates a slider offers: the ladder's steps up to `up_to` (a lab's largest sensible one)."""
    return [rate for rate in RATE_LADDER if rate <= up_to * (1 + 1e-9)]


LEARNING_RATES = tuple(learning_rates())  # the labs' default range, 1e-4 to 3e-2


def candidate_options(options: Any, defaults: Any) -> list[Any]:
    """A widget's options plus every candidate default they lack, in ascending order."""
    return sorted({*options, *(value for value in defaults if value is not None)})


def kept_value(key: str, default: Any, *, valid: Callable[[Any], bool] = lambda value: True) -> Callable[[], None]:
    """Hand the keyed widget `key` its remembered value this run; returns the on_change callback that remembers.

    Streamlit drops a widget's own state while the widget is off the page (an upload step before
    the training form, settings hidden for a one-pass model) but keeps a value once set through
    session state; the browser then mounts a fresh widget at its own default (first option,
    minimum) while the server reads the kept value. Seeding the key from a plain session entry on
    every run sends the value to the browser, so both show the same. A remembered value that is no
    longer `valid` (an option of another use case) falls back to `default`.
    """
    store = f"_kept_{key}"
    if store not in st.session_state or not valid(st.session_state[store]):
        st.session_state[store] = default
    st.session_state[key] = st.session_state[store]

    def keep() -> None:
        st.session_state[store] = st.session_state[key]

    return keep


def fit_defaults(candidate: Any) -> dict[str, Any]:
    """A candidate's own epochs, batch size and learning rate, as the training form's widgets hold them."""
    return {"epochs": candidate.default_epochs, "batch_size": candidate.default_batch_size,
            "learning_rate": candidate.default_learning_rate}


def render_candidate_training(data: Any, queue: Any, *, prefix: str, batch_sizes: list[int], early_stopping: bool,
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
        table[t("lab.parameters")] = [f"{parameters.get(c.id, 0):,}" for c in use_case.candidates]
    st.table(table.set_index(t("lab.model")))
    model_key = f"{prefix}_model"
    default_id = use_case.default_candidate or use_case.candidates[0].id
    keep_model = kept_value(model_key, default_id, valid=candidates.__contains__)
    # every candidate's own defaults are among the options: a value missing from them would
    # silently show (and train with) the first option instead
    batch_options = candidate_options(batch_sizes, [c.default_batch_size for c in use_case.candidates])
    rate_options = candidate_options(learning_rates(max_learning_rate),
                                     [c.default_learning_rate for c in use_case.candidates])
    valid = {"epochs": lambda value: isinstance(value, int) and 1 <= value <= max_epochs,
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
    if not fitter_for(candidate.kind).one_pass:  # epochs, batch and learning rate mean something
        col_epochs, col_batch, col_lr, col_stop = st.columns(4)
        settings["epochs"] = col_epochs.number_input(t("lab.epochs"), min_value=1, max_value=max_epochs, step=1,
                                                     key=f"{prefix}_epochs", on_change=keepers["epochs"])
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
    if class_weight_help is not None:
        keep_weight = kept_value(f"{prefix}_class_weight", False)
        balanced = st.checkbox(t("lab_forms.class_weight"), key=f"{prefix}_class_weight", on_change=keep_weight,
                               help=class_weight_help)
    can_train = render_pretrained_notice(candidate, int(settings["epochs"]))
    own_job, busy = follow_own_job(queue, use_case.id, f"{prefix}_job_id")
    if access.can("train", note=True) and st.button(t("lab.train"), type="primary", key=f"{prefix}_train",
                                                    disabled=busy or not can_train):
        from core.training.runner import TrainConfig

        config = TrainConfig(epochs=int(settings["epochs"]), batch_size=int(settings["batch_size"]),
                             learning_rate=float(settings["learning_rate"]), early_stopping=bool(stop_early),
                             patience=patience, seed=int(data.seed), class_weight="balanced" if balanced else None)
        own_job = submit_training(queue, use_case.id, data.source_id, candidate_id, config, data.kwargs)
        st.session_state[f"{prefix}_job_id"] = own_job
    others = [job for job in queue.active() if job.id != own_job]
    if others:
        st.info(t("lab.other_jobs", titles=", ".join(job_label(job) for job in others)))
    return own_job

