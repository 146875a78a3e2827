"""Finance use case: credit risk (good/bad applicants) on bundled, online or uploaded tables.

This module is the declaration (light: no TensorFlow). The package holds the rest: data (tables and
the fixed split), profile, models, adapter and the credit-risk evaluation: metrics (curves, KS,
calibration, cost-optimal thresholds), explain and fairness.
"""

from core.contract.usecase import Candidate, DatasetSource, StrategyDefaults, UseCase

USE_CASE = UseCase(
    id="finance",
    title_key="usecases.finance.title",
    value_key="usecases.finance.value",
    task="binary",
    primary_metric="test_roc_auc",
    status="available",
    icon=":material/account_balance:",
    default_candidate="scorecard",
    baseline="scorecard",
    adapter="core.usecases.finance.adapter:ADAPTER",
    payoff="credit",
    unit_key="run_names.rows.finance",
    strategy=StrategyDefaults(
        scores={"value": 5, "feasibility": 3, "data": 3, "compute": 4},
        risks={"privacy": 5, "explainability": 5, "fairness": 5, "security": 4},
        rows=30000, quality=3, requests_per_day=5000, retrains_per_year=4,
        # A defaulted loan loses 5,000; a good applicant turned away loses 800 of margin.
        payoff={"cost_bad_approved": 5000, "margin_good_rejected": 800, "applications_per_year": 20000},
    ),
    datasets=(
        DatasetSource("credit_data", "finance.datasets.credit_data.title", "bundled",
                      "core.usecases.finance.data:load_credit_data",
                      description_key="finance.datasets.credit_data.description"),
        DatasetSource("lending_club", "finance.datasets.lending_club.title", "bundled",
                      "core.usecases.finance.data:load_lending_club",
                      description_key="finance.datasets.lending_club.description"),
        DatasetSource("uci_default", "finance.datasets.uci_default.title", "online",
                      "core.usecases.finance.data:load_uci_default",
                      description_key="finance.datasets.uci_default.description",
                      available="core.usecases.finance.data:uci_default_available"),
        DatasetSource("upload_csv", "finance.datasets.upload_csv.title", "uploaded",
                      "core.usecases.finance.data:load_csv_table",
                      description_key="finance.datasets.upload_csv.description"),
    ),
    candidates=(
        Candidate("scorecard", "finance.models.scorecard.name", "finance.models.scorecard.description", "sklearn",
                  "core.usecases.finance.models:build_scorecard", default_epochs=1),
        Candidate("gbm", "finance.models.gbm.name", "finance.models.gbm.description", "sklearn",
                  "core.usecases.finance.models:build_gradient_boosting", default_epochs=1),
        Candidate("mlp", "finance.models.mlp.name", "finance.models.mlp.description", "keras",
                  "core.usecases.finance.models:build_mlp", default_epochs=40, default_batch_size=64,
                  default_learning_rate=1e-3),
        Candidate("wide_deep", "finance.models.wide_deep.name", "finance.models.wide_deep.description", "keras",
                  "core.usecases.finance.models:build_wide_and_deep", default_epochs=40, default_batch_size=64,
                  default_learning_rate=1e-3),
    ),
)
