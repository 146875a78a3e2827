"""Walkthrough recompute after a widget change (budget <= 100 ms), and the one-off TensorFlow check, in ms.

Run: .venv/bin/python benchmarks/bench_walkthrough.py
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.walkthrough.tiny_net import (  # noqa: E402
    ARTICLE_PRESET,
    NetworkSpec,
    gradient_check,
    init_weights,
    train,
    walk,
    weight_tables,
    parse_weight_table,
)
from dashboard.walkthrough_charts import plot_loss_history, plot_network  # noqa: E402

BUDGET_MS = 100.0


def timed(fn, repeats: int = 30) -> tuple[float, float]:
    """(median, p95) wall time of fn() in milliseconds, after one warm-up call."""
    fn()
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000.0)
    samples.sort()
    return statistics.median(samples), samples[int(0.95 * (len(samples) - 1))]


def main() -> None:
    cases = {
        "article 1-3-1": (ARTICLE_PRESET.spec, ARTICLE_PRESET.weights(), ARTICLE_PRESET.x, ARTICLE_PRESET.label),
    }
    big = NetworkSpec((4, 6, 6, 6, 4), ("relu", "tanh", "sigmoid", "softmax"), "categorical_crossentropy")
    cases["max 4-6-6-6-4"] = (big, init_weights(big, random_state=0), (0.5, -1.0, 1.0, 0.2), 1)
    big_mse = NetworkSpec((4, 6, 6, 6, 4), ("sigmoid", "relu", "tanh", "softmax"), "mse")
    cases["max 4-6-6-6-4 softmax+MSE"] = (big_mse, init_weights(big_mse, random_state=1), (1, 2, 3, 4),
                                          (0.0, 1.0, 0.0, 0.0))

    print(f"{'case':28s} {'part':48s} {'median ms':>10s} {'p95 ms':>8s}")
    for name, (spec, params, x, label) in cases.items():
        tables = [t.map(lambda v: format(float(v), ".12g")) for t in weight_tables(spec, params)]
        history = train(spec, params, x, label, learning_rate=0.1, n_steps=50).losses

        def numpy_only():
            return walk(spec, params, x, label, learning_rate=0.1)

        def recompute():
            parsed = parse_weight_table(spec, tables)
            w = walk(spec, parsed, x, label, learning_rate=0.1)
            plot_network(w, step=w.steps[len(w.steps) // 2]).to_json()
            plot_loss_history(history, loss_name=spec.loss).to_json()
            return w

        def train_10():
            return train(spec, params, x, label, learning_rate=0.1, n_steps=10)

        w = numpy_only()
        rows = [
            ("NumPy: forward+backward+steps", timed(numpy_only)),
            ("page recompute: table+NumPy+diagram+loss chart", timed(recompute, repeats=20)),
            ("train 10 steps", timed(train_10)),
        ]
        for part, (median, p95) in rows:
            print(f"{name:28s} {part:48s} {median:10.2f} {p95:8.2f}")
        print(f"{name:28s} {'steps shown':48s} {len(w.steps):10d}")

        start = time.perf_counter()
        diffs = gradient_check(w)
        first = (time.perf_counter() - start) * 1000.0
        median, _ = timed(lambda: gradient_check(w), repeats=5)
        print(f"{name:28s} {'TF GradientTape check (1st call)':48s} {first:10.1f}")
        print(f"{name:28s} {'TF GradientTape check (warm)':48s} {median:10.2f}   max |diff| = {max(diffs.values()):.1e}")

    print(f"\nBudget: recompute after a widget change <= {BUDGET_MS:.0f} ms (NumPy and figures; the TF check runs "
          "once per new weights at the bottom of the page, cached per session).")


if __name__ == "__main__":
    main()
