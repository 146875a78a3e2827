"""Image classification lab: images per class, candidates sized for this image shape, top-3 for a picture."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np
import streamlit as st

from core.contract.registry import get_use_case
from core.errors import StudioError
from core.evaluation.metrics import top_k
from core.evaluation.serving import predict_proba
from core.usecases.vision.upload import prepare_single_image
from dashboard import charts
from dashboard.i18n import error_text, t
from dashboard.job_progress import render_job_progress
from dashboard.lab_results import asked_for, completed_run, run_model
from dashboard.labs.contract import LabData, LabView
from dashboard.labs.generic import (render_class_balance, render_data, render_evaluation, render_metric_row, render_split_sizes,
                                    render_try_and_import)
from dashboard.run_names import model_name
from dashboard.training_form import render_candidate_training
from dashboard.uploads import checked_uploader
from dashboard.widgets import translated_choice

if TYPE_CHECKING:
    from core.data.dataset import Dataset
    from core.tracking.store import Tracker
    from core.training.jobs import JobQueue

IMAGE_TYPES = ("png", "jpg", "jpeg", "bmp", "gif", "webp")
PREFIX = "vision"  # every widget key of this lab starts with it (the use case id, as in the other labs)


# ---- 1. Data -----------------------------------------------------------------------------------

def _ask_zip() -> tuple[Any, dict[str, Any]] | None:
    """A zip of class folders and the size its photos are kept at; None (after a note) until a zip is chosen."""
    upload = checked_uploader(t("lab.upload_zip"), key=f"{PREFIX}_upload_zip", help_key="lab.upload_zip_help",
                              needed_key="lab.upload_zip_needed", types=("zip",))
    upload_size = translated_choice(st.selectbox, t("pretrained.upload_size"), [0, 96, 160, 224],
                                    key=f"{PREFIX}_upload_size", help=t("pretrained.upload_size_help"),
                                    format_func=lambda size: f"{size} x {size} px" if size else
                                    t("pretrained.upload_size_default"))  # its label changes with the language
    if upload is None:
        return None
    # photos kept at a pretrained backbone's resolution, not shrunk to 32x32
    return upload, ({"image_size": int(upload_size)} if upload_size else {})


def _example_indices(labels: np.ndarray, num_classes: int, per_class: int = 2) -> list[int]:
    picked: list[int] = []
    for class_index in range(num_classes):
        picked.extend(np.flatnonzero(labels == class_index)[:per_class].tolist())
    return picked[:32]


def render_dataset_overview(dataset: Dataset, *, upload_name: str = "") -> None:
    """Sizes, provenance and licence, sample images per class, class balance per split."""
    render_split_sizes(dataset, upload_name=upload_name, shape=" × ".join(str(d) for d in dataset.input_shape))
    indices = _example_indices(dataset.y_train, dataset.num_classes)
    st.plotly_chart(
        charts.plot_sample_images(dataset.x_train[indices], [dataset.class_names[dataset.y_train[i]] for i in indices],
                                  columns=8),
        key=f"{PREFIX}_samples_chart",
    )
    render_class_balance(dataset, key=PREFIX)


# ---- 2. Train ----------------------------------------------------------------------------------

@st.cache_data(show_spinner=False)
def parameter_counts(use_case_id: str, input_shape: tuple[int, ...], num_classes: int) -> dict[str, int]:
    """Trainable size of every candidate for this input shape (builds each model once, never trains); an LLM's is
    left out."""
    counts: dict[str, int] = {}
    features = int(np.prod(input_shape))
    for candidate in get_use_case(use_case_id).candidates:
        if candidate.asks_a_model:  # the provider's model: not counted, shown as a dash
            continue
        if candidate.starting_point == "pretrained" and candidate.weights:  # a backbone: known, not built (seconds)
            from core.usecases.vision.pretrained import parameter_count

            counts[candidate.id] = parameter_count(candidate.weights, num_classes)
        elif candidate.starting_point == "scratch":
            counts[candidate.id] = int(candidate.build(tuple(input_shape), num_classes).count_params())
        else:
            counts[candidate.id] = features * num_classes + num_classes
    return counts


def render_training_controls(data: LabData, queue: JobQueue) -> None:
    """Pick a candidate (sizes shown for this image shape) and its settings, start a background job, follow it."""
    use_case, dataset = data.use_case, data.dataset
    with st.spinner(t("lab.counting_parameters")):
        counts = parameter_counts(use_case.id, dataset.input_shape, dataset.num_classes)
    own_job = render_candidate_training(data, queue, prefix=PREFIX,
                                        batch_sizes=[16, 32, 64, 128, 256], early_stopping=False,
                                        parameters=counts, max_epochs=200,
                                        max_learning_rate=1.0, patience=3)
    if own_job:
        render_job_progress(queue, own_job, prefix=PREFIX)


# ---- 3. Results and 4. Try it --------------------------------------------------------------------

def _mistake_images(wrong: list[dict[str, Any]], class_names: list[str], dataset: Dataset, *, key: str) -> None:
    """The most confident mistakes as images titled with truth, prediction and confidence."""
    if dataset is None:
        st.info(t("lab.mistakes_need_data"))
    else:
        indices = [item["index"] for item in wrong]
        titles = [t("lab.mistake_title", true=class_names[item["true"]], predicted=item["predicted_name"],
                    confidence=item["confidence_text"]) if item["confidence_text"] != "–" else
                  t("lab.mistake_title_answer", true=class_names[item["true"]], predicted=item["predicted_name"])
                  for item in wrong]
        st.plotly_chart(charts.plot_sample_images(dataset.x_test[indices], titles, columns=6),
                        key=f"{key}_mistakes")


def render_try_image(tracker: Tracker, run_id: str, dataset: Dataset) -> None:
    """Upload one image (or pick a test image) and get the model's top-3 classes."""
    run = completed_run(tracker, run_id)
    if run is None:
        return
    intro = "llm_form.try_intro_llm" if run.params.get("model_kind") == "llm" else "lab.try_intro"
    st.caption(t(intro, model=model_name(run.params.get("use_case"), run.params.get("model", "?"))))
    upload = checked_uploader(t("lab.try_upload"), key=f"{PREFIX}_try_image",
                              types=IMAGE_TYPES)
    index = st.number_input(t("lab.try_index"), min_value=0, max_value=len(dataset.y_test) - 1, value=0, step=1,
                            key=f"{PREFIX}_try_index")
    question = f"{upload.name}:{upload.size}" if upload is not None else f"test:{int(index)}"
    if not asked_for(run, question, key=f"{PREFIX}_try"):  # an LLM: nothing is sent until the person asks
        return
    try:
        model = run_model(run_id)
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
    left.plotly_chart(charts.plot_sample_images(image, [caption], columns=1), key=f"{PREFIX}_try_preview")
    if run.params.get("model_kind") == "llm":  # an answer, not probabilities: say it, and what it cost
        scores = getattr(model, "last_scores_", None)
        answered = int(np.argmax(probabilities)) if probabilities.max() > 0 else None
        right.metric(t("llm_form.try_answer"), dataset.class_names[answered] if answered is not None
                     else t("llm_form.try_no_label"))
        if scores is not None and scores.cached:
            right.caption(t("llm_form.try_cached") if scores.cached[-1] else
                          t("llm_form.try_asked", tokens=f"{scores.tokens_in[-1]:,}", seconds=f"{scores.seconds[-1]:.1f}"))
        return
    pairs = top_k(probabilities, list(dataset.class_names), k=3)
    right.plotly_chart(charts.plot_top_k(pairs, title=t("lab.top3"), x_title=t("lab.probability")),
                       key=f"{PREFIX}_try_top3")


LAB = LabView(prefix=PREFIX,
              data=partial(render_data, prefix=PREFIX, ask_upload=_ask_zip, overview=render_dataset_overview),
              train=render_training_controls, results=None,
              try_it=partial(render_try_and_import, try_run=render_try_image), metric_row=render_metric_row,
              evaluation=partial(render_evaluation, mistakes=_mistake_images))
