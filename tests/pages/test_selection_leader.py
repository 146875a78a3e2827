"""Issue 21 item 7d: beside an RMSE recommendation, Model selection names the candidate best on HitRate@10."""

from __future__ import annotations

PAGE = "../pages/selection.py"


def test_the_hit_rate_leader_is_named_beside_the_recommendation(app_test, record_run):
    at = app_test(timeout=120)
    for model, rmse, hit in (("popularity", 1.025, 0.084), ("bias", 0.944, 0.012), ("mf", 0.921, 0.030)):
        record_run("recommendation", "movielens", model, {"test_rmse": rmse, "test_hit_rate_at_10": hit,
                                                          "parameters": 10_000.0},
                   train_size=80_000, fingerprint="ml-100k")
    at.run()
    at.switch_page(PAGE).run()
    at.selectbox(key="sel_use_case").set_value("recommendation").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.success[0].value.startswith("Recommended: Matrix factorisation"), at.success[0].value
    said = [i.value for i in at.info if i.value.startswith("The recommendation ranks by RMSE.")]
    assert said == ["The recommendation ranks by RMSE. By HitRate@10, Popularity is best: 8.40%, against 3.00% for "
                    "Matrix factorisation (ratings only). If what people see is the ranked list, weigh Popularity "
                    "too."], \
        [i.value for i in at.info]
