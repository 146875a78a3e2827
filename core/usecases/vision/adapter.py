"""The vision task adapter: image arrays in, class probabilities out; the generic classification adapter as it is."""

from core.training.adapters import ClassificationAdapter

ADAPTER = ClassificationAdapter()
