"""Strategy planner: score use cases on measured evidence, cost and risk; matrix, sensitivity, roadmap, brief.

Never imports TensorFlow (nor MLflow more than once: runs are read through a short-lived cache); a brief
is built only when its button is pressed, so every other interaction is a cheap rerun.
"""

from __future__ import annotations

from datetime import date

import streamlit as st

from core.i18n import StudioError
from core.strategy.analysis import analyse, business_rows, cost_rows, evidence_rows, ranking_rows
from core.strategy.evidence import MEASURED
from core.strategy.model import CRITERIA
from core.strategy.plan import PHASES, risk_register, roadmap
from dashboard import business_charts
from dashboard import strategy_charts as charts
from dashboard import strategy_views as views
from dashboard.i18n import current_language, error_text, t
from dashboard.pretrained_views import render_starting_points
from dashboard.uploads import checked_uploader

LANGUAGE_NAMES = {"en": "English", "zh": "简体中文"}

st.title(t("strategy.title"))
st.markdown(t("strategy.intro"))
with st.expander(t("strategy.section.method"), icon=":material/rule:"):
    st.markdown(t("strategy.rules"))

current = views.assessment()
lang = current_language()
measured, runs_read, evidence_error = views.evidence()
business = views.business_evidence()
views.show_message()

# ---- inputs -------------------------------------------------------------------------------------------
# open while a file is attached: a language switch redraws the expander, which would hide its message
with st.expander(t("strategy.section.file"), icon=":material/folder_open:",
                 expanded=st.session_state.get(views.FILE_KEY) is not None):
    # any file reaches the app; one of another type gets a translated message naming .yaml/.yml
    checked_uploader(t("strategy.file.upload"), key=views.FILE_KEY, types=views.FILE_TYPES)
    load_column, reset_column = st.columns(2)
    with load_column:
        st.button(t("strategy.file.load"), key="stg_load", on_click=views.load_file, icon=":material/upload:")
    with reset_column:
        st.button(t("strategy.file.reset"), key="stg_reset", on_click=views.reset, icon=":material/restart_alt:")

with st.expander(t("strategy.section.company"), expanded=True, icon=":material/domain:"):
    views.company_form(current)
with st.expander(t("strategy.section.weights"), icon=":material/tune:"):
    views.weights_form(current)
with st.expander(t("strategy.section.cost_inputs"), icon=":material/payments:"):
    views.cost_form(current)

st.subheader(t("strategy.section.use_cases"))
views.use_case_editor(current, measured)

# The file is saved from what the widgets hold now, after this run wrote them back.
saved = views.fingerprint(current)
st.download_button(t("strategy.file.save"), data=saved, file_name="strategy-assessment.yaml",
                   mime="application/x-yaml", key="stg_save", icon=":material/download:")
views.render_team_default(current)

if evidence_error:
    st.warning(t("strategy.evidence_unavailable", detail=evidence_error))
else:
    measured_count = sum(1 for u in current.use_cases if u.id in measured)
    st.caption(t("strategy.evidence_summary", measured=measured_count, total=len(current.use_cases), runs=runs_read))
    views.render_data_choice(current, measured)  # which data set stands for a use case with runs on several

try:
    analysis = analyse(current, measured, lang, business)
except StudioError as error:
    st.error(error_text(error))
    st.stop()

currency = current.cost.currency
criterion_labels = {name: t(f"strategy.criteria.{name}") for name in CRITERIA}

