"""The two ways to reach a large language model, behind one small interface: `chat(messages, schema) -> Answer`
and `embed(texts)`.

LocalModel runs a GGUF file in-process with llama-cpp-python (llama.cpp; on the GPU where its build has one),
constrained to the answer's JSON schema by a grammar. Endpoint calls any OpenAI-compatible chat API through the
official `openai` SDK with a base URL (OpenAI, Azure OpenAI, DeepSeek, Qwen/DashScope, vLLM, Ollama, a llama.cpp
server); the SDK retries 429, 5xx and timeouts with backoff, and what still fails becomes an LLMError that says
what to do. The API key is held by the client only: never in its id, its repr, a run's params or a log line.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from core.i18n import StudioError
from core.llm.catalogue import recorded_sha256


class LLMError(StudioError):
    """An LLM could not be opened or asked (not installed, bad file, wrong key, endpoint down...)."""


@dataclass(frozen=True)
class Answer:
    """One reply: its text, the tokens it took in and gave out, how long it took, and whether it came from cache."""

    content: str
    tokens_in: int
    tokens_out: int
    seconds: float
    cached: bool = False


def _file_digest(path: Path, *, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def trained_context(path: Path) -> int | None:
    """The context length a GGUF file declares (<arch>.context_length), read from its header; None if absent."""
    try:
        import gguf

        reader = gguf.GGUFReader(str(path))
        architecture = bytes(reader.fields["general.architecture"].parts[-1]).decode()
        field = reader.fields.get(f"{architecture}.context_length")
        return int(field.parts[-1][0]) if field is not None else None
    except Exception:  # noqa: BLE001 - an unreadable header is llama.cpp's to report when it loads the file
        return None


class LocalModel:
    """A GGUF model run in-process (one request at a time: a llama.cpp context is not shared across threads)."""

    transport = "local"
    concurrency = 1

    def __init__(self, path: str | Path, *, context: int = 8192, seed: int = 0, gpu_layers: int = -1,
                 threads: int | None = None):
        """context: tokens of prompt and answer, at most what the model was trained with (it is read from the file)."""
        self.path = Path(path).expanduser()
        if not self.path.is_file():
            raise LLMError("errors.llm.model_file_missing", path=str(self.path))
        try:
            import llama_cpp
        except ImportError:
            raise LLMError("errors.llm.not_installed") from None
        self._llama_cpp = llama_cpp
        self._options = {"n_ctx": min(int(context), trained_context(self.path) or int(context)), "seed": int(seed), "n_gpu_layers": int(gpu_layers),
                         "n_threads": threads, "verbose": False}
        try:
            self._chat_model = llama_cpp.Llama(model_path=str(self.path), **self._options)
        except (ValueError, RuntimeError) as error:
            raise LLMError("errors.llm.model_file_unreadable", path=str(self.path), reason=str(error)) from error
        self._embedder: Any = None
        self._lock = threading.Lock()
        self.model_name = str(self._chat_model.metadata.get("general.name") or self.path.stem)
        # a verified download's hash is recorded beside it: no need to read a gigabyte again
        self.model_id = f"gguf:{self.path.name}:{(recorded_sha256(self.path) or _file_digest(self.path))[:16]}"

    def __repr__(self) -> str:
        return f"LocalModel({str(self.path)!r})"

    def chat(self, messages: Sequence[dict[str, str]], *, schema: dict[str, Any] | None = None,
             max_tokens: int = 64) -> Answer:
        """The model's reply, held to `schema` by a grammar when given (temperature 0: the likeliest answer)."""
        fmt = {"type": "json_object", "schema": schema} if schema is not None else None
        started = time.perf_counter()
        with self._lock:
            try:
                reply = self._chat_model.create_chat_completion(messages=list(messages), response_format=fmt,
                                                                temperature=0.0, max_tokens=int(max_tokens))
            except ValueError as error:  # llama.cpp: "Requested tokens (n) exceed context window of m"
                if "context window" not in str(error):
                    raise
                raise LLMError("errors.llm.prompt_too_long", context=self._options["n_ctx"],
                               reason=str(error)) from error
        usage = reply.get("usage") or {}
        return Answer(str(reply["choices"][0]["message"].get("content") or ""), int(usage.get("prompt_tokens", 0)),
                      int(usage.get("completion_tokens", 0)), time.perf_counter() - started)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """One mean-pooled vector per text (llama.cpp's embedding mode, a second context on the same file)."""
        return self.embed_counted(texts)[0]

    def embed_counted(self, texts: Sequence[str]) -> tuple[np.ndarray, int]:
        """One mean-pooled vector per text and the tokens they took (a text longer than the context is cut to it,
        as an endpoint's embeddings are)."""
        with self._lock:
            if self._embedder is None:
                self._embedder = self._llama_cpp.Llama(
                    model_path=str(self.path), embedding=True,
                    pooling_type=self._llama_cpp.LLAMA_POOLING_TYPE_MEAN, **self._options)
            limit = self._embedder.n_ctx()
            vectors, tokens = [], 0
            for text in texts:
                ids = self._embedder.tokenize(str(text).encode("utf-8"))[:limit] or [self._embedder.token_bos()]
                tokens += len(ids)
                vectors.append(self._embedder.embed(self._embedder.detokenize(ids).decode("utf-8", "ignore")
                                                    if len(ids) == limit else str(text)))
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), -1), tokens


