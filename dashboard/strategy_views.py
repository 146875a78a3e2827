"""Strategy page pieces: the assessment kept in session state, its editing widgets, and the callbacks
that load a file, add or remove a use case, and build the brief. Widgets only read and write values.

The assessment lives in st.session_state[ASSESSMENT]; widgets are keyed "stg_w_..." and seeded from it,
so a widget that is not on screen (another use case's sliders) never loses its value, and a loaded
file replaces every widget's value at once.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import streamlit as st

from core.business.evidence import collect, evaluation_loader
from core.business.payoff import payoff_fields
from core.config import get_settings
from core.data.delimited import check_extension
from core.i18n import StudioError
from core.strategy.analysis import data_text
from core.strategy.evidence import (MEASURED, baselines, data_readiness, data_sets, measured_from_runs,
                                    primary_metrics, runs_on_chosen_data, scores_for)
from core.strategy.io import dump_yaml, load_team_default, load_yaml, save_team_default as save
from core.strategy.model import (APPETITES, COMPUTE_OPTIONS, CRITERIA, REGULATIONS, RISKS, SIZES, Assessment,
                                 default_assessment, load_defaults, new_custom_use_case, use_case_title)
from dashboard.i18n import current_language, error_text, t
from dashboard.widgets import translated_choice
from dashboard.access import auth_configured, can, current_identity

ASSESSMENT = "stg_assessment"
MESSAGE = "stg_message"
BRIEF = "stg_brief"
WIDGET_PREFIX = "stg_w_"
EDIT_KEY = "stg_edit"
NEW_NAME_KEY = "stg_new_name"
FILE_KEY = "stg_file"
FILE_TYPES = ("yaml", "yml")
EVIDENCE_TTL_S = 20


# ---- state --------------------------------------------------------------------------------------

def starting_assessment() -> Assessment:
    """The team's starting point an admin saved, else the built-in defaults."""
    return load_team_default(get_settings().strategy_defaults_path) or default_assessment()


def assessment() -> Assessment:
    """This session's assessment (the team's starting point on first visit)."""
    if ASSESSMENT not in st.session_state:
        st.session_state[ASSESSMENT] = starting_assessment()
    return st.session_state[ASSESSMENT]


def _clear_widgets() -> None:
    for key in [key for key in st.session_state if str(key).startswith(WIDGET_PREFIX)]:
        del st.session_state[key]


def _flash(kind: str, text_key: str | None = None, error: StudioError | None = None, **params: Any) -> None:
    """A message shown once on the next run, translated then (so it follows a language switch)."""
    st.session_state[MESSAGE] = (kind, text_key, error, params)


def show_message() -> None:
    entry = st.session_state.pop(MESSAGE, None)
    if not entry:
        return
    kind, text_key, error, params = entry
    text = error_text(error) if error is not None else t(text_key, **params)
    {"error": st.error, "success": st.success, "info": st.info}[kind](text)


def _seed(key: str, value: Any) -> str:
    full = WIDGET_PREFIX + key
    if full not in st.session_state:
        st.session_state[full] = value
    return full


def _value(key: str) -> Any:
    return st.session_state[WIDGET_PREFIX + key]


# ---- callbacks ----------------------------------------------------------------------------------

def load_file() -> None:
    """Replace the assessment with the uploaded file's, or keep everything and say field by field what is wrong."""
    uploaded = st.session_state.get(FILE_KEY)
    if uploaded is None:
        _flash("info", "strategy.file.no_file")
        return
    try:
        check_extension(uploaded.name, FILE_TYPES)
        loaded = load_yaml(uploaded.getvalue())
    except StudioError as error:
        _flash("error", error=error)
        return
    st.session_state[ASSESSMENT] = loaded
    _clear_widgets()
    st.session_state.pop(EDIT_KEY, None)
    _flash("success", "strategy.file.loaded", name=uploaded.name, count=len(loaded.use_cases))


def reset() -> None:
    st.session_state[ASSESSMENT] = starting_assessment()
    _clear_widgets()
    st.session_state.pop(EDIT_KEY, None)
    _flash("success", "strategy.file.reset_done")


def save_team_default(current: Assessment) -> None:
    """Admins: make the assessment on screen everyone's starting point (audited)."""
    settings = get_settings()
    try:
        save(snapshot(current), current_identity(), path=settings.strategy_defaults_path, log_path=settings.audit_log)
    except StudioError as error:
        _flash("error", error=error)
        return
    _flash("success", "access.team_default_saved")


