"""Safe model I/O: round trips, refusing code-carrying files, corrupt files, sizes and parameter counts."""

from __future__ import annotations

import json
import os
import zipfile

import joblib
import keras
import numpy as np
import pytest

from core.errors import ModelLoadError
from core.models import io
from core.models.baselines import build_logistic_regression
from core.usecases.vision.models import build_cnn

X = np.random.default_rng(0).random((6, 8, 8, 1), dtype=np.float32)


@pytest.fixture(scope="module")
def cnn_file(tmp_path_factory):
    keras.utils.set_random_seed(0)
    model = build_cnn((8, 8, 1), 10)
    path = io.save_model(model, tmp_path_factory.mktemp("cnn"))
    return model, path


@pytest.fixture(scope="module")
def lambda_file(tmp_path_factory):
    inputs = keras.Input((8, 8, 1), name="image")
    doubled = keras.layers.Lambda(lambda t: t * 2.0, name="double_it")(inputs)
    outputs = keras.layers.Dense(3, name="classifier")(keras.layers.Flatten(name="flatten")(doubled))
    path = tmp_path_factory.mktemp("lambda") / "model.keras"
    keras.Model(inputs, outputs).save(path)
    return path


@pytest.fixture(scope="module")
def fitted_logreg():
    x = np.random.default_rng(1).random((30, 8, 8, 1), dtype=np.float32)
    y = np.arange(30) % 3
    return build_logistic_regression(max_iter=200).fit(x, y)


def _rewrite_config(source, target, change):
    """Copy a .keras zip with config.json edited by change(config)."""
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(target, "w") as copy:
        for item in original.infolist():
            data = original.read(item.filename)
            if item.filename == "config.json":
                config = json.loads(data)
                change(config)
                data = json.dumps(config).encode()
            copy.writestr(item, data)
    return target


def test_keras_round_trip_gives_identical_predictions(cnn_file):
    model, path = cnn_file
    assert path.name == "model.keras" and path.exists()
    loaded = io.load_model(path)
    np.testing.assert_array_equal(loaded(X, training=False).numpy(), model(X, training=False).numpy())
    assert [layer.name for layer in loaded.layers] == [layer.name for layer in model.layers]


def test_upload_round_trip_from_bytes(cnn_file):
    model, path = cnn_file
    loaded = io.load_model_from_bytes(path.read_bytes(), filename="my model.keras", max_bytes=10**8)
    np.testing.assert_array_equal(loaded(X, training=False).numpy(), model(X, training=False).numpy())


def test_sklearn_round_trip_and_pickles_refused_from_uploads(tmp_path, fitted_logreg):
    path = io.save_model(fitted_logreg, tmp_path)
    assert path.name == "model.skops" and not io.is_legacy_pickle(path)
    np.testing.assert_array_equal(io.load_model(path).predict_proba(X), fitted_logreg.predict_proba(X))
    legacy = tmp_path / "legacy" / "model.joblib"
    legacy.parent.mkdir()
    joblib.dump(fitted_logreg, legacy)
    assert io.is_legacy_pickle(legacy)
    np.testing.assert_array_equal(io.load_model(legacy).predict_proba(X), fitted_logreg.predict_proba(X))
    with pytest.raises(ModelLoadError, match="run code when opened") as caught:
        io.load_model(legacy, allow_pickle=False)
    assert caught.value.key == "errors.model.unsafe_pickle"
    with pytest.raises(ModelLoadError, match=r"uploads must be \.keras"):
        io.load_model_from_bytes(legacy.read_bytes(), filename="model.joblib", max_bytes=10**8)
    with pytest.raises(ModelLoadError, match=r"unsupported format \(\.skops\)"):
        io.load_model_from_bytes(path.read_bytes(), filename="model.skops", max_bytes=10**8)


