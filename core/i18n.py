"""Message catalogs shared by the UI and by user-facing errors.

Each language is a folder, assets/i18n/<lang>/, of YAML files, one per area (app, vision,
walkthrough, ...), merged at load time: a new use case or page adds its own file instead of
editing a shared one. A use-case package may ship its own catalogs instead, <package>/i18n/<lang>.yaml,
which the registry adds when it registers the package (add_catalog_dir). A key defined twice is an error.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import yaml

from core.config import ASSETS_DIR

LANGUAGES = ("en", "zh")
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C loader reads the catalogs ~10x faster
I18N_DIR = ASSETS_DIR / "i18n"
_PACKAGE_DIRS: list[Path] = []  # folders of <lang>.yaml files that use-case packages ship


def _flatten(tree: dict, prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in tree.items():
        full = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, full + "."))
        else:
            flat[full] = str(value)
    return flat


@functools.lru_cache(maxsize=None)
def catalog(lang: str) -> dict[str, str]:
    """Flat {dotted.key: text} for one language."""
    if lang not in LANGUAGES:
        raise ValueError(f"Unknown language {lang!r}; use one of {', '.join(LANGUAGES)}.")
    merged: dict[str, str] = {}
    for path in catalog_files(lang).values():
        with open(path, encoding="utf-8") as handle:
            flat = _flatten(yaml.load(handle, Loader=_LOADER) or {})
        clash = sorted(set(flat) & set(merged))
        if clash:
            raise ValueError(f"{path}: keys already defined in another {lang} catalog: {clash[:5]}")
        merged.update(flat)
    return merged


def add_catalog_dir(folder: str | Path) -> None:
    """Merge a use-case package's own catalogs, folder/<lang>.yaml, into every language's catalog."""
    folder = Path(folder)
    if folder not in _PACKAGE_DIRS:
        _PACKAGE_DIRS.append(folder)
        catalog.cache_clear()


def catalog_files(lang: str) -> dict[str, Path]:
    """The YAML files of one language by area: "app.yaml" ... under assets/i18n/<lang>/, then each
    package folder (named by its path, the same in every language) that has a <lang>.yaml."""
    files = {path.name: path for path in sorted((I18N_DIR / lang).glob("*.yaml"))}
    for folder in _PACKAGE_DIRS:
        if (folder / f"{lang}.yaml").is_file():
            files[str(folder)] = folder / f"{lang}.yaml"
    return files


def translate(key: str, lang: str = "en", /, **params: Any) -> str:
    """Text for `key` in `lang` with {placeholders} filled; falls back to English, then the key."""
    text = catalog(lang).get(key) or catalog("en").get(key) or key
    if params:
        try:
            return text.format(**params)
        except (KeyError, IndexError, ValueError):
            return text
    return text


class StudioError(ValueError):
    """A user-facing error: an i18n key plus parameters; str() is the English message."""

    def __init__(self, key: str, /, **params: Any):
        self.key = key
        self.params = params
        super().__init__(translate(key, "en", **params))

    def message(self, lang: str = "en") -> str:
        """The message in the reader's language."""
        return translate(self.key, lang, **self.params)

    def __reduce__(self):
        """Pickle as key + params (an error raised on a Ray worker keeps its translation in the app)."""
        return (_rebuild_error, (type(self), self.key, self.params))


def _rebuild_error(cls: type, key: str, params: dict) -> StudioError:
    return cls(key, **params)
