"""Credit-risk evaluation: curves, KS, calibration, cost-optimal thresholds, explanations, fairness."""
