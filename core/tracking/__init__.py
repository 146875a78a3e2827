"""Run tracking over MLflow (core.tracking.store.Tracker); MLflow itself is imported on first use."""
