"""Assessment defaults, custom use cases, YAML round trip and field-by-field validation of bad files."""

from __future__ import annotations

import pytest
import yaml

from core.strategy.io import dump_yaml, load_yaml
from core.strategy.model import (AssessmentError, StrategyError, default_assessment, new_custom_use_case,
                                 use_case_title)


def test_defaults_hold_the_four_built_in_use_cases():
    assessment = default_assessment()
    assert [u.id for u in assessment.use_cases] == ["vision", "nlp", "recommendation", "finance"]
    assert all(u.builtin for u in assessment.use_cases)
    assert use_case_title(assessment.use_case("finance"), "zh") == "金融风控"
    assert assessment.weights.risk_penalty == 0.4  # medium appetite


def test_yaml_round_trip_is_exact_including_chinese_and_custom_use_cases():
    assessment = default_assessment()
    assessment.company.name = "示例银行"
    assessment.company.regulations = ["pipl", "financial"]
    assessment.use_cases.append(new_custom_use_case(assessment, "发票识别"))
    assessment.use_case("custom_1").scores["value"] = 5
    text = dump_yaml(assessment)
    assert "示例银行" in text  # readable, not escaped
    loaded = load_yaml(text)
    assert loaded == assessment
    assert dump_yaml(loaded) == text
    assert load_yaml(text.encode("utf-8")) == assessment


def test_custom_use_case_names_must_be_new_and_not_empty():
    assessment = default_assessment()
    with pytest.raises(StrategyError, match="needs a name"):
        new_custom_use_case(assessment, "   ")
    with pytest.raises(StrategyError, match="called vision already exists"):
        new_custom_use_case(assessment, " vision ")
    with pytest.raises(StrategyError, match="already exists"):
        new_custom_use_case(assessment, "推荐")  # the Chinese title of a built-in counts too
    assessment.use_cases.append(new_custom_use_case(assessment, "Invoice OCR"))
    with pytest.raises(StrategyError, match="called invoice  ocr already exists"):
        new_custom_use_case(assessment, "invoice  ocr")
    assert new_custom_use_case(assessment, "Churn").id == "custom_2"


def _broken(**changes) -> str:
    data = default_assessment().to_dict()
    for path, value in changes.items():
        target = data
        parts = path.split("__")
        for part in parts[:-1]:
            target = target[int(part)] if part.isdigit() else target[part]
        target[parts[-1]] = value
    return yaml.safe_dump(data, allow_unicode=True)


def test_invalid_file_names_every_problem_field_by_field():
    text = _broken(use_cases__2__scores__value=7, cost__cpu_price_per_hour=-1.5, company__size="huge")
    with pytest.raises(AssessmentError) as caught:
        load_yaml(text)
    error = caught.value
    assert len(error.problems) == 3
    english = str(error)
    assert "3 problem(s); nothing was changed" in english
    assert "use_cases[2].scores.value: must be between 1 and 5." in english
    assert "cost.cpu_price_per_hour: must not be negative" in english
    assert "company.size: must be one of small, medium, large, enterprise (found 'huge')." in english
    chinese = error.message("zh")
    assert "use_cases[2].scores.value: 必须在 1 到 5 之间。" in chinese and "个问题，未做任何改动" in chinese


def test_weights_above_the_inputs_range_are_named():
    with pytest.raises(AssessmentError, match=r"weights.risks.privacy: must be between 0 and 100"):
        load_yaml(_broken(weights__risks__privacy=150))
    with pytest.raises(AssessmentError, match=r"cost.currency: must be at most 8 characters long"):
        load_yaml(_broken(cost__currency="Renminbi yuan"))


def test_missing_unknown_and_mistyped_fields_are_named():
    data = default_assessment().to_dict()
    del data["use_cases"][0]["risks"]["privacy"]
    data["use_cases"][1]["colour"] = "red"
    data["use_cases"][3]["data"]["labelled"] = "yes"
    with pytest.raises(AssessmentError) as caught:
        load_yaml(yaml.safe_dump(data))
    messages = [p.message("en") for p in caught.value.problems]
    assert "use_cases[0].risks.privacy: is missing; add it." in messages
    assert "use_cases[1]: has unknown fields colour; remove them." in messages
    assert "use_cases[3].data.labelled: must be a boolean (found 'yes')." in messages


def test_zero_weights_duplicates_and_empty_custom_names_are_caught():
    assessment = default_assessment()
    assessment.use_cases.append(new_custom_use_case(assessment, "Invoice OCR"))
    data = assessment.to_dict()
    data["weights"]["criteria"] = {"value": 0, "feasibility": 0, "data": 0, "compute": 0}
    data["use_cases"].append(dict(data["use_cases"][4], id="custom_2"))  # same name again
    data["use_cases"].append(dict(data["use_cases"][4], id="custom_3", name=" "))
    with pytest.raises(AssessmentError) as caught:
        load_yaml(yaml.safe_dump(data, allow_unicode=True))
    messages = [p.message("en") for p in caught.value.problems]
    assert "use_cases[5].name: Invoice OCR appears twice; names and ids must be unique." in messages
    assert "use_cases[6].name: must not be empty." in messages
    assert any(m.startswith("weights.criteria: All criterion weights are zero") for m in messages)


@pytest.mark.parametrize("text, expected", [
    ("company: [unclosed", "is not valid YAML near line 1"),
    ("- just\n- a list\n", "must hold a YAML mapping"),
    (b"\xff\xfe bad bytes", "not UTF-8"),
])
def test_files_that_are_not_assessments_say_so(text, expected):
    with pytest.raises(AssessmentError, match=expected):
        load_yaml(text)
