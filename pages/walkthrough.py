"""Backprop walkthrough page: set up a tiny network and step through forward pass, loss, backward pass and update."""

from __future__ import annotations

import hashlib
from typing import Sequence

import pandas as pd
import streamlit as st

from core.walkthrough.article import article_comparison
from core.walkthrough.tiny_net import (
    CHECK_TOLERANCE,
    HIDDEN_ACTIVATIONS,
    LOSSES,
    MAX_HIDDEN_LAYERS,
    MAX_INPUTS,
    MAX_OUTPUTS,
    MAX_TRAIN_STEPS,
    OUTPUT_ACTIVATIONS,
    PRESETS,
    NetworkSpec,
    Params,
    WalkthroughError,
    fmt,
    gradient_check,
    init_weights,
    parse_hidden_sizes,
    parse_weight_table,
    train,
    walk,
    weight_tables,
)
from dashboard.i18n import current_language, error_text, t
from dashboard.walkthrough_charts import plot_loss_history, plot_network
from dashboard.widgets import canonical_choice, translated_choice

ss = st.session_state
lang = current_language()
MAX_CACHED_CHECKS = 64
SOURCES = ["seeded", "table"]  # where the weights come from


# ----------------------------------------------------------------------------- state helpers


def _set_tables(spec: NetworkSpec, params: Params) -> None:
    """Put weights into the editable tables (as text, so anything can be typed) and restart the editors."""
    ss["wt_tables"] = [table.map(lambda v: format(float(v), ".12g")) for table in weight_tables(spec, params)]
    ss["wt_table_version"] = ss.get("wt_table_version", 0) + 1


def _apply_preset() -> None:
    """Write the chosen preset into every setting widget (runs before the widgets are drawn)."""
    if canonical_choice("wt_preset", list(PRESETS)):  # a language switch, not a new choice: keep the settings
        return
    preset = PRESETS[ss["wt_preset"]]
    spec = preset.spec
    ss["wt_n_inputs"] = spec.n_inputs
    ss["wt_hidden"] = ", ".join(str(size) for size in spec.layer_sizes[1:-1])
    for layer, act in enumerate(spec.activations[:-1], start=1):
        ss[f"wt_act_{layer}"] = act
    ss["wt_act_out"] = spec.output_activation
    ss["wt_n_outputs"] = spec.n_outputs
    ss["wt_loss"] = spec.loss
    for i, value in enumerate(preset.x):
        ss[f"wt_x_{i}"] = float(value)
    if spec.loss == "categorical_crossentropy":
        ss["wt_class"] = int(preset.label)
    else:
        for k, value in enumerate(preset.label):
            ss[f"wt_y_{k}"] = float(value)
    ss["wt_lr"] = float(preset.learning_rate)
    ss["wt_seed"] = int(preset.seed)
    ss["wt_source"] = "table" if preset.params is not None else "seeded"
    _set_tables(spec, preset.weights())
    ss["wt_step"] = 1
    ss.pop("wt_run", None)


def _on_source_change() -> None:
    """Switching to typed weights starts from the weights shown, unless the table already fits the network."""
    if canonical_choice("wt_source", SOURCES):
        return
    last = ss.get("wt_last")
    if ss.get("wt_source") != "table" or last is None:
        return
    spec, params = last
    try:
        parse_weight_table(spec, ss.get("wt_tables", []))
    except WalkthroughError:
        _set_tables(spec, params)


def _refill(spec: NetworkSpec, seed: int) -> None:
    _set_tables(spec, init_weights(spec, random_state=seed))


def _copy_to_table(spec: NetworkSpec, params: Params) -> None:
    _set_tables(spec, params)
    ss["wt_source"] = "table"


def _move(delta: int, total: int) -> None:
    ss["wt_step"] = min(max(int(ss.get("wt_step", 1)) + delta, 1), total)


def _train(spec: NetworkSpec, x: list[float], label, lr: float) -> None:
    run = ss.get("wt_run")
    if run is None:
        return
    try:
        result = train(spec, run["params"], x, label, learning_rate=lr, n_steps=int(ss.get("wt_train_steps", 10)))
    except WalkthroughError as error:
        ss["wt_train_error"] = error
        return
    run["params"] = result.params
    run["history"] = list(run["history"]) + list(result.losses[1:])


def _reset() -> None:
    ss.pop("wt_run", None)


def _run_key(spec: NetworkSpec, params: Params, x: list[float], label, lr: float) -> str:
    return hashlib.sha1(repr((spec, params.digest(), x, label, lr)).encode()).hexdigest()


