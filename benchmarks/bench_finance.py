"""Credit-risk quality table measured in one run (not a test; prints numbers, asserts nothing).

Each candidate of the finance use case trains through the real pipeline (run_training with an
MLflow tracker in a temp dir) on the fixed split (25% stratified test, seed 0) of each bundled
dataset and reports ROC-AUC, Gini, KS, PR-AUC, accuracy at 0.5, the cost-optimal expected cost
(bad approved 5, good rejected 1), train seconds and single-row serving latency p50.

    .venv/bin/python benchmarks/bench_finance.py [--datasets credit_data lending_club] [--epochs 40]
        [--candidates scorecard gbm mlp wide_deep] [--class-weight balanced] [--balance oversample]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("STUDIO_DATA_DIR", tempfile.mkdtemp(prefix="studio-bench-"))
os.environ.setdefault("STUDIO_OFFLINE", "1")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=["credit_data", "lending_club"])
    parser.add_argument("--candidates", nargs="+", default=["scorecard", "gbm", "mlp", "wide_deep"])
    parser.add_argument("--epochs", type=int, default=None, help="Keras epochs (default: the candidate's)")
    parser.add_argument("--class-weight", default=None, choices=[None, "balanced"])
    parser.add_argument("--balance", default="none", choices=["none", "oversample", "undersample"])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    from core.config import get_settings
    from core.tracking.store import Tracker
    from core.training.pipeline import run_training, TrainingSpec
    from core.training.runner import TrainConfig
    from core.contract import registry
    from core.usecases.finance import USE_CASE

    if registry.USE_CASES.get("finance") is None or registry.USE_CASES["finance"].status != "available":
        registry.USE_CASES["finance"] = USE_CASE
    settings = get_settings()
    tracker = Tracker(settings.tracking_uri, settings.artifact_dir)
    rows = []
    print(f"class_weight={args.class_weight} balance={args.balance} seed={args.seed}", flush=True)
    header = (f"{'dataset':<13} {'model':<10} {'ROC-AUC':>7} {'Gini':>6} {'KS':>6} {'PR-AUC':>6} {'acc@.5':>6} "
              f"{'min cost':>8} {'epochs':>6} {'train s':>7} {'p50 ms':>7}")
    print(header, flush=True)
    for dataset in args.datasets:
        for candidate_id in args.candidates:
            candidate = USE_CASE.candidate(candidate_id)
            epochs = args.epochs if (args.epochs and candidate.kind == "keras") else candidate.default_epochs
            config = TrainConfig(epochs=epochs, batch_size=candidate.default_batch_size,
                                 learning_rate=candidate.default_learning_rate, seed=args.seed,
                                 early_stopping=candidate.kind == "keras", patience=5,
                                 class_weight=args.class_weight)
            started = time.perf_counter()
            outcome = run_training(TrainingSpec("finance", dataset, candidate_id, config,
                                                {"balance": args.balance} if args.balance != "none" else {}),
                                   tracker=tracker, settings=settings)
            m = outcome.metrics
            line = (f"{dataset:<13} {candidate_id:<10} {m['test_roc_auc']:7.3f} {m['test_gini']:6.3f} "
                    f"{m['test_ks']:6.3f} {m['test_pr_auc']:6.3f} {m['test_accuracy']:6.3f} {m['test_min_cost']:8.3f} "
                    f"{int(m['epochs_run']):6d} {m['train_seconds']:7.1f} {m.get('latency_p50_ms', float('nan')):7.2f}")
            rows.append(line)
            print(line, f"  (wall {time.perf_counter() - started:.0f} s)", flush=True)
    print("\n" + header + "\n" + "\n".join(rows))


if __name__ == "__main__":
    main()
