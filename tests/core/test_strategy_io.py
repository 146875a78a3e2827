"""The team's starting strategy assessment: saved by admins only, audited, read back exactly."""

from __future__ import annotations

import pytest

from core.audit import read
from core.auth import Identity
from core.errors import AccessError
from core.strategy.io import dump_yaml, load_team_default, save_team_default
from core.strategy.model import default_assessment, new_custom_use_case

ADMIN = Identity(user="alice@example.com", role="admin", signed_in=True)
TRAINER = Identity(user="tom@example.com", role="trainer", signed_in=True)


def test_an_admin_saves_the_team_default_and_it_reads_back_exactly(tmp_path):
    path, log = tmp_path / "strategy-defaults.yaml", tmp_path / "audit.jsonl"
    assert load_team_default(path) is None
    assessment = default_assessment()
    assessment.use_cases.append(new_custom_use_case(assessment, "客服问答"))
    save_team_default(assessment, ADMIN, path=path, log_path=log)
    loaded = load_team_default(path)
    assert dump_yaml(loaded) == dump_yaml(assessment)
    assert [u.name for u in loaded.use_cases][-1] == "客服问答"
    (event,) = read(log)
    assert (event["who"], event["action"], event["detail"]) == ("alice@example.com", "strategy_defaults",
                                                                "5 use cases")


def test_a_trainer_cannot_change_the_team_default(tmp_path):
    path = tmp_path / "strategy-defaults.yaml"
    with pytest.raises(AccessError, match="needs the admin role"):
        save_team_default(default_assessment(), TRAINER, path=path, log_path=tmp_path / "audit.jsonl")
    assert not path.exists() and not (tmp_path / "audit.jsonl").exists()


def test_a_damaged_team_default_falls_back_to_the_built_in_defaults(tmp_path):
    path = tmp_path / "strategy-defaults.yaml"
    path.write_text("company: [not, an, assessment\n", encoding="utf-8")
    assert load_team_default(path) is None
