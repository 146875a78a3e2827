"""Python token mirrors and language detection used by explanations and the data tab."""

from __future__ import annotations

import pytest

from core.usecases.nlp.tokenise import is_chinese, join_tokens, jieba_words, split_for, tokens


def test_tokens_follow_keras_standardisation():
    assert tokens("It's NOT good... at all!", "whitespace") == ["its", "not", "good", "at", "all"]
    assert tokens("不错，Good", "character") == ["不", "错", "，", "g", "o", "o", "d"]
    assert tokens("a b c d", "whitespace", limit=2) == ["a", "b"]
    with pytest.raises(ValueError, match="split must be one of"):
        tokens("x", "words")


def test_join_tokens_inverts_tokens():
    for text, split in (("great tea and cake", "whitespace"), ("质量很好", "character")):
        assert tokens(join_tokens(tokens(text, split), split), split) == tokens(text, split)


def test_language_detection_and_split():
    assert is_chinese(["质量很好，推荐", "ok"]) and not is_chinese(["good food", "很"])
    assert not is_chinese([""])
    assert split_for("zh") == "character" and split_for("en") == "whitespace"


def test_jieba_finds_words():
    assert jieba_words("质量很好 ") == ["质量", "很", "好"]
