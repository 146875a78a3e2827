"""Pretrained weight files: download once with progress, verify the hash, reuse offline, say why when not.

Never the network: the weights are a randomly initialised backbone this test saves itself, served
from a loopback http.server or a file:// URL.
"""

from __future__ import annotations

import functools
import hashlib
import http.server
import socket
import threading
from pathlib import Path

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from core.config import get_settings  # noqa: E402
from core.models import weights  # noqa: E402
from core.models.weights import WeightFile, WeightsUnavailable, ensure_weights, weights_status  # noqa: E402
from core.usecases.vision.pretrained import BACKBONE_LAYER, build_mobilenet_v3_small  # noqa: E402

KEY = "test_backbone"
SIZE = 32  # backbone resolution: weights do not depend on it, tests stay fast


@pytest.fixture()
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("STUDIO_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("STUDIO_OFFLINE", raising=False)
    get_settings.cache_clear()
    yield tmp_path / "data"
    get_settings.cache_clear()


@pytest.fixture(scope="module")
def saved_backbone(tmp_path_factory):
    """A randomly initialised MobileNetV3-Small saved as a weights file, with its sha256 and its weights."""
    folder = tmp_path_factory.mktemp("served")
    model = build_mobilenet_v3_small((SIZE, SIZE, 3), 3, image_size=SIZE)
    backbone = model.get_layer(BACKBONE_LAYER)
    path = folder / "backbone.weights.h5"
    backbone.save_weights(path)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return path, digest, [np.array(w) for w in backbone.get_weights()]


def _register(monkeypatch, url: str, file_hash: str, fname: str = "backbone.weights.h5") -> WeightFile:
    spec = WeightFile(fname, url, file_hash, 5.0, "Test backbone")
    monkeypatch.setitem(weights.WEIGHT_FILES, KEY, spec)
    return spec


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture()
def served(saved_backbone):
    """The saved weights on a loopback HTTP server (127.0.0.1 only); yields the file's URL."""
    path = saved_backbone[0]
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(path.parent))
    handler.log_message = lambda *args, **kwargs: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/{path.name}"
    server.shutdown()
    server.server_close()


def test_download_reports_progress_then_reuses_the_cache_offline(data_dir, saved_backbone, served, monkeypatch):
    path, digest, _ = saved_backbone
    _register(monkeypatch, served, digest)
    assert weights_status(KEY) == ("download", 5.0)
    seen: list[tuple[int, int]] = []
    local = ensure_weights(KEY, progress=lambda done, total: seen.append((done, total)))
    assert local == data_dir / "cache" / "weights" / "backbone.weights.h5"
    assert local.read_bytes() == path.read_bytes()
    size = path.stat().st_size
    assert seen[0] == (0, size) and seen[-1] == (size, size)  # Content-Length from the server
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)
    assert not list(local.parent.glob("*.part"))
    assert weights_status(KEY) == ("cached", 5.0)

    # offline now: the URL is dead and downloads are forbidden, yet the cached copy is used
    _register(monkeypatch, f"http://127.0.0.1:{_free_port()}/gone.h5", digest)
    monkeypatch.setenv("STUDIO_OFFLINE", "1")
    get_settings.cache_clear()
    assert ensure_weights(KEY) == local


def test_downloaded_weights_are_the_ones_the_backbone_loads(data_dir, saved_backbone, monkeypatch):
    path, digest, expected = saved_backbone
    _register(monkeypatch, path.as_uri(), digest)
    local = ensure_weights(KEY)
    model = build_mobilenet_v3_small((8, 8, 1), 10, image_size=SIZE, weights_path=str(local))
    loaded = model.get_layer(BACKBONE_LAYER).get_weights()
    assert len(loaded) == len(expected)
    assert all(np.array_equal(a, b) for a, b in zip(loaded, expected))
    fresh = build_mobilenet_v3_small((8, 8, 1), 10, image_size=SIZE).get_layer(BACKBONE_LAYER).get_weights()
    assert not all(np.array_equal(a, b) for a, b in zip(fresh, expected))  # random init differs


def test_a_file_whose_hash_differs_is_refused_and_deleted(data_dir, saved_backbone, monkeypatch):
    path, digest, _ = saved_backbone
    wrong = "0" * 64
    _register(monkeypatch, path.as_uri(), wrong)
    with pytest.raises(WeightsUnavailable, match="do not match the published checksum") as caught:
        ensure_weights(KEY)
    assert caught.value.params["expected"] == wrong and caught.value.params["actual"] == digest
    assert not weights.cached_weights(KEY).exists()
    assert "校验和" in caught.value.message("zh")


def test_a_corrupted_cached_file_is_refused_too(data_dir, saved_backbone, monkeypatch):
    path, digest, _ = saved_backbone
    _register(monkeypatch, path.as_uri(), digest)
    local = ensure_weights(KEY)
    local.write_bytes(b"truncated")
    with pytest.raises(WeightsUnavailable, match="do not match"):
        ensure_weights(KEY)
    assert not local.exists()


def test_offline_says_how_big_the_one_time_download_is(data_dir, saved_backbone, monkeypatch):
    _, digest, _ = saved_backbone
    _register(monkeypatch, f"http://127.0.0.1:{_free_port()}/backbone.weights.h5", digest)
    with pytest.raises(WeightsUnavailable, match=r"needs a one-time 5 MB download of its pretrained weights; "
                                                 r"offline now \("):
        ensure_weights(KEY)  # nothing listens on the port: the download fails fast
    assert not list(weights.weights_dir().glob("*"))  # no partial file left

    monkeypatch.setenv("STUDIO_OFFLINE", "1")
    get_settings.cache_clear()
    assert weights_status(KEY) == ("offline", 5.0)
    with pytest.raises(WeightsUnavailable, match=r"one-time 5 MB download.*STUDIO_OFFLINE=1") as caught:
        ensure_weights(KEY)
    assert "离线" in caught.value.message("zh")


def test_the_table_holds_keras_published_origins_and_hashes():
    from keras.src.applications import efficientnet_v2, mobilenet_v3

    small = weights.WEIGHT_FILES["mobilenet_v3_small"]
    assert small.url == mobilenet_v3.BASE_WEIGHT_PATH + small.fname
    assert small.file_hash == mobilenet_v3.WEIGHTS_HASHES["small_224_1.0_float"][1]
    b0 = weights.WEIGHT_FILES["efficientnet_v2_b0"]
    assert b0.url == efficientnet_v2.BASE_WEIGHTS_PATH + b0.fname
    assert b0.file_hash == efficientnet_v2.WEIGHTS_HASHES["b0"][1]


def test_nothing_is_fetched_on_import_or_when_listing_use_cases(data_dir, monkeypatch):
    import urllib.request

    def refuse(*args, **kwargs):
        raise AssertionError("network touched")

    monkeypatch.setattr(urllib.request, "urlopen", refuse)
    from core.contract.registry import get_use_case

    vision = get_use_case("vision")
    assert [c.id for c in vision.candidates if c.pretrained] == ["mobilenet_v3_small", "efficientnet_v2_b0"]
    assert weights_status("mobilenet_v3_small") == ("download", 4.3)
    assert not Path(weights.weights_dir()).exists() or not list(weights.weights_dir().iterdir())
