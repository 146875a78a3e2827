"""Cost projection from measured throughput, scaled to the company's volumes, checked by hand."""

from __future__ import annotations

import pytest

from core.strategy.cost import check_costs, cheaper_device, project_use_case, serving_rate
from core.strategy.evidence import ASSUMED, MEASURED, Measured, Throughput
from core.strategy.model import CostAssumptions, DataProfile, Load, StrategyError, UseCaseAssessment

CPU_RUN = Throughput("cpu-run", "CPU", samples_per_second=1000.0, latency_p50_ms=10.0, batch_throughput=8000.0)


def _measured(cpu=CPU_RUN, gpu=None) -> Measured:
    best = cpu or gpu
    return Measured("vision", "test_accuracy", 0.9, best.run_id, "cnn", "digits", (best.run_id,), best, cpu, gpu, 10.0)


def _use_case(rows=36_000, requests=864_000.0, retrains=12.0) -> UseCaseAssessment:
    return UseCaseAssessment("vision", builtin=True, data=DataProfile(rows=rows), load=Load(requests, retrains))


COST = CostAssumptions(cpu_price_per_hour=0.5, gpu_price_per_hour=3.0, gpu_speedup=4.0, utilisation=0.5, epochs=10,
                       always_on=False)


def test_cpu_cost_from_measured_throughput():
    line = project_use_case(_use_case(), _measured(), COST)["CPU"]
    # training: 36,000 rows x 10 epochs / 1,000 samples/s = 360 s = 0.1 h per retrain; x 12 = 1.2 h; x 0.5 = 0.6
    assert line.train_hours_per_retrain == pytest.approx(0.1)
    assert line.train_hours == pytest.approx(1.2) and line.train_cost == pytest.approx(0.6)
    # serving: 1000 / 10 ms = 100 req/s; 864,000 x 365 / (100 x 3600 x 0.5) = 1,752 h; x 0.5 = 876
    assert line.serve_speed.value == pytest.approx(100.0)
    assert line.serve_hours == pytest.approx(1752.0) and line.serve_cost == pytest.approx(876.0)
    assert line.total == pytest.approx(876.6) and sum(line.monthly) == pytest.approx(876.6)
    assert line.source == MEASURED and line.run_ids == ("cpu-run",)


def test_gpu_cost_uses_the_assumed_speed_up_without_a_gpu_run():
    line = project_use_case(_use_case(), _measured(), COST)["GPU"]
    # 4x faster: 0.025 h per retrain x 12 = 0.3 h x 3.0 = 0.9; serving 400 req/s -> 438 h x 3.0 = 1,314
    assert line.train_cost == pytest.approx(0.9) and line.serve_hours == pytest.approx(438.0)
    assert line.total == pytest.approx(1314.9)
    assert line.train_speed.source == ASSUMED and line.source == ASSUMED


def test_a_measured_gpu_run_replaces_the_assumption():
    gpu = Throughput("gpu-run", "GPU", samples_per_second=10_000.0, latency_p50_ms=1.0, batch_throughput=None)
    line = project_use_case(_use_case(), _measured(gpu=gpu), COST)["GPU"]
    assert line.train_speed == type(line.train_speed)(10_000.0, MEASURED, "gpu-run")
    assert line.serve_speed.value == pytest.approx(1000.0)
    assert line.train_hours == pytest.approx(36_000 * 10 / 10_000 / 3600 * 12)


def test_always_on_keeps_one_instance_all_year():
    always = CostAssumptions(**{**COST.__dict__, "always_on": True})
    lines = project_use_case(_use_case(), _measured(), always)
    assert lines["CPU"].serve_hours == pytest.approx(8760.0) and lines["CPU"].serve_cost == pytest.approx(4380.0)
    assert cheaper_device(lines) == "CPU"
    idle = project_use_case(_use_case(requests=0.0), _measured(), always)["CPU"]
    assert idle.serve_hours == 0.0


def test_no_runs_at_all_uses_the_assumed_throughputs():
    assumptions = CostAssumptions(assumed_train_samples_per_second=2000.0, assumed_serving_requests_per_second=50.0,
                                  epochs=5, always_on=False, utilisation=1.0, cpu_price_per_hour=1.0)
    line = project_use_case(_use_case(rows=72_000, requests=180_000.0, retrains=1.0), None, assumptions)["CPU"]
    assert line.train_hours == pytest.approx(72_000 * 5 / 2000 / 3600)  # 0.05 h
    assert line.serve_hours == pytest.approx(180_000 * 365 / (50 * 3600))  # 365 h
    assert line.source == ASSUMED and line.run_ids == ()


def test_serving_rate_prefers_single_request_latency():
    assert serving_rate(CPU_RUN) == pytest.approx(100.0)
    assert serving_rate(Throughput("r", "CPU", None, None, 8000.0)) == 8000.0
    assert serving_rate(None) is None


def test_negative_costs_and_impossible_assumptions_are_clear_errors():
    with pytest.raises(StrategyError, match="cpu_price_per_hour is negative"):
        check_costs(CostAssumptions(cpu_price_per_hour=-0.1))
    with pytest.raises(StrategyError, match="requests_per_day is negative"):
        project_use_case(_use_case(requests=-5.0), None, COST)
    with pytest.raises(StrategyError, match="gpu_speedup must be above zero"):
        check_costs(CostAssumptions(gpu_speedup=0.0))
    with pytest.raises(StrategyError, match="utilisation must be between 0 and 1"):
        check_costs(CostAssumptions(utilisation=1.5))
