"""Sign-in end to end: a real OpenID Connect provider on loopback, `streamlit run` with [auth], Chromium.

The provider is the PyPI package oidc-provider-mock (a real OIDC server: discovery, authorize,
token, JWKS, userinfo) serving two predefined people; the studio's roles file makes Tom a trainer
and leaves Vera at the default, viewer. Each person signs in through the provider's form in a fresh
browser context and must see exactly the controls of their role. Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import re
import sys
import threading
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from e2e_support import SESSION  # noqa: E402
from test_browser import (_free_port, _no_exception, _open_tab, _require_browser, _shot,  # noqa: E402
                          _start_server, _stop_server, _wait_idle)

pytestmark = pytest.mark.e2e

PEOPLE = {
    "vera": {"email": "vera@example.com", "name": "Vera Viewer"},
    "tom": {"email": "tom@example.com", "name": "Tom Trainer"},
}
ROLES_YAML = "default_role: viewer\nusers:\n  tom@example.com: trainer\n"


@pytest.fixture(scope="module")
def provider():
    """oidc-provider-mock on a free 127.0.0.1 port in a thread; yields its issuer URL."""
    oidc_provider_mock = pytest.importorskip("oidc_provider_mock")
    import werkzeug.serving

    app = oidc_provider_mock.app(user_claims=[oidc_provider_mock.User(sub=sub, claims=claims)
                                              for sub, claims in PEOPLE.items()])
    server = werkzeug.serving.make_server("127.0.0.1", _free_port(), app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


@pytest.fixture(scope="module")
def signed_server(provider, tmp_path_factory):
    """The studio with an [auth] section pointing at the provider, and a roles file."""
    _require_browser()
    folder = tmp_path_factory.mktemp("sign-in")
    port = _free_port()
    secrets = folder / "secrets.toml"
    secrets.write_text(
        "[auth]\n"
        f'redirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'
        'cookie_secret = "e2e-cookie-secret-long-enough-to-sign"\n'
        'client_id = "ai-strategy-studio"\n'
        'client_secret = "e2e-client-secret"\n'
        f'server_metadata_url = "{provider}/.well-known/openid-configuration"\n',
        encoding="utf-8")
    roles = folder / "roles.yaml"
    roles.write_text(ROLES_YAML, encoding="utf-8")
    process, url = _start_server(folder, port=port, env={"STUDIO_ROLES_FILE": str(roles)},
                                 args=("--secrets.files", str(secrets)))
    yield url
    _stop_server(process)


@pytest.fixture(scope="module")
def browser():
    """The session's Chromium (e2e_support); each person signs in in a fresh context of it."""
    _require_browser()
    return SESSION.browser()


def _sign_in(browser, url: str, sub: str):
    """A fresh browser context signed in as `sub` through the provider's authorize form; returns the page."""
    context = browser.new_context(viewport={"width": 1440, "height": 1000}, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(120_000)  # sign-in is three servers talking: slow on a busy 2-core box
    page.goto(url)
    _wait_idle(page)
    assert page.get_by_role("link", name=re.compile("Lab")).count() == 0  # no pages before signing in
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/oauth2/authorize"))
    page.get_by_role("button", name=sub, exact=True).click()  # the provider's predefined user
    page.wait_for_url(re.compile(re.escape(url)))
    page.get_by_text(f"Signed in as {PEOPLE[sub]['name']}").wait_for()
    _wait_idle(page)
    return context, page


def _open_lab(page, url: str) -> None:
    page.goto(f"{url}/lab")
    _wait_idle(page)
    _open_tab(page, "Train")
    _no_exception(page)


def test_sign_in_page_then_viewer_sees_no_training_controls(browser, signed_server):
    context, page = _sign_in(browser, signed_server, "vera")
    try:
        sidebar = page.locator('[data-testid="stSidebar"]').inner_text()
        assert "vera@example.com" in sidebar and "role: Viewer" in sidebar
        _open_lab(page, signed_server)
        assert page.get_by_role("button", name="Train", exact=True).count() == 0
        page.get_by_text("Training: not available to the Viewer role.").wait_for()
        _shot(page, "auth-viewer-lab")
    finally:
        context.close()


def test_trainer_signs_in_and_can_train_but_not_delete(browser, signed_server):
    context, page = _sign_in(browser, signed_server, "tom")
    try:
        assert "role: Trainer" in page.locator('[data-testid="stSidebar"]').inner_text()
        _open_lab(page, signed_server)
        page.get_by_role("button", name="Train", exact=True).wait_for()
        assert page.get_by_text("Training: not available").count() == 0
        _shot(page, "auth-trainer-lab")
        page.get_by_role("button", name="Sign out").click()
        page.wait_for_url(re.compile(r"/oauth2/end_session"))  # Streamlit ends the provider's session too
        page.get_by_role("button", name="End session").click()
        page.get_by_role("button", name="Sign in").wait_for()  # back at the studio's sign-in page
        assert page.get_by_text("Signed in as").count() == 0
    finally:
        context.close()
