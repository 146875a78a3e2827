"""Recommendation quality, speed and upload memory measured in one run (prints numbers, asserts nothing).

1. Every candidate trained through the real pipeline (MLflow tracker in a temp dir) on the bundled
   MovieLens, seed 0, default budgets: RMSE and MAE on the random 20% test ratings, HitRate@10,
   NDCG@10 and catalogue coverage on each user's held-out last rating, training seconds.
2. Peak memory of reading and splitting a generated 1M-row ratings CSV (in a fresh subprocess).

    .venv/bin/python benchmarks/bench_recommendation.py [--skip-quality] [--skip-memory] [--rows 1000000]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("STUDIO_DATA_DIR", tempfile.mkdtemp(prefix="studio-bench-"))
os.environ.setdefault("STUDIO_OFFLINE", "1")

MEMORY_SCRIPT = r"""
import resource, sys, time
sys.path.insert(0, {root!r})
from core.evaluation.memory import current_rss_mb
before = current_rss_mb()
from core.usecases.recommendation.data import load_ratings_csv
ticks = []
started = time.perf_counter()
dataset = load_ratings_csv(seed=0, data={path!r}, rating_min=0.5, rating_max=5.0,
                           on_progress=lambda rows, total: ticks.append(rows))
seconds = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f"{{before:.0f}} {{peak:.0f}} {{seconds:.1f}} {{len(ticks)}} {{sum(dataset.sizes.values())}} "
      f"{{dataset.extra['num_users']}} {{dataset.extra['num_items']}}")
"""


def quality() -> None:
    from core.config import get_settings
    from core.tracking.store import tracker_from_settings
    from core.training.pipeline import benchmark_specs, run_training
    from core.contract import registry
    from core.usecases.recommendation import USE_CASE

    registry.USE_CASES.setdefault("recommendation", USE_CASE)
    if registry.USE_CASES["recommendation"].status != "available":  # before the registry line lands
        registry.USE_CASES["recommendation"] = USE_CASE
    tracker = tracker_from_settings(get_settings())
    rows = []
    for spec in benchmark_specs("recommendation", "movielens", seed=0):
        started = time.perf_counter()
        outcome = run_training(spec, tracker=tracker)
        m = outcome.metrics
        rows.append((spec.candidate, m["test_rmse"], m["test_mae"], m["test_hit_rate_at_10"], m["test_ndcg_at_10"],
                     m["test_coverage_at_10"], m["train_seconds"], time.perf_counter() - started,
                     spec.config.epochs))
        print(f"  done {spec.candidate} in {time.perf_counter() - started:.0f} s", flush=True)
    base = next(row for row in rows if row[0] == "popularity")
    from core.data.cache import load_dataset

    dataset = load_dataset("recommendation", "movielens", seed=0)
    print(f"\nMovieLens 100k (bundled), seed 0; RMSE/MAE on {dataset.sizes['test']:,} random test ratings "
          f"(train {dataset.sizes['train']:,}, val {dataset.sizes['val']:,}); HitRate/NDCG@10 and coverage on "
          f"each of {len(dataset.extra['rank_users'])} users' held-out last rating vs every unrated movie; "
          "HRxpop/NDCGxpop = ratio to the popularity baseline; train s = fit only, run s = whole pipeline run")
    print(f"{'model':<11} {'epochs':>6} {'RMSE':>7} {'MAE':>7} {'HR@10':>7} {'NDCG@10':>8} {'cover':>7} "
          f"{'HRxpop':>7} {'NDCGxpop':>8} {'train s':>8} {'run s':>7}")
    for name, rmse, mae, hit, ndcg, cover, train_s, run_s, epochs in rows:
        print(f"{name:<11} {epochs:>6} {rmse:>7.4f} {mae:>7.4f} {hit:>7.4f} {ndcg:>8.4f} {cover:>7.4f} "
              f"{hit / base[3]:>7.2f} {ndcg / base[4]:>8.2f} {train_s:>8.1f} {run_s:>7.1f}")


def memory(rows: int) -> None:
    import numpy as np

    folder = Path(tempfile.mkdtemp(prefix="rec-mem-"))
    path = folder / "ratings.csv"
    rng = np.random.default_rng(0)
    flat = rng.choice(6040 * 3706, rows, replace=False)  # distinct user-item pairs, as a clean upload has
    pairs = (flat // 3706) * 10_000 + flat % 3706
    ratings = rng.choice(np.arange(1, 11) / 2, len(pairs))
    stamps = 10**9 + rng.integers(0, 10**8, len(pairs))
    with open(path, "w") as handle:
        handle.write("user_id,item_id,rating,timestamp\n")
        for start in range(0, len(pairs), 200_000):
            block = pairs[start:start + 200_000]
            lines = [f"u{u},m{i},{r},{s}" for u, i, r, s in zip(block // 10_000, block % 10_000,
                                                               ratings[start:start + 200_000],
                                                               stamps[start:start + 200_000])]
            handle.write("\n".join(lines) + "\n")
    size_mb = path.stat().st_size / 2**20
    output = subprocess.run([sys.executable, "-c", MEMORY_SCRIPT.format(root=str(ROOT), path=str(path))],
                            capture_output=True, text=True, check=True).stdout.split()
    before, peak, seconds, ticks, kept, n_users, n_items = output
    print(f"\n1M-row upload: {len(pairs):,} unique rows, {size_mb:.1f} MB CSV; read + validate + split in "
          f"{seconds} s with {ticks} progress updates; RSS {before} MB before, peak {peak} MB "
          f"(+{int(peak) - int(before)} MB); {n_users} users, {n_items} items")
    path.unlink()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--skip-quality", action="store_true")
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    if not args.skip_memory:
        memory(args.rows)
    if not args.skip_quality:
        quality()


if __name__ == "__main__":
    main()
