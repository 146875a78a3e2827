"""The GGUF catalogue: size before, progress during, the host's SHA-256 checked after, offline said plainly.

Never the internet: two loopback http.servers (127.0.0.1 only) play Hugging Face and its CDN. The "hub"
answers /<repo>/resolve/main/<file> with a redirect whose headers carry X-Linked-ETag / X-Linked-Size, as
huggingface.co does, and the "CDN" serves the bytes; HF_ENDPOINT points the catalogue at the hub.
"""

from __future__ import annotations

import hashlib
import http.server
import random
import socket
import threading
import urllib.request

import pytest

from core.config import get_settings
from core.errors import Cancelled
from core.llm import catalogue
from core.llm.catalogue import (CatalogueEntry, WeightsUnavailable, catalogue_label, catalogue_path, catalogue_status,
                                catalogue_status_message, ensure_catalogue_model, progress_message, recorded_sha256)
from core.models import weights

BODY = random.Random(22).randbytes(300_000)  # several 64 KiB chunks
SHA = hashlib.sha256(BODY).hexdigest()
WRONG = "0" * 64
REPO = "test/Tiny-Instruct-GGUF"


class _Server:
    """A bounded loopback HTTP server in a thread; routes: path -> (status, headers, body); records GET paths."""

    def __init__(self):
        self.routes: dict[str, tuple[int, dict[str, str], bytes]] = {}
        self.requests: list[str] = []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's name)
                server.requests.append(self.path)
                status, headers, body = server.routes.get(self.path, (404, {}, b"not found"))
                self.send_response(status)
                for name, value in {"Content-Length": str(len(body)), **headers}.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.timeout = 5
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