def render_team_default(current: Assessment) -> None:
    """The admin-only button that saves the team's starting assessment; nothing for other roles."""
    if auth_configured() and can("strategy_defaults"):  # a team's starting point: only when people sign in
        st.button(t("access.team_default_save"), key="stg_team_default", on_click=save_team_default, args=(current,),
                  icon=":material/group:", help=t("access.team_default_help"))


def add_use_case() -> None:
    current = assessment()
    name = st.session_state.get(NEW_NAME_KEY, "")
    try:
        created = new_custom_use_case(current, name)
    except StudioError as error:
        _flash("error", error=error)
        return
    current.use_cases.append(created)
    st.session_state[EDIT_KEY] = created.id
    st.session_state[NEW_NAME_KEY] = ""
    _flash("success", "strategy.use_case.added", name=created.name)


def remove_use_case(use_case_id: str) -> None:
    current = assessment()
    chosen = current.use_case(use_case_id)
    if chosen.builtin:
        _flash("info", "strategy.use_case.builtin_kept")
        return
    current.use_cases = [u for u in current.use_cases if u.id != use_case_id]
    for key in [k for k in st.session_state if str(k).startswith(f"{WIDGET_PREFIX}{use_case_id}_")]:
        del st.session_state[key]
    st.session_state[EDIT_KEY] = current.use_cases[0].id
    _flash("success", "strategy.use_case.removed", name=chosen.name)


def _appetite_changed() -> None:
    appetite = st.session_state[WIDGET_PREFIX + "appetite"]
    st.session_state[WIDGET_PREFIX + "risk_penalty"] = float(load_defaults()["risk_penalty"][appetite])


# ---- evidence -----------------------------------------------------------------------------------

DATA_KEY = "stg_data_"  # + use case id: the data set that stands for that use case (a selectbox)


def _data_choice() -> tuple[tuple[str, str], ...]:
    """What the data selectboxes hold (read before they are drawn, so the evidence above them follows them)."""
    return tuple(sorted((str(key)[len(DATA_KEY):], str(value)) for key, value in st.session_state.items()
                        if str(key).startswith(DATA_KEY) and value))


@st.cache_data(ttl=EVIDENCE_TTL_S, show_spinner=False)
def _read_evidence(choice: tuple[tuple[str, str], ...] = ()) -> tuple[dict, int, str, dict, dict]:
    """(measured per use case, runs read, error text, stored evaluations for the business case, data sets per use
    case) from the tracker, read at most every few seconds. Each use case is measured on one data set: `choice`
    ((use case, data key), ...) or its default (core.strategy.evidence.data_sets)."""
    from dashboard.services import get_tracker

    uri = get_settings().tracking_uri
    if uri.startswith("sqlite:///") and not Path(uri[len("sqlite:///"):]).exists():
        return {}, 0, "", {}, {}  # no run was ever stored here: nothing to read, and no MLflow import to pay for
    try:
        tracker = get_tracker()
        runs = tracker.list_runs()
        known = baselines()
        options = {use_case: data_sets(runs, use_case, baseline=baseline) for use_case, baseline in known.items()}
        chosen = runs_on_chosen_data(runs, dict(choice), known)
        measured = measured_from_runs(chosen, primary_metrics())
        return measured, len(runs), "", collect(chosen, measured, evaluation_loader(tracker)), options
    except Exception as error:  # noqa: BLE001 - no tracker means "assumed", never a broken page
        return {}, 0, f"{type(error).__name__}: {str(error)[:160]}", {}, {}


def evidence() -> tuple[dict, int, str]:
    measured, runs_read, error, _, _ = _read_evidence(_data_choice())
    return measured, runs_read, error


def business_evidence() -> dict:
    """{use case id: RunEvidence}: the stored evaluations the business case values (core.business.evidence)."""
    return _read_evidence(_data_choice())[3]


