"""Use cases: what each one declares (task, datasets, candidates, metric) and the registry."""