@pytest.fixture()
def hosts(tmp_path, monkeypatch):
    """(hub, cdn) servers, a fresh data dir, downloads allowed, HF_ENDPOINT at the hub, short socket timeout."""
    hub, cdn = _Server(), _Server()
    monkeypatch.setenv("STUDIO_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("STUDIO_OFFLINE", raising=False)
    monkeypatch.setenv("HF_ENDPOINT", hub.base)
    monkeypatch.setattr(weights, "DOWNLOAD_TIMEOUT_S", 5.0)
    get_settings.cache_clear()
    yield hub, cdn
    get_settings.cache_clear()
    hub.close()
    cdn.close()


def _entry(monkeypatch, key: str, filename: str, size_mb: int = 1) -> str:
    entry = CatalogueEntry(key, f"Tiny {key}", REPO, filename, size_mb, "Apache-2.0",
                           "https://www.apache.org/licenses/LICENSE-2.0", ("en", "zh"))
    monkeypatch.setitem(catalogue.CATALOGUE, key, entry)
    return key


def _resolve(filename: str) -> str:
    return f"/{REPO}/resolve/main/{filename}"


def _like_hugging_face(hub, cdn, filename: str, sha: str | None, *, cdn_headers: dict[str, str] | None = None):
    """The hub redirects to the CDN with the hash in its headers (or none); the CDN serves the bytes."""
    linked = {"X-Linked-ETag": f'"{sha}"', "X-Linked-Size": str(len(BODY))} if sha else {}
    hub.routes[_resolve(filename)] = (302, {"Location": f"{cdn.base}/blobs/{filename}", **linked}, b"")
    cdn.routes[f"/blobs/{filename}"] = (200, cdn_headers or {}, BODY)


def test_downloads_once_with_progress_and_a_recorded_hash_then_works_offline(hosts, monkeypatch):
    hub, cdn = hosts
    key = _entry(monkeypatch, "tiny", "tiny-q4_k_m.gguf")
    _like_hugging_face(hub, cdn, "tiny-q4_k_m.gguf", SHA)
    assert catalogue_status(key) == ("download", 1)
    assert catalogue_status_message(key) == ("Tiny tiny needs a one-time download of about 1 MB from Hugging Face "
                                             "when you train it (then it works offline).")

    seen: list[tuple[int, int]] = []
    path = ensure_catalogue_model(key, progress=lambda done, total: seen.append((done, total)))

    assert path == get_settings().data_dir / "models" / "llm" / "tiny-q4_k_m.gguf" == catalogue_path(key)
    assert path.read_bytes() == BODY
    assert path.with_name("tiny-q4_k_m.gguf.sha256").read_text(encoding="utf-8") == f"{SHA}  tiny-q4_k_m.gguf\n"
    assert recorded_sha256(path) == SHA
    assert not list(path.parent.glob("*.part"))
    size = len(BODY)
    assert seen[0] == (0, size) and seen[-1] == (size, size)  # the total is X-Linked-Size from the start
    assert {total for _, total in seen} == {size}
    dones = [done for done, _ in seen]
    assert dones == sorted(dones) and len(set(dones)) >= 5  # rises chunk by chunk (64 KiB)
    assert hub.requests == [_resolve("tiny-q4_k_m.gguf")] and cdn.requests == ["/blobs/tiny-q4_k_m.gguf"]
    assert catalogue_status(key) == ("cached", 1)
    assert catalogue_status_message(key, "zh") == "Tiny tiny 已在本机（哈希已校验）：可离线使用。"

    # once verified, it is never fetched again, even offline with both hosts gone
    hub.routes.clear()
    cdn.routes.clear()
    monkeypatch.setenv("STUDIO_OFFLINE", "1")
    get_settings.cache_clear()
    assert catalogue_status(key) == ("cached", 1)
    assert ensure_catalogue_model(key) == path
    assert len(hub.requests) == 1 and len(cdn.requests) == 1


def test_a_file_whose_hash_differs_is_deleted_and_refused(hosts, monkeypatch):
    hub, cdn = hosts
    key = _entry(monkeypatch, "wrong", "wrong.gguf")
    _like_hugging_face(hub, cdn, "wrong.gguf", WRONG)
    with pytest.raises(WeightsUnavailable) as caught:
        ensure_catalogue_model(key)
    error = caught.value
    assert error.key == "errors.llm_catalogue.hash_mismatch"
    assert error.params["expected"] == WRONG and error.params["actual"] == SHA
    assert str(error) == (f"The downloaded file of Tiny wrong does not match the hash its host published (expected "
                          f"{WRONG}, got {SHA}); the file was deleted. Try again; if it repeats, the download is "
                          "being altered on the way.")
    assert "哈希不符" in error.message("zh") and SHA in error.message("zh")
    folder = catalogue.llm_models_dir()
    assert sorted(p.name for p in folder.iterdir()) == []  # no file, no .part, no .sha256
    assert catalogue_status(key) == ("download", 1)


def test_a_host_that_publishes_no_hash_is_refused_before_the_file_is_fetched(hosts, monkeypatch):
    hub, cdn = hosts
    key = _entry(monkeypatch, "nohash", "nohash.gguf")
    # the CDN does send a hash, but only the download's own host may vouch for the file
    _like_hugging_face(hub, cdn, "nohash.gguf", None, cdn_headers={"X-Linked-ETag": f'"{SHA}"'})
    with pytest.raises(WeightsUnavailable, match="published no SHA-256 hash") as caught:
        ensure_catalogue_model(key)
    assert caught.value.key == "errors.llm_catalogue.no_hash"
    assert caught.value.params["host"] == hub.base.removeprefix("http://")
    assert "无法校验" in caught.value.message("zh")
    assert cdn.requests == []
    assert not catalogue_path(key).exists() and not list(catalogue.llm_models_dir().glob("*"))
    assert catalogue_status(key) == ("download", 1)


def test_a_host_that_serves_the_file_itself_with_its_hash_works_too(hosts, monkeypatch):
    hub, _ = hosts
    key = _entry(monkeypatch, "direct", "direct.gguf")
    hub.routes[_resolve("direct.gguf")] = (200, {"X-Linked-ETag": f'W/"{SHA.upper()}"'}, BODY)
    seen: list[tuple[int, int]] = []
    path = ensure_catalogue_model(key, progress=lambda done, total: seen.append((done, total)))
    assert path.read_bytes() == BODY and recorded_sha256(path) == SHA
    assert seen[0] == (0, len(BODY)) and seen[-1] == (len(BODY), len(BODY))  # Content-Length: no X-Linked-Size


def test_offline_says_how_big_the_download_is_in_both_languages(hosts, monkeypatch):
    hub, cdn = hosts
    key = _entry(monkeypatch, "off", "off.gguf", size_mb=491)
    _like_hugging_face(hub, cdn, "off.gguf", SHA)
    monkeypatch.setenv("STUDIO_OFFLINE", "1")
    get_settings.cache_clear()
    assert catalogue_status(key) == ("offline", 491)
    with pytest.raises(WeightsUnavailable) as caught:
        ensure_catalogue_model(key)
    error = caught.value
    assert error.key == "errors.llm_catalogue.offline"
    assert error.message("en") == ("Tiny off needs a one-time download of about 491 MB; offline now "
                                   "(STUDIO_OFFLINE=1). Connect to the internet once, give the path of a GGUF file you already have, or "
                                   "pick another candidate.")
    assert error.message("zh") == ("Tiny off 需要一次性下载约 491 MB；当前离线（STUDIO_OFFLINE=1）。请联网一次，"
                                   "填写已有 GGUF 文件的路径，或选择其他候选模型。")
    assert hub.requests == [] and cdn.requests == []
    assert "约 491 MB" in catalogue_status_message(key, "zh") and "about 491 MB" in catalogue_status_message(key)


def test_no_connection_or_a_missing_file_says_so_and_leaves_nothing(hosts, monkeypatch):
    hub, _ = hosts
    key = _entry(monkeypatch, "gone", "gone.gguf")
    with pytest.raises(WeightsUnavailable, match=r"could not be downloaded \(HTTP 404") as caught:
        ensure_catalogue_model(key)  # the hub has no such file
    assert caught.value.key == "errors.llm_catalogue.download_failed"

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead = sock.getsockname()[1]
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{dead}")
    with pytest.raises(WeightsUnavailable, match=r"one-time download of about 1 MB; offline now \(") as caught:
        ensure_catalogue_model(key)  # nothing listens: fails fast
    assert caught.value.key == "errors.llm_catalogue.offline" and caught.value.params["detail"] != "STUDIO_OFFLINE=1"
    assert not list(catalogue.llm_models_dir().glob("*"))


def test_a_cancelled_download_leaves_no_partial_file(hosts, monkeypatch):
    hub, cdn = hosts
    key = _entry(monkeypatch, "cancel", "cancel.gguf")
    _like_hugging_face(hub, cdn, "cancel.gguf", SHA)

    def cancel(done, total):
        if done > 100_000:
            raise Cancelled("stop")

    with pytest.raises(Cancelled):
        ensure_catalogue_model(key, progress=cancel)
    assert not list(catalogue.llm_models_dir().glob("*"))
    assert catalogue_status(key) == ("download", 1)


def test_a_file_without_its_recorded_hash_is_not_taken_as_verified(hosts, monkeypatch):
    hub, cdn = hosts
    key = _entry(monkeypatch, "bare", "bare.gguf")
    _like_hugging_face(hub, cdn, "bare.gguf", SHA)
    path = catalogue_path(key)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"half a file from a crash")
    assert catalogue_status(key) == ("download", 1)
    assert ensure_catalogue_model(key).read_bytes() == BODY  # fetched again, verified, replaced
    assert recorded_sha256(path) == SHA


