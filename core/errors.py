"""User-facing error types; each carries an i18n key so the UI can show it in the reader's language."""

from core.i18n import StudioError


class DataError(StudioError):
    """Input data cannot be used as given (bad upload, wrong schema, too few classes...)."""


class ModelLoadError(StudioError):
    """A model file cannot be loaded safely."""


class TrainingError(StudioError):
    """Training could not finish (diverged to NaN, bad settings...)."""


class TrackingError(StudioError):
    """A run cannot be found or stored."""


class AccessError(StudioError, PermissionError):
    """The signed-in person's role does not allow this action (viewer training, trainer deleting...)."""


class Cancelled(Exception):
    """Work stopped because the person who started it pressed Cancel (a run ends "cancelled", not failed)."""


__all__ = ["Cancelled", "StudioError", "DataError", "ModelLoadError", "TrainingError", "TrackingError", "AccessError"]
