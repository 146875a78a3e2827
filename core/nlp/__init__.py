"""NLP use case: tokenisation, explanations (occlusion, attention) and the task adapter."""