def render_data_choice(current: Assessment, measured: dict) -> None:
    """Per use case with runs on more than one data set: which one stands for it (its evidence, cost and value)."""
    options = _read_evidence(_data_choice())[4]
    several = {u.id: options[u.id] for u in current.use_cases if len(options.get(u.id, ())) > 1}
    if not several:
        return
    with st.expander(t("strategy.data.title"), expanded=True, icon=":material/dataset:"):
        st.caption(t("strategy.data.help"))
        columns = st.columns(min(len(several), 2))
        for index, (use_case_id, sets) in enumerate(several.items()):
            labels = {data.key: t("strategy.data.option", data=data_text(use_case_id, data, current_language()),
                                  runs=data.runs, newest=_when(data.newest)) for data in sets}
            with columns[index % len(columns)]:
                translated_choice(st.selectbox, t("strategy.data.pick", use_case=_title(current, use_case_id)),
                                  list(labels), key=DATA_KEY + use_case_id, format_func=labels.__getitem__)


def _when(started: Any) -> str:
    try:
        return started.strftime("%Y-%m-%d %H:%M")
    except (AttributeError, ValueError):
        return "–"


def _title(current: Assessment, use_case_id: str) -> str:
    return use_case_title(current.use_case(use_case_id), current_language())


# ---- editing widgets ------------------------------------------------------------------------------

def company_form(current: Assessment) -> None:
    """Company profile widgets; their values are written back into the assessment."""
    company = current.company
    currency = current.cost.currency
    left, middle, right = st.columns(3)
    with left:
        st.text_input(t("strategy.company.name"), key=_seed("company_name", company.name))
        st.text_input(t("strategy.company.industry"), key=_seed("industry", company.industry))
    with middle:
        _seed("size", company.size)
        translated_choice(st.selectbox, t("strategy.company.size"), SIZES, key=WIDGET_PREFIX + "size",
                          format_func=lambda s: t(f"strategy.size.{s}"))
        _seed("compute", company.compute)
        translated_choice(st.selectbox, t("strategy.company.compute"), COMPUTE_OPTIONS, key=WIDGET_PREFIX + "compute",
                          format_func=lambda c: t(f"strategy.compute.{c}"))
    with right:
        st.number_input(t("strategy.company.cloud_budget", currency=currency), step=1000.0, format="%.0f",
                        key=_seed("cloud_budget", float(company.cloud_budget)))
        _seed("regulations", list(company.regulations))
        translated_choice(st.multiselect, t("strategy.company.regulations"), REGULATIONS,
                          key=WIDGET_PREFIX + "regulations", format_func=lambda r: t(f"strategy.regulation.{r}"),
                          placeholder=t("strategy.company.regulations_placeholder"))
    _seed("appetite", company.risk_appetite)
    translated_choice(st.radio, t("strategy.company.risk_appetite"), APPETITES, key=WIDGET_PREFIX + "appetite",
                      format_func=lambda a: t(f"strategy.appetite.{a}"), horizontal=True, on_change=_appetite_changed)
    company.name = _value("company_name")
    company.industry = _value("industry")
    company.size = _value("size") or company.size
    company.compute = _value("compute") or company.compute
    company.cloud_budget = float(_value("cloud_budget"))
    company.regulations = list(_value("regulations") or [])
    company.risk_appetite = _value("appetite") or company.risk_appetite


def weights_form(current: Assessment) -> None:
    weights = current.weights
    st.caption(t("strategy.weights.criteria_help"))
    st.markdown(f"**{t('strategy.weights.criteria')}**")
    for column, name in zip(st.columns(len(CRITERIA)), CRITERIA):
        with column:
            st.number_input(t(f"strategy.criteria.{name}"), min_value=0.0, max_value=100.0, step=0.05,
                            key=_seed(f"weight_{name}", float(weights.criteria[name])))
    st.markdown(f"**{t('strategy.weights.risks')}**")
    for column, name in zip(st.columns(len(RISKS)), RISKS):
        with column:
            st.number_input(t(f"strategy.risks.{name}"), min_value=0.0, max_value=100.0, step=0.05,
                            key=_seed(f"riskweight_{name}", float(weights.risks[name])))
    st.slider(t("strategy.weights.risk_penalty"), min_value=0.0, max_value=2.0, step=0.05,
              help=t("strategy.weights.risk_penalty_help"), key=_seed("risk_penalty", float(weights.risk_penalty)))
    weights.criteria = {name: float(_value(f"weight_{name}")) for name in CRITERIA}
    weights.risks = {name: float(_value(f"riskweight_{name}")) for name in RISKS}
    weights.risk_penalty = float(_value("risk_penalty"))


