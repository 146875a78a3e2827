"""A large language model as a feature extractor: each text's embedding (llama.cpp's embedding mode on a GGUF file,
or an endpoint's /v1/embeddings), then a logistic regression trained on the training split's embeddings, as the
WordLlama candidate trains a head on distilled embeddings.

scikit-learn's shape: parameters stored as given, checked in `fit`; learned attributes end in `_`. Embedding is the
long part and may cost money, so it reports progress text by text, stops when cancelled, stops before the money
spent would pass the budget, and caches every vector by (model, text): a re-evaluation is free and says so. The
API key is never a parameter (`api_key_env` names where it is).
"""

from __future__ import annotations

import dataclasses
import threading
import time
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from core.errors import Cancelled
from core.llm.cache import EmbeddingCache, text_key
from core.llm.classifier import TRANSPORTS, Scores, money
from core.llm.clients import LLMError, open_client
from core.llm.pricing import Prices

BATCH = 16  # texts per embedding request (progress, cancel and the budget are checked between batches)


class LLMEmbeddingClassifier:
    """LLM embeddings + logistic regression: `fit` embeds the training texts and trains the head on them."""

    inputs = "text"
    k = 0  # no examples in any prompt: it is not prompted

    def __init__(self, *, transport: str = "local", model: str = "", base_url: str = "", language: str = "en",
                 C: float = 1.0, prices: Prices = Prices(), budget: float | None = None, timeout: float = 30.0,
                 retries: int = 3, api_key_env: str = "OPENAI_API_KEY", cache_dir: str | None = None,
                 test_sample: int | None = None, random_state: int = 0):
        self.transport = transport
        self.model = model
        self.base_url = base_url
        self.language = language
        self.C = C
        self.prices = prices
        self.budget = budget
        self.timeout = timeout
        self.retries = retries
        self.api_key_env = api_key_env
        self.cache_dir = cache_dir
        self.test_sample = test_sample
        self.random_state = random_state

    PARAMS = ("transport", "model", "base_url", "language", "C", "prices", "budget", "timeout", "retries",
              "api_key_env", "cache_dir", "test_sample", "random_state")

    def get_params(self, deep: bool = False) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.PARAMS}

    # ---- the model ------------------------------------------------------------------------------------------------

    def open(self, *, api_key: str | None = None) -> Any:
        """Open the model once (the GGUF file loaded, or the endpoint's client made) and keep it."""
        client = getattr(self, "client_", None)
        if client is None:  # embeddings go in batches, one request at a time
            client = open_client(self.transport, self.model, base_url=self.base_url, api_key_env=self.api_key_env,
                                 api_key=api_key, seed=self.random_state, timeout=self.timeout, retries=self.retries,
                                 concurrency=1)
            self.client_ = client
        return client

    def embed(self, texts: Sequence[str], *, on_item: Callable[[int, int, Scores], None] | None = None,
              cancel_event: threading.Event | None = None, scores: Scores | None = None) -> tuple[np.ndarray, Scores]:
        """Each text's vector, in order, from the cache or the model in batches; `scores` (tokens, seconds, cached per
        text, money spent) carried on when given, so one budget covers training and test texts. Stops before a batch
        whose worst case (one token per UTF-8 byte) would pass the budget (LLMError budget_exceeded), and between
        batches once cancel_event is set (Cancelled)."""
        client = self.open()
        scores = scores if scores is not None else Scores()
        cache = EmbeddingCache(Path(self.cache_dir) / "llm-answers.sqlite") if self.cache_dir else None
        texts = [str(text) for text in texts]
        keys = [text_key(client.model_id, text) for text in texts]
        held = cache.get_many(keys) if cache is not None else {}
        vectors: list[np.ndarray | None] = [None] * len(texts)
        done = 0
        for start in range(0, len(texts), BATCH):
            if cancel_event is not None and cancel_event.is_set():
                raise Cancelled()
            batch = range(start, min(start + BATCH, len(texts)))
            fresh = [i for i in batch if keys[i] not in held]
            for i in batch:
                if keys[i] in held:
                    vectors[i] = held[keys[i]][0]
            if fresh:
                worst = self.prices.cost(sum(len(texts[i].encode("utf-8")) for i in fresh), 0)
                if self.budget is not None and scores.spent + worst > self.budget + 1e-12:
                    raise LLMError("errors.llm.budget_exceeded", budget=money(self.budget), items=done,
                                   total=len(texts), spent=money(scores.spent))
                started = time.perf_counter()
                found, tokens = client.embed_counted([texts[i] for i in fresh])
                seconds = time.perf_counter() - started
                lengths = np.array([max(len(texts[i].encode("utf-8")), 1) for i in fresh], dtype=np.float64)
                shares = np.floor(tokens * lengths / lengths.sum()).astype(int)  # the batch's tokens, by length
                shares[: tokens - int(shares.sum())] += 1
                for i, vector, share in zip(fresh, found, shares):
                    vectors[i] = vector
                    held[keys[i]] = (vector, int(share))
                if cache is not None:
                    cache.put_many([(keys[i], vectors[i], held[keys[i]][1]) for i in fresh])
                scores.spent += self.prices.cost(tokens, 0)
            for i in batch:
                hit = i not in fresh
                scores.tokens_in.append(held[keys[i]][1])
                scores.tokens_out.append(0)
                scores.seconds.append(0.0 if hit else seconds / len(fresh))
                scores.cached.append(hit)
            done = batch.stop
            if on_item is not None:
                on_item(done, len(texts), scores)
        matrix = np.vstack(vectors) if vectors else np.zeros((0, 0), dtype=np.float32)
        return matrix.astype(np.float32), scores

    # ---- fit / predict --------------------------------------------------------------------------------------------

    def fit(self, texts: Sequence[str], y: Sequence[int], *, labels: Sequence[str] | None = None,
            also: Sequence[str] = ()) -> "LLMEmbeddingClassifier":
        """Embed the training texts and train the head (standardised features, logistic regression) on them.
        `also`: texts embedded now with them (the validation split), so their cost counts in the fit's spending and
        predicting them later is free (the vector cache); the head never sees them."""
        if self.transport not in TRANSPORTS:
            raise LLMError("errors.llm.bad_setting", name="transport", rule=" or ".join(TRANSPORTS),
                           value=repr(self.transport))
        if not isinstance(self.C, (int, float)) or isinstance(self.C, bool) or not self.C > 0:
            raise LLMError("errors.llm.bad_setting", name="C", rule="a number above 0", value=self.C)
        if self.budget is not None and not self.budget >= 0:
            raise LLMError("errors.llm.bad_setting", name="budget", rule="0 or more", value=self.budget)
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        y = np.asarray(y).reshape(-1)
        self.classes_ = [str(label) for label in (labels if labels is not None else np.unique(y))]
        texts, also = [str(text) for text in texts], [str(text) for text in also]
        features, scores = self.embed(texts + also, on_item=getattr(self, "on_item", None),
                                      cancel_event=getattr(self, "cancel_event", None))
        features = features[:len(texts)]
        self.train_summary_ = {"train_texts": len(texts), "validation_texts": len(also),
                               "train_tokens": int(sum(scores.tokens_in)), "train_cached": int(sum(scores.cached)),
                               "train_spent": float(scores.spent)}
        self.head_ = make_pipeline(StandardScaler(), LogisticRegression(C=float(self.C), max_iter=2000,
                                                                        random_state=self.random_state))
        self.head_.fit(features, y)
        self.dimensions_ = int(features.shape[1])
        return self

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Class probabilities of these texts: their embeddings through the trained head (the budget left after
        training covers them)."""
        spent = float(getattr(self, "train_summary_", {}).get("train_spent", 0.0))
        scores = Scores(spent=spent)
        features, scores = self.embed(texts, on_item=getattr(self, "on_item", None),
                                      cancel_event=getattr(self, "cancel_event", None), scores=scores)
        scores.spent -= spent  # what scoring these texts cost
        self.last_scores_ = scores
        probabilities = np.zeros((len(texts), len(self.classes_)), dtype=np.float64)
        if len(texts):
            probabilities[:, [int(c) for c in self.head_.classes_]] = self.head_.predict_proba(features)
        return probabilities

    def prompt_text(self, item: Any) -> str:
        """No prompt: the text itself is embedded."""
        return ""

    # ---- saving -------------------------------------------------------------------------------------------------

    def to_spec(self) -> dict[str, Any]:
        """The settings and the trained head as JSON (never a key, never the client or a vector)."""
        params = {**self.get_params(), "prices": dataclasses.asdict(self.prices)}
        scaler, regression = self.head_.steps[0][1], self.head_.steps[1][1]
        return {"kind": "llm_embedding", "params": params,
                "fitted": {"classes_": self.classes_, "dimensions_": self.dimensions_,
                           "train_summary_": self.train_summary_,
                           "mean": scaler.mean_.tolist(), "scale": scaler.scale_.tolist(),
                           "coef": regression.coef_.tolist(), "intercept": regression.intercept_.tolist(),
                           "head_classes": [int(c) for c in regression.classes_]}}

    @classmethod
    def from_spec(cls, spec: dict[str, Any]) -> "LLMEmbeddingClassifier":
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        params = dict(spec["params"])
        params["prices"] = Prices(**params.get("prices") or {})
        model = cls(**params)
        fitted = spec["fitted"]
        scaler = StandardScaler()
        scaler.mean_ = np.asarray(fitted["mean"], dtype=np.float64)
        scaler.scale_ = np.asarray(fitted["scale"], dtype=np.float64)
        scaler.var_ = scaler.scale_ ** 2
        scaler.n_features_in_ = len(scaler.mean_)
        regression = LogisticRegression(C=float(model.C))
        regression.coef_ = np.asarray(fitted["coef"], dtype=np.float64)
        regression.intercept_ = np.asarray(fitted["intercept"], dtype=np.float64)
        regression.classes_ = np.asarray(fitted["head_classes"])
        regression.n_features_in_ = scaler.n_features_in_
        model.head_ = make_pipeline(scaler, regression)
        model.classes_ = list(fitted["classes_"])
        model.dimensions_ = int(fitted["dimensions_"])
        model.train_summary_ = dict(fitted.get("train_summary_") or {})
        return model


def embedding_classifier_from_settings(*, language: str = "en", transport: str = "local", model: str = "",
                                       base_url: str = "", C: float = 1.0, prices_in: float = 0.0,
                                       budget: float | None = None, timeout: float = 30.0,
                                       api_key_env: str = "OPENAI_API_KEY", test_sample: int | None = None,
                                       random_state: int = 0, **unknown: Any) -> LLMEmbeddingClassifier:
    """An unfitted LLMEmbeddingClassifier from a run's settings as the form gives them; vectors are cached under
    the data dir."""
    from core.config import get_settings

    if unknown:
        raise ValueError(f"Unknown LLM embedding settings {sorted(unknown)}; see "
                         "core.llm.embedding.embedding_classifier_from_settings.")
    return LLMEmbeddingClassifier(
        transport=transport, model=str(model), base_url=str(base_url), language=language, C=float(C),
        prices=Prices(float(prices_in), 0.0), budget=None if budget in (None, "") else float(budget),
        timeout=float(timeout), api_key_env=str(api_key_env), cache_dir=str(get_settings().cache_dir),
        test_sample=None if test_sample in (None, "", 0) else int(test_sample), random_state=int(random_state))
