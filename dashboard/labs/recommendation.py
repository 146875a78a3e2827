"""Recommendation lab: ratings data, train a candidate, compare runs, see a user's top-10 with reasons."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import streamlit as st

from core.data.uploads import store_upload
from core.errors import DataError, StudioError
from core.tracking.records import TAG_DEVICE
from core.usecases.recommendation import recommend as rec
from core.usecases.recommendation.adapter import side_feature_count, side_summary
from core.usecases.recommendation.data import read_ratings_csv
from core.usecases.recommendation.models import genre_names
from core.usecases.recommendation.recommend import cold_start, embedding_map, genres
from dashboard import recommendation_charts as rc
from dashboard.history_views import Curve
from dashboard.i18n import dataset_source, device_text, error_text, t
from dashboard.job_progress import render_job_outcome, render_job_progress
from dashboard.lab_results import comparable_runs, completed_run, render_run_results, run_model
from dashboard.labs.contract import LabData, LabView
from dashboard.labs.generic import render_csv_data
from dashboard.run_names import model_name, seconds_text
from dashboard.training_form import render_candidate_training
from dashboard.uploads import forget_upload, upload_bytes
from dashboard.widgets import translated_choice

if TYPE_CHECKING:
    from core.contract.usecase import UseCase
    from core.data.dataset import Dataset
    from core.tracking.store import Tracker
    from core.training.jobs import JobQueue, JobState

K = 10
PREFIX = "recommendation"  # every widget key of this lab starts with it (the use case id, as in the other labs)
CURVES = (Curve("rmse", "recommendation.rmse_curve", "recommendation.rmse_axis"),  # what the stakeholder reads
          Curve("loss", "lab.loss_curve", "recommendation.loss_axis"))  # RMSE squared plus the L2 penalty


# ---- data ----------------------------------------------------------------------------------

def _upload_kwargs(upload: Any) -> dict[str, Any] | None:
    """Store the CSV, read the declared rating scale, validate the file in chunks with a progress bar."""
    data = upload_bytes(upload)
    left, right = st.columns(2)
    low = left.number_input(t("recommendation.scale_min"), value=0.5, step=0.5, key=f"{PREFIX}_scale_min")
    high = right.number_input(t("recommendation.scale_max"), value=5.0, step=0.5, key=f"{PREFIX}_scale_max")
    path = str(store_upload(data, suffix=".csv"))
    kwargs = {"data": path, "rating_min": float(low), "rating_max": float(high)}
    checked = st.session_state.get(f"{PREFIX}_checked_upload")
    if checked != kwargs:  # validate once per file and scale, showing progress (1M rows take seconds)
        if not low < high:
            raise DataError("errors.recommendation.bad_scale", low=low, high=high)
        bar = st.progress(0.0, text=t("recommendation.checking_upload", rows=0))

        def progress(rows: int, total: int) -> None:
            bar.progress(min(rows / max(total, 1), 1.0), text=t("recommendation.checking_upload", rows=f"{rows:,}"))

        try:
            read_ratings_csv(path, scale=(float(low), float(high)), on_progress=progress)
        except StudioError:
            forget_upload(kwargs)
            raise
        finally:  # a refused file's error replaces the bar instead of sitting under "0 rows read"
            bar.empty()
        st.session_state[f"{PREFIX}_checked_upload"] = kwargs
    return kwargs


def headerless_caption(roles: list[str]) -> str:
    """'No header row: took column 1 as user, column 2 as item, ...' in the reader's language."""
    taken = t("formats.list_separator").join(t("formats.column_as", number=i + 1, role=t(f"formats.role_{role}"))
                                              for i, role in enumerate(roles))
    return t("formats.headerless", columns=taken)


def render_data(use_case: UseCase) -> LabData | None:
    """Source and seed (a ratings CSV with its scale for an upload), then the ratings overview."""
    return render_csv_data(use_case, prefix=PREFIX, area="recommendation", upload_kwargs=_upload_kwargs,
                           overview=render_ratings_overview)


