"""A tiny dense network computed step by step in NumPy float64, so backprop can be shown with real numbers.

Conventions: layer l (1..L) computes z(l) = W(l) a(l-1) + b(l) and a(l) = f(z(l)), with
W(l) of shape (units in l, units in l-1) and a(0) = x. Losses for one sample: mean squared
error and binary cross-entropy average over the output units (as Keras does); categorical
cross-entropy sums over the classes. ReLU's derivative at exactly z = 0 is taken as 0, the
choice TensorFlow makes. `gradient_check` recomputes every tensor with tf.GradientTape.

The code lives in network (spec, weights, inputs), maths (forward, loss, backward, update), formatting
(numbers and LaTeX), steps (the walkthrough, walk, train), tf_check (gradient_check) and presets; this module keeps
the one import path the pages, tests and benchmarks use.
"""

from __future__ import annotations

from core.walkthrough.formatting import (  # noqa: F401
    ACT_TEX,
    fmt,
    layer_sym,
    prime_tex,
    tex,
    tex_paren,
    tex_vector,
)
from core.walkthrough.network import (  # noqa: F401
    CHECK_TOLERANCE,
    HIDDEN_ACTIVATIONS,
    LOSSES,
    MAX_HIDDEN_LAYERS,
    MAX_HIDDEN_UNITS,
    MAX_INPUTS,
    MAX_LEARNING_RATE,
    MAX_OUTPUTS,
    MAX_TRAIN_STEPS,
    NetworkSpec,
    OUTPUT_ACTIVATIONS,
    Params,
    WalkthroughError,
    check_input,
    check_learning_rate,
    check_params,
    init_weights,
    latex_name,
    node_names,
    parse_hidden_sizes,
    parse_weight_table,
    target_vector,
    weight_tables,
)
from core.walkthrough.maths import (  # noqa: F401
    BackwardPass,
    ForwardPass,
    activate,
    activation_derivative,
    backward,
    forward,
    loss_value,
    sgd_update,
)
from core.walkthrough.steps import (  # noqa: F401
    Step,
    TrainResult,
    Walkthrough,
    build_steps,
    train,
    walk,
)
from core.walkthrough.tf_check import (  # noqa: F401
    gradient_check,
)
from core.walkthrough.presets import (  # noqa: F401
    ARTICLE_PRESET,
    PRESETS,
    Preset,
)
