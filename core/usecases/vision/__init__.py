"""Vision use case: image classification on bundled, online or uploaded images.

This module is the declaration (light: no TensorFlow). The package holds the rest: data (bundled
digits, MNIST 5k, Fashion-MNIST), models (Keras MLP/CNN builders), pretrained (ImageNet backbones),
llm (an endpoint's model that reads images) and adapter (the generic classification adapter).
"""

from core.contract.usecase import (EXPORT_TFLITE, TRACE, Candidate, DatasetSource, FineTune, StrategyDefaults,
                                   UseCase)

USE_CASE = UseCase(
    id="vision",
    title_key="usecases.vision.title",
    value_key="usecases.vision.value",
    task="multiclass",
    primary_metric="test_accuracy",
    status="available",
    icon=":material/image_search:",
    default_candidate="cnn",
    baseline="logreg",
    adapter="core.usecases.vision.adapter:ADAPTER",
    unit_key="run_names.rows.vision",
    capabilities=frozenset({TRACE, EXPORT_TFLITE}),
    strategy=StrategyDefaults(
        scores={"value": 3, "feasibility": 4, "data": 4, "compute": 4},
        risks={"privacy": 2, "explainability": 3, "fairness": 2, "security": 2},
        rows=50000, quality=4, requests_per_day=20000, retrains_per_year=4,
        # Sorting scanned forms or product photos: a person costs 0.50 an image; a wrong automatic label 5.00.
        payoff={"manual_cost": 0.5, "error_cost": 5.0, "items_per_year": 2000000, "target_precision": 0.99},
    ),
    datasets=(
        DatasetSource("digits", "datasets.digits.title", "bundled", "core.usecases.vision.data:load_digits_dataset",
                      description_key="datasets.digits.description"),
        DatasetSource("mnist5k", "datasets.mnist5k.title", "bundled", "core.usecases.vision.data:load_mnist5k",
                      description_key="datasets.mnist5k.description"),
        DatasetSource("fashion_mnist", "datasets.fashion_mnist.title", "bundled",
                      "core.usecases.vision.data:load_fashion_mnist",
                      description_key="datasets.fashion_mnist.description",
                      available="core.usecases.vision.data:fashion_mnist_available"),
        DatasetSource("mnist_online", "datasets.mnist_online.title", "online",
                      "core.usecases.vision.online:load_mnist_online",
                      description_key="datasets.mnist_online.description",
                      available="core.usecases.vision.online:mnist_online_available"),
        DatasetSource("fashion_mnist_online", "datasets.fashion_mnist_online.title", "online",
                      "core.usecases.vision.online:load_fashion_mnist_online",
                      description_key="datasets.fashion_mnist_online.description",
                      available="core.usecases.vision.online:fashion_mnist_online_available"),
        DatasetSource("cifar10_online", "datasets.cifar10_online.title", "online",
                      "core.usecases.vision.online:load_cifar10_online",
                      description_key="datasets.cifar10_online.description",
                      available="core.usecases.vision.online:cifar10_online_available"),
        DatasetSource("upload_zip", "datasets.upload_zip.title", "uploaded",
                      "core.usecases.vision.upload:load_image_zip",
                      description_key="datasets.upload_zip.description"),
    ),
    candidates=(
        Candidate("logreg", "models.logreg.name", "models.logreg.description", "sklearn",
                  "core.models.baselines:build_logistic_regression", default_epochs=1),
        Candidate("mlp", "models.mlp.name", "models.mlp.description", "keras",
                  "core.usecases.vision.models:build_mlp", default_epochs=20),
        Candidate("cnn", "models.cnn.name", "models.cnn.description", "keras",
                  "core.usecases.vision.models:build_cnn", default_epochs=15),
        Candidate("cnn_regularised", "models.cnn_regularised.name", "models.cnn_regularised.description",
                  "keras", "core.usecases.vision.models:build_cnn_regularised", default_epochs=20),
        # Pretrained (ImageNet) backbones, fine-tuned in two stages as one job: head first, then the top blocks.
        Candidate("mobilenet_v3_small", "pretrained.models.mobilenet_v3_small.name",
                  "pretrained.models.mobilenet_v3_small.description", "keras",
                  "core.usecases.vision.pretrained:build_mobilenet_v3_small", default_epochs=6, default_batch_size=32,
                  pretrained="imagenet", weights="mobilenet_v3_small",
                  fine_tune=FineTune(layer="backbone", unfreeze_from="expanded_conv_9_")),
        Candidate("efficientnet_v2_b0", "pretrained.models.efficientnet_v2_b0.name",
                  "pretrained.models.efficientnet_v2_b0.description", "keras",
                  "core.usecases.vision.pretrained:build_efficientnet_v2_b0", default_epochs=6, default_batch_size=32,
                  pretrained="imagenet", weights="efficientnet_v2_b0",
                  fine_tune=FineTune(layer="backbone", unfreeze_from="block6f_")),
        # A large language model that reads images, asked rather than trained (core.llm), through an
        # OpenAI-compatible endpoint; a local GGUF model reads text only here.
        Candidate("llm_endpoint", "models.llm_endpoint.name", "models.llm_endpoint.description", "llm",
                  "core.usecases.vision.llm:build_llm_image_classifier",
                  hparams={"transport": "endpoint", "inputs": "image"},
                  default_epochs=1),
    ),
)
