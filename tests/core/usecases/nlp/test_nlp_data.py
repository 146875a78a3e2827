"""Text datasets: bundled English/Chinese reviews, CSV uploads with bad input, and the data-tab statistics."""

from __future__ import annotations

import numpy as np
import pytest

from core.usecases.nlp.data import (chinese_review_texts, clean_text, decode_bytes, load_chinese_reviews,
                                    load_english_reviews, load_text_csv, text_statistics)
from core.errors import DataError


def _csv(rows, header="text,label"):
    return (header + "\n" + "\n".join(rows) + "\n").encode("utf-8")


BALANCED = [f'"good tasty food {i}",pos' for i in range(5)] + [f'"awful stale food {i}",neg' for i in range(5)]


def test_clean_text_drops_html_entities_bom_and_extra_spaces():
    assert clean_text("\ufeff<p>Great&nbsp;tea &amp; cake<br />!</p>  ") == "Great tea & cake !"
    assert clean_text(None) == "" and clean_text(float("nan")) == ""
    assert clean_text("好吃 😀") == "好吃 😀"  # emoji survive


def test_decode_bytes_reads_bom_gbk_and_mixed_lines():
    assert decode_bytes("\ufeff文本,标签".encode("utf-8")) == ("文本,标签", "utf-8-sig")
    assert decode_bytes("质量很好".encode("gbk")) == ("质量很好", "gb18030")
    mixed = "第一行".encode("utf-8") + b"\n" + "第二行很差".encode("gbk")
    text, encoding = decode_bytes(mixed)
    assert text == "第一行\n第二行很差" and encoding == "mixed"


def test_english_reviews_keep_the_given_test_set():
    dataset = load_english_reviews(seed=0)
    assert dataset.sizes == {"train": 3600, "val": 400, "test": 1000}
    assert dataset.class_names == ("other", "great")
    assert dataset.class_counts("test").tolist() == [342, 658]
    assert dataset.extra["split"] == "whitespace" and dataset.extra["language"] == "en"


def test_chinese_reviews_are_unique_and_never_in_both_classes():
    texts, labels, counts = chinese_review_texts()
    assert counts["in_both"] == 47 and len(texts) == counts["kept"] == len(set(texts))
    assert 17_000 < len(texts) < 17_500
    dataset = load_chinese_reviews(seed=0)
    assert sum(dataset.sizes.values()) == len(texts)
    assert dataset.sizes["test"] == int(np.ceil(0.2 * len(texts)))
    assert dataset.extra["split"] == "character" and dataset.extra["language"] == "zh"


def test_csv_with_number_labels_and_gbk_encoding():
    rows = [f"质量很好{i},1" for i in range(4)] + [f"非常差劲{i},0" for i in range(4)] + [f"一般般{i},2.0" for i in range(4)]
    dataset = load_text_csv(data=_csv(rows, "评论,评分").decode("utf-8").encode("gbk"), text_column="评论",
                            label_column="评分")
    assert dataset.class_names == ("0", "1", "2")
    assert dataset.extra["encoding"] == "gb18030" and dataset.extra["language"] == "zh"
    assert "质量很好0" in set(dataset.x_train) | set(dataset.x_val) | set(dataset.x_test)


def test_csv_with_bom_html_emoji_and_empty_rows_keeps_what_it_can():
    rows = BALANCED + ['"   ",pos', '"<b>yummy</b> 😀",pos']
    dataset = load_text_csv(data=b"\xef\xbb\xbf" + _csv(rows), text_column="text", label_column="label")
    everything = list(dataset.x_train) + list(dataset.x_val) + list(dataset.x_test)
    assert "yummy 😀" in everything and dataset.extra["dropped_empty"] == 1
    assert dataset.class_names == ("neg", "pos") and len(everything) == 11


def test_csv_keeps_a_100k_character_text_whole():
    long_text = "tasty " * 20_000
    rows = BALANCED + [f'"{long_text}",pos']
    dataset = load_text_csv(data=_csv(rows))
    everything = list(dataset.x_train) + list(dataset.x_val) + list(dataset.x_test)
    assert max(len(text) for text in everything) == len(long_text.strip())


def test_csv_errors_name_the_fix():
    with pytest.raises(DataError, match="only one class"):
        load_text_csv(data=_csv([f"text {i},same" for i in range(6)]))
    with pytest.raises(DataError, match="no column 'review'.*text, label"):
        load_text_csv(data=_csv(BALANCED), text_column="review")
    with pytest.raises(DataError, match="texts in column 'text' are empty"):
        load_text_csv(data=_csv(['"",a', '" ",b']))
    with pytest.raises(DataError, match="fewer than 3 rows: 'rare' \\(1\\)"):
        load_text_csv(data=_csv(BALANCED + ["odd one,rare"]))
    with pytest.raises(DataError, match="CSV is empty"):
        load_text_csv(data=b"   ")
    with pytest.raises(DataError, match="two different columns"):
        load_text_csv(data=_csv(BALANCED), text_column="text", label_column="text")
    with pytest.raises(DataError, match="Upload the file again"):
        load_text_csv(path="/nonexistent/file.csv")


def test_text_statistics_count_tokens_classes_and_vocabulary():
    dataset = load_text_csv(data=_csv([f'"good good food",pos' for _ in range(5)] + [f'"bad",neg' for _ in range(5)]))
    stats = text_statistics(dataset, top=2)
    train_labels = dataset.y_train.tolist()
    assert stats["lengths"] == [3 if label == 1 else 1 for label in train_labels]
    assert stats["top_tokens"][0] == ("good", 2 * train_labels.count(1))
    assert stats["class_counts"]["train"] == dataset.class_counts("train").tolist()
    assert set(stats["samples"]) == {"neg", "pos"}


def test_tab_and_semicolon_files_are_split_into_text_and_label():
    tab_rows = [f"good, tasty food {i}\tpos" for i in range(5)] + [f"awful, stale food {i}\tneg" for i in range(5)]
    dataset = load_text_csv(data=_csv(tab_rows, "text\tlabel"))
    everything = list(dataset.x_train) + list(dataset.x_val) + list(dataset.x_test)
    assert dataset.class_names == ("neg", "pos") and "good, tasty food 0" in everything
    semicolon_rows = [f"good food {i};pos" for i in range(5)] + [f"awful food {i};neg" for i in range(5)]
    dataset = load_text_csv(data=_csv(semicolon_rows, "text;label"))
    assert dataset.class_names == ("neg", "pos") and len(dataset.y_train) + len(dataset.y_val) + len(dataset.y_test) == 10


def test_a_header_naming_the_text_column_twice_is_refused_by_name():
    """Issue 21 item 6: pandas renamed the repeat to 'text.1' without a word; the reader now names it."""
    rows = "".join(f"review {i} words,{'pos' if i % 2 else 'neg'},other {i}\n" for i in range(40))
    data = ("text,label,text\n" + rows).encode()
    with pytest.raises(DataError, match=r"names the column 'text' 2 times, and it is the text or the label column"):
        load_text_csv(data=data, seed=0)
    renamed = load_text_csv(data=("text,label,note,note\n" + rows.replace("\n", ",x\n")).encode(), seed=0)
    assert renamed.x_train[0].startswith("review")  # a repeat elsewhere is renamed ('note (2)') and loads
