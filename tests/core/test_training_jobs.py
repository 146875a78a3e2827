"""Background job queue: order on one worker, cancel, failures that keep the error, snapshots."""

from __future__ import annotations

import threading
import time
from concurrent.futures import Future

import pytest

from core.auth import Identity
from core.errors import AccessError, TrainingError
from core.training.jobs import SERVER, JobCancelled, JobQueue, LocalExecutor

TIMEOUT = 10


@pytest.fixture
def job_queue():
    queue = JobQueue()
    yield queue
    queue.cancel_all()
    queue.executor.shutdown()


def test_two_jobs_run_in_order_on_one_worker(job_queue):
    calls: list[str] = []

    def make(name):
        def job(ctx):
            calls.append(f"{name}-start")
            time.sleep(0.05)
            calls.append(f"{name}-end")
            return name.upper()
        return job

    first = job_queue.submit(make("a"), title="A", meta={"model": "cnn"})
    second = job_queue.submit(make("b"), title="B", meta={})
    assert job_queue.get(second).state == "queued"
    done_a = job_queue.wait(first, TIMEOUT)
    done_b = job_queue.wait(second, TIMEOUT)
    assert calls == ["a-start", "a-end", "b-start", "b-end"]
    assert (done_a.state, done_a.result, done_b.state, done_b.result) == ("completed", "A", "completed", "B")
    assert done_b.started_at >= done_a.finished_at
    assert done_a.meta == {"model": "cnn"} and done_a.title == "A"
    assert done_a.seconds >= 0.05


def test_cancel_of_a_queued_job_is_immediate_and_it_never_runs(job_queue):
    release = threading.Event()
    ran: list[str] = []
    blocker = job_queue.submit(lambda ctx: release.wait(TIMEOUT), title="blocker")
    waiting = job_queue.submit(lambda ctx: ran.append("waiting"), title="waiting")
    assert job_queue.cancel(waiting, by=SERVER) is True
    state = job_queue.get(waiting)
    assert state.state == "cancelled" and state.finished_at is not None and state.started_at is None
    release.set()
    assert job_queue.wait(blocker, TIMEOUT).state == "completed"
    # No sleep-and-hope: one worker runs jobs in order, so once a job submitted after `waiting` has
    # finished, `waiting` has had its turn (and must have been skipped).
    assert job_queue.wait(job_queue.submit(lambda ctx: "after", title="after"), TIMEOUT).state == "completed"
    assert ran == []
    assert job_queue.get(waiting).state == "cancelled"
    assert job_queue.cancel(waiting, by=SERVER) is False  # nothing left to cancel


def test_cancel_of_a_running_job_sets_its_event_and_keeps_the_partial_result(job_queue):
    started = threading.Event()

    def job(ctx):
        started.set()
        steps = 0
        while not ctx.cancelled.wait(0.01):
            steps += 1
        return {"steps": steps}

    job_id = job_queue.submit(job, title="loop")
    assert started.wait(TIMEOUT)
    assert job_queue.get(job_id).state == "running"
    assert job_queue.cancel(job_id, by=SERVER) is True
    state = job_queue.wait(job_id, TIMEOUT)
    assert state.state == "cancelled" and state.cancel_requested
    assert "steps" in state.result


def test_a_cancel_that_arrives_after_the_work_finished_keeps_it_completed(job_queue):
    def job(ctx):
        ctx.cancelled.set()  # the user pressed cancel while the finished run was being saved
        return {"status": "completed", "run_id": "r1"}

    state = job_queue.wait(job_queue.submit(job, title="late cancel"), TIMEOUT)
    assert state.state == "completed" and state.result["run_id"] == "r1"

    honoured = job_queue.wait(job_queue.submit(lambda ctx: (ctx.cancelled.set(), {"status": "cancelled"})[1],
                                               title="honoured"), TIMEOUT)
    assert honoured.state == "cancelled"


def test_job_cancelled_exception_ends_as_cancelled(job_queue):
    def job(ctx):
        ctx.cancelled.set()
        ctx.raise_if_cancelled()
        return "never"

    state = job_queue.wait(job_queue.submit(job, title="x"), TIMEOUT)
    assert state.state == "cancelled" and state.result is None and state.error is None


def test_a_failing_job_keeps_its_error_and_the_worker_survives(job_queue):
    def failing(ctx):
        raise TrainingError("errors.training.no_data")

    failed = job_queue.wait(job_queue.submit(failing, title="bad"), TIMEOUT)
    assert failed.state == "failed"
    assert isinstance(failed.error, TrainingError)
    assert failed.error.key == "errors.training.no_data"
    assert "no training examples" in str(failed.error)

    crashed = job_queue.wait(job_queue.submit(lambda ctx: 1 / 0, title="crash"), TIMEOUT)
    assert crashed.state == "failed" and isinstance(crashed.error, ZeroDivisionError)

    after = job_queue.wait(job_queue.submit(lambda ctx: 42, title="after"), TIMEOUT)
    assert (after.state, after.result) == ("completed", 42)


def test_report_and_run_id_are_visible_while_running(job_queue):
    reported = threading.Event()
    release = threading.Event()

    def job(ctx):
        ctx.set_run_id("run-123")
        ctx.report({"epoch": 1, "epochs": 3})
        reported.set()
        release.wait(TIMEOUT)
        ctx.report({"epoch": 3, "epochs": 3})
        return ctx.job_id

    job_id = job_queue.submit(job, title="progress")
    assert reported.wait(TIMEOUT)
    running = job_queue.get(job_id)
    assert running.state == "running" and running.run_id == "run-123"
    assert running.progress == {"epoch": 1, "epochs": 3}
    assert [job.id for job in job_queue.active()] == [job_id]
    release.set()
    done = job_queue.wait(job_id, TIMEOUT)
    assert done.progress == {"epoch": 3, "epochs": 3} and done.result == job_id
    assert job_queue.active() == []


