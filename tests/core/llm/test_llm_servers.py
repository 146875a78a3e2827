"""The LLM test servers are real and can fail: llama-cpp-python's OpenAI-compatible server answers the official
`openai` SDK with schema-constrained JSON, token usage and embeddings; the scripted fault server's rate limit,
wrong key and hang reach the SDK as OpenAI's own would (tests/llm_servers.py, fixtures in tests/conftest.py)."""

from __future__ import annotations

import json
import time

import pytest
from llm_servers import FaultServer, Reply, require

openai = require("openai")

LABELS = ["positive", "negative", "neutral"]
SCHEMA = {"type": "object", "properties": {"label": {"type": "string", "enum": LABELS}}, "required": ["label"]}
MESSAGES = [{"role": "system", "content": "Answer with the sentiment label as JSON."},
            {"role": "user", "content": "The delivery was quick and the product works. 很好"}]


def client(base_url: str, **options):
    return openai.OpenAI(base_url=base_url, api_key="test-key", **{"max_retries": 0, **options})


def test_llama_server_answers_schema_constrained_json_with_usage(llama_server):
    answer = client(llama_server.base_url, timeout=30).chat.completions.create(
        model=llama_server.model, messages=MESSAGES, max_tokens=32, temperature=0,
        response_format={"type": "json_object", "schema": SCHEMA})

    assert json.loads(answer.choices[0].message.content)["label"] in LABELS  # random weights: only the grammar holds
    assert answer.model == "tiny"
    assert answer.usage.prompt_tokens > 0 and answer.usage.completion_tokens > 0
    assert answer.usage.total_tokens == answer.usage.prompt_tokens + answer.usage.completion_tokens


def test_llama_server_serves_models_and_one_embedding_per_text(llama_server):
    api = client(llama_server.base_url, timeout=30)
    assert [model.id for model in api.models.list().data] == ["tiny"]

    result = api.embeddings.create(model=llama_server.model, input=["first text", "第二段文字"])

    vectors = [item.embedding for item in result.data]
    assert len(vectors) == 2 and all(len(vector) == 64 for vector in vectors)  # mean-pooled: the model's width
    assert all(isinstance(number, float) for number in vectors[0]) and vectors[0] != vectors[1]
    assert result.usage.prompt_tokens > 0


def test_llama_server_fails_clearly_when_it_cannot_start(tmp_path):
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(b"not a gguf file")

    with pytest.raises(RuntimeError, match=r"did not answer GET .*/models[\s\S]*last lines of"):
        from llm_servers import LlamaServer

        LlamaServer(broken, tmp_path / "log", timeout_s=30)


def test_rate_limit_then_answer_is_one_success_after_one_retry(fault_server):
    fault_server.script([429, 200], content='{"label": "negative"}')

    answer = client(fault_server.base_url, max_retries=1, timeout=5).chat.completions.create(
        model="any-model", messages=MESSAGES, response_format={"type": "json_object"})

    assert json.loads(answer.choices[0].message.content) == {"label": "negative"}
    assert (answer.usage.prompt_tokens, answer.usage.completion_tokens) == (12, 5)
    assert [request.path for request in fault_server.requests] == ["/v1/chat/completions"] * 2
    assert fault_server.pending == 0
    first = fault_server.requests[0]
    assert first.headers["authorization"] == "Bearer test-key"
    assert first.body["model"] == "any-model" and first.body["messages"] == MESSAGES


def test_rate_limit_without_retries_raises(fault_server):
    fault_server.script([429])

    with pytest.raises(openai.RateLimitError) as raised:
        client(fault_server.base_url).chat.completions.create(model="m", messages=MESSAGES)

    assert raised.value.status_code == 429 and raised.value.response.headers["retry-after"] == "0"
    assert len(fault_server.requests) == 1


def test_wrong_key_raises_authentication_error_with_openai_error_shape(fault_server):
    fault_server.script([401])

    with pytest.raises(openai.AuthenticationError) as raised:
        client(fault_server.base_url, max_retries=2).chat.completions.create(model="m", messages=MESSAGES)

    assert raised.value.code == "invalid_api_key" and "Incorrect API key" in raised.value.message
    assert len(fault_server.requests) == 1  # a 401 is not retried


def test_server_error_raises_internal_server_error(fault_server):
    fault_server.script([500])

    with pytest.raises(openai.InternalServerError):
        client(fault_server.base_url).chat.completions.create(model="m", messages=MESSAGES)


def test_hang_raises_timeout_within_the_client_timeout(fault_server):
    fault_server.script(["timeout"])
    started = time.monotonic()

    with pytest.raises(openai.APITimeoutError):
        client(fault_server.base_url, timeout=0.5).chat.completions.create(model="m", messages=MESSAGES)

    assert time.monotonic() - started < fault_server.hang_s
    assert len(fault_server.requests) == 1


def test_embeddings_and_custom_replies(fault_server):
    fault_server.script([Reply(content='{"label": "neutral"}', prompt_tokens=3, completion_tokens=1), 200])
    api = client(fault_server.base_url)

    answer = api.chat.completions.create(model="m", messages=MESSAGES)
    result = api.embeddings.create(model="embedder", input=["a", "b"])  # the SDK asks for base64 by default

    assert answer.choices[0].message.content == '{"label": "neutral"}' and answer.usage.total_tokens == 4
    assert [len(item.embedding) for item in result.data] == [8, 8]
    assert result.data[0].embedding != result.data[1].embedding
    assert fault_server.requests[1].body["input"] == ["a", "b"]


def test_fault_server_stops_and_rejects_unknown_steps():
    server = FaultServer()
    with pytest.raises(ValueError, match="HTTP status"):
        server.script(["slow"])
    server.script(["timeout"])
    server.stop()  # wakes nothing pending, closes the socket

    with pytest.raises(openai.APIConnectionError):
        client(server.base_url, timeout=2).chat.completions.create(model="m", messages=MESSAGES)
