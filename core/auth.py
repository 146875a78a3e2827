"""Who is using the studio and what their role lets them do (no Streamlit here).

Three roles, each including the one before it:

- viewer: sees every page, run, chart and report; trains, uploads and deletes nothing;
- trainer: also trains, uploads data, imports and exports (downloads) models;
- admin: also deletes runs, changes the team's strategy defaults and reads the audit log.

With no sign-in configured the studio is the single-user app it has always been: the person at
the keyboard is the OS user and may do everything. With sign-in on, a role comes from the roles
file (settings.roles_path, STUDIO_ROLES_FILE), else from a claim of the identity provider named
there, else the file's default (viewer unless set). The file:

    default_role: viewer          # anyone who signs in and is not listed
    role_claim: roles             # optional: an ID-token claim holding a role name (or a list)
    users:
      alice@example.com: admin
      "*@example.com": trainer    # shell-style patterns are allowed

Every guarded action calls `authorize(identity, action)`, which raises AccessError with a
message the UI translates; the UI also hides what a role may not use.
"""

from __future__ import annotations

import fnmatch
import functools
import getpass
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import yaml

from core.errors import AccessError

ROLES = ("viewer", "trainer", "admin")
# action -> the least role allowed to do it
ACTIONS: dict[str, str] = {
    "view": "viewer",
    "train": "trainer",
    "upload": "trainer",
    "import": "trainer",
    "export": "trainer",
    "delete": "admin",
    "strategy_defaults": "admin",
    "audit": "admin",
    "cancel_any": "admin",  # cancel someone else's training job (anyone may cancel their own)
}
DEFAULT_ROLE = "viewer"
LOCAL_USER_FALLBACK = "local"


@dataclass(frozen=True)
class Identity:
    """The person behind a session: a user id for the records (e-mail when signed in), a display name, a role."""

    user: str
    role: str
    name: str = ""
    signed_in: bool = False

    @property
    def label(self) -> str:
        return self.name or self.user


def local_user() -> str:
    """The OS account running the studio (single-user mode records this on runs), else 'local'."""
    try:
        return getpass.getuser() or LOCAL_USER_FALLBACK
    except (KeyError, OSError):  # no passwd entry (containers) and no LOGNAME/USER
        return LOCAL_USER_FALLBACK


def local_identity() -> Identity:
    """Single-user mode: the person at the keyboard may do everything, as before sign-in existed."""
    user = local_user()
    return Identity(user=user, role="admin", name=user, signed_in=False)


def role_rank(role: str) -> int:
    return ROLES.index(role) if role in ROLES else -1


def allowed(role: str, action: str) -> bool:
    """True when `role` may do `action` (unknown actions and roles are refused)."""
    needed = ACTIONS.get(action)
    return needed is not None and role_rank(role) >= role_rank(needed) >= 0


def authorize(identity: Identity, action: str) -> Identity:
    """Raise AccessError unless the identity's role allows the action; returns the identity."""
    if not allowed(identity.role, action):
        raise AccessError("errors.access.denied", user=identity.label, role=identity.role, action=action,
                          needed=ACTIONS.get(action, "admin"))
    return identity


@functools.lru_cache(maxsize=8)
def _read_roles(path: str, mtime_ns: int) -> dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as handle:
            data = yaml.safe_load(handle) or {}
    except yaml.YAMLError as error:
        raise AccessError("errors.access.bad_roles_file", path=path, detail=str(error).splitlines()[0]) from error
    if not isinstance(data, dict) or not isinstance(data.get("users", {}) or {}, dict):
        raise AccessError("errors.access.bad_roles_file", path=path, detail="expected a mapping with 'users:'")
    for role in [data.get("default_role", DEFAULT_ROLE), *(data.get("users") or {}).values()]:
        if role not in ROLES:
            raise AccessError("errors.access.bad_roles_file", path=path,
                              detail=f"unknown role {role!r}; use one of {', '.join(ROLES)}")
    return data


def load_roles(path: str | os.PathLike) -> dict[str, Any]:
    """The roles file as a dict ({} when there is none); re-read when it changes on disk."""
    path = Path(path)
    try:
        mtime = path.stat().st_mtime_ns
    except FileNotFoundError:
        return {}
    return _read_roles(str(path), mtime)


def _claim_role(claims: Mapping[str, Any], claim: str | None) -> str | None:
    """The highest known role named in a claim (a string or a list of strings)."""
    if not claim or claim not in claims:
        return None
    value = claims[claim]
    names = [value] if isinstance(value, str) else list(value) if isinstance(value, (list, tuple)) else []
    known = [str(name).lower() for name in names if str(name).lower() in ROLES]
    return max(known, key=role_rank) if known else None


def resolve_role(email: str, claims: Mapping[str, Any], roles: Mapping[str, Any]) -> str:
    """Role of a signed-in person: listed in the file (exact, then patterns), else from the claim, else default."""
    users = {str(k).lower(): v for k, v in (roles.get("users") or {}).items()}
    email = (email or "").lower()
    if email and email in users:
        return users[email]
    matches = [role for pattern, role in users.items() if any(c in pattern for c in "*?[") and email
               and fnmatch.fnmatchcase(email, pattern)]
    if matches:
        return max(matches, key=role_rank)
    from_claim = _claim_role(claims, roles.get("role_claim"))
    if from_claim:
        return from_claim
    return roles.get("default_role", DEFAULT_ROLE)


def signed_in_identity(claims: Mapping[str, Any], roles: Mapping[str, Any]) -> Identity:
    """Identity of a person the identity provider signed in (claims as st.user holds them)."""
    email = str(claims.get("email") or claims.get("preferred_username") or claims.get("sub") or "")
    if not email:
        raise AccessError("errors.access.no_identity")
    name = str(claims.get("name") or email)
    return Identity(user=email, role=resolve_role(email, claims, roles), name=name, signed_in=True)


__all__ = ["ROLES", "ACTIONS", "Identity", "local_user", "local_identity", "allowed", "authorize", "load_roles",
           "resolve_role", "signed_in_identity"]
