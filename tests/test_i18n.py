"""Catalog completeness: en and zh define the same keys, nothing empty, same placeholders, every key code uses exists."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest
import yaml

from core import i18n

REPO_ROOT = Path(__file__).resolve().parents[1]
I18N_DIR = REPO_ROOT / "assets" / "i18n"
CODE_DIRS = ("core", "dashboard", "pages")
KEY_SHAPE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")
# t("key"...), translate("key"...), SomeError("key"...), and *_key="key" / *_key: "key" declarations.
# f-strings and variables are skipped on purpose: their keys are dynamic.
# A literal followed by "+" or "%" is only a prefix of a dynamic key, so it is skipped too.
_LITERAL = r"(['\"])([^'\"\n{}]+)\1(?!\s*[+%])"
KEY_USES = (
    re.compile(r"(?<![\w.])(?:t|_t|translate)\(\s*" + _LITERAL),
    re.compile(r"\b[A-Z]\w*Error\(\s*" + _LITERAL),
    re.compile(r"\b\w*_key\s*[=:]\s*" + _LITERAL),
)
# Any other literal with three or more dotted parts under a catalog namespace ("training.device.x")
# is a key held in a variable first; two-part literals ("evaluation.json") are too ambiguous.
ANY_LITERAL = re.compile(r"(['\"])([a-z][a-z0-9_]*(?:\.[a-z0-9_]+){2,})\1(?!\s*[+%])")


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key repeated inside one mapping (PyYAML silently keeps the last)."""


def _construct_mapping(loader, node, deep=False):
    seen = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
        seen.add(key)
    return yaml.SafeLoader.construct_mapping(loader, node, deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _flatten(tree, prefix, problems, where):
    flat = {}
    if not isinstance(tree, dict):
        problems.append(f"{where}: top level must be a mapping")
        return flat
    for key, value in tree.items():
        if not isinstance(key, str):  # e.g. yes/no/on/off unquoted become booleans in YAML
            problems.append(f"{where}: key {prefix}{key!r} is not a string; quote it")
            continue
        full = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, full + ".", problems, where))
        else:
            flat[full] = value
    return flat


def _load(lang: str) -> tuple[dict[str, dict[str, object]], list[str]]:
    """{file name: {dotted key: raw value}} for one language, plus problems found while loading."""
    import core.contract.registry  # noqa: F401 - registering the packages adds the catalogs they ship

    files, problems = {}, []
    for name, path in i18n.catalog_files(lang).items():
        where = f"{lang}/{name}"
        try:
            tree = yaml.load(path.read_text(encoding="utf-8"), Loader=_UniqueKeyLoader) or {}
        except yaml.YAMLError as error:
            problems.append(f"{where}: {error}")
            continue
        files[name] = _flatten(tree, "", problems, where)
    return files, problems


def _placeholders(text: str) -> set[str]:
    try:
        return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}
    except ValueError as error:
        return {f"<unbalanced braces: {error}>"}


@pytest.fixture(scope="module")
def catalogs():
    en, en_problems = _load("en")
    zh, zh_problems = _load("zh")
    return en, zh, en_problems + zh_problems


def test_catalog_files_parse_without_duplicates_or_non_string_keys(catalogs):
    _, _, problems = catalogs
    assert not problems, "\n".join(problems)


def test_each_language_has_the_same_files(catalogs):
    en, zh, _ = catalogs
    assert set(en) == set(zh), f"only in en: {sorted(set(en) - set(zh))}; only in zh: {sorted(set(zh) - set(en))}"


def test_every_key_exists_in_both_languages(catalogs):
    en, zh, _ = catalogs
    missing = []
    for name in sorted(set(en) | set(zh)):
        en_keys, zh_keys = set(en.get(name, {})), set(zh.get(name, {}))
        missing += [f"{name}: {key} is in en but missing in zh" for key in sorted(en_keys - zh_keys)]
        missing += [f"{name}: {key} is in zh but missing in en" for key in sorted(zh_keys - en_keys)]
    assert not missing, "\n".join(missing)


