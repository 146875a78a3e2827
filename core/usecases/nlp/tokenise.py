"""Python mirrors of the in-model TextVectorization tokenisation, plus jieba words for the comparison.

The Keras models tokenise inside the graph (lower-casing, ASCII punctuation stripped, whitespace
words for English, single characters for Chinese); explanations need the same tokens in Python so
each can be dropped in turn. jieba is used only for the measured comparison (it cannot run in a
TensorFlow graph) and is imported lazily.
"""

from __future__ import annotations

import re
from typing import Iterable

# Keras TextVectorization's "lower_and_strip_punctuation" pattern (ASCII punctuation only).
_KERAS_PUNCTUATION = re.compile(r'[!"#$%&()\*\+,-\./:;<=>?@\[\\\]^_`{|}~\']')
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
SPLITS = ("whitespace", "character")


def is_chinese(texts: Iterable[str], *, threshold: float = 0.2) -> bool:
    """True when at least `threshold` of the non-space characters are CJK ideographs."""
    cjk = total = 0
    for text in texts:
        stripped = "".join(str(text).split())
        total += len(stripped)
        cjk += len(_CJK.findall(stripped))
    return total > 0 and cjk / total >= threshold


def split_for(language: str) -> str:
    """The in-model split for a language: characters for Chinese, whitespace words otherwise."""
    return "character" if language == "zh" else "whitespace"


def standardize(text: str, split: str) -> str:
    """What TextVectorization's standardize step makes of a text (lower-case; English also loses punctuation)."""
    text = str(text).lower()
    if split == "whitespace":
        return _KERAS_PUNCTUATION.sub("", text)
    return text


def tokens(text: str, split: str, *, limit: int | None = None) -> list[str]:
    """The tokens the model sees, in order (at most `limit`): whitespace words or single characters."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}.")
    standard = standardize(text, split)
    found = standard.split() if split == "whitespace" else list(standard)
    return found[:limit] if limit is not None else found


def join_tokens(parts: list[str], split: str) -> str:
    """Inverse of tokens(): a string that the model tokenises back into exactly `parts`."""
    return " ".join(parts) if split == "whitespace" else "".join(parts)


def jieba_words(text: str) -> list[str]:
    """Chinese words by jieba (precise mode), whitespace dropped; only for the measured comparison."""
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    return [word for word in jieba.lcut(str(text)) if word.strip()]


def segment_with_jieba(texts: Iterable[str]) -> list[str]:
    """Texts with jieba words joined by spaces, so a whitespace tokenizer sees words."""
    return [" ".join(jieba_words(text)) for text in texts]
