"""Page render time against the number of stored runs: Strategy, Model selection and Runs (not a test; prints numbers).

Goal (issue 25 item 7): first render <= 2 s and rerun <= 300 ms at 500 runs on an idle machine, growing no
faster than linearly with the run count.

Stores of 50, 200 and 500 runs are generated through the studio's Tracker (benchmarks/run_store.py: four real
runs trained once, then cloned with their params, tags, metrics and evaluation.json) and kept under --stores,
so a second call (before/after a change) measures the very same stores. Each measurement runs in a fresh Python
process with the store as STUDIO_DATA_DIR:

- first render: AppTest opens Home, then switches to the page (the page's first script run in that process);
  "warm" first runs the server's background warm-up (dashboard/services.py, 3 s after start: tracker created,
  MLflow and SciPy's statistics imported), "cold" does not (the page imports them itself);
- rerun: the same page run again with nothing changed (median of --reruns), what every widget click costs
  at least.

    .venv/bin/python benchmarks/bench_pages_runs.py [--counts 50,200,500] [--pages strategy,selection,runs]
        [--repeats 2] [--reruns 5] [--stores /tmp/studio-bench-stores] [--profile strategy:500]
        [--compare-with /tmp/before]   # e.g. git archive <commit> | tar -x -C /tmp/before; ln -s $PWD/.venv /tmp/before/
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
PAGES = {"strategy": "../pages/strategy.py", "selection": "../pages/selection.py", "runs": "../pages/runs.py"}


def build_stores(root: Path, counts: list[int]) -> dict[int, Path]:
    """{count: data dir holding that many listed runs}; missing ones grown from the next smaller store."""
    root.mkdir(parents=True, exist_ok=True)
    stores: dict[int, Path] = {}
    previous: Path | None = None
    for count in sorted(counts):
        folder = root / f"runs-{count}"
        if not (folder / "mlflow.db").exists():
            if folder.exists():
                shutil.rmtree(folder)
            if previous is not None:
                shutil.copytree(previous, folder)
            else:
                folder.mkdir()
            code = ("import sys; sys.path.insert(0, %r); from benchmarks.run_store import grow_store; "
                    "from core.tracking.store import tracker_from_settings; "
                    "print(f'{grow_store(tracker_from_settings(), %d):.0f}')") % (str(REPO_ROOT), count)
            env = {**os.environ, "STUDIO_DATA_DIR": str(folder), "STUDIO_OFFLINE": "1"}
            result = subprocess.run([sys.executable, "-c", code], env=env, cwd=REPO_ROOT, capture_output=True,
                                    text=True, check=False)
            if result.returncode:
                raise SystemExit(f"building the {count}-run store failed:\n{result.stderr[-3000:]}")
            print(f"store of {count} runs built in {result.stdout.strip().splitlines()[-1]} s: {folder}")
        stores[count] = folder
        previous = folder
    return stores


def measure(page: str, warm: bool, reruns: int, profile: str = "") -> dict:
    """In this process: first render and reruns of `page` (STUDIO_DATA_DIR already set)."""
    sys.path.insert(0, str(REPO_ROOT))
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(REPO_ROOT / "dashboard" / "app.py"), default_timeout=300)
    at.run()  # Home: Streamlit and the app's own imports
    if warm:  # what the server's warm-up thread does 3 s after start (tracker, and what that checkout imports)
        from dashboard import services

        services._warm_up(0.0)
    at.switch_page(PAGES[page])
    profiler = None
    if profile:
        from benchmarks.sampler import ThreadSampler

        profiler = ThreadSampler()
        profiler.__enter__()
    started = time.perf_counter()
    at.run()
    first = time.perf_counter() - started
    if profiler is not None:
        profiler.__exit__(None, None, None)
        Path(profile).write_text(profiler.report(70))
    errors = [str(e.value)[:300] for e in at.exception]
    samples = []
    for index in range(reruns):
        rerun_profiler = None
        if profile and index == reruns - 1:
            from benchmarks.sampler import ThreadSampler

            rerun_profiler = ThreadSampler()
            rerun_profiler.__enter__()
        started = time.perf_counter()
        at.run()
        samples.append(time.perf_counter() - started)
        if rerun_profiler is not None:
            rerun_profiler.__exit__(None, None, None)
            Path(profile + ".rerun.txt").write_text(rerun_profiler.report(70))
    return {"first": first, "rerun": statistics.median(samples) if samples else None, "errors": errors}


def measure_in_subprocess(store: Path, page: str, warm: bool, reruns: int, profile: str = "",
                          checkout: Path = REPO_ROOT) -> dict:
    env = {**os.environ, "STUDIO_DATA_DIR": str(store), "STUDIO_OFFLINE": "1"}
    script = checkout / "benchmarks" / "bench_pages_runs.py"
    command = [sys.executable, str(script), "--measure", page, "--reruns", str(reruns)]
    if warm:
        command.append("--warm")
    if profile:
        command += ["--profile-to", profile]
    result = subprocess.run(command, env=env, cwd=checkout, capture_output=True, text=True, check=False)
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    if result.returncode or not lines:
        raise SystemExit(f"measuring {page} failed:\n{result.stderr[-3000:]}")
    return json.loads(lines[-1])


def bench(stores: dict[int, Path], pages: list[str], repeats: int, reruns: int, modes: list[str],
          checkouts: dict[str, Path]) -> None:
    """Each checkout (this one, and a 'before' one with --compare-with) measured in turn on the same stores."""
    print(f"load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (timings on a loaded machine are inflated)")
    print(f"{'code':<7} {'page':<10} {'runs':>5} {'mode':<5} {'first render (each)':<24} {'first med':>9} "
          f"{'rerun med':>9}")
    for page in pages:
        for count, store in sorted(stores.items()):
            for mode in modes:
                results: dict[str, list[dict]] = {name: [] for name in checkouts}
                for _ in range(repeats):  # alternating, so both see the same load
                    for name, checkout in checkouts.items():
                        results[name].append(measure_in_subprocess(store, page, mode == "warm", reruns,
                                                                   checkout=checkout))
                for name, measured in results.items():
                    firsts = [r["first"] for r in measured]
                    reruns_s = [r["rerun"] for r in measured if r["rerun"] is not None]
                    errors = sorted({e for r in measured for e in r["errors"]})
                    print(f"{name:<7} {page:<10} {count:>5} {mode:<5} {', '.join(f'{v:.2f}' for v in firsts):<24} "
                          f"{statistics.median(firsts):8.2f}s {statistics.median(reruns_s) * 1000:7.0f}ms"
                          + (f"  ERRORS: {errors}" if errors else ""), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counts", default="50,200,500")
    parser.add_argument("--pages", default=",".join(PAGES))
    parser.add_argument("--modes", default="warm,cold", help="warm: tracker created before (as the server does)")
    parser.add_argument("--repeats", type=int, default=2, help="fresh processes per page, count and mode")
    parser.add_argument("--reruns", type=int, default=5)
    parser.add_argument("--stores", default="/tmp/studio-bench-stores")
    parser.add_argument("--compare-with", default="", help="another checkout (e.g. `git archive` of the commit "
                        "before a change, with its .venv linked) measured alternately with this one")
    parser.add_argument("--profile", default="", help="page:count, e.g. strategy:500: sampled profile of the first render (warm)")
    parser.add_argument("--measure", default="", help=argparse.SUPPRESS)
    parser.add_argument("--warm", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--profile-to", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, args.warm, args.reruns, args.profile_to)))
        return
    counts = [int(c) for c in args.counts.split(",") if c]
    stores = build_stores(Path(args.stores), counts)
    if args.profile:
        page, count = args.profile.split(":")
        target = Path(args.stores) / f"profile-{page}-{count}.txt"
        result = measure_in_subprocess(stores[int(count)], page, True, 2, str(target))
        print(f"{page} at {count} runs: first {result['first']:.2f} s, rerun {result['rerun'] * 1000:.0f} ms; "
              f"profile of the first render: {target}")
        return
    checkouts = {"after": REPO_ROOT}
    if args.compare_with:
        checkouts = {"before": Path(args.compare_with).resolve(), "after": REPO_ROOT}
    bench(stores, [p for p in args.pages.split(",") if p], args.repeats, args.reruns,
          [m for m in args.modes.split(",") if m], checkouts)


if __name__ == "__main__":
    main()