def test_jobs_are_listed_newest_first_and_unknown_ids_are_harmless(job_queue):
    ids = [job_queue.submit(lambda ctx, i=i: i, title=f"job {i}") for i in range(3)]
    for job_id in ids:
        job_queue.wait(job_id, TIMEOUT)
    assert [job.id for job in job_queue.jobs()] == ids[::-1]
    assert job_queue.get("no-such-job") is None
    assert job_queue.get(None) is None
    assert job_queue.cancel("no-such-job", by=SERVER) is False


def test_old_finished_jobs_are_pruned():
    queue = JobQueue(keep_finished=2)
    ids = []
    for i in range(4):
        ids.append(queue.submit(lambda ctx, i=i: i, title=str(i)))
        queue.wait(ids[-1], TIMEOUT)
    queue.submit(lambda ctx: None, title="last")
    kept = [job.title for job in queue.jobs()]
    assert "0" not in kept and "1" not in kept and "3" in kept
    queue.executor.shutdown()


class InlineExecutor:
    """The executor seam: anything with submit(fn) -> Future works (here: run at once, in the caller)."""

    def submit(self, fn):
        future: Future = Future()
        future.set_running_or_notify_cancel()
        future.set_result(fn())
        return future


def test_any_executor_with_submit_can_sit_behind_the_queue():
    queue = JobQueue(executor=InlineExecutor())
    job_id = queue.submit(lambda ctx: threading.current_thread().name, title="inline")
    state = queue.get(job_id)
    assert state.state == "completed" and state.result == threading.current_thread().name


def test_executor_submit_failure_marks_the_job_failed():
    class Broken:
        def submit(self, fn):
            raise RuntimeError("cluster unreachable")

    queue = JobQueue(executor=Broken())
    state = queue.get(queue.submit(lambda ctx: 1, title="x"))
    assert state.state == "failed" and "cluster unreachable" in str(state.error)


def test_local_executor_needs_a_worker():
    with pytest.raises(ValueError, match="at least 1"):
        LocalExecutor(max_workers=0)


def test_local_executor_workers_are_daemons():
    executor = LocalExecutor(max_workers=1)
    future = executor.submit(lambda: threading.current_thread().daemon)
    assert future.result(TIMEOUT) is True
    executor.shutdown(wait=True)
    with pytest.raises(RuntimeError, match="shut down"):
        executor.submit(lambda: None)


def test_job_cancelled_is_an_exception():
    assert issubclass(JobCancelled, Exception)


# --- ownership (issue 21): a job belongs to who submitted it; a repeat of it is refused ---

ALICE = Identity(user="alice@example.com", role="trainer", name="Alice")
BOB = Identity(user="bob@example.com", role="trainer", name="Bob")
ADMIN = Identity(user="root@example.com", role="admin", name="Ada")
VIEWER = Identity(user="vera@example.com", role="viewer", name="Vera")


def _hold(release: threading.Event):
    def job(ctx):
        while not release.wait(0.01):
            ctx.raise_if_cancelled()
        return "done"
    return job


def test_only_the_owner_or_an_admin_may_cancel_and_the_owner_learns_who_did(job_queue):
    release = threading.Event()
    first = job_queue.submit(_hold(release), title="Alice's", meta={"model": "cnn"}, owner=ALICE.user,
                             owner_name=ALICE.name)
    second = job_queue.submit(_hold(release), title="Alice's too", meta={"model": "mlp"}, owner=ALICE.user,
                              owner_name=ALICE.name)
    state = job_queue.get(first)
    assert (state.owner, state.owner_name, state.cancelled_by) == (ALICE.user, "Alice", "")
    for stranger in (BOB, VIEWER):
        with pytest.raises(AccessError, match="only the person who started it"):
            job_queue.cancel(first, by=stranger)
    assert job_queue.get(first).active and not job_queue.get(first).cancel_requested
    assert job_queue.cancel(second, by=ALICE) is True
    assert job_queue.get(second).cancelled_by == "Alice"
    assert job_queue.cancel(first, by=ADMIN) is True
    done = job_queue.wait(first, TIMEOUT)
    assert (done.state, done.cancelled_by) == ("cancelled", "Ada")
    release.set()


def test_a_second_identical_submission_of_the_same_owner_is_refused_while_the_first_is_active(job_queue):
    release = threading.Event()
    meta = {"use_case": "vision", "dataset": "digits", "model": "mlp", "epochs": 3}
    first = job_queue.submit(_hold(release), title="vision / digits / mlp", meta=meta, owner=ALICE.user)
    with pytest.raises(TrainingError, match="already queued or training"):
        job_queue.submit(_hold(release), title="vision / digits / mlp", meta=dict(meta), owner=ALICE.user)
    # someone else may queue the same job, and Alice may queue other settings
    other = job_queue.submit(_hold(release), title="Bob's", meta=dict(meta), owner=BOB.user)
    changed = job_queue.submit(_hold(release), title="more epochs", meta={**meta, "epochs": 4}, owner=ALICE.user)
    assert {j.id for j in job_queue.active()} == {first, other, changed}
    release.set()
    assert job_queue.wait(first, TIMEOUT).state == "completed"
    again = job_queue.submit(lambda ctx: "again", title="again", meta=dict(meta), owner=ALICE.user)
    assert job_queue.wait(again, TIMEOUT).state == "completed"  # once the first ended, the same job is fine
