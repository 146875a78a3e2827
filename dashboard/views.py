"""Reusable page sections for the lab and runs pages: read widgets, call core, render.

Everything heavy (TensorFlow, MLflow) is imported inside the functions that need it, so a
page pays for it only when it shows that section.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd
import streamlit as st

from core.config import get_settings
from core.errors import DataError, StudioError
from dashboard import access, charts
from dashboard.business_views import render_business_case  # noqa: F401 - every lab's Results call it from here
from dashboard.i18n import current_language, dataset_source, device_text, error_text, t
from dashboard.pretrained_views import download_text, render_pretrained_notice, starting_point
from dashboard.widgets import translated_choice

ACTIVE_STATES = ("queued", "running")


# ---- data ----------------------------------------------------------------------------------

def upload_bytes(upload: Any) -> bytes:
    """An uploaded file's bytes; DataError naming the limit when it is over STUDIO_MAX_UPLOAD_MB."""
    data = upload.getvalue()
    if len(data) > get_settings().max_upload_bytes:
        raise DataError("errors.data.upload_too_large", size_mb=round(len(data) / 2**20, 1),
                        limit_mb=get_settings().max_upload_mb)
    return data


def stored_upload_kwargs(upload: Any) -> dict[str, str]:
    """Keep an uploaded zip in the data dir (so its runs can be re-evaluated) and name it for the loader."""
    from core.training.pipeline import store_upload

    return {"data": str(store_upload(upload_bytes(upload), suffix=".zip")), **upload_name_kwargs(upload)}


def upload_name_kwargs(upload: Any) -> dict[str, str]:
    """The upload's original file name as a dataset kwarg: runs record it, so people can tell uploads apart."""
    from core.training.pipeline import UPLOAD_NAME

    name = str(getattr(upload, "name", "") or "")
    return {UPLOAD_NAME: name} if name else {}


def upload_name(dataset_kwargs: dict[str, Any]) -> str:
    """The original file name of an upload among dataset kwargs ("" for bundled data)."""
    from core.training.pipeline import UPLOAD_NAME

    return str(dataset_kwargs.get(UPLOAD_NAME) or "")


def forget_upload(dataset_kwargs: dict[str, Any]) -> None:
    """Delete a stored upload that failed validation; nothing else refers to it."""
    path = dataset_kwargs.get("data")
    if path and Path(path).parent == get_settings().data_dir / "uploads":
        Path(path).unlink(missing_ok=True)


def render_source_and_seed(use_case: Any, *, prefix: str) -> tuple[Any, int]:
    """The dataset source picker (title · bundled/online/uploaded), its description and the split seed."""
    sources = {source.id: source for source in use_case.datasets if source.kind != "uploaded" or access.can("upload")}
    source_id = translated_choice(
        st.selectbox, t("lab.dataset"), list(sources), key=f"{prefix}_dataset",
        format_func=lambda sid: f"{t(sources[sid].title_key)} · {t('lab.kind_' + sources[sid].kind)}",
    )
    source = sources[source_id]
    if source.description_key:
        st.caption(t(source.description_key))
    seed = int(st.number_input(t("lab.seed"), min_value=0, max_value=2**31 - 1, value=0, step=1,
                               key=f"{prefix}_seed", help=t("lab.seed_help")))
    return source, seed


def checked_uploader(label: str, *, key: str, help_key: str | None = None, needed_key: str | None = None,
                     types: tuple[str, ...] | None = None) -> Any | None:
    """A file uploader whose texts are the studio's, translated; None once an info or error is shown.

    The browser accepts any file: Streamlit refuses other types with its own English tooltip that
    names no type. Here a file of another type gets a translated message naming the accepted ones,
    and the help says which types and what size are accepted in the reader's language.
    """
    from core.data.delimited import DELIMITED_EXTENSIONS, check_extension

    accepted = tuple(types or DELIMITED_EXTENSIONS)
    mb = get_settings().max_upload_mb
    help_text = t("formats.types_help", types=", ".join(f".{e}" for e in accepted), mb=mb)
    if help_key:
        help_text = f"{t(help_key)}  \n{help_text}"
    upload = st.file_uploader(label, type=None, key=key, help=help_text)
    if upload is None:
        if needed_key:
            st.info(t(needed_key))
        return None
    try:
        check_extension(upload.name, accepted)
    except StudioError as error:
        st.error(error_text(error))
        return None
    return upload


