"""Pretrained vs from scratch vs baseline, on the same split, and a learning curve (not a test; prints tables).

Per use case: test accuracy, macro-F1 and training seconds of the baseline, a from-scratch
network and the pretrained candidate, each through its use case's adapter (the app's path
minus MLflow), then the same at 10 / 25 / 50 / 100 % of the training split (stratified subsets,
validation and test splits unchanged), by the app's
learning-curve job (core.training.learning_curve) with its runs tracked in a temporary data dir.

- NLP (bundled English reviews): TF-IDF + logistic regression, fastText-like, and the WordLlama
  model (embeddings shipped in the wordllama wheel: fully offline), fine-tuned in two stages.
  Also the issue's reference: frozen mean-pooled WordLlama vectors + logistic regression.
- Vision (bundled digits): logistic regression, the CNN, and MobileNetV3-Small. ImageNet weights
  need a one-time download that this offline machine cannot make, so the pretrained figure
  cannot be had here: the backbone is measured RANDOMLY INITIALISED and trained from scratch
  (batch norm trainable, all layers), flagged as such. With STUDIO_OFFLINE=0 and a network,
  --imagenet measures the real two-stage fine-tune.

    nice -n 10 .venv/bin/python benchmarks/bench_pretrained.py [--use-cases nlp,vision] [--fractions 0.1,0.25,0.5,1]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("STUDIO_DATA_DIR", tempfile.mkdtemp(prefix="studio-bench-"))

import numpy as np  # noqa: E402


def train(adapter, candidate, dataset, *, epochs: int | None = None, seed: int = 0, plain_fit: bool = False,
          **build_overrides) -> dict:
    """Build, fit and evaluate one candidate; plain_fit trains every layer at once (no two stages)."""
    import keras

    from core.training.pipeline import build_candidate, fit_candidate
    from core.training.runner import TrainConfig, fit_keras

    keras.utils.set_random_seed(seed)
    config = TrainConfig(epochs=(epochs or candidate.default_epochs) if candidate.kind == "keras" else 1,
                         batch_size=candidate.default_batch_size, learning_rate=candidate.default_learning_rate,
                         seed=seed)
    started = time.perf_counter()
    if build_overrides:
        model = candidate.build(dataset.input_shape, dataset.num_classes, **build_overrides)
    else:
        model = build_candidate(candidate, adapter, dataset, seed=seed)
    if plain_fit:
        result = fit_keras(model, dataset.x_train, dataset.y_train, dataset.x_val, dataset.y_val, config)
    else:
        result = fit_candidate(model, candidate, adapter, dataset, config, cancel_event=threading.Event())
    seconds = time.perf_counter() - started
    evaluation = adapter.evaluate(model, candidate.kind, dataset)
    parameters = int(model.count_params()) if hasattr(model, "count_params") else None
    return {"accuracy": evaluation["accuracy"], "macro_f1": evaluation["macro_f1"], "seconds": seconds,
            "epochs": result.epochs_run, "p50_ms": evaluation.get("p50_ms", float("nan")), "parameters": parameters}


def frozen_wordllama_logreg(dataset) -> dict:
    """The issue's reference: mean of the frozen WordLlama word vectors per text, then logistic regression."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import accuracy_score, f1_score

    from core.usecases.nlp.tokenise import tokens
    from core.usecases.nlp.wordllama import word_vectors

    started = time.perf_counter()

    def embed(texts):
        rows = []
        for text in texts:
            words = tokens(str(text), "whitespace") or [""]
            rows.append(word_vectors(words).mean(axis=0))
        return np.asarray(rows)

    model = LogisticRegression(max_iter=2000, C=10.0).fit(embed(dataset.x_train), dataset.y_train)
    predicted = model.predict(embed(dataset.x_test))
    return {"accuracy": accuracy_score(dataset.y_test, predicted),
            "macro_f1": f1_score(dataset.y_test, predicted, average="macro"),
            "seconds": time.perf_counter() - started, "epochs": 1, "p50_ms": float("nan"), "parameters": 514}


def row(label: str, start: str, figures: dict) -> str:
    params = f"{figures['parameters']:,}" if figures.get("parameters") else "–"
    return (f"| {label} | {start} | {figures['accuracy']:.3f} | {figures['macro_f1']:.3f} | {figures['seconds']:.1f} "
            f"| {figures['epochs']} | {params} | {figures['p50_ms']:.2f} |")


