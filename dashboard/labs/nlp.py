"""NLP lab: pick reviews or a CSV, look at the texts, train a candidate, read results, try a review."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

import pandas as pd
import streamlit as st

from core.data.uploads import store_upload
from core.errors import StudioError
from core.evaluation.metrics import top_k
from core.tracking.run_files import DATASET_FILE
from core.usecases.nlp.data import read_text_csv, text_statistics
from core.usecases.nlp.explain import attention_weights, explain_text
from dashboard import charts, nlp_charts
from dashboard.i18n import dataset_source, error_text, t
from dashboard.job_progress import render_job_progress
from dashboard.lab_results import asked_for, completed_run, run_model
from dashboard.labs.contract import LabData, LabView
from dashboard.labs.generic import render_csv_data, render_evaluation, render_metric_row, render_try_and_import
from dashboard.run_names import model_name
from dashboard.training_form import render_candidate_training
from dashboard.uploads import upload_bytes

if TYPE_CHECKING:
    from core.contract.usecase import UseCase
    from core.data.dataset import Dataset
    from core.tracking.store import Tracker
    from core.training.jobs import JobQueue

EXAMPLES = {
    "en": "The coffee arrived stale and tasted burnt. Not worth the price, I will not buy it again.",
    "zh": "质量很好，物流也快，包装完整，下次还会再买！",
}
ATTENTION_TOKENS = 30
# From benchmarks/bench_nlp.py (Chinese reviews, 20% stratified test, seed 0): test accuracy.
MEASURED_ZH = {"tfidf_chars": "0.855", "tfidf_words": "0.845", "fast_chars": "0.844", "fast_words": "0.835"}


# ---- data ----------------------------------------------------------------------------------

def _upload_kwargs(upload: Any) -> dict[str, Any] | None:
    """Store the CSV, let the person name its text and label columns; None until both are chosen."""
    data = upload_bytes(upload)
    frame, encoding = read_text_csv(data)
    columns = list(frame.columns)
    st.caption(t("nlp.csv_found", rows=len(frame), columns=len(columns), encoding=encoding))
    st.dataframe(frame.head(5), hide_index=True)
    left, right = st.columns(2)
    guess_text = next((c for c in columns if c.lower() in ("text", "review", "comment", "文本", "评论")), columns[0])
    guess_label = next((c for c in columns if c.lower() in ("label", "class", "score", "sentiment", "标签")),
                       columns[-1])
    text_column = left.selectbox(t("nlp.text_column"), columns, index=columns.index(guess_text), key="nlp_text_column")
    label_column = right.selectbox(t("nlp.label_column"), columns, index=columns.index(guess_label),
                                   key="nlp_label_column")
    return {"path": str(store_upload(data, suffix=".csv")), "text_column": text_column, "label_column": label_column}


def render_data(use_case: UseCase) -> LabData | None:
    """Source and seed (a CSV with its text and label columns for an upload), then the text overview."""
    return render_csv_data(use_case, prefix="nlp", area="nlp", upload_kwargs=_upload_kwargs,
                           overview=render_text_overview, warn_unavailable=False)  # IMDB offline: the loader's error


def render_text_overview(dataset: Dataset, *, upload_name: str = "") -> None:
    """Sizes, language, class balance, length distribution, vocabulary and sample texts."""
    stats = _statistics(dataset, text_statistics)
    language = dataset.extra.get("language", "en")
    cols = st.columns(4)
    cols[0].metric(t("nlp.texts"), f"{sum(dataset.sizes.values()):,}")
    cols[1].metric(t("nlp.classes"), f"{dataset.num_classes}")
    cols[2].metric(t("nlp.vocabulary"), f"{stats['vocabulary_size']:,}")
    cols[3].metric(t("nlp.median_length"), f"{stats['median_length']:.0f} {t('nlp.unit_' + dataset.extra['split'])}")
    provenance, licence = dataset_source(dataset, upload_name=upload_name)
    st.caption(t("nlp.provenance", provenance=provenance, licence=licence,
                 train=dataset.sizes["train"], val=dataset.sizes["val"], test=dataset.sizes["test"]))
    st.info(t("nlp.tokenisation_zh", **MEASURED_ZH) if language == "zh" else t("nlp.tokenisation_en"))
    if dataset.extra.get("dropped_empty"):
        st.warning(t("nlp.dropped_empty", count=dataset.extra["dropped_empty"]))
    minority = dataset.minority_class()
    if minority is not None:
        st.warning(t("lab_forms.imbalance_warning", label=minority["name"], share=f"{minority['share']:.1%}",
                     largest=f"{minority['largest_share']:.1%}"))
    left, right = st.columns(2)
    left.plotly_chart(charts.plot_class_balance(
        dataset.class_names, {t("lab.train_split"): stats["class_counts"]["train"],
                              t("lab.val_split"): stats["class_counts"]["val"],
                              t("nlp.test_split"): stats["class_counts"]["test"]},
        title=t("nlp.class_balance"), x_title=t("lab.class"), y_title=t("nlp.count")), key="nlp_balance")
    unit = t("nlp.unit_" + dataset.extra["split"])
    right.plotly_chart(nlp_charts.plot_length_distribution(
        stats["lengths"], stats["labels"], dataset.class_names, title=t("nlp.length_distribution"),
        x_title=t("nlp.length_axis", unit=unit), y_title=t("nlp.count"),
        sequence_length=dataset.extra.get("sequence_length"),
        cutoff_label=t("nlp.cutoff", length=dataset.extra.get("sequence_length"))), key="nlp_lengths")
    st.caption(t("nlp.truncated_share", share=f"{stats['truncated_share']:.0%}",
                 length=dataset.extra.get("sequence_length"), unit=unit))
    left, right = st.columns([2, 3])
    left.plotly_chart(nlp_charts.plot_top_tokens(stats["top_tokens"][:20], title=t("nlp.top_tokens"),
                                                 x_title=t("nlp.occurrences")), key="nlp_top_tokens")
    rows = [{t("lab.class"): name, t("nlp.sample_text"): _shorten(text, 300)}
            for name, texts in stats["samples"].items() for text in texts]
    right.markdown(f"**{t('nlp.samples')}**")
    right.dataframe(pd.DataFrame(rows), hide_index=True)


@st.cache_data(max_entries=6, show_spinner=False)
def _cached_statistics(fingerprint: str, _dataset: Dataset, _function: Any) -> dict[str, Any]:
    return _function(_dataset)


def _statistics(dataset: Dataset, function: Any) -> dict[str, Any]:
    return _cached_statistics(dataset.fingerprint, dataset, function)


def _shorten(text: str, limit: int) -> str:
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ---- train ---------------------------------------------------------------------------------

def render_training_controls(data: LabData, queue: JobQueue) -> None:
    """Pick a candidate and its settings (class weights for a rare class), start a background job, follow it."""
    dataset = data.dataset
    minority = dataset.minority_class()
    if minority is not None:
        st.warning(t("lab_forms.imbalance_train", label=minority["name"], share=f"{minority['share']:.1%}"))
    counts = dataset.class_counts("train")
    smallest = int(counts.argmin())
    weight_help = t("lab_forms.class_weight_help", label=dataset.class_names[smallest],
                    ratio=f"{counts.sum() / (len(counts) * max(int(counts[smallest]), 1)):.1f}")
    own_job = render_candidate_training(data, queue, prefix="nlp", batch_sizes=[16, 32, 64, 128, 256],
                                        early_stopping=True, class_weight_help=weight_help)
    if own_job:
        render_job_progress(queue, own_job, prefix="nlp")


# ---- results (also used by the Runs page) ---------------------------------------------------

def _mistake_texts(wrong: list[dict[str, Any]], class_names: list[str], dataset: Dataset, *, key: str) -> None:
    """The most confident mistakes with their texts."""
    st.caption(t("nlp.mistakes_help"))
    st.dataframe(pd.DataFrame([{
        t("nlp.confidence"): item["confidence_text"],
        t("lab.actual"): class_names[item["true"]],
        t("lab.predicted"): item["predicted_name"],
        t("nlp.sample_text"): _shorten(item.get("text") or _text_of(dataset, item["index"]), 400),
    } for item in wrong]), hide_index=True)


def _text_of(dataset: Dataset, index: int) -> str:
    if dataset is None or index >= len(dataset.x_test):
        return "–"
    return str(dataset.x_test[index])


# ---- try it --------------------------------------------------------------------------------

def _run_class_names(tracker: Tracker, run_id: str, dataset: Dataset) -> list[str]:
    """The class names the run was trained with (an earlier upload may differ from the page's data)."""
    try:
        names = tracker.load_dict(run_id, DATASET_FILE).get("class_names")
    except (StudioError, FileNotFoundError, OSError):
        names = None
    return list(names) if names else list(dataset.class_names)


def render_try_text(tracker: Tracker, run_id: str, dataset: Dataset) -> None:
    """Type a review, get the class with its probability, each token shaded by occlusion, and attention."""
    run = completed_run(tracker, run_id)
    if run is None:
        return
    model_id = run.params.get("model", "?")
    kind = run.params.get("model_kind", "keras")
    language = dataset.extra.get("language", "en")
    st.caption(t("nlp.try_intro", model=model_name("nlp", model_id)))
    if "nlp_try_text" not in st.session_state:
        st.session_state["nlp_try_text"] = EXAMPLES.get(language, EXAMPLES["en"])
    text = st.text_area(t("nlp.try_label"), key="nlp_try_text", height=120, max_chars=200_000)
    if not asked_for(run, text, key="nlp_try"):  # an LLM: nothing is sent until the person asks
        return
    try:
        model = run_model(run_id)
        with st.spinner(t("nlp.explaining")):
            result = explain_text(model, text, kind=kind, class_names=_run_class_names(tracker, run_id, dataset))
    except StudioError as error:
        st.warning(error_text(error))
        return
    predicted = result["class_names"][result["predicted"]]
    probability = result["probabilities"][result["predicted"]]
    st.metric(t("nlp.prediction"), predicted, help=t("nlp.probability_help"))
    st.markdown(t("nlp.prediction_line", label=predicted, probability=f"{probability:.1%}"))
    if result["oov_share"] >= 1.0:
        st.warning(t("nlp.all_unknown"))
    elif result["oov_share"] >= 0.5:
        st.warning(t("nlp.mostly_unknown", share=f"{result['oov_share']:.0%}"))
    if result["truncated"]:
        st.info(t("nlp.truncated", used=result["used_tokens"], total=result["token_count"]))
    elif not result["explained_all"]:
        st.info(t("nlp.occlusion_limited", used=result["used_tokens"], total=result["token_count"]))
    if result["changed_by_cleaning"]:
        st.caption(t("nlp.cleaned"))
    if result["method"] is None:  # an LLM's answer: its top classes, no word-by-word explanation
        st.caption(t("llm_form.try_not_explained"))
        st.plotly_chart(charts.plot_top_k(top_k(result["probabilities"], result["class_names"], k=3),
                                          title=t("lab.top3"), x_title=t("lab.probability")), key="nlp_try_top")
        return
    left, right = st.columns([3, 2])
    with left:
        st.markdown(f"**{t('nlp.highlight_title')}**")
        st.caption(t("nlp.occlusion_help", label=predicted))
        st.html(nlp_charts.highlight_html(result["tokens"], result["contributions"], split=result["split"]))
    right.plotly_chart(charts.plot_top_k(top_k(result["probabilities"], result["class_names"], k=3),
                                         title=t("lab.top3"), x_title=t("lab.probability")), key="nlp_try_top")
    st.plotly_chart(nlp_charts.plot_token_contributions(result["tokens"], result["contributions"],
                                                        title=t("nlp.contributions_title", label=predicted),
                                                        x_title=t("nlp.contribution_axis")),
                    key="nlp_try_contributions")
    if model_id == "transformer":  # a Keras network with attention layers (imported runs are "imported")
        attention = attention_weights(model, text, max_tokens=ATTENTION_TOKENS)
        if attention is not None:
            st.plotly_chart(nlp_charts.plot_attention_heatmap(
                attention["tokens"], attention["weights"], title=t("nlp.attention_title", heads=attention["heads"]),
                x_title=t("nlp.attention_keys"), y_title=t("nlp.attention_queries"),
                colorbar_title=t("nlp.attention_weight")), key="nlp_try_attention")
            shown = [w for row in attention["weights"] for w in row]
            note = t("nlp.attention_help") + " " + t("nlp.attention_range", low=f"{min(shown):.3f}",
                                                        high=f"{max(shown):.3f}")
            if attention["truncated"]:
                note += " " + t("nlp.attention_truncated", shown=len(attention["tokens"]), total=attention["total_tokens"])
            st.caption(note)


# ---- the lab -------------------------------------------------------------------------------

LAB = LabView(prefix="nlp", data=render_data, train=render_training_controls, results=None,
              try_it=partial(render_try_and_import, try_run=render_try_text), metric_row=render_metric_row,
              evaluation=partial(render_evaluation, mistakes=_mistake_texts, title_key="nlp.mistakes"),
              try_needs_run_key="nlp.try_needs_run")
