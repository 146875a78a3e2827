"""The lab a use case gets without one of its own, and the classification parts other labs share.

A fifth use case with array or table data (a classifier on its test split) needs no dashboard file:
a data overview (sizes, provenance, class balance, the first rows), the shared training form, the
shared results and a try-it that predicts a chosen test example.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any, Callable

import numpy as np
import pandas as pd
import streamlit as st

from core.errors import StudioError
from core.evaluation.metrics import top_k, wilson_interval
from core.evaluation.serving import predict_proba
from core.tracking.records import TAG_DEVICE, endpoint_of
from dashboard import charts
from dashboard.data_views import load_csv_source, load_dataset_for_ui, render_source_and_seed
from dashboard.i18n import dataset_source, device_text, error_text, t
from dashboard.job_progress import render_job_progress
from dashboard.lab_results import completed_run, render_import_model, run_model
from dashboard.labs.contract import LabData, LabView
from dashboard.run_names import model_name, seconds_text
from dashboard.training_form import render_candidate_training
from dashboard.uploads import checked_uploader, forget_upload, stored_upload_kwargs, upload_name

if TYPE_CHECKING:
    from core.contract.usecase import UseCase
    from core.data.dataset import Dataset
    from core.tracking.store import Tracker
    from core.training.jobs import JobQueue

PREVIEW_ROWS = 8


# ---- results of a classifier (vision, NLP and the generic lab) --------------------------------

def render_metric_row(metrics: dict[str, float], tags: dict[str, str]) -> None:
    """Headline figures of a classification run, with units."""
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
    asked = "test_invalid_answers" in metrics  # an LLM asked for answers: nothing trained, it answered somewhere
    if asked:
        columns[4].metric(t("llm_form.results_setup"), seconds_text(seconds), help=t("llm_form.results_setup_help"))
        host = endpoint_of(tags.get(TAG_DEVICE))
        if host is not None:  # the host alone: "Endpoint at …" was cut off in a tile
            columns[5].metric(t("llm_form.results_endpoint"), host)
        else:
            columns[5].metric(t("llm_form.results_device"), device_text(tags.get(TAG_DEVICE)))
    else:
        columns[4].metric(t("lab.train_time"), seconds_text(seconds), help=t("lab.train_time_help"))
        columns[5].metric(t("lab.device"), device_text(tags.get(TAG_DEVICE)))
    if "llm_cost_per_1000" in metrics:
        render_llm_figures(metrics)


def render_llm_figures(metrics: dict[str, float]) -> None:
    """An LLM run's own figures: how sure its accuracy is on the texts it scored, answers outside the labels,
    tokens per text, cost per 1,000 decisions (and what the run spent), answers the cache gave for free."""
    items = int(metrics.get("test_items") or 0)
    accuracy = metrics.get("test_accuracy")
    columns = st.columns(4)
    if accuracy is not None and items:
        low, high = wilson_interval(round(accuracy * items), items)
        st.caption(t("llm_form.results_interval", low=f"{low:.1%}", high=f"{high:.1%}", items=f"{items:,}"))
    if "test_invalid_answers" in metrics:  # a prompted model's answers; an embedding model gives no answers
        invalid = int(metrics.get("test_invalid_answers") or 0)
        columns[0].metric(t("llm_form.results_invalid"), t("llm_form.results_invalid_value", n=f"{invalid:,}",
                                                              items=f"{items:,}"),
                          help=t("llm_form.results_invalid_help"))
    else:
        columns[0].metric(t("llm_form.results_scored"), f"{items:,}", help=t("llm_form.results_scored_help"))
    columns[1].metric(t("llm_form.results_tokens"), f"{metrics.get('llm_tokens_in_per_item', 0):,.0f} / "
                                                    f"{metrics.get('llm_tokens_out_per_item', 0):,.0f}")
    from dashboard.llm_form import currency  # the payoff's currency, which the run's prices were typed in

    columns[2].metric(t("llm_form.results_cost", currency=currency()), f"{metrics.get('llm_cost_per_1000', 0):,.4g}",
                      help=t("llm_form.results_cost_help", spent=f"{metrics.get('llm_spent', 0):,.4g}"))
    answers = "test_invalid_answers" in metrics  # an embedding model gives vectors, not answers
    columns[3].metric(t("llm_form.results_cached" if answers else "llm_form.results_cached_texts"),
                      f"{int(metrics.get('llm_cached_answers') or 0):,}",
                      help=t("llm_form.results_cached_help" if answers else "llm_form.results_cached_texts_help"))


def render_class_scores(evaluation: dict[str, Any], *, key: str) -> None:
    """Confusion matrix and per-class precision/recall, side by side."""
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


def render_evaluation(evaluation: dict[str, Any], *, key: str, dataset: Dataset | None = None,
                      mistakes: Callable[..., None] | None = None, title_key: str = "lab.mistakes") -> None:
    """Class scores, then the most confident mistakes: `mistakes(wrong, class_names, dataset, key=...)` draws them
    (images, texts), a table of test example numbers by default."""
    render_class_scores(evaluation, key=key)
    llm = evaluation.get("llm") or {}
    answered = "invalid_answers" in llm  # an LLM asked for a label: no confidence to rank its mistakes by
    wrong = described_mistakes(evaluation.get("misclassified", []), evaluation["class_names"], answered=answered)
    st.subheader(t("llm_form.mistakes" if answered else title_key, count=len(wrong)))
    if not wrong:
        st.success(t("lab.no_mistakes"))
        return
    (mistakes or _mistakes_table)(wrong, evaluation["class_names"], dataset, key=key)


def described_mistakes(wrong: list[dict[str, Any]], class_names: list[str], *, answered: bool = False
                       ) -> list[dict[str, Any]]:
    """Each mistake with what a person reads: `predicted_name` ("no label" for an LLM's invalid answer, never the
    last class a -1 would index) and `confidence_text` ("–" for an LLM's answer, which has no confidence)."""
    described = []
    for item in wrong:
        predicted = int(item["predicted"])
        described.append({**item, "predicted_name": class_names[predicted] if predicted >= 0
                          else t("llm_form.try_no_label"),
                          "confidence_text": "–" if answered else f"{item['confidence']:.1%}"})
    return described


def _mistakes_table(wrong: list[dict[str, Any]], class_names: list[str], dataset: Dataset, *, key: str) -> None:
    st.dataframe(pd.DataFrame({
        t("lab.try_index"): [item["index"] for item in wrong],
        t("lab.actual"): [class_names[item["true"]] for item in wrong],
        t("lab.predicted"): [item["predicted_name"] for item in wrong],
        t("labs.confidence"): [item["confidence_text"] for item in wrong],
    }), hide_index=True, key=f"{key}_mistakes")


# ---- data ------------------------------------------------------------------------------------

def render_data(use_case: UseCase, *, prefix: str, ask_upload: Callable[[], tuple[Dataset, dict[str, Any]] | None] | None = None,
                overview: Callable[..., None] | None = None) -> LabData | None:
    """Source and seed, the file when the source is an upload, then the overview; None when nothing is loaded.

    `ask_upload()` shows the uploader (and any options) and returns (file, extra loader arguments) or None;
    `overview(dataset, upload_name=...)` draws the data (the generic table overview by default).
    """
    source, seed = render_source_and_seed(use_case, prefix=prefix)
    asked = None
    if source.kind == "uploaded":
        asked = (ask_upload or partial(_ask_file, prefix))()
        if asked is None:
            return None
    available, reason_key = source.is_available()
    if not available:
        st.warning(t(reason_key or "lab.source_unavailable"))
        return None
    kwargs: dict[str, Any] = {}
    try:
        if asked is not None:
            upload, options = asked
            kwargs = {**stored_upload_kwargs(upload), **options}
        dataset = load_dataset_for_ui(use_case.id, source.id, seed, kwargs)
    except StudioError as error:
        st.error(error_text(error))
        forget_upload(kwargs)
        return None
    (overview or partial(render_data_overview, key=prefix))(dataset, upload_name=upload_name(kwargs))
    return LabData(use_case, dataset, source.id, seed, kwargs)


def _ask_file(prefix: str) -> tuple[Any, dict[str, Any]] | None:
    upload = checked_uploader(t("labs.upload_file"), key=f"{prefix}_upload")
    return None if upload is None else (upload, {})


def render_csv_data(use_case: UseCase, *, prefix: str, area: str, upload_kwargs: Callable[[Any], dict[str, Any]],
                    overview: Callable[..., None], warn_unavailable: bool = True) -> LabData | None:
    """Source and seed, a CSV for an upload (`upload_kwargs` reads its columns; see load_csv_source), then
    `overview(dataset, upload_name=...)`; None once a message says why nothing is loaded.

    warn_unavailable: a source that cannot load now (online, offline, not cached) gets a warning before
    loading; False leaves it to the loader, whose error says the same.
    """
    source, seed = render_source_and_seed(use_case, prefix=prefix)
    if warn_unavailable:
        available, reason_key = source.is_available()
        if not available:
            st.warning(t(reason_key or "lab.source_unavailable"))
            return None
    loaded = load_csv_source(use_case, source, seed, prefix=prefix, area=area, upload_kwargs=upload_kwargs)
    if loaded is None:
        return None
    dataset, kwargs = loaded
    overview(dataset, upload_name=upload_name(kwargs))
    return LabData(use_case, dataset, source.id, seed, kwargs)


def _rows(x: Any, count: int) -> pd.DataFrame:
    """The first `count` examples as a table: columns of a table, features of flat arrays."""
    if isinstance(x, dict):
        return pd.DataFrame({name: np.asarray(values)[:count] for name, values in x.items()})
    array = np.asarray(x)[:count]
    return pd.DataFrame(array.reshape(len(array), -1)).rename(columns=lambda column: f"x{column + 1}")


def render_split_sizes(dataset: Dataset, *, upload_name: str = "", shape: str = "") -> None:
    """Examples per split and classes, then provenance, licence, the example shape (when given) and fingerprint."""
    sizes = dataset.sizes
    columns = st.columns(4)
    columns[0].metric(t("lab.train_examples"), f"{sizes['train']:,}")
    columns[1].metric(t("lab.val_examples"), f"{sizes['val']:,}")
    columns[2].metric(t("lab.test_examples"), f"{sizes['test']:,}")
    columns[3].metric(t("lab.classes"), dataset.num_classes)
    provenance, licence = dataset_source(dataset, upload_name=upload_name)
    shape_text = f"**{t('lab.image_shape')}:** {shape} · " if shape else ""
    st.caption(f"**{t('lab.provenance')}:** {provenance}  \n**{t('lab.licence')}:** {licence}  \n"
               f"{shape_text}{t('lab.fingerprint')}: `{dataset.fingerprint}`")


def render_class_balance(dataset: Dataset, *, key: str) -> None:
    """Examples of each class in the training, validation and test splits."""
    counts = {t(f"lab.split_{split}"): dataset.class_counts(split).tolist() for split in ("train", "val", "test")}
    st.plotly_chart(charts.plot_class_balance(list(dataset.class_names), counts, title=t("lab.class_balance"),
                                              x_title=t("lab.class"), y_title=t("lab.examples")),
                    key=f"{key}_balance_chart")


def render_data_overview(dataset: Dataset, *, upload_name: str = "", key: str) -> None:
    """Sizes, provenance and licence, class balance per split and the first training examples."""
    render_split_sizes(dataset, upload_name=upload_name)
    if dataset.num_classes:
        render_class_balance(dataset, key=key)
    table = _rows(dataset.x_train, PREVIEW_ROWS)
    if dataset.num_classes:
        table[t("lab.class")] = [dataset.class_names[int(y)] for y in np.asarray(dataset.y_train)[:len(table)]]
    st.dataframe(table, hide_index=True, key=f"{key}_rows")


# ---- train and try -----------------------------------------------------------------------------

def render_train(data: LabData, queue: JobQueue, *, prefix: str) -> None:
    """The shared training form, then the live progress of this session's job."""
    own_job = render_candidate_training(data, queue, prefix=prefix,
                                        batch_sizes=[16, 32, 64, 128, 256], early_stopping=True)
    if own_job:
        render_job_progress(queue, own_job, prefix=prefix)


def render_try_example(tracker: Tracker, run_id: str | None, data: LabData, *, prefix: str) -> None:
    """Pick a test example by number: the model's three likeliest classes next to the true one."""
    if run_id is None:
        return
    run = completed_run(tracker, run_id)
    if run is None:
        return
    dataset = data.dataset
    st.caption(t("lab.try_intro", model=model_name(run.params.get("use_case"), run.params.get("model", "?"))))
    index = int(st.number_input(t("lab.try_index"), min_value=0, max_value=len(dataset.y_test) - 1, value=0, step=1,
                                key=f"{prefix}_try_index"))
    x = dataset.x_test
    example = {name: np.asarray(values)[index:index + 1] for name, values in x.items()} if isinstance(x, dict) \
        else np.asarray(x)[index:index + 1]
    try:
        probabilities = predict_proba(run_model(run_id), example)[0]
    except StudioError as error:
        st.error(error_text(error))
        return
    st.caption(t("lab.try_true", label=dataset.class_names[int(dataset.y_test[index])]))
    st.dataframe(_rows(example, 1), hide_index=True, key=f"{prefix}_try_row")
    st.plotly_chart(charts.plot_top_k(top_k(probabilities, list(dataset.class_names), k=3), title=t("lab.top3"),
                                      x_title=t("lab.probability")), key=f"{prefix}_try_top3")


def render_try_and_import(tracker: Tracker, run_id: str | None, data: LabData, *,
                          try_run: Callable[[Any, str, Any], None]) -> None:
    """`try_run(tracker, run_id, dataset)` for the chosen run, then importing a saved .keras model as a run."""
    if run_id is not None:
        try_run(tracker, run_id, data.dataset)
    render_import_model(tracker, data)


def generic_lab(prefix: str) -> LabView:
    """The lab of a use case without its own: widget keys start with `prefix` (the use case's id)."""
    return LabView(prefix=prefix, data=partial(render_data, prefix=prefix), train=partial(render_train, prefix=prefix),
                   results=None, try_it=partial(render_try_example, prefix=prefix),
                   metric_row=render_metric_row, evaluation=render_evaluation, evaluation_needs_data=False)