def render_ratings_overview(dataset: Dataset, *, upload_name: str = "") -> None:
    """Counts, sparsity, the rating distribution and the long tail of item popularity."""
    extra = dataset.extra
    users, items, total = extra["num_users"], extra["num_items"], extra["num_ratings"]
    sparsity = 1.0 - total / max(users * items, 1)
    cols = st.columns(5)
    cols[0].metric(t("recommendation.users"), f"{users:,}")
    cols[1].metric(t("recommendation.items"), f"{items:,}")
    cols[2].metric(t("recommendation.ratings"), f"{total:,}")
    cols[3].metric(t("recommendation.sparsity"), f"{sparsity:.2%}", help=t("recommendation.sparsity_help"))
    cols[4].metric(t("recommendation.mean_rating"), f"{extra['global_mean']:.2f}")
    if extra.get("headerless_columns"):
        st.caption(headerless_caption(extra["headerless_columns"]))
    provenance, licence = dataset_source(dataset, upload_name=upload_name)
    st.caption(f"**{t('lab.provenance')}:** {provenance}  \n**{t('lab.licence')}:** {licence}  \n"
               f"{t('lab.fingerprint')}: `{dataset.fingerprint}`")
    st.info(t("recommendation.protocol", train=f"{dataset.sizes['train']:,}", val=f"{dataset.sizes['val']:,}",
              test=f"{dataset.sizes['test']:,}", held=f"{len(extra['rank_users']):,}"))
    if extra.get("implicit"):
        st.warning(t("recommendation.implicit_note"))
    ratings = np.concatenate([dataset.y_train, dataset.y_val, dataset.y_test])
    values, counts = np.unique(ratings, return_counts=True)
    item_counts = np.bincount(np.concatenate([dataset.x_train["item"], dataset.x_val["item"],
                                              dataset.x_test["item"]]), minlength=items)
    ordered = np.sort(item_counts)[::-1]
    head = max(1, int(round(0.2 * items)))
    head_share = ordered[:head].sum() / max(ordered.sum(), 1)
    once = int(np.sum(item_counts <= 1))
    left, right = st.columns(2)
    left.plotly_chart(rc.plot_rating_distribution(values.tolist(), counts.tolist(),
                                                  title=t("recommendation.rating_distribution"),
                                                  x_title=t("recommendation.rating"),
                                                  y_title=t("recommendation.count")), key=f"{PREFIX}_rating_chart")
    right.plotly_chart(rc.plot_long_tail(item_counts, title=t("recommendation.long_tail"),
                                         x_title=t("recommendation.item_rank"), y_title=t("recommendation.ratings_per_item"),
                                         head_label=t("recommendation.head_label", share=f"{head_share:.0%}")),
                       key=f"{PREFIX}_tail_chart")
    st.caption(t("recommendation.tail_caption", share=f"{head_share:.0%}", once=f"{once:,}", items=f"{items:,}"))


def genre_label(name: str) -> str:
    """A MovieLens genre in the reader's language ("Sci-Fi" -> "科幻"); other genres as they are."""
    key = f"recommendation.genre_names.{name}"
    text = t(key)
    return name if text == key else text


def genres_text(genres: str) -> str:
    """ "Comedy|Drama" -> "Comedy, Drama" in the reader's language."""
    return t("recommendation.genre_separator").join(genre_label(name) for name in genre_names(genres)) or "–"


# ---- train ---------------------------------------------------------------------------------

def render_training_controls(data: LabData, queue: JobQueue) -> None:
    """Pick a candidate and its settings, start a background job, follow its live RMSE curves."""
    dataset = data.dataset
    genres, with_year = side_summary(dataset)
    if genres or with_year:
        st.caption(t("recommendation.side_info", genres=genres, years=f"{with_year:,}",
                     items=f"{dataset.extra['num_items']:,}"))
    else:
        st.caption(t("recommendation.side_info_missing"))
    st.caption(t("llm_form.none_recommendation"))  # why the NLP lab's LLM candidates are not offered here
    own_job = render_candidate_training(data, queue, prefix=PREFIX, batch_sizes=[128, 256, 512, 1024, 2048, 4096],
                                        early_stopping=False)
    if own_job:  # then how it ended: RMSE and HitRate@10, not accuracy
        render_job_progress(queue, own_job, prefix=PREFIX, curves=CURVES, evaluating_key="recommendation.evaluating",
                            render_outcome=_render_outcome)


