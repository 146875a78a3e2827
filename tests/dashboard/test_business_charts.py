"""Business case charts: profit curve with its chosen point and interval, value against cost per use case."""

from __future__ import annotations

from dashboard.business_charts import plot_profit_curve, plot_value_vs_cost


def test_profit_curve_marks_the_chosen_point_with_its_interval_and_break_even():
    figure = plot_profit_curve([0.0, 0.5, 1.0], [-100.0, 250.0, 0.0], chosen_x=0.5, chosen_y=250.0, low=100.0,
                               high=400.0, title="Profit", x_title="Cut-off", y_title="Value per year (EUR)",
                               curve_label="test", chosen_label="chosen", zero_label="break-even", x_percent=True)
    curve, chosen, zero = figure.data
    assert list(curve.y) == [-100.0, 250.0, 0.0] and curve.name == "test"
    assert (chosen.x[0], chosen.y[0], chosen.name) == (0.5, 250.0, "chosen")
    assert chosen.error_y.array[0] == 150.0 and chosen.error_y.arrayminus[0] == 150.0
    assert list(zero.y) == [0, 0] and list(zero.x) == [0.0, 1.0]
    assert figure.layout.xaxis.title.text == "Cut-off" and figure.layout.yaxis.title.text == "Value per year (EUR)"
    assert plot_profit_curve([], [], chosen_x=0, chosen_y=0, low=0, high=0, title="Empty", x_title="x", y_title="y",
                             curve_label="c", chosen_label="p", zero_label="z").data == ()


def test_value_against_cost_bars_carry_the_interval():
    figure = plot_value_vs_cost(["Vision", "NLP"], [1000.0, -50.0], [800.0, -300.0], [1300.0, 100.0], [200.0, 400.0],
                                title="Value and cost", y_title="USD per year", value_label="value", cost_label="cost")
    value, cost = figure.data
    assert list(value.y) == [1000.0, -50.0] and list(value.error_y.array) == [300.0, 150.0]
    assert list(value.error_y.arrayminus) == [200.0, 250.0] and list(cost.y) == [200.0, 400.0]
    assert figure.layout.yaxis.title.text == "USD per year" and figure.layout.barmode == "group"


def test_value_against_cost_bars_print_their_amounts():
    figure = plot_value_vs_cost(["Vision"], [747222.4], [600000.0], [800000.0], [1752.45], title="t", y_title="y",
                                value_label="v", cost_label="c")
    assert list(figure.data[0].text) == ["747,222"] and list(figure.data[1].text) == ["1,752"]
