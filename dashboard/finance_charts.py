"""Credit-risk charts as pure functions returning plotly figures; every label arrives translated."""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

from dashboard.charts import MUTED_COLOR, PALETTE, _base_layout, _empty

GOOD_COLOR = "#2563EB"
BAD_COLOR = "#DC2626"
COST_COLOR = "#7C3AED"
PICK_COLOR = "#0F172A"
OPTIMAL_COLOR = "#16A34A"
APPROVAL_COLOR = "#64748B"


def _legend_below(fig: go.Figure) -> go.Figure:
    """Legend under the x-axis title: curve charts get one entry per model, which would hit the title."""
    fig.update_layout(legend={"orientation": "h", "yanchor": "top", "y": -0.2, "xanchor": "left", "x": 0.0},
                      margin={"t": 56, "b": 40})
    return fig


def _unit_axes(fig: go.Figure, *, percent_x: bool = True, percent_y: bool = True) -> go.Figure:
    fig.update_xaxes(range=[0, 1], tickformat=".0%" if percent_x else None)
    fig.update_yaxes(range=[0, 1.02], tickformat=".0%" if percent_y else None)
    return fig


def plot_roc(curves: Mapping[str, Mapping[str, Any]], *, title: str, x_title: str, y_title: str,
             chance_label: str) -> go.Figure:
    """ROC curves of one or more models ({label: {"fpr", "tpr", "auc"}}) with the chance diagonal."""
    chance = go.Scatter(x=[0, 1], y=[0, 1], mode="lines", name=chance_label, line={"color": MUTED_COLOR, "dash": "dash"},
                        hoverinfo="skip")
    return _curves_over_reference(curves, chance, x_key="fpr", y_key="tpr", area_key="auc", area_label="AUC",
                                  title=title, x_title=x_title, y_title=y_title)


def _curves_over_reference(curves: Mapping[str, Mapping[str, Any]], reference: go.Scatter, *, x_key: str, y_key: str,
                           area_key: str, area_label: str, title: str, x_title: str, y_title: str) -> go.Figure:
    """One line per model (its area under the curve in the legend) over a dashed reference line, on unit axes."""
    if not curves:
        return _empty(title)
    fig = go.Figure()
    fig.add_trace(reference)
    for index, (label, curve) in enumerate(curves.items()):
        name = f"{label} ({area_label} {curve[area_key]:.3f})" if curve.get(area_key) is not None else label
        fig.add_trace(go.Scatter(x=curve[x_key], y=curve[y_key], mode="lines", name=name,
                                 line={"color": PALETTE[index % len(PALETTE)], "width": 2.5},
                                 hovertemplate=f"{x_title} %{{x:.1%}}<br>{y_title} %{{y:.1%}}<extra>{label}</extra>"))
    _base_layout(fig, title=title, height=480, x_title=x_title, y_title=y_title)
    _legend_below(fig)
    return _unit_axes(fig)


def plot_pr(curves: Mapping[str, Mapping[str, Any]], *, base_rate: float, title: str, x_title: str, y_title: str,
            base_label: str) -> go.Figure:
    """Precision-recall curves ({label: {"recall", "precision", "pr_auc"}}) with the bad-rate baseline."""
    base = go.Scatter(x=[0, 1], y=[base_rate, base_rate], mode="lines", name=f"{base_label} ({base_rate:.1%})",
                      line={"color": MUTED_COLOR, "dash": "dash"}, hoverinfo="skip")
    return _curves_over_reference(curves, base, x_key="recall", y_key="precision", area_key="pr_auc",
                                  area_label="PR-AUC", title=title, x_title=x_title, y_title=y_title)


def plot_ks(curve: Mapping[str, Sequence[float]], *, ks: float, ks_threshold: float, title: str, x_title: str,
            y_title: str, good_label: str, bad_label: str, ks_label: str) -> go.Figure:
    """Cumulative share of good and bad applicants by score, with the KS gap drawn where it is largest."""
    thresholds = list(curve.get("threshold", []))
    if not thresholds:
        return _empty(title)
    fig = go.Figure()
    for key, label, color in (("cdf_good", good_label, GOOD_COLOR), ("cdf_bad", bad_label, BAD_COLOR)):
        fig.add_trace(go.Scatter(x=thresholds, y=curve[key], mode="lines", name=label, line={"color": color, "width": 2.5},
                                 line_shape="hv",
                                 hovertemplate=f"{x_title} %{{x:.3f}}<br>{label}: %{{y:.1%}}<extra></extra>"))
    good = float(np.interp(ks_threshold, thresholds, curve["cdf_good"]))
    bad = float(np.interp(ks_threshold, thresholds, curve["cdf_bad"]))
    fig.add_trace(go.Scatter(x=[ks_threshold, ks_threshold], y=[bad, good], mode="lines+markers",
                             name=f"{ks_label} = {ks:.3f}", line={"color": PICK_COLOR, "width": 3},
                             marker={"size": 8}, hoverinfo="skip"))
    _base_layout(fig, title=title, height=420, x_title=x_title, y_title=y_title)
    return _unit_axes(fig, percent_x=False)


