"""One reader for every delimited-text upload (CSV, TSV, MovieLens' u.data...): the separator is sniffed.

People upload what their tools wrote: commas, tabs (u.data, spreadsheet "text" exports),
semicolons (European Excel, where the comma is the decimal mark) or pipes. Every CSV reader in
core/data goes through `read_delimited`, so a tab file is never read as one wide column.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from pathlib import Path
from typing import Any

import pandas as pd

from core.errors import DataError

SEPARATORS = (",", "\t", ";", "|")  # on a tie the earlier one wins
# What a delimited-text uploader accepts (lower case, without the dot); the readers sniff the rest.
DELIMITED_EXTENSIONS = ("csv", "tsv", "txt", "data")
SNIFF_CHARS = 64 * 1024
SNIFF_LINES = 50


def sniff_separator(sample: str) -> str:
    """The separator that splits the sample's first lines into the same number (>= 2) of fields most often.

    Quoted fields are respected (a comma inside "..." does not count), so a semicolon file with
    decimal commas or a comma file with quoted text picks the right one. "," when nothing splits.
    """
    lines = sample.splitlines()
    if len(sample) >= SNIFF_CHARS and len(lines) > 1:
        lines = lines[:-1]  # the last line was cut by the sample
    text = "\n".join(line for line in lines[:SNIFF_LINES] if line.strip())
    best, best_score = ",", (0.0, 0)
    for separator in SEPARATORS:
        try:
            counts = [len(row) for row in csv.reader(io.StringIO(text), delimiter=separator) if row]
        except csv.Error:
            continue
        if not counts:
            continue
        fields, times = max(Counter(counts).items(), key=lambda pair: (pair[1], pair[0]))
        if fields < 2:
            continue
        score = (times / len(counts), fields)
        if score > best_score:
            best, best_score = separator, score
    return best


def read_delimited(source: str | Path | io.StringIO, *, name_repeats: bool = False, **read_csv_kwargs: Any) -> Any:
    """`pandas.read_csv` with the separator sniffed from the start of the source.

    `source` is a file path or an `io.StringIO` of already decoded text; every other keyword
    (dtype, header, names, usecols, chunksize...) goes to read_csv unchanged, so a chunked read
    returns pandas' chunk reader; a frame says its separator in attrs["separator"]. Parser errors propagate: each caller turns them into its own
    DataError. name_repeats: a header naming a column twice gets readable names for the repeats ("status (2)",
    not pandas' silent "status.1") listed in attrs["renamed_columns"] (see repeated_columns), so a table
    reader can say so or refuse; readers that recognise a header-less file by its numbers leave it off.
    """
    if isinstance(source, io.StringIO):
        sample = source.getvalue()[:SNIFF_CHARS]
    else:
        encoding = read_csv_kwargs.get("encoding") or "utf-8"
        with open(source, encoding=encoding, errors="replace") as handle:
            sample = handle.read(SNIFF_CHARS)
    separator = sniff_separator(sample.lstrip("\ufeff"))
    result = pd.read_csv(source, sep=separator, **read_csv_kwargs)
    if isinstance(result, pd.DataFrame):
        result.attrs["separator"] = separator
        if name_repeats and "names" not in read_csv_kwargs and read_csv_kwargs.get("header", "infer") in ("infer", 0):
            _name_duplicates(result, _header(sample.lstrip("\ufeff"), separator))
    return result


def _header(sample: str, separator: str) -> list[str]:
    """The header row's names as written (pandas renames repeated ones to "name.1")."""
    try:
        return next(csv.reader(io.StringIO(sample), delimiter=separator), [])
    except csv.Error:
        return []


def _name_duplicates(frame: pd.DataFrame, header: list[str]) -> None:
    """Give repeated header names (compared without surrounding spaces) readable names, "status (2)", and
    record each as (name written, name given) in attrs["renamed_columns"], so callers can say so or refuse."""
    written = [str(name).strip() for name in header]
    if len(written) != frame.shape[1] or len(set(written)) == len(written):
        return
    taken, seen, columns, renamed = set(written), Counter(), [], []
    for name in written:
        seen[name] += 1
        if seen[name] == 1:
            columns.append(name)
            continue
        number = seen[name]
        while f"{name} ({number})" in taken:
            number += 1
        given = f"{name} ({number})"
        taken.add(given)
        columns.append(given)
        renamed.append((name, given))
    frame.columns = columns
    frame.attrs["renamed_columns"] = renamed


def repeated_columns(frame: pd.DataFrame) -> dict[str, list[str]]:
    """{name written more than once in the header: [the names its repeats were given]} (read_delimited)."""
    found: dict[str, list[str]] = {}
    for written, given in frame.attrs.get("renamed_columns", []):
        found.setdefault(written, []).append(given)
    return found


def check_extension(name: str, accepted: tuple[str, ...] = DELIMITED_EXTENSIONS) -> None:
    """DataError naming the accepted types when a file's name does not end in one of them."""
    suffix = Path(str(name)).suffix.lower().lstrip(".")
    if suffix not in accepted:
        raise DataError("errors.data.upload_wrong_type", name=Path(str(name)).name,
                        accepted=", ".join(f".{ext}" for ext in accepted))
