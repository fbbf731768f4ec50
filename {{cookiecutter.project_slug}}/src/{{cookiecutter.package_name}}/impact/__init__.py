"""The impact of a new model on outcomes: an A/B comparison of variants from the prediction log."""
