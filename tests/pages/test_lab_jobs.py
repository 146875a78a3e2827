"""A job belongs to who submitted it (issue 21): a second session never adopts it, sees it as someone else's,
cannot cancel it and may queue its own; a reload finds its own job by the URL's ?job=<id>; the typed epochs
are what trains; a repeat of an active job is refused with a message."""

from __future__ import annotations

import time

import pytest
from streamlit.testing.v1 import AppTest

from core.i18n import translate

LAB = "../pages/lab.py"


def _open_lab(app_test=None, *, script: str | None = None, query: dict | None = None) -> AppTest:
    at = app_test(timeout=120) if script is None else AppTest.from_file(script, default_timeout=120)
    if query:
        at.query_params.update(query)
    at.run()
    at.switch_page(LAB).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _queue():
    from dashboard.services import get_job_queue

    return get_job_queue()


def _until(at: AppTest, condition, what: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition(at):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.5)
        at.run()


def _training(at: AppTest) -> bool:
    return bool(at.get("progress")) and "Epoch" in at.get("progress")[0].proto.text


def _long_job(at: AppTest) -> str:
    at.radio(key="vision_model").set_value("mlp").run()
    at.number_input(key="vision_epochs").set_value(200).run()
    at.button(key="vision_train").click().run()
    assert not at.exception, [e.value for e in at.exception]
    job_id = at.session_state["vision_job_id"]
    assert job_id and at.query_params.get("job") == job_id  # the URL names the job: a reload finds it
    return job_id


@pytest.mark.slow
def test_a_second_session_sees_the_first_sessions_job_as_someone_elses_and_may_queue_its_own(app_test):
    first = _open_lab(app_test)
    job_id = _long_job(first)
    _until(first, _training, "the first session's job to train")
    try:
        second = _open_lab(script=first._script_path)
        second.run()
        assert second.session_state["vision_job_id"] is None  # not adopted
        assert not [b for b in second.button if b.key == "vision_cancel"]  # no Cancel on someone else's job
        infos = [i.value for i in second.info]
        assert any(text.startswith("Another browser session is training Vision · Multilayer perceptron (MLP), "
                                   "epoch") for text in infos), infos
        assert translate("jobs.queue_behind", "en") in [c.value for c in second.caption]
        assert not second.button(key="vision_train").disabled  # someone else's job does not block Train
        state = _queue().get(job_id)
        assert state.active and not state.cancel_requested
        # the second session queues its own job behind the first
        second.radio(key="vision_model").set_value("logreg").run()
        second.button(key="vision_train").click().run()
        own = second.session_state["vision_job_id"]
        assert own and own != job_id and _queue().get(own).owner != state.owner
        assert second.query_params.get("job") == own
    finally:
        _queue().cancel_all()


@pytest.mark.slow
def test_a_reload_finds_its_own_job_by_the_url_and_may_cancel_it(app_test):
    first = _open_lab(app_test)
    job_id = _long_job(first)
    try:
        reloaded = _open_lab(script=first._script_path, query={"job": job_id})
        assert reloaded.session_state["vision_job_id"] == job_id
        _until(reloaded, _training, "the reloaded page to show its job training")
        reloaded.button(key="vision_cancel").click().run()
        assert _queue().get(job_id).cancel_requested
        from core.audit import read
        from core.config import get_settings

        [event] = read(get_settings().audit_log)
        assert event["action"] == "cancel_job" and job_id in event["detail"]
    finally:
        _queue().cancel_all()


def test_out_of_range_epochs_are_refused_naming_the_range_and_the_typed_value_is_what_trains(app_test):
    at = _open_lab(app_test)
    at.radio(key="vision_model").set_value("mlp").run()
    at.number_input(key="vision_epochs").set_value(300).run()
    assert at.number_input(key="vision_epochs").value == 300  # kept as typed, never reset to 20
    message = translate("jobs.epochs_range", "en", low=1, high=200, value=300)
    assert message in [e.value for e in at.error]
    at.button(key="vision_train").click().run()  # refused, naming the range: nothing is queued
    assert [e.value for e in at.error].count(message) == 2 and not _queue().jobs()
    assert at.session_state["vision_job_id"] is None
    at.number_input(key="vision_epochs").set_value(20).run()
    assert not at.error
    at.number_input(key="vision_epochs").set_value(3)
    at.button(key="vision_train").click().run()  # typed and pressed in one rerun, as a browser sends them
    assert not at.exception, [e.value for e in at.exception]
    job_id = at.session_state["vision_job_id"]
    assert job_id and _queue().get(job_id).meta["epochs"] == 3
    done = _queue().wait(job_id, 300)
    assert done.state == "completed", done.error
    from dashboard.services import get_tracker

    run = get_tracker().get_run(done.run_id)
    assert run.data.params.get("epochs") == "3"