def use_case_editor(current: Assessment, measured: dict) -> None:
    """Pick a use case, score it; add your own or remove one you added."""
    lang = current_language()
    ids = [u.id for u in current.use_cases]
    if st.session_state.get(EDIT_KEY) not in ids:
        st.session_state[EDIT_KEY] = ids[0]
    titles = {u.id: use_case_title(u, lang) for u in current.use_cases}
    pick, add = st.columns([2, 3])
    with pick:
        chosen_id = translated_choice(st.selectbox, t("strategy.use_case.edit"), ids, key=EDIT_KEY,
                                      format_func=lambda uid: titles.get(uid, uid))
    with add:
        name_column, button_column = st.columns([3, 1], vertical_alignment="bottom")
        with name_column:
            st.text_input(t("strategy.use_case.add_name"), key=NEW_NAME_KEY)
        with button_column:
            st.button(t("strategy.use_case.add"), key="stg_add", on_click=add_use_case, icon=":material/add:")
    chosen = current.use_case(chosen_id)
    prefix = f"{chosen.id}_"
    scores_column, risks_column, data_column = st.columns(3)
    with scores_column:
        st.markdown(f"**{t('strategy.use_case.scores')}**")
        for name in CRITERIA:
            st.slider(t(f"strategy.criteria.{name}"), 1, 5, key=_seed(f"{prefix}score_{name}", int(chosen.scores[name])))
    with risks_column:
        st.markdown(f"**{t('strategy.use_case.risks')}**")
        for name in RISKS:
            st.slider(t(f"strategy.risks.{name}"), 1, 5, key=_seed(f"{prefix}risk_{name}", int(chosen.risks[name])))
    with data_column:
        st.markdown(f"**{t('strategy.use_case.data')}**")
        st.number_input(t("strategy.use_case.rows"), min_value=0, step=1000, key=_seed(f"{prefix}rows", int(chosen.data.rows)))
        st.checkbox(t("strategy.use_case.labelled"), key=_seed(f"{prefix}labelled", bool(chosen.data.labelled)))
        st.slider(t("strategy.use_case.quality"), 1, 5, key=_seed(f"{prefix}quality", int(chosen.data.quality)))
        st.number_input(t("strategy.use_case.requests_per_day"), min_value=0.0, step=1000.0, format="%.0f",
                        key=_seed(f"{prefix}requests", float(chosen.load.requests_per_day)))
        st.number_input(t("strategy.use_case.retrains_per_year"), min_value=0.0, step=1.0, format="%.0f",
                        key=_seed(f"{prefix}retrains", float(chosen.load.retrains_per_year)))
        st.checkbox(t("strategy.use_case.use_evidence"), key=_seed(f"{prefix}evidence", bool(chosen.use_evidence)))
    chosen.scores = {name: int(_value(f"{prefix}score_{name}")) for name in CRITERIA}
    chosen.risks = {name: int(_value(f"{prefix}risk_{name}")) for name in RISKS}
    chosen.data.rows = int(_value(f"{prefix}rows"))
    chosen.data.labelled = bool(_value(f"{prefix}labelled"))
    chosen.data.quality = int(_value(f"{prefix}quality"))
    chosen.load.requests_per_day = float(_value(f"{prefix}requests"))
    chosen.load.retrains_per_year = float(_value(f"{prefix}retrains"))
    chosen.use_evidence = bool(_value(f"{prefix}evidence"))
    suggested = data_readiness(chosen.data.rows, chosen.data.labelled, chosen.data.quality)
    with data_column:
        st.caption(t("strategy.use_case.data_suggestion", score=suggested))
    used = scores_for(chosen, measured.get(chosen.id), epochs=current.cost.epochs)
    if used["feasibility"].source == MEASURED:
        st.caption(t("strategy.use_case.measured_note", feasibility=f"{used['feasibility'].score:.0f}",
                     compute=f"{used['compute'].score:.0f}",
                     runs=", ".join(dict.fromkeys(r[:8] for name in ("feasibility", "compute")
                                                  for r in used[name].run_ids))))
    payoff_form(chosen, current.cost.currency)
    if not chosen.builtin:
        st.button(t("strategy.use_case.remove"), key="stg_remove", on_click=remove_use_case, args=(chosen.id,),
                  icon=":material/delete:")


MONEY_STEPS = {"cost_bad_approved": 100.0, "margin_good_rejected": 50.0, "manual_cost": 0.1, "error_cost": 1.0,
               "value_per_hit": 0.1}


