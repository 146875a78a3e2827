"""Save and load models safely: .keras files are checked for code before Keras reads them.

Keras is imported lazily so the runs list and the Home page can import this module for free.
A .keras file is a zip of config.json (the architecture) and weights; a Lambda layer or a
custom class in config.json would run Python code on load, so those are refused up front,
and Keras itself loads with safe_mode=True as a second line of defence. scikit-learn models
are saved with skops (.skops), whose loader builds only the types it is told to trust: the
file's types are listed first and anything outside scikit-learn/NumPy's defaults and the
studio's own TRUSTED_TYPES is refused, so a model file on a shared store cannot run code
when loaded. Older runs saved as pickles (.joblib) still load (allow_pickle=True, files this
app wrote) and the UI says so (is_legacy_pickle); uploads are never unpickled.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any, Iterator

from core.config import get_settings
from core.errors import ModelLoadError

KERAS_FILENAME = "model.keras"
SKLEARN_FILENAME = "model.skops"
KERAS_SUFFIX = ".keras"
SKOPS_SUFFIX = ".skops"
LLM_FILENAME = "model.llm.json"  # an LLM candidate: its settings and k-shot examples (read back by core.training)
PICKLE_SUFFIXES = (".joblib", ".pkl", ".pickle")
# Types a studio .skops file may hold beyond those skops trusts by default (scikit-learn estimators,
# NumPy/SciPy containers): the studio's own estimator classes and functions, and the few library
# internals its models carry (boosting trees, a partial of check_array). Checked by a test that
# saves every scikit-learn candidate; a new one that needs more fails that test first.
TRUSTED_TYPES = frozenset({
    "core.models.baselines.flatten_images",
    "core.usecases.finance.models.ColumnsToFrame",
    "core.usecases.finance.models.CreditPipeline",
    "core.usecases.recommendation.models.PopularityRecommender",
    "core.usecases.recommendation.models.BiasBaseline",
    "core.usecases.nlp.baseline.CompactTfidfVectorizer",
    "numpy.dtype",
    "functools.partial",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "sklearn.utils.validation.check_array",
})
# Modules that held studio model classes before a use case became a package (core/usecases/<name>/):
# runs saved earlier name their classes by the old path, in a .skops schema or a pickle, and must load.
MOVED_MODULES = {
    "core.models.finance": "core.usecases.finance.models",
    "core.models.recommendation": "core.usecases.recommendation.models",
    "core.nlp.baseline": "core.usecases.nlp.baseline",
}
# Refuse a zip whose members would inflate past this (a "zip bomb"); real small models are far below.
MAX_UNCOMPRESSED_BYTES = 2 * 1024**3


def is_keras_model(model: Any) -> bool:
    """True for a keras.Model, without importing Keras when nothing has imported it yet."""
    keras = sys.modules.get("keras")
    return keras is not None and isinstance(model, keras.Model)


def save_model(model: Any, directory: str | os.PathLike) -> Path:
    """Write a Keras model to directory/model.keras or a scikit-learn model to directory/model.skops."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    if hasattr(model, "to_spec"):  # an LLM classifier: settings and examples as JSON, never its client or a key
        path = directory / LLM_FILENAME
        path.write_text(json.dumps(model.to_spec(), ensure_ascii=False, indent=1), encoding="utf-8")
        return path
    if is_keras_model(model):
        path = directory / KERAS_FILENAME
        model.save(path)
        return path
    if hasattr(model, "fit") and hasattr(model, "predict"):
        import skops.io

        path = directory / SKLEARN_FILENAME
        skops.io.dump(model, path)
        return path
    raise ValueError(
        f"Cannot save a {type(model).__name__}; pass a keras.Model or a fitted scikit-learn estimator."
    )


def load_model(path: str | os.PathLike, *, allow_pickle: bool = True) -> Any:
    """Load a saved model; every failure is a ModelLoadError a person can act on.

    allow_pickle: read legacy .joblib files (only for files this app wrote: unpickling runs code).
    """
    path = Path(path)
    name = path.name
    if not path.exists():
        raise ModelLoadError("errors.model.not_found", path=str(path))
    suffix = path.suffix.lower()
    if path.is_dir() or suffix not in (KERAS_SUFFIX, SKOPS_SUFFIX, *PICKLE_SUFFIXES):
        raise ModelLoadError("errors.model.unsupported_format", name=name, suffix=suffix or "folder")
    if suffix == SKOPS_SUFFIX:
        return _load_skops(path)
    if suffix in PICKLE_SUFFIXES:
        if not allow_pickle:
            raise ModelLoadError("errors.model.unsafe_pickle", name=name)
        return _load_joblib(path)
    _check_keras_archive(path)
    return _load_keras(path)


