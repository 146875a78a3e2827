"""Save an assessment to YAML and load it back, exactly, with every problem of a bad file named field by field."""

from __future__ import annotations

from typing import Any

import yaml

from core.strategy.model import Assessment, AssessmentError, Problem, assessment_from_dict

MAX_FILE_BYTES = 1_000_000


def dump_yaml(assessment: Assessment) -> str:
    """The assessment as YAML text (keys in a stable order, Chinese kept readable)."""
    return yaml.safe_dump(assessment.to_dict(), sort_keys=False, allow_unicode=True, default_flow_style=False)


def load_yaml(text: str | bytes) -> Assessment:
    """An Assessment from YAML text; AssessmentError names each problem (syntax, schema, names, weights)."""
    if isinstance(text, bytes):
        if len(text) > MAX_FILE_BYTES:
            raise AssessmentError([Problem("(file)", "strategy.validation.too_large",
                                           (("limit_kb", MAX_FILE_BYTES // 1000),))])
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            raise AssessmentError([Problem("(file)", "strategy.validation.not_utf8")]) from None
    try:
        data: Any = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark is not None else "?"
        raise AssessmentError([Problem("(file)", "strategy.validation.syntax",
                                       (("line", line), ("detail", str(getattr(error, "problem", "")) or "-")))]) from None
    return assessment_from_dict(data)