def test_no_empty_or_non_text_values(catalogs):
    en, zh, _ = catalogs
    bad = []
    for lang, files in (("en", en), ("zh", zh)):
        for name, flat in files.items():
            for key, value in flat.items():
                if isinstance(value, bool) or not isinstance(value, (str, int, float)):
                    bad.append(f"{lang}/{name}: {key} = {value!r} is not text")
                elif str(value).strip() == "":
                    bad.append(f"{lang}/{name}: {key} is empty")
    assert not bad, "\n".join(bad)


def test_both_languages_use_the_same_placeholders(catalogs):
    en, zh, _ = catalogs
    mismatched = []
    for name in sorted(set(en) & set(zh)):
        for key in sorted(set(en[name]) & set(zh[name])):
            en_fields, zh_fields = _placeholders(str(en[name][key])), _placeholders(str(zh[name][key]))
            if en_fields != zh_fields:
                mismatched.append(f"{name}: {key}: en {sorted(en_fields)} vs zh {sorted(zh_fields)}")
    assert not mismatched, "\n".join(mismatched)


def test_merged_catalogs_load_without_cross_file_clashes():
    i18n.catalog.cache_clear()
    try:
        assert set(i18n.catalog("en")) == set(i18n.catalog("zh"))
    finally:
        i18n.catalog.cache_clear()


def _keys_used_in_code(namespaces: set[str] = frozenset()) -> dict[str, list[str]]:
    """{key: ["path:line", ...]} for literal i18n keys in core/, dashboard/ and pages/."""
    used: dict[str, list[str]] = {}
    patterns = KEY_USES + ((ANY_LITERAL,) if namespaces else ())
    for folder in CODE_DIRS:
        for path in sorted((REPO_ROOT / folder).rglob("*.py")):
            source = path.read_text(encoding="utf-8")
            for pattern in patterns:
                for match in pattern.finditer(source):
                    key = match.group(2)
                    if pattern is ANY_LITERAL and key.split(".", 1)[0] not in namespaces:
                        continue
                    if KEY_SHAPE.match(key):
                        line = source.count("\n", 0, match.start()) + 1
                        place = f"{path.relative_to(REPO_ROOT)}:{line}"
                        if place not in used.get(key, []):
                            used.setdefault(key, []).append(place)
    return used


def test_the_scan_finds_known_keys():
    used = _keys_used_in_code()
    assert "nav.home" in used and "app.title" in used  # dashboard/app.py and pages/home.py
    assert "usecases.vision.title" in used  # title_key= in core/usecases/vision/__init__.py


def test_every_literal_key_used_in_code_exists_in_the_english_catalog():
    i18n.catalog.cache_clear()
    english = i18n.catalog("en")
    namespaces = {key.split(".", 1)[0] for key in english}
    missing = [f"{key}  (used at {', '.join(places[:3])})"
               for key, places in sorted(_keys_used_in_code(namespaces).items()) if key not in english]
    assert not missing, "keys used in code but missing in assets/i18n/en/*.yaml:\n" + "\n".join(missing)


def test_every_use_case_declaration_key_exists():
    from core.contract.registry import USE_CASES

    english = i18n.catalog("en")
    keys = []
    for use_case in USE_CASES.values():
        keys += [use_case.title_key, use_case.value_key]
        keys += [key for source in use_case.datasets for key in (source.title_key, source.description_key) if key]
        keys += [key for candidate in use_case.candidates for key in (candidate.name_key, candidate.description_key)]
    missing = sorted({key for key in keys if key not in english})
    assert not missing, f"use-case declarations name keys missing in en catalogs: {missing}"


def test_the_scan_skips_dynamic_keys():
    source = 't("a.b") t(f"a.{x}") t("lab.kind_" + kind) DataError("errors.x.y", n=1) title_key="m.n" note = "app.x.y"'
    found = {match.group(2) for pattern in KEY_USES for match in pattern.finditer(source)}
    assert found == {"a.b", "errors.x.y", "m.n"}
    assert [match.group(2) for match in ANY_LITERAL.finditer(source)] == ["errors.x.y", "app.x.y"]