def payoff_form(chosen, currency: str) -> None:
    """The chosen use case's payoff: a switch and the money and volumes its kind needs (core.business.payoff).
    No min_value: a negative or zero entry reaches the analysis, which names it in words."""
    st.markdown(f"**{t('business.payoff.title')}**")
    if chosen.payoff is None:
        st.caption(t("business.payoff.none"))
        return
    prefix = f"{chosen.id}_payoff_"
    st.checkbox(t("business.payoff.enabled"), help=t("business.payoff.enabled_help"),
                key=_seed(f"{prefix}enabled", bool(chosen.payoff.enabled)))
    chosen.payoff.enabled = bool(_value(f"{prefix}enabled"))
    payoff_inputs(chosen, payoff_fields(chosen.id), currency)


def payoff_inputs(chosen: Any, names: Any, currency: str, *, labels: dict[str, str] | None = None) -> None:
    """Number inputs for some of a use case's payoff fields, written back into the session's assessment.

    One state for every page: the Strategy page's payoff form and the finance lab's threshold costs use the
    same keys, so a cost edited in either is the one the other, the business case and the brief use.
    """
    prefix = f"{chosen.id}_payoff_"
    for column, name in zip(st.columns(len(names)), names):
        with column:
            key = _seed(prefix + name, float(getattr(chosen.payoff, name)))
            if labels and name in labels:  # e.g. a non-credit table's own outcome names
                st.number_input(labels[name], step=MONEY_STEPS.get(name, 1000.0), format="%.2f", key=key)
            elif name == "target_precision":
                st.number_input(t(f"business.payoff.{name}"), step=0.01, format="%.3f", key=key)
            else:
                st.number_input(t(f"business.payoff.{name}", currency=currency), step=MONEY_STEPS.get(name, 1000.0),
                                format="%.2f" if name in MONEY_STEPS else "%.0f", key=key)
    for name in names:
        setattr(chosen.payoff, name, float(_value(prefix + name)))


def cost_form(current: Assessment) -> None:
    cost = current.cost
    columns = st.columns(6)
    with columns[0]:
        st.text_input(t("strategy.cost.currency"), max_chars=8, key=_seed("currency", cost.currency))
    with columns[1]:
        st.number_input(t("strategy.cost.cpu_price", currency=cost.currency), step=0.05, format="%.2f",
                        key=_seed("cpu_price", float(cost.cpu_price_per_hour)))
    with columns[2]:
        st.number_input(t("strategy.cost.gpu_price", currency=cost.currency), step=0.10, format="%.2f",
                        key=_seed("gpu_price", float(cost.gpu_price_per_hour)))
    with columns[3]:
        # No min_value here or below: any value a loaded file holds must fit the widget; analyse() names bad ones.
        st.number_input(t("strategy.cost.gpu_speedup"), step=0.5, help=t("strategy.cost.gpu_speedup_help"),
                        key=_seed("gpu_speedup", float(cost.gpu_speedup)))
    with columns[4]:
        st.number_input(t("strategy.cost.utilisation"), step=0.05,
                        key=_seed("utilisation", float(cost.utilisation)))
    with columns[5]:
        st.number_input(t("strategy.cost.epochs"), min_value=1, max_value=1000, step=1, key=_seed("epochs", int(cost.epochs)))
    st.checkbox(t("strategy.cost.always_on"), key=_seed("always_on", bool(cost.always_on)))
    cost.currency = (_value("currency") or "").strip() or cost.currency
    cost.cpu_price_per_hour = float(_value("cpu_price"))
    cost.gpu_price_per_hour = float(_value("gpu_price"))
    cost.gpu_speedup = float(_value("gpu_speedup"))
    cost.utilisation = float(_value("utilisation"))
    cost.epochs = int(_value("epochs"))
    cost.always_on = bool(_value("always_on"))


def fingerprint(current: Assessment) -> str:
    """The assessment as YAML: what the saved file holds and what a built brief was built from."""
    return dump_yaml(current)


def snapshot(current: Assessment) -> Assessment:
    return copy.deepcopy(current)


__all__ = ["ASSESSMENT", "BRIEF", "FILE_KEY", "FILE_TYPES", "assessment", "add_use_case", "business_evidence", "company_form",
           "cost_form", "evidence", "payoff_form", "payoff_inputs",
           "fingerprint", "load_file", "remove_use_case", "render_team_default", "reset", "save_team_default",
           "show_message", "snapshot", "starting_assessment", "use_case_editor",
           "weights_form"]