def load_model_from_bytes(data: bytes, *, filename: str, max_bytes: int | None = None) -> Any:
    """Load an uploaded model: only .keras (never pickles), written to a temp file and checked first."""
    name = Path(filename or "upload").name
    suffix = Path(name).suffix.lower()
    if suffix in PICKLE_SUFFIXES:
        raise ModelLoadError("errors.model.unsafe_pickle", name=name)
    if suffix != KERAS_SUFFIX:
        raise ModelLoadError("errors.model.unsupported_format", name=name, suffix=suffix or "none")
    if max_bytes is None:
        max_bytes = get_settings().max_upload_bytes
    if len(data) > max_bytes:
        raise ModelLoadError(
            "errors.model.too_large", name=name, size_mb=round(len(data) / 1024**2, 1),
            limit_mb=round(max_bytes / 1024**2, 1),
        )
    with tempfile.TemporaryDirectory(prefix="studio-upload-") as tmp:
        path = Path(tmp) / f"upload{KERAS_SUFFIX}"
        path.write_bytes(data)
        _check_keras_archive(path, display_name=name)
        return _load_keras(path, display_name=name)


def is_legacy_pickle(path: str | os.PathLike) -> bool:
    """True for a model saved as a pickle (.joblib) by an older studio: it loads, with a note on screen."""
    return Path(path).suffix.lower() in PICKLE_SUFFIXES


def current_type_name(name: str) -> str:
    """A type's name under today's module layout ("core.nlp.baseline.X" -> "core.usecases.nlp.baseline.X")."""
    module, _, attribute = name.rpartition(".")
    return f"{MOVED_MODULES[module]}.{attribute}" if module in MOVED_MODULES else name


@contextlib.contextmanager
def _moved_modules_importable() -> Iterator[None]:
    """While loading, the old module paths of moved classes resolve to their new modules (and only then)."""
    import importlib

    added = [old for old in MOVED_MODULES if old not in sys.modules]
    for old in added:
        sys.modules[old] = importlib.import_module(MOVED_MODULES[old])
    try:
        yield
    finally:
        for old in added:
            sys.modules.pop(old, None)


def untrusted_types(path: str | os.PathLike) -> list[str]:
    """Types in a .skops file that neither skops' defaults nor TRUSTED_TYPES allow (empty: safe to load)."""
    import skops.io

    path = Path(path)
    try:
        found = skops.io.get_untrusted_types(file=path)
    except Exception as error:  # noqa: BLE001 - not a zip, truncated, bad schema: the file is unusable
        raise ModelLoadError("errors.model.corrupt", name=path.name, detail=_short(error)) from error
    return sorted(name for name in found if current_type_name(name) not in TRUSTED_TYPES)


def _load_skops(path: Path) -> Any:
    """skops.io.load trusting only the file's types that are on the studio's list; others are refused."""
    import skops.io

    refused = untrusted_types(path)
    if refused:
        raise ModelLoadError("errors.model.untrusted_types", name=path.name, types=", ".join(refused[:5]))
    try:
        with _moved_modules_importable():
            return skops.io.load(path, trusted=skops.io.get_untrusted_types(file=path))
    except Exception as error:  # noqa: BLE001 - any failure to rebuild means the file is unusable
        raise ModelLoadError("errors.model.corrupt", name=path.name, detail=_short(error)) from error


def _load_joblib(path: Path) -> Any:
    import joblib

    try:
        with _moved_modules_importable():
            return joblib.load(path)
    except Exception as error:  # noqa: BLE001 - any unpickling failure means the file is unusable
        raise ModelLoadError("errors.model.corrupt", name=path.name, detail=_short(error)) from error


