"""Finance lab through its real widgets: profile, a scorecard run, threshold and costs, applicant, bad CSVs."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from core.i18n import translate

LAB = "../pages/lab.py"


def _open(app_test):
    at = app_test(timeout=120).run()
    at.switch_page(LAB).run()
    at.session_state["lab_use_case"] = "finance"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _metrics(at) -> dict[str, str]:
    return {metric.label: metric.value for metric in at.metric}


@pytest.mark.slow
def test_credit_data_profile_train_scorecard_threshold_and_applicant(app_test, run_after_jobs):
    at = _open(app_test)
    metrics = _metrics(at)
    assert metrics["Applicants"] == "4,454"
    assert metrics["Bad rate"] == "28.1%"
    assert metrics["Test applicants (25%)"] == "1,114"
    at.button(key="finance_train").click().run()
    at = run_after_jobs(at)
    assert not at.error, [e.value for e in at.error]
    assert at.success[0].value.startswith("Finished: test ROC-AUC 0.849")
    metrics = _metrics(at)
    assert metrics["ROC-AUC"] == "0.849"
    assert "Cost-optimal threshold" in metrics and "Decision" in metrics
    # Guidance quotes the measured run; no scorecard gain claims without another model.
    text = "\n".join(m.value for m in at.markdown)
    assert "Highest ROC-AUC among 1 model(s): **Scorecard (logistic regression)** (0.849)" in text
    assert translate("finance.guide.one_model", "en") in text
    # One payoff drives the page: the operating point is the business case's (issue 25.1) ...
    optimal = _metrics(at)["Cost-optimal threshold"]
    assert any(m.value.startswith(f"Threshold {optimal} (chosen on the validation split)") for m in at.markdown)
    # ... and its prices are the Strategy page's: free rejections are refused in words, the app keeps running
    at.number_input(key="stg_w_finance_payoff_margin_good_rejected").set_value(0.0).run()
    assert translate("business.errors.zero_margin_good_rejected", "en") in [e.value for e in at.error]
    at.number_input(key="stg_w_finance_payoff_margin_good_rejected").set_value(800.0).run()
    assert _metrics(at)["Cost-optimal threshold"] == optimal
    # Rejecting everyone: the business case follows the slider, and so does the fairness view, where nobody is
    # approved, so it says the differences mean nothing.
    threshold = next(s for s in at.slider if s.key.startswith("finance_threshold_"))
    threshold.set_value(0.0).run()
    assert any(m.value.startswith(f"Threshold 0.00, set on the slider above (cost-optimal for these costs: {optimal})")
               for m in at.markdown)
    fairness = next(s for s in at.slider if s.key.endswith("_fairness_threshold"))
    assert fairness.value == 0.0
    assert any("only 0.0% of applicants are approved" in w.value for w in at.warning), [w.value for w in at.warning]
    # It has its own threshold; at 0.5 a realistic share is approved and the warning goes.
    fairness.set_value(0.5).run()
    assert not any("of applicants are approved" in w.value for w in at.warning)
    assert next(s for s in at.slider if s.key.startswith("finance_threshold_")).value == 0.0  # unchanged above
    # Home has a group of 2 test applicants ("ignore"): marked and left out of the differences.
    at.selectbox(key="finance_sensitive").set_value("Home").run()
    assert any("fewer than 30 applicants in the test split (ignore)" in i.value for i in at.info)
    table = next(d.value for d in at.dataframe if "In the differences" in d.value.columns)
    counted = dict(zip(table["Group"], table["In the differences"]))
    assert counted["ignore"] == "no (under 30)" and counted["owner"] == "yes"
    approval = {g: float(v.rstrip("%")) / 100 for g, v in zip(table["Group"], table["Approval rate"])}
    large = [approval[g] for g, c in counted.items() if c == "yes"]
    assert float(_metrics(at)["Demographic-parity difference"]) == pytest.approx(max(large) - min(large), abs=2e-3)
    # The applicant form: an unseen category is flagged, and the app keeps running.
    home = next(s for s in at.selectbox if s.label == "Home")
    home.set_value("Other value…").run()
    at.text_input(key=f"{home.key}_other").set_value("boat").run()
    assert any("'boat' was never seen for Home" in w.value for w in at.warning)
    assert _metrics(at)["Decision"] in ("Approve", "Reject")
    # The prices typed here are the Strategy page's payoff (one state): a default costs 4,000 on both pages.
    at.number_input(key="stg_w_finance_payoff_cost_bad_approved").set_value(4000.0).run()
    at.switch_page("../pages/strategy.py").run()
    at.selectbox(key="stg_edit").set_value("finance").run()
    assert at.number_input(key="stg_w_finance_payoff_cost_bad_approved").value == 4000.0
    assert not at.exception, [e.value for e in at.exception]


BAD_CSVS = [
    (b"", "The CSV file is empty"),
    (b"a,b,c\n", "The CSV file is empty"),
    (("收入,状态\n" + "".join(f"{i},好\n" for i in range(25))).encode("gbk"), "has only 1 distinct value"),
    (b"a,b\n\x80\xff\xfe,1\n", "neither UTF-8 nor GBK"),
    (b"x,y\n1,bad\n", "Only 1 usable row (its 'y' is 'bad')"),
]


def test_bad_csv_uploads_show_a_clear_message_and_the_app_keeps_running(app_test):
    at = _open(app_test)
    at.selectbox(key="finance_dataset").set_value("upload_csv").run()
    assert at.info[0].value == translate("finance.upload_needed", "en")
    for content, message in BAD_CSVS:
        at.file_uploader(key="finance_upload").set_value(("applicants.csv", content, "text/csv")).run()
        assert not at.exception
        assert any(message in e.value for e in at.error), (message, [e.value for e in at.error])
    # A good upload afterwards works: GBK with Chinese names, target and bad value picked by the person.
    rows = "".join(f"{i},{'租房' if i % 2 else '自有'},{'坏' if i % 3 == 0 else '好'}\n" for i in range(60))
    at.file_uploader(key="finance_upload").set_value(("ok.csv", ("收入,住房,状态\n" + rows).encode("gbk"),
                                                      "text/csv")).run()
    at.selectbox(key="finance_target").set_value("状态").run()
    at.selectbox(key="finance_bad_value").set_value("坏").run()
    assert not at.error, [e.value for e in at.error]
    assert {m.label: m.value for m in at.metric}["Applicants"] == "60"


def test_three_class_target_message_in_chinese(app_test, switch_language):
    at = _open(app_test)
    at = switch_language(at, "zh")
    at.selectbox(key="finance_dataset").set_value("upload_csv").run()
    frame = pd.DataFrame({"income": range(30), "grade": ["A", "B", "C"] * 10})
    at.file_uploader(key="finance_upload").set_value(("g.csv", frame.to_csv(index=False).encode(), "text/csv")).run()
    at.selectbox(key="finance_target").set_value("grade").run()
    assert any("有 3 种不同取值" in e.value for e in at.error), [e.value for e in at.error]


def _credit_csv(n: int, bad_every: int, *, seed: int) -> bytes:
    """A credit table shaped like modeldata's: the Status target first, good/bad, 1 bad in `bad_every`."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"Status": np.where(np.arange(n) % bad_every == bad_every - 1, "bad", "good"),
                          "Income": rng.normal(150, 40, n).round(), "Home": rng.choice(["rent", "owner", "parents"], n),
                          "Amount": rng.integers(300, 3000, n)})
    return frame.to_csv(index=False).encode()


