"""Streamlit entry point and reusable UI pieces (widgets, pure Plotly chart builders)."""
