"""Real team-mode services for tests: a local Ray cluster and an MLflow tracking server, loopback only.

Both are started as the README's "Team mode" section starts them (`ray start --head`,
`mlflow server --serve-artifacts`), kept small for a 2-core machine, and stopped by process
group at the end. Used by the session fixtures in tests/conftest.py.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

STARTUP_TIMEOUT_S = 240  # both take tens of seconds on a loaded 2-core machine
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _stop_group(process: subprocess.Popen, grace_s: float = 15.0) -> None:
    """SIGTERM the process group we started, then SIGKILL what is left of it (`ray start --block` can hang)."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        pass
    _kill_group(process)


def _kill_group(process: subprocess.Popen) -> None:
    """SIGKILL what is left of the process group we started."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait(timeout=15)


def _wait_until_up(service, ready, what: str) -> None:
    """Poll `ready()` until it is true; stop the service and raise with its log when it exits or times out."""
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline and service.process.poll() is None:
        if ready():
            return
        time.sleep(0.5)
    text = service.log_path.read_text(errors="replace")[-3000:]
    service.stop()
    raise RuntimeError(f"{what} did not come up:\n{text}")


WORKER_PORTS = 1_000  # a Ray head's worker (and driver) ports: a range of its own


class RayHead:
    """`ray start --head --block` on loopback with 2 CPUs, no dashboard and a small object store.

    Ray gives its raylet 30 s to register; on an overloaded machine that can fail, so start-up is
    tried up to three times (each on fresh ports).
    """

    ATTEMPTS = 3

    def __init__(self, num_cpus: int = 2):
        for attempt in range(1, self.ATTEMPTS + 1):
            try:
                self._start(num_cpus)
                return
            except RuntimeError:
                if attempt == self.ATTEMPTS:
                    raise

    def _start(self, num_cpus: int) -> None:
        self.port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        low = 20_000 + WORKER_PORTS * random.randrange(10)  # one of ten ranges below the ephemeral ports
        # Ray's socket paths must stay under 107 characters: a short folder, not pytest's tmp path
        self.temp_dir = tempfile.mkdtemp(prefix="ray", dir="/tmp")
        self.log_path = Path(self.temp_dir) / "ray-start.log"
        command = [str(BIN / "ray"), "start", "--head", f"--port={self.port}", "--node-ip-address=127.0.0.1",
                   f"--num-cpus={num_cpus}", "--num-gpus=0", "--include-dashboard=false",
                   f"--dashboard-agent-listen-port={free_port()}", "--object-store-memory=100000000",
                   # ports of its own: Ray's defaults (10001, 10002-19999) are the same for every head on the
                   # machine, and a driver that cannot bind its port aborts the process it runs in
                   f"--ray-client-server-port={free_port()}", f"--min-worker-port={low}",
                   f"--max-worker-port={low + WORKER_PORTS - 1}",
                   f"--temp-dir={self.temp_dir}", "--disable-usage-stats", "--block"]
        with open(self.log_path, "w") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                                            env={**os.environ, "RAY_USAGE_STATS_ENABLED": "0"})
        _wait_until_up(self, lambda: "Ray runtime started" in self.log_path.read_text(errors="replace"),
                       "ray start --head")

    def stop(self) -> None:
        """Ctrl-C, as a person stops `ray start --block`: it stops every process it started (1-2 s). It takes
        SIGTERM as a sign to go on waiting, so the group's SIGTERM waited its whole 15 s grace at every stop.

        After a full suite (jobs' detached workers left behind) Ctrl-C waited out its 15 s and SIGTERM its
        15 s too (30 s of every CI run's end): a test cluster keeps nothing, so what is left after 5 s is killed.
        """
        if self.process.poll() is None:
            try:
                self.process.send_signal(signal.SIGINT)
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        _kill_group(self.process)  # whatever is left of the group
        shutil.rmtree(self.temp_dir, ignore_errors=True)


class MlflowServer:
    """`mlflow server --serve-artifacts` on a free loopback port, SQLite backend and artifacts in `folder`."""

    def __init__(self, folder: Path, *, port: int | None = None, schema: Path | None = None):
        """`schema`: an empty MLflow SQLite database to start from when the folder has none (its migrations are
        a second of every start); `port`: the same server started again (an outage test)."""
        folder.mkdir(parents=True, exist_ok=True)
        if schema is not None and not (folder / "server.db").exists():
            shutil.copy(schema, folder / "server.db")
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = folder / "mlflow-server.log"
        command = [str(BIN / "mlflow"), "server", "--host", "127.0.0.1", "--port", str(self.port),
                   "--backend-store-uri", f"sqlite:///{folder / 'server.db'}", "--serve-artifacts",
                   "--artifacts-destination", str(folder / "artifacts"), "--workers", "1"]
        with open(self.log_path, "w") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        def healthy() -> bool:
            try:
                with urllib.request.urlopen(f"{self.url}/health", timeout=2) as response:
                    return response.status == 200
            except OSError:
                return False

        _wait_until_up(self, healthy, "mlflow server")

    def stop(self) -> None:
        _stop_group(self.process, grace_s=3.0)  # uvicorn's graceful stop took 4 s; nothing of a test server is kept