def _render_outcome(state: JobState) -> None:
    outcome = state.result
    if state.state == "completed" and getattr(outcome, "status", "") == "completed":
        metrics = outcome.metrics or {}
        st.success(t("recommendation.finished", rmse=_fmt(metrics.get("test_rmse")),
                     hit=_pct(metrics.get("test_hit_rate_at_10")), device=device_text(outcome.device)))
    else:
        render_job_outcome(state)


def _fmt(value: Any, digits: int = 3) -> str:
    return f"{float(value):.{digits}f}" if value is not None and np.isfinite(value) else "–"


def _pct(value: Any) -> str:
    return f"{float(value):.1%}" if value is not None and np.isfinite(value) else "–"


# ---- results (also used by the Runs page) ---------------------------------------------------

def render_metric_row(metrics: dict[str, float], tags: dict[str, str]) -> None:
    """Headline figures of a recommendation run, with units."""
    columns = [*st.columns(4), *st.columns(4)]
    columns[0].metric(t("recommendation.rmse"), _fmt(metrics.get("test_rmse")), help=t("recommendation.rmse_help"))
    columns[1].metric(t("recommendation.mae"), _fmt(metrics.get("test_mae")), help=t("recommendation.mae_help"))
    columns[2].metric(t("recommendation.hit_rate"), _pct(metrics.get("test_hit_rate_at_10")),
                      help=t("recommendation.hit_rate_help"))
    columns[3].metric(t("recommendation.ndcg"), _fmt(metrics.get("test_ndcg_at_10")), help=t("recommendation.ndcg_help"))
    columns[4].metric(t("recommendation.coverage"), _pct(metrics.get("test_coverage_at_10")),
                      help=t("recommendation.coverage_help"))
    seconds = metrics.get("train_seconds")
    columns[5].metric(t("lab.train_time"), seconds_text(seconds), help=t("lab.train_time_help"))
    p50 = metrics.get("latency_p50_ms")
    columns[6].metric(t("lab.latency_p50"), f"{p50:.2f} ms" if p50 is not None else "–",
                      help=t("recommendation.latency_help"))
    columns[7].metric(t("lab.device"), device_text(tags.get(TAG_DEVICE)))


def render_evaluation(evaluation: dict[str, Any], *, key: str, dataset: Dataset | None = None) -> None:
    """Mean prediction per true rating, and where each user's held-out item landed in their ranking."""
    left, right = st.columns(2)
    left.plotly_chart(rc.plot_calibration(evaluation.get("by_rating", []), title=t("recommendation.calibration"),
                                          x_title=t("recommendation.true_rating"),
                                          y_title=t("recommendation.mean_predicted"),
                                          ideal_label=t("recommendation.ideal"), model_label=t("recommendation.model")),
                      key=f"{key}_calibration")
    right.plotly_chart(rc.plot_rank_histogram(evaluation.get("ranks", []), k=K, title=t("recommendation.rank_chart"),
                                              x_title=t("recommendation.rank"), y_title=t("recommendation.users"),
                                              hit_label=t("recommendation.in_top10"),
                                              miss_label=t("recommendation.beyond_top10")),
                       key=f"{key}_ranks")
    st.caption(t("recommendation.evaluation_caption", users=evaluation.get("rank_users", 0)))


def _comparison(tracker: Tracker, data: LabData) -> pd.DataFrame | None:
    """Completed runs on this test split side by side, with ranking quality relative to popularity."""
    use_case_id = data.use_case.id
    runs = comparable_runs(tracker, data)
    if runs.empty:
        return None
    rows = []
    for row in runs.to_dict("records"):
        try:
            metrics = tracker.get_run(row["run_id"]).data.metrics
        except StudioError:
            continue
        rows.append({"model": row["model"], **metrics})
    frame = pd.DataFrame(rows).drop_duplicates("model")  # newest run per model (runs are newest first)
    popularity = frame.loc[frame["model"] == "popularity", "test_ndcg_at_10"]
    base = float(popularity.iloc[0]) if len(popularity) and popularity.iloc[0] > 0 else None
    table = pd.DataFrame({
        t("lab.model"): [model_name(use_case_id, m) for m in frame["model"]],
        t("recommendation.rmse"): frame.get("test_rmse"),
        t("recommendation.mae"): frame.get("test_mae"),
        t("recommendation.hit_rate"): frame.get("test_hit_rate_at_10"),
        t("recommendation.ndcg"): frame.get("test_ndcg_at_10"),
        t("recommendation.vs_popularity"): frame.get("test_ndcg_at_10") / base if base else np.nan,
        t("recommendation.coverage"): frame.get("test_coverage_at_10"),
        t("lab.train_time"): frame.get("train_seconds"),
    })
    return table.sort_values(t("recommendation.rmse"))


