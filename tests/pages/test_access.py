"""Sign-in and roles through the real app: AppTest's `user` plays st.user, `secrets` turns [auth] on.

In production st.user comes only from Streamlit's signed cookie after an OpenID Connect sign-in
(tests/e2e/test_sign_in.py does that against a real provider); here it is seeded per role.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import joblib
import numpy as np
import pytest

from core.audit import read
from core.config import get_settings
from core.i18n import translate
from core.models.baselines import build_logistic_regression
from core.models.io import save_model

RUNS = "../pages/runs.py"
AUTH_SECRETS = {"auth": {
    "redirect_uri": "http://127.0.0.1:8501/oauth2callback",
    "cookie_secret": "a-long-random-string-for-the-cookie",
    "client_id": "studio", "client_secret": "studio-secret",
    "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration",
}}
PEOPLE = {
    "viewer": {"is_logged_in": True, "email": "vera@example.com", "name": "Vera Viewer", "sub": "vera"},
    "trainer": {"is_logged_in": True, "email": "tom@example.com", "name": "Tom Trainer", "sub": "tom"},
    "admin": {"is_logged_in": True, "email": "alice@example.com", "name": "Alice Admin", "sub": "alice"},
}
ROLES_YAML = "default_role: viewer\nusers:\n  tom@example.com: trainer\n  alice@example.com: admin\n"


@pytest.fixture
def roles_file(tmp_path, monkeypatch):
    path = tmp_path / "roles.yaml"
    path.write_text(ROLES_YAML, encoding="utf-8")
    monkeypatch.setenv("STUDIO_ROLES_FILE", str(path))
    return path


def _signed_in(app_test, role: str | None, *, timeout: float = 90):
    at = app_test(timeout=timeout)
    at.secrets = AUTH_SECRETS
    at.user = PEOPLE[role] if role else {"is_logged_in": False}
    return at


def _seed_run(*, legacy: bool = False) -> str:
    """A completed run with a small logistic-regression model file (skops, or a pickle like older studios)."""
    from core.tracking.store import tracker_from_settings

    tracker = tracker_from_settings(get_settings())
    x, y = np.random.default_rng(0).random((40, 8, 8, 1)), np.arange(40) % 10  # digits: 8x8, ten classes
    model = build_logistic_regression(max_iter=50).fit(x, y)
    run_id = tracker.start_run(use_case="vision", dataset="digits", model="logreg",
                               params={"use_case": "vision", "dataset": "digits", "model": "logreg",
                                       "model_kind": "sklearn", "seed": 0})
    with tempfile.TemporaryDirectory() as tmp:
        if legacy:
            path = Path(tmp) / "model.joblib"
            joblib.dump(model, path)
        else:
            path = save_model(model, tmp)
        tracker.log_artifact(run_id, path, artifact_path="model")
    tracker.log_metrics(run_id, {"test_accuracy": 0.5})
    tracker.finish(run_id, "completed")
    assert tracker.get_run(run_id).data.tags["studio.status"] == "completed"
    return run_id


def _keys(at) -> set[str]:
    """Keys of every widget the last run drew, however deep in columns and expanders."""
    found, stack = set(), [at._tree]
    while stack:
        node = stack.pop()
        if getattr(node, "key", None):
            found.add(node.key)
        stack.extend(getattr(node, "children", {}).values())
    return found


def _captions(at) -> str:
    return "\n".join(element.value for element in at.caption)


def test_single_user_default_says_so_in_the_sidebar_in_both_languages(app_test, switch_language, navigation_titles):
    at = app_test().run()
    assert not at.exception
    assert "Single-user mode: no sign-in, everything is allowed" in _captions(at)
    assert "home" in navigation_titles(at) and "runs" in navigation_titles(at)  # every page, no sign-in page
    assert not [button for button in at.button if button.key == "access_logout"]
    switch_language(at, "zh")
    assert "单用户模式：无需登录" in _captions(at)


def test_with_auth_configured_nobody_gets_past_the_sign_in_page(app_test, roles_file, navigation_titles):
    at = _signed_in(app_test, None).run()
    assert not at.exception
    assert list(navigation_titles(at).values()) == ["Sign in"]  # the only page: no lab, no runs
    assert at.button(key="access_login_default").label == "Sign in"
    assert translate("access.sign_in_intro", "en") in "\n".join(m.value for m in at.markdown)
    assert "mlflow.db" not in _captions(at)  # no server paths for visitors who have not signed in


def test_named_providers_each_get_a_button(app_test, roles_file):
    at = _signed_in(app_test, None)
    at.secrets = {"auth": {"redirect_uri": AUTH_SECRETS["auth"]["redirect_uri"], "cookie_secret": "c" * 32,
                           "okta": {"client_id": "a", "client_secret": "b", "server_metadata_url": "http://x"},
                           "azure": {"client_id": "a", "client_secret": "b", "server_metadata_url": "http://y"}}}
    at.run()
    labels = {button.key: button.label for button in at.button if button.key.startswith("access_login_")}
    assert labels == {"access_login_okta": "Sign in with okta", "access_login_azure": "Sign in with azure"}


@pytest.mark.parametrize("role, label", [("viewer", "Viewer"), ("trainer", "Trainer"), ("admin", "Admin")])
def test_the_sidebar_names_the_person_and_their_role(app_test, roles_file, role, label):
    at = _signed_in(app_test, role).run()
    assert not at.exception
    person = PEOPLE[role]
    assert f"Signed in as **{person['name']}** ({person['email']}) · role: **{label}**" in _captions(at)
    assert translate(f"access.role_help.{role}", "en") in _captions(at)
    assert at.button(key="access_logout").label == "Sign out"


def _runs_page(app_test, role):
    at = _signed_in(app_test, role, timeout=120)
    _seed_run()  # finished before the app's tracker starts (it marks runs left RUNNING as interrupted)
    at.run()
    at.switch_page(RUNS).run()
    assert not at.exception, [e.value for e in at.exception]
    assert "**Status: Completed.**" in [m.value for m in at.markdown], [m.value for m in at.markdown]
    return at


def test_viewer_sees_runs_but_no_download_delete_or_audit_log(app_test, roles_file):
    at = _runs_page(app_test, "viewer")
    assert at.dataframe  # the run table is there
    assert {"runs_reevaluate", "access_logout"} <= _keys(at)  # the page did draw its controls...
    assert not {"runs_delete", "runs_delete_confirm", "runs_download"} & _keys(at)  # ...but none of these
    captions = _captions(at)
    assert "Downloading and exporting models: not available to the Viewer role." in captions
    assert "Deleting runs: not available to the Viewer role." in captions
    assert not [e for e in at.expander if e.label.startswith("Audit log")]


def test_trainer_downloads_but_cannot_delete(app_test, roles_file):
    at = _runs_page(app_test, "trainer")
    assert "runs_download" in _keys(at)
    assert not {"runs_delete", "runs_delete_confirm"} & _keys(at)
    assert "Deleting runs: not available to the Trainer role." in _captions(at)


def test_admin_deletes_a_run_and_the_audit_log_says_who(app_test, roles_file):
    at = _runs_page(app_test, "admin")
    assert {"runs_download", "runs_delete", "runs_delete_confirm"} <= _keys(at)
    at.checkbox(key="runs_delete_confirm").check().run()
    at.button(key="runs_delete").click().run()
    assert not at.exception
    (event,) = read(get_settings().audit_log)
    assert (event["who"], event["role"], event["action"]) == ("alice@example.com", "admin", "delete_run")
    assert at.info[0].value == translate("runs.empty", "en")
    # with the last run gone, the admin still reads the record of its deletion (issue 21)
    assert translate("access.audit_title", "en", count=1) in [e.label for e in at.expander]


def test_single_user_runs_record_the_os_user_and_old_pickles_get_a_note(app_test, monkeypatch):
    import core.auth

    monkeypatch.setattr(core.auth, "local_user", lambda: "ada")
    at = app_test(timeout=120)
    _seed_run(legacy=True)
    at.run()
    at.switch_page(RUNS).run()
    assert not at.exception
    assert "**Status: Completed.**" in [m.value for m in at.markdown], [m.value for m in at.markdown]
    assert at.dataframe[0].value["User"].tolist() == ["ada"]
    assert translate("access.legacy_pickle", "en") in [info.value for info in at.info]
    assert {"runs_download", "runs_delete", "runs_delete_confirm"} <= _keys(at)  # single-user: as before
    at.button(key="runs_reevaluate").click().run()  # the pickle still loads
    assert not at.exception and at.success


@pytest.mark.parametrize("role", ["viewer", "trainer"])
def test_lab_shows_train_upload_and_import_only_to_trainers(app_test, roles_file, role):
    at = _signed_in(app_test, role, timeout=300).run()  # TensorFlow import and model sizes on a busy box
    at.switch_page("../pages/lab.py").run()
    assert not at.exception, [e.value for e in at.exception]
    trainer = role == "trainer"
    assert ("vision_train" in _keys(at)) is trainer
    assert ("lab_model_file" in _keys(at)) is trainer  # the model import uploader
    sources = at.selectbox(key="vision_dataset").options
    assert any(option.endswith(translate("lab.kind_uploaded", "en")) for option in sources) is trainer
    assert ("Training: not available to the Viewer role." in _captions(at)) is not trainer


def test_only_admins_save_the_teams_strategy_starting_point_and_others_then_start_from_it(app_test, roles_file):
    trainer = _signed_in(app_test, "trainer").run()
    trainer.switch_page("../pages/strategy.py").run()
    assert not trainer.exception and "stg_team_default" not in _keys(trainer)
    admin = _signed_in(app_test, "admin").run()
    admin.switch_page("../pages/strategy.py").run()
    assert admin.button(key="stg_team_default").label == "Save as the team's starting point"
    admin.number_input(key="stg_w_weight_value").set_value(40.0).run()
    admin.button(key="stg_team_default").click().run()
    assert not admin.exception
    assert translate("access.team_default_saved", "en") in [s.value for s in admin.success]
    assert read(get_settings().audit_log)[0]["action"] == "strategy_defaults"
    later = _signed_in(app_test, "viewer").run()  # a new session starts from the saved assessment
    later.switch_page("../pages/strategy.py").run()
    assert later.number_input(key="stg_w_weight_value").value == 40.0
