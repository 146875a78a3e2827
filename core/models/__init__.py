"""Model builders (Keras in vision.py, scikit-learn in baselines.py) and safe save/load (io.py); importing this package imports no TensorFlow."""