def load_csv_source(use_case: Any, source: Any, seed: int, *, prefix: str, area: str,
                    upload_kwargs: Callable[[Any], dict[str, Any]]) -> tuple[Any, dict[str, Any]] | None:
    """The chosen dataset, asking for a CSV first when the source is an upload; None once a message is shown.

    `upload_kwargs(upload)` turns the file into loader arguments (it may ask for columns); the
    widget key is `<prefix>_upload_csv` and its texts are `<area>.upload_csv/_help/_needed`.
    """
    dataset_kwargs: dict[str, Any] = {}
    try:
        if source.kind == "uploaded":
            upload = checked_uploader(t(f"{area}.upload_csv"), key=f"{prefix}_upload_csv",
                                      help_key=f"{area}.upload_help", needed_key=f"{area}.upload_needed")
            if upload is None:
                return None
            dataset_kwargs = {**upload_kwargs(upload), **upload_name_kwargs(upload)}
        dataset = load_dataset_for_ui(use_case.id, source.id, seed, dataset_kwargs)
    except StudioError as error:
        st.error(error_text(error))
        return None
    return dataset, dataset_kwargs


def load_dataset_for_ui(use_case_id: str, source_id: str, seed: int, dataset_kwargs: dict[str, Any]):
    """The dataset, shared in memory with the training jobs (core keeps one copy per process)."""
    from core.training.pipeline import load_dataset

    with st.spinner(t("lab.loading_data")):
        return load_dataset(use_case_id, source_id, seed=seed, **dataset_kwargs)


def _example_indices(labels: np.ndarray, num_classes: int, per_class: int = 2) -> list[int]:
    picked: list[int] = []
    for class_index in range(num_classes):
        picked.extend(np.flatnonzero(labels == class_index)[:per_class].tolist())
    return picked[:32]


def render_dataset_overview(dataset: Any, *, upload_name: str = "") -> None:
    """Sizes, provenance and licence, sample images per class, class balance per split."""
    sizes = dataset.sizes
    columns = st.columns(4)
    columns[0].metric(t("lab.train_examples"), f"{sizes['train']:,}")
    columns[1].metric(t("lab.val_examples"), f"{sizes['val']:,}")
    columns[2].metric(t("lab.test_examples"), f"{sizes['test']:,}")
    columns[3].metric(t("lab.classes"), dataset.num_classes)
    provenance, licence = dataset_source(dataset, upload_name=upload_name)
    st.caption(f"**{t('lab.provenance')}:** {provenance}  \n**{t('lab.licence')}:** {licence}  \n"
               f"**{t('lab.image_shape')}:** {' × '.join(str(d) for d in dataset.input_shape)} · "
               f"{t('lab.fingerprint')}: `{dataset.fingerprint}`")
    indices = _example_indices(dataset.y_train, dataset.num_classes)
    st.plotly_chart(
        charts.plot_sample_images(dataset.x_train[indices], [dataset.class_names[dataset.y_train[i]] for i in indices],
                                  columns=8),
        key="lab_samples_chart",
    )
    counts = {t(f"lab.split_{split}"): dataset.class_counts(split).tolist() for split in ("train", "val", "test")}
    st.plotly_chart(
        charts.plot_class_balance(list(dataset.class_names), counts, title=t("lab.class_balance"),
                                  x_title=t("lab.class"), y_title=t("lab.examples")),
        key="lab_balance_chart",
    )


# ---- candidates and training ---------------------------------------------------------------

@st.cache_data(show_spinner=False)
def parameter_counts(use_case_id: str, input_shape: tuple[int, ...], num_classes: int) -> dict[str, int]:
    """Trainable size of every candidate for this input shape (builds each model once, never trains)."""
    from core.usecases.registry import get_use_case

    counts: dict[str, int] = {}
    features = int(np.prod(input_shape))
    for candidate in get_use_case(use_case_id).candidates:
        if candidate.kind == "keras" and candidate.weights:  # a pretrained backbone: known, not built (seconds)
            from core.usecases.vision.pretrained import parameter_count

            counts[candidate.id] = parameter_count(candidate.weights, num_classes)
        elif candidate.kind == "keras":
            counts[candidate.id] = int(candidate.build(tuple(input_shape), num_classes).count_params())
        else:
            counts[candidate.id] = features * num_classes + num_classes
    return counts


def _candidate_table(use_case: Any, counts: dict[str, int]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            t("lab.model"): [t(c.name_key) for c in use_case.candidates],
            t("lab.what_when"): [t(c.description_key) for c in use_case.candidates],
            t("pretrained.column"): [starting_point(c) for c in use_case.candidates],
            t("lab.parameters"): [f"{counts.get(c.id, 0):,}" for c in use_case.candidates],
        }
    )


