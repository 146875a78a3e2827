"""Which job queue the studio runs: the settings pick the executor behind the queue's seam.

core.training.jobs holds the local queue and core.training.ray_jobs the Ray one, which builds on
it; choosing between them lives here, above both, so neither imports the other back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from core.config import get_settings
from core.training.jobs import JobQueue

if TYPE_CHECKING:
    from core.config import Settings
    from core.tracking.store import Tracker


def job_queue_from_settings(settings: Settings | None = None, *, tracker: Tracker | None = None) -> JobQueue:
    """The studio's job queue: one local worker thread by default, the Ray cluster with STUDIO_EXECUTOR=ray.

    `tracker` lets the Ray queue end the run of a job whose worker died as "interrupted".
    """
    if settings is None:
        settings = get_settings()
    if settings.executor == "ray":
        from core.training.ray_jobs import RayJobQueue  # imports Ray, only in team mode

        return RayJobQueue(settings, tracker=tracker)
    return JobQueue()
