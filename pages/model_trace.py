"""Model trace page: one test sample through a trained Keras run, layer by layer, forward and backward."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import streamlit as st

from core.contract.registry import USE_CASES
from core.contract.usecase import TRACE
from core.i18n import StudioError
from core.inspection.trace import pick_sample, trace_sample
from core.training.saved_runs import load_run_dataset
from dashboard import charts
from dashboard.i18n import error_text, t
from dashboard.lab_results import run_model
from dashboard.services import get_tracker
from dashboard.trace_charts import (
    plot_activation_histogram,
    plot_feature_maps,
    plot_gradient_norms,
    plot_probabilities,
    plot_saliency,
)
from dashboard.training_form import RATE_LADDER
from dashboard.widgets import translated_choice

if TYPE_CHECKING:
    from core.tracking.store import Tracker

ss = st.session_state


def _dataset(run_id: str) -> Any:
    """The dataset (same source, seed and options) the run was trained and tested on."""
    return load_run_dataset(get_tracker(), run_id)


@st.cache_data(max_entries=32, show_spinner=False)
def _trace(run_id: str, index: int, learning_rate: float) -> Any:
    """The trace of test sample `index` of a run (cached: picking another layer redraws without recomputing)."""
    dataset = _dataset(run_id)
    x, y = pick_sample(dataset.x_test, dataset.y_test, index)
    return trace_sample(run_model(run_id), x, y, learning_rate=learning_rate)


def _keras_runs(tracker: Tracker) -> pd.DataFrame:
    """Completed Keras runs of the use cases that declare the trace (UseCase.capabilities)."""
    traced = [use_case.id for use_case in USE_CASES.values() if use_case.can(TRACE)]
    runs = tracker.list_runs()
    if runs.empty or "model_kind" not in runs.columns or "use_case" not in runs.columns:
        return runs.iloc[0:0]
    return runs[runs["use_case"].isin(traced) & (runs["status"] == "completed") & (runs["model_kind"] == "keras")]


def _run_label(row: Any) -> str:
    accuracy = getattr(row, "test_accuracy", math.nan)
    started = row.started.strftime("%Y-%m-%d %H:%M") if isinstance(row.started, pd.Timestamp) else ""
    score = f"{accuracy:.2%}" if isinstance(accuracy, float) and math.isfinite(accuracy) else "–"
    return t("trace.run_label", started=started, model=f"{row.dataset} / {row.model}", accuracy=score)


def _shape(shape: tuple[int, ...]) -> str:
    return " × ".join(str(d) for d in shape)


def _norm_text(value: float | None) -> str:
    """A gradient norm in scientific notation (its size spans decades), a dash for layers without one."""
    return t("trace.no_weights") if value is None or not math.isfinite(value) else f"{value:.2e}"


def _layer_table(trace: Any) -> pd.DataFrame:
    columns = {name: t(f"trace.columns.{name}") for name in
               ("layer", "type", "shape", "mean", "std", "zeros", "weight_grad", "activation_grad")}
    rows = [{
        columns["layer"]: layer.name,
        columns["type"]: layer.class_name,
        columns["shape"]: _shape(layer.output_shape),
        columns["mean"]: layer.mean,
        columns["std"]: layer.std,
        columns["zeros"]: 100.0 * layer.zero_fraction,
        columns["weight_grad"]: _norm_text(layer.weight_grad_norm),
        columns["activation_grad"]: _norm_text(layer.activation_grad_norm),
    } for layer in trace.layers]
    return pd.DataFrame(rows, columns=list(columns.values()))


st.title(t("trace.title"))
st.caption(t("trace.intro"))

tracker = get_tracker()
runs = _keras_runs(tracker)
if runs.empty:
    st.info(t("trace.no_runs"))
    st.stop()

labels = {row.run_id: _run_label(row) for row in runs.itertuples()}
if ss.get("trace_run") not in labels and ss.get("trace_run") not in ss.get("_choice_labels_trace_run", {}):
    ss["trace_run"] = next(iter(labels))
run_id = translated_choice(st.selectbox, t("trace.pick_run"), list(labels), key="trace_run", format_func=labels.get)

try:
    with st.spinner(t("trace.loading")):
        dataset = _dataset(run_id)
        run_model(run_id)
except StudioError as error:
    st.error(error_text(error))
    st.stop()

last = len(dataset.y_test) - 1
requested = ss.get("trace_sample")
if not isinstance(requested, int) or not 0 <= requested <= last:
    if requested is not None:  # e.g. a run with a smaller test split was picked: say so, start from 0
        st.warning(t("errors.trace.index_out_of_range", index=requested, last=last))
    ss["trace_sample"] = 0
left, right = st.columns(2)
index = left.number_input(t("trace.sample"), min_value=0, max_value=last, step=1, key="trace_sample",
                          help=t("trace.sample_help", last=last))
if ss.get("trace_lr") not in RATE_LADDER:
    ss["trace_lr"] = 1e-2
learning_rate = right.select_slider(t("trace.learning_rate"), options=RATE_LADDER, key="trace_lr",
                                    format_func=lambda value: f"{value:g}", help=t("trace.learning_rate_help"))

try:
    trace = _trace(run_id, int(index), float(learning_rate))
except StudioError as error:
    st.error(error_text(error))
    st.stop()

class_names = [str(name) for name in dataset.class_names]
image = dataset.x_test[int(index)]

# ---- the sample and the answer ----------------------------------------------------------
st.subheader(t("trace.sample_header"))
image_column, probability_column = st.columns([1, 2])
true_name, predicted_name = class_names[trace.label], class_names[trace.predicted]
image_column.plotly_chart(
    charts.plot_sample_images(image[np.newaxis], [t("trace.sample_caption", index=int(index), true=true_name)],
                              columns=1, tile_px=240),
    key="trace_image")
probability_column.plotly_chart(
    plot_probabilities(class_names, trace.probabilities, title=t("trace.probabilities"), x_title=t("trace.class"),
                       y_title=t("trace.probability"), true_class=trace.label),
    key="trace_probabilities")
confidence = f"{float(trace.probabilities[trace.predicted]):.1%}"
if trace.predicted == trace.label:
    st.success(t("trace.verdict_right", predicted=predicted_name, confidence=confidence))
else:
    st.warning(t("trace.verdict_wrong", predicted=predicted_name, confidence=confidence, true=true_name))
st.markdown(t("trace.loss", loss=f"{trace.loss:.4f}"))

# ---- forward ----------------------------------------------------------------------------
st.subheader(t("trace.forward_header"))
st.caption(t("trace.forward_caption"))
table = _layer_table(trace)
number = st.column_config.NumberColumn
st.dataframe(table, hide_index=True, key="trace_layers", height=35 * (len(table) + 1) + 3, column_config={
    t("trace.columns.mean"): number(format="%.4f"),
    t("trace.columns.std"): number(format="%.4f"),
    t("trace.columns.zeros"): number(format="%.1f"),
})  # every layer visible at once: no scrolling inside the table

layer_names = [layer.name for layer in trace.layers]
if ss.get("trace_layer") not in layer_names:
    ss["trace_layer"] = next((layer.name for layer in trace.layers if layer.feature_maps is not None), layer_names[0])
by_name = {layer.name: layer for layer in trace.layers}
chosen = st.selectbox(t("trace.pick_layer"), layer_names, key="trace_layer",
                      format_func=lambda name: f"{layer_names.index(name) + 1}. {name} · {by_name[name].class_name}"
                                               f" · {_shape(by_name[name].output_shape)}")
layer = by_name[chosen]
st.plotly_chart(
    plot_activation_histogram(layer.histogram_counts, layer.histogram_edges,
                              title=t("trace.histogram_title", layer=layer.name), x_title=t("trace.value"),
                              y_title=t("trace.count")),
    key="trace_histogram")
if layer.feature_maps is not None:
    st.plotly_chart(
        plot_feature_maps(layer.feature_maps,
                          title=t("trace.feature_maps_title", layer=layer.name, shown=len(layer.feature_channels),
                                  channels=layer.output_shape[-1]),
                          labels=[t("trace.feature_map_label", channel=c) for c in layer.feature_channels]),
        key="trace_feature_maps")
else:
    st.caption(t("trace.no_feature_maps"))

# ---- backward ---------------------------------------------------------------------------
st.subheader(t("trace.backward_header"))
st.plotly_chart(
    plot_gradient_norms(layer_names, [layer.weight_grad_norm for layer in trace.layers],
                        [layer.activation_grad_norm for layer in trace.layers], title=t("trace.gradient_title"),
                        x_title=t("trace.columns.layer"), y_title=t("trace.gradient_y"),
                        weight_label=t("trace.weight_norms"), activation_label=t("trace.activation_norms")),
    key="trace_gradients")
st.caption(t("trace.gradient_caption"))

if trace.saliency.ndim == 2 and image.ndim == 3 and trace.saliency.shape == image.shape[:2]:
    st.subheader(t("trace.saliency_header"))
    st.plotly_chart(
        plot_saliency(image, trace.saliency, title=t("trace.saliency_title"), image_title=t("trace.input_image"),
                      saliency_title=t("trace.saliency_map"), scale_title=t("trace.saliency_scale")),
        key="trace_saliency")
    st.caption(t("trace.saliency_caption"))

# ---- one SGD step -----------------------------------------------------------------------
st.subheader(t("trace.sgd_header"))
before, after = trace.loss, trace.loss_after_sgd_step
after_name = class_names[trace.predicted_after_sgd_step]
metric_columns = st.columns(4)
metric_columns[0].metric(t("trace.loss_before"), f"{before:.4f}")
metric_columns[1].metric(t("trace.loss_after"), f"{after:.4f}", delta=f"{after - before:+.4f}", delta_color="inverse")
metric_columns[2].metric(t("trace.prediction_before"), predicted_name)
metric_columns[3].metric(t("trace.prediction_after"), after_name)
change = (t("trace.prediction_changed", before=predicted_name, after=after_name) if trace.prediction_changed
          else t("trace.prediction_kept", predicted=predicted_name))
values = {"lr": f"{trace.learning_rate:g}", "before": f"{before:.4f}", "after": f"{after:.4f}", "change": change}
if after < before - 1e-6:
    st.markdown(t("trace.sgd_better", **values))
elif after > before + 1e-6:
    st.markdown(t("trace.sgd_worse", **values))
else:
    st.markdown(t("trace.sgd_same", **values))
st.caption(t("trace.sgd_note"))
