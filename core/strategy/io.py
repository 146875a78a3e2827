"""Save an assessment to YAML and load it back, exactly, with every problem of a bad file named field by field."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

from core.audit import record
from core.auth import authorize
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


def load_team_default(path: str | os.PathLike) -> Assessment | None:
    """The team's starting assessment an admin saved, or None (none saved, or the file no longer validates)."""
    path = Path(path)
    if not path.is_file():
        return None
    try:
        return load_yaml(path.read_bytes())
    except (AssessmentError, OSError):
        return None  # the built-in defaults are always a valid start


def save_team_default(assessment: Assessment, identity: Any, *, path: str | os.PathLike,
                      log_path: str | os.PathLike) -> Path:
    """Make `assessment` everyone's starting point (admins only), written atomically and audited."""
    authorize(identity, "strategy_defaults")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".tmp")
    partial.write_text(dump_yaml(assessment), encoding="utf-8")
    os.replace(partial, path)
    record(log_path, identity, "strategy_defaults", detail=f"{len(assessment.use_cases)} use cases")
    return path
