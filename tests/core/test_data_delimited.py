"""The one sniffing reader behind every CSV upload: tabs, semicolons, commas and pipes."""

from __future__ import annotations

import io

import pytest

from core.data.delimited import DELIMITED_EXTENSIONS, check_extension, read_delimited, sniff_separator
from core.errors import DataError


@pytest.mark.parametrize(("sample", "expected"), [
    ("user,item,rating\n1,2,3\n4,5,6\n", ","),
    ("196\t242\t3\t881250949\n186\t302\t3\t891717742\n", "\t"),
    ("user;item;rating\n1;2;3,5\n4;5;4,0\n", ";"),  # decimal commas do not make it a comma file
    ("a|b\n1|2\n", "|"),
    ('text,label\n"tasty; would buy again",pos\n"bland; no",neg\n', ","),  # quoted semicolons are text
    ("text\tlabel\ngood, cheap, fast\tpos\nslow, dear\tneg\n", "\t"),  # unquoted commas inside tab fields
    ("only\none\ncolumn\n", ","),
    ("", ","),
])
def test_sniff_separator_picks_the_consistent_one(sample, expected):
    assert sniff_separator(sample) == expected


def test_read_delimited_reads_a_tab_file_from_disk_and_text(tmp_path):
    path = tmp_path / "u.data"
    path.write_text("196\t242\t3\t881250949\n186\t302\t3\t891717742\n", encoding="utf-8")
    frame = read_delimited(path, header=None, names=["user", "item", "rating", "timestamp"])
    assert frame.shape == (2, 4) and frame["item"].tolist() == [242, 302]
    text = read_delimited(io.StringIO("a;b\n1;x\n"), dtype=str)
    assert list(text.columns) == ["a", "b"] and text.iloc[0].tolist() == ["1", "x"]


def test_read_delimited_chunks_keep_the_sniffed_separator(tmp_path):
    path = tmp_path / "r.tsv"
    path.write_text("user\titem\n" + "".join(f"u{i}\ti{i}\n" for i in range(5)), encoding="utf-8")
    with read_delimited(path, chunksize=2, dtype=str) as reader:
        sizes = [chunk.shape for chunk in reader]
    assert sizes == [(2, 2), (2, 2), (1, 2)]


def test_check_extension_accepts_raw_formats_and_names_them_when_refusing():
    for name in ("u.data", "ratings.TSV", "reviews.txt", "credit.csv"):
        check_extension(name)
    assert DELIMITED_EXTENSIONS == ("csv", "tsv", "txt", "data")
    with pytest.raises(DataError, match=r"'report\.xlsx'.*\.csv, \.tsv, \.txt, \.data"):
        check_extension("folder/report.xlsx")
    with pytest.raises(DataError, match=r"'README'.*\.csv"):
        check_extension("README")


def test_repeated_header_names_are_named_and_listed_only_when_asked():
    """Issue 21 item 6: a table reader names repeats readably; a header-less number file keeps pandas' names."""
    from core.data.delimited import repeated_columns

    text = "status,a, status,a\n1,2,3,4\n"
    named = read_delimited(io.StringIO(text), name_repeats=True)
    assert list(named.columns) == ["status", "a", "status (2)", "a (2)"]
    assert repeated_columns(named) == {"status": ["status (2)"], "a": ["a (2)"]}
    plain = read_delimited(io.StringIO("0\t0\t1\t100\n1\t2\t3\t4\n"), nrows=0)
    assert [str(c) for c in plain.columns] == ["0", "0.1", "1", "100"] and repeated_columns(plain) == {}
