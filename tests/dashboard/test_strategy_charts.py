"""Strategy charts: the right traces, axes, labels and units, in any language, built fast."""

from __future__ import annotations

import json
from datetime import date

import plotly.io as pio
import pytest

from core.strategy.analysis import analyse
from core.strategy.model import default_assessment
from core.strategy.plan import PHASES, roadmap
from dashboard.strategy_charts import (plot_costs, plot_priority_matrix, plot_radars, plot_roadmap, plot_sensitivity)

CRITERIA = {"value": "商业价值", "feasibility": "技术可行性", "data": "数据资源", "compute": "算力资源"}


@pytest.fixture(scope="module")
def analysis():
    return analyse(default_assessment(), {}, "zh")


def _matrix(**overrides):
    arguments = dict(names=["A", "B", "C"], feasibility=[4, 2, 4], value=[5, 4, 5], costs=[100.0, 400.0, 0.0],
                     measured=[True, False, True], title="矩阵", x_title="技术可行性（1-5）", y_title="商业价值（1-5）",
                     cost_label="12 个月成本（USD）", measured_label="实测", assumed_label="假设",
                     quadrants=["速赢项目", "战略投入", "容易但价值低", "暂缓"])
    arguments.update(overrides)
    return plot_priority_matrix(**arguments)


def test_priority_matrix_axes_bubbles_quadrants_and_legend():
    fig = _matrix()
    assert fig.layout.xaxis.title.text == "技术可行性（1-5）" and fig.layout.yaxis.title.text == "商业价值（1-5）"
    assert list(fig.layout.xaxis.range) == [0.5, 5.5] and list(fig.layout.yaxis.range) == [0.5, 5.5]
    bubbles = [trace for trace in fig.data if trace.x[0] is not None]
    assert [trace.text[0] for trace in bubbles] == ["<b>A</b>", "<b>B</b>", "<b>C</b>"]
    sizes = [trace.marker.size for trace in bubbles]
    # area ~ cost: B costs 4x A, so its diameter is 18 + 42 x 1 = 60 against A's 18 + 42 x 0.5 = 39
    assert sizes == pytest.approx([39.0, 60.0, 18.0])
    assert bubbles[0].marker.color != "rgba(255,255,255,0.6)" and bubbles[1].marker.color == "rgba(255,255,255,0.6)"
    assert (bubbles[2].x[0], bubbles[2].y[0]) == pytest.approx((4.18, 4.82))  # equal scores to A: nudged apart
    assert {trace.name for trace in fig.data if trace.x[0] is None} == {"实测", "假设"}
    texts = [a.text for a in fig.layout.annotations]
    assert {"速赢项目", "战略投入", "容易但价值低", "暂缓"} <= set(texts)
    assert [shape.x0 for shape in fig.layout.shapes] == [0, 3.0]


def test_radars_one_polar_per_use_case_with_typed_estimate(analysis):
    names = [analysis.title(u.id) for u in analysis.assessment.use_cases]
    scores = [{c: analysis.effective[u.id][c].score for c in CRITERIA} for u in analysis.assessment.use_cases]
    fig = plot_radars(names, scores, [u.scores for u in analysis.assessment.use_cases], title="得分",
                      axis_labels=CRITERIA, effective_label="采用的得分", typed_label="您的估计")
    assert len(fig.data) == 8 and {trace.subplot for trace in fig.data} == {"polar", "polar2", "polar3", "polar4"}
    assert list(fig.data[0].theta) == ["商业价值", "技术可行性", "数据资源", "算力资源", "商业价值"]
    assert list(fig.data[0].r) == [3, 4, 4, 4, 3]  # vision, closed loop
    assert fig.layout.polar.radialaxis.range == (0, 5)
    assert [a.text for a in fig.layout.annotations] == [f"<b>{name}</b>" for name in names]


def test_sensitivity_panels_rank_axis_reversed(analysis):
    fig = plot_sensitivity(analysis.sensitivity, criterion_labels=CRITERIA, title="敏感性", x_title="权重变化（%）",
                           y_title="排名")
    assert len(fig.data) == 4 * 4  # criteria x use cases
    first = fig.data[0]
    assert list(first.x) == [-50, -25, 0, 25, 50]
    assert fig.layout.yaxis.range == (4.5, 0.5)  # rank 1 at the top
    assert fig.layout.yaxis.title.text == "排名" and fig.layout.xaxis4.title.text == "权重变化（%）"
    assert [a.text for a in fig.layout.annotations] == [f"<b>{label}</b>" for label in CRITERIA.values()]


