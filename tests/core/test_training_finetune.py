"""Two-stage fine-tuning of a pretrained backbone as one fit: the right layers freeze and unfreeze, one
history and one epoch count run across the stages, the result saves, reloads and traces."""

from __future__ import annotations

import re

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from core.models.io import load_model, save_model  # noqa: E402
from core.usecases.vision.data import load_digits_dataset  # noqa: E402
from core.usecases.vision.pretrained import (BACKBONE_LAYER, build_efficientnet_v2_b0, build_mobilenet_v3_small,  # noqa: E402
                                             parameter_count)
from core.training.finetune import fit_two_stage, freeze_pretrained, stage_epochs, unfreeze_top  # noqa: E402
from core.training.runner import TrainConfig  # noqa: E402
from core.contract.registry import get_use_case  # noqa: E402

VISION = get_use_case("vision")
SMALL = VISION.candidate("mobilenet_v3_small")
# MobileNetV3-Small's top: the last two inverted-residual blocks and the final 1x1 conv ("conv_1").
TOP = re.compile(r"^(expanded_conv_(9|10)_.*|conv_1)$")


@pytest.fixture(scope="module")
def digits():
    return load_digits_dataset(seed=0)


def _counts(model):
    return len(model.trainable_weights), len(model.non_trainable_weights)


def _expected_top_weights(backbone) -> int:
    """Weights of the top layers by name, batch normalisation left out (an independent count)."""
    return sum(len(layer.weights) for layer in backbone.layers
               if TOP.match(layer.name) and not isinstance(layer, keras.layers.BatchNormalization))


@pytest.mark.parametrize("epochs, head, tune", [(1, 1, 0), (2, 1, 1), (6, 3, 3), (7, 4, 3)])
def test_epochs_split_between_the_stages(epochs, head, tune):
    assert stage_epochs(epochs, 0.5) == (head, tune)


def test_stage_one_trains_the_head_only_and_stage_two_the_top_blocks(digits):
    model = build_mobilenet_v3_small(digits.input_shape, digits.num_classes, image_size=32)
    backbone = model.get_layer(BACKBONE_LAYER)
    total = len(model.weights)
    assert all(not layer.trainable for layer in backbone.layers
               if isinstance(layer, keras.layers.BatchNormalization))  # frozen from the start

    assert model.count_params() == parameter_count("mobilenet_v3_small", digits.num_classes)
    freeze_pretrained(model, SMALL.fine_tune)
    assert _counts(model) == (2, total - 2)  # classifier kernel and bias
    unfreeze_top(model, SMALL.fine_tune)
    top = _expected_top_weights(backbone)
    assert top == 15  # 2 blocks x (expand, depthwise, 2 squeeze-excite kernels + biases, project) + conv_1
    assert _counts(model) == (2 + top, total - 2 - top)
    names = {w.path.split("/")[-2] for w in model.trainable_weights}
    assert "expanded_conv_8_project" not in names and "expanded_conv_9_project" in names


def test_efficientnet_unfreezes_its_last_three_blocks():
    model = build_efficientnet_v2_b0((8, 8, 1), 10, image_size=32)
    assert model.count_params() == parameter_count("efficientnet_v2_b0", 10)
    plan = VISION.candidate("efficientnet_v2_b0").fine_tune
    freeze_pretrained(model, plan)
    assert len(model.trainable_weights) == 2
    unfreeze_top(model, plan)
    backbone = model.get_layer(BACKBONE_LAYER)
    expected = sum(len(layer.weights) for layer in backbone.layers
                   if re.match(r"^(block6[fgh]_|top_conv$)", layer.name)
                   and not isinstance(layer, keras.layers.BatchNormalization))
    assert expected > 0 and len(model.trainable_weights) == 2 + expected


@pytest.mark.slow
def test_one_fit_one_history_lower_layers_untouched(digits):
    keras.utils.set_random_seed(0)
    model = build_mobilenet_v3_small(digits.input_shape, digits.num_classes, image_size=32)
    backbone = model.get_layer(BACKBONE_LAYER)
    lower = backbone.get_layer("expanded_conv_8_project")
    upper = backbone.get_layer("expanded_conv_9_project")
    lower_before = np.array(lower.kernel)
    classifier_before = np.array(model.get_layer("classifier").kernel)
    reports = []
    trainable_at_start = []  # trainable weights when each stage starts (its "preparing" report)

    def report(progress):
        reports.append(progress)
        if progress.phase == "preparing":
            trainable_at_start.append(len(model.trainable_weights))

    result = fit_two_stage(model, digits.x_train[:64], digits.y_train[:64], digits.x_val[:32], digits.y_val[:32],
                           TrainConfig(epochs=2, batch_size=32, learning_rate=1e-3), plan=SMALL.fine_tune,
                           on_progress=report)
    assert result.epochs_run == 2 and result.stopped_reason == "completed"
    assert trainable_at_start == [2, 2 + _expected_top_weights(backbone)]  # head, then head + top blocks
    assert {len(values) for values in result.history.values()} == {2}
    assert set(result.history) >= {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert all(p.epochs == 2 for p in reports if p.phase == "training")
    assert [p.epoch for p in reports if p.phase == "training"] == sorted(
        p.epoch for p in reports if p.phase == "training")  # epoch 2 follows epoch 1 across the stages
    last = [p for p in reports if p.phase == "training"][-1]
    assert last.epoch == 2 and len(last.history["loss"]) == 2  # the live curve holds both stages
    assert np.array_equal(np.array(lower.kernel), lower_before)  # below the unfreeze point: never trained
    # random init + frozen batch norm: the top's gradients are ~1e-11 (see build_backbone_classifier), so
    # whether its weights move is not tested here; that they were trainable in stage 2 is (above)
    assert upper.trainable and not lower.trainable
    assert not np.array_equal(np.array(model.get_layer("classifier").kernel), classifier_before)


@pytest.mark.slow
def test_saved_model_reloads_in_safe_mode_with_identical_predictions_and_traces(digits, tmp_path):
    from core.inspection.trace import trace_sample

    model = build_mobilenet_v3_small(digits.input_shape, digits.num_classes, image_size=32)
    path = save_model(model, tmp_path)
    reloaded = load_model(path)  # core.models.io: config checked for code, keras safe_mode=True
    batch = digits.x_test[:8]
    np.testing.assert_array_equal(np.asarray(model(batch, training=False)),
                                  np.asarray(reloaded(batch, training=False)))
    trace = trace_sample(reloaded, digits.x_test[0], int(digits.y_test[0]))
    names = [layer.name for layer in trace.layers]
    assert names == ["grey_to_rgb", "resize", "to_pixel_range", BACKBONE_LAYER, "pool", "dropout", "classifier",
                     "probabilities"]
    assert trace.layer("resize").output_shape == (32, 32, 3)
    assert trace.saliency.shape == (8, 8) and trace.saliency.max() == pytest.approx(1.0)
    assert trace.probabilities.sum() == pytest.approx(1.0, abs=1e-5)
