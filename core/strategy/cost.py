"""Twelve-month cost projection from throughput measured in the studio, scaled to the company's volumes.

training hours / year = rows x epochs / training samples per second / 3600 x retrains per year
serving hours / year  = requests per day x 365 / (requests per second per instance x 3600 x utilisation)
requests per second per instance = 1000 / p50 latency (ms) of single requests; batch throughput when no latency
With "always on" (the default) serving takes at least one instance all year (8,760 h) whenever requests arrive.
cost = hours x price per hour (CPU or GPU). Where no GPU run exists the GPU speed is the CPU speed times
an editable speed-up (an assumption, marked so); where no run exists at all, the assumed throughputs of
the cost assumptions are used and every figure is marked "assumed".
"""

from __future__ import annotations

from dataclasses import dataclass

from core.strategy.evidence import ASSUMED, MEASURED, Measured, Throughput, training_hours
from core.strategy.model import CostAssumptions, StrategyError, UseCaseAssessment

HOURS_PER_YEAR = 24 * 365
DEVICES = ("CPU", "GPU")


@dataclass(frozen=True)
class Speed:
    """A throughput figure with its provenance."""

    value: float
    source: str  # measured | assumed
    run_id: str = ""


@dataclass(frozen=True)
class CostLine:
    """The projected yearly cost of one use case on one device kind."""

    use_case: str
    device: str
    train_speed: Speed
    serve_speed: Speed
    train_hours_per_retrain: float
    train_hours: float
    serve_hours: float
    train_cost: float
    serve_cost: float

    @property
    def total(self) -> float:
        return self.train_cost + self.serve_cost

    @property
    def monthly(self) -> tuple[float, ...]:
        """Twelve equal months (retrains and traffic spread evenly)."""
        return tuple([self.total / 12.0] * 12)

    @property
    def source(self) -> str:
        measured = self.train_speed.source == MEASURED and self.serve_speed.source == MEASURED
        return MEASURED if measured else ASSUMED

    @property
    def run_ids(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(s.run_id for s in (self.train_speed, self.serve_speed) if s.run_id))


def check_costs(cost: CostAssumptions, use_case: UseCaseAssessment | None = None) -> None:
    """StrategyError for a negative price or volume, or an impossible assumption."""
    fields = {"cpu_price_per_hour": cost.cpu_price_per_hour, "gpu_price_per_hour": cost.gpu_price_per_hour}
    if use_case is not None:
        fields.update({"rows": use_case.data.rows, "requests_per_day": use_case.load.requests_per_day,
                       "retrains_per_year": use_case.load.retrains_per_year})
    for name, value in fields.items():
        if float(value) < 0:
            raise StrategyError("strategy.errors.negative_cost", field=name, value=value)
    for name, value in (("gpu_speedup", cost.gpu_speedup), ("assumed_train_samples_per_second",
                        cost.assumed_train_samples_per_second), ("assumed_serving_requests_per_second",
                        cost.assumed_serving_requests_per_second)):
        if float(value) <= 0:
            raise StrategyError("strategy.errors.not_positive", field=name, value=value)
    if not 0 < float(cost.utilisation) <= 1:
        raise StrategyError("strategy.errors.utilisation", value=cost.utilisation)
    if int(cost.epochs) < 1:
        raise StrategyError("strategy.errors.not_positive", field="epochs", value=cost.epochs)


def serving_rate(throughput: Throughput | None) -> float | None:
    """Requests per second one instance serves: single-request latency first, batch throughput otherwise."""
    if throughput is None:
        return None
    if throughput.latency_p50_ms and throughput.latency_p50_ms > 0:
        return 1000.0 / throughput.latency_p50_ms
    if throughput.batch_throughput and throughput.batch_throughput > 0:
        return throughput.batch_throughput
    return None


def _speeds(measured: Measured | None, cost: CostAssumptions) -> dict[str, tuple[Speed, Speed]]:
    """{device: (training speed, serving speed)} with measured figures where they exist."""
    speedup = float(cost.gpu_speedup)
    cpu_runs = [t for t in (measured.cpu, measured.best if measured.best.device == "CPU" else None)
                if t is not None] if measured else []
    gpu_runs = [t for t in (measured.gpu, measured.best if measured.best.device == "GPU" else None)
                if t is not None] if measured else []

    def first(runs: list[Throughput], pick) -> Speed | None:
        for run in runs:
            value = pick(run)
            if value:
                return Speed(float(value), MEASURED, run.run_id)
        return None

    train = {"CPU": first(cpu_runs, lambda t: t.samples_per_second),
             "GPU": first(gpu_runs, lambda t: t.samples_per_second)}
    serve = {"CPU": first(cpu_runs, serving_rate), "GPU": first(gpu_runs, serving_rate)}
    for table, fallback in ((train, cost.assumed_train_samples_per_second),
                            (serve, cost.assumed_serving_requests_per_second)):
        if table["CPU"] is None and table["GPU"] is not None:
            table["CPU"] = Speed(table["GPU"].value / speedup, ASSUMED, table["GPU"].run_id)
        if table["CPU"] is None:
            table["CPU"] = Speed(float(fallback), ASSUMED)
        if table["GPU"] is None:
            table["GPU"] = Speed(table["CPU"].value * speedup, ASSUMED, table["CPU"].run_id)
    return {device: (train[device], serve[device]) for device in DEVICES}


def project_use_case(use_case: UseCaseAssessment, measured: Measured | None,
                     cost: CostAssumptions) -> dict[str, CostLine]:
    """{"CPU": CostLine, "GPU": CostLine}: twelve months of training and serving for one use case."""
    check_costs(cost, use_case)
    lines = {}
    prices = {"CPU": float(cost.cpu_price_per_hour), "GPU": float(cost.gpu_price_per_hour)}
    for device, (train, serve) in _speeds(measured, cost).items():
        per_retrain = training_hours(use_case.data.rows, cost.epochs, train.value)
        train_hours = per_retrain * float(use_case.load.retrains_per_year)
        serve_hours = (float(use_case.load.requests_per_day) * 365.0
                       / (serve.value * 3600.0 * float(cost.utilisation)))
        if cost.always_on and float(use_case.load.requests_per_day) > 0:
            serve_hours = max(serve_hours, float(HOURS_PER_YEAR))
        lines[device] = CostLine(use_case.id, device, train, serve, per_retrain, train_hours, serve_hours,
                                 train_hours * prices[device], serve_hours * prices[device])
    return lines


def project(assessment, measured: dict[str, Measured]) -> dict[str, dict[str, CostLine]]:
    """{use case id: {device: CostLine}} for every use case of the assessment."""
    check_costs(assessment.cost)
    return {u.id: project_use_case(u, measured.get(u.id), assessment.cost) for u in assessment.use_cases}


def cheaper_device(lines: dict[str, CostLine]) -> str:
    """The device kind with the lower twelve-month total."""
    return min(DEVICES, key=lambda device: (lines[device].total, device))
