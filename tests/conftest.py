"""Session fixtures shared by core, page and browser tests: an MLflow schema made once, and team mode's
real Ray cluster and MLflow server.

The Ray head and the MLflow server are started only by the tests that ask for them (team mode), once per
test session, and stopped at its end.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

E2E_DIR = Path(__file__).resolve().parent / "e2e"

# One OpenMP thread per process (tests, the app servers and Ray workers they start inherit it): on the 2-core
# CI box scikit-learn's OpenMP pools (histogram gradient boosting) spun against TensorFlow, Streamlit and each
# other; the finance GBM run took 52 s with the default and 19 s with one thread on a loaded machine. Set
# before scikit-learn is imported; an explicit OMP_NUM_THREADS wins.
os.environ.setdefault("OMP_NUM_THREADS", "1")


TEAM_SERVICES = ("ray_head", "mlflow_server")


# The files whose tests use the Ray cluster or the MLflow server (TEAM_SERVICES); checked at collection.
TEAM_FILES = ("tests/core/test_training_ray_jobs.py", "tests/e2e/test_team_browser.py")


def xdist_scope(nodeid: str) -> str:
    """The unit of work a test belongs to when the suite runs on pytest-xdist workers (pytest.ini: -n 2).

    The team-mode tests are one unit, run by one worker, so one Ray head and one MLflow server start per
    run: two heads on one machine fought over Ray's worker ports, and a driver that could not bind its
    port aborted its whole pytest worker. The other browser tests are a second unit (one app server, one
    Chromium). Every other test is a unit of its own. (pytest-xdist's own --dist loadgroup no longer
    groups anything under pytest 9.2: pytest-xdist issue 1386.)
    """
    path = nodeid.split("::", 1)[0]
    if path in TEAM_FILES:
        return "team"
    if path.startswith("tests/e2e/"):
        return "browser"
    return nodeid


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """pytest-xdist's scope scheduler over `xdist_scope`: the two big units are handed out first (the most
    tests first), one to each worker; single tests fill in behind them."""
    from xdist.scheduler import LoadScopeScheduling

    class StudioScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return xdist_scope(nodeid)

    return StudioScheduling(config, log)


def pytest_collection_modifyitems(config, items):
    """Every test under tests/e2e drives Chromium: mark it e2e, whether or not its module says so.

    A test that uses the Ray cluster or the MLflow server must sit in one of TEAM_FILES (one worker runs
    them all). In a run in one process (-n 0) those tests go last, in their collected order: the services
    then start once and are not left running idle while the rest of the suite runs.
    """
    for item in items:
        if E2E_DIR in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.e2e)
    team = [item for item in items if any(name in getattr(item, "fixturenames", ()) for name in TEAM_SERVICES)]
    stray = [item.nodeid for item in team if xdist_scope(item.nodeid) != "team"]
    if stray:
        raise pytest.UsageError(f"{stray[0]} uses the Ray cluster or the MLflow server: add its file to TEAM_FILES "
                                "in tests/conftest.py, so one worker runs every such test")
    if team:
        chosen = set(map(id, team))
        items[:] = [item for item in items if id(item) not in chosen] + team


@pytest.fixture(scope="session")
def mlflow_template(tmp_path_factory) -> Path:
    """An MLflow SQLite file whose schema was created once for the session (creating it runs MLflow's
    migrations: 1-3 s each time). Copy it where a tracker will open its database (`seed_tracking_db`)."""
    from core.tracking.mlflow_support import quiet_mlflow

    quiet_mlflow()
    from mlflow import MlflowClient

    path = tmp_path_factory.mktemp("mlflow-template") / "mlflow.db"
    MlflowClient(tracking_uri=f"sqlite:///{path}").search_experiments()
    return path


@pytest.fixture(scope="session")
def seed_tracking_db(mlflow_template):
    """seed_tracking_db(data_dir): a copy of the template database at `data_dir`/mlflow.db (the studio's
    default tracking URI) unless one is there; the tracker still creates its experiment on first use."""

    def seed(data_dir: Path) -> Path:
        target = Path(data_dir) / "mlflow.db"
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(mlflow_template, target)
        return target

    return seed


def _require_ray() -> None:
    try:
        import ray  # noqa: F401
    except ImportError:
        message = "ray is not installed (requirements-team.txt, installed by bash scripts/setup.sh --dev)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="session")
def ray_head():
    """A real local Ray cluster (`ray start --head`, 2 CPUs, loopback); its address."""
    _require_ray()
    from team_services import RayHead

    head = RayHead(num_cpus=2)
    yield head
    try:
        import ray

        if ray.is_initialized():
            ray.shutdown()
    finally:
        head.stop()


@pytest.fixture(scope="session")
def mlflow_server(tmp_path_factory, mlflow_template):
    """A real `mlflow server --serve-artifacts` on a loopback port (SQLite backend in tmp, starting from the
    session's empty schema); its URL."""
    from team_services import MlflowServer

    server = MlflowServer(tmp_path_factory.mktemp("mlflow-server"), schema=mlflow_template)
    yield server.url
    server.stop()


@pytest.fixture
def short_sqlite_waits(monkeypatch):
    """MLflow waits 20 s on a locked SQLite store before each refusal (PRAGMA busy_timeout = 20000 in every
    session it opens), and the studio's own read-only peeks wait 5 s. Tests of a store that refuses writes
    (a real BEGIN EXCLUSIVE lock) are about the refusal, the message and the recovery, not the wait: both
    waits are cut to a quarter of a second here, nothing else changes."""
    import sqlite3
    import types

    from mlflow.store.db import utils as mlflow_db

    real_text = mlflow_db.sql.text

    def text(statement, *args, **kwargs):
        return real_text(str(statement).replace("busy_timeout = 20000", "busy_timeout = 250"), *args, **kwargs)

    proxy = types.SimpleNamespace(**{name: getattr(mlflow_db.sql, name) for name in dir(mlflow_db.sql)
                                     if not name.startswith("__")})
    proxy.text = text
    monkeypatch.setattr(mlflow_db, "sql", proxy)
    real_connect = sqlite3.connect

    def connect(database, *args, timeout=5.0, **kwargs):
        return real_connect(database, *args, timeout=min(float(timeout), 0.25), **kwargs)

    monkeypatch.setattr(sqlite3, "connect", connect)
    yield


# Large language models (issue 22; helpers in tests/llm_servers.py). No weights can be downloaded in tests:
# the tiny random-weight GGUF model (core/llm/tiny_model.py) is written at test time.


@pytest.fixture(scope="session")
def tiny_gguf(tmp_path_factory) -> Path:
    """The tiny random-weight GGUF model (about 0.25 MB), written once per session (per xdist worker); its path."""
    from llm_servers import require

    require("gguf")
    from core.llm.tiny_model import write_tiny_model

    return write_tiny_model(tmp_path_factory.mktemp("tiny-gguf") / "tiny.gguf")


@pytest.fixture(scope="session")
def llama_server(tmp_path_factory, tiny_gguf):
    """llama-cpp-python's real OpenAI-compatible server (`python -m llama_cpp.server`) serving the tiny model on
    a free loopback port, one per session (per xdist worker; it starts in about a second). `.base_url`
    ("http://127.0.0.1:PORT/v1"), `.model` ("tiny"); any API key is accepted."""
    from llm_servers import LlamaServer, require

    require("llama_cpp", load=False)
    server = LlamaServer(tiny_gguf, tmp_path_factory.mktemp("llama-server"), alias="tiny")
    yield server
    server.stop()


@pytest.fixture
def fault_server():
    """A scripted OpenAI-compatible server on loopback (llm_servers.FaultServer): `.script([429, 200])`,
    `.base_url`, `.requests`. A fresh one per test, stopped at its end."""
    from llm_servers import FaultServer

    server = FaultServer()
    yield server
    server.stop()
