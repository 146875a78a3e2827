"""The finance task adapter: raw applicant columns in, P(bad) out, credit metrics in evaluation.json."""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from core.data.dataset import Dataset
from core.errors import ModelLoadError
from core.evaluation.serving import measure_latency
from core.training.adapters import ClassificationAdapter
from core.usecases.finance.explain import background_sample, background_size, permutation_importance, sampled_shapley
from core.usecases.finance.metrics import binary_report

EXAMPLE_BACKGROUND = 40


def feature_names(dataset: Dataset) -> dict[str, str]:
    """Input key -> original column name."""
    return {f["key"]: f["name"] for f in dataset.extra.get("features", [])}


def default_applicant_index(dataset: Dataset) -> int:
    """The test applicant shown by default: the first bad applicant in the test split (a real row)."""
    bad = np.flatnonzero(np.asarray(dataset.y_test) == 1)
    return int(bad[0]) if len(bad) else 0


def row(x: dict[str, np.ndarray], index: int) -> dict[str, np.ndarray]:
    return {key: np.asarray(values)[index:index + 1] for key, values in x.items()}


def row_latency(model: Any, dataset: Dataset) -> dict[str, float]:
    """p50/p95 ms of one raw applicant row: through the compiled serving function (a network) or predict_proba."""
    from core.usecases.finance.models import columns_frame, is_keras, keras_inputs, serving_function

    if is_keras(model):
        serve, fed = serving_function(model), keras_inputs(model, row(dataset.x_test, 0))
        stats = measure_latency(lambda _: serve(fed), np.zeros((1, 1), np.float32), warmup=10, repeats=100)
        return {"p50_ms": stats["p50_ms"], "p95_ms": stats["p95_ms"]}
    from threadpoolctl import threadpool_limits

    frame = columns_frame(row(dataset.x_test, 0))
    # One row needs no thread pool; OpenMP workers (boosting) only add hand-off time on busy cores.
    with threadpool_limits(limits=1):
        stats = measure_latency(lambda _: model.predict_proba(frame), np.zeros((1, 1), np.float32),
                                warmup=5, repeats=50)
    return {"p50_ms": stats["p50_ms"], "p95_ms": stats["p95_ms"]}