def _bad_rate(at) -> float:
    return float(_metrics(at)["Bad rate"].rstrip("%"))


def test_a_good_csv_after_a_refused_one_starts_from_its_own_detection(app_test):
    """Issue 13 item 1: a refused one-row file (its only value 'good') made 'good' the next file's bad value."""
    at = _open(app_test)
    at.selectbox(key="finance_dataset").set_value("upload_csv").run()
    good = _credit_csv(120, 3, seed=0)  # 40 of 120 bad: 33 %
    one_row = b"\n".join(good.splitlines()[:2]) + b"\n"
    assert one_row.splitlines()[1].startswith(b"good,")
    at.file_uploader(key="finance_upload").set_value(("head.csv", one_row, "text/csv")).run()
    assert any("Only 1 usable row (its 'Status' is 'good')" in e.value for e in at.error), [e.value for e in at.error]
    at.file_uploader(key="finance_upload").set_value(("credit.csv", good, "text/csv")).run()
    assert not at.error, [e.value for e in at.error]
    assert at.selectbox(key="finance_target").value == "Status"
    assert at.selectbox(key="finance_bad_value").value == "bad"
    assert abs(_bad_rate(at) - 100 * 40 / 120) < 1.5, _metrics(at)["Bad rate"]  # not the inverted 67 %
    # A choice the person made for one file is not carried to the next one either.
    at.selectbox(key="finance_bad_value").set_value("good").run()
    assert _bad_rate(at) > 60
    at.file_uploader(key="finance_upload").set_value(("credit2.csv", _credit_csv(100, 4, seed=1), "text/csv")).run()
    assert at.selectbox(key="finance_bad_value").value == "bad"
    assert abs(_bad_rate(at) - 25.0) < 1.5, _metrics(at)["Bad rate"]


def _profile_box_and_chart(at) -> tuple[str, list[str], str]:
    """(value, options) of the "bad rate by" box and the column its chart is titled with."""
    box = next(s for s in at.selectbox if s.key.startswith("finance_profile_column_"))
    titles = [json.loads(chart.proto.spec)["layout"]["title"]["text"] for chart in at.get("plotly_chart")]
    title = next(text for text in titles if text.startswith("Bad rate by "))
    return box.value, list(box.options), title.removeprefix("Bad rate by ").removesuffix(" (training split)")


