"""NLP use case: review sentiment (English or Chinese) or any labelled texts from a CSV.

This module is the declaration (light: no TensorFlow). The package holds the rest: data, online
(IMDB), tokenise, models, wordllama, baseline (TF-IDF), adapter, serving and explain (occlusion, attention).
"""

from core.contract.usecase import Candidate, DatasetSource, FineTune, StrategyDefaults, UseCase

USE_CASE = UseCase(
    id="nlp",
    title_key="usecases.nlp.title",
    value_key="usecases.nlp.value",
    task="multiclass",
    primary_metric="test_accuracy",
    status="available",
    icon=":material/forum:",
    default_candidate="fasttext",
    baseline="tfidf_logreg",
    datasets=(
        DatasetSource("en_reviews", "nlp.datasets.en_reviews.title", "bundled",
                      "core.usecases.nlp.data:load_english_reviews",
                      description_key="nlp.datasets.en_reviews.description"),
        DatasetSource("zh_reviews", "nlp.datasets.zh_reviews.title", "bundled",
                      "core.usecases.nlp.data:load_chinese_reviews",
                      description_key="nlp.datasets.zh_reviews.description"),
        DatasetSource("imdb_online", "nlp.datasets.imdb_online.title", "online",
                      "core.usecases.nlp.online:load_imdb_online",
                      description_key="nlp.datasets.imdb_online.description",
                      available="core.usecases.nlp.online:imdb_online_available"),
        DatasetSource("upload_csv", "nlp.datasets.upload_csv.title", "uploaded",
                      "core.usecases.nlp.data:load_text_csv", description_key="nlp.datasets.upload_csv.description"),
    ),
    candidates=(
        Candidate("tfidf_logreg", "nlp.models.tfidf_logreg.name", "nlp.models.tfidf_logreg.description", "sklearn",
                  "core.usecases.nlp.baseline:build_tfidf_logreg", default_epochs=1),
        Candidate("fasttext", "nlp.models.fasttext.name", "nlp.models.fasttext.description", "keras",
                  "core.usecases.nlp.models:fasttext_on_texts", hparams={"ngrams": 2, "dropout": 0.5},
                  default_epochs=8, default_batch_size=32, default_learning_rate=3e-3),
        Candidate("cnn", "nlp.models.cnn.name", "nlp.models.cnn.description", "keras",
                  "core.usecases.nlp.models:cnn_on_texts", default_epochs=4, default_batch_size=64),
        Candidate("bigru", "nlp.models.bigru.name", "nlp.models.bigru.description", "keras",
                  "core.usecases.nlp.models:bigru_on_texts", default_epochs=3, default_batch_size=64),
        Candidate("transformer", "nlp.models.transformer.name", "nlp.models.transformer.description", "keras",
                  "core.usecases.nlp.models:transformer_on_texts", default_epochs=4, default_batch_size=64),
        # Pretrained: embeddings distilled from Llama-2-class LLMs, shipped in the wordllama wheel (offline).
        Candidate("wordllama", "pretrained.models.wordllama.name", "pretrained.models.wordllama.description",
                  "keras", "core.usecases.nlp.wordllama:wordllama_on_texts", default_epochs=8, default_batch_size=32,
                  default_learning_rate=3e-3, pretrained="wordllama",
                  fine_tune=FineTune(layer="token_embedding", head_fraction=0.5, learning_rate_factor=0.1)),
        # Large language models, asked rather than trained (core.llm): a GGUF file run here, or any
        # OpenAI-compatible endpoint; the run's model, k, prompt and prices come with the run (candidate_params).
        Candidate("llm_local", "nlp.models.llm_local.name", "nlp.models.llm_local.description", "llm",
                  "core.usecases.nlp.llm:build_llm_classifier", hparams={"transport": "local"}, default_epochs=1),
        Candidate("llm_endpoint", "nlp.models.llm_endpoint.name", "nlp.models.llm_endpoint.description", "llm",
                  "core.usecases.nlp.llm:build_llm_classifier", hparams={"transport": "endpoint"}, default_epochs=1),
        # The same models as feature extractors: each text's embedding, a logistic regression trained on the
        # training split's vectors (as WordLlama's head is).
        Candidate("llm_embed_local", "nlp.models.llm_embed_local.name", "nlp.models.llm_embed_local.description",
                  "llm_embed", "core.usecases.nlp.llm:build_llm_embedding_classifier", hparams={"transport": "local"},
                  default_epochs=1, pretrained="llm_embeddings"),
        Candidate("llm_embed_endpoint", "nlp.models.llm_embed_endpoint.name",
                  "nlp.models.llm_embed_endpoint.description", "llm_embed",
                  "core.usecases.nlp.llm:build_llm_embedding_classifier", hparams={"transport": "endpoint"},
                  default_epochs=1, pretrained="llm_embeddings"),
    ),
    adapter="core.usecases.nlp.adapter:ADAPTER",
    unit_key="run_names.rows.nlp",
    strategy=StrategyDefaults(
        scores={"value": 4, "feasibility": 4, "data": 3, "compute": 3},
        risks={"privacy": 4, "explainability": 3, "fairness": 3, "security": 2},
        rows=100000, quality=3, requests_per_day=50000, retrains_per_year=6,
        # Routing reviews or tickets: 1.00 by hand; a wrong automatic routing costs 10.00 to put right.
        payoff={"manual_cost": 1.0, "error_cost": 10.0, "items_per_year": 500000, "target_precision": 0.95},
    ),
)
