"""Training: device policy, the Keras/scikit-learn runner and the background job queue.

Import the submodules (core.training.runner, .jobs, .device); this package imports nothing
heavy, so the Home page stays free of TensorFlow.
"""
