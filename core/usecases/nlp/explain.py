"""Explain one prediction: class probabilities, each token's contribution by occlusion, the share of
unknown tokens, truncation, and (Transformer) the self-attention weights.

Occlusion is model-agnostic and honest: every token is removed in turn and the drop in the
predicted class's probability is that token's contribution (positive = it pushed towards the
predicted class). It works identically for the TF-IDF baseline and every Keras model.
"""

from __future__ import annotations

import weakref
from typing import Any, Sequence

import numpy as np

from core.errors import DataError
from core.usecases.nlp.data import clean_text
from core.usecases.nlp.serving import TEXT_PATHS, predict_text_proba
from core.usecases.nlp.tokenise import join_tokens, tokens as split_tokens

MAX_OCCLUDED_TOKENS = 256
_ATTENTION_CACHE: "weakref.WeakKeyDictionary[Any, Any]" = weakref.WeakKeyDictionary()
_VOCAB_CACHE: "weakref.WeakKeyDictionary[Any, frozenset]" = weakref.WeakKeyDictionary()


def text_settings(model: Any, kind: str) -> dict[str, Any]:
    """How a model tokenises: {"split": "whitespace"|"character", "sequence_length": int|None}."""
    return TEXT_PATHS[kind].settings(model)


def known_tokens(model: Any, kind: str) -> frozenset:
    """The single tokens a model has a learned entry for (its vocabulary)."""
    try:
        return _VOCAB_CACHE[model]
    except (KeyError, TypeError):
        pass

    vocabulary = TEXT_PATHS[kind].vocabulary(model)
    try:
        _VOCAB_CACHE[model] = vocabulary
    except TypeError:
        pass
    return vocabulary


def explain_text(model: Any, text: str, *, kind: str, class_names: Sequence[str]) -> dict[str, Any]:
    """Prediction, token contributions (occlusion), unknown-token share and truncation for one raw text."""
    cleaned = clean_text(text)
    if not cleaned:
        raise DataError("errors.nlp.empty_input")
    settings = text_settings(model, kind)
    split, length = settings["split"], settings["sequence_length"]
    all_tokens = split_tokens(cleaned, split)
    limit = min(length or MAX_OCCLUDED_TOKENS, MAX_OCCLUDED_TOKENS)
    seen = all_tokens[:limit]
    probabilities = predict_text_proba(model, [cleaned], kind=kind)[0]
    predicted = int(np.argmax(probabilities))
    explains = getattr(TEXT_PATHS[kind], "explains", True)  # an LLM: one request per word would be asked
    variants = [join_tokens(seen[:i] + seen[i + 1:], split) for i in range(len(seen))] if explains else []
    if variants:
        occluded = predict_text_proba(model, variants, kind=kind)[:, predicted]
        contributions = (float(probabilities[predicted]) - occluded).astype(float)
    else:
        contributions = np.zeros(0)
    vocabulary = known_tokens(model, kind)
    meaningful = [token for token in seen if token.strip()]
    unknown = [token for token in meaningful if token not in vocabulary] if explains else []  # no vocabulary
    return {
        "text": cleaned,
        "probabilities": [float(p) for p in probabilities],
        "class_names": [str(name) for name in class_names],
        "predicted": predicted,
        "tokens": seen,
        "contributions": [float(c) for c in contributions],
        "method": "occlusion" if explains else None,
        "split": split,
        "token_count": len(all_tokens),
        "used_tokens": len(seen),
        "truncated": length is not None and len(all_tokens) > length,  # the model itself ignores the rest
        "explained_all": len(all_tokens) == len(seen),  # False: only the first tokens were occluded
        "sequence_length": length,
        "unknown_tokens": unknown,
        "oov_share": 0.0 if not explains else (len(unknown) / len(meaningful)) if meaningful else 1.0,
        "changed_by_cleaning": cleaned != str(text).strip(),
    }


def attention_weights(model: Any, text: str, *, max_tokens: int = 30) -> dict[str, Any] | None:
    """Head-averaged self-attention (rows attend to columns) over the first `max_tokens` real tokens; None without attention."""
    import tensorflow as tf

    from core.usecases.nlp.models import attention_model

    try:
        scorer = _ATTENTION_CACHE[model]
    except (KeyError, TypeError):
        scorer = attention_model(model)
        try:
            _ATTENTION_CACHE[model] = scorer
        except TypeError:
            pass
    if scorer is None:
        return None
    cleaned = clean_text(text)
    settings = text_settings(model, "keras")
    seen = split_tokens(cleaned, settings["split"], limit=settings["sequence_length"])
    scores = np.asarray(scorer(tf.constant([cleaned]), training=False))[0]  # (heads, L, L)
    average = scores.mean(axis=0)
    shown = min(len(seen), int(max_tokens))
    return {"tokens": seen[:shown], "weights": average[:shown, :shown].tolist(), "total_tokens": len(seen),
            "truncated": len(seen) > shown, "heads": int(scores.shape[0])}
