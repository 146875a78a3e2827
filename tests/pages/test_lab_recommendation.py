"""Recommendation lab through its real widgets: ratings overview, bad CSV uploads, training, a user's top 10."""

from __future__ import annotations


import pytest

from core.i18n import translate

LAB = "../pages/lab.py"


def _open(app_test, dataset: str = "movielens"):
    at = app_test(timeout=180).run()
    at.switch_page(LAB).run()
    at.session_state["lab_use_case"] = "recommendation"
    at.session_state["recommendation_dataset"] = dataset
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _metrics(at) -> dict[str, str]:
    return {metric.label: metric.value for metric in at.metric}


def _csv(lines: list[str], header: str = "userId,movieId,rating,timestamp") -> bytes:
    return ("\n".join([header, *lines]) + "\n").encode()


@pytest.mark.slow
def test_bundled_movielens_overview_states_counts_and_protocol(app_test, switch_language):
    at = _open(app_test)
    metrics = _metrics(at)
    assert metrics["Users"] == "671" and metrics["Items"] == "9,066" and metrics["Ratings"] == "100,004"
    assert metrics["Sparsity"] == "98.36%"
    assert any("most recent rating (671 in all) is held out" in info.value for info in at.info)
    switch_language(at, "zh")
    assert _metrics(at)["用户数"] == "671"
    assert any("最近的一条评分（共 671 条）" in info.value for info in at.info)


@pytest.mark.slow
def test_bad_uploads_are_explained_in_english_and_chinese(app_test, switch_language):
    at = _open(app_test, "upload_csv")
    assert translate("recommendation.upload_needed", "en") in [info.value for info in at.info]
    at.file_uploader(key="recommendation_upload_csv").set_value(("bad.csv", _csv(["a,x,3,1", "a,y,9,2", "b,x,2,3"]),
                                                      "text/csv")).run()
    assert not at.exception
    assert "outside the declared scale 0.5 to 5.0" in at.error[0].value
    switch_language(at, "zh")
    assert "超出声明的范围" in at.error[0].value
    switch_language(at, "en")
    at.file_uploader(key="recommendation_upload_csv").set_value(("cols.csv", _csv(["a,3"], header="customer,score"),
                                                      "text/csv")).run()
    assert "no item column" in at.error[0].value
    rows = [f"u{u},m{i},{1 + (u + i) % 5},{i}" for u in range(3) for i in range(6)] + ["u0,m0,4,99"]
    at.file_uploader(key="recommendation_upload_csv").set_value(("dup.csv", _csv(rows), "text/csv")).run()
    assert "appear more than once" in at.error[0].value and "(u0, m0)" in at.error[0].value
    rows = [f"solo,m{i},{1 + i % 5},{i}" for i in range(6)]
    at.file_uploader(key="recommendation_upload_csv").set_value(("one.csv", _csv(rows), "text/csv")).run()
    assert "at least 2 users" in at.error[0].value


@pytest.mark.slow
def test_train_the_bias_baseline_then_see_recommendations_and_an_unknown_user(app_test, switch_language,
                                                                              run_after_jobs):
    at = _open(app_test)
    at.radio(key="recommendation_model").set_value("bias").run()
    at.button(key="recommendation_train").click().run()
    run_after_jobs(at)
    assert at.success and "test RMSE 0.887" in at.success[0].value, [e.value for e in at.error]
    assert _metrics(at)["RMSE"] == "0.887"
    titles = at.table[-1].value.iloc[:, 0].tolist()  # the top-10 table below what the user rated
    assert len(titles) == 10 and all(isinstance(title, str) and title for title in titles)
    assert "**Top 10 recommendations (Bias baseline)**" in [m.value for m in at.markdown]  # a name, not "bias"
    titles_user = at.text_input(key="recommendation_user_id").value
    at.text_input(key="recommendation_user_id").set_value("nobody").run()
    # every tab draws: the Results tab's business case may warn first (no popularity run to compare with)
    assert any("User 'nobody' was never seen" in warning.value for warning in at.warning)
    switch_language(at, "zh")
    assert any("从未出现过用户“nobody”" in warning.value for warning in at.warning)
    assert not at.exception
    at.text_input(key="recommendation_user_id").set_value(titles_user).run()
    tables = [table.value for table in at.table if "类型" in table.value.columns]
    assert tables, [list(table.value.columns) for table in at.table]
    genres = tables[-1]["类型"].tolist()  # the top-10 table's genres, in Chinese
    assert genres and all(any("\u4e00" <= ch <= "\u9fff" for ch in g) or g in ("IMAX", "–") for g in genres), genres
    at.switch_page("../pages/runs.py").run()  # the overlay names the loss a rating model trains on
    assert "损失（平方误差 + L2 惩罚）" in at.radio(key="runs_overlay_metric").options
    switch_language(at, "en")
    assert "Loss (squared error + L2 penalty)" in at.radio(key="runs_overlay_metric").options
    assert not at.exception


