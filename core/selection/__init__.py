"""Model selection: compare tracked candidates on one split, test them against the baseline, recommend."""
