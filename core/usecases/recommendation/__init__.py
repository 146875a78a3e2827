"""Recommendation use case: predict ratings and rank movies (or products) for each user.

This module is the declaration (light: no TensorFlow). The package holds the rest: data (ratings and
the split), models, adapter, metrics (ranking) and recommend (scoring a catalogue, explanations, cold start).
"""

from core.contract.usecase import Candidate, DatasetSource, StrategyDefaults, UseCase

USE_CASE = UseCase(
    id="recommendation",
    title_key="usecases.recommendation.title",
    value_key="usecases.recommendation.value",
    task="rating",
    primary_metric="test_rmse",
    status="available",
    icon=":material/movie:",
    default_candidate="mf_side",
    baseline="popularity",
    datasets=(
        DatasetSource("movielens", "recommendation.datasets.movielens.title", "bundled",
                      "core.usecases.recommendation.data:load_movielens",
                      description_key="recommendation.datasets.movielens.description"),
        DatasetSource("movielens_1m", "recommendation.datasets.movielens_1m.title", "online",
                      "core.usecases.recommendation.data:load_movielens_1m_online",
                      description_key="recommendation.datasets.movielens_1m.description",
                      available="core.usecases.recommendation.data:movielens_1m_available"),
        DatasetSource("upload_csv", "recommendation.datasets.upload_csv.title", "uploaded",
                      "core.usecases.recommendation.data:load_ratings_csv",
                      description_key="recommendation.datasets.upload_csv.description"),
    ),
    candidates=(
        Candidate("popularity", "recommendation.models.popularity.name",
                  "recommendation.models.popularity.description", "sklearn",
                  "core.usecases.recommendation.models:build_popularity", default_epochs=1),
        Candidate("bias", "recommendation.models.bias.name", "recommendation.models.bias.description", "sklearn",
                  "core.usecases.recommendation.models:build_bias_baseline", hparams={"user_reg": 3.0, "item_reg": 3.0},
                  default_epochs=1),
        Candidate("mf", "recommendation.models.mf.name", "recommendation.models.mf.description", "keras",
                  "core.usecases.recommendation.models:build_matrix_factorization",
                  hparams={"embedding_dim": 128, "l2": 0.06, "bias_l2": 0.01, "init_std": 0.01, "dropout": 0.5},
                  default_epochs=15, default_batch_size=1024, default_learning_rate=2e-3),
        Candidate("mf_side", "recommendation.models.mf_side.name", "recommendation.models.mf_side.description",
                  "keras", "core.usecases.recommendation.models:build_matrix_factorization",
                  hparams={"embedding_dim": 128, "l2": 0.08, "bias_l2": 0.01, "init_std": 0.01, "dropout": 0.4,
                           "item_features": "genres_year"},
                  default_epochs=15, default_batch_size=1024, default_learning_rate=2e-3),
        Candidate("ncf", "recommendation.models.ncf.name", "recommendation.models.ncf.description", "keras",
                  "core.usecases.recommendation.models:build_ncf", default_epochs=5, default_batch_size=1024,
                  default_learning_rate=1e-3),
        Candidate("two_tower", "recommendation.models.two_tower.name",
                  "recommendation.models.two_tower.description", "keras",
                  "core.usecases.recommendation.models:build_two_tower", default_epochs=3, default_batch_size=1024,
                  default_learning_rate=1e-3),
    ),
    adapter="core.usecases.recommendation.adapter:ADAPTER",
    payoff="recommendation",
    unit_key="run_names.rows.recommendation",
    strategy=StrategyDefaults(
        scores={"value": 5, "feasibility": 3, "data": 4, "compute": 3},
        risks={"privacy": 4, "explainability": 2, "fairness": 3, "security": 2},
        rows=1000000, quality=4, requests_per_day=200000, retrains_per_year=12,
        # A hit (the user takes an item from the top 10) is worth 0.80 of margin.
        payoff={"sessions_per_year": 5000000, "value_per_hit": 0.8},
    ),
)