def render_results(tracker: Tracker, run_id: str, data: LabData) -> None:
    """The run's figures, curves and evaluation, then every model on this split side by side."""
    render_run_results(tracker, run_id, data, lab=LAB)
    table = _comparison(tracker, data)
    if table is not None and len(table) > 1:
        st.subheader(t("recommendation.compare_title"))
        st.dataframe(table, hide_index=True, column_config={
            t("recommendation.rmse"): st.column_config.NumberColumn(format="%.4f"),
            t("recommendation.mae"): st.column_config.NumberColumn(format="%.4f"),
            t("recommendation.hit_rate"): st.column_config.NumberColumn(format="%.3f"),
            t("recommendation.ndcg"): st.column_config.NumberColumn(format="%.3f"),
            t("recommendation.vs_popularity"): st.column_config.NumberColumn(format="%.2f×"),
            t("recommendation.coverage"): st.column_config.NumberColumn(format="%.3f"),
            t("lab.train_time"): st.column_config.NumberColumn(format="%.1f s"),
        })
        st.caption(t("recommendation.compare_caption"))


# ---- try it --------------------------------------------------------------------------------

def _reason_text(entry: dict[str, Any]) -> str:
    reason = entry.get("reason") or {}
    if reason.get("kind") == "similar":
        return t("recommendation.because", title=reason["liked"]["title"], similarity=f"{reason['similarity']:.2f}")
    if reason.get("kind") == "well_liked":
        return t("recommendation.bias_reason", bias=f"{reason['bias']:+.2f}", count=f"{reason['count']:,}")
    return t("recommendation.popular_reason", count=f"{reason.get('count', entry.get('train_ratings', 0)):,}")


def _title(entry: dict[str, Any]) -> str:
    return f"{entry['title']} ({entry['year']})" if entry.get("year") else entry["title"]


def render_try_user(tracker: Tracker, run_id: str, dataset: Dataset) -> None:
    """Pick a user: what they rated highly next to their top-10 with reasons; the item map; cold start."""
    run = completed_run(tracker, run_id)
    if run is None:
        return
    model_title = model_name("recommendation", run.params.get("model", "?"))
    st.caption(t("recommendation.try_intro", model=model_title))
    ids = [str(u) for u in dataset.extra["user_ids"]]
    liked = dataset.x_train["user"][dataset.y_train >= 4.0]
    default = ids[int(np.argmax(np.bincount(liked, minlength=len(ids))))] if len(liked) else ids[0]
    typed = st.text_input(t("recommendation.user_id"), key=f"{PREFIX}_user_id", help=t("recommendation.user_id_help"),
                          placeholder=default)
    try:
        model = run_model(run_id)
    except StudioError as error:
        st.error(error_text(error))
        return
    try:
        user = rec.user_index(dataset, typed.strip() or default)
    except StudioError as error:
        st.warning(error_text(error))
        user = None
    if user is not None:
        minimum = st.select_slider(t("recommendation.min_ratings"), options=[1, 5, 10, 20, 50], value=10,
                                   key=f"{PREFIX}_min_ratings", help=t("recommendation.min_ratings_help"))
        try:
            with st.spinner(t("recommendation.scoring")):
                items = rec.recommend(model, dataset, user, k=K, min_train_ratings=int(minimum))
        except StudioError as error:
            st.warning(error_text(error))
            user = None
    if user is not None:
        history = rec.user_history(dataset, user, limit=K)
        st.markdown(f"**{t('recommendation.rated_highly', user=ids[user])}**")
        st.dataframe(pd.DataFrame({
            t("recommendation.title"): [_title(e) for e in history],
            t("recommendation.genres"): [genres_text(e["genres"]) for e in history],
            t("recommendation.their_rating"): [e["rating"] for e in history],
        }), hide_index=True, column_config={
            t("recommendation.title"): st.column_config.TextColumn(width="large"),
            t("recommendation.their_rating"): st.column_config.NumberColumn(format="%.1f ★")})
        st.markdown(f"**{t('recommendation.top10', model=model_title)}**")
        predicted = [e["predicted"] for e in items]
        frame = pd.DataFrame({
            "#": list(range(1, len(items) + 1)),
            t("recommendation.title"): [_title(e) for e in items],
            t("recommendation.genres"): [genres_text(e["genres"]) for e in items],
            t("recommendation.predicted"): [f"{p:.2f} ★" if p is not None else "–" for p in predicted],
            t("recommendation.reason"): [_reason_text(e) for e in items],
        })
        if all(p is None for p in predicted):
            frame = frame.drop(columns=[t("recommendation.predicted")])
        st.table(frame.set_index("#"))  # a static table wraps long titles and reasons instead of cutting them
        st.caption(t("recommendation.reason_caption") + " " + t("recommendation.min_ratings_caption",
                                                                  minimum=int(minimum)))
    render_embedding_map(model, dataset)
    render_cold_start(dataset)