def test_a_dataset_chosen_and_train_pressed_in_one_rerun_trains_on_that_dataset(app_test):
    """Train's callback got the data of the last page run that drew the button: a dataset chosen on the Data
    tab while the page was still busy (CI: choose Fashion-MNIST, click Train) trained on the old one (digits),
    with the new model and epochs. The click now trains on the data this run loaded for the chosen source."""
    at = _open_lab(app_test)
    at.radio(key="vision_model").set_value("logreg").run()
    assert at.selectbox(key="vision_dataset").value == "digits"
    at.selectbox(key="vision_dataset").set_value("mnist5k")
    at.button(key="vision_train").click().run()  # chosen and pressed in one rerun, as a busy browser sends them
    assert not at.exception, [e.value for e in at.exception]
    job_id = at.session_state["vision_job_id"]
    assert job_id and _queue().get(job_id).meta["dataset"] == "mnist5k"
    done = _queue().wait(job_id, 300)
    assert done.state == "completed", done.error
    from dashboard.services import get_tracker

    assert get_tracker().get_run(done.run_id).data.params.get("dataset") == "mnist5k"


AUTH_SECRETS = {"auth": {
    "redirect_uri": "http://127.0.0.1:8501/oauth2callback", "cookie_secret": "a-long-random-string-for-the-cookie",
    "client_id": "studio", "client_secret": "studio-secret",
    "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration",
}}
PEOPLE = {
    "viewer": {"is_logged_in": True, "email": "vera@example.com", "name": "Vera Viewer", "sub": "vera"},
    "trainer": {"is_logged_in": True, "email": "tom@example.com", "name": "Tom Trainer", "sub": "tom"},
    "admin": {"is_logged_in": True, "email": "alice@example.com", "name": "Alice Admin", "sub": "alice"},
}


@pytest.fixture
def signed_in(app_test, tmp_path, monkeypatch):
    """signed_in(role, first=None): the lab as that person, a fresh session (first: another session's script)."""
    roles = tmp_path / "roles.yaml"
    roles.write_text("default_role: viewer\nusers:\n  tom@example.com: trainer\n  alice@example.com: admin\n",
                     encoding="utf-8")
    monkeypatch.setenv("STUDIO_ROLES_FILE", str(roles))

    def make(role: str, first: AppTest | None = None) -> AppTest:
        at = app_test(timeout=120) if first is None else AppTest.from_file(first._script_path, default_timeout=120)
        at.secrets = AUTH_SECRETS
        at.user = PEOPLE[role]
        at.run()
        at.switch_page(LAB).run()
        assert not at.exception, [e.value for e in at.exception]
        return at

    return make


@pytest.mark.slow
def test_a_viewer_sees_whose_job_it_is_without_cancel_and_an_admins_cancel_is_audited_and_told(signed_in):
    tom = signed_in("trainer")
    job_id = _long_job(tom)
    try:
        _until(tom, _training, "Tom's job to train")
        vera = signed_in("viewer", tom)
        _until(vera, lambda at: any("Tom Trainer is training Vision · Multilayer perceptron (MLP), epoch" in i.value
                                    for i in at.info), "the viewer to see Tom's job as his")
        assert not [b for b in vera.button if b.key in ("vision_cancel", f"cancel_other_{job_id}")]
        assert vera.session_state["vision_job_id"] is None
        from core.errors import AccessError

        with pytest.raises(AccessError, match="only the person who started it"):  # refused in code too
            from core.auth import Identity

            _queue().cancel(job_id, by=Identity(user="vera@example.com", role="viewer", name="Vera Viewer"))
        alice = signed_in("admin", tom)
        alice.button(key=f"cancel_other_{job_id}").click().run()
        assert not alice.exception, [e.value for e in alice.exception]
        done = _queue().wait(job_id, 120)
        assert done.state == "cancelled" and done.cancelled_by == "Alice Admin"
        from core.audit import read
        from core.config import get_settings

        [event] = read(get_settings().audit_log)
        assert (event["who"], event["action"]) == ("alice@example.com", "cancel_job")
        assert "Tom Trainer" in event["detail"]
        _until(tom, lambda at: translate("jobs.cancelled_by", "en", name="Alice Admin") in [w.value for w in at.warning],
               "Tom's panel to say who cancelled his job")
    finally:
        _queue().cancel_all()


