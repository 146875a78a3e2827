"""Roles: who may do what, resolved from the roles file, a claim or the default; refusals carry a message."""

from __future__ import annotations

import pytest

from core import auth
from core.config import load_settings
from core.errors import AccessError

# The table: viewer sees everything and trains nothing; trainer trains, uploads, imports,
# exports; admin also deletes runs, changes strategy defaults and reads the audit log.
EXPECTED = {
    "viewer": {"view"},
    "trainer": {"view", "train", "upload", "import", "export"},
    "admin": {"view", "train", "upload", "import", "export", "delete", "strategy_defaults", "audit", "cancel_any"},
}


@pytest.mark.parametrize("role", auth.ROLES)
def test_each_role_allows_exactly_its_actions(role):
    assert {action for action in auth.ACTIONS if auth.allowed(role, action)} == EXPECTED[role]


def test_unknown_roles_and_actions_are_refused():
    assert not auth.allowed("", "view")
    assert not auth.allowed("superuser", "train")
    assert not auth.allowed("admin", "format_disk")


def test_authorize_refuses_with_a_translated_permission_error():
    viewer = auth.Identity(user="vera@example.com", role="viewer", name="Vera", signed_in=True)
    with pytest.raises(AccessError, match=r"Vera has the viewer role, which may not do this \(train\); it needs the "
                                          r"trainer role") as caught:
        auth.authorize(viewer, "train")
    assert isinstance(caught.value, PermissionError)
    assert caught.value.key == "errors.access.denied"
    assert "需要 trainer 角色" in caught.value.message("zh")
    trainer = auth.Identity(user="tom@example.com", role="trainer")
    assert auth.authorize(trainer, "export") is trainer
    with pytest.raises(AccessError, match="needs the admin role"):
        auth.authorize(trainer, "delete")


ROLES_FILE = {
    "default_role": "viewer",
    "role_claim": "roles",
    "users": {"alice@example.com": "admin", "*@trainers.example.com": "trainer", "Bob@Example.com": "trainer"},
}


@pytest.mark.parametrize("email, claims, role", [
    ("alice@example.com", {}, "admin"),                          # listed
    ("bob@example.com", {}, "trainer"),                          # listed, case-insensitive
    ("carol@trainers.example.com", {}, "trainer"),               # pattern
    ("dave@example.com", {"roles": ["viewer", "admin"]}, "admin"),  # highest role named in the claim
    ("erin@example.com", {"roles": "Trainer"}, "trainer"),       # a single string claim
    ("frank@example.com", {"roles": ["owner"]}, "viewer"),       # unknown claim values: the default
    ("grace@example.com", {}, "viewer"),                         # nobody said: the default
])
def test_role_resolution_order_file_then_claim_then_default(email, claims, role):
    assert auth.resolve_role(email, claims, ROLES_FILE) == role


def test_listed_role_wins_over_the_claim_and_without_a_file_everyone_is_a_viewer():
    assert auth.resolve_role("alice@example.com", {"roles": ["viewer"]}, ROLES_FILE) == "admin"
    assert auth.resolve_role("zed@example.com", {"roles": ["admin"]}, {}) == "viewer"  # no role_claim named


def test_signed_in_identity_from_claims():
    identity = auth.signed_in_identity({"email": "alice@example.com", "name": "Alice", "sub": "a1",
                                        "is_logged_in": True}, ROLES_FILE)
    assert identity == auth.Identity(user="alice@example.com", role="admin", name="Alice", signed_in=True)
    assert auth.signed_in_identity({"sub": "s-42"}, {}).user == "s-42"
    with pytest.raises(AccessError, match="without an e-mail"):
        auth.signed_in_identity({"is_logged_in": True}, ROLES_FILE)


def test_roles_file_is_read_validated_and_re_read_when_it_changes(tmp_path):
    path = tmp_path / "roles.yaml"
    assert auth.load_roles(path) == {}
    path.write_text("users:\n  alice@example.com: trainer\n", encoding="utf-8")
    assert auth.load_roles(path)["users"] == {"alice@example.com": "trainer"}
    path.write_text("users:\n  alice@example.com: admin\n  bob@example.com: trainer\n", encoding="utf-8")
    assert auth.load_roles(path)["users"]["alice@example.com"] == "admin"
    path.write_text("users:\n  alice@example.com: owner\n", encoding="utf-8")
    with pytest.raises(AccessError, match="unknown role 'owner'; use one of viewer, trainer, admin"):
        auth.load_roles(path)
    path.write_text("users: [alice\n", encoding="utf-8")
    with pytest.raises(AccessError, match="cannot be used"):
        auth.load_roles(path)


def test_single_user_mode_is_the_os_user_with_every_right(monkeypatch):
    monkeypatch.setattr(auth.getpass, "getuser", lambda: "ada")
    assert auth.local_identity() == auth.Identity(user="ada", role="admin", name="ada", signed_in=False)

    def no_account():
        raise KeyError("getpwuid(): uid not found")

    monkeypatch.setattr(auth.getpass, "getuser", no_account)
    assert auth.local_user() == "local"


def test_roles_file_path_from_settings_and_environment(tmp_path):
    settings = load_settings({"STUDIO_DATA_DIR": str(tmp_path)})
    assert settings.roles_path == tmp_path.resolve() / "roles.yaml"
    assert settings.audit_log == tmp_path.resolve() / "audit.jsonl"
    override = load_settings({"STUDIO_DATA_DIR": str(tmp_path), "STUDIO_ROLES_FILE": str(tmp_path / "team.yaml")})
    assert override.roles_path == (tmp_path / "team.yaml").resolve()
