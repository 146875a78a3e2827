"""Backprop walkthroughs: (a) a tiny dense network computed step by step in NumPy and checked against TensorFlow."""

from core.walkthrough.tiny_net import (
    ARTICLE_PRESET,
    CHECK_TOLERANCE,
    PRESETS,
    NetworkSpec,
    Params,
    Preset,
    Step,
    TrainResult,
    Walkthrough,
    WalkthroughError,
    gradient_check,
    init_weights,
    parse_hidden_sizes,
    parse_weight_table,
    train,
    walk,
    weight_tables,
)

__all__ = [
    "ARTICLE_PRESET", "CHECK_TOLERANCE", "PRESETS", "NetworkSpec", "Params", "Preset", "Step", "TrainResult",
    "Walkthrough", "WalkthroughError", "gradient_check", "init_weights", "parse_hidden_sizes",
    "parse_weight_table", "train", "walk", "weight_tables",
]
