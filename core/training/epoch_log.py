"""Writing a run's per-epoch metrics to the tracker off the training thread, and the TensorFlow device scope."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from core.tracking.store import Tracker
    from core.training.device import DeviceInfo

class EpochLogger:
    """Writes per-epoch metrics to the tracker on its own thread, a few seconds' worth at a time.

    A tracker write (SQLite or a remote server) takes milliseconds to seconds of CPU; done at
    every epoch end of a fast model it competes with training for the same cores. Epochs are
    written at most every FLUSH_INTERVAL_S (always at the end), so a crash loses seconds of
    history at most while fast runs are not slowed down.
    """

    FLUSH_INTERVAL_S = 3.0

    def __init__(self, tracker: Tracker, run_id: str):
        from concurrent.futures import ThreadPoolExecutor

        self._tracker, self._run_id = tracker, run_id
        self._logged = 0
        self._buffer: list[tuple[int, dict[str, float]]] = []
        self._last_write = time.monotonic()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="epoch-log")
        self._pending: list[Any] = []

    def update(self, history: dict[str, list[float]]) -> None:
        """Queue the epochs of `history` not logged yet; write them when the interval has passed.

        A write the store refused (TrackingError) is raised here, at the next epoch: the training stops
        instead of going on for a run that can no longer be recorded.
        """
        for future in self._pending:
            if future.done() and future.exception() is not None:
                raise future.exception()
        epochs_done = min((len(values) for values in history.values()), default=0)
        while self._logged < epochs_done:
            self._buffer.append((self._logged + 1, {name: float(values[self._logged])
                                                    for name, values in history.items()}))
            self._logged += 1
        if self._buffer and time.monotonic() - self._last_write >= self.FLUSH_INTERVAL_S:
            self._write_buffer()

    def _write_buffer(self) -> None:
        batch, self._buffer = self._buffer, []
        self._last_write = time.monotonic()
        self._pending.append(self._executor.submit(self._write, batch))

    def _write(self, batch: list[tuple[int, dict[str, float]]]) -> None:
        for epoch, metrics in batch:
            self._tracker.log_epoch(self._run_id, epoch, metrics)

    def flush(self) -> None:
        """Write what is buffered, wait for every write; re-raise the first that failed."""
        if self._buffer:
            self._write_buffer()
        self._executor.shutdown(wait=True)
        for future in self._pending:
            future.result()


class device_scope:
    """tf.device context for the chosen device (a no-op placement hint on CPU)."""

    def __init__(self, device: DeviceInfo):
        self.device = device
        self._context = None

    def __enter__(self):
        import tensorflow as tf

        self._context = tf.device(self.device.tf_device)
        return self._context.__enter__()

    def __exit__(self, *exc: Any):
        return self._context.__exit__(*exc)
