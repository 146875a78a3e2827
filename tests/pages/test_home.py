"""Home page: intro, four use-case cards with their status, environment, language switch, lab link."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import streamlit as st

from core.i18n import translate
from core.contract.registry import USE_CASES

REPO_ROOT = Path(__file__).resolve().parents[2]


def _markdown(at) -> str:
    return "\n".join(element.value for element in at.markdown)


def test_home_renders_in_english_with_four_use_case_cards(app_test):
    at = app_test().run()
    assert not at.exception
    assert at.title[0].value.endswith("AI Strategy Studio")
    text = _markdown(at)
    for use_case in USE_CASES.values():
        assert translate(use_case.title_key, "en") in text
        assert translate(use_case.value_key, "en") in text
    buttons = {button.key: button for button in at.button if button.key and button.key.startswith("home_open_")}
    assert set(buttons) == {f"home_open_{use_case_id}" for use_case_id in USE_CASES}
    available = [uid for uid, use_case in USE_CASES.items() if use_case.status == "available"]
    assert "vision" in available
    for use_case_id, use_case in USE_CASES.items():
        button = buttons[f"home_open_{use_case_id}"]
        if use_case.status == "available":
            assert button.label == "Open in the lab" and not button.disabled
        else:
            assert button.disabled and button.label == "Coming soon"
    assert text.count("Available") == len(available)  # one badge per available use case
    assert "Online datasets" in text and "Off (STUDIO_OFFLINE is set)" in text  # the fixture runs offline


def test_home_environment_shows_where_runs_are_stored(app_test, tmp_path):
    at = app_test().run()
    data_dir = str((tmp_path / "studio-data").resolve())
    assert data_dir in _markdown(at)
    assert any(data_dir in caption.value for caption in at.sidebar.caption)  # sidebar says it too


def test_switching_language_translates_title_navigation_and_cards(app_test, switch_language, navigation_titles):
    at = app_test().run()
    assert navigation_titles(at)["home"] == "Home"
    switch_language(at, "zh")
    assert not at.exception
    assert at.title[0].value.endswith("AI 策略工作室")
    assert navigation_titles(at) == {"home": "首页", "lab": "用例实验室", "runs": "运行记录", "selection": "模型选择",
                                 "walkthrough": "反向传播演示",
                                 "model-trace": "模型逐层剖析", "strategy": "策略规划"}
    assert at.button(key="home_open_vision").label == "在实验室中打开"
    assert "运行环境" in [header.value for header in at.subheader]
    switch_language(at, "en")
    assert at.title[0].value.endswith("AI Strategy Studio") and navigation_titles(at)["lab"] == "Use-case lab"


def test_a_link_with_lang_zh_opens_in_chinese(app_test, navigation_titles):
    at = app_test()
    at.query_params["lang"] = "zh"
    at.run()
    assert at.title[0].value.endswith("AI 策略工作室") and navigation_titles(at)["home"] == "首页"
    assert at.segmented_control(key="lang").value == "zh"


def test_the_chosen_language_is_written_into_the_url_so_a_reload_keeps_it(app_test, switch_language):
    at = app_test()
    at.run()
    assert at.query_params["lang"] == "en"
    switch_language(at, "zh")
    assert at.query_params["lang"] == "zh"  # a reload of this URL opens in Chinese (test above)


def test_studio_language_setting_chooses_the_starting_language(app_test, monkeypatch):
    from core.config import get_settings

    at = app_test()
    monkeypatch.setenv("STUDIO_LANGUAGE", "zh")
    get_settings.cache_clear()
    at.run()
    assert at.segmented_control(key="lang").value == "zh"
    assert at.button(key="home_open_vision").label == "在实验室中打开"


def test_vision_card_button_asks_for_the_lab_page(app_test, monkeypatch):
    targets = []
    at = app_test().run()
    monkeypatch.setattr(st, "switch_page", lambda page, **kwargs: targets.append(page))
    at.button(key="home_open_vision").click().run()
    assert targets == [str(REPO_ROOT / "pages" / "lab.py")]
    assert at.session_state["lab_use_case"] == "vision"


@pytest.mark.slow  # renders the real Lab page, which loads a dataset and Keras
def test_vision_card_opens_the_lab_with_vision_selected(app_test, current_page):
    at = app_test().run()
    assert current_page(at) == "home"
    at.button(key="home_open_vision").click().run()
    assert at.session_state["lab_use_case"] == "vision"
    assert current_page(at) == "lab"


HOME_IMPORT_CHECK = """
import json, sys, time
from streamlit import env_util
from streamlit.testing.v1 import AppTest
stack_walks = []
real_is_repl = env_util.is_repl
env_util.is_repl = lambda: stack_walks.append(1) or real_is_repl()  # Streamlit's inspect.stack() of every module
start = time.perf_counter()
at = AppTest.from_file(sys.argv[1], default_timeout=30).run()
print(json.dumps({
    "seconds": time.perf_counter() - start,
    "exceptions": [e.message for e in at.exception],
    "title": at.title[0].value if at.title else "",
    # (pandas and plotly come with `import streamlit` itself)
    "heavy": sorted(name for name in ("tensorflow", "keras", "mlflow", "torch", "sklearn", "scipy", "sqlalchemy",
                                      "matplotlib") if name in sys.modules),
    "stack_walks": len(stack_walks),
}))
"""


def test_home_never_imports_tensorflow_mlflow_or_other_heavy_modules_nor_walks_the_stack(tmp_path):
    env = {"STUDIO_DATA_DIR": str(tmp_path / "data"), "STUDIO_OFFLINE": "1", "PATH": "/usr/bin:/bin",
           "HOME": str(tmp_path), "PYTHONPATH": str(REPO_ROOT)}
    completed = subprocess.run([sys.executable, "-c", HOME_IMPORT_CHECK, str(REPO_ROOT / "dashboard" / "app.py")],
                               capture_output=True, text=True, cwd=REPO_ROOT, env=env, timeout=120)
    assert completed.returncode == 0, completed.stderr[-2000:]
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    assert result["exceptions"] == []
    assert result["title"].endswith("AI Strategy Studio")
    assert result["heavy"] == []
    # Streamlit's "use `streamlit run`" check walks every module's path on the first element (0.15 s cold)
    assert result["stack_walks"] == 0


def test_sidebar_and_home_show_the_gpu_found_by_the_light_probe(app_test, monkeypatch):
    at = app_test()
    monkeypatch.setattr("dashboard.sidebar._configured_device", lambda: None)  # as if TensorFlow is not loaded
    monkeypatch.setattr("dashboard.sidebar.tensorflow_is_cpu_build", lambda: False)
    monkeypatch.setattr("core.training.device.detect_gpu_light", lambda *args, **kwargs: "NVIDIA H100 80GB HBM3")
    at.run()
    assert "GPU: NVIDIA H100 80GB HBM3" in [caption.value for caption in at.sidebar.caption]
    assert "NVIDIA H100 80GB HBM3" in _markdown(at)


def test_a_gpu_the_cpu_build_of_tensorflow_cannot_use_is_not_claimed(app_test, monkeypatch):
    at = app_test()
    monkeypatch.setattr("dashboard.sidebar._configured_device", lambda: None)
    monkeypatch.setattr("dashboard.sidebar.tensorflow_is_cpu_build", lambda: True)
    monkeypatch.setattr("core.training.device.detect_gpu_light", lambda *args, **kwargs: "NVIDIA L4")
    at.run()
    expected = translate("app.device_gpu_unusable", "en", name="NVIDIA L4")
    assert "training runs on the CPU" in expected
    assert expected in [caption.value for caption in at.sidebar.caption]
    assert expected in _markdown(at)


def test_device_policy_cpu_is_shown_even_with_a_gpu(app_test, monkeypatch):
    from core.config import get_settings

    at = app_test()
    monkeypatch.setenv("STUDIO_DEVICE", "cpu")
    get_settings.cache_clear()
    monkeypatch.setattr("dashboard.sidebar._configured_device", lambda: None)
    monkeypatch.setattr("core.training.device.detect_gpu_light", lambda *args, **kwargs: "NVIDIA L4")
    at.run()
    assert "CPU (GPU switched off by STUDIO_DEVICE=cpu)" in [caption.value for caption in at.sidebar.caption]


def test_sidebar_says_cpu_only_when_no_gpu_is_found(app_test, monkeypatch):
    at = app_test()
    monkeypatch.setattr("dashboard.sidebar._configured_device", lambda: None)
    monkeypatch.setattr("core.training.device.detect_gpu_light", lambda *args, **kwargs: None)
    at.run()
    assert "CPU only" in [caption.value for caption in at.sidebar.caption]
    assert "None found; training runs on the CPU" in _markdown(at)


def test_sidebar_shows_the_configured_device_once_tensorflow_is_loaded(app_test, monkeypatch):
    from core.training.device import DeviceInfo

    info = DeviceInfo(kind="GPU", name="NVIDIA L4", mixed_precision=True, tf_device="/GPU:0",
                      compute_capability=(8, 9))
    at = app_test()
    monkeypatch.setitem(sys.modules, "tensorflow", sys.modules.get("tensorflow", object()))
    monkeypatch.setitem(sys.modules, "keras", sys.modules.get("keras", object()))
    monkeypatch.setattr("core.training.device.configure_device", lambda *args, **kwargs: info)
    at.run()
    assert "GPU: NVIDIA L4 · mixed precision" in [caption.value for caption in at.sidebar.caption]


def test_tracking_uri_credentials_are_never_shown():
    from dashboard.sidebar import display_uri

    assert display_uri("https://alice:s3cret@mlflow.example.com:5000/path") == "https://***@mlflow.example.com:5000/path"
    assert display_uri("sqlite:////tmp/x/mlflow.db") == "sqlite:////tmp/x/mlflow.db"


def test_the_app_stops_streamlit_resetting_keras_after_each_rerun(app_test):
    """Without this a model training in a job thread is reset every second (383 s instead of 17 s)."""
    from streamlit.runtime.scriptrunner import script_runner

    original = script_runner._clean_problem_modules
    try:
        script_runner._clean_problem_modules = lambda: None  # as if the app had never run in this process
        at = app_test().run()
        assert not at.exception
        assert getattr(script_runner._clean_problem_modules, "studio_keeps_keras", False)
    finally:
        script_runner._clean_problem_modules = original


def test_with_a_tracking_server_the_sidebar_names_the_server_as_where_runs_are(app_test, monkeypatch, switch_language):
    from core.config import get_settings

    at = app_test()
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://mlflow.team.internal:5000")
    get_settings.cache_clear()
    at.run()
    captions = [caption.value for caption in at.sidebar.caption]
    data_dir = str(get_settings().data_dir)
    assert captions[captions.index("`http://mlflow.team.internal:5000`") + 1] == (
        f"This app's own files (uploads, downloaded weights): `{data_dir}`")
    assert f"`{data_dir}`" not in captions  # the local folder is not where the team's runs are
    switch_language(at, "zh")
    assert f"本应用自己的文件（上传、下载的权重）：`{data_dir}`" in [caption.value for caption in at.sidebar.caption]