def _studio_sklearn_candidates():
    """(name, fitted model, input) for every scikit-learn candidate the studio trains, on tiny data."""
    from core.usecases.finance.models import build_gradient_boosting, build_scorecard
    from core.usecases.nlp.baseline import build_tfidf_logreg
    from core.usecases.recommendation.models import build_bias_baseline, build_popularity

    rng = np.random.default_rng(0)
    images, digits = rng.random((40, 8, 8, 1)), np.arange(40) % 3
    texts = np.array(["good food great", "bad awful taste", "great value", "terrible bad"] * 5)
    sentiment = np.array([1, 0, 1, 0] * 5)
    features = [{"key": "income", "kind": "numeric"}, {"key": "home", "kind": "categorical"}]
    applicants = {"income": np.r_[rng.random(59), np.nan], "home": np.array(["own", "rent", ""] * 20, dtype=object)}
    bad = np.arange(60) % 2
    pairs = {"user": rng.integers(0, 5, 50), "item": rng.integers(0, 7, 50)}
    ratings = rng.random(50) * 5
    return [
        ("vision_logreg", build_logistic_regression(max_iter=200).fit(images, digits), images),
        ("tfidf_logreg_en", build_tfidf_logreg().fit(texts, sentiment), texts),
        ("tfidf_logreg_zh", build_tfidf_logreg(language="zh").fit(texts, sentiment), texts),
        ("scorecard", build_scorecard(features).fit(applicants, bad), applicants),
        ("gbm", build_gradient_boosting(features, max_iter=5, min_samples_leaf=2).fit(applicants, bad), applicants),
        ("popularity", build_popularity(5, 7).fit(pairs, ratings), pairs),
        ("bias", build_bias_baseline(5, 7).fit(pairs, ratings), pairs),
    ]


@pytest.mark.parametrize("name, model, inputs", _studio_sklearn_candidates(), ids=lambda v: v if isinstance(v, str) else "")
def test_every_sklearn_candidate_round_trips_through_skops_with_identical_predictions(tmp_path, name, model, inputs):
    path = io.save_model(model, tmp_path)
    assert path.suffix == ".skops"
    with zipfile.ZipFile(path) as archive:  # skops is a zip of a JSON schema and arrays, not a pickle
        assert "schema.json" in archive.namelist()
    assert io.untrusted_types(path) == []
    loaded = io.load_model(path)
    assert type(loaded) is type(model)
    predict = "predict_proba" if hasattr(model, "predict_proba") else "predict"
    np.testing.assert_array_equal(getattr(loaded, predict)(inputs), getattr(model, predict)(inputs))


def test_skops_file_with_an_untrusted_type_is_refused_before_anything_is_built(tmp_path):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import FunctionTransformer

    # A model whose transformer is os.system: loading it must never hand that function back.
    evil = Pipeline([("run", FunctionTransformer(os.system)), ("model", LogisticRegression())])
    path = io.save_model(evil, tmp_path)
    assert any("system" in name for name in io.untrusted_types(path))
    with pytest.raises(ModelLoadError, match=r"not on the studio's list of trusted types: .*system") as caught:
        io.load_model(path)
    assert caught.value.key == "errors.model.untrusted_types"
    assert "system" in caught.value.message("zh")


def test_truncated_skops_file_is_a_clear_error(tmp_path, fitted_logreg):
    path = io.save_model(fitted_logreg, tmp_path)
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(ModelLoadError, match="not a usable model file") as caught:
        io.load_model(path)
    assert caught.value.key == "errors.model.corrupt"


def test_lambda_layer_is_refused_before_keras_reads_it(lambda_file):
    with pytest.raises(ModelLoadError, match="could run code") as caught:
        io.load_model(lambda_file)
    assert caught.value.key == "errors.model.unsafe"
    assert "double_it" in str(caught.value) and "without Lambda layers" in str(caught.value)
    assert "Lambda" in caught.value.message("zh")
    with pytest.raises(ModelLoadError, match="code"):
        io.load_model_from_bytes(lambda_file.read_bytes(), filename="evil.keras", max_bytes=10**8)


