"""The Strategy page's starting points with tracked LLM runs: zero-shot and 8-shot as their own rows with their
running cost per 1,000 decisions, and the business case's running cost per year beside the value."""

from __future__ import annotations

from core.i18n import translate

PAGE = "../pages/strategy.py"


def test_strategy_shows_llm_starting_points_and_their_running_cost(app_test, switch_language):
    from llm_tracked import log_all

    at = app_test(timeout=120)
    from dashboard.services import get_tracker

    ids = log_all(get_tracker())
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, [e.value for e in at.exception]
    table = next(frame.value for frame in at.dataframe if translate("pretrained.column", "en") in frame.value.columns)
    starts = table[table["Runs"].isin([run_id[:8] for run_id in ids.values()])]
    assert list(starts["Starting point"]) == ["baseline", "LLM, zero-shot", "LLM, 8-shot"]
    assert list(starts["Running cost per 1,000 decisions"]) == ["-", "2.50", "4.00"]
    assert list(starts["Labelled examples trained on"]) == ["1,600", "none (zero-shot)", "8 examples in the prompt"]
    # the business case values the best run (8-shot): 4.00 / 1,000 x 500,000 items a year = 2,000 a year, subtracted
    business = next(frame.value for frame in at.dataframe if any("Running cost / year" in c for c in frame.value.columns))
    column = next(c for c in business.columns if "Running cost / year" in c)
    assert "2,000" in set(business[column])
    evidence = next(frame.value for frame in at.dataframe if "Criterion" in frame.value.columns)
    assert f"{ids['eight'][:8]} (LLM, 8-shot)" in set(evidence["Runs"])

    at = switch_language(at, "zh")
    assert not at.exception, [e.value for e in at.exception]
    table = next(frame.value for frame in at.dataframe if "起点" in frame.value.columns)
    assert {"大语言模型，零样本", "大语言模型，8 样本"} <= set(table["起点"])
