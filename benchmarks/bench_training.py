"""Training and serving figures measured in one run (not a test; prints numbers, asserts nothing).

1. In-app training throughput / plain `model.fit` throughput, same model, data, seed and
   epochs. "In-app" is the whole path a Train click takes: the background JobQueue, the
   pipeline with progress, cancel, NaN and finite-weight callbacks, and per-epoch MLflow
   logging. Both sides are timed as the wall time of compile + fit; runs alternate so
   machine load hits both alike. Budget: >= 0.95.
2. Single-sample latency of the compiled serving function vs `model.predict`.
3. Test accuracy and training seconds of the default candidates on the bundled datasets.

    .venv/bin/python benchmarks/bench_training.py [--pairs 3] [--epochs 8] [--quality] [--fashion]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("STUDIO_DATA_DIR", tempfile.mkdtemp(prefix="studio-bench-"))
os.environ.setdefault("STUDIO_OFFLINE", "1")


def plain_fit_seconds(dataset, *, epochs: int, batch_size: int, seed: int) -> float:
    """compile + fit of the default CNN with nothing but Keras."""
    import keras

    from core.usecases.vision.models import build_cnn

    keras.utils.set_random_seed(seed)
    model = build_cnn(dataset.input_shape, dataset.num_classes)
    started = time.perf_counter()
    keras.utils.set_random_seed(seed)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(dataset.x_train, dataset.y_train, validation_data=(dataset.x_val, dataset.y_val), epochs=epochs,
              batch_size=batch_size, verbose=0)
    return time.perf_counter() - started


def in_app_fit_seconds(queue, tracker, *, epochs: int, batch_size: int, seed: int) -> tuple[float, float]:
    """(fit seconds, test accuracy) of the same CNN trained as the lab trains it: a queued job."""
    from core.training.pipeline import make_training_job, TrainingSpec

    from core.training.runner import TrainConfig

    spec = TrainingSpec("vision", "digits", "cnn", TrainConfig(epochs=epochs, batch_size=batch_size, seed=seed))
    job_id = queue.submit(make_training_job(spec, tracker), title=spec.title(), meta={})
    state = queue.wait(job_id, timeout=3600)
    if state.state != "completed":
        raise RuntimeError(f"in-app training ended as {state.state}: {state.error}")
    outcome = state.result
    return outcome.metrics["train_seconds"], outcome.metrics["test_accuracy"]


def latency_figures() -> None:
    from core.evaluation.serving import measure_latency, serving_function
    from core.data.cache import load_dataset
    from core.usecases.vision.models import build_cnn

    digits = load_dataset("vision", "digits")
    model = build_cnn(digits.input_shape, digits.num_classes)
    sample = digits.x_test[:1]
    served = measure_latency(serving_function(model), sample, repeats=300)
    predicted = measure_latency(lambda x: model.predict(x, verbose=0), sample, warmup=5, repeats=60)
    print(f"single-sample latency, digits CNN: serving function p50 {served['p50_ms']:.2f} ms / "
          f"p95 {served['p95_ms']:.2f} ms; model.predict p50 {predicted['p50_ms']:.1f} ms / "
          f"p95 {predicted['p95_ms']:.1f} ms ({predicted['p50_ms'] / served['p50_ms']:.0f}x slower)")


def quality_figures(tracker, *, fashion: bool) -> None:
    from core.training.pipeline import run_training, TrainingSpec
    from core.training.runner import TrainConfig

    cases = [("digits", "logreg"), ("digits", "mlp"), ("digits", "cnn"), ("digits", "cnn_regularised"),
             ("mnist5k", "logreg"), ("mnist5k", "cnn")]
    if fashion:
        cases += [("fashion_mnist", "logreg"), ("fashion_mnist", "cnn")]
    from core.contract.registry import get_use_case

    use_case = get_use_case("vision")
    print("\ntest accuracy with default settings (seed 0):")
    for dataset, candidate_id in cases:
        candidate = use_case.candidate(candidate_id)
        spec = TrainingSpec("vision", dataset, candidate_id, TrainConfig(epochs=candidate.default_epochs,
                                                                         batch_size=candidate.default_batch_size))
        outcome = run_training(spec, tracker=tracker)
        print(f"  {dataset:14s} {candidate_id:16s} accuracy {outcome.metrics['test_accuracy']:.4f}  "
              f"train {outcome.metrics['train_seconds']:7.1f} s  epochs {int(outcome.metrics['epochs_run'])}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=3, help="alternating plain/in-app pairs")
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--quality", action="store_true", help="also train every default candidate")
    parser.add_argument("--fashion", action="store_true", help="with --quality: Fashion-MNIST too (minutes)")
    args = parser.parse_args()

    from core.config import get_settings
    from core.tracking.store import tracker_from_settings
    from core.training.device import configure_device
    from core.training.jobs import JobQueue
    from core.data.cache import load_dataset

    settings = get_settings()
    device = configure_device(settings.device_policy, mixed_precision=settings.mixed_precision)
    tracker = tracker_from_settings(settings)
    queue = JobQueue()
    digits = load_dataset("vision", "digits")
    print(f"device: {device.name}; digits train {len(digits.y_train)} images; {args.epochs} epochs, "
          f"batch {args.batch_size}; {args.pairs} alternating pairs")

    plain_fit_seconds(digits, epochs=1, batch_size=args.batch_size, seed=0)  # warm TensorFlow up for both sides
    plain, in_app = [], []
    for pair in range(args.pairs):
        plain.append(plain_fit_seconds(digits, epochs=args.epochs, batch_size=args.batch_size, seed=pair))
        seconds, _ = in_app_fit_seconds(queue, tracker, epochs=args.epochs, batch_size=args.batch_size, seed=pair)
        in_app.append(seconds)
    ratios = [p / a for p, a in zip(plain, in_app)]
    print(f"plain model.fit:  {', '.join(f'{s:.2f}' for s in plain)} s")
    print(f"in-app (queued):  {', '.join(f'{s:.2f}' for s in in_app)} s")
    print(f"in-app throughput / plain model.fit throughput: median {statistics.median(ratios):.3f} "
          f"(pairs: {', '.join(f'{r:.3f}' for r in ratios)}; budget >= 0.95)")

    latency_figures()
    if args.quality:
        quality_figures(tracker, fashion=args.fashion)


if __name__ == "__main__":
    main()
