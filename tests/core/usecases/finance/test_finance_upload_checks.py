"""Issue 21 items 6 and 7b: repeated header names, missing and infinite numbers, the too-few-rows wording."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.errors import DataError
from core.i18n import translate
from core.usecases.finance.data import read_csv_bytes, table_dataset


def _rows(n=240, seed=0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    income = rng.normal(50, 15, n).round(1)
    home = rng.choice(["rent", "own", "parents"], n)
    risk = -0.08 * (income - 50) + np.where(home == "rent", 1.0, -0.5)
    bad = rng.uniform(size=n) < 1 / (1 + np.exp(-risk))
    return pd.DataFrame({"status": np.where(bad, "bad", "good"), "income": income, "home": home})


def test_a_header_holding_the_target_twice_is_refused_naming_it():
    body = "".join(f"{'bad' if i % 3 == 0 else 'good'},{i},{i * 7 % 600}\n" for i in range(600))
    frame, _ = read_csv_bytes(("status,a,status\n" + body).encode())
    assert list(frame.columns) == ["status", "a", "status (2)"]
    for target in ("status", "status (2)"):  # neither copy can be trusted to be the outcome
        with pytest.raises(DataError, match=r"names the column 'status' 2 times, and it is the target") as caught:
            table_dataset(frame, target=target, bad_value="bad")
        assert "表头中“status”这一列名出现了 2 次" in translate(caught.value.key, "zh", **caught.value.params)


def test_a_repeated_feature_name_is_renamed_and_the_data_tab_note_says_to_what():
    frame = _rows()
    text = frame.to_csv(index=False).replace("status,income,home", "status,income, income", 1)
    data = table_dataset(read_csv_bytes(text.encode())[0], target="status", bad_value="bad")
    assert [f["name"] for f in data.extra["features"]] == ["income", "income (2)"]
    note = next(n for n in data.extra["notes"] if n["kind"] == "renamed_columns")
    assert note["columns"] == "'income' → 'income (2)'"
    shown = translate("finance.note.renamed_columns", "en", **{k: v for k, v in note.items() if k != "kind"})
    assert "'income' → 'income (2)'" in shown


def test_infinite_numbers_count_as_missing_and_the_note_says_what_training_does():
    frame = _rows().astype({"income": object})
    frame.loc[[3, 10, 40], "income"] = ["inf", "-inf", "Infinity"]
    frame.loc[[5, 6], "income"] = ["", "NaN"]
    data = table_dataset(read_csv_bytes(frame.to_csv(index=False).encode())[0], target="status", bad_value="bad")
    income = next(f for f in data.extra["features"] if f["name"] == "income")
    values = np.concatenate([data.x_train[income["key"]], data.x_val[income["key"]], data.x_test[income["key"]]])
    assert not np.isinf(values).any() and np.isnan(values).sum() == 5
    assert np.isfinite([income["median"], income["mean"], income["std"]]).all()
    assert {"kind": "missing_numbers_infinite", "count": "5", "columns": "income (5)", "infinite": "3"} \
        in data.extra["notes"]
    clean = table_dataset(_rows(), target="status", bad_value="bad")
    assert not [n for n in clean.extra["notes"] if n["kind"].startswith("missing_numbers")]


def test_a_scorecard_and_an_mlp_train_and_evaluate_on_a_file_with_nan_and_inf():
    """Trained as the lab trains them: finite scores and metrics, not NaN (inf made the MLP's scaling infinite)."""
    import keras

    from core.usecases.finance.metrics import binary_report
    from core.usecases.finance.models import build_mlp, build_scorecard, keras_inputs, predict_bad

    frame = _rows(400).astype({"income": object})
    frame.loc[frame.index % 9 == 0, "income"] = "inf"
    frame.loc[frame.index % 11 == 0, "income"] = "nan"
    data = table_dataset(read_csv_bytes(frame.to_csv(index=False).encode())[0], target="status", bad_value="bad")
    scorecard = build_scorecard(data.extra["features"], random_state=0).fit(data.x_train, data.y_train)
    keras.utils.set_random_seed(0)
    mlp = build_mlp(data.extra["features"], data.x_train, units=(8,))
    mlp.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="binary_crossentropy")
    mlp.fit(keras_inputs(mlp, data.x_train), data.y_train.astype("float32"), epochs=3, batch_size=32, verbose=0)
    for model in (scorecard, mlp):
        scores = predict_bad(model, data.x_test)
        assert np.isfinite(scores).all()
        report = binary_report(data.y_test, scores)
        assert np.isfinite([report["roc_auc"], report["ks"], report["pr_auc"], report["brier"]]).all()
        assert report["roc_auc"] > 0.6, report["roc_auc"]  # income and home carry the risk


def test_one_row_says_row_and_never_calls_its_only_value_bad():
    one = _rows().head(1).assign(status="good")
    with pytest.raises(DataError) as caught:
        table_dataset(one, target="status", bad_value="good")  # the lab's guess for a one-value file
    english = translate(caught.value.key, "en", **caught.value.params)
    assert english.startswith("Only 1 usable row (its 'status' is 'good')"), english
    assert "rows (" not in english and "bad," not in english
    assert translate(caught.value.key, "zh", **caught.value.params).startswith("只有 1 行可用（其“status”为“good”）")


def test_a_few_rows_of_one_value_name_the_value_not_a_bad_count():
    with pytest.raises(DataError, match=r"Only 5 usable rows, and all of them hold 'good' in 'status'"):
        table_dataset(_rows().head(5).assign(status="good"), target="status", bad_value="good")
    with pytest.raises(DataError, match=r"Only 6 usable rows \(2 bad, 4 good\)"):
        table_dataset(_rows().head(6).assign(status=["bad", "bad", "good", "good", "good", "good"]),
                      target="status", bad_value="bad")
