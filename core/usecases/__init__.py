"""Use cases: one package each (declaration, data, models, adapter), the contract (base.py) and the registry."""