HEADER = ("| model | starting point | accuracy | macro-F1 | train s | epochs | parameters | p50 ms |\n"
          "|---|---|---|---|---|---|---|---|")


def nlp(fractions) -> None:
    from core.usecases.nlp import USE_CASE
    from core.usecases.nlp.adapter import ADAPTER
    from core.usecases.nlp.data import load_english_reviews

    data = load_english_reviews(seed=0)
    print(f"\n## NLP: bundled English reviews ({len(data.y_train)} train / {len(data.y_test)} test), "
          f"{os.cpu_count()} CPU cores\n")
    print(HEADER)
    chosen = [("tfidf_logreg", "baseline"), ("fasttext", "from scratch"), ("wordllama", "pretrained (WordLlama)")]
    for cid, start in chosen:
        print(row(cid, start, train(ADAPTER, USE_CASE.candidate(cid), data)), flush=True)
    print(row("frozen WordLlama mean + logistic regression", "pretrained, frozen", frozen_wordllama_logreg(data)))
    curve("nlp", "en_reviews", [cid for cid, _ in chosen], fractions)


def vision(fractions, imagenet: bool) -> None:
    from core.usecases.vision import USE_CASE
    from core.usecases.vision.adapter import ADAPTER as IMAGE_CLASSIFICATION
    from core.usecases.vision.data import load_digits_dataset

    data = load_digits_dataset(seed=0)
    print(f"\n## Vision: bundled digits 8x8 ({len(data.y_train)} train / {len(data.y_test)} test)\n")
    print(HEADER)
    for cid, start in (("logreg", "baseline"), ("cnn", "from scratch")):
        print(row(cid, start, train(IMAGE_CLASSIFICATION, USE_CASE.candidate(cid), data)), flush=True)
    small = USE_CASE.candidate("mobilenet_v3_small")
    if imagenet:
        print(row("mobilenet_v3_small (96 px)", "pretrained (ImageNet), two stages",
                  train(IMAGE_CLASSIFICATION, small, data)), flush=True)
    else:
        print("| mobilenet_v3_small, ImageNet | pretrained | not measurable here: the one-time 4 MB download "
              "needs a network | | | | | |")
    figures = train(IMAGE_CLASSIFICATION, small, data, epochs=15, plain_fit=True, image_size=32,
                    freeze_batch_norm=False)
    print(row("mobilenet_v3_small (32 px) RANDOM INIT", "from scratch (no ImageNet weights offline)", figures))
    curve("vision", "digits", ["logreg", "cnn"], fractions)


def curve(use_case: str, dataset: str, candidate_ids, fractions) -> None:
    """The app's learning-curve job (core.training.learning_curve), run here in one thread; runs tracked in tmp."""
    from core.tracking.store import tracker_from_settings
    from core.selection.learning_curve import examples_needed
    from core.training.learning_curve import LearningCurveJob, run_learning_curve

    job = LearningCurveJob(use_case, dataset, list(candidate_ids), tracker_from_settings(), fractions=fractions)
    points = run_learning_curve(job)["points"]
    sizes = sorted({p["train_size"] for p in points})
    print(f"\n### Learning curve: test accuracy by labelled training examples (share of {sizes[-1]})\n")
    print("| model | " + " | ".join(f"{n} ({n / sizes[-1]:.0%})" for n in sizes) + " | examples needed (within 1 pt of best) |")
    print("|---|" + "---|" * (len(sizes) + 1))
    for cid in candidate_ids:
        mine = {p["train_size"]: p["test_accuracy"] for p in points if p["model"] == cid}
        needed = examples_needed(list(mine), list(mine.values()))
        needed = f">= {needed} (still improving)" if len(mine) > 1 and needed == max(mine) else needed
        print(f"| {cid} | " + " | ".join(f"{mine[n]:.3f}" if n in mine else "–" for n in sizes)
              + f" | {needed} |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--use-cases", default="nlp,vision")
    parser.add_argument("--fractions", default="0.1,0.25,0.5,1")
    parser.add_argument("--imagenet", action="store_true", help="download ImageNet weights (needs a network)")
    args = parser.parse_args()
    if not args.imagenet:
        os.environ.setdefault("STUDIO_OFFLINE", "1")
    fractions = [float(f) for f in args.fractions.split(",")]
    for name in args.use_cases.split(","):
        {"nlp": lambda: nlp(fractions), "vision": lambda: vision(fractions, args.imagenet)}[name]()


if __name__ == "__main__":
    main()
