"""Recommendation engine: ranking metrics, scoring a catalogue, explanations, cold start, pipeline adapter."""
