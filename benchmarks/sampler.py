"""A tiny sampling profiler for code that runs in other threads (AppTest runs the page script in its own
thread, which cProfile on the main thread does not see). Not a test; used by the page benchmarks.

    with ThreadSampler() as sampler:
        at.run()
    print(sampler.report(40))
"""

from __future__ import annotations

import collections
import sys
import threading
import time


class ThreadSampler:
    """Samples every other thread's stack every `interval` s; report() gives cumulative shares per function."""

    def __init__(self, interval: float = 0.005):
        self.interval = interval
        self.samples = 0
        self.cumulative: collections.Counter = collections.Counter()
        self.own: collections.Counter = collections.Counter()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        me, main = threading.get_ident(), threading.main_thread().ident
        while not self._stop.is_set():
            for ident, frame in sys._current_frames().items():
                if ident in (me, main):
                    continue
                seen = set()
                top = True
                while frame is not None:
                    code = frame.f_code
                    key = f"{code.co_filename.split('site-packages/')[-1].split('i25-perf/')[-1]}:{code.co_name}"
                    if top:
                        self.own[key] += 1
                        top = False
                    if key not in seen:
                        self.cumulative[key] += 1
                        seen.add(key)
                    frame = frame.f_back
                self.samples += 1
            time.sleep(self.interval)

    def __enter__(self) -> "ThreadSampler":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def report(self, limit: int = 50) -> str:
        total = max(self.samples, 1)
        lines = [f"{self.samples} samples (stacks of non-main threads); cumulative share, own share, function"]
        for key, count in self.cumulative.most_common(limit):
            lines.append(f"{100 * count / total:5.1f}% {100 * self.own[key] / total:5.1f}%  {key}")
        lines.append("-- most own time --")
        for key, count in self.own.most_common(25):
            lines.append(f"{100 * count / total:5.1f}%  {key}")
        return "\n".join(lines)