def test_roadmap_bars_start_today_in_rank_order(analysis):
    phases = roadmap(analysis.ranking, start=date(2026, 11, 23))
    fig = plot_roadmap(phases, title="路线图", phase_labels={p: p.upper() for p in PHASES}, today_label="今天",
                       today=date(2026, 11, 23), x_title="日期")
    assert [trace.name for trace in fig.data] == ["PILOT", "MVP", "SCALE"]
    assert fig.data[0].base[0] == "2026-11-23T00:00:00"
    assert fig.data[0].x[0] == 6 * 7 * 86_400_000  # six weeks in milliseconds
    assert list(fig.layout.yaxis.categoryarray) == ["自然语言处理", "视觉", "推荐"]  # top of the chart = rank 1
    assert fig.layout.xaxis.type == "date" and fig.layout.annotations[0].text == "今天"


def test_roadmap_months_are_named_in_the_readers_language(analysis):
    """plotly.js names months in English ("Jan 2027") whatever the page's language: the ticks are ours."""
    phases = roadmap(analysis.ranking, start=date(2026, 11, 23))
    fig = plot_roadmap(phases, title="路线图", phase_labels={p: p.upper() for p in PHASES}, today_label="今天",
                       today=date(2026, 11, 23), month_label=lambda d: f"{d.year}年{d.month}月")
    last = max(p.end for p in phases)
    months = (last.year - 2026) * 12 + last.month - 11 + 1
    step = -(-months // 12)
    assert fig.layout.xaxis.tickmode == "array"
    assert fig.layout.xaxis.ticktext[:2] == ("2026年11月", f"{2026 + (10 + step) // 12}年{(10 + step) % 12 + 1}月")
    assert fig.layout.xaxis.tickvals[0] == "2026-11-01T00:00:00" and len(fig.layout.xaxis.tickvals) <= 12
    assert plot_roadmap(phases, title="t", phase_labels={"pilot": "P"}, today_label="").layout.xaxis.tickmode is None


def test_costs_group_devices_and_stack_training_under_serving():
    fig = plot_costs(["A", "B"], {"CPU": [1, 2], "GPU": [3, 4]}, {"CPU": [10, 20], "GPU": [30, 40]}, title="成本",
                     y_title="12 个月成本（USD）", device_labels={"CPU": "CPU", "GPU": "GPU"}, train_label="训练",
                     serve_label="服务")
    assert [trace.name for trace in fig.data] == ["CPU · 训练", "CPU · 服务", "GPU · 训练", "GPU · 服务"]
    assert list(fig.data[3].base) == [3, 4] and fig.data[2].offsetgroup == fig.data[3].offsetgroup == "1"
    assert fig.layout.yaxis.title.text == "12 个月成本（USD）"


def test_empty_inputs_give_a_titled_empty_figure():
    assert _matrix(names=[], feasibility=[], value=[], costs=[], measured=[]).layout.title.text == "矩阵"
    assert plot_roadmap([], title="路线图", phase_labels={}, today_label="").data == ()


def test_all_charts_build_and_serialise(analysis):
    """Their build + serialise time (budget 200 ms per interaction) is printed by benchmarks/bench_strategy.py."""
    figures = [_matrix(), plot_sensitivity(analysis.sensitivity, criterion_labels=CRITERIA, title="t", x_title="x",
                                           y_title="y"),
               plot_roadmap(roadmap(analysis.ranking, start=date(2026, 11, 23)), title="t",
                            phase_labels={p: p for p in PHASES}, today_label="t")]
    for figure in figures:
        assert json.loads(pio.to_json(figure, validate=False))["data"], "a chart serialised without traces"


@pytest.mark.parametrize("count", [1, 2, 3, 5, 7, 8, 9, 12])
def test_radars_for_any_number_of_use_cases_stay_on_the_page(count):
    names = [f"U{i}" for i in range(count)]
    scores = [{c: 3 for c in CRITERIA}] * count
    fig = plot_radars(names, scores, scores, title="t", axis_labels=CRITERIA, effective_label="e", typed_label="t")
    fig.to_dict()
    domains = [fig.layout[f"polar{i + 1 if i else ''}"].domain for i in range(count)]
    assert all(0 <= v <= 1 for d in domains for v in (*d.x, *d.y))