def test_status_never_touches_the_network(tmp_path, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("network touched")

    monkeypatch.setattr(urllib.request, "urlopen", refuse)
    monkeypatch.setattr(urllib.request, "build_opener", refuse)
    monkeypatch.setenv("STUDIO_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("STUDIO_OFFLINE", raising=False)
    get_settings.cache_clear()
    try:
        assert [catalogue_status(entry.id) for entry in catalogue.catalogue_entries()] == [
            ("download", 491), ("download", 1117), ("download", 808)]
    finally:
        get_settings.cache_clear()


def test_the_catalogue_names_the_published_files_sizes_licences_and_languages(monkeypatch):
    monkeypatch.delenv("HF_ENDPOINT", raising=False)
    rows = [(e.id, e.repo, e.filename, e.size_mb, e.licence, e.languages) for e in catalogue.catalogue_entries()]
    assert rows == [
        ("qwen2.5-0.5b-instruct-q4_k_m", "Qwen/Qwen2.5-0.5B-Instruct-GGUF", "qwen2.5-0.5b-instruct-q4_k_m.gguf", 491,
         "Apache-2.0", ("en", "zh")),
        ("qwen2.5-1.5b-instruct-q4_k_m", "Qwen/Qwen2.5-1.5B-Instruct-GGUF", "qwen2.5-1.5b-instruct-q4_k_m.gguf", 1117,
         "Apache-2.0", ("en", "zh")),
        ("llama-3.2-1b-instruct-q4_k_m", "bartowski/Llama-3.2-1B-Instruct-GGUF", "Llama-3.2-1B-Instruct-Q4_K_M.gguf",
         808, "Llama 3.2 Community License", ("en",)),
    ]
    llama = catalogue.catalogue_entry("llama-3.2-1b-instruct-q4_k_m")
    assert llama.url == catalogue.download_url(llama) == (
        "https://huggingface.co/bartowski/Llama-3.2-1B-Instruct-GGUF/resolve/main/Llama-3.2-1B-Instruct-Q4_K_M.gguf")
    assert catalogue.catalogue_entry("qwen2.5-0.5b-instruct-q4_k_m").url == (
        "https://huggingface.co/Qwen/Qwen2.5-0.5B-Instruct-GGUF/resolve/main/qwen2.5-0.5b-instruct-q4_k_m.gguf")
    monkeypatch.setenv("HF_ENDPOINT", "https://hf-mirror.com/")
    assert catalogue.download_url(llama).startswith("https://hf-mirror.com/bartowski/")
    with pytest.raises(KeyError, match="No catalogue model 'gpt-5'"):
        catalogue.catalogue_entry("gpt-5")


def test_labels_and_progress_read_in_both_languages():
    assert catalogue_label("qwen2.5-0.5b-instruct-q4_k_m") == (
        "Qwen2.5-0.5B-Instruct (Q4_K_M) · about 491 MB · Apache-2.0 · English, Chinese")
    assert catalogue_label("llama-3.2-1b-instruct-q4_k_m", "zh") == (
        "Llama-3.2-1B-Instruct (Q4_K_M) · 约 808 MB · Llama 3.2 Community License · 英文")
    assert progress_message("qwen2.5-1.5b-instruct-q4_k_m", 250_000_000, 1_117_000_000) == (
        "Downloading Qwen2.5-1.5B-Instruct (Q4_K_M): 250 of 1117 MB")
    assert progress_message("qwen2.5-1.5b-instruct-q4_k_m", 0, 1_117_000_000, "zh") == (
        "正在下载 Qwen2.5-1.5B-Instruct (Q4_K_M)：0 / 1117 MB")