def test_bad_rate_by_box_and_chart_follow_the_current_dataset(app_test):
    """Issue 13 item 4: after switching datasets the box and its chart show the same column of the new data."""
    at = _open(app_test)
    next(s for s in at.selectbox if s.key.startswith("finance_profile_column_")).set_value("Marital").run()
    assert _profile_box_and_chart(at)[::2] == ("Marital", "Marital")
    at.selectbox(key="finance_dataset").set_value("lending_club").run()
    value, options, charted = _profile_box_and_chart(at)
    assert "Marital" not in options and value == charted == options[0] == "funded_amnt"
    at.selectbox(key="finance_dataset").set_value("upload_csv").run()
    at.file_uploader(key="finance_upload").set_value(("credit.csv", _credit_csv(120, 3, seed=0), "text/csv")).run()
    value, options, charted = _profile_box_and_chart(at)
    assert options == ["Income", "Home", "Amount"] and value == charted == "Income"
    next(s for s in at.selectbox if s.key.startswith("finance_profile_column_")).set_value("Home").run()
    at.selectbox(key="finance_dataset").set_value("credit_data").run()
    value, options, charted = _profile_box_and_chart(at)
    # Back on the first table: its first column or the one chosen there before, never the upload's "Home".
    assert "Seniority" in options and value == charted and value in ("Seniority", "Marital")


def test_a_tab_separated_upload_is_read_as_columns_and_an_xlsx_is_refused_by_name(app_test, switch_language):
    """Issue 13 item 8: a tab file was read as one column; Streamlit's browser refusal named no type."""
    at = _open(app_test)
    at.selectbox(key="finance_dataset").set_value("upload_csv").run()
    tab = _credit_csv(120, 3, seed=0).decode().replace(",", "\t").encode()
    at.file_uploader(key="finance_upload").set_value(("credit.tsv", tab, "text/tab-separated-values")).run()
    assert not at.error, [e.value for e in at.error]
    assert list(at.selectbox(key="finance_target").options) == ["Status", "Income", "Home", "Amount"]
    assert abs(_bad_rate(at) - 100 * 40 / 120) < 1.5, _metrics(at)["Bad rate"]
    switch_language(at, "zh")
    at.file_uploader(key="finance_upload").set_value(("credit.xlsx", b"PK\x03\x04", "application/zip")).run()
    assert at.error[0].value == translate("errors.data.upload_wrong_type", "zh", name="credit.xlsx",
                                          accepted=".csv, .tsv, .txt, .data")


def _census_csv(n: int = 400, seed: int = 0) -> bytes:
    """An income table (census-like): its target says '>50K' or '<=50K', nothing about credit."""
    rng = np.random.default_rng(seed)
    hours = rng.integers(10, 70, n)
    age = rng.integers(18, 80, n)
    high = (hours + age / 2 + rng.normal(0, 12, n)) > 75
    frame = pd.DataFrame({"age": age, "hours-per-week": hours,
                          "education": rng.choice(["HS-grad", "Bachelors", "Masters"], n),
                          "income": np.where(high, ">50K", "<=50K")})
    return frame.to_csv(index=False).encode()


@pytest.mark.slow
def test_a_table_whose_target_is_not_a_credit_outcome_asks_which_value_to_flag(app_test, run_after_jobs):
    """The census table's minority '>50K' was silently made 'bad' and priced as bad loans (issue 25.4)."""
    at = _open(app_test)
    at.selectbox(key="finance_dataset").set_value("upload_csv").run()
    at.file_uploader(key="finance_upload").set_value(("adult.csv", _census_csv(), "text/csv")).run()
    assert at.selectbox(key="finance_target").value == "income"
    assert at.selectbox(key="finance_bad_value").value is None  # no silent default
    ask = translate("finance.bad_value_ask", "en", column="income", values="'<=50K', '>50K'")
    assert ask in [i.value for i in at.info], [i.value for i in at.info]
    assert "Bad rate" not in _metrics(at) and not at.exception  # nothing is loaded until the person chooses
    at.selectbox(key="finance_bad_value").set_value(">50K").run()
    assert "Bad rate" in _metrics(at) and not at.error, [e.value for e in at.error]
    at.button(key="finance_train").click().run()
    at = run_after_jobs(at)
    assert not at.error, [e.value for e in at.error]
    # the business case names the classes with the file's own values
    labels = [box.label for box in at.number_input]
    assert "Cost of approving a '>50K' row (USD)" in labels and "Margin lost on rejecting a '<=50K' row (USD)" in labels
    note = translate("finance.named.note", "en", column="income", bad=">50K", good="<=50K")
    assert note in [c.value for c in at.caption]


def test_credit_outcomes_keep_their_guess_and_other_values_are_asked_for():
    from core.usecases.finance.data import guess_bad_value, outcome_names

    assert guess_bad_value(["good", "bad"]) == "bad" and guess_bad_value(["0", "1"]) == "1"
    assert guess_bad_value(["good", "fair", "poor"]) == "poor"  # named like credit: rarest value not "good"
    assert guess_bad_value(["good"]) == "good"  # a one-value file is refused by name later, not asked about
    assert guess_bad_value(["<=50K", ">50K"]) is None and guess_bad_value(["Yes-recid", "No-recid"]) is None
    assert outcome_names(["<=50K", ">50K"], ">50K") == {"bad": ">50K", "good": "<=50K", "credit_like": False}
    assert outcome_names(pd.Series(["good", "bad", "good"]), "bad")["credit_like"] is True
