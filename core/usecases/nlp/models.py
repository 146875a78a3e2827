"""Text classifiers that take raw strings: TF-IDF + logistic regression and four Keras architectures.

Every Keras model starts with a TextVectorization layer (adapted on the training texts), so the
saved .keras file holds its own vocabulary and tokenisation and loads in safe mode: no Lambda, no
custom classes. Positions for the Transformer come from keras.ops on the token ids (serialisable
operations), and its attention layer is named so explanations can read its scores.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import keras
import numpy as np

VECTORIZER_NAME = "text_vectorization"
ATTENTION_NAME = "attention"
ATTENTION_INPUT_NAME = "add_positions"


def _standardize_for(split: str) -> str:
    # English: lower-case and strip ASCII punctuation; Chinese characters: lower-case only (CJK
    # punctuation such as "，" stays a token: it carries tone, e.g. "！").
    return "lower_and_strip_punctuation" if split == "whitespace" else "lower"


def make_vectorizer(texts: Sequence[str], *, split: str = "whitespace", max_tokens: int = 20_000,
                    sequence_length: int = 128, ngrams: int | None = None) -> keras.layers.TextVectorization:
    """A TextVectorization layer (int ids, padded/truncated to sequence_length) adapted on `texts`."""
    import tensorflow as tf

    layer = keras.layers.TextVectorization(max_tokens=int(max_tokens), standardize=_standardize_for(split),
                                           split=split, ngrams=ngrams, output_mode="int",
                                           output_sequence_length=int(sequence_length), name=VECTORIZER_NAME)
    layer.adapt(tf.data.Dataset.from_tensor_slices(tf.constant(list(texts), dtype=tf.string)).batch(512))
    return layer


VECTORIZER_PARAMS = ("max_tokens", "ngrams", "sequence_length")  # a candidate's hparams that shape its vectorizer


def on_texts(build: Callable[..., keras.Model]) -> Callable[..., keras.Model]:
    """A text network's builder as a candidate declares it: from the training texts, adapt the vectorizer the
    candidate's hparams describe (max_tokens, ngrams, sequence_length), then build the network on it."""

    def build_on_texts(texts: Sequence[str], num_classes: int, *, language: str = "en", split: str = "whitespace",
                       text_length: int = 128, **hparams: Any) -> keras.Model:
        vector_params = {name: hparams.pop(name) for name in VECTORIZER_PARAMS if name in hparams}
        # With n-grams the ids are all unigrams, then all bigrams...: room for each.
        vector_params.setdefault("sequence_length", int(text_length) * int(vector_params.get("ngrams") or 1))
        if language == "zh" and "max_tokens" not in vector_params:
            vector_params["max_tokens"] = 8000 if not vector_params.get("ngrams") else 20_000
        return build(make_vectorizer(list(texts), split=split, **vector_params), num_classes, **hparams)

    build_on_texts.__name__ = build_on_texts.__qualname__ = f"{build.__name__}_on_texts"
    build_on_texts.__doc__ = f"{build.__name__} on a vectorizer adapted on the training texts (see on_texts)."
    return build_on_texts


def _text_input() -> keras.KerasTensor:
    return keras.Input(shape=(), dtype="string", name="text")


def _head(x: keras.KerasTensor, num_classes: int, dropout: float) -> keras.KerasTensor:
    if dropout:
        x = keras.layers.Dropout(dropout, name="dropout")(x)
    return keras.layers.Dense(num_classes, activation="softmax", name="probabilities")(x)


def _masked_mean(embedded: keras.KerasTensor, ids: keras.KerasTensor) -> keras.KerasTensor:
    """Mean of the token vectors over real tokens only (padding id 0 left out); 0 for an empty text, never NaN."""
    mask = keras.ops.expand_dims(keras.ops.cast(keras.ops.not_equal(ids, 0), embedded.dtype), -1)
    total = keras.ops.sum(embedded * mask, axis=1)
    count = keras.ops.maximum(keras.ops.sum(mask, axis=1), 1.0)
    return total / count


def build_fasttext(vectorizer: keras.layers.TextVectorization, num_classes: int, *, embedding_dim: int = 64,
                   dropout: float = 0.2) -> keras.Model:
    """fastText-like: token embeddings averaged over the real tokens (padding left out), then softmax."""
    text = _text_input()
    ids = vectorizer(text)
    x = keras.layers.Embedding(vectorizer.vocabulary_size(), embedding_dim, name="token_embedding")(ids)
    x = _masked_mean(x, ids)
    return keras.Model(text, _head(x, num_classes, dropout), name="fasttext")