# ---- ranking, matrix, radars, sensitivity ---------------------------------------------------------------
st.subheader(t("strategy.section.ranking"))
st.dataframe(ranking_rows(analysis), hide_index=True, width="stretch", key="stg_ranking")
order = [u.id for u in current.use_cases]
st.plotly_chart(charts.plot_priority_matrix(
    [analysis.title(uid) for uid in order],
    [analysis.effective[uid]["feasibility"].score for uid in order],
    [analysis.effective[uid]["value"].score for uid in order],
    [analysis.best_cost(uid).total for uid in order],
    [analysis.effective[uid]["feasibility"].source == MEASURED for uid in order],
    title=t("strategy.charts.matrix_title"), x_title=t("strategy.charts.feasibility"),
    y_title=t("strategy.charts.value"), cost_label=t("strategy.charts.cost_label", currency=currency),
    measured_label=t("strategy.charts.measured"), assumed_label=t("strategy.charts.assumed"),
    quadrants=[t("strategy.charts.quick_wins"), t("strategy.charts.big_bets"), t("strategy.charts.fill_ins"),
               t("strategy.charts.avoid")]), key="stg_matrix")

risk_by_id = {r.id: r.risk for r in analysis.ranking}
st.plotly_chart(charts.plot_radars(
    [analysis.title(uid) for uid in order],
    [{c: analysis.effective[uid][c].score for c in CRITERIA} for uid in order],
    [current.use_case(uid).scores for uid in order],
    title=t("strategy.charts.radar_title"), axis_labels=criterion_labels,
    effective_label=t("strategy.charts.radar_used"), typed_label=t("strategy.charts.radar_typed"),
    subtitles=[t("strategy.charts.radar_subtitle", name=analysis.title(uid), risk=f"{risk_by_id[uid]:.1f}")
               for uid in order]), key="stg_radar")

st.subheader(t("strategy.section.sensitivity"))
st.plotly_chart(charts.plot_sensitivity(analysis.sensitivity, criterion_labels=criterion_labels,
                                        title=t("strategy.charts.sensitivity_title"),
                                        x_title=t("strategy.charts.sensitivity_x"),
                                        y_title=t("strategy.charts.sensitivity_y")), key="stg_sensitivity")
moves = [t("strategy.charts.moves", criterion=criterion_labels[c],
           names=t("strategy.list_separator").join(analysis.title(uid) for uid in ids))
         for c, ids in analysis.changes.items() if ids]
st.markdown("\n".join(f"- {line}" for line in moves) if moves else t("strategy.charts.stable"))

st.subheader(t("strategy.section.evidence"))
st.dataframe(evidence_rows(analysis), hide_index=True, width="stretch", key="stg_evidence")
render_starting_points(analysis)  # pretrained vs from scratch vs baseline, measured

# ---- cost ---------------------------------------------------------------------------------------------
st.subheader(t("strategy.section.cost"))
names = [analysis.title(uid) for uid in order]
st.plotly_chart(charts.plot_costs(
    names, {d: [analysis.costs[uid][d].train_cost for uid in order] for d in ("CPU", "GPU")},
    {d: [analysis.costs[uid][d].serve_cost for uid in order] for d in ("CPU", "GPU")},
    title=t("strategy.charts.cost_title"), y_title=t("strategy.charts.cost_axis", currency=currency),
    device_labels={"CPU": "CPU", "GPU": "GPU"}, train_label=t("strategy.charts.train"),
    serve_label=t("strategy.charts.serve")), key="stg_cost_chart")
total = sum(analysis.best_cost(uid).total for uid in order)
budget = float(current.company.cloud_budget)
st.markdown(t("strategy.cost.total", total=f"{total:,.0f}", currency=currency, budget=f"{budget:,.0f}"))
if total > budget:
    st.warning(t("strategy.cost.over_budget", over=f"{total - budget:,.0f}", currency=currency))
st.dataframe(cost_rows(analysis), hide_index=True, width="stretch", key="stg_cost_table",  # source before speeds
             column_config={t("strategy.table.source"): st.column_config.TextColumn(width="large")})

# ---- business case ------------------------------------------------------------------------------------
st.subheader(t("business.section"))
st.caption(t("business.intro"))
with st.expander(t("strategy.section.method"), icon=":material/rule:"):
    st.markdown(t("business.rules"))
for uid, error in analysis.business_errors.items():
    st.error(f"{analysis.title(uid)}: {error_text(error)}")
