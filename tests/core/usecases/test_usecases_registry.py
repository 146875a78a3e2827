"""The use-case registry names candidates for people in either language."""

from core.i18n import translate
from core.contract.registry import USE_CASES, model_title


def test_candidates_are_named_not_shown_by_id():
    assert model_title("finance", "gbm") == "Gradient boosting (scikit-learn)"
    assert model_title("finance", "wide_deep", "zh") == translate("finance.models.wide_deep.name", "zh")
    assert model_title("finance", "wide_deep", "zh") not in ("wide_deep", model_title("finance", "wide_deep"))
    assert model_title("vision", "cnn") == translate("models.cnn.name", "en") != "cnn"
    assert model_title("vision", "imported") == "Imported model"
    assert model_title("vision", "gbm") == "gbm" and model_title("nowhere", "x") == "x"  # unknown: kept as given


def test_every_candidate_says_where_its_weights_start():
    starts = {(case.id, c.id): c.starting_point for case in USE_CASES.values() for c in case.candidates}
    assert starts[("vision", "mobilenet_v3_small")] == "pretrained"
    assert starts[("nlp", "wordllama")] == "pretrained"
    assert starts[("vision", "cnn")] == "scratch" and starts[("finance", "wide_deep")] == "scratch"
    assert starts[("vision", "logreg")] == "baseline" and starts[("recommendation", "bias")] == "baseline"
    for case in USE_CASES.values():  # each declared baseline is a one-pass model, not a network
        assert starts[(case.id, case.baseline)] == "baseline", case.id


def test_each_use_case_declares_its_payoff_unit_and_capabilities():
    from core.contract.usecase import EXPORT_TFLITE, TRACE

    declared = {uid: (u.payoff, translate(u.unit_key, "en", count="7"), set(u.capabilities))
                for uid, u in USE_CASES.items()}
    assert declared == {
        "vision": ("classification", "7 images", {TRACE, EXPORT_TFLITE}),
        "nlp": ("classification", "7 texts", set()),
        "recommendation": ("recommendation", "7 ratings", set()),
        "finance": ("credit", "7 rows", set()),
    }
    assert all(set(u.strategy.scores) == {"value", "feasibility", "data", "compute"} for u in USE_CASES.values())


def test_a_declaration_with_an_unknown_payoff_or_capability_is_refused():
    import dataclasses

    import pytest

    vision = USE_CASES["vision"]
    with pytest.raises(ValueError, match="payoff 'churn' is not one of"):
        dataclasses.replace(vision, payoff="churn")
    with pytest.raises(ValueError, match=r"unknown capabilities \['tarce'\]"):
        dataclasses.replace(vision, capabilities=frozenset({"tarce"}))
    assert dataclasses.replace(vision, payoff="").payoff == ""  # a use case without a payoff formula
