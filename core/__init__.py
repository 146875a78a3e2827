"""AI Strategy Studio engine: everything that is not UI. Never imports streamlit."""
