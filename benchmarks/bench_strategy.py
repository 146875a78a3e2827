"""Strategy page interaction latency (not a test; prints numbers, asserts nothing). Budget: < 200 ms per interaction.

1. The page's own work per rerun, timed directly: analysis (scores, ranking, sensitivity, cost), the five
   charts built and serialised as Streamlit does (to_json), the three tables, the YAML fingerprint.
   CPU time is printed too: on a shared 2-core box the wall time mostly measures other people's load.
2. Whole reruns through AppTest (dashboard/app.py + sidebar + page) for real widget interactions; AppTest
   polls the script thread, so these include a little harness overhead.
3. Building the brief (on button click only): charts as PNG, HTML and PDF, in English and Chinese.

4. With --runs 50,200,500: the page's first render and rerun against stores of that many generated runs
   (benchmarks/bench_pages_runs.py, which also times Model selection and Runs).

    .venv/bin/python benchmarks/bench_strategy.py [--repeats 30] [--custom 4] [--runs 50,200,500]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))
os.environ.setdefault("STUDIO_DATA_DIR", tempfile.mkdtemp(prefix="studio-bench-"))
os.environ.setdefault("STUDIO_OFFLINE", "1")


def _ms(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return f"median {statistics.median(samples) * 1000:6.1f} ms   p95 {p95 * 1000:6.1f} ms   max {max(samples) * 1000:6.1f} ms"


def page_work(assessment, lang: str) -> None:
    """What pages/strategy.py computes on every rerun, minus Streamlit itself."""
    import plotly.io as pio

    from core.strategy.analysis import analyse, cost_rows, evidence_rows, ranking_rows
    from core.strategy.evidence import MEASURED
    from core.strategy.io import dump_yaml
    from core.strategy.model import CRITERIA
    from core.strategy.plan import PHASES, risk_register, roadmap
    from dashboard import strategy_charts as charts

    analysis = analyse(assessment, {}, lang)
    order = [u.id for u in assessment.use_cases]
    labels = {c: c for c in CRITERIA}
    figures = [
        charts.plot_priority_matrix([analysis.title(u) for u in order],
                                    [analysis.effective[u]["feasibility"].score for u in order],
                                    [analysis.effective[u]["value"].score for u in order],
                                    [analysis.best_cost(u).total for u in order],
                                    [analysis.effective[u]["feasibility"].source == MEASURED for u in order],
                                    title="t", x_title="x", y_title="y", cost_label="c", measured_label="m",
                                    assumed_label="a", quadrants=["1", "2", "3", "4"]),
        charts.plot_radars([analysis.title(u) for u in order],
                           [{c: analysis.effective[u][c].score for c in CRITERIA} for u in order],
                           [assessment.use_case(u).scores for u in order], title="t", axis_labels=labels,
                           effective_label="e", typed_label="t"),
        charts.plot_sensitivity(analysis.sensitivity, criterion_labels=labels, title="t", x_title="x", y_title="y"),
        charts.plot_costs(order, {d: [analysis.costs[u][d].train_cost for u in order] for d in ("CPU", "GPU")},
                          {d: [analysis.costs[u][d].serve_cost for u in order] for d in ("CPU", "GPU")},
                          title="t", y_title="y", device_labels={"CPU": "CPU", "GPU": "GPU"}, train_label="a",
                          serve_label="b"),
        charts.plot_roadmap(roadmap(analysis.ranking, start=date.today()), title="t",
                            phase_labels={p: p for p in PHASES}, today_label="t", today=date.today()),
    ]
    for figure in figures:
        pio.to_json(figure.to_dict(), validate=False)
    ranking_rows(analysis), evidence_rows(analysis), cost_rows(analysis)
    risk_register(assessment, analysis.ranking, analysis.costs, lang)
    dump_yaml(assessment)


def bench_page_work(repeats: int, custom: int) -> None:
    from core.strategy.model import default_assessment, new_custom_use_case

    assessment = default_assessment()
    for index in range(custom):
        assessment.use_cases.append(new_custom_use_case(assessment, f"Custom {index + 1}"))
    page_work(assessment, "en")  # warm imports and caches
    for lang in ("en", "zh"):
        samples, cpu = [], []
        for index in range(repeats):
            assessment.use_cases[0].scores["value"] = 1 + index % 5  # a different ranking each time
            started, started_cpu = time.perf_counter(), time.process_time()
            page_work(assessment, lang)
            samples.append(time.perf_counter() - started)
            cpu.append(time.process_time() - started_cpu)
        print(f"page work, {len(assessment.use_cases)} use cases, {lang}: wall {_ms(samples)}\n"
              f"{'':>30}CPU  {_ms(cpu)}")


def bench_apptest(repeats: int) -> None:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(REPO_ROOT / "dashboard" / "app.py"), default_timeout=120)
    started = time.perf_counter()
    at.run()
    at.switch_page("../pages/strategy.py").run()
    print(f"AppTest first open of the strategy page (cold imports): {time.perf_counter() - started:.2f} s")
    interactions = {
        "score slider": lambda i: at.slider(key="stg_w_vision_score_value").set_value(1 + i % 5),
        "risk slider": lambda i: at.slider(key="stg_w_vision_risk_privacy").set_value(1 + i % 5),
        "criterion weight": lambda i: at.number_input(key="stg_w_weight_value").set_value(0.1 + 0.05 * (i % 5)),
        "use case picker": lambda i: at.selectbox(key="stg_edit").set_value(("nlp", "finance")[i % 2]),
        "risk appetite": lambda i: at.radio(key="stg_w_appetite").set_value(("low", "high")[i % 2]),
        "language switch": lambda i: at.segmented_control(key="lang").set_value(("zh", "en")[i % 2]),
    }
    for name, interact in interactions.items():
        samples = []
        for index in range(repeats):
            interact(index)
            started = time.perf_counter()
            at.run()
            samples.append(time.perf_counter() - started)
            assert not at.exception, [e.value for e in at.exception]
        print(f"AppTest rerun after {name:<17}: {_ms(samples)}")


def bench_brief() -> None:
    from core.strategy.analysis import analyse
    from core.strategy.model import default_assessment
    from core.strategy.plan import risk_register, roadmap
    from core.strategy.report import build_brief

    for lang in ("en", "zh", "en"):
        assessment = default_assessment()
        started = time.perf_counter()
        analysis = analyse(assessment, {}, lang)
        brief = build_brief(analysis, roadmap(analysis.ranking, start=date.today()),
                            risk_register(assessment, analysis.ranking, analysis.costs, lang), today=date.today())
        print(f"brief ({lang}) on click: {time.perf_counter() - started:.2f} s "
              f"(HTML {len(brief.html) / 1000:.0f} KB, PDF {len(brief.pdf or b'') / 1000:.0f} KB)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--custom", type=int, default=4, help="custom use cases added for the larger page-work run")
    parser.add_argument("--runs", default="", help="e.g. 50,200,500: page times against stored runs only")
    parser.add_argument("--stores", default="/tmp/studio-bench-stores")
    args = parser.parse_args()
    if args.runs:
        import bench_pages_runs

        stores = bench_pages_runs.build_stores(Path(args.stores), [int(c) for c in args.runs.split(",") if c])
        bench_pages_runs.bench(stores, ["strategy"], 2, 5, ["warm", "cold"], {"this": REPO_ROOT})
        return
    print(f"load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    bench_page_work(args.repeats, 0)
    bench_page_work(args.repeats, args.custom)
    bench_apptest(max(5, args.repeats // 3))
    bench_brief()


if __name__ == "__main__":
    main()
