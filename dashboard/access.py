"""Who is signed in and what they may use: one helper every guarded control calls (`can(action)`).

Sign-in is on when `.streamlit/secrets.toml` has an `[auth]` section (Streamlit's st.login, OpenID
Connect); then the identity comes from `st.user`, which Streamlit fills from its signed cookie
only, and the role from core.auth (roles file, else a claim, else the default). Without `[auth]`
the studio stays the single-user app: the OS user, allowed everything, and the sidebar says so.
Controls a role may not use are not drawn; the core functions behind them refuse as well
(core.auth.authorize), so hiding is a courtesy, not the only check.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import streamlit as st

from core.audit import cancel_job as audited_cancel, read
from core.auth import Identity, allowed, authorize, load_roles, local_identity, local_user, signed_in_identity
from core.config import get_settings
from core.errors import StudioError
from dashboard.i18n import error_text, t

if TYPE_CHECKING:
    from core.training.jobs import JobQueue, JobState

NOBODY = Identity(user="", role="", name="")


def auth_configured() -> bool:
    """True when secrets.toml has an [auth] section (then everyone signs in)."""
    try:
        return bool(st.secrets.load_if_toml_exists() and "auth" in st.secrets)
    except Exception:  # noqa: BLE001 - an unreadable secrets file must not take the app down: single-user
        return False


def providers() -> list[str | None]:
    """Named providers ([auth.NAME] sections), or [None] for a single provider given in [auth] itself."""
    section = st.secrets["auth"]
    named = [name for name, value in section.items() if isinstance(value, Mapping)]
    return named or [None]


def signed_in() -> bool:
    return bool(st.user.get("is_logged_in"))


def current_identity() -> Identity:
    """The session's identity: local admin without [auth]; from st.user and the roles file with it."""
    if not auth_configured():
        return local_identity()
    if not signed_in():
        return NOBODY
    try:
        return signed_in_identity(st.user.to_dict(), load_roles(get_settings().roles_path))
    except StudioError:  # a broken roles file or no usable claim: nothing is allowed (the sidebar says why)
        return NOBODY


def can(action: str, *, note: bool = False) -> bool:
    """May this session use `action` (train, upload, import, export, delete, strategy_defaults, audit)?

    note=True: when it may not, say so in a caption where the control would have been.
    """
    identity = current_identity()
    if allowed(identity.role, action):
        return True
    if note:
        st.caption(":material/lock: " + t("access.hidden", action=t(f"access.actions.{action}"),
                                           role=role_label(identity.role)))
    return False


def require(action: str) -> Identity:
    """The identity, when it may do `action`; AccessError (translated by error_text) otherwise."""
    return authorize(current_identity(), action)


def user_for_runs() -> str | None:
    """What a new run records as its user: the signed-in e-mail; None lets the tracker record the OS user."""
    identity = current_identity()
    return identity.user if identity.signed_in else None


BROWSER_IDS = "_studio_browser_ids"  # single-user mode: the owner ids this browser session holds jobs under


def _browser_ids() -> list[str]:
    ids = st.session_state.get(BROWSER_IDS)
    if not ids:
        import uuid

        ids = [f"{local_user()}#browser-{uuid.uuid4().hex[:10]}"]
        st.session_state[BROWSER_IDS] = ids
    return ids


def job_identity() -> Identity:
    """Who owns the jobs this session submits, and who asks when it cancels one.

    Signed in: the person (their role decides whether they may cancel other people's jobs). Single-user
    mode: this browser session, as a trainer, so one browser never cancels another browser's job.
    """
    if auth_configured():
        return current_identity()
    return Identity(user=_browser_ids()[0], role="trainer", name=local_user())


def owns(job: JobState) -> bool:
    """Whether the job (a JobState) was submitted by this person (signed in) or this browser session."""
    owner = getattr(job, "owner", "")
    if not owner:
        return False
    if auth_configured():
        return owner == current_identity().user
    return owner in _browser_ids()