business_table = business_rows(analysis)
if business_table:
    st.dataframe(business_table, hide_index=True, width="stretch", key="stg_business_table")
valued = [uid for uid in order if uid in analysis.cases]
if valued:
    money = analysis.economics
    st.plotly_chart(business_charts.plot_value_vs_cost(
        [analysis.title(uid) for uid in valued], [money[uid].value for uid in valued],
        [money[uid].low for uid in valued], [money[uid].high for uid in valued], [money[uid].cost for uid in valued],
        title=t("business.chart.title"), y_title=t("business.chart.y_axis", currency=currency),
        value_label=t("business.chart.value"), cost_label=t("business.chart.cost")), key="stg_business_chart")

# ---- plan ---------------------------------------------------------------------------------------------
today = date.today()
phases = roadmap(analysis.ranking, start=today)
register = risk_register(current, analysis.ranking, analysis.costs, lang)
st.subheader(t("strategy.section.roadmap"))
st.plotly_chart(charts.plot_roadmap(phases, title=t("strategy.charts.roadmap_title"),
                                    phase_labels={p: t(f"strategy.phase.{p}") for p in PHASES},
                                    today_label=t("strategy.charts.today"), today=today,
                                    x_title=t("strategy.charts.roadmap_x"),
                                    month_label=lambda d: t("strategy.charts.month_tick", year=d.year,
                                                            month=t("strategy.charts.month_names").split(",")[d.month - 1])),
                key="stg_roadmap")
st.subheader(t("strategy.section.register"))
if register:  # a static table wraps the mitigations, which a dataframe would cut off
    st.table([{t("strategy.table.use_case"): entry.title, t("strategy.table.category"): t(f"strategy.category.{entry.category}"),
               t("strategy.table.level"): entry.level, t("strategy.table.mitigations"): "\n".join(
                   f"• {item}" for item in entry.mitigations)} for entry in register], hide_index=True)
else:
    st.info(t("strategy.register.empty"))

# ---- brief --------------------------------------------------------------------------------------------
st.subheader(t("strategy.section.report"))
report_lang = st.radio(t("strategy.report.language"), list(LANGUAGE_NAMES), format_func=LANGUAGE_NAMES.__getitem__,
                       horizontal=True, key="stg_report_lang", index=list(LANGUAGE_NAMES).index(lang))
# the click says so at once (a callback runs before the page redraws, which takes seconds with many runs);
# the spinner then covers the report module's import (fpdf, charts) as well as the build
if st.button(t("strategy.report.build"), key="stg_build", type="primary", icon=":material/description:",
             on_click=lambda: st.toast(t("strategy.report.building"), icon=":material/hourglass_top:")):
    with st.spinner(t("strategy.report.building")):
        from core.strategy.report import build_brief

        in_language = analyse(current, measured, report_lang, business)
        brief = build_brief(in_language, roadmap(in_language.ranking, start=today),
                            risk_register(current, in_language.ranking, in_language.costs, report_lang), today=today)
    st.session_state[views.BRIEF] = (saved, brief)
built = st.session_state.get(views.BRIEF)
if built:
    built_from, brief = built
    st.success(t("strategy.report.built", language=LANGUAGE_NAMES[brief.lang]))
    if built_from != saved:
        st.caption(t("strategy.report.stale"))
    html_column, pdf_column = st.columns(2)
    with html_column:
        st.download_button(t("strategy.report.html"), data=brief.html.encode("utf-8"),
                           file_name=f"strategy-brief-{brief.lang}.html", mime="text/html", key="stg_html",
                           icon=":material/html:")
    with pdf_column:
        if brief.pdf is not None:
            st.download_button(t("strategy.report.pdf"), data=brief.pdf, file_name=f"strategy-brief-{brief.lang}.pdf",
                               mime="application/pdf", key="stg_pdf", icon=":material/picture_as_pdf:")
        else:
            st.error(error_text(brief.pdf_error))
