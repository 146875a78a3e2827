"""Deployment readiness table (not a test; prints numbers, asserts nothing): Keras vs SavedModel vs TFLite float/int8.

Trains the default CNN on digits (and on MNIST-5k with --mnist) with the default settings and
seed 0, then exports it and prints size, single-sample latency p50/p95 and test quality per format.

    .venv/bin/python benchmarks/bench_deployment.py [--epochs 15] [--repeats 200] [--mnist]
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


def table(dataset, *, epochs: int, repeats: int) -> None:
    """Train the default CNN on dataset, then print its deployment report."""
    import keras

    from core.deployment import deployment_report, interpreter_backend
    from core.training.runner import TrainConfig, fit_keras
    from core.usecases.vision.models import build_cnn

    keras.utils.set_random_seed(0)
    model = build_cnn(dataset.input_shape, dataset.num_classes)
    started = time.perf_counter()
    fit_keras(model, dataset.x_train, dataset.y_train, dataset.x_val, dataset.y_val, TrainConfig(epochs=epochs, seed=0))
    trained = time.perf_counter() - started
    with tempfile.TemporaryDirectory(prefix="studio-deploy-") as directory:
        started = time.perf_counter()
        rows = deployment_report(model, dataset.x_test, dataset.y_test, directory=directory, latency_repeats=repeats)
        reported = time.perf_counter() - started
    print(f"\n{dataset.id}: default CNN, {model.count_params():,} parameters, {epochs} epochs "
          f"({trained:.1f} s), {len(dataset.y_test)} test images; report took {reported:.1f} s; "
          f"TFLite interpreter: {interpreter_backend()}")
    print(f"  {'format':22s} {'size':>10s} {'vs keras':>8s} {'p50 ms':>8s} {'p95 ms':>8s} "
          f"{'accuracy':>9s} {'delta pp':>9s} {'max |dp|':>9s}")
    keras_size = rows[0]["size_bytes"]
    for row in rows:
        print(f"  {row['format']:22s} {row['size_bytes'] / 1024:8.1f}KB {row['size_bytes'] / keras_size:8.2f} "
              f"{row['latency_p50_ms']:8.3f} {row['latency_p95_ms']:8.3f} {row['accuracy']:9.4f} "
              f"{100 * row['accuracy_delta']:+9.2f} {row['max_probability_difference']:9.2e}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--repeats", type=int, default=200, help="single-sample latency repeats per format")
    parser.add_argument("--mnist", action="store_true", help="also MNIST-5k (28x28, about a minute more)")
    args = parser.parse_args()

    from core.config import get_settings
    from core.training.device import configure_device
    from core.usecases.vision.data import load_digits_dataset, load_mnist5k

    settings = get_settings()
    device = configure_device(settings.device_policy, mixed_precision=settings.mixed_precision)
    print(f"device: {device.name}")
    table(load_digits_dataset(seed=0), epochs=args.epochs, repeats=args.repeats)
    if args.mnist:
        table(load_mnist5k(seed=0), epochs=args.epochs, repeats=args.repeats)


if __name__ == "__main__":
    main()
