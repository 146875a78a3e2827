"""The business-case section every lab's Results shows, driven through Streamlit with a stand-in tracker:
value, interval, operating point and profit curve in the strategy page's currency, in English and Chinese;
plain messages for a run from before validation predictions were stored and for a payoff switched off."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest


def _section(use_case: str, evaluation: dict, lang: str, *, runs: list[dict] | None = None,
             baselines: dict | None = None, currency: str = "EUR", enabled: bool = True) -> AppTest:
    def script(use_case, evaluation, lang, runs, baselines, currency, enabled):
        import pandas as pd
        import streamlit as st

        from dashboard.business_views import render_business_case
        from dashboard.i18n import LANGUAGE_KEY
        from dashboard.strategy_views import assessment

        st.session_state[LANGUAGE_KEY] = lang
        current = assessment()
        current.cost.currency = currency
        current.use_case(use_case).payoff.enabled = enabled

        class Tracker:
            def list_runs(self, use_case_id):
                return pd.DataFrame(runs or [], columns=["run_id", "use_case", "model", "status"])

            def load_dict(self, run_id, filename):
                return baselines[run_id]

        render_business_case(Tracker(), "run12345678", use_case, evaluation)

    at = AppTest.from_function(script, args=(use_case, evaluation, lang, runs, baselines, currency, enabled),
                               default_timeout=30)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


CLASSIFIED = {"y_true": [0, 1, 2, 3], "y_pred": [0, 1, 2, 0], "confidence": [0.9, 0.7, 0.55, 0.3],
              "validation": {"y_true": [0, 1, 2, 3, 4], "y_pred": [0, 1, 2, 3, 0],
                             "confidence": [0.99, 0.98, 0.6, 0.5, 0.4]}}


@pytest.mark.parametrize("lang, title, value_label", [("en", "Business case", "Value / year"),
                                                      ("zh", "商业论证", "每年价值")])
def test_image_run_shows_its_value_interval_cutoff_and_profit_curve(lang, title, value_label):
    at = _section("vision", CLASSIFIED, lang)
    assert at.subheader[0].value == title
    metric = at.metric[0]
    assert metric.label == value_label and metric.value == "750,000 EUR"  # 3 x 0.50 / 4 x 2,000,000
    figure = at.get("plotly_chart")[0].proto.spec
    assert "EUR" in figure and "0.5" in figure
    text = " ".join(m.value for m in at.markdown)
    assert ("0.500" in text and "75.0%" in text) if lang == "en" else ("截断值 0.500" in text)


def test_credit_run_against_the_scorecard_and_an_old_run_said_plainly():
    model = {"y_true": [0, 0, 0, 1, 1], "scores": [0.1, 0.3, 0.6, 0.7, 0.2], "dataset_fingerprint": "f"}
    scorecard = {"y_true": [0, 0, 0, 1, 1], "scores": [0.5] * 5, "dataset_fingerprint": "f"}
    runs = [{"run_id": "scorecard1", "use_case": "finance", "model": "scorecard", "status": "completed"}]
    at = _section("finance", model, "en", runs=runs, baselines={"scorecard1": scorecard}, currency="USD")
    # money of the default payoff: 5,000 a bad loan, 800 a good one rejected, 20,000 applications.
    # model at 0.11 rejects 2 goods (1,600 / 5 = 320); scorecard rejects all 3 goods (2,400 / 5 = 480): 160 x 20,000
    assert at.metric[0].value == "3,200,000 USD"
    assert "the scorecard (run scorecar)" in " ".join(m.value for m in at.markdown)
    assert at.info[0].value.startswith("This run predates stored validation scores")


def test_a_classification_run_without_validation_predictions_and_a_payoff_switched_off():
    old = {key: CLASSIFIED[key] for key in ("y_true", "y_pred", "confidence")}
    at = _section("nlp", old, "zh")
    assert "此运行早于验证集预测的保存" in at.warning[0].value
    at = _section("nlp", CLASSIFIED, "en", enabled=False)
    assert at.info[0].value.startswith("Switch on this use case's payoff on the Strategy page")


@pytest.mark.parametrize("lang, label, note", [("en", "Running cost / year", "already subtracted"),
                                               ("zh", "每年运行成本", "已从价值及其区间中扣除")])
def test_an_llm_run_shows_its_running_cost_beside_the_value(lang, label, note):
    # vision's payoff: 2,000,000 items a year; 2.50 per 1,000 decisions -> 5,000 a year, out of the 750,000
    at = _section("vision", {**CLASSIFIED, "llm": {"cost_per_1000": 2.5, "k": 0}}, lang)
    value, cost = at.metric[0], at.metric[1]
    assert value.value == "745,000 EUR" and (cost.label, cost.value) == (label, "5,000 EUR")
    text = " ".join(m.value for m in at.markdown)
    assert note in text and "750,000" in text and "2.50" in text
    assert len(_section("vision", CLASSIFIED, lang).metric) == 1  # no cost paid: the section is as before
