"""The use-case contract: what a use case declares (usecase.py) and the registry of all of them (registry.py).

It sits below the engine (core/training), selection, the business case and the planner, which all read it; the
use-case packages (core/usecases/<name>/) sit above the engine and register themselves here by name.
"""
