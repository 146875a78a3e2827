"""Session fixtures shared by core and browser tests: team mode's real Ray cluster and MLflow server.

Started only by the tests that ask for them (team mode), once per test session, stopped at its end.
"""

from __future__ import annotations

import os

import pytest


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
def mlflow_server(tmp_path_factory):
    """A real `mlflow server --serve-artifacts` on a loopback port (SQLite backend in tmp); its URL."""
    from team_services import MlflowServer

    server = MlflowServer(tmp_path_factory.mktemp("mlflow-server"))
    yield server.url
    server.stop()
