"""Peak memory sampling sees an allocation made inside the block."""

import numpy as np

from core.evaluation.memory import PeakMemory, current_rss_mb


def test_peak_memory_sees_a_temporary_allocation():
    before = current_rss_mb()
    with PeakMemory(interval_s=0.01) as memory:
        block = np.ones(200 * 1024 * 1024 // 8)  # 200 MiB, touched so it is resident
        block.sum()
        import time

        time.sleep(0.1)
        del block
    assert memory.peak_mb >= before + 150
    assert current_rss_mb() < memory.peak_mb  # released again after the block