def test_the_same_persons_identical_job_from_a_second_tab_is_refused_with_a_message(signed_in):
    first_tab = signed_in("trainer")
    job_id = _long_job(first_tab)
    try:
        second_tab = signed_in("trainer", first_tab)
        assert translate("lab.job_in_progress", "en", job="Vision · Multilayer perceptron (MLP)") in [
            i.value for i in second_tab.info]
        second_tab.radio(key="vision_model").set_value("mlp").run()
        second_tab.number_input(key="vision_epochs").set_value(200).run()
        second_tab.button(key="vision_train").click().run()
        assert not second_tab.exception, [e.value for e in second_tab.exception]
        assert [job.id for job in _queue().active()] == [job_id]
        message = translate("errors.jobs.duplicate", "en", title="Vision · Multilayer perceptron (MLP)")
        assert message in [e.value for e in second_tab.error], [e.value for e in second_tab.error]
    finally:
        _queue().cancel_all()


@pytest.mark.slow
def test_a_store_refusing_writes_mid_training_says_what_was_lost_and_the_run_ends_failed_once_it_is_back(
        app_test, short_sqlite_waits):
    """A real SQLite lock stands for an unwritable store: the job fails saying the training was lost (never
    "Nothing was lost"), the lab's run query shows words instead of a traceback, and once the lock is gone the
    run ends as failed without a restart."""
    import sqlite3

    from core.config import get_settings
    from dashboard.services import get_tracker

    at = _open_lab(app_test)
    job_id = _long_job(at)
    _until(at, _training, "the job to train")
    db = get_settings().tracking_uri[len("sqlite:///"):]
    lock = sqlite3.connect(db, timeout=0, isolation_level=None)
    lock.execute("BEGIN EXCLUSIVE")
    try:
        done = _queue().wait(job_id, 300)
        assert done.state == "failed", done.state
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        errors = [e.value for e in at.error]
        assert any("refused a write" in text and "its result is lost" in text for text in errors), errors
        assert not any("Nothing was lost" in text for text in errors), errors
        assert any("cannot be read right now" in text for text in errors), errors  # the Results tab's run query
        run_id = done.run_id
    finally:
        lock.rollback()
        lock.close()
    deadline = time.monotonic() + 60
    while get_tracker().get_run(run_id).info.status == "RUNNING":
        assert time.monotonic() < deadline, "the run stayed Running after the store accepted writes again"
        time.sleep(0.5)
    assert get_tracker().get_run(run_id).data.tags["studio.status"] == "failed"


def test_a_run_whose_ray_worker_died_names_the_worker_not_an_app_restart(app_test):
    from core.tracking.records import TAG_EXECUTOR, TAG_WORKER
    from dashboard.services import get_tracker

    at = app_test(timeout=120)
    tracker = get_tracker()
    worker = "node-7 (10.0.0.7) pid 4242"
    run_id = tracker.start_run(use_case="vision", dataset="digits", model="mlp", params={"use_case": "vision"},
                               tags={TAG_EXECUTOR: "ray", TAG_WORKER: worker})
    assert tracker.interrupt(run_id, error="worker lost")
    at.run()
    at.switch_page("../pages/runs.py").run()
    assert not at.exception, [e.value for e in at.exception]
    text = " ".join(m.value for m in at.markdown)
    assert translate("jobs.interrupted_worker", "en", worker=worker) in text, text
    assert translate("training.status_help.interrupted", "en") not in text
