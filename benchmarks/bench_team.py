"""Team mode figures measured in one run (not a test; prints numbers, asserts nothing).

1. "Benchmark all candidates" of a use case (every candidate with its default budget, as the
   Model-selection page submits them) on the local executor (one worker thread) and on a local
   2-worker Ray cluster (`ray start --head --num-cpus=2`): wall time of the whole batch and the
   ratio local / Ray, and per job the overhead from submit to its first training progress
   (a fresh Ray worker starts a process and imports TensorFlow; the local thread does not).
   Both executors write to the same kind of store (SQLite), so the figures compare executors.
2. Tracking write latency: one per-epoch write (Tracker.log_epoch) and one final-metrics write
   to SQLite and to an `mlflow server --serve-artifacts` on loopback, median of N.

    nice -n 10 .venv/bin/python benchmarks/bench_team.py [--use-case vision] [--dataset digits] [--writes 40]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
os.environ.setdefault("STUDIO_DATA_DIR", tempfile.mkdtemp(prefix="studio-bench-team-"))
os.environ.setdefault("STUDIO_OFFLINE", "1")
os.environ.setdefault("STUDIO_DEVICE", "cpu")


def run_batch(queue, tracker, settings, use_case: str, dataset: str) -> tuple[float, dict[str, float], list]:
    """Submit every candidate at once; (wall seconds, {candidate: ms from submit to first training progress}, states)."""
    from core.training.pipeline import benchmark_specs, make_training_job

    specs = benchmark_specs(use_case, dataset)
    submitted: dict[str, tuple[str, float]] = {}
    first: dict[str, float] = {}
    started = time.perf_counter()
    for spec in specs:
        job = queue.submit(make_training_job(spec, tracker, settings=settings), title=spec.title(),
                           meta={"use_case": use_case, "model": spec.candidate})
        submitted[spec.candidate] = (job, time.perf_counter())
    done = threading.Event()

    def watch() -> None:  # first training progress of each job, at 50 ms resolution
        while not done.is_set():
            for candidate, (job, at) in submitted.items():
                if candidate in first:
                    continue
                state = queue.get(job)
                progress = state.progress if state else None
                if getattr(progress, "phase", "") in ("training", "evaluating") or (state and state.finished):
                    first[candidate] = (time.perf_counter() - at) * 1000
            time.sleep(0.05)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    states = [queue.wait(job, timeout=7200) for job, _ in submitted.values()]
    wall = time.perf_counter() - started
    done.set()
    watcher.join()
    return wall, first, states


def outcomes(states: list) -> str:
    return ", ".join(f"{state.meta['model']}: {state.state}" for state in states)


def write_latency_ms(tracker, writes: int) -> tuple[float, float]:
    """(median ms of one per-epoch write, median ms of one final-metrics write) on a fresh run."""
    run_id = tracker.start_run(use_case="bench", dataset="bench", model="writes", params={"n": writes})
    epoch_ms, final_ms = [], []
    for epoch in range(1, writes + 1):
        started = time.perf_counter()
        tracker.log_epoch(run_id, epoch, {"loss": 1.0 / epoch, "accuracy": 0.5, "val_loss": 1.1 / epoch,
                                          "val_accuracy": 0.45})
        epoch_ms.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        tracker.log_metrics(run_id, {f"test_metric_{epoch % 5}": float(epoch), "train_seconds": 1.0})
        final_ms.append((time.perf_counter() - started) * 1000)
    tracker.finish(run_id, "completed")
    return statistics.median(epoch_ms), statistics.median(final_ms)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--use-case", default="vision")
    parser.add_argument("--dataset", default="digits")
    parser.add_argument("--writes", type=int, default=40)
    args = parser.parse_args()

    from core.config import load_settings
    from core.tracking.store import Tracker
    from core.training.jobs import JobQueue
    from team_services import MlflowServer, RayHead

    root = Path(tempfile.mkdtemp(prefix="bench-team-"))
    base = {"STUDIO_OFFLINE": "1", "STUDIO_DEVICE": "cpu"}
    local = load_settings({**base, "STUDIO_DATA_DIR": str(root / "local")}).ensure_dirs()
    print(f"== 'benchmark all candidates' of {args.use_case} / {args.dataset}")
    local_tracker = Tracker(local.tracking_uri, local.artifact_dir)
    local_wall, local_first, local_states = run_batch(JobQueue(), local_tracker, local, args.use_case, args.dataset)
    print(f"local executor (1 thread): {local_wall:7.1f} s  "
          f"[{outcomes(local_states)}]")

    head = RayHead(num_cpus=2)
    server = None
    try:
        from core.training.ray_jobs import RayJobQueue

        team = load_settings({**base, "STUDIO_DATA_DIR": str(root / "ray"), "STUDIO_EXECUTOR": "ray",
                              "RAY_ADDRESS": head.address}).ensure_dirs()
        team_tracker = Tracker(team.tracking_uri, team.artifact_dir)
        queue = RayJobQueue(team, tracker=team_tracker)
        started = time.perf_counter()
        queue.cluster.connect()
        print(f"connect to Ray (ray.init + working_dir upload): {time.perf_counter() - started:5.1f} s")
        ray_wall, ray_first, ray_states = run_batch(queue, team_tracker, team, args.use_case, args.dataset)
        print(f"Ray, 2 workers:            {ray_wall:7.1f} s  "
              f"[{outcomes(ray_states)}]")
        print(f"wall-time ratio local / Ray: {local_wall / ray_wall:.2f}x")
        print("submit -> first training progress (ms):   local     Ray   (jobs queue behind each other in both)")
        for candidate in local_first:
            print(f"  {candidate:18s} {local_first[candidate]:9.0f} {ray_first.get(candidate, float('nan')):7.0f}")
        # overhead of a job that does not wait for a free worker: the first job of each batch
        first_candidate = next(iter(local_first))
        print(f"per-job start overhead, first job (no queueing): local {local_first[first_candidate]:.0f} ms, "
              f"Ray {ray_first.get(first_candidate, float('nan')):.0f} ms")

        print("== tracking write latency (median of", args.writes, "writes)")
        server = MlflowServer(root / "server")
        for name, uri in (("SQLite", local.tracking_uri), ("MLflow server", server.url)):
            epoch_ms, final_ms = write_latency_ms(Tracker(uri, root / "w-artifacts", "bench-writes"), args.writes)
            print(f"  {name:14s} per-epoch write {epoch_ms:6.1f} ms   final-metrics write {final_ms:6.1f} ms")
    finally:
        import ray

        if ray.is_initialized():
            ray.shutdown()
        head.stop()
        if server is not None:
            server.stop()


if __name__ == "__main__":
    main()
