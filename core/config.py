"""One frozen settings object for the whole studio, read from the environment."""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

REPO_ROOT = Path(__file__).resolve().parent.parent
ASSETS_DIR = REPO_ROOT / "assets"


def _default_data_dir() -> Path:
    """Outside the source tree so Streamlit's file watcher never reruns on a run's writes."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "ai-strategy-studio"


def _flag(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    """Where data lives, how runs are tracked, what uploads may weigh, which device trains."""

    data_dir: Path
    tracking_uri: str
    artifact_dir: Path
    experiment_name: str = "ai-strategy-studio"
    max_upload_mb: int = 50
    max_upload_files: int = 20_000
    device_policy: str = "auto"  # auto | cpu | gpu
    mixed_precision: bool = True
    allow_online: bool = True
    fashion_mnist_dir: Path = Path("/usr/share/datasets/fashion-mnist")
    default_language: str = "en"
    roles_file: Path | None = None  # who may do what when sign-in is on; None: data_dir/roles.yaml
    executor: str = "local"  # local (one worker thread) | ray (STUDIO_EXECUTOR=ray, team mode)
    ray_address: str = ""  # RAY_ADDRESS; empty: the Ray cluster started on this machine (`ray start --head`)

    @property
    def roles_path(self) -> Path:
        return self.roles_file or self.data_dir / "roles.yaml"

    @property
    def strategy_defaults_path(self) -> Path:
        """The team's starting strategy assessment, saved by an admin; absent: the built-in defaults."""
        return self.data_dir / "strategy-defaults.yaml"

    @property
    def audit_log(self) -> Path:
        """Append-only JSON lines: who deleted or imported which run, and when."""
        return self.data_dir / "audit.jsonl"

    @property
    def cache_dir(self) -> Path:
        return self.data_dir / "cache"

    @property
    def models_dir(self) -> Path:
        return self.data_dir / "models"

    @property
    def jobs_dir(self) -> Path:
        return self.data_dir / "jobs"

    @property
    def max_upload_bytes(self) -> int:
        return self.max_upload_mb * 1024 * 1024

    def as_environ(self) -> dict[str, str]:
        """These settings as the environment variables load_settings reads (for a Ray worker's environment)."""
        return {
            "STUDIO_DATA_DIR": str(self.data_dir), "STUDIO_ARTIFACT_DIR": str(self.artifact_dir),
            "MLFLOW_TRACKING_URI": self.tracking_uri, "STUDIO_EXPERIMENT": self.experiment_name,
            "STUDIO_MAX_UPLOAD_MB": str(self.max_upload_mb), "STUDIO_DEVICE": self.device_policy,
            "STUDIO_MIXED_PRECISION": "1" if self.mixed_precision else "0",
            "STUDIO_OFFLINE": "0" if self.allow_online else "1",
            "STUDIO_FASHION_MNIST_DIR": str(self.fashion_mnist_dir), "STUDIO_LANGUAGE": self.default_language,
            "STUDIO_EXECUTOR": self.executor, "RAY_ADDRESS": self.ray_address,
            "STUDIO_ROLES_FILE": str(self.roles_file) if self.roles_file else "",
        }

    def ensure_dirs(self) -> "Settings":
        for path in (self.data_dir, self.artifact_dir, self.cache_dir, self.models_dir, self.jobs_dir):
            path.mkdir(parents=True, exist_ok=True)
        return self


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Build settings from environment variables (STUDIO_*, MLFLOW_TRACKING_URI, RAY_ADDRESS)."""
    env = os.environ if environ is None else environ
    data_dir = Path(env.get("STUDIO_DATA_DIR") or _default_data_dir()).expanduser().resolve()
    artifact_dir = Path(env.get("STUDIO_ARTIFACT_DIR") or data_dir / "mlartifacts").expanduser().resolve()
    tracking_uri = env.get("MLFLOW_TRACKING_URI") or f"sqlite:///{data_dir / 'mlflow.db'}"
    device_policy = (env.get("STUDIO_DEVICE") or "auto").lower()
    if device_policy not in {"auto", "cpu", "gpu"}:
        raise ValueError(f"STUDIO_DEVICE={device_policy!r} is not one of auto, cpu, gpu; fix the variable.")
    language = (env.get("STUDIO_LANGUAGE") or "en").lower()
    if language not in {"en", "zh"}:
        raise ValueError(f"STUDIO_LANGUAGE={language!r} is not one of en, zh; fix the variable.")
    executor = (env.get("STUDIO_EXECUTOR") or "local").lower()
    if executor not in {"local", "ray"}:
        raise ValueError(f"STUDIO_EXECUTOR={executor!r} is not one of local, ray; fix the variable.")
    return Settings(
        data_dir=data_dir,
        tracking_uri=tracking_uri,
        artifact_dir=artifact_dir,
        experiment_name=env.get("STUDIO_EXPERIMENT") or "ai-strategy-studio",
        max_upload_mb=int(env.get("STUDIO_MAX_UPLOAD_MB") or 50),
        device_policy=device_policy,
        mixed_precision=_flag(env.get("STUDIO_MIXED_PRECISION"), True),
        allow_online=not _flag(env.get("STUDIO_OFFLINE"), False),
        fashion_mnist_dir=Path(env.get("STUDIO_FASHION_MNIST_DIR") or "/usr/share/datasets/fashion-mnist"),
        default_language=language,
        roles_file=Path(env["STUDIO_ROLES_FILE"]).expanduser().resolve() if env.get("STUDIO_ROLES_FILE") else None,
        executor=executor,
        ray_address=env.get("RAY_ADDRESS") or "",
    )


@functools.lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Process-wide settings; tests call get_settings.cache_clear() after changing the environment."""
    return load_settings().ensure_dirs()
