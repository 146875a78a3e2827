"""Model selection with a tracked LLM run beside the baseline: its starting point read from k, its running cost per
1,000 decisions and invalid answers in the comparison, the rest of the page unharmed by what it does not log."""

from __future__ import annotations

from core.contract.registry import model_title
from core.i18n import translate

PAGE = "../pages/selection.py"


def test_the_comparison_shows_an_llm_row_with_its_cost(app_test, switch_language):
    from llm_tracked import log_all

    at = app_test(timeout=120)
    from dashboard.services import get_tracker

    log_all(get_tracker())
    at.run()
    at.switch_page(PAGE).run()
    at.selectbox(key="sel_use_case").set_value("nlp").run()
    assert not at.exception, [e.value for e in at.exception]
    table = next(frame.value for frame in at.dataframe if "Cost per 1,000 decisions (USD)" in frame.value.columns)
    rows = {row["Model"]: row for row in table.to_dict("records")}
    llm = rows["LLM through an API (OpenAI-compatible), 8-shot"]  # its zero-shot and 8-shot runs side by side
    assert llm["Starting point"] == "LLM, 8-shot"
    assert (llm["Cost per 1,000 decisions (USD)"], llm["Invalid answers"]) == ("4.00", "5.0%")
    assert llm["Device"] == "Endpoint at 127.0.0.1:9"  # where it ran, not the machine that asked it
    zero = rows["LLM through an API (OpenAI-compatible), zero-shot"]
    assert (zero["Starting point"], zero["Cost per 1,000 decisions (USD)"]) == ("LLM, zero-shot", "2.50")
    assert (llm["Parameters"], llm["Size (MB)"], llm["Training time (s)"]) == ("–", "–", "–")
    base = rows[model_title("nlp", "tfidf_logreg", "en")]
    assert (base["Starting point"], base["Cost per 1,000 decisions (USD)"], base["Parameters"]) == ("baseline", "–", "20,002")
    shown = " ".join(block.value for block in at.markdown)
    assert model_title("nlp", "llm_endpoint#8", "en") in shown  # ranked by the guidance

    at = switch_language(at, "zh")
    assert not at.exception, [e.value for e in at.exception]
    column = translate("selection.columns.llm_cost_per_1000_currency", "zh", currency="USD")
    table = next(frame.value for frame in at.dataframe if column in frame.value.columns)
    assert "大语言模型，8 样本" in set(table["起点"])


def test_runs_without_epochs_get_a_sentence_not_an_empty_training_curve_chart(app_test):
    from llm_tracked import log_llm

    at = app_test(timeout=120)
    from dashboard.services import get_tracker

    log_llm(get_tracker(), k=0, pred=[0, 1, 1, 0, -1, 1, 0, 0, 1, 1], cost_per_1000=2.5)  # only an LLM: no epochs
    at.run()
    at.switch_page(PAGE).run()
    at.selectbox(key="sel_use_case").set_value("nlp").run()
    assert not at.exception, [e.value for e in at.exception]
    assert translate("selection_page.no_curves", "en") in [caption.value for caption in at.caption]
    assert not [chart for chart in at.get("plotly_chart") if "sel_curves" in str(chart.proto)]
