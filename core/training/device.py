"""Device policy: train on the GPU when one is present (memory growth, mixed precision), else on the CPU.

`configure_device` imports TensorFlow (lazily) and must run before any model is built, because
the Keras dtype policy it sets applies to layers created afterwards. `host_device` is the device of
a backend that never uses an accelerator (scikit-learn): the CPU, without importing TensorFlow.
`detect_gpu_light` answers "is there an NVIDIA GPU?" without importing TensorFlow, for pages that
must stay fast.
"""

from __future__ import annotations

import functools
import logging
import os
import shutil
import subprocess
import threading
from dataclasses import dataclass

from core.errors import TrainingError
from core.tracking.records import ENDPOINT_DEVICE, device_tags, endpoint_host

POLICIES = ("auto", "cpu", "gpu")
MIXED_PRECISION_MIN_CAPABILITY = (7, 0)  # Volta and newer have tensor cores for float16

_LOG = logging.getLogger(__name__)
_LOCK = threading.Lock()
_GPUS: list | None = None  # physical GPUs TensorFlow saw on first look (memory growth set on them)
_HIDDEN = False  # whether GPUs were hidden from TensorFlow for the "cpu" policy
_RESULTS: dict[tuple[str, bool], "DeviceInfo"] = {}


@dataclass(frozen=True)
class DeviceInfo:
    """The device a run trains on, as recorded with the run and shown in the sidebar."""

    kind: str  # "GPU" | "CPU"
    name: str  # e.g. "NVIDIA H100 80GB HBM3" or "CPU (2 cores)"
    mixed_precision: bool
    tf_device: str  # "/GPU:0" | "/CPU:0"
    compute_capability: tuple[int, int] | None = None
    note_key: str = ""  # i18n key of a caveat worth showing, e.g. a GPU TensorFlow cannot use

    @property
    def is_gpu(self) -> bool:
        return self.kind == "GPU"

    def as_tags(self) -> dict[str, str]:
        """MLflow tags describing this device, so every run says where it trained."""
        return device_tags(self)


def endpoint_device(base_url: str) -> DeviceInfo:
    """Where an LLM behind an endpoint runs: that server (its host[:port]), not the machine that asks it."""
    return DeviceInfo(kind="endpoint", name=ENDPOINT_DEVICE + endpoint_host(base_url), mixed_precision=False,
                      tf_device="")


def _cpu_info(note_key: str = "") -> DeviceInfo:
    cores = os.cpu_count() or 1
    return DeviceInfo(kind="CPU", name=f"CPU ({cores} cores)", mixed_precision=False, tf_device="/CPU:0",
                      note_key=note_key)


def _list_gpus(tf) -> list:
    """Physical GPUs, with memory growth switched on once (before the runtime initialises)."""
    global _GPUS
    if _GPUS is None:
        gpus = list(tf.config.list_physical_devices("GPU"))
        for gpu in gpus:
            try:
                tf.config.experimental.set_memory_growth(gpu, True)
            except (RuntimeError, ValueError) as error:  # runtime already initialised: keep going
                _LOG.info("memory growth not set on %s: %s", gpu.name, error)
        _GPUS = gpus
    return _GPUS


def _gpu_details(tf, gpu) -> tuple[str, tuple[int, int] | None]:
    try:
        details = tf.config.experimental.get_device_details(gpu) or {}
    except Exception:  # noqa: BLE001 - details are cosmetic; never fail training for them
        details = {}
    name = str(details.get("device_name") or detect_gpu_light() or "GPU")
    capability = details.get("compute_capability")
    if capability is not None:
        capability = (int(capability[0]), int(capability[1]))
    return name, capability


def _set_dtype_policy(name: str) -> None:
    import keras

    if keras.config.dtype_policy().name != name:
        keras.config.set_dtype_policy(name)


def configure_device(policy: str = "auto", *, mixed_precision: bool = True) -> DeviceInfo:
    """Pick and prepare the training device; the heavy work happens once per process.

    auto: the first GPU when TensorFlow sees one, else the CPU. gpu: the GPU or TrainingError.
    cpu: GPUs hidden from TensorFlow. Mixed precision ("mixed_float16") only on a GPU with
    compute capability >= 7.0; everywhere else the Keras policy is float32.
    """
    policy = (policy or "auto").lower()
    if policy not in POLICIES:
        raise TrainingError("errors.training.bad_device_policy", policy=policy)
    key = (policy, bool(mixed_precision))
    with _LOCK:
        cached = _RESULTS.get(key)
        if cached is not None:
            _set_dtype_policy("mixed_float16" if cached.mixed_precision else "float32")
            return cached
        import tensorflow as tf

        global _HIDDEN
        gpus = _list_gpus(tf)
        if policy == "gpu" and (not gpus or _HIDDEN):
            raise TrainingError("errors.training.no_gpu", found=detect_gpu_light() or "-")
        if policy == "cpu" or not gpus or _HIDDEN:
            if policy == "cpu" and gpus and not _HIDDEN:
                try:
                    tf.config.set_visible_devices([], "GPU")
                    _HIDDEN = True
                except RuntimeError as error:  # runtime already up: tf.device("/CPU:0") still pins ops
                    _LOG.info("GPUs not hidden: %s", error)
            note = ""
            if policy == "auto" and not gpus and detect_gpu_light():
                note = "training.device.gpu_unused"
            info = _cpu_info(note)
        else:
            name, capability = _gpu_details(tf, gpus[0])
            mixed = bool(mixed_precision and capability is not None
                         and capability >= MIXED_PRECISION_MIN_CAPABILITY)
            info = DeviceInfo(kind="GPU", name=name, mixed_precision=mixed, tf_device="/GPU:0",
                              compute_capability=capability)
        _set_dtype_policy("mixed_float16" if info.mixed_precision else "float32")
        _RESULTS[key] = info
        return info


def host_device(policy: str = "auto") -> DeviceInfo:
    """The CPU, for a model that trains on it whatever the policy (scikit-learn); never imports TensorFlow.

    An unknown policy is refused as configure_device refuses it; "gpu" does not fail here, since such a
    model cannot use one anyway (a Keras candidate under the same policy still needs the GPU).
    """
    if (policy or "auto").lower() not in POLICIES:
        raise TrainingError("errors.training.bad_device_policy", policy=policy)
    return _cpu_info()


@functools.lru_cache(maxsize=1)
def detect_gpu_light(timeout_s: float = 2.0) -> str | None:
    """Name of the first NVIDIA GPU via `nvidia-smi -L`, without importing TensorFlow (cached)."""
    executable = shutil.which("nvidia-smi")
    if not executable:
        return None
    try:
        completed = subprocess.run([executable, "-L"], capture_output=True, text=True, timeout=timeout_s,
                                   check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    if completed.returncode != 0:
        return None
    for line in completed.stdout.splitlines():
        # "GPU 0: NVIDIA H100 80GB HBM3 (UUID: GPU-...)"
        if line.startswith("GPU ") and ":" in line:
            name = line.split(":", 1)[1].split("(UUID", 1)[0].strip()
            if name:
                return name
    return None