# The ways an endpoint may be held to the answer's schema, most precise first; the first it accepts is kept.
CONSTRAINTS = ("json_schema", "json_object", "none")


def _refuses_format(error: Exception) -> bool:
    """Whether an endpoint's error says it cannot take the request's response_format."""
    said = str(error).lower()
    return getattr(error, "status_code", 0) in (400, 422, 500) and any(
        word in said for word in ("response_format", "json_schema", "json_object"))


class Endpoint:
    """An OpenAI-compatible chat API at `base_url` serving `model`; up to `concurrency` requests at once."""

    transport = "endpoint"

    def __init__(self, base_url: str, model: str, *, api_key: str = "", timeout: float = 30.0, retries: int = 3,
                 concurrency: int = 4):
        try:
            import openai
        except ImportError:
            raise LLMError("errors.llm.not_installed") from None
        if not str(base_url).startswith(("http://", "https://")):
            raise LLMError("errors.llm.bad_setting", name="base URL", rule="an http:// or https:// address",
                           value=repr(base_url))
        if not str(model).strip():
            raise LLMError("errors.llm.bad_setting", name="model", rule="a model name the endpoint serves",
                           value="''")
        if int(concurrency) < 1:
            raise LLMError("errors.llm.bad_setting", name="concurrency", rule="1 or more", value=concurrency)
        self._openai = openai
        self.base_url = str(base_url).rstrip("/")
        self.model_name = str(model).strip()
        self.model_id = f"endpoint:{self.base_url}:{self.model_name}"
        self.timeout = float(timeout)
        self.retries = int(retries)
        self.concurrency = int(concurrency)
        # a local server accepts any key; the SDK refuses an empty one
        self._client = openai.OpenAI(base_url=self.base_url, api_key=api_key or "not-needed",
                                     timeout=self.timeout, max_retries=self.retries)
        self.constraint = CONSTRAINTS[0]
        self._confirmed = False  # no request has gone through yet
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"Endpoint({self.base_url!r}, {self.model_name!r})"  # never the key

    def _response_format(self, schema: dict[str, Any] | None) -> dict[str, Any] | None:
        if schema is None or self.constraint == "none":
            return None
        if self.constraint == "json_schema":
            return {"type": "json_schema", "json_schema": {"name": "answer", "schema": schema, "strict": True}}
        return {"type": "json_object", "schema": schema}

    def chat(self, messages: Sequence[dict[str, str]], *, schema: dict[str, Any] | None = None,
             max_tokens: int = 64) -> Answer:
        """The endpoint's reply at temperature 0, held to `schema` as far as the endpoint supports."""
        while True:
            started = time.perf_counter()
            used = self.constraint
            fmt = self._response_format(schema)
            # Until one request has gone through, ask without the SDK's retries: an endpoint that cannot hold an
            # answer to a schema one way says so at once (400, 422, or a 500 from a validation error) and the
            # next way is tried; any other first failure is asked again with retries.
            client = self._client if self._confirmed else self._client.with_options(max_retries=0)
            try:
                reply = client.chat.completions.create(
                    model=self.model_name, messages=list(messages), temperature=0, max_tokens=int(max_tokens),
                    **({"response_format": fmt} if fmt else {}))
            except self._openai.APIStatusError as error:
                if not self._confirmed and fmt is not None and _refuses_format(error):
                    with self._lock:  # concurrent first requests: step down once per refused way
                        if self.constraint == used:
                            self.constraint = CONSTRAINTS[CONSTRAINTS.index(used) + 1]
                    continue
                if not self._confirmed and not isinstance(error, (self._openai.AuthenticationError,
                                                                 self._openai.PermissionDeniedError,
                                                                 self._openai.NotFoundError)):
                    self._confirmed = True
                    continue
                raise self._error(error) from error
            except self._openai.OpenAIError as error:
                if not self._confirmed:
                    self._confirmed = True
                    continue
                raise self._error(error) from error
            self._confirmed = True
            usage = reply.usage
            return Answer(str(reply.choices[0].message.content or ""), int(getattr(usage, "prompt_tokens", 0) or 0),
                          int(getattr(usage, "completion_tokens", 0) or 0), time.perf_counter() - started)

    def check_reads_images(self) -> tuple[int, int]:
        """Whether the model reads images, asked once with a small picture and once without it: LLMError
        ("errors.llm.no_images") when the endpoint refuses the image, or when the image added no prompt tokens (a
        text-only model behind a server that drops image parts, as llama.cpp's does, would otherwise "classify"
        pictures it never saw). Returns the (prompt, answer) tokens the two requests took, to be paid for."""
        from core.llm.images import image_data_url

        board = (np.indices((8, 8)).sum(axis=0) % 2).astype(np.float32)  # a checkerboard, enlarged to 64 px
        question = {"type": "text", "text": "Reply with OK."}
        picture = {"type": "image_url", "image_url": {"url": image_data_url(board), "detail": "low"}}
        usage = []
        for content in ([question, picture], [question]):
            try:
                reply = self._client.chat.completions.create(
                    model=self.model_name, messages=[{"role": "user", "content": content}], temperature=0,
                    max_tokens=1)
            except self._openai.APIStatusError as error:
                if content[-1] is picture and error.status_code in (400, 415, 422, 500) and not isinstance(
                        error, self._openai.NotFoundError):
                    raise LLMError("errors.llm.no_images", model=self.model_name, base_url=self.base_url,
                                   reason=str(getattr(error, "message", "") or error)[:200]) from error
                raise self._error(error) from error
            except self._openai.OpenAIError as error:
                raise self._error(error) from error
            usage.append((int(getattr(reply.usage, "prompt_tokens", 0) or 0),
                          int(getattr(reply.usage, "completion_tokens", 0) or 0)))
        (with_image, out_1), (without, out_2) = usage
        if with_image and without and with_image <= without:  # no usage reported: nothing to go by, so trusted
            raise LLMError("errors.llm.no_images", model=self.model_name, base_url=self.base_url,
                           reason=f"the image added no prompt tokens ({with_image} with it, {without} without): "
                                  "the server dropped it")
        return with_image + without, out_1 + out_2

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """The endpoint's /v1/embeddings vectors, one per text."""
        return self.embed_counted(texts)[0]

    def embed_counted(self, texts: Sequence[str]) -> tuple[np.ndarray, int]:
        """The endpoint's /v1/embeddings vectors, one per text in order, and the prompt tokens it billed."""
        try:
            reply = self._client.embeddings.create(model=self.model_name, input=[str(t) for t in texts])
        except self._openai.OpenAIError as error:
            raise self._error(error) from error
        data = sorted(reply.data, key=lambda item: item.index)
        tokens = int(getattr(reply.usage, "prompt_tokens", 0) or 0) if reply.usage is not None else 0
        return np.asarray([item.embedding for item in data], dtype=np.float32), tokens

    def _error(self, error: Exception) -> LLMError:
        """What a failed call means for the person running it, after the SDK's own retries."""
        openai = self._openai
        status = getattr(error, "status_code", None)
        reason = str(getattr(error, "message", "") or error)[:200]
        if isinstance(error, (openai.AuthenticationError, openai.PermissionDeniedError)):
            return LLMError("errors.llm.bad_key", status=status)
        if isinstance(error, openai.APITimeoutError):
            return LLMError("errors.llm.timeout", seconds=f"{self.timeout:g}")
        if isinstance(error, openai.APIConnectionError):
            return LLMError("errors.llm.unreachable", base_url=self.base_url, reason=reason)
        if isinstance(error, openai.RateLimitError):
            return LLMError("errors.llm.rate_limited", retries=self.retries)
        if isinstance(error, openai.NotFoundError):
            return LLMError("errors.llm.unknown_model", model=self.model_name, reason=reason)
        return LLMError("errors.llm.server_error", status=status or "-", reason=reason)


def open_client(transport: str, model: str, *, base_url: str = "", api_key_env: str = "OPENAI_API_KEY",
                api_key: str | None = None, seed: int = 0, timeout: float = 30.0, retries: int = 3,
                concurrency: int = 4) -> LocalModel | Endpoint:
    """A local GGUF model or an endpoint's client, as a run's settings name it; the key read from the environment
    variable `api_key_env` unless given (the page may pass one from .streamlit/secrets.toml)."""
    if transport == "local":
        return LocalModel(model, seed=seed)
    key = api_key if api_key is not None else os.environ.get(api_key_env, "")
    return Endpoint(base_url, model, api_key=key, timeout=timeout, retries=retries, concurrency=concurrency)
