"""Loopback servers for the LLM tests (issue 22): llama-cpp-python's real OpenAI-compatible server serving the
tiny random-weight GGUF model, and a scripted fault server speaking just enough of OpenAI's API to answer
with a rate limit, a server error, a wrong key or no answer in time.

Plain helpers; the fixtures `tiny_gguf`, `llama_server` and `fault_server` in tests/conftest.py use them.
Everything binds 127.0.0.1 on a free port, every wait is bounded, and both servers stop at teardown.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import signal
import struct
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from team_services import free_port

LLAMA_STARTUP_TIMEOUT_S = 60  # 0.7 s on an idle 2-core machine: loading the tiny model is milliseconds


def require(module_name: str, *, load: bool = True):
    """Import an LLM package (requirements-llm.txt), or with `load=False` only check that it is there (a server
    started as a subprocess needs no import here); skip the test where it is not installed, fail in CI."""
    import importlib
    import importlib.util

    import pytest

    try:
        if not load:
            if importlib.util.find_spec(module_name) is None:
                raise ImportError(module_name)
            return None
        return importlib.import_module(module_name)
    except ImportError:
        message = (f"{module_name} is not installed (requirements-llm.txt, installed by bash scripts/setup.sh "
                   "--llm or --dev)")
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message, allow_module_level=True)


class LlamaServer:
    """`python -m llama_cpp.server` serving one GGUF file on a free loopback port, as a person would start it.

    `base_url` ("http://127.0.0.1:PORT/v1") and `model` (the alias) are what an OpenAI client needs; the
    server accepts any API key. Embeddings are on, mean-pooled (the tiny model's llama architecture pools
    nothing by default, and /v1/embeddings then answered one vector per token). One thread each for
    generation and prompt processing: the tests share a 2-core machine.
    """

    ATTEMPTS = 3  # a free port taken by someone else between free_port() and the server's bind: try another

    def __init__(self, model_path: str | Path, folder: str | Path, *, alias: str = "tiny", n_ctx: int = 2048,
                 timeout_s: float = LLAMA_STARTUP_TIMEOUT_S):
        self.model_path = Path(model_path)
        self.model = alias
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        for attempt in range(1, self.ATTEMPTS + 1):
            self.port = free_port()
            self.base_url = f"http://127.0.0.1:{self.port}/v1"
            self.log_path = folder / f"llama-server-{attempt}.log"
            command = [sys.executable, "-m", "llama_cpp.server", "--model", str(self.model_path),
                       "--host", "127.0.0.1", "--port", str(self.port), "--n_ctx", str(n_ctx),
                       "--model_alias", alias, "--embedding", "true", "--kv_overrides", "llama.pooling_type=int:1",
                       "--n_threads", "1", "--n_threads_batch", "1"]
            with open(self.log_path, "w") as log:
                self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT,
                                                stdin=subprocess.DEVNULL, start_new_session=True)
            if self._wait_until_up(timeout_s):
                return
            tail = self.log_tail()
            self.stop()
            if "address already in use" not in tail.lower() or attempt == self.ATTEMPTS:
                raise RuntimeError(f"llama_cpp.server did not answer GET {self.base_url}/models within {timeout_s:.0f} s "
                                   f"(exit code {self.process.returncode}); command: {' '.join(command)}\n"
                                   f"--- last lines of {self.log_path} ---\n{tail}")

    def _wait_until_up(self, timeout_s: float) -> bool:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                with urllib.request.urlopen(f"{self.base_url}/models", timeout=2) as response:
                    if response.status == 200:
                        return True
            except OSError:
                pass
            time.sleep(0.1)
        return False

    def log_tail(self, characters: int = 3000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-characters:]
        except OSError:
            return ""

    def stop(self, grace_s: float = 5.0) -> None:
        """SIGTERM (uvicorn's graceful stop), then SIGKILL after `grace_s`."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=grace_s)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=grace_s)


@dataclass
class Reply:
    """One scripted answer of the fault server.

    status 200: a valid chat completion (content `content`, usage `prompt_tokens`/`completion_tokens`) or
    embeddings, by the request's path; any other status: OpenAI's error JSON for it. `delay_s`: wait that
    long before answering (a client with a shorter timeout gives up first). `body` replaces the JSON body.
    """

    status: int = 200
    content: str | None = None  # None: the server's default content
    prompt_tokens: int = 12
    completion_tokens: int = 5
    delay_s: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)
    body: dict | None = None


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]  # names lower-cased
    body: dict | list | None  # the JSON body, None when there was none (or it was not JSON)