def plot_score_distribution(histogram: Mapping[str, Sequence[float]], *, threshold: float | None, title: str,
                            x_title: str, y_title: str, good_label: str, bad_label: str,
                            threshold_label: str) -> go.Figure:
    """Share of good and of bad applicants per score band (each group sums to 100%), threshold marked."""
    edges = np.asarray(histogram.get("edges", []), dtype=float)
    if len(edges) < 2:
        return _empty(title)
    centers = (edges[:-1] + edges[1:]) / 2
    fig = go.Figure()
    for key, label, color in (("good", good_label, GOOD_COLOR), ("bad", bad_label, BAD_COLOR)):
        counts = np.asarray(histogram[key], dtype=float)
        share = counts / counts.sum() if counts.sum() else counts
        fig.add_trace(go.Bar(x=centers, y=share, name=label, marker={"color": color}, opacity=0.65,
                             width=float(edges[1] - edges[0]), customdata=counts,
                             hovertemplate=f"{x_title} %{{x:.2f}}<br>{label}: %{{y:.1%}} (%{{customdata:.0f}})<extra></extra>"))
    fig.update_layout(barmode="overlay")
    if threshold is not None:
        fig.add_vline(x=threshold, line={"color": PICK_COLOR, "width": 2, "dash": "dash"},
                      annotation_text=f"{threshold_label} {threshold:.2f}", annotation_position="top right")
    _base_layout(fig, title=title, height=400, x_title=x_title, y_title=y_title)
    fig.update_xaxes(range=[0, 1])
    fig.update_yaxes(tickformat=".0%")
    return fig


def plot_calibration(calibration: Mapping[str, Sequence[float]], *, title: str, x_title: str, y_title: str,
                     model_label: str, perfect_label: str) -> go.Figure:
    """Observed bad rate against mean predicted probability per score bin; the diagonal is perfect."""
    if not calibration.get("predicted"):
        return _empty(title)
    top = max(1e-6, max(max(calibration["predicted"]), max(calibration["observed"])))
    top = min(1.0, top * 1.1)
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=[0, top], y=[0, top], mode="lines", name=perfect_label,
                             line={"color": MUTED_COLOR, "dash": "dash"}, hoverinfo="skip"))
    fig.add_trace(go.Scatter(x=calibration["predicted"], y=calibration["observed"], mode="lines+markers",
                             name=model_label, line={"color": PALETTE[0], "width": 2.5}, marker={"size": 8},
                             customdata=calibration.get("count"),
                             hovertemplate=f"{x_title} %{{x:.1%}}<br>{y_title} %{{y:.1%}}<br>n = %{{customdata}}<extra></extra>"))
    _base_layout(fig, title=title, height=400, x_title=x_title, y_title=y_title)
    fig.update_xaxes(range=[0, top], tickformat=".0%")
    fig.update_yaxes(range=[0, top], tickformat=".0%")
    return fig


def plot_threshold_tradeoff(table: Mapping[str, Sequence[float]], *, threshold: float, optimal: float, title: str,
                            x_title: str, rate_title: str, cost_title: str, approval_label: str,
                            bad_rate_label: str, cost_label: str, chosen_label: str, optimal_label: str) -> go.Figure:
    """Approval rate and bad rate among approved (left axis) and expected cost (right axis) by threshold."""
    x = list(table.get("threshold", []))
    if not x:
        return _empty(title)
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=x, y=table["approval_rate"], name=approval_label, line={"color": GOOD_COLOR, "width": 2.5},
                             hovertemplate=f"{x_title} %{{x:.2f}}<br>{approval_label}: %{{y:.1%}}<extra></extra>"))
    fig.add_trace(go.Scatter(x=x, y=table["bad_rate_approved"], name=bad_rate_label,
                             line={"color": BAD_COLOR, "width": 2.5},
                             hovertemplate=f"{x_title} %{{x:.2f}}<br>{bad_rate_label}: %{{y:.1%}}<extra></extra>"))
    fig.add_trace(go.Scatter(x=x, y=table["expected_cost"], name=cost_label, yaxis="y2",
                             line={"color": COST_COLOR, "width": 2.5, "dash": "dot"},
                             hovertemplate=f"{x_title} %{{x:.2f}}<br>{cost_label}: %{{y:.3f}}<extra></extra>"))
    fig.add_vline(x=threshold, line={"color": PICK_COLOR, "width": 2}, annotation_text=f"{chosen_label} {threshold:.2f}",
                  annotation_position="top left")
    fig.add_vline(x=optimal, line={"color": OPTIMAL_COLOR, "width": 2, "dash": "dash"},
                  annotation_text=f"{optimal_label} {optimal:.2f}", annotation_position="bottom right")
    _base_layout(fig, title=title, height=440, x_title=x_title, y_title=rate_title)
    fig.update_layout(yaxis2={"title": {"text": cost_title}, "overlaying": "y", "side": "right", "rangemode": "tozero",
                              "showgrid": False}, margin={"r": 70})
    fig.update_xaxes(range=[0, 1])
    fig.update_yaxes(range=[0, 1.02], tickformat=".0%", selector={"overlaying": None})
    return fig


