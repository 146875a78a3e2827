"""All use cases in display order. Adding one: a new package core/usecases/<name>/ and a line here."""

from __future__ import annotations

from core.usecases.base import UseCase
from core.usecases.finance import USE_CASE as FINANCE
from core.usecases.nlp import USE_CASE as NLP
from core.usecases.recommendation import USE_CASE as RECOMMENDATION
from core.usecases.vision import USE_CASE as VISION

USE_CASES: dict[str, UseCase] = {use_case.id: use_case for use_case in (VISION, NLP, RECOMMENDATION, FINANCE)}


def get_use_case(use_case_id: str) -> UseCase:
    """The use case with this id; KeyError names the known ids."""
    try:
        return USE_CASES[use_case_id]
    except KeyError:
        raise KeyError(f"Unknown use case {use_case_id!r}; known: {', '.join(USE_CASES)}.") from None


def available_use_cases() -> list[UseCase]:
    return [use_case for use_case in USE_CASES.values() if use_case.status == "available"]


def model_title(use_case_id: object, model_id: object, lang: str = "en") -> str:
    """A candidate's name for people in `lang` ("Gradient boosting (scikit-learn)"), never its id (`gbm`) when
    the use case knows it; an imported model is called so; anything else keeps its id."""
    from core.i18n import translate

    use_case = USE_CASES.get(str(use_case_id))
    candidate = next((c for c in use_case.candidates if c.id == model_id), None) if use_case else None
    if candidate is not None:
        return translate(candidate.name_key, lang)
    return translate("run_names.imported", lang) if model_id == "imported" else str(model_id)
