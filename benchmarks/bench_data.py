"""Dataset load times (not a test; prints numbers, asserts nothing). Budget: cached Fashion-MNIST load < 2 s.

Fashion-MNIST is parsed from the Debian package's gzip files on the first (cold) load and cached as
arrays under STUDIO_DATA_DIR/cache; every later load reads that cache. Both are timed in a fresh data dir.

    .venv/bin/python benchmarks/bench_data.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ["STUDIO_DATA_DIR"] = tempfile.mkdtemp(prefix="studio-bench-data-")
os.environ.setdefault("STUDIO_OFFLINE", "1")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="cached loads to time")
    args = parser.parse_args()

    from core.errors import DataError
    from core.usecases.vision.data import load_fashion_mnist

    started = time.perf_counter()
    try:
        load_fashion_mnist(seed=0)
    except DataError as error:
        print(f"Fashion-MNIST not available, nothing to time: {error}")
        return
    cold = time.perf_counter() - started
    warm = []
    for _ in range(max(1, args.repeats)):
        started = time.perf_counter()
        load_fashion_mnist(seed=0)
        warm.append(time.perf_counter() - started)
    print(f"Fashion-MNIST load: cold {cold:.2f} s; cached median {statistics.median(warm):.2f} s, "
          f"max {max(warm):.2f} s over {len(warm)} (budget 2 s)")


if __name__ == "__main__":
    main()