def render_embedding_map(model: Any, dataset: Dataset) -> None:
    """The learned item vectors of the most-rated items in 2-D, coloured by main genre."""
    st.subheader(t("recommendation.map_title"))
    top_n = st.select_slider(t("recommendation.map_items"), options=[100, 200, 300, 500, 1000], value=300,
                             key=f"{PREFIX}_map_items")
    points = embedding_map(model, dataset, top_n=int(top_n))
    if points is None:
        st.info(t("recommendation.map_baseline"))
        return
    explained = sum(points["explained"])
    st.plotly_chart(rc.plot_embedding_map(points["x"], points["y"], points["titles"],
                                          [genre_label(genre) for genre in points["genres"]],
                                          points["counts"], title=t("recommendation.map_chart", count=len(points["x"])),
                                          x_title=t("recommendation.map_x"), y_title=t("recommendation.map_y"),
                                          hover_count=t("recommendation.ratings"),
                                          other_label=t("recommendation.other_genres")), key=f"{PREFIX}_map_chart")
    caption = t("recommendation.map_caption", explained=f"{explained:.0%}")
    if side_feature_count(model):
        caption += " " + t("recommendation.map_side_note")
    st.caption(caption)


def render_cold_start(dataset: Dataset) -> None:
    """What a brand-new user sees (no ratings, no vector): popular items, optionally of one genre."""
    st.subheader(t("recommendation.cold_title"))
    st.markdown(t("recommendation.cold_explain"))
    options = [""] + genres(dataset)
    genre = translated_choice(st.selectbox, t("recommendation.cold_genre"), options, key=f"{PREFIX}_cold_genre",
                              format_func=lambda g: genre_label(g) if g else t("recommendation.any_genre"))
    try:
        result = cold_start(dataset, genre=genre or None, k=K)
    except StudioError as error:
        st.warning(error_text(error))
        return
    st.dataframe(pd.DataFrame({
        "#": list(range(1, len(result["items"]) + 1)),
        t("recommendation.title"): [_title(e) for e in result["items"]],
        t("recommendation.genres"): [genres_text(e["genres"]) for e in result["items"]],
        t("recommendation.ratings"): [e["train_ratings"] for e in result["items"]],
        t("recommendation.mean_rating"): [e["mean_rating"] for e in result["items"]],
    }), hide_index=True, column_config={
        t("recommendation.mean_rating"): st.column_config.NumberColumn(format="%.2f ★")})
    st.caption(t("recommendation.cold_caption", minimum=result["min_ratings"]))


# ---- the lab -------------------------------------------------------------------------------

def render_try_it(tracker: Tracker, run_id: str | None, data: LabData) -> None:
    """A user's top-10 from the chosen run; without a run, what every new user gets."""
    if run_id is None:
        render_cold_start(data.dataset)
    else:
        render_try_user(tracker, run_id, data.dataset)


LAB = LabView(prefix=PREFIX, data=render_data, train=render_training_controls, results=render_results,
              try_it=render_try_it, metric_row=render_metric_row, evaluation=render_evaluation, curves=CURVES,
              evaluation_needs_data=False, try_needs_run_key="recommendation.try_needs_run")