if "wt_preset" not in ss:
    ss["wt_preset"] = "article"
    _apply_preset()
ss.setdefault("wt_loss", "mse")
ss.setdefault("wt_act_out", "linear")
ss.setdefault("wt_source", "seeded")

# ----------------------------------------------------------------------------- settings

st.title(t("walkthrough.title"))
st.caption(t("walkthrough.intro"))

with st.expander(t("walkthrough.settings.header"), expanded=True):
    translated_choice(st.selectbox, t("walkthrough.settings.preset"), list(PRESETS), key="wt_preset",
                      on_change=_apply_preset, format_func=lambda p: t(f"walkthrough.settings.presets.{p}"))
    c1, c2, c3, c4 = st.columns(4)
    c1.number_input(t("walkthrough.settings.n_inputs"), min_value=1, max_value=MAX_INPUTS, step=1, key="wt_n_inputs")
    c2.text_input(t("walkthrough.settings.hidden_sizes"), key="wt_hidden", help=t("walkthrough.settings.hidden_sizes_help"))
    c3.number_input(t("walkthrough.settings.n_outputs"), min_value=1, max_value=MAX_OUTPUTS, step=1, key="wt_n_outputs")
    translated_choice(c4.selectbox, t("walkthrough.settings.loss"), LOSSES, key="wt_loss",
                      format_func=lambda v: t(f"walkthrough.losses.{v}"))

    n_inputs, n_outputs, loss = int(ss["wt_n_inputs"]), int(ss["wt_n_outputs"]), ss["wt_loss"]
    try:
        hidden = parse_hidden_sizes(ss["wt_hidden"])
    except WalkthroughError as error:
        st.error(error_text(error))
        st.stop()

    act_cols = st.columns(MAX_HIDDEN_LAYERS + 1)
    for layer in range(1, len(hidden) + 1):
        ss.setdefault(f"wt_act_{layer}", "relu")
        translated_choice(act_cols[layer - 1].selectbox, t("walkthrough.settings.act_hidden", layer=layer),
                          HIDDEN_ACTIVATIONS, key=f"wt_act_{layer}", format_func=lambda v: t(f"walkthrough.activations.{v}"))
    translated_choice(act_cols[len(hidden)].selectbox, t("walkthrough.settings.act_output"), OUTPUT_ACTIVATIONS,
                      key="wt_act_out", format_func=lambda v: t(f"walkthrough.activations.{v}"))

    n_label_widgets = 1 if loss == "categorical_crossentropy" else n_outputs
    x_cols = st.columns(max(n_inputs + n_label_widgets + 1, 5))
    x_names = ["x"] if n_inputs == 1 else [f"x{i}" for i in range(1, n_inputs + 1)]
    for i in range(n_inputs):
        ss.setdefault(f"wt_x_{i}", 0.0)
        x_cols[i].number_input(t("walkthrough.settings.input", name=x_names[i]), step=0.1, format="%.4g",
                               key=f"wt_x_{i}")
    y_names = ["y"] if n_outputs == 1 else [f"y{k}" for k in range(1, n_outputs + 1)]
    if loss == "categorical_crossentropy":
        if ss.get("wt_class") not in range(n_outputs):
            ss["wt_class"] = 0
        x_cols[n_inputs].selectbox(t("walkthrough.settings.target_class"), list(range(n_outputs)), key="wt_class",
                                   format_func=lambda k: f"ŷ{k + 1}")
        label = int(ss["wt_class"])
    else:
        for k in range(n_outputs):
            ss.setdefault(f"wt_y_{k}", 0.0)
            x_cols[n_inputs + k].number_input(t("walkthrough.settings.target", name=y_names[k]), step=0.1,
                                              format="%.4g", key=f"wt_y_{k}")
        label = tuple(float(ss[f"wt_y_{k}"]) for k in range(n_outputs))
    x = [float(ss[f"wt_x_{i}"]) for i in range(n_inputs)]
    x_cols[n_inputs + n_label_widgets].number_input(t("walkthrough.settings.learning_rate"), min_value=0.0, step=0.01, format="%.4g",
                            key="wt_lr")
    lr = float(ss["wt_lr"])

    s1, s2 = st.columns([2, 1])
    translated_choice(s1.radio, t("walkthrough.settings.weights_source"), SOURCES, key="wt_source", horizontal=True,
                      format_func=lambda v: t(f"walkthrough.settings.sources.{v}"), on_change=_on_source_change)
    if ss["wt_source"] == "seeded":
        s2.number_input(t("walkthrough.settings.seed"), min_value=0, max_value=2**31 - 1, step=1, key="wt_seed")

    try:
        spec = NetworkSpec((n_inputs, *hidden, n_outputs),
                           tuple(ss[f"wt_act_{layer}"] for layer in range(1, len(hidden) + 1)) + (ss["wt_act_out"],),
                           loss)
    except WalkthroughError as error:
        st.error(error_text(error))
        st.stop()

    seed = int(ss.get("wt_seed", 0))
    if ss["wt_source"] == "table":
        st.markdown(f"**{t('walkthrough.table.header')}**")
        st.caption(t("walkthrough.table.help"))
        version = ss.get("wt_table_version", 0)
        edited = []
        tables = ss.get("wt_tables", [])
        table_cols = st.columns(max(1, min(len(tables), 2)))
        for layer, table in enumerate(tables, start=1):
            with table_cols[(layer - 1) % len(table_cols)]:
                if layer <= spec.n_layers:
                    st.caption(t("walkthrough.table.layer", layer=layer, rows=spec.layer_sizes[layer],
                                 inputs=spec.layer_sizes[layer - 1]))
                edited.append(st.data_editor(table, key=f"wt_table_{layer}_{version}", num_rows="fixed"))
        st.button(t("walkthrough.table.fit"), key="wt_fit", on_click=_refill, args=(spec, seed))
        try:
            base_params = parse_weight_table(spec, edited)
        except WalkthroughError as error:
            st.error(error_text(error))
            st.stop()
    else:
        base_params = init_weights(spec, random_state=seed)

