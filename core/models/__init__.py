"""Models, the shared part: safe save/load (io.py), the scikit-learn baselines (baselines.py) and pretrained
weight downloads (weights.py); a use case's own builders live in its package. Imports no TensorFlow."""
