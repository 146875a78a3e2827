"""Ready-made walkthrough set-ups, the article's example first."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np

from core.walkthrough.network import NetworkSpec, Params, init_weights


@dataclass(frozen=True, eq=False)
class Preset:
    """A ready-made set-up: architecture, loss, input, label, learning rate, and fixed weights or a seed."""

    id: str
    spec: NetworkSpec
    x: tuple[float, ...]
    label: Any  # a class index for categorical cross-entropy, else one value per output
    learning_rate: float
    seed: int = 0
    params: Params | None = None

    def weights(self) -> Params:
        return self.params if self.params is not None else init_weights(self.spec, random_state=self.seed)


ARTICLE_PRESET = Preset(
    id="article",
    spec=NetworkSpec((1, 3, 1), ("relu", "sigmoid"), "binary_crossentropy"),
    x=(1.0,),
    label=(0.0,),
    learning_rate=0.1,
    params=Params(
        weights=(np.array([[0.5], [0.3], [-0.2]]), np.array([[0.6, 0.4, -0.5]])),
        biases=(np.zeros(3), np.array([0.1])),
    ),
)

PRESETS: Mapping[str, Preset] = {
    "article": ARTICLE_PRESET,
    "regression": Preset("regression", NetworkSpec((2, 3, 1), ("tanh", "linear"), "mse"),
                         x=(0.5, -1.0), label=(0.8,), learning_rate=0.1, seed=4),
    "classifier": Preset("classifier", NetworkSpec((3, 4, 3), ("relu", "softmax"), "categorical_crossentropy"),
                         x=(1.0, 0.5, -0.5), label=2, learning_rate=0.5, seed=8),
    "deep": Preset("deep", NetworkSpec((2, 4, 3, 2), ("tanh", "relu", "sigmoid"), "binary_crossentropy"),
                   x=(0.8, -0.4), label=(1.0, 0.0), learning_rate=0.5, seed=2),
}
