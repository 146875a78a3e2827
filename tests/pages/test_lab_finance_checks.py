"""Issue 21 item 6 on the finance Data tab: a repeated target header is refused by name, repeated feature names
are renamed and said, missing and infinite numbers are counted with what training does with them."""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.i18n import translate

LAB = "../pages/lab.py"


def _open_upload(app_test):
    at = app_test(timeout=120).run()
    at.switch_page(LAB).run()
    at.session_state["lab_use_case"] = "finance"
    at.run()
    at.selectbox(key="finance_dataset").set_value("upload_csv").run()
    return at


def _table(n=200) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame({"status": np.where(np.arange(n) % 4 == 0, "bad", "good"),
                         "income": rng.normal(150, 40, n).round(), "home": rng.choice(["rent", "owner"], n)})


def test_a_header_naming_the_target_twice_is_refused_by_name(app_test, switch_language):
    at = _open_upload(app_test)
    body = "".join(f"{'bad' if i % 3 == 0 else 'good'},{i},{i * 7 % 600}\n" for i in range(600))
    at.file_uploader(key="finance_upload").set_value(("twice.csv", ("status,a,status\n" + body).encode(),
                                                      "text/csv")).run()
    assert not at.exception
    assert at.selectbox(key="finance_target").value == "status"
    assert [e.value for e in at.error] == [translate("errors.finance.duplicate_target", "en", column="status",
                                                     count=2)]
    assert not any("different values" in e.value for e in at.error)
    switch_language(at, "zh")
    assert at.error[0].value.startswith("表头中“status”这一列名出现了 2 次"), at.error[0].value


def test_renamed_columns_and_missing_numbers_are_said_on_the_data_tab(app_test):
    at = _open_upload(app_test)
    frame = _table().astype({"income": object})
    frame.loc[[1, 2, 3], "income"] = ["inf", "-inf", ""]
    text = frame.to_csv(index=False).replace("status,income,home", "status,income,income", 1)
    at.file_uploader(key="finance_upload").set_value(("dup.csv", text.encode(), "text/csv")).run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    infos = [i.value for i in at.info]
    assert translate("finance.note.renamed_columns", "en", columns="'income' → 'income (2)'") in infos, infos
    assert translate("finance.note.missing_numbers_infinite", "en", count="3", columns="income (3)",
                     infinite="2") in infos, infos
    table = next(d.value for d in at.dataframe if "Column" in d.value.columns)
    assert list(table["Column"]) == ["income", "income (2)"]
