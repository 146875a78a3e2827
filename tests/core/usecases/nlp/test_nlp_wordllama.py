"""The WordLlama text model: embeddings read offline from the installed wheel, raw strings in, two-stage
fine-tune as one fit, well above chance on the bundled English reviews, safe-mode round trip."""

from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")
tf = pytest.importorskip("tensorflow")
pytest.importorskip("wordllama")

from core.training.pipeline import build_candidate, fit_candidate  # noqa: E402
from core.models.io import load_model, save_model  # noqa: E402
from core.training.runner import TrainConfig  # noqa: E402
from core.usecases.nlp import wordllama  # noqa: E402
from core.usecases.nlp.adapter import ADAPTER  # noqa: E402
from core.usecases.nlp.data import load_english_reviews  # noqa: E402
from core.usecases.nlp.models import make_vectorizer  # noqa: E402
from core.contract.registry import get_use_case  # noqa: E402

CANDIDATE = get_use_case("nlp").candidate("wordllama")


@pytest.fixture(scope="module")
def offline(request):
    """Any attempt to open a socket fails: the model must build from files in the wheel alone."""
    import socket

    monkeypatch = pytest.MonkeyPatch()

    def refuse(*args, **kwargs):
        raise OSError("network disabled in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    yield
    monkeypatch.undo()


def _cosine(a, b):
    return float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)))


def test_shipped_embeddings_and_tokenizer_load_offline(offline):
    assert wordllama.wordllama_available()
    table = wordllama.token_embeddings()
    assert table.shape == (32000, 256) and table.dtype == np.float32 and np.isfinite(table).all()
    encoding = wordllama.tokenizer().encode("delicious", add_special_tokens=False)
    vectors = wordllama.word_vectors(["", "[UNK]", "delicious", "tasty", "carburetor"])
    assert not vectors[0].any() and not vectors[1].any()  # padding and unknown words start at zero
    np.testing.assert_allclose(vectors[2], table[encoding.ids].mean(axis=0), rtol=1e-6)
    # LLM-distilled: related words lie closer than unrelated ones
    assert _cosine(vectors[2], vectors[3]) > _cosine(vectors[2], vectors[4]) + 0.1


def test_embedding_starts_from_wordllama_and_round_trips_in_safe_mode(offline, tmp_path):
    texts = ["Delicious tea, great value", "stale and awful", "tasty cookies", "not good at all"]
    vectorizer = make_vectorizer(texts, max_tokens=100, sequence_length=8)
    model = wordllama.build_wordllama(vectorizer, 2)
    vocabulary = vectorizer.get_vocabulary()
    matrix = model.get_layer(wordllama.EMBEDDING_LAYER).get_weights()[0]
    np.testing.assert_allclose(matrix, wordllama.word_vectors(vocabulary))
    from core.training.finetune import freeze_pretrained, unfreeze_top

    freeze_pretrained(model, CANDIDATE.fine_tune)
    assert len(model.trainable_weights) == 4  # dense and softmax kernels and biases
    unfreeze_top(model, CANDIDATE.fine_tune)
    assert len(model.trainable_weights) == 5 and model.trainable_weights[0].path.startswith("token_embedding")
    reloaded = load_model(save_model(model, tmp_path))
    batch = tf.constant(texts + ["never seen words here"])
    np.testing.assert_array_equal(np.asarray(model(batch)), np.asarray(reloaded(batch)))


@pytest.mark.slow
def test_fine_tuned_model_beats_chance_widely_on_bundled_reviews(offline):
    data = load_english_reviews(seed=0)
    keras.utils.set_random_seed(0)
    model = build_candidate(CANDIDATE, ADAPTER, data, seed=0)
    embedding = model.get_layer(wordllama.EMBEDDING_LAYER)
    start = np.array(embedding.embeddings)
    result = fit_candidate(model, CANDIDATE, ADAPTER, data, TrainConfig(epochs=4, batch_size=64, learning_rate=3e-3))
    assert result.epochs_run == 4 and len(result.history["val_accuracy"]) == 4
    assert embedding.trainable and not np.array_equal(np.array(embedding.embeddings), start)  # stage 2 tuned it
    evaluation = ADAPTER.evaluate(model, "keras", data, latency=False)
    majority = max(np.mean(data.y_test == c) for c in range(data.num_classes))
    assert evaluation["accuracy"] > majority + 0.08, (evaluation["accuracy"], majority)  # 0.778 vs 0.658 here
