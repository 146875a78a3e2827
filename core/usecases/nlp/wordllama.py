"""A text classifier whose word embeddings start from WordLlama's LLM-distilled token embeddings.

The `wordllama` wheel ships, inside the package, a Llama-2 tokenizer (tokenizers JSON) and
token embeddings distilled from large language models (l2_supercat: 32,000 Llama-2 tokens x 256
dims, float16, 16 MB). Nothing is downloaded: the files are read from the installed package
directly (WordLlama.load looks for the tokenizer in a folder named differently from the wheel's).

Tokenisation stays inside the saved model, as in every studio text model: a TextVectorization
layer (words of the training split) feeds an Embedding whose row for each word starts as the
mean of that word's Llama-2 token vectors (what WordLlama itself does to embed a text: average
its token vectors). The .keras file holds vocabulary and weights and loads in safe mode with no
wordllama installed; only building a new model needs the package. Fine-tuning is two stages in
one job (core.training.finetune): the head with the embedding frozen, then the embedding too.
"""

from __future__ import annotations

import functools
import importlib.util
from pathlib import Path
from typing import Sequence

import keras
import numpy as np

from core.usecases.nlp.models import _head, _masked_mean, _text_input, on_texts

EMBEDDING_LAYER = "token_embedding"
WEIGHTS_FILE = "weights/l2_supercat_256.safetensors"
TOKENIZER_FILE = "tokenizers/l2_supercat_tokenizer_config.json"


class WordLlamaMissing(ImportError):
    """The wordllama package (which ships the embeddings) is not installed."""


def package_dir() -> Path:
    """The installed wordllama package folder, found without importing it."""
    spec = importlib.util.find_spec("wordllama")
    if spec is None or not spec.submodule_search_locations:
        raise WordLlamaMissing("wordllama is not installed; pip install wordllama (its wheel ships the embeddings).")
    return Path(list(spec.submodule_search_locations)[0])


def wordllama_available() -> bool:
    """Whether the package and both of its shipped files are present (no import, no network)."""
    try:
        folder = package_dir()
    except WordLlamaMissing:
        return False
    return (folder / WEIGHTS_FILE).is_file() and (folder / TOKENIZER_FILE).is_file()


@functools.lru_cache(maxsize=1)
def token_embeddings() -> np.ndarray:
    """WordLlama's (32000, 256) token embedding matrix as float32, read from the wheel."""
    from safetensors.numpy import load_file

    tensors = load_file(str(package_dir() / WEIGHTS_FILE))
    matrices = [value for value in tensors.values() if value.ndim == 2]
    if len(matrices) != 1:
        raise ValueError(f"Expected one embedding matrix in {WEIGHTS_FILE}, found {sorted(tensors)}.")
    return matrices[0].astype(np.float32)


@functools.lru_cache(maxsize=1)
def tokenizer():
    """The Llama-2 tokenizer shipped with wordllama (a tokenizers.Tokenizer)."""
    from tokenizers import Tokenizer

    return Tokenizer.from_file(str(package_dir() / TOKENIZER_FILE))


def word_vectors(words: Sequence[str]) -> np.ndarray:
    """One 256-d vector per word: the mean of its Llama-2 token embeddings (zeros for '' and [UNK])."""
    table = token_embeddings()
    encoded = tokenizer().encode_batch([str(word) for word in words], add_special_tokens=False)
    vectors = np.zeros((len(words), table.shape[1]), dtype=np.float32)
    for row, (word, encoding) in enumerate(zip(words, encoded)):
        ids = [i for i in encoding.ids if 0 <= i < len(table)]
        if word and word != "[UNK]" and ids:
            vectors[row] = table[ids].mean(axis=0)
    return vectors


def build_wordllama(vectorizer: keras.layers.TextVectorization, num_classes: int, *, hidden_units: int = 64,
                    dropout: float = 0.3) -> keras.Model:
    """Raw strings -> words -> WordLlama-initialised embeddings, mean-pooled -> dense -> softmax."""
    vocabulary = vectorizer.get_vocabulary()
    matrix = word_vectors(vocabulary)
    text = _text_input()
    ids = vectorizer(text)
    embedding = keras.layers.Embedding(len(vocabulary), matrix.shape[1], name=EMBEDDING_LAYER)
    x = _masked_mean(embedding(ids), ids)
    if hidden_units:
        x = keras.layers.Dense(int(hidden_units), activation="relu", name="dense")(x)
    model = keras.Model(text, _head(x, num_classes, dropout), name="wordllama")
    embedding.set_weights([matrix])
    return model


wordllama_on_texts = on_texts(build_wordllama)
