"""scikit-learn baselines: the simple models every deep model must beat on the same split."""

from __future__ import annotations

import numpy as np


def flatten_images(x: np.ndarray) -> np.ndarray:
    """(n, h, w, c) images -> (n, h*w*c) rows; module-level so a fitted pipeline pickles."""
    x = np.asarray(x)
    return x.reshape(len(x), -1)


def build_logistic_regression(*, C: float = 1.0, max_iter: int = 1000, tol: float = 1e-3, random_state: int = 0):
    """Flatten -> standardise -> multinomial logistic regression on raw pixels; has predict_proba.

    tol 1e-3 (scikit-learn's default is 1e-4): on 5,000 uploaded 20x20 digits L-BFGS stopped after 27 iterations
    instead of 100 (4 s against 16 s on the loaded box) at the same test accuracy (0.886 against 0.887);
    benchmarks/bench_vision_upload.py measures it.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import FunctionTransformer, StandardScaler

    if not C > 0:
        raise ValueError(f"C must be positive, got {C!r}; smaller C means stronger regularisation, e.g. 1.0.")
    if int(max_iter) < 1:
        raise ValueError(f"max_iter must be at least 1, got {max_iter!r}; use e.g. 1000.")
    return Pipeline(
        steps=[
            ("flatten", FunctionTransformer(flatten_images)),
            ("scale", StandardScaler()),
            ("classifier", LogisticRegression(C=float(C), max_iter=int(max_iter), tol=float(tol),
                                              random_state=random_state)),
        ]
    )