def test_keras_safe_mode_is_the_second_line_of_defence(lambda_file):
    # Skip the config pre-scan: Keras' own safe_mode must still refuse the Python lambda.
    with pytest.raises(ModelLoadError, match="code") as caught:
        io._load_keras(lambda_file)
    assert caught.value.key == "errors.model.custom_code"


def test_config_importing_a_foreign_module_is_refused(cnn_file, tmp_path):
    _, path = cnn_file

    def point_at_os(config):
        config["config"]["layers"][1]["module"] = "os"

    evil = _rewrite_config(path, tmp_path / "evil.keras", point_at_os)
    with pytest.raises(ModelLoadError, match="custom code from 'os'"):
        io.load_model(evil)


def test_random_bytes_and_truncated_files_are_corrupt(cnn_file, tmp_path):
    _, path = cnn_file
    noise = np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8).tobytes()
    with pytest.raises(ModelLoadError, match="not a usable model file") as caught:
        io.load_model_from_bytes(noise, filename="noise.keras", max_bytes=10**8)
    assert caught.value.key == "errors.model.corrupt"
    data = path.read_bytes()
    truncated = tmp_path / "truncated.keras"
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelLoadError, match="truncated"):
        io.load_model(truncated)
    # A zip whose weights member has a bad checksum (one flipped byte inside the data).
    flipped = bytearray(data)
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("model.weights.h5")
    flipped[info.header_offset + 30 + len(info.filename) + 100] ^= 0xFF
    damaged = tmp_path / "damaged.keras"
    damaged.write_bytes(bytes(flipped))
    with pytest.raises(ModelLoadError, match="not a usable model file"):
        io.load_model(damaged)
    no_config = tmp_path / "no_config.keras"
    with zipfile.ZipFile(no_config, "w") as archive:
        archive.writestr("model.weights.h5", b"x")
    with pytest.raises(ModelLoadError, match="config.json is missing"):
        io.load_model(no_config)


def test_missing_unsupported_and_too_large(tmp_path):
    with pytest.raises(ModelLoadError, match="No model file") as caught:
        io.load_model(tmp_path / "absent.keras")
    assert caught.value.key == "errors.model.not_found"
    legacy = tmp_path / "model.h5"
    legacy.write_bytes(b"\x89HDF\r\n")
    with pytest.raises(ModelLoadError, match=r"unsupported format \(\.h5\)"):
        io.load_model(legacy)
    with pytest.raises(ModelLoadError, match="unsupported format"):
        io.load_model(tmp_path)  # a SavedModel-style folder
    with pytest.raises(ModelLoadError, match="unsupported format"):
        io.load_model_from_bytes(b"abc", filename="model.onnx")
    with pytest.raises(ModelLoadError, match="above the 0.0 MB upload limit"):
        io.load_model_from_bytes(b"x" * 2048, filename="big.keras", max_bytes=1024)


