"""Helpers the tracker needs around MLflow: quiet logging, where a URI points, whether a process lives,
and turning params and JSON artifacts (NumPy values included) into text. No MLflow import here.
"""

from __future__ import annotations

import json
import logging
import os
import warnings
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

_QUIET_LOGGERS = ("mlflow", "alembic", "alembic.runtime.migration", "sqlalchemy", "urllib3")


def quiet_mlflow() -> None:
    """MLflow and its database layer log INFO lines and warnings on every start-up; keep real problems only."""
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    os.environ.setdefault("MLFLOW_LOGGING_LEVEL", "WARNING")  # read by mlflow when it is imported
    for name in _QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    warnings.filterwarnings("ignore", module=r"mlflow(\..*)?")
    warnings.filterwarnings("ignore", module=r"alembic(\..*)?")


def is_local_uri(uri: str) -> bool:
    scheme = urlparse(uri).scheme
    return scheme in ("", "file", "sqlite") or len(scheme) == 1  # "C:" on Windows


def local_path(uri: str) -> Path | None:
    """The folder a file: URI (or plain path) names, or None for remote artifact stores."""
    parsed = urlparse(uri)
    if parsed.scheme == "file":
        return Path(unquote(parsed.path))
    if parsed.scheme == "" or len(parsed.scheme) == 1:
        return Path(uri)
    return None


def pid_alive(pid: int) -> bool:
    """Whether a process with this id exists on this machine."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except (OSError, ValueError, OverflowError):
        return False
    return True


def jsonable(value: Any) -> Any:
    """NumPy scalars/arrays and Paths as plain JSON values."""
    if hasattr(value, "tolist"):
        return value.tolist()
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, (Path, datetime)):
        return str(value)
    if isinstance(value, (set, tuple)):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def param_value(value: Any) -> str:
    if isinstance(value, (list, tuple, dict)):
        text = json.dumps(value, default=jsonable)
    else:
        text = str(value)
    return text[:6000]