def adopt(job: JobState) -> bool:
    """A job named in this page's URL: True when it is this session's own (single-user mode: a job of a
    browser session of the same OS user becomes this one's, since a reload starts a new session)."""
    if owns(job):
        return True
    owner = getattr(job, "owner", "")
    if not auth_configured() and owner.startswith(f"{local_user()}#browser-"):
        _browser_ids().append(owner)
        return True
    return False


def cancel_identity(job: JobState) -> Identity:
    """Who asks to cancel `job`: in single-user mode the browser id the job was submitted under, when owned."""
    me = job_identity()
    if not auth_configured() and owns(job):
        return Identity(user=job.owner, role=me.role, name=me.name)
    return me


def may_cancel(job: JobState) -> bool:
    from core.training.jobs import may_cancel as core_may_cancel

    return core_may_cancel(getattr(job, "owner", ""), cancel_identity(job))


def cancel_job(queue: JobQueue, job: JobState) -> bool:
    """Cancel `job` as this session (the queue refuses anyone but its owner and admins) and audit it."""
    return audited_cancel(queue, cancel_identity(job), job.id, log_path=get_settings().audit_log)


def role_label(role: str) -> str:
    return t(f"access.roles.{role}") if role else "–"


def pages_for_session(pages: list[Any]) -> list[Any]:
    """The app's pages, or only the sign-in page while sign-in is on and nobody is signed in."""
    if not auth_configured() or signed_in():
        return pages
    return [st.Page(_sign_in_page, title=t("access.sign_in_title"), icon=":material/login:", url_path="sign-in",
                    default=True)]


def _sign_in_page() -> None:
    st.title(t("app.title"))
    st.markdown(t("access.sign_in_intro"))
    for provider in providers():
        label = t("access.sign_in_with", provider=provider) if provider else t("access.sign_in")
        st.button(label, key=f"access_login_{provider or 'default'}", type="primary", icon=":material/login:",
                  on_click=_login, args=(provider,))


def _login(provider: str | None) -> None:
    st.login(provider) if provider else st.login()


def render_account() -> None:
    """Sidebar block: single-user mode, or who is signed in, their role, and a sign-out button."""
    if not auth_configured():
        st.markdown(f"**{t('access.account')}**")
        st.caption(t("access.single_user", user=local_identity().user))
        return
    if not signed_in():
        return
    st.markdown(f"**{t('access.account')}**")
    try:
        identity = signed_in_identity(st.user.to_dict(), load_roles(get_settings().roles_path))
    except StudioError as error:  # a broken roles file: say which; current_identity() allows nothing
        st.error(error_text(error))
        st.button(t("access.sign_out"), key="access_logout", icon=":material/logout:", on_click=st.logout)
        return
    st.caption(t("access.signed_in_as", name=identity.label, user=identity.user, role=role_label(identity.role)))
    st.caption(t(f"access.role_help.{identity.role}"))
    st.button(t("access.sign_out"), key="access_logout", icon=":material/logout:", on_click=st.logout)


def render_audit_log(limit: int = 200) -> None:
    """Admins: the append-only log of deletions and imports, newest first."""
    import pandas as pd

    events = read(get_settings().audit_log, limit=limit)
    with st.expander(t("access.audit_title", count=len(events)), icon=":material/history:"):
        if not events:
            st.caption(t("access.audit_empty"))
            return
        st.dataframe(pd.DataFrame({
            t("access.audit_when"): [event.get("when", "") for event in events],
            t("access.audit_who"): [event.get("who", "") for event in events],
            t("access.audit_role"): [role_label(event.get("role", "")) for event in events],
            t("access.audit_action"): [t(f"access.audit_actions.{event.get('action')}") for event in events],
            t("access.audit_run"): [event.get("run_id", "") for event in events],
            t("access.audit_detail"): [event.get("detail", "") for event in events],
        }), hide_index=True, width="stretch", key="access_audit_table")
        st.caption(t("access.audit_where", path=str(get_settings().audit_log)))


__all__ = ["auth_configured", "providers", "signed_in", "current_identity", "can", "require", "user_for_runs",
           "role_label", "pages_for_session", "render_account", "job_identity", "owns", "adopt", "cancel_identity",
           "may_cancel", "cancel_job",
           "render_audit_log"]