def test_upload_limit_defaults_to_settings(monkeypatch, tmp_path):
    from core.config import get_settings

    monkeypatch.setenv("STUDIO_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("STUDIO_MAX_UPLOAD_MB", "1")
    get_settings.cache_clear()
    try:
        with pytest.raises(ModelLoadError, match="above the 1.0 MB upload limit"):
            io.load_model_from_bytes(b"x" * (1024**2 + 1), filename="big.keras")
    finally:
        get_settings.cache_clear()


def test_parameter_count_and_size(cnn_file, fitted_logreg, tmp_path):
    model, path = cnn_file
    assert io.parameter_count(model) == model.count_params() == 53290
    assert io.parameter_count(fitted_logreg) == 64 * 3 + 3  # coef_ (3 x 64) + intercept_ (3)
    assert io.model_size_bytes(path) == os.path.getsize(path) > 0
    (tmp_path / "a.bin").write_bytes(b"12345")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.bin").write_bytes(b"678")
    assert io.model_size_bytes(tmp_path) == 8
    with pytest.raises(ValueError, match="fit it first"):
        io.parameter_count(build_logistic_regression())
    with pytest.raises(ModelLoadError, match="No model file"):
        io.model_size_bytes(tmp_path / "absent.keras")
    with pytest.raises(ValueError, match="keras.Model or a fitted scikit-learn"):
        io.save_model(object(), tmp_path)


def test_importing_io_does_not_import_tensorflow():
    import subprocess
    import sys

    code = "import sys, core.models, core.models.io, core.evaluation.metrics; print('tensorflow' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                            cwd=os.path.dirname(os.path.dirname(os.path.dirname(__file__))))
    assert result.stdout.strip() == "False"


def test_text_baseline_saves_its_vocabulary_as_one_node_and_is_unchanged_by_saving(tmp_path):
    """skops wrote each vocabulary entry as its own node: saving a 138k-term baseline stalled a text job for minutes."""
    import json

    from core.usecases.nlp.baseline import build_tfidf_logreg

    texts = np.array([" ".join(f"w{(7 * row + col) % 997}" for col in range(12)) for row in range(300)])
    labels = np.arange(300) % 2
    model = build_tfidf_logreg().fit(texts, labels)
    vocabulary = dict(model[0].vocabulary_)
    assert len(vocabulary) > 1_000  # words and word pairs
    path = io.save_model(model, tmp_path)
    assert model[0].vocabulary_ == vocabulary  # saving must not turn the live model's vocabulary into text
    with zipfile.ZipFile(path) as archive:
        schema = json.loads(archive.read("schema.json"))
    nodes = list(_nodes_named(schema, "vocabulary_"))
    assert [node["__loader__"] for node in nodes] == ["JsonNode"]
    loaded = io.load_model(path)
    assert loaded[0].vocabulary_ == vocabulary
    np.testing.assert_array_equal(loaded.predict_proba(texts[:20]), model.predict_proba(texts[:20]))


def _nodes_named(tree, name):
    """Every value stored under `name` anywhere in a skops schema."""
    if isinstance(tree, dict):
        for key, value in tree.items():
            if key == name:
                yield value
            yield from _nodes_named(value, name)
    elif isinstance(tree, list):
        for value in tree:
            yield from _nodes_named(value, name)


def _with_old_module_paths(text: str) -> str:
    """What a studio from before the use-case packages wrote: the classes' old module paths."""
    for old, new in io.MOVED_MODULES.items():
        text = text.replace(new, old)
    return text


@pytest.fixture(scope="module")
def text_baseline():
    from core.usecases.nlp.baseline import build_tfidf_logreg

    texts = ["good tea, lovely", "great cup", "awful, cold tea", "bad and bitter", "lovely aroma", "bitter cold"]
    return build_tfidf_logreg(language="en", random_state=0).fit(texts, [1, 1, 0, 0, 1, 0]), texts


def test_a_skops_file_from_before_the_package_move_still_loads(tmp_path, text_baseline):
    model, texts = text_baseline
    saved = io.save_model(model, tmp_path / "new")
    old = tmp_path / "old.skops"
    with zipfile.ZipFile(saved) as source, zipfile.ZipFile(old, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "schema.json":
                data = _with_old_module_paths(data.decode("utf-8")).encode("utf-8")
                assert b"core.nlp.baseline" in data
            target.writestr(item, data)
    assert io.untrusted_types(old) == []  # the old name of a trusted class is trusted
    reloaded = io.load_model(old)
    np.testing.assert_allclose(reloaded.predict_proba(texts), model.predict_proba(texts))
    assert "core.nlp.baseline" not in __import__("sys").modules  # the old path resolves only while loading


def test_a_legacy_pickle_from_before_the_package_move_still_loads(tmp_path, text_baseline):
    model, texts = text_baseline
    path = tmp_path / "model.joblib"
    joblib.dump(model, path, protocol=0)  # protocol 0 names classes as plain text lines
    path.write_bytes(_with_old_module_paths(path.read_bytes().decode("latin-1")).encode("latin-1"))
    assert b"core.nlp.baseline" in path.read_bytes()
    np.testing.assert_allclose(io.load_model(path).predict_proba(texts), model.predict_proba(texts))