def plot_importance(importance: Sequence[Mapping[str, Any]], *, title: str, x_title: str, limit: int = 15) -> go.Figure:
    """Permutation importance (ROC-AUC drop) per feature, largest on top, with its spread as error bars."""
    rows = list(importance)[:limit]
    if not rows:
        return _empty(title)
    rows = rows[::-1]
    fig = go.Figure(go.Bar(x=[r["importance"] for r in rows], y=[r["name"] for r in rows], orientation="h",
                           error_x={"type": "data", "array": [r.get("std", 0.0) for r in rows], "visible": True},
                           marker={"color": PALETTE[0]},
                           hovertemplate=f"%{{y}}<br>{x_title}: %{{x:.4f}}<extra></extra>"))
    _base_layout(fig, title=title, height=max(300, 60 + 28 * len(rows)), x_title=x_title, showlegend=False)
    fig.update_yaxes(automargin=True)
    return fig


def plot_contributions(reasons: Sequence[Mapping[str, Any]], *, title: str, x_title: str, up_label: str,
                       down_label: str, limit: int = 12) -> go.Figure:
    """One applicant's per-feature push on the log-odds of bad: red raises risk, blue lowers it."""
    rows = sorted(reasons, key=lambda r: -abs(r["contribution"]))[:limit][::-1]
    if not rows:
        return _empty(title)
    values = [r["contribution"] for r in rows]
    labels = [r.get("label", r["name"]) for r in rows]
    fig = go.Figure(go.Bar(x=values, y=labels, orientation="h",
                           marker={"color": [BAD_COLOR if v > 0 else GOOD_COLOR for v in values]},
                           customdata=[up_label if v > 0 else down_label for v in values],
                           hovertemplate="%{y}<br>%{customdata}: %{x:+.3f}<extra></extra>"))
    fig.add_vline(x=0, line={"color": MUTED_COLOR})
    _base_layout(fig, title=title, height=max(300, 60 + 30 * len(rows)), x_title=x_title, showlegend=False)
    fig.update_yaxes(automargin=True)
    return fig


def plot_group_rates(groups: Sequence[Mapping[str, Any]], *, title: str, y_title: str, approval_label: str,
                     tpr_label: str, fpr_label: str, small_label: str = "") -> go.Figure:
    """Per group: approval rate, approval rate of good applicants (TPR) and of bad applicants (FPR).

    Groups flagged "small" (too few applicants to count in the differences) are drawn faint and
    named with `small_label`.
    """
    if not groups:
        return _empty(title)
    names = [f"{g['group']} (n={g['count']}, {small_label})" if g.get("small") and small_label
             else f"{g['group']} (n={g['count']})" for g in groups]
    opacity = [0.35 if g.get("small") else 1.0 for g in groups]
    fig = go.Figure()
    for key, label, color in (("approval_rate", approval_label, APPROVAL_COLOR), ("tpr", tpr_label, GOOD_COLOR),
                              ("fpr", fpr_label, BAD_COLOR)):
        values = [g.get(key) for g in groups]
        fig.add_trace(go.Bar(x=names, y=[v if v is not None else 0 for v in values], name=label,
                             marker={"color": color, "opacity": opacity},
                             text=[f"{v:.0%}" if v is not None else "–" for v in values],
                             textposition="outside",
                             hovertemplate=f"%{{x}}<br>{label}: %{{y:.1%}}<extra></extra>"))
    fig.update_layout(barmode="group")
    _base_layout(fig, title=title, height=420, y_title=y_title)
    fig.update_yaxes(range=[0, 1.1], tickformat=".0%")
    return fig


def plot_bad_rate_by_level(levels: Sequence[Mapping[str, Any]], *, overall: float, title: str, x_title: str,
                           y_title: str, overall_label: str) -> go.Figure:
    """Bad rate per category or numeric band of one column, bar width by nothing; count in the hover."""
    if not levels:
        return _empty(title)
    fig = go.Figure(go.Bar(x=[str(l["level"]) for l in levels], y=[l["bad_rate"] for l in levels],
                           marker={"color": [BAD_COLOR if l["bad_rate"] > overall else GOOD_COLOR for l in levels]},
                           customdata=[l["count"] for l in levels], text=[f"{l['bad_rate']:.0%}" for l in levels],
                           textposition="outside",
                           hovertemplate=f"%{{x}}<br>{y_title}: %{{y:.1%}}<br>n = %{{customdata}}<extra></extra>"))
    fig.add_hline(y=overall, line={"color": MUTED_COLOR, "dash": "dash"},
                  annotation_text=f"{overall_label} {overall:.1%}", annotation_position="top left")
    _base_layout(fig, title=title, height=380, x_title=x_title, y_title=y_title, showlegend=False)
    top = max([l["bad_rate"] for l in levels] + [overall])
    fig.update_yaxes(range=[0, min(1.0, top * 1.25 + 0.02)], tickformat=".0%")
    return fig