# ----------------------------------------------------------------------------- compute

run_key = _run_key(spec, base_params, x, label, lr)
if ss.get("wt_run", {}).get("key") != run_key:
    ss["wt_run"] = {"key": run_key, "params": base_params, "history": None}
run = ss["wt_run"]
try:
    walkthrough = walk(spec, run["params"], x, label, learning_rate=lr)
except WalkthroughError as error:
    st.error(error_text(error))
    if run["history"] and len(run["history"]) > 1:  # training pushed the weights out of range: offer the way back
        st.button(t("walkthrough.train.reset"), key="wt_reset_after_error", on_click=_reset)
    st.stop()
if run["history"] is None:
    run["history"] = [walkthrough.loss]
ss["wt_last"] = (spec, run["params"])
trained = len(run["history"]) - 1

if ss["wt_source"] == "seeded":
    st.caption(t("walkthrough.table.shown_from_seed"))
    st.button(t("walkthrough.table.copy"), key="wt_copy", on_click=_copy_to_table, args=(spec, run["params"]))

# ----------------------------------------------------------------------------- summary and stepper

m1, m2, m3 = st.columns([2, 1, 1])
digits = 6 if spec.n_outputs == 1 else 4
m1.metric(t("walkthrough.summary.y_hat"), ", ".join(fmt(v, digits) for v in walkthrough.y_hat))
m2.metric(t("walkthrough.summary.loss"), fmt(walkthrough.loss))
diff_slot = m3.empty()
if trained:
    st.info(t("walkthrough.summary.trained", n=trained))

st.subheader(t("walkthrough.stepper.header"))
total = len(walkthrough.steps)
if not isinstance(ss.get("wt_step"), int) or not 1 <= ss["wt_step"] <= total:
    ss["wt_step"] = min(max(int(ss.get("wt_step") or 1), 1), total)
b1, b2, b3 = st.columns([1, 6, 1], vertical_alignment="bottom")
b1.button(t("walkthrough.stepper.previous"), key="wt_prev", on_click=_move, args=(-1, total),
          disabled=ss["wt_step"] <= 1, width="stretch")
b2.slider(t("walkthrough.stepper.step"), 1, total, key="wt_step")
b3.button(t("walkthrough.stepper.next"), key="wt_next", on_click=_move, args=(1, total),
          disabled=ss["wt_step"] >= total, width="stretch")
step = walkthrough.steps[ss["wt_step"] - 1]

phases = []
for kind in ("forward", "loss", "backward", "update"):
    text = t(f"walkthrough.kinds.{kind}")
    phases.append(f":blue-background[**{text}**]" if kind == step.kind else f":gray[{text}]")