def _check_keras_archive(path: Path, *, display_name: str | None = None) -> None:
    """Refuse non-zips, truncated zips, zip bombs and configs that would run code, before Keras reads them."""
    name = display_name or path.name
    if not zipfile.is_zipfile(path):
        raise ModelLoadError("errors.model.corrupt", name=name, detail="not a .keras (zip) archive or truncated")
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            if sum(info.file_size for info in infos) > MAX_UNCOMPRESSED_BYTES:
                raise ModelLoadError("errors.model.corrupt", name=name, detail="archive inflates past 2 GB")
            if "config.json" not in archive.namelist():
                raise ModelLoadError("errors.model.corrupt", name=name, detail="config.json is missing")
            config = json.loads(archive.read("config.json"))
            bad = archive.testzip()
            if bad is not None:
                raise ModelLoadError("errors.model.corrupt", name=name, detail=f"{bad} fails its checksum")
    except ModelLoadError:
        raise
    except (zipfile.BadZipFile, json.JSONDecodeError, UnicodeDecodeError, OSError, EOFError) as error:
        raise ModelLoadError("errors.model.corrupt", name=name, detail=_short(error)) from error
    _check_config(config, name)


def _walk(node: Any) -> Iterator[dict]:
    """Every dict inside a JSON tree."""
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            yield item
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def _check_config(config: Any, name: str) -> None:
    """Lambda layers, serialized Python functions and non-Keras modules would run code on load."""
    for node in _walk(config):
        class_name = node.get("class_name")
        if class_name in ("Lambda", "__lambda__"):
            layer = node.get("config", {}).get("name", "?") if isinstance(node.get("config"), dict) else "?"
            raise ModelLoadError("errors.model.unsafe", name=name, layer=layer)
        module = node.get("module")
        if isinstance(module, str) and module and module != "builtins" and not (
            module == "keras" or module.startswith("keras.")
        ):
            raise ModelLoadError("errors.model.custom_code", name=name, module=module)


def _load_keras(path: Path, *, display_name: str | None = None) -> Any:
    """keras.saving.load_model with safe_mode=True and compile=False; map failures to ModelLoadError."""
    import keras

    name = display_name or path.name
    try:
        return keras.saving.load_model(path, safe_mode=True, compile=False)
    except Exception as error:  # noqa: BLE001 - Keras raises many types; all mean "cannot use this file"
        text = str(error)
        if "safe_mode" in text or "arbitrary code" in text:
            raise ModelLoadError("errors.model.custom_code", name=name, module=_short(error, 80)) from error
        if "Could not locate" in text or "Unknown layer" in text:
            raise ModelLoadError("errors.model.custom_code", name=name, module=_short(error)) from error
        raise ModelLoadError("errors.model.corrupt", name=name, detail=_short(error)) from error


def _short(error: BaseException, limit: int = 160) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return text if len(text) <= limit else text[: limit - 1] + "…"


def parameter_count(model: Any) -> int:
    """Trainable-plus-frozen parameter count: Keras count_params, or sklearn fitted coefficient sizes."""
    if hasattr(model, "to_spec"):
        raise ValueError("An LLM's parameters are not counted by the studio (an endpoint does not say them).")
    if is_keras_model(model) or (hasattr(model, "count_params") and callable(model.count_params)):
        return int(model.count_params())
    total = _sklearn_parameters(model)
    if total is None:
        raise ValueError(
            f"Cannot count parameters of an unfitted or unknown {type(model).__name__}; fit it first."
        )
    return total


def _sklearn_parameters(estimator: Any) -> int | None:
    """Sum sizes of fitted arrays (linear, MLP, trees, ensembles, pipelines); None when there are none."""
    if hasattr(estimator, "steps"):  # Pipeline: sum the steps that hold parameters
        counts = [_sklearn_parameters(step) for _, step in estimator.steps if step not in (None, "passthrough")]
        found = [count for count in counts if count is not None]  # scalers/flatteners count as None
        return sum(found) if found else None
    import numpy as np

    if hasattr(estimator, "coef_"):
        intercept = getattr(estimator, "intercept_", 0)
        return int(np.size(estimator.coef_) + np.size(intercept))
    if hasattr(estimator, "coefs_"):
        return int(sum(np.size(w) for w in estimator.coefs_) + sum(np.size(b) for b in estimator.intercepts_))
    if hasattr(estimator, "tree_"):
        return int(estimator.tree_.node_count)
    if hasattr(estimator, "estimators_"):
        members = np.ravel(np.asarray(estimator.estimators_, dtype=object))
        counts = [_sklearn_parameters(member) for member in members]
        found = [count for count in counts if count is not None]
        return sum(found) if found else None
    return None


def model_size_bytes(path: str | os.PathLike) -> int:
    """Bytes on disk of a model file (or of every file in a model folder)."""
    path = Path(path)
    if not path.exists():
        raise ModelLoadError("errors.model.not_found", path=str(path))
    if path.is_dir():
        return sum(child.stat().st_size for child in path.rglob("*") if child.is_file())
    return path.stat().st_size
