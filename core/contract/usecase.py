"""The use-case contract. Importing it (and the registry) never imports TensorFlow.

Builders and loaders are named as "module:function" strings and resolved on demand, so the
Home and Strategy pages can list use cases without paying TensorFlow's import cost.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping


def resolve(target: str) -> Callable[..., Any]:
    """Import "package.module:attribute" and return the attribute."""
    module_name, _, attribute = target.partition(":")
    return getattr(importlib.import_module(module_name), attribute)


@dataclass(frozen=True)
class DatasetSource:
    """One way to get a dataset for a use case.

    loader: "module:function" called with keyword arguments (seed=..., plus source-specific
    ones) returning a core.data.Dataset. available: "module:function" returning
    (bool, reason_key) without heavy imports, e.g. whether a Debian data package is installed.
    """

    id: str
    title_key: str
    kind: str  # bundled | online | uploaded
    loader: str
    description_key: str = ""
    available: str | None = None

    def load(self, **kwargs: Any):
        return resolve(self.loader)(**kwargs)

    def is_available(self) -> tuple[bool, str]:
        if self.available is None:
            return True, ""
        return resolve(self.available)()


@dataclass(frozen=True)
class FineTune:
    """A two-stage fine-tune run as one job: train the new head with `layer` frozen, then unfreeze its top.

    Stage 1 lasts `head_fraction` of the epochs at the chosen learning rate; stage 2 unfreezes
    `layer` (a nested backbone: its sub-layers from the first one named `unfreeze_from...` on,
    batch normalisation kept frozen; empty: all of it) at learning_rate * `learning_rate_factor`.
    """

    layer: str
    unfreeze_from: str = ""
    head_fraction: float = 0.5
    learning_rate_factor: float = 0.1


#: Model kinds reached through a model a person names: "llm" (asked for an answer), "llm_embed" (its embeddings
#: feed a trained head).
ASKED_KINDS = ("llm", "llm_embed")


@dataclass(frozen=True)
class Candidate:
    """A model a use case can train: a Keras network, a scikit-learn baseline, or any registered backend's model.

    kind: the backend that builds and fits it (core.training.fitters: "keras", "sklearn"). builder:
    "module:function", called by that backend's fitter with the facts the task adapter offers that the function
    names as parameters (image classification: input_shape, num_classes; texts: texts, language...; see
    TaskInputs.builder_args), the backend's own (scikit-learn: random_state; Keras: weights_path for a
    pretrained candidate) and its hparams.
    """

    id: str
    name_key: str
    description_key: str
    kind: str  # the backend: keras | sklearn
    builder: str
    hparams: dict[str, Any] = field(default_factory=dict)
    default_epochs: int = 10
    default_batch_size: int = 64
    default_learning_rate: float = 1e-3
    # Pretrained candidates: where the starting weights come from ("imagenet", "wordllama"), the
    # core.models.weights key of a one-time download ("" when nothing is downloaded) and the fine-tune plan.
    pretrained: str = ""
    weights: str = ""
    fine_tune: FineTune | None = None

    @property
    def asks_a_model(self) -> bool:
        """Whether it is reached through a model a person names (an LLM asked, or its embeddings): it needs that
        model's settings (file or endpoint, prices) and may cost money per call, so nothing runs it unasked."""
        return self.kind in ASKED_KINDS

    @property
    def starting_point(self) -> str:
        """Where its weights start: "pretrained", "scratch" (a network from random weights), "baseline" (one-pass
        scikit-learn) or "llm" (a large language model asked, not trained); the one place a candidate's kind is read
        as its role in comparisons."""
        if self.kind == "llm":
            return "llm"
        if self.pretrained:
            return "pretrained"
        return "scratch" if self.kind == "keras" else "baseline"

    def build(self, *args: Any, **overrides: Any):
        return resolve(self.builder)(*args, **{**self.hparams, **overrides})


