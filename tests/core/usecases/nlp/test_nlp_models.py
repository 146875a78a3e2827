"""Text models: raw strings in, tokenisation inside the saved model, safe-mode round trip, attention read-out."""

from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")
tf = pytest.importorskip("tensorflow")

from core.models.io import load_model, save_model  # noqa: E402
from core.usecases.nlp.models import (KERAS_BUILDERS, attention_model, make_vectorizer,  # noqa: E402
                                      vectorizer_of)
from core.usecases.nlp.tokenise import tokens  # noqa: E402

ENGLISH = ["Great tea, really good!", "awful stale biscuits", "good value and tasty", "bad taste, not good"]
CHINESE = ["质量很好，推荐！", "太差了，不推荐", "物流很快 好评", "失望，很差"]


@pytest.fixture(scope="module")
def english_vectorizer():
    return make_vectorizer(ENGLISH, split="whitespace", max_tokens=50, sequence_length=8)


def test_vectorizer_mirrors_python_tokens_and_truncates_long_texts(english_vectorizer):
    vocabulary = english_vectorizer.get_vocabulary()
    ids = english_vectorizer(tf.constant(["Great tea, REALLY good! zzz"])).numpy()[0]
    assert [vocabulary[i] for i in ids[:5]] == ["great", "tea", "really", "good", "[UNK]"]
    assert tokens("Great tea, REALLY good! zzz", "whitespace") == ["great", "tea", "really", "good", "zzz"]
    assert ids[5:].tolist() == [0, 0, 0]
    long = english_vectorizer(tf.constant(["good " * 50_000])).numpy()  # 250k characters
    assert long.shape == (1, 8) and (long == vocabulary.index("good")).all()


def test_chinese_characters_split_inside_the_graph():
    layer = make_vectorizer(CHINESE, split="character", max_tokens=100, sequence_length=6)
    vocabulary = layer.get_vocabulary()
    ids = layer(tf.constant(["很好！😀"])).numpy()[0]
    assert [vocabulary[i] for i in ids[:4]] == ["很", "好", "！", "[UNK]"]
    assert tokens("很好！😀", "character") == ["很", "好", "！", "😀"]


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(KERAS_BUILDERS))
def test_every_model_round_trips_through_safe_loading(name, english_vectorizer, tmp_path):
    keras.utils.set_random_seed(0)
    model = KERAS_BUILDERS[name](english_vectorizer, 3)
    texts = tf.constant(ENGLISH + ["", "😀 <b>x</b>"])
    before = model(texts, training=False).numpy()
    assert before.shape == (6, 3) and np.allclose(before.sum(axis=1), 1.0, atol=1e-5)
    loaded = load_model(save_model(model, tmp_path))
    np.testing.assert_array_equal(loaded(texts, training=False).numpy(), before)
    assert vectorizer_of(loaded).get_vocabulary() == english_vectorizer.get_vocabulary()


def test_transformer_attention_rows_are_distributions_after_reload(english_vectorizer, tmp_path):
    keras.utils.set_random_seed(0)
    model = load_model(save_model(KERAS_BUILDERS["transformer"](english_vectorizer, 2, num_heads=2), tmp_path))
    scores = attention_model(model)(tf.constant(["great tea", "bad"]), training=False).numpy()
    assert scores.shape == (2, 2, 8, 8)
    np.testing.assert_allclose(scores[0, :, :2].sum(axis=-1), 1.0, atol=1e-5)  # "great tea": two real tokens
    assert np.abs(scores[0, :, :, 2:]).max() == 0.0  # nothing attends to padding
    np.testing.assert_allclose(scores[1, :, 0, 0], 1.0, atol=1e-5)  # "bad" can only attend to itself
    assert attention_model(KERAS_BUILDERS["fasttext"](english_vectorizer, 2)) is None