class CreditRiskAdapter(ClassificationAdapter):
    """Binary credit risk on a dict of raw columns (class 1 = bad); Keras models output sigmoid P(bad)."""

    loss = "binary_crossentropy"

    def describe(self, dataset: Dataset) -> dict[str, Any]:
        features = dataset.extra.get("features", [])
        return {"features": len(features),
                "numeric_features": sum(f["kind"] == "numeric" for f in features),
                "categorical_features": sum(f["kind"] == "categorical" for f in features),
                "bad_rate": round(float(dataset.extra.get("bad_rate", np.mean(dataset.y_train))), 4),
                "balance": dataset.extra.get("balance", "none"), "num_classes": 2}

    metrics_per_epoch = ("auc",)

    def builder_args(self, dataset: Dataset) -> dict[str, Any]:
        """Credit models take the column descriptions; networks also the training rows (to adapt their encoders)."""
        return {"features": dataset.extra["features"], "x_train": dataset.x_train}

    def network_inputs(self, model: Any, x: Any) -> Any:
        """The network's named inputs: one float32 or string tensor per raw column."""
        from core.usecases.finance.models import keras_inputs

        return keras_inputs(model, x)

    def evaluate(self, model: Any, kind: str, dataset: Dataset, *, latency: bool = True) -> dict[str, Any]:
        from core.usecases.finance.models import predict_bad

        started = time.perf_counter()
        score = predict_bad(model, dataset.x_test)
        predict_seconds = time.perf_counter() - started
        report = binary_report(dataset.y_test, score)
        names = feature_names(dataset)
        predict = lambda x: predict_bad(model, x)  # noqa: E731 - a small closure for the explainers
        importance = permutation_importance(predict, dataset.x_test, dataset.y_test, repeats=3, random_state=0)
        example = default_applicant_index(dataset)
        size = background_size(len(dataset.x_train), most=EXAMPLE_BACKGROUND)
        background = background_sample(dataset.x_train, size=size, random_state=dataset.seed)
        local = sampled_shapley(predict, row(dataset.x_test, example), background, permutations=16)
        evaluation: dict[str, Any] = {
            **report,
            "accuracy": report["accuracy_at_half"],
            "class_names": list(dataset.class_names),
            "y_true": [int(v) for v in dataset.y_test],
            "y_pred": [int(v) for v in (score >= 0.5)],
            "scores": [round(float(v), 6) for v in score],
            "importance": [{**item, "name": names.get(item["key"], item["key"])} for item in importance],
            "example": {"index": example, "score": float(score[example]), **local,
                        "names": {k: names.get(k, k) for k in local["contributions"]}},
            "features": [{"key": f["key"], "name": f["name"], "kind": f["kind"]} for f in dataset.extra["features"]],
            "predict_seconds": predict_seconds,
            "dataset_fingerprint": dataset.fingerprint,
        }
        if len(dataset.y_val):  # the business case picks its threshold here, not on the test rows it reports
            evaluation["validation"] = {"y_true": [int(v) for v in dataset.y_val],
                                        "scores": [round(float(v), 6) for v in predict_bad(model, dataset.x_val)]}
        if latency:
            evaluation.update(row_latency(model, dataset))
        return evaluation

    def metrics(self, evaluation: dict[str, Any]) -> dict[str, float]:
        metrics = {"test_roc_auc": float(evaluation["roc_auc"]), "test_gini": float(evaluation["gini"]),
                   "test_ks": float(evaluation["ks"]), "test_pr_auc": float(evaluation["pr_auc"]),
                   "test_accuracy": float(evaluation["accuracy_at_half"]), "test_brier": float(evaluation["brier"]),
                   "test_min_cost": float(evaluation["optimal"]["expected_cost"])}
        for name in ("p50_ms", "p95_ms"):
            if name in evaluation:
                metrics[f"latency_{name}"] = float(evaluation[name])
        return metrics

    def throughput(self, model: Any, kind: str, dataset: Dataset) -> float | None:
        from core.usecases.finance.models import predict_bad

        predict_bad(model, dataset.x_test)
        started = time.perf_counter()
        predict_bad(model, dataset.x_test)
        return float(len(dataset.y_test) / max(time.perf_counter() - started, 1e-9))

    def check_imported(self, model: Any, dataset: Dataset) -> None:
        expected = {f["key"] for f in dataset.extra.get("features", [])}
        names = {getattr(t, "name", "") for t in getattr(model, "inputs", [])}
        if names != expected:
            raise ModelLoadError("errors.finance.import_inputs", missing=", ".join(sorted(expected - names)[:6]) or "-",
                                 extra=", ".join(sorted(names - expected)[:6]) or "-")
        if int(model.outputs[0].shape[-1]) != 1:
            raise ModelLoadError("errors.finance.import_outputs", outputs=int(model.outputs[0].shape[-1]))


ADAPTER = CreditRiskAdapter()


def unseen_categories(dataset: Dataset, applicant: dict[str, Any]) -> list[tuple[str, str]]:
    """(column, value) pairs of an applicant whose category never occurred in training (they go to OOV)."""
    unseen = []
    for feature in dataset.extra.get("features", []):
        if feature["kind"] != "categorical":
            continue
        value = str(np.asarray(applicant[feature["key"]]).reshape(-1)[0])
        if value and value not in set(feature.get("vocabulary", [])):
            unseen.append((feature["name"], value))
    return unseen


def score_applicant(model: Any, dataset: Dataset, applicant: dict[str, Any], *, threshold: float,
                    permutations: int = 16) -> dict[str, Any]:
    """Score, decision and reasons (sampled Shapley, log-odds) for one raw applicant row."""
    from core.usecases.finance.models import predict_bad

    one = {key: np.asarray(values).reshape(-1)[:1] for key, values in applicant.items()}
    score = float(predict_bad(model, one)[0])
    size = background_size(len(dataset.x_train), most=EXAMPLE_BACKGROUND)
    background = background_sample(dataset.x_train, size=size, random_state=dataset.seed)
    local = sampled_shapley(lambda x: predict_bad(model, x), one, background, permutations=permutations)
    names = feature_names(dataset)
    reasons = sorted(({"key": k, "name": names.get(k, k), "contribution": v} for k, v in local["contributions"].items()),
                     key=lambda r: -abs(r["contribution"]))
    return {"score": score, "decision": "reject" if score >= threshold else "approve", "threshold": float(threshold),
            "reasons": reasons, "base_logit": local["base_logit"], "unseen": unseen_categories(dataset, one),
            "method": local["method"], "permutations": local["permutations"], "background": local["background"]}
