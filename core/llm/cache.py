"""Answers already paid for, kept on disk by (model, request): asking the same model the same thing again is free
and says so. One SQLite file under the data dir's cache folder, safe across threads and processes."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from pathlib import Path
from typing import Any

from core.llm.clients import Answer


def request_key(model_id: str, messages: Any, schema: Any) -> str:
    """A stable key for a model and an exact request (the messages and the answer's schema)."""
    body = json.dumps([model_id, messages, schema], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


class ResponseCache:
    """get/put Answers by request_key; `hits` counts answers served from disk since this object was made."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self.hits = 0
        with self._connect() as connection:
            connection.execute("CREATE TABLE IF NOT EXISTS answers (key TEXT PRIMARY KEY, content TEXT NOT NULL, "
                               "tokens_in INTEGER NOT NULL, tokens_out INTEGER NOT NULL, seconds REAL NOT NULL)")

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=30)

    def get(self, key: str) -> Answer | None:
        with self._lock, self._connect() as connection:
            row = connection.execute("SELECT content, tokens_in, tokens_out, seconds FROM answers WHERE key = ?",
                                     (key,)).fetchone()
        if row is None:
            return None
        with self._lock:
            self.hits += 1
        return Answer(row[0], int(row[1]), int(row[2]), float(row[3]), cached=True)

    def put(self, key: str, answer: Answer) -> None:
        with self._lock, self._connect() as connection:
            connection.execute("INSERT OR REPLACE INTO answers VALUES (?, ?, ?, ?, ?)",
                               (key, answer.content, int(answer.tokens_in), int(answer.tokens_out),
                                float(answer.seconds)))


def text_key(model_id: str, text: str) -> str:
    """A stable key for a model and one text to embed."""
    return hashlib.sha256(json.dumps([model_id, "embed", str(text)], ensure_ascii=False).encode("utf-8")).hexdigest()


class EmbeddingCache:
    """get/put (vector, tokens) by text_key, beside the answers: a text embedded once by a model is free after."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        with self._connect() as connection:
            connection.execute("CREATE TABLE IF NOT EXISTS embeddings (key TEXT PRIMARY KEY, vector BLOB NOT NULL, "
                               "tokens INTEGER NOT NULL)")

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=30)

    def get_many(self, keys: list[str]) -> dict[str, tuple[Any, int]]:
        """{key: (float32 vector, tokens)} of the keys held."""
        import numpy as np

        found: dict[str, tuple[Any, int]] = {}
        with self._lock, self._connect() as connection:
            for start in range(0, len(keys), 500):
                part = keys[start:start + 500]
                rows = connection.execute(f"SELECT key, vector, tokens FROM embeddings WHERE key IN "
                                          f"({','.join('?' * len(part))})", part).fetchall()
                for key, blob, tokens in rows:
                    found[key] = (np.frombuffer(blob, dtype=np.float32), int(tokens))
        return found

    def put_many(self, items: list[tuple[str, Any, int]]) -> None:
        import numpy as np

        with self._lock, self._connect() as connection:
            connection.executemany("INSERT OR REPLACE INTO embeddings VALUES (?, ?, ?)",
                                   [(key, np.asarray(vector, dtype=np.float32).tobytes(), int(tokens))
                                    for key, vector, tokens in items])