@pytest.mark.slow
def test_each_model_trains_with_its_own_default_settings(app_test):
    """The widgets show (and a job would train with) each candidate's defaults, e.g. MF's 2e-3 learning rate."""
    from core.usecases.recommendation import USE_CASE

    at = _open(app_test)
    for candidate in reversed(USE_CASE.candidates):  # the default candidate last, so every one is a change
        at.radio(key="recommendation_model").set_value(candidate.id).run()
        assert not at.exception
        if candidate.kind != "keras":  # fitted in one pass: the form shows no fit settings
            assert not [widget for widget in at.number_input if widget.key == "recommendation_epochs"]
            continue
        assert (at.select_slider(key="recommendation_learning_rate").value
                == pytest.approx(candidate.default_learning_rate))
        assert at.selectbox(key="recommendation_batch_size").value == candidate.default_batch_size
        assert at.number_input(key="recommendation_epochs").value == candidate.default_epochs


def _u_data(users: int = 6, items: int = 10) -> bytes:
    """MovieLens 100k's u.data layout: user, item, rating, timestamp separated by tabs, no header row."""
    rows = [f"{100 + u}\t{200 + i}\t{1 + (u + i) % 5}\t{881250000 + 10 * u + i}" for u in range(users)
            for i in range(items)]
    return ("\n".join(rows) + "\n").encode()


@pytest.mark.slow
def test_u_data_without_a_header_loads_and_says_which_column_is_what(app_test, switch_language):
    at = _open(app_test, "upload_csv")
    at.file_uploader(key="recommendation_upload_csv").set_value(("u.data", _u_data(), "application/octet-stream")).run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    metrics = _metrics(at)
    assert (metrics["Users"], metrics["Items"], metrics["Ratings"]) == ("6", "10", "60")
    captions = [caption.value for caption in at.caption]
    assert ("No header row: took column 1 as user, column 2 as item, column 3 as rating, column 4 as timestamp."
            in captions)
    switch_language(at, "zh")
    assert _metrics(at)["用户数"] == "6"
    captions = [caption.value for caption in at.caption]
    assert "文件没有表头行：第 1 列作为用户，第 2 列作为物品，第 3 列作为评分，第 4 列作为时间戳。" in captions
    styles = [element.proto.body for element in at.get("html")]  # Streamlit's own uploader texts, covered
    assert any('content: "上传"' in css and 'content: "每个文件最大 50 MB"' in css for css in styles)
    source = next(caption for caption in captions if "来源" in caption)  # the studio's source line, translated
    assert "上传的文件 u.data：60 条评分" in source and "由上传者提供" in source, source  # its name, not a hash
    assert "Uploaded" not in source and "uploader" not in source
    # Another type is refused by the studio in the reader's language, naming the accepted types.
    at.file_uploader(key="recommendation_upload_csv").set_value(
        ("ratings.xlsx", b"PK\x03\x04", "application/zip")).run()
    assert not at.exception
    assert at.error[0].value == translate("errors.data.upload_wrong_type", "zh", name="ratings.xlsx",
                                          accepted=".csv, .tsv, .txt, .data")
