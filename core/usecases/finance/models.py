"""Credit-risk models on raw applicant columns: a scorecard, gradient boosting and two Keras models.

Every model takes the Dataset's dict of raw columns (numbers with NaN, category strings with ""
for missing) and returns P(bad). The Keras models carry their preprocessing inside the saved
model (NaN imputation with built-in ops, Normalization adapted on train, StringLookup with an
out-of-vocabulary bucket), so a raw applicant row goes in and a probability comes out, and the
.keras file loads in safe mode (no Lambda layers, no custom classes).
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.pipeline import Pipeline

MISSING_TOKEN = ""


def columns_frame(x: Any) -> pd.DataFrame:
    """A dict of column arrays (or a frame) as a DataFrame for scikit-learn pipelines."""
    if isinstance(x, pd.DataFrame):
        return x
    return pd.DataFrame({key: np.asarray(values).reshape(-1) for key, values in x.items()})


class ColumnsToFrame(TransformerMixin, BaseEstimator):
    """Pipeline step: the dict of raw columns as a DataFrame (scikit-learn cannot validate dicts itself)."""

    def fit(self, x, y=None):
        return self

    def transform(self, x):
        return columns_frame(x)


class CreditPipeline(Pipeline):
    """A Pipeline that counts its fitted parameters (coefficients, or tree nodes for boosting)."""

    def count_params(self) -> int:
        model = self.steps[-1][1]
        predictors = getattr(model, "_predictors", None)
        if predictors is not None:  # HistGradientBoosting: one small tree per iteration
            return int(sum(len(tree.nodes) for trees in predictors for tree in trees))
        return int(_sklearn_parameters(self) or 0)


def _frame_step() -> ColumnsToFrame:
    return ColumnsToFrame()


def _split_features(features: Sequence[dict]) -> tuple[list[str], list[str]]:
    numeric = [f["key"] for f in features if f["kind"] == "numeric"]
    categorical = [f["key"] for f in features if f["kind"] == "categorical"]
    return numeric, categorical


def build_scorecard(features: Sequence[dict], *, C: float = 1.0, max_iter: int = 2000, random_state: int = 0):
    """Logistic-regression scorecard: median imputation + missing flags, standardisation, one-hot categories."""
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    numeric, categorical = _split_features(features)
    transformers = []
    if numeric:
        transformers.append(("numeric", make_pipeline(SimpleImputer(strategy="median", add_indicator=True),
                                                      StandardScaler()), numeric))
    if categorical:
        transformers.append(("categorical", OneHotEncoder(handle_unknown="ignore"), categorical))
    return CreditPipeline([
        ("frame", _frame_step()),
        ("prepare", ColumnTransformer(transformers)),
        ("model", LogisticRegression(C=C, max_iter=max_iter, random_state=random_state)),
    ])


def build_gradient_boosting(features: Sequence[dict], *, learning_rate: float = 0.05, max_iter: int = 300,
                            max_leaf_nodes: int = 15, min_samples_leaf: int = 40, random_state: int = 0):
    """Histogram gradient boosting with native missing values and native categories (ordinal codes)."""
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.preprocessing import OrdinalEncoder

    numeric, categorical = _split_features(features)
    transformers = []
    if categorical:
        transformers.append(("categorical", OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=np.nan,
                                                           encoded_missing_value=np.nan), categorical))
    if numeric:
        transformers.append(("numeric", "passthrough", numeric))
    categorical_mask = [True] * len(categorical) + [False] * len(numeric)
    return CreditPipeline([
        ("frame", _frame_step()),
        ("prepare", ColumnTransformer(transformers)),
        ("model", HistGradientBoostingClassifier(
            learning_rate=learning_rate, max_iter=max_iter, max_leaf_nodes=max_leaf_nodes,
            min_samples_leaf=min_samples_leaf, categorical_features=categorical_mask if categorical else None,
            early_stopping=False, l2_regularization=1.0, random_state=random_state)),
    ])


def _numeric_block(keras, key: str, values: np.ndarray, median: float):
    """Raw number (NaN allowed) -> [normalised value with NaN as the training median, missing flag]."""
    inputs = keras.Input(shape=(1,), name=key, dtype="float32")
    missing = keras.ops.isnan(inputs)
    filled = keras.ops.where(missing, keras.ops.full_like(inputs, median), inputs)
    # Mean and variance of the median-filled training column, given directly: same result as adapt(),
    # without one data pass per column (200 columns took over a minute).
    clean = np.where(np.isnan(values), median, values).astype("float64")
    variance = float(clean.var()) if len(clean) else 1.0
    normalise = keras.layers.Normalization(mean=float(clean.mean()) if len(clean) else 0.0,
                                           variance=variance if variance > 0 else 1.0, name=f"{key}_normalise")
    flag = keras.ops.cast(missing, "float32")
    return inputs, normalise(filled), flag


def _category_block(keras, key: str, vocabulary: Sequence[str]):
    """Raw category string -> index with index 0 for unseen values and "" (missing) as its own token."""
    inputs = keras.Input(shape=(1,), name=key, dtype="string")
    lookup = keras.layers.StringLookup(vocabulary=[MISSING_TOKEN, *[v for v in vocabulary if v != MISSING_TOKEN]],
                                       num_oov_indices=1, name=f"{key}_lookup")
    return inputs, lookup


def _preprocessed_inputs(keras, features: Sequence[dict], x_train: dict[str, np.ndarray], *, embed: bool):
    """Named raw inputs and their encoded tensors: (inputs, numeric tensors, category one-hots, embeddings)."""
    inputs, numeric_parts, one_hots, embeddings = {}, [], [], []
    for feature in features:
        key = feature["key"]
        if feature["kind"] == "numeric":
            raw, normalised, flag = _numeric_block(keras, key, np.asarray(x_train[key], dtype="float32"),
                                                   float(feature.get("median", 0.0)))
            inputs[key] = raw
            numeric_parts.extend([normalised, flag])
        else:
            raw, lookup = _category_block(keras, key, feature.get("vocabulary", []))
            inputs[key] = raw
            index = lookup(raw)
            size = lookup.vocabulary_size()
            one_hots.append(keras.layers.CategoryEncoding(num_tokens=size, output_mode="one_hot",
                                                          name=f"{key}_one_hot")(index))
            if embed:
                dim = int(min(8, max(2, round(1.6 * size ** 0.56))))
                vector = keras.layers.Embedding(size, dim, name=f"{key}_embedding")(index)
                embeddings.append(keras.layers.Flatten(name=f"{key}_flatten")(vector))
    return inputs, numeric_parts, one_hots, embeddings


def _concat(keras, parts: list, name: str):
    return parts[0] if len(parts) == 1 else keras.layers.Concatenate(name=name)(parts)


def build_mlp(features: Sequence[dict], x_train: dict[str, np.ndarray], *, units: Sequence[int] = (64, 32),
              dropout: float = 0.2):
    """Keras MLP on raw columns: in-model imputation, normalisation and one-hot categories, sigmoid P(bad)."""
    import keras

    inputs, numeric_parts, one_hots, _ = _preprocessed_inputs(keras, features, x_train, embed=False)
    hidden = _concat(keras, numeric_parts + one_hots, "all_features")
    for index, width in enumerate(units):
        hidden = keras.layers.Dense(int(width), activation="relu", name=f"hidden_{index + 1}")(hidden)
        if dropout:
            hidden = keras.layers.Dropout(float(dropout), name=f"dropout_{index + 1}")(hidden)
    output = keras.layers.Dense(1, activation="sigmoid", name="probability_bad")(hidden)
    return keras.Model(inputs=inputs, outputs=output, name="credit_mlp")


def build_wide_and_deep(features: Sequence[dict], x_train: dict[str, np.ndarray], *,
                        units: Sequence[int] = (64, 32), dropout: float = 0.2):
    """Keras wide-and-deep: a linear (wide) part on one-hots and numbers plus a deep part with embeddings."""
    import keras

    inputs, numeric_parts, one_hots, embeddings = _preprocessed_inputs(keras, features, x_train, embed=True)
    wide_in = _concat(keras, numeric_parts + one_hots, "wide_features")
    wide = keras.layers.Dense(1, name="wide_logit")(wide_in)
    deep = _concat(keras, numeric_parts + embeddings, "deep_features")
    for index, width in enumerate(units):
        deep = keras.layers.Dense(int(width), activation="relu", name=f"deep_{index + 1}")(deep)
        if dropout:
            deep = keras.layers.Dropout(float(dropout), name=f"deep_dropout_{index + 1}")(deep)
    deep_logit = keras.layers.Dense(1, name="deep_logit")(deep)
    logit = keras.layers.Add(name="wide_plus_deep")([wide, deep_logit])
    output = keras.layers.Activation("sigmoid", name="probability_bad")(logit)
    return keras.Model(inputs=inputs, outputs=output, name="credit_wide_and_deep")


# ---------------------------------------------------------------------------------------------
# Feeding and scoring raw columns


def keras_inputs(model: Any, x: dict[str, Any]) -> dict[str, Any]:
    """Raw columns as the tensors a Keras credit model takes: float32 (n, 1) and tf.string (n, 1)."""
    import tensorflow as tf

    fed = {}
    for tensor in model.inputs:
        key = tensor.name
        values = np.asarray(x[key]).reshape(-1, 1)
        if "string" in str(tensor.dtype):
            fed[key] = tf.constant(np.where(pd.isna(values), MISSING_TOKEN, values).astype(str).astype(object))
        else:
            fed[key] = tf.constant(_to_float(values))
    return fed


def _to_float(values: np.ndarray) -> np.ndarray:
    """Numbers as float32 with NaN for anything missing or not a number."""
    if values.dtype.kind in "fiub":
        return values.astype("float32")
    return pd.to_numeric(pd.Series(values.reshape(-1)), errors="coerce").to_numpy(dtype="float32").reshape(values.shape)


def is_keras(model: Any) -> bool:
    return is_keras_model(model)


import weakref

from core.models.io import _sklearn_parameters, is_keras_model

_SERVE_CACHE: "weakref.WeakKeyDictionary[Any, Any]" = weakref.WeakKeyDictionary()


def serving_function(model: Any):
    """A traced tf.function taking a dict of raw column tensors (one signature) and returning P(bad) (n,)."""
    import tensorflow as tf

    try:
        return _SERVE_CACHE[model]
    except (KeyError, TypeError):
        pass
    reference = weakref.ref(model)
    signature = {tensor.name: tf.TensorSpec(shape=(None, 1), dtype=tf.string if "string" in str(tensor.dtype)
                                            else tf.float32, name=tensor.name) for tensor in model.inputs}

    @tf.function(input_signature=[signature], reduce_retracing=True)
    def serve(columns):
        return tf.reshape(tf.cast(reference()(columns, training=False), tf.float32), [-1])

    serve.get_concrete_function()
    try:
        _SERVE_CACHE[model] = serve
    except TypeError:
        pass
    return serve


def predict_bad(model: Any, x: dict[str, Any], *, batch_size: int = 4096) -> np.ndarray:
    """P(bad) for each row of raw columns, for a Keras credit model or a scikit-learn pipeline."""
    n = len(np.asarray(next(iter(x.values()))))
    if n == 0:
        return np.zeros(0, dtype=np.float64)
    if is_keras(model):
        serve = serving_function(model)
        fed = keras_inputs(model, x)
        parts = []
        for begin in range(0, n, batch_size):
            parts.append(serve({k: v[begin:begin + batch_size] for k, v in fed.items()}).numpy())
        return np.concatenate(parts).astype(np.float64)
    proba = np.asarray(model.predict_proba(columns_frame(x)))
    return proba[:, 1].astype(np.float64)
