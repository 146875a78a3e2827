"""Use cases: one package each (declaration, data, models, adapter); their contract and registry are core/contract."""