left, right = st.columns([3, 2])
with left:
    st.plotly_chart(plot_network(walkthrough, step=step, lang=lang), key="wt_diagram",
                    config={"displayModeBar": False})
with right:
    st.markdown(" → ".join(phases))
    st.caption(t("walkthrough.stepper.position", index=ss["wt_step"], total=total))
    st.markdown(f"#### {t(step.title_key, **step.title_params)}")
    st.info(t(step.explanation_key, **step.explanation_params))
    for note_key, note_params in step.notes:
        st.caption(t(note_key, **note_params))
for formula in step.formulas:
    st.latex(formula)

# ----------------------------------------------------------------------------- training

st.subheader(t("walkthrough.train.header"))
ss.setdefault("wt_train_steps", 10)
tc1, tc2, tc3 = st.columns([1, 1, 1], vertical_alignment="bottom")
tc1.number_input(t("walkthrough.train.steps"), min_value=1, max_value=MAX_TRAIN_STEPS, step=1, key="wt_train_steps")
tc2.button(t("walkthrough.train.button", n=int(ss["wt_train_steps"])), key="wt_train", type="primary",
           on_click=_train, args=(spec, x, label, lr), width="stretch")
tc3.button(t("walkthrough.train.reset"), key="wt_reset", on_click=_reset, disabled=not trained, width="stretch")
if "wt_train_error" in ss:
    st.error(error_text(ss.pop("wt_train_error")))
history = run["history"]
if trained:
    st.success(t("walkthrough.train.done", n=trained, start=fmt(history[0], 5), end=fmt(history[-1], 5)))
else:
    st.caption(t("walkthrough.train.none_yet"))
st.plotly_chart(plot_loss_history(history, loss_name=t(f"walkthrough.losses.{spec.loss}"), lang=lang),
                key="wt_loss_chart", config={"displayModeBar": False})

# ----------------------------------------------------------------------------- exactness check (TensorFlow)

st.subheader(t("walkthrough.check.header"))
st.caption(t("walkthrough.check.intro", tol=fmt(CHECK_TOLERANCE)))
checks = ss.setdefault("wt_checks", {})
digest = walkthrough.digest()
if digest not in checks:
    with st.spinner(t("walkthrough.check.loading")):
        try:
            checks[digest] = gradient_check(walkthrough)
        except Exception as error:  # noqa: BLE001 - the page must keep running; say what happened
            checks[digest] = None
            st.error(t("errors.walkthrough.check_failed", detail=str(error) or type(error).__name__))
    while len(checks) > MAX_CACHED_CHECKS:
        checks.pop(next(iter(checks)))
diffs = checks.get(digest)
if diffs:
    rows = []
    for name, diff in diffs.items():
        kind = name.rstrip("0123456789") if not name.endswith("_new") else name[0] + "_new"
        layer = "".join(ch for ch in name if ch.isdigit())
        label_text = t(f"walkthrough.check.tensors.{kind}", layer=layer)
        rows.append({
            t("walkthrough.check.tensor"): label_text,
            t("walkthrough.check.max_diff"): f"{diff:.2e}" if diff else "0",
            t("walkthrough.check.status"): t("walkthrough.check.pass" if diff < CHECK_TOLERANCE else "walkthrough.check.fail"),
        })
    largest = max(diffs.values())
    failed = sum(1 for d in diffs.values() if not d < CHECK_TOLERANCE)
    diff_slot.metric(t("walkthrough.summary.max_diff"), f"{largest:.1e}" if largest else "0")
    if failed:
        st.error(t("walkthrough.check.verdict_fail", count=failed, tol=fmt(CHECK_TOLERANCE)))
    else:
        st.success(t("walkthrough.check.verdict_pass", count=len(diffs), max=f"{largest:.1e}" if largest else "0"))
    st.dataframe(pd.DataFrame(rows), hide_index=True, key="wt_check_table", height=35 * (len(rows) + 1) + 3)

# ----------------------------------------------------------------------------- the source article

with st.expander(t("walkthrough.article.header"), expanded=ss.get("wt_preset") == "article"):
    st.caption(t("walkthrough.article.intro"))
    claims = article_comparison()
    st.table(pd.DataFrame([
        {
            t("walkthrough.article.columns.quantity"): t(c.quantity_key),
            t("walkthrough.article.columns.claimed"): c.claimed,
            t("walkthrough.article.columns.correct"): c.correct,
            t("walkthrough.article.columns.why"): t(c.reason_key, **c.reason_params),
        }
        for c in claims
    ]), hide_index=True)
