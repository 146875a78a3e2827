"""The business case of an LLM run: its running cost per decision is subtracted from its value (by hand), shown as
its own number, read from a real tracked run's evaluation.json; an invalid answer (y_pred -1, confidence 0) is
never automated and right."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from core.business.evidence import evaluation_loader
from core.business.payoff import (CLASSIFICATION, CREDIT, RECOMMENDATION, Payoff, automation_values, business_case,
                                  evaluation_cost_per_1000, running_cost)
from core.i18n import translate
from llm_tracked import EIGHT_SHOT_PRED, ZERO_SHOT_PRED, evaluation, log_all

PAYOFF = Payoff(manual_cost=1.0, error_cost=10.0, items_per_year=10_000, target_precision=0.5)


def test_running_cost_is_cost_per_1000_over_1000_times_the_yearly_volume():
    assert running_cost(PAYOFF, CLASSIFICATION, 2.5) == 25.0  # 2.5 / 1,000 x 10,000 items
    assert running_cost(Payoff(applications_per_year=20_000), CREDIT, 4.0) == 80.0
    assert running_cost(Payoff(sessions_per_year=1_000_000), RECOMMENDATION, 0.5) == 500.0
    assert running_cost(PAYOFF, CLASSIFICATION, 0.0) == 0.0 and running_cost(PAYOFF, CLASSIFICATION, float("nan")) == 0.0


def test_the_llm_case_is_the_free_case_less_25_a_year_exactly():
    free = business_case("nlp", evaluation(ZERO_SHOT_PRED), PAYOFF)  # no "llm" section: nothing to pay
    paid = business_case("nlp", evaluation(ZERO_SHOT_PRED, cost_per_1000=2.5), PAYOFF)
    assert free.running_cost == 0.0 and free.value_before_running_cost == free.value
    assert paid.running_cost == 25.0 and paid.cost_per_1000 == 2.5
    assert paid.value == pytest.approx(free.value - 25.0, abs=1e-9)
    assert (paid.low, paid.high) == (pytest.approx(free.low - 25.0), pytest.approx(free.high - 25.0))
    assert np.allclose(np.array(paid.curve_y), np.array(free.curve_y) - 25.0)
    assert paid.value_before_running_cost == pytest.approx(free.value)
    # by hand, free: an invalid answer (rows 16 and 18) is never automated; the cut-off on the validation split is
    # 0.6 (16 right and 2 wrong at or above it: precision 0.89 >= 0.5), so 18 of 20 items are automated
    # -> (18 x 1 - 2 x 10) / 20 x 10,000 = -1,000 a year; the LLM then pays 25 more
    assert free.operating_point == 0.6
    assert free.value == pytest.approx(-1_000.0) and paid.value == pytest.approx(-1_025.0)
    # an explicit cost (the run's llm_cost_per_1000 metric) wins over what the evaluation says
    assert business_case("nlp", evaluation(ZERO_SHOT_PRED, cost_per_1000=2.5), PAYOFF,
                         cost_per_1000=4.0).running_cost == 40.0


def test_an_invalid_answer_is_never_automated_and_right():
    stored = evaluation([0, -1, -1, 1] * 5)  # y_pred -1 with confidence 0 on rows 1 and 2 of every four
    case = business_case("nlp", stored, dataclasses.replace(PAYOFF, target_precision=0.5))
    # valid answers: rows 0 and 3 of every four, both right (confidence 0.99); the invalid ones stay with a person
    assert case.operating_point == 0.99 and case.details["automation_rate"] == 0.5
    assert case.details["test_precision"] == 1.0
    assert case.value == pytest.approx(10 / 20 * 10_000)  # 10 automated, 0 wrong: 1.00 saved each
    # even a cut-off of 0 (everything at or above it) never automates an answer that is not one
    right, sure = stored["y_true"], stored["confidence"]
    values = automation_values(np.array(right) == np.array(stored["y_pred"]),
                               np.where(np.array(stored["y_pred"]) < 0, -np.inf, sure), 0.0, PAYOFF)
    assert list(values[:4]) == [1.0, 0.0, 0.0, 1.0]
    # all answers invalid: no cut-off automates anything, said in words
    with pytest.raises(Exception) as refused:
        business_case("nlp", evaluation([-1] * 20), PAYOFF)
    assert "precision" in str(refused.value.key)


@pytest.mark.slow  # MLflow import and SQLite set-up
def test_a_tracked_llm_run_brings_its_running_cost_to_the_business_case(studio_tracker):
    ids = log_all(studio_tracker)
    load = evaluation_loader(studio_tracker)
    stored = load(ids["eight"])
    assert evaluation_cost_per_1000(stored) == 4.0 and "llm_cost_per_1000" not in load(ids["baseline"])
    paid = business_case("nlp", stored, PAYOFF, run_id=ids["eight"])
    assert paid.running_cost == 40.0  # 4.0 / 1,000 x 10,000
    baseline = business_case("nlp", load(ids["baseline"]), PAYOFF, run_id=ids["baseline"])
    assert baseline.running_cost == 0.0


def test_the_strategy_business_table_shows_the_running_cost_column_only_when_one_is_paid():
    from core.business.evidence import RunEvidence
    from core.strategy.analysis import analyse, business_rows
    from core.strategy.model import default_assessment

    assessment = default_assessment()
    nlp = assessment.use_case("nlp")
    nlp.payoff = dataclasses.replace(nlp.payoff, items_per_year=10_000, target_precision=0.5)
    for lang in ("en", "zh"):
        column = translate("business.table.running_cost", lang, currency=assessment.cost.currency)
        free = business_rows(analyse(assessment, {}, lang, {"nlp": RunEvidence("nlp", "r1", evaluation(ZERO_SHOT_PRED))}))
        assert all(column not in row for row in free)
        paid = business_rows(analyse(assessment, {}, lang, {
            "nlp": RunEvidence("nlp", "r2", evaluation(ZERO_SHOT_PRED, cost_per_1000=2.5))}))
        title = next(row for row in paid if row[translate("business.table.use_case", lang)] == analyse(
            assessment, {}, lang).title("nlp"))
        assert title[column] == "25"
        assert list(title)[2] == column  # right after the value it is already out of


def test_an_llm_run_without_validation_scores_automates_every_valid_answer_and_chooses_nothing_on_test():
    """A real LLM run scores no validation split (each answer costs): its answers are one-hot, so there is no
    cut-off to choose; by hand on the 20 zero-shot rows: 18 valid answers automated, 16 of them right."""
    from core.errors import DataError

    stored = evaluation(ZERO_SHOT_PRED, cost_per_1000=2.5)
    del stored["validation"]
    stored["confidence"] = [0.0 if p < 0 else 1.0 for p in ZERO_SHOT_PRED]  # as predict_proba's one-hot rows give
    case = business_case("nlp", stored, PAYOFF)
    assert (case.chosen_on, case.operating_point) == ("answers", 1.0)
    assert case.details["automation_rate"] == pytest.approx(18 / 20)
    assert case.details["test_precision"] == pytest.approx(16 / 18)
    # by hand: per item (18 automated x 1.00 saved - 2 wrong x 10.00) / 20 = -0.1; x 10,000 = -1,000; less 25 running
    assert case.value == pytest.approx(-1_000 - 25)
    probabilities = evaluation(ZERO_SHOT_PRED)
    del probabilities["validation"]  # a model with probabilities and no validation: a cut-off would peek at test
    with pytest.raises(DataError, match="no automation cut-off can be chosen"):
        business_case("nlp", probabilities, PAYOFF)
    assert "no cut-off to choose" in translate("business.lab.classification_answers", "en", rate="90.0%",
                                               precision="88.9%")