def build_cnn(vectorizer: keras.layers.TextVectorization, num_classes: int, *, embedding_dim: int = 64,
              filters: int = 64, kernel_sizes: Sequence[int] = (3, 5), dropout: float = 0.3) -> keras.Model:
    """1D CNN: parallel convolutions over token embeddings (n-gram detectors), max-pooled and joined."""
    text = _text_input()
    ids = vectorizer(text)
    x = keras.layers.Embedding(vectorizer.vocabulary_size(), embedding_dim, name="token_embedding")(ids)
    pooled = []
    for size in kernel_sizes:
        branch = keras.layers.Conv1D(filters, int(size), activation="relu", padding="same", name=f"conv_{size}")(x)
        pooled.append(keras.layers.GlobalMaxPooling1D(name=f"max_pooling_{size}")(branch))
    x = keras.layers.Concatenate(name="concatenate")(pooled) if len(pooled) > 1 else pooled[0]
    return keras.Model(text, _head(x, num_classes, dropout), name="cnn")


def build_bigru(vectorizer: keras.layers.TextVectorization, num_classes: int, *, embedding_dim: int = 64,
                units: int = 32, dropout: float = 0.3) -> keras.Model:
    """Bidirectional GRU reading the tokens both ways; last states joined, then softmax."""
    text = _text_input()
    ids = vectorizer(text)
    x = keras.layers.Embedding(vectorizer.vocabulary_size(), embedding_dim, mask_zero=True,
                               name="token_embedding")(ids)
    x = keras.layers.Bidirectional(keras.layers.GRU(units), name="bidirectional_gru")(x)
    return keras.Model(text, _head(x, num_classes, dropout), name="bigru")


def build_transformer(vectorizer: keras.layers.TextVectorization, num_classes: int, *, embedding_dim: int = 64,
                      num_heads: int = 2, feed_forward_dim: int = 64, dropout: float = 0.2) -> keras.Model:
    """One Transformer encoder block: token + learned position embeddings, multi-head self-attention,
    feed-forward, residuals and layer normalisation, mean-pooled for the softmax."""
    sequence_length = int(vectorizer.get_config()["output_sequence_length"])
    text = _text_input()
    ids = vectorizer(text)
    # mask_zero: attention never looks at padding (the mask flows through Add into MultiHeadAttention).
    tokens = keras.layers.Embedding(vectorizer.vocabulary_size(), embedding_dim, mask_zero=True,
                                    name="token_embedding")(ids)
    positions = keras.ops.cumsum(keras.ops.ones_like(ids), axis=1) - 1  # 0..L-1 for every row
    placed = keras.layers.Embedding(sequence_length, embedding_dim, name="position_embedding")(positions)
    x = keras.layers.Add(name=ATTENTION_INPUT_NAME)([tokens, placed])
    attended = keras.layers.MultiHeadAttention(num_heads=num_heads, key_dim=max(1, embedding_dim // num_heads),
                                               dropout=0.1, name=ATTENTION_NAME)(x, x)
    x = keras.layers.LayerNormalization(epsilon=1e-6, name="attention_norm")(
        keras.layers.Add(name="attention_residual")([x, attended]))
    hidden = keras.layers.Dense(feed_forward_dim, activation="relu", name="feed_forward")(x)
    hidden = keras.layers.Dense(embedding_dim, name="feed_forward_out")(hidden)
    x = keras.layers.LayerNormalization(epsilon=1e-6, name="feed_forward_norm")(
        keras.layers.Add(name="feed_forward_residual")([x, hidden]))
    x = _masked_mean(x, ids)
    return keras.Model(text, _head(x, num_classes, dropout), name="transformer")


def attention_model(model: keras.Model):
    """A function texts -> attention scores (batch, heads, L, L) sharing `model`'s layers; None without attention.

    The block's input comes from a sub-model of `model`; the attention layer is then called eagerly
    with return_attention_scores=True (a symbolic call would not connect the scores to the inputs).
    """
    try:
        layer = model.get_layer(ATTENTION_NAME)
        prefix = keras.Model(model.inputs, model.get_layer(ATTENTION_INPUT_NAME).output)
    except ValueError:
        return None

    vectorizer = vectorizer_of(model)

    def scores(texts, training: bool = False):
        hidden = prefix(texts, training=training)
        real = keras.ops.not_equal(vectorizer(texts), 0)  # the padding mask the trained model applied
        mask = keras.ops.logical_and(keras.ops.expand_dims(real, 2), keras.ops.expand_dims(real, 1))
        _, weights = layer(hidden, hidden, attention_mask=mask, return_attention_scores=True, training=training)
        return weights

    return scores


def vectorizer_of(model: keras.Model) -> keras.layers.TextVectorization | None:
    """The model's TextVectorization layer, or None (an imported model without one)."""
    try:
        return model.get_layer(VECTORIZER_NAME)
    except ValueError:
        for layer in model.layers:
            if isinstance(layer, keras.layers.TextVectorization):
                return layer
    return None


KERAS_BUILDERS = {"fasttext": build_fasttext, "cnn": build_cnn, "bigru": build_bigru, "transformer": build_transformer}


fasttext_on_texts = on_texts(build_fasttext)
cnn_on_texts = on_texts(build_cnn)
bigru_on_texts = on_texts(build_bigru)
transformer_on_texts = on_texts(build_transformer)