ERRORS = {
    401: ("Incorrect API key provided", "invalid_request_error", "invalid_api_key"),
    404: ("Unknown request URL", "invalid_request_error", "unknown_url"),
    429: ("Rate limit reached for requests", "requests", "rate_limit_exceeded"),
    500: ("The server had an error while processing your request.", "server_error", None),
    503: ("The server is overloaded or not ready yet.", "server_error", None),
}


def error_body(status: int) -> dict:
    message, kind, code = ERRORS.get(status, (f"Scripted HTTP {status}", "invalid_request_error", None))
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}


class FaultServer:
    """A loopback HTTP server speaking just enough of OpenAI's /v1/chat/completions, /v1/embeddings and
    /v1/models to script faults.

        server.script([429, 200], content='{"label": "b"}')

    answers the next request with HTTP 429 (Retry-After: 0), the one after with a chat completion whose content
    is that JSON string. A step is an HTTP status (int), "timeout" (answer only after `hang_s`, longer than any
    test client's timeout) or a `Reply`. Once the script is used up, every request gets a 200 with `content`.
    Every request is recorded in `requests` (method, path, lower-cased headers, JSON body).
    """

    def __init__(self, *, content: str = '{"label": "positive"}', hang_s: float = 5.0, model: str = "fault-model"):
        self.content = content
        self.hang_s = hang_s
        self.model = model
        self.requests: list[RecordedRequest] = []
        self._steps: list[Reply] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.1},
                                        name=f"fault-server-{self.port}", daemon=True)
        self._thread.start()

    def script(self, steps, *, content: str | None = None) -> FaultServer:
        """Queue `steps` (after any left from an earlier script); `content`: the JSON string of their 200s."""
        replies = []
        for step in steps:
            if isinstance(step, Reply):
                reply = step
            elif step == "timeout":
                reply = Reply(delay_s=self.hang_s)
            elif isinstance(step, int):
                reply = Reply(status=step)
            else:
                raise ValueError(f"a step is an HTTP status, 'timeout' or a Reply, not {step!r}")
            if content is not None and reply.content is None:
                reply.content = content
            replies.append(reply)
        with self._lock:
            self._steps.extend(replies)
        return self

    @property
    def pending(self) -> int:
        """Scripted replies not yet used."""
        with self._lock:
            return len(self._steps)

    def _next(self) -> Reply:
        with self._lock:
            return self._steps.pop(0) if self._steps else Reply()

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def _answer(self, method: str, path: str, body) -> tuple[int, dict, dict[str, str], float]:
        """(status, JSON body, headers, delay in seconds) for one request."""
        route = path.split("?", 1)[0].rstrip("/")
        if method == "GET" and route == "/v1/models":
            return 200, {"object": "list", "data": [{"id": self.model, "object": "model", "owned_by": "fault"}]}, {}, 0.0
        if method != "POST" or route not in ("/v1/chat/completions", "/v1/embeddings"):
            return 404, error_body(404), {}, 0.0
        reply = self._next()
        headers = dict(reply.headers)
        if reply.status == 429:
            headers.setdefault("Retry-After", "0")
        if reply.body is not None:
            return reply.status, reply.body, headers, reply.delay_s
        if reply.status != 200:
            return reply.status, error_body(reply.status), headers, reply.delay_s
        body = body if isinstance(body, dict) else {}
        if route == "/v1/embeddings":
            return 200, self._embeddings(body), headers, reply.delay_s
        content = self.content if reply.content is None else reply.content
        completion = {
            "id": f"chatcmpl-fault-{len(self.requests)}", "object": "chat.completion", "created": int(time.time()),
            "model": body.get("model", self.model),
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "logprobs": None,
                         "finish_reason": "stop"}],
            "usage": {"prompt_tokens": reply.prompt_tokens, "completion_tokens": reply.completion_tokens,
                      "total_tokens": reply.prompt_tokens + reply.completion_tokens},
        }
        return 200, completion, headers, reply.delay_s

    def _embeddings(self, body: dict) -> dict:
        """A deterministic 8-number vector per input text (from its hash), as floats or base64 float32."""
        texts = body.get("input", "")
        texts = [texts] if isinstance(texts, str) else list(texts)
        data = []
        for index, text in enumerate(texts):
            digest = hashlib.sha256(str(text).encode()).digest()
            vector = [(byte - 127.5) / 127.5 for byte in digest[:8]]
            if body.get("encoding_format") == "base64":
                encoded = base64.b64encode(struct.pack("<8f", *vector)).decode()
                data.append({"object": "embedding", "index": index, "embedding": encoded})
            else:
                data.append({"object": "embedding", "index": index, "embedding": vector})
        tokens = sum(len(str(text).split()) for text in texts)
        return {"object": "list", "data": data, "model": body.get("model", self.model),
                "usage": {"prompt_tokens": tokens, "total_tokens": tokens}}

    def _handler_class(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as OpenAI's API (every answer has a Content-Length)
            timeout = 10  # an idle kept-alive connection ends its thread after 10 s

            def log_message(self, *args) -> None:  # quiet: the tests read `requests`
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length > 0 else b""
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = None
                server._record(RecordedRequest(self.command, self.path,
                                               {name.lower(): value for name, value in self.headers.items()}, body))
                status, payload, headers, delay_s = server._answer(self.command, self.path, body)
                if delay_s and server._stopping.wait(delay_s):
                    self.close_connection = True
                    return  # the server is stopping: no answer
                data = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:  # the client gave up (its timeout) and closed the connection
                    self.close_connection = True

            do_GET = do_POST = _handle

        return Handler

    def stop(self) -> None:
        """Wake any delayed answer, stop serving and close the socket."""
        self._stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> FaultServer:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


class ImageServer(FaultServer):
    """An OpenAI-compatible server whose "model" reads images: no vision model can be downloaded on these
    machines, so this stands in for one at the HTTP boundary, as a remote API would be met.

    Every image_url part of a chat request is decoded from its PNG data URL (what a real model would see); each
    image costs `tokens_per_image` prompt tokens and text one token per 4 bytes, so the studio's check that the
    model reads images passes. The answer names `answer(pixels)` for the LAST image of the request (the item asked
    about; earlier ones are k-shot examples): a function of the decoded 8-bit pixels returning the content string.
    `images_seen` keeps the pixels of every image received, in order. With `reads_images=False` it behaves like a
    text-only server that drops image parts (llama.cpp's), counting no tokens for them.
    """

    def __init__(self, answer, *, tokens_per_image: int = 85, reads_images: bool = True, **options):
        super().__init__(**options)
        self.answer = answer
        self.tokens_per_image = tokens_per_image
        self.reads_images = reads_images
        self.images_seen: list = []

    def _answer(self, method: str, path: str, body) -> tuple[int, dict, dict[str, str], float]:
        route = path.split("?", 1)[0].rstrip("/")
        if method != "POST" or route != "/v1/chat/completions" or self.pending:
            return super()._answer(method, path, body)  # models, embeddings, and any scripted fault first
        from core.llm.images import data_url_pixels

        text_bytes, images = 0, []
        for message in body.get("messages", []):
            content = message.get("content")
            parts = [{"type": "text", "text": content}] if isinstance(content, str) else content or []
            for part in parts:
                if part.get("type") == "image_url" and self.reads_images:
                    images.append(data_url_pixels(part["image_url"]["url"]))
                elif part.get("type") == "text":
                    text_bytes += len(str(part["text"]).encode("utf-8"))
        with self._lock:
            self.images_seen.extend(images)
        content = self.answer(images[-1]) if images else "OK"
        completion = {
            "id": f"chatcmpl-image-{len(self.requests)}", "object": "chat.completion", "created": int(time.time()),
            "model": body.get("model", self.model),
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "logprobs": None,
                         "finish_reason": "stop"}],
            "usage": {"prompt_tokens": text_bytes // 4 + len(images) * self.tokens_per_image, "completion_tokens": 6,
                      "total_tokens": text_bytes // 4 + len(images) * self.tokens_per_image + 6},
        }
        return 200, completion, {}, 0.0
