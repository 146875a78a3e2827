"""Business case: payoffs that turn measured runs into money (value, ROI, payback) with bootstrap intervals."""
