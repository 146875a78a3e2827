"""AI Strategy Studio engine: everything that is not UI. Never imports streamlit."""

import os

# TensorFlow prints start-up chatter to stderr; keep warnings and errors only.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
