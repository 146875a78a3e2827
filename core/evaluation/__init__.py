"""Metrics (metrics.py, pure NumPy) and serving latency/throughput (serving.py, TensorFlow imported lazily)."""
