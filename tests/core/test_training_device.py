"""Device policy: CPU here, GPU logic against a stand-in TensorFlow, nvidia-smi parsing, light imports."""

from __future__ import annotations

import subprocess
import sys
from types import SimpleNamespace

import pytest

from core.config import REPO_ROOT
from core.errors import TrainingError
from core.training import device


@pytest.fixture
def fresh_state(monkeypatch):
    """Forget what configure_device learned, and put the float32 policy back afterwards."""
    monkeypatch.setattr(device, "_GPUS", None)
    monkeypatch.setattr(device, "_HIDDEN", False)
    monkeypatch.setattr(device, "_RESULTS", {})
    detect = device.detect_gpu_light
    detect.cache_clear()
    yield
    detect.cache_clear()
    import keras

    keras.config.set_dtype_policy("float32")


def fake_tensorflow(gpus, capability):
    calls = {"growth": [], "visible": None}

    def set_memory_growth(gpu, enabled):
        calls["growth"].append((gpu.name, enabled))

    def set_visible_devices(devices, kind):
        calls["visible"] = (list(devices), kind)

    config = SimpleNamespace(
        list_physical_devices=lambda kind: list(gpus) if kind == "GPU" else [],
        set_visible_devices=set_visible_devices,
        experimental=SimpleNamespace(
            set_memory_growth=set_memory_growth,
            get_device_details=lambda gpu: {"device_name": "NVIDIA H100 80GB HBM3",
                                            "compute_capability": capability},
        ),
    )
    return SimpleNamespace(config=config), calls


def test_auto_on_this_cpu_machine_picks_the_cpu():
    info = device.configure_device("auto")
    assert info.kind == "CPU" and not info.is_gpu
    assert info.tf_device == "/CPU:0"
    assert info.mixed_precision is False
    assert info.name.startswith("CPU (") and info.name.endswith("cores)")
    assert device.configure_device("auto") is info  # once per process
    import keras

    assert keras.config.dtype_policy().name == "float32"
    assert info.as_tags() == {"studio.device": info.name, "studio.device_kind": "CPU",
                              "studio.mixed_precision": "False"}


def test_gpu_policy_without_a_gpu_raises():
    with pytest.raises(TrainingError, match="GPU") as caught:
        device.configure_device("gpu")
    assert caught.value.key == "errors.training.no_gpu"
    assert "requirements-gpu.txt" in str(caught.value)


def test_unknown_policy_names_the_choices():
    with pytest.raises(TrainingError, match="auto, cpu or gpu"):
        device.configure_device("tpu")


def test_host_device_is_the_cpu_for_every_policy_and_refuses_an_unknown_one(monkeypatch, fresh_state):
    monkeypatch.setattr(device, "detect_gpu_light", lambda: "NVIDIA H100 80GB HBM3")  # a GPU on the machine
    for policy in ("auto", "cpu", "gpu", "GPU"):
        info = device.host_device(policy)
        assert (info.kind, info.tf_device, info.mixed_precision) == ("CPU", "/CPU:0", False)
    with pytest.raises(TrainingError, match="auto, cpu or gpu"):
        device.host_device("tpu")


def test_gpu_with_tensor_cores_gets_memory_growth_and_mixed_precision(monkeypatch, fresh_state):
    import keras

    tf, calls = fake_tensorflow([SimpleNamespace(name="/physical_device:GPU:0")], (9, 0))
    monkeypatch.setitem(sys.modules, "tensorflow", tf)
    info = device.configure_device("auto")
    assert (info.kind, info.name, info.tf_device) == ("GPU", "NVIDIA H100 80GB HBM3", "/GPU:0")
    assert info.mixed_precision is True and info.compute_capability == (9, 0)
    assert calls["growth"] == [("/physical_device:GPU:0", True)]
    assert keras.config.dtype_policy().name == "mixed_float16"
    assert device.configure_device("gpu").kind == "GPU"


def test_old_gpu_or_mixed_precision_off_stays_float32(monkeypatch, fresh_state):
    import keras

    tf, _ = fake_tensorflow([SimpleNamespace(name="gpu0")], (6, 1))
    monkeypatch.setitem(sys.modules, "tensorflow", tf)
    assert device.configure_device("auto").mixed_precision is False
    assert device.configure_device("gpu", mixed_precision=False).mixed_precision is False
    assert keras.config.dtype_policy().name == "float32"


def test_cpu_policy_hides_the_gpus(monkeypatch, fresh_state):
    tf, calls = fake_tensorflow([SimpleNamespace(name="gpu0")], (8, 0))
    monkeypatch.setitem(sys.modules, "tensorflow", tf)
    info = device.configure_device("cpu")
    assert info.kind == "CPU" and info.tf_device == "/CPU:0"
    assert calls["visible"] == ([], "GPU")
    with pytest.raises(TrainingError, match="GPU"):
        device.configure_device("gpu")  # hidden for the rest of the process


def test_gpu_seen_by_nvidia_smi_but_not_tensorflow_is_explained(monkeypatch, fresh_state):
    tf, _ = fake_tensorflow([], None)
    monkeypatch.setitem(sys.modules, "tensorflow", tf)
    monkeypatch.setattr(device, "detect_gpu_light", lambda: "NVIDIA A10G")
    info = device.configure_device("auto")
    assert info.kind == "CPU" and info.note_key == "training.device.gpu_unused"
    with pytest.raises(TrainingError, match="NVIDIA A10G"):
        device.configure_device("gpu")


def test_detect_gpu_light_parses_nvidia_smi(monkeypatch, fresh_state):
    seen = {}

    def fake_run(args, **kwargs):
        seen["args"], seen["timeout"] = args, kwargs.get("timeout")
        return subprocess.CompletedProcess(args, 0, stdout="GPU 0: NVIDIA H100 80GB HBM3 (UUID: GPU-1234)\n"
                                                            "GPU 1: NVIDIA H100 80GB HBM3 (UUID: GPU-5678)\n")

    monkeypatch.setattr(device.shutil, "which", lambda name: "/usr/bin/nvidia-smi")
    monkeypatch.setattr(device.subprocess, "run", fake_run)
    assert device.detect_gpu_light() == "NVIDIA H100 80GB HBM3"
    assert seen["args"] == ["/usr/bin/nvidia-smi", "-L"] and seen["timeout"] <= 5


def test_detect_gpu_light_without_nvidia_smi_or_on_timeout(monkeypatch, fresh_state):
    monkeypatch.setattr(device.shutil, "which", lambda name: None)
    assert device.detect_gpu_light() is None
    device.detect_gpu_light.cache_clear()

    def hang(args, **kwargs):
        raise subprocess.TimeoutExpired(args, kwargs.get("timeout"))

    monkeypatch.setattr(device.shutil, "which", lambda name: "/usr/bin/nvidia-smi")
    monkeypatch.setattr(device.subprocess, "run", hang)
    assert device.detect_gpu_light() is None


def test_training_and_tracking_modules_import_without_tensorflow_or_mlflow():
    code = ("import sys, core.training, core.training.device, core.training.runner, core.training.jobs, "
            "core.tracking, core.tracking.store; "
            "print('tensorflow' in sys.modules, 'keras' in sys.modules, 'mlflow' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, timeout=60)
    assert out.stdout.split() == ["False", "False", "False"], out.stderr