#: Capabilities a use case may declare; pages offer a view only to the use cases that declare it.
TRACE = "trace"  # Model trace: one test sample through a Keras run, layer by layer (images: feature maps, saliency)
EXPORT_TFLITE = "export_tflite"  # Model selection: SavedModel / TFLite export measured on the test split
CAPABILITIES = frozenset({TRACE, EXPORT_TFLITE})

#: Payoff kinds (core.business.payoff picks its formula by kind); "" is a use case without a payoff formula.
PAYOFF_KINDS = ("credit", "classification", "recommendation", "")


@dataclass(frozen=True)
class StrategyDefaults:
    """Where the Strategy planner starts for a use case: 1-5 scores (5: best) and risks (5: riskiest), the data a
    company holds, its load, and the payoff's numbers (field: value over core.business.payoff.Payoff's defaults).

    The defaults are neutral (3 everywhere, 10,000 labelled rows): an executive edits them on the page, and
    measured runs replace feasibility, compute and (through the payoff) value.
    """

    scores: Mapping[str, int] = field(default_factory=lambda: {"value": 3, "feasibility": 3, "data": 3, "compute": 3})
    risks: Mapping[str, int] = field(
        default_factory=lambda: {"privacy": 3, "explainability": 3, "fairness": 3, "security": 3})
    rows: int = 10000
    labelled: bool = True
    quality: int = 3
    requests_per_day: float = 1000.0
    retrains_per_year: float = 4.0
    payoff: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class UseCase:
    """Everything the lab, runs, selection and strategy pages need to know about a use case."""

    id: str
    title_key: str
    value_key: str
    task: str  # multiclass | binary | rating
    primary_metric: str  # e.g. "test_accuracy"
    status: str  # available | coming
    icon: str = ""  # a Streamlit Material icon (":material/name:"): renders without an emoji font
    datasets: tuple[DatasetSource, ...] = ()
    candidates: tuple[Candidate, ...] = ()
    default_candidate: str = ""  # preselected in the lab; the first candidate when empty
    # The simple candidate every other one must beat (model selection compares against it; the
    # business case prices against it where its payoff has a baseline rule).
    baseline: str = ""
    # How the pipeline builds, fits and evaluates this task's models ("module:ATTRIBUTE", see
    # core.training.adapters), usually the package's own adapter.py; image classification when not named.
    # Resolved only when training, so listing use cases stays light.
    adapter: str = "core.usecases.vision.adapter:ADAPTER"
    # The business case's formula (core.business.payoff): "classification" (automate the items the model is sure
    # of), "credit" (approve or reject at a cost-optimal threshold), "recommendation" (hits over the baseline's
    # list), or "" for none. Its numbers start from strategy.payoff.
    payoff: str = "classification"
    # How an uploaded data set's size reads ("{count} images"): an i18n key with a {count} parameter.
    unit_key: str = "run_names.rows.other"
    strategy: StrategyDefaults = field(default_factory=StrategyDefaults)
    # Views beyond the lab a page offers this use case (TRACE, EXPORT_TFLITE); none by default.
    capabilities: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if self.payoff not in PAYOFF_KINDS:
            raise ValueError(f"Use case {self.id!r}: payoff {self.payoff!r} is not one of {PAYOFF_KINDS}.")
        unknown = set(self.capabilities) - CAPABILITIES
        if unknown:
            raise ValueError(f"Use case {self.id!r}: unknown capabilities {sorted(unknown)}; "
                             f"known: {sorted(CAPABILITIES)}.")

    def can(self, capability: str) -> bool:
        """Whether this use case declares `capability` (TRACE, EXPORT_TFLITE)."""
        return capability in self.capabilities

    def task_adapter(self) -> Any:
        return resolve(self.adapter)

    def dataset(self, source_id: str) -> DatasetSource:
        for source in self.datasets:
            if source.id == source_id:
                return source
        raise KeyError(f"Use case {self.id!r} has no dataset source {source_id!r}.")

    def candidate(self, candidate_id: str) -> Candidate:
        for candidate in self.candidates:
            if candidate.id == candidate_id:
                return candidate
        raise KeyError(f"Use case {self.id!r} has no candidate {candidate_id!r}.")
