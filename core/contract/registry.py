"""All use cases in display order. Adding one: a package (core/usecases/<name>/) and one line in PACKAGES."""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType

from core.contract.usecase import UseCase
from core.i18n import add_catalog_dir, translate

# One line per use-case package, in display order. A package declares USE_CASE in its __init__ (light:
# no TensorFlow) and may ship its own catalogs as i18n/<lang>.yaml. Named as strings, like the builders,
# so that a package outside core (a plug-in, a test's toy) is registered the same way.
PACKAGES = (
    "core.usecases.vision",
    "core.usecases.nlp",
    "core.usecases.recommendation",
    "core.usecases.finance",
)

USE_CASES: dict[str, UseCase] = {}


def register(package: str | ModuleType) -> UseCase:
    """Add the use case a package declares (its USE_CASE) and the package's i18n/<lang>.yaml catalogs."""
    module = importlib.import_module(package) if isinstance(package, str) else package
    use_case: UseCase = module.USE_CASE
    known = USE_CASES.get(use_case.id)
    if known is not None and known is not use_case:
        raise ValueError(f"Use case id {use_case.id!r} is taken by another package; pick a new id.")
    catalogs = Path(module.__file__).parent / "i18n"
    if catalogs.is_dir():
        add_catalog_dir(catalogs)
    USE_CASES[use_case.id] = use_case
    return use_case


for _package in PACKAGES:
    register(_package)


def get_use_case(use_case_id: str) -> UseCase:
    """The use case with this id; KeyError names the known ids."""
    try:
        return USE_CASES[use_case_id]
    except KeyError:
        raise KeyError(f"Unknown use case {use_case_id!r}; known: {', '.join(USE_CASES)}.") from None


def available_use_cases() -> list[UseCase]:
    return [use_case for use_case in USE_CASES.values() if use_case.status == "available"]


VARIANT_MARK = "#"  # "llm_endpoint#8": one candidate's 8-shot runs, beside its zero-shot ones ("llm_endpoint#0")


def variant_id(model_id: object, shots: int) -> str:
    """The id of one prompting of an LLM candidate, where runs of it with different k are compared side by side."""
    return f"{model_id}{VARIANT_MARK}{int(shots)}"


def model_title(use_case_id: object, model_id: object, lang: str = "en") -> str:
    """A candidate's name for people in `lang` ("Gradient boosting (scikit-learn)"), never its id (`gbm`) when
    the use case knows it; an imported model is called so; anything else keeps its id. A variant id
    ("llm_endpoint#8", variant_id) is the candidate's name with its prompting ("…, 8-shot")."""
    base, mark, shots = str(model_id).partition(VARIANT_MARK)
    if mark and shots.isdigit():
        name = model_title(use_case_id, base, lang)
        return translate("run_names.zero_shot" if int(shots) == 0 else "run_names.k_shot", lang, name=name,
                         k=int(shots))
    use_case = USE_CASES.get(str(use_case_id))
    candidate = next((c for c in use_case.candidates if c.id == model_id), None) if use_case else None
    if candidate is not None:
        return translate(candidate.name_key, lang)
    return translate("run_names.imported", lang) if model_id == "imported" else str(model_id)