def render_training_controls(use_case: Any, dataset: Any, source_id: str, seed: int,
                             dataset_kwargs: dict[str, Any], queue: Any) -> None:
    """Pick a candidate (sizes shown for this image shape) and its settings, start a background job, follow it."""
    with st.spinner(t("lab.counting_parameters")):
        counts = parameter_counts(use_case.id, dataset.input_shape, dataset.num_classes)
    own_job = render_candidate_training(use_case, source_id, seed, dataset_kwargs, queue, prefix="lab",
                                        batch_sizes=[16, 32, 64, 128, 256], early_stopping=False,
                                        table=_candidate_table(use_case, counts),
                                        max_epochs=200, learning_rates=[1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 1.0],
                                        patience=3)
    if own_job:
        render_job_progress(queue, own_job)


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


LEARNING_RATES = (1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2)


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


def render_candidate_training(use_case: Any, source_id: str, seed: int, dataset_kwargs: dict[str, Any], queue: Any,
                              *, prefix: str, batch_sizes: list[int], early_stopping: bool,
                              table: pd.DataFrame | None = None, max_epochs: int = 100,
                              learning_rates: Any = None, patience: int = 2,
                              class_weight_help: str | None = None) -> str | None:
    """Candidate table, model choice, fit settings and the Train button of a lab; the job id to follow, if any.

    Widget keys are `<prefix>_model`, `<prefix>_epochs`, ... so each use case keeps its own choices.
    Every source starts on the use case's default model; choosing a model puts its own epochs, batch
    size and learning rate on the widgets. One-pass models (scikit-learn, popularity) show no fit
    settings, only a line saying they do not apply. `table` replaces the default name/description table;
    `class_weight_help` (a translated text) adds a "class weights (balanced)" box.
    """
    candidates = {candidate.id: candidate for candidate in use_case.candidates}
    if table is None:
        table = pd.DataFrame({t("lab.model"): [t(c.name_key) for c in use_case.candidates],
                              t("lab.what_when"): [t(c.description_key) for c in use_case.candidates],
                              t("pretrained.column"): [starting_point(c) for c in use_case.candidates]})
    st.table(table.set_index(t("lab.model")))
    model_key = f"{prefix}_model"
    default_id = use_case.default_candidate or use_case.candidates[0].id
    keep_model = kept_value(model_key, default_id, valid=candidates.__contains__)
    # every candidate's own defaults are among the options: a value missing from them would
    # silently show (and train with) the first option instead
    batch_options = candidate_options(batch_sizes, [c.default_batch_size for c in use_case.candidates])
    rate_options = candidate_options(learning_rates or LEARNING_RATES,
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
    is_keras = candidate.kind == "keras"
    settings = fit_defaults(candidate)
    stop_early = False
    if is_keras:
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
                             patience=patience, seed=int(seed), class_weight="balanced" if balanced else None)
        own_job = submit_training(queue, use_case.id, source_id, candidate_id, config, dataset_kwargs)
        st.session_state[f"{prefix}_job_id"] = own_job
    others = [job for job in queue.active() if job.id != own_job]
    if others:
        st.info(t("lab.other_jobs", titles=", ".join(job_label(job) for job in others)))
    return own_job


def job_label(job: Any) -> str:
    """A queued or running job as people name it ("Finance risk · Gradient boosting (scikit-learn)"), not
    its title of ids ("finance / upload_csv / gbm")."""
    meta = getattr(job, "meta", None) or {}
    if not meta.get("use_case") or not meta.get("model"):
        return str(job.title)
    return f"{_use_case_title(meta['use_case'])} · {model_name(meta['use_case'], meta['model'])}"


def _progress_fraction(progress: Any) -> float:
    if progress is None or not getattr(progress, "epochs", 0):
        return 0.0
    done = max(progress.epoch - 1, 0) + (progress.batch / progress.batches if progress.batches else 0.0)
    return float(min(max(done / progress.epochs, 0.0), 1.0))


def _format_seconds(seconds: float | None) -> str:
    if seconds is None or not np.isfinite(seconds):
        return "–"
    seconds = int(round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"


def has_curve(history: dict[str, list[float]] | None) -> bool:
    """True when a history holds two or more epochs: one point (a one-pass fit) draws no learning curve."""
    return max((len(values) for values in (history or {}).values()), default=0) >= 2


def render_history_charts(history: dict[str, list[float]], *, key: str) -> None:
    """Accuracy and loss curves, train against validation, side by side; a note for a one-pass fit."""
    if not history or not any(history.values()):
        return
    if not has_curve(history):
        st.caption(t("lab_forms.one_point_history"))
        return
    left, right = st.columns(2)
    for column, metric, title_key, y_key in ((left, "accuracy", "lab.accuracy_curve", "lab.accuracy"),
                                              (right, "loss", "lab.loss_curve", "lab.loss")):
        column.plotly_chart(
            charts.plot_history(history, metric=metric, title=t(title_key), x_title=t("lab.epoch"),
                                y_title=t(y_key), train_label=t("lab.train_split"), val_label=t("lab.val_split")),
            key=f"{key}_{metric}",
        )


def render_job_progress(queue: Any, job_id: str, *, prefix: str = "lab",
                        render_curves: Callable[..., None] | None = None, evaluating_key: str = "lab.evaluating",
                        render_outcome: Callable[[Any], None] | None = None) -> None:
    """Live progress of one job: polls the queue every second while it runs, then shows the outcome.

    A use case passes its own live curves (e.g. RMSE or ROC-AUC), the text shown while the test set is
    evaluated and the line that says how a job ended; widget keys start with `prefix`.
    """
    render_curves = render_curves or render_history_charts
    render_outcome = render_outcome or render_job_outcome
    state = queue.get(job_id)
    if state is None:
        return
    active = state.state in ACTIVE_STATES

    @st.fragment(run_every=1.0 if active else None)
    def panel() -> None:
        current = queue.get(job_id)
        progress = current.progress
        if current.state == "queued":
            st.info(t("lab.queued"))
        elif current.state == "running":
            if progress is None or getattr(progress, "phase", "") == "preparing":
                st.progress(0.0, text=t("lab.preparing"))
            elif progress.phase == "downloading":
                st.progress(progress.fraction, text=download_text(progress))
            else:
                text = t("lab.progress_text", epoch=progress.epoch, epochs=progress.epochs, batch=progress.batch,
                         batches=progress.batches, eta=_format_seconds(progress.eta_s),
                         speed=f"{getattr(progress, 'samples_per_second', 0) or 0:,.0f}")
                if getattr(progress, "phase", "") == "evaluating":
                    text = t(evaluating_key)
                st.progress(_progress_fraction(progress), text=text)
                if has_curve(progress.history):  # the first epoch's single point waits for the second
                    render_curves(progress.history, key=f"{prefix}_live_{job_id}")
            # once the fit is over (test set evaluation, saving) there is no training left to cancel
            if getattr(progress, "phase", "") not in ("evaluating", "done") and st.button(
                    t("lab.cancel"), key=f"{prefix}_cancel"):
                queue.cancel(job_id)
                st.toast(t("lab.cancel_requested"))
        else:
            seen_key = f"{prefix}_seen_{job_id}"
            if not st.session_state.get(seen_key):
                st.session_state[seen_key] = True
                if current.run_id:
                    st.session_state["lab_pending_run"] = current.run_id
                st.rerun()
            render_outcome(current)

    panel()


def render_job_outcome(state: Any) -> None:
    """One line saying how the job ended, in the reader's language."""
    if state.state == "completed":
        outcome = state.result
        if getattr(outcome, "status", "completed") == "cancelled":
            st.warning(t("lab.cancelled"))
        else:
            accuracy = (outcome.metrics or {}).get("test_accuracy") if outcome else None
            st.success(t("lab.finished", accuracy=f"{accuracy:.2%}" if accuracy is not None else "–",
                         device=device_text(getattr(outcome, "device", None))))
    elif state.state == "cancelled":
        st.warning(t("lab.cancelled"))
    elif state.state == "failed":
        st.error(error_text(state.error) if state.error is not None else t("lab.failed"))


# ---- runs and results ----------------------------------------------------------------------

def _status_label(status: str) -> str:
    return t(f"training.status.{status}") if status else "–"


def render_run_picker(tracker: Any, use_case_id: str, source_id: str, *, key: str) -> str | None:
    """Choose one of this dataset's tracked runs (newest first); None when there are none."""
    runs = tracker.list_runs(use_case=use_case_id)
    runs = runs[runs["dataset"] == source_id] if not runs.empty else runs
    if runs.empty:
        return None
    labels = {}
    for row in runs.to_dict("records"):
        started = row["started"].strftime("%Y-%m-%d %H:%M") if isinstance(row["started"], (pd.Timestamp, dt.datetime)) else ""
        uploaded = f" · {dataset_text(row)}" if row.get("source_kind") == "uploaded" else ""
        labels[row["run_id"]] = (f"{started} · {model_name(use_case_id, row['model'])}{uploaded} · "
                                 f"{_primary_metric_text(row)} · {_status_label(row['status'])}")
    pending = st.session_state.pop("lab_pending_run", None)
    if pending in labels:
        st.session_state[key] = pending
    if st.session_state.get(key) not in labels:
        completed = runs.loc[runs["status"] == "completed", "run_id"]
        st.session_state[key] = completed.iloc[0] if not completed.empty else next(iter(labels))
    return translated_choice(st.selectbox, t("lab.pick_run"), list(labels), key=key, format_func=labels.get)


def _evaluation_dataset(tracker: Any, run: Any, evaluation: dict[str, Any], dataset: Any) -> Any:
    """The dataset the evaluation indices refer to: the page's one when it matches, else the run's own."""
    if dataset is not None and evaluation.get("dataset_fingerprint") == dataset.fingerprint:
        return dataset
    from core.tracking.records import run_record
    from core.training.pipeline import load_run_dataset

    try:
        return load_run_dataset(tracker, run.info.run_id, record=run_record(run))
    except (StudioError, KeyError, FileNotFoundError):
        return None


def render_evaluation(evaluation: dict[str, Any], *, key: str, dataset: Any = None) -> None:
    """Confusion matrix, per-class precision/recall and the most confident mistakes."""
    class_names = evaluation["class_names"]
    left, right = st.columns(2)
    left.plotly_chart(
        charts.plot_confusion_matrix(evaluation["confusion_matrix"], class_names, title=t("lab.confusion"),
                                     x_title=t("lab.predicted"), y_title=t("lab.actual")),
        key=f"{key}_confusion",
    )
    right.plotly_chart(
        charts.plot_per_class_metrics(evaluation["per_class"], title=t("lab.per_class"), x_title=t("lab.class"),
                                      y_title=t("lab.score"),
                                      metric_labels={"precision": t("lab.precision"), "recall": t("lab.recall")},
                                      support_label=t("lab.support")),
        key=f"{key}_per_class",
    )
    wrong = evaluation.get("misclassified", [])
    st.subheader(t("lab.mistakes", count=len(wrong)))
    if not wrong:
        st.success(t("lab.no_mistakes"))
    elif dataset is None:
        st.info(t("lab.mistakes_need_data"))
    else:
        indices = [item["index"] for item in wrong]
        titles = [t("lab.mistake_title", true=class_names[item["true"]], predicted=class_names[item["predicted"]],
                    confidence=f"{item['confidence']:.0%}") for item in wrong]
        st.plotly_chart(charts.plot_sample_images(dataset.x_test[indices], titles, columns=6),
                        key=f"{key}_mistakes")


def render_metric_row(metrics: dict[str, float], tags: dict[str, str]) -> None:
    """Headline figures of a run, with units."""
    columns = [*st.columns(3), *st.columns(3)]  # two rows: long values (device names) stay readable
    accuracy = metrics.get("test_accuracy")
    columns[0].metric(t("lab.test_accuracy"), f"{accuracy:.2%}" if accuracy is not None else "–")
    f1 = metrics.get("test_macro_f1")
    columns[1].metric(t("lab.macro_f1"), f"{f1:.3f}" if f1 is not None else "–")
    p50 = metrics.get("latency_p50_ms")
    columns[2].metric(t("lab.latency_p50"), f"{p50:.2f} ms" if p50 is not None else "–",
                      help=t("lab.latency_help"))
    params = metrics.get("parameters")
    columns[3].metric(t("lab.parameters"), f"{int(params):,}" if params is not None else "–")
    seconds = metrics.get("train_seconds")
    columns[4].metric(t("lab.train_time"), f"{seconds:.1f} s" if seconds is not None else "–")
    columns[5].metric(t("lab.device"), device_text(tags.get("studio.device")))


def render_run_results(tracker: Any, run_id: str, dataset: Any) -> None:
    """Everything a finished run measured: figures, curves, confusion matrix, mistakes."""
    from core.training.pipeline import EVALUATION_FILE

    try:
        run = tracker.get_run(run_id)
    except StudioError as error:
        st.error(error_text(error))
        return
    from dashboard.lab_views import view_function

    status = run.data.tags.get("studio.status", "")
    use_case_id = run.data.params.get("use_case")
    (view_function(use_case_id, "render_metric_row") or render_metric_row)(run.data.metrics, run.data.tags)
    if status != "completed":
        st.warning(t("lab.run_not_completed", status=_status_label(status)))
    render_history_charts(tracker.history(run_id), key=f"hist_{run_id}")
    try:
        evaluation = tracker.load_dict(run_id, EVALUATION_FILE)
    except (StudioError, FileNotFoundError, OSError):
        evaluation = None
    if evaluation:
        render_evaluation(evaluation, key=f"eval_{run_id}", dataset=_evaluation_dataset(tracker, run, evaluation, dataset))
        render_business_case(tracker, run_id, use_case_id, evaluation)


@st.cache_resource(max_entries=4, show_spinner=False)
def _run_model(run_id: str) -> Any:
    """A finished run's model, loaded once for inference (never a model that is being trained)."""
    from core.training.pipeline import load_run_model
    from dashboard.services import get_tracker

    return load_run_model(get_tracker(), run_id)


def render_try_image(tracker: Any, run_id: str, dataset: Any) -> None:
    """Upload one image (or pick a test image) and get the model's top-3 classes."""
    from core.evaluation.metrics import top_k
    from core.evaluation.serving import predict_proba
    from core.usecases.vision.upload import prepare_single_image

    run = tracker.get_run(run_id)
    if run.data.tags.get("studio.status") != "completed":
        st.info(t("lab.try_needs_completed"))
        return
    st.caption(t("lab.try_intro", model=model_name(run.data.params.get("use_case"), run.data.params.get("model", "?"))))
    upload = checked_uploader(t("lab.try_upload"), key="lab_try_image",
                              types=("png", "jpg", "jpeg", "bmp", "gif", "webp"))
    index = st.number_input(t("lab.try_index"), min_value=0, max_value=len(dataset.y_test) - 1, value=0, step=1,
                            key="lab_try_index")
    try:
        model = _run_model(run_id)
        if upload is not None:
            image = prepare_single_image(upload.getvalue(), input_shape=dataset.input_shape)
            caption = upload.name
        else:
            image = dataset.x_test[int(index): int(index) + 1]
            caption = t("lab.try_true", label=dataset.class_names[dataset.y_test[int(index)]])
        expected = tuple(int(d) for d in getattr(model, "input_shape", (None, *dataset.input_shape))[1:])
        if expected and expected != dataset.input_shape:
            st.error(t("errors.model.shape_mismatch", model_shape=expected, data_shape=dataset.input_shape))
            return
        probabilities = predict_proba(model, image.astype("float32"))[0]
    except StudioError as error:
        st.error(error_text(error))
        return
    left, right = st.columns([1, 2])
    left.plotly_chart(charts.plot_sample_images(image, [caption], columns=1), key="lab_try_preview")
    pairs = top_k(probabilities, list(dataset.class_names), k=3)
    right.plotly_chart(charts.plot_top_k(pairs, title=t("lab.top3"), x_title=t("lab.probability")),
                       key="lab_try_top3")


def render_import_model(tracker: Any, use_case_id: str, source_id: str, seed: int,
                        dataset_kwargs: dict[str, Any]) -> None:
    """Load a saved .keras model (safe mode), evaluate it on this dataset and track it as a run."""
    if not access.can("import"):
        return
    with st.expander(t("lab.import_title")):
        st.caption(t("lab.import_help"))
        upload = checked_uploader(t("lab.import_file"), key="lab_model_file", types=("keras",))
        if st.button(t("lab.import_button"), key="lab_import", disabled=upload is None):
            from core.audit import import_model

            try:
                with st.spinner(t("lab.import_running")):
                    outcome = import_model(access.current_identity(), log_path=get_settings().audit_log,
                                           tracker=tracker, use_case=use_case_id, dataset=source_id,
                                           model_bytes=upload.getvalue(), filename=upload.name, seed=seed,
                                           dataset_kwargs=dataset_kwargs)
            except StudioError as error:
                st.error(error_text(error))
                return
            st.session_state["lab_pending_run"] = outcome.run_id
            st.session_state["lab_flash"] = t("lab.import_done", accuracy=f"{outcome.metrics['test_accuracy']:.2%}")
            st.rerun()
        if "lab_flash" in st.session_state:
            st.success(st.session_state.pop("lab_flash"))


# ---- runs page -----------------------------------------------------------------------------

def _use_case_title(use_case_id: str) -> str:
    from core.usecases.registry import USE_CASES

    return t(USE_CASES[use_case_id].title_key) if use_case_id in USE_CASES else use_case_id


def model_name(use_case_id: Any, model_id: Any) -> str:
    """A candidate's name for people ("Gradient boosting (scikit-learn)"), not its id (`gbm`)."""
    from core.usecases.registry import model_title

    return model_title(use_case_id, model_id, current_language())


def metric_value_text(metric: str, value: Any) -> str:
    """A test figure that says which metric it is: "AUC 0.812", "accuracy 93.1 %", "RMSE 0.857 stars"."""
    from core.evaluation.catalogue import format_metric

    shown = format_metric(metric, value)  # "–" when missing or not finite
    if shown == "–":
        return shown
    if metric == "test_accuracy":
        return t("run_names.metric_value.test_accuracy", value=f"{float(value) * 100:.1f}")
    if metric in ("test_roc_auc", "test_rmse"):
        return t(f"run_names.metric_value.{metric}", value=f"{float(value):.3f}")
    return t("run_names.metric_value.other", metric=t(f"selection.metrics.{metric}"), value=shown)


def _primary_metric_text(row: Any) -> str:
    from core.usecases.registry import USE_CASES

    use_case = USE_CASES.get(row.get("use_case"))
    name = use_case.primary_metric if use_case else "test_accuracy"
    return metric_value_text(name, row.get(name))


def dataset_text(row: Any) -> str:
    """The data a run used as people know it: an upload's file name and size ("credit.csv · 1,000 rows"),
    else the source's title; never the source id (`upload_csv`) or the stored file's hash."""
    from core.usecases.registry import USE_CASES

    use_case_id, source_id = row.get("use_case"), str(row.get("dataset") or "")
    use_case = USE_CASES.get(use_case_id)
    source = next((s for s in use_case.datasets if s.id == source_id), None) if use_case else None
    title = t(source.title_key) if source is not None else source_id
    uploaded = (source is not None and source.kind == "uploaded") or row.get("source_kind") == "uploaded"
    if not uploaded:
        return title
    name = str(row.get("source_name") or "").strip() or title
    try:
        rows = float(row.get("dataset_rows"))
    except (TypeError, ValueError):
        rows = float("nan")
    if not np.isfinite(rows):
        return name
    unit = use_case_id if use_case_id in ("vision", "nlp", "recommendation", "finance") else "other"
    return t("run_names.upload", name=name, rows=t(f"run_names.rows.{unit}", count=f"{int(rows):,}"))


def runs_table(runs: pd.DataFrame) -> pd.DataFrame:
    """The run history as a person reads it: translated headers, units, status words."""
    return pd.DataFrame(
        {
            t("runs.col_started"): runs["started"].dt.strftime("%Y-%m-%d %H:%M:%S")
            if hasattr(runs["started"], "dt") else runs["started"],
            t("runs.col_use_case"): runs["use_case"].map(_use_case_title),
            t("runs.col_dataset"): [dataset_text(row) for row in runs.to_dict("records")],
            t("runs.col_model"): [model_name(row.get("use_case"), row["model"]) for row in runs.to_dict("records")],
            t("runs.col_device"): runs["device"].map(device_text),
            t("runs.col_duration"): runs["duration_s"].map(lambda s: f"{s:.1f} s" if pd.notna(s) else "–"),
            t("runs.col_metric"): [_primary_metric_text(row) for row in runs.to_dict("records")],
            t("runs.col_status"): runs["status"].map(_status_label),
            t("access.col_user"): runs["user"].replace("", "–") if "user" in runs else "–",
            t("runs.col_id"): runs["run_id"].str[:8],
        }
    )


def run_labels(runs: pd.DataFrame) -> dict[str, str]:
    """Short unambiguous names for runs in pickers and legends."""
    labels: dict[str, str] = {}
    for row in runs.to_dict("records"):
        started = row["started"].strftime("%m-%d %H:%M") if isinstance(row["started"], (pd.Timestamp, dt.datetime)) else ""
        label = (f"{model_name(row.get('use_case'), row['model'])} · {dataset_text(row)} · "
                 f"{_primary_metric_text(row)} · {started}")
        if label in labels.values():  # two runs alike to the minute: the run id tells them apart
            label = f"{label} · {row['run_id'][:6]}"
        labels[row["run_id"]] = label
    return labels


def default_overlay(runs: pd.DataFrame, *, limit: int = 3) -> list[str]:
    """The newest completed runs of ONE use case (the newest run's): curves of different tasks never share a chart
    unless someone picks them."""
    completed = runs[runs["status"] == "completed"]
    if completed.empty:
        return []
    if "started" in completed:
        completed = completed.sort_values("started", ascending=False, kind="stable")
    newest_use_case = completed["use_case"].iloc[0]
    return list(completed.loc[completed["use_case"] == newest_use_case, "run_id"][:limit])


def recorded_curves(histories: dict[str, dict[str, list[float]]]) -> set[str]:
    """Curve names (accuracy, auc, loss) that at least one run ({run_id: history}) recorded per epoch; loss always."""
    names = {"loss"}
    for history in histories.values():
        names.update(name for name in history if not name.startswith("val_"))
    return names


def curve_label(metric: str, tasks: Any = ()) -> str:
    """A curve's name; the loss says which loss the runs' tasks train on (ratings: squared error)."""
    if metric != "loss":
        return t(f"lab.{metric}")
    tasks = set(tasks)
    if tasks and tasks <= {"rating"}:
        return t("lab.loss_squared")
    if "rating" in tasks:
        return t("lab.loss_mixed")
    return t("lab.loss")


def render_runs_overlay(histories: dict[str, dict[str, list[float]]], labels: dict[str, str], metric: str,
                        *, tasks: Any = ()) -> None:
    """Training and validation curves of several runs ({run_id: history}) on one chart."""
    label = curve_label(metric, tasks)
    st.plotly_chart(
        charts.plot_runs_overlay({labels[run_id]: history for run_id, history in histories.items()}, metric=metric,
                                 title=t("runs.overlay_chart", metric=label), x_title=t("lab.epoch"), y_title=label,
                                 train_label=t("lab.train_split"), val_label=t("lab.val_split")),
        key="runs_overlay_chart",
    )


def render_run_details(tracker: Any, run_id: str) -> None:
    """One run: its figures and settings, re-evaluate its reloaded model, download it, delete it."""
    from dashboard.lab_views import view_function

    run = tracker.get_run(run_id)
    tags, params = run.data.tags, run.data.params
    use_case_id = params.get("use_case")
    status = tags.get("studio.status", "")
    explanation = t(f"training.status_help.{status}") if status in ("interrupted", "diverged") else ""
    st.markdown(f"**{t('runs.status', status=_status_label(status))}** {explanation}")
    (view_function(use_case_id, "render_metric_row") or render_metric_row)(run.data.metrics, tags)
    with st.expander(t("runs.settings")):
        st.json({"run_id": run_id, **params, "dataset_title": tags.get("studio.dataset_title", ""),
                 "dataset_fingerprint": tags.get("studio.dataset_fingerprint", "")}, expanded=False)
    completed = tags.get("studio.status") == "completed"
    col_eval, col_download, col_delete = st.columns(3)
    if col_eval.button(t("runs.reevaluate"), key="runs_reevaluate", disabled=not completed,
                       help=t("runs.reevaluate_help")):
        from core.training.pipeline import reevaluate_run

        try:
            with st.spinner(t("runs.reevaluating")):
                evaluation = reevaluate_run(tracker, run_id)
        except StudioError as error:
            st.error(error_text(error))
        else:
            from core.usecases.registry import USE_CASES

            metric = USE_CASES[use_case_id].primary_metric if use_case_id in USE_CASES else "test_accuracy"
            fresh = metric_value_text(metric, evaluation.get(metric.removeprefix("test_")))  # same words as stored
            st.success(t("runs.reevaluated", accuracy=fresh, stored=_primary_metric_text({**run.data.metrics,
                                                                                          **params})))
            if not evaluation.get("same_data", True):
                st.warning(t("runs.data_changed"))
            (view_function(use_case_id, "render_evaluation") or render_evaluation)(evaluation, key=f"reeval_{run_id}")
    if completed:
        try:
            path = tracker.model_path(run_id)
        except (StudioError, FileNotFoundError, OSError):
            path = None
        if path is not None and Path(path).is_file():
            from core.models.io import is_legacy_pickle

            if is_legacy_pickle(path):
                st.info(t("access.legacy_pickle"))
            with col_download:
                if access.can("export", note=True):
                    st.download_button(t("runs.download"), data=Path(path).read_bytes(), file_name=Path(path).name,
                                       mime="application/octet-stream", key="runs_download")
    with col_delete:
        if not access.can("delete", note=True):
            return
    confirm = col_delete.checkbox(t("runs.delete_confirm"), key="runs_delete_confirm")
    if col_delete.button(t("runs.delete"), key="runs_delete", disabled=not confirm):
        from core.audit import delete_run

        try:
            delete_run(tracker, access.current_identity(), run_id, log_path=get_settings().audit_log)
        except StudioError as error:
            st.error(error_text(error))
            return
        st.session_state.pop("runs_focus", None)
        st.session_state.pop("runs_delete_confirm", None)
        st.toast(t("runs.deleted"))
        st.rerun()
