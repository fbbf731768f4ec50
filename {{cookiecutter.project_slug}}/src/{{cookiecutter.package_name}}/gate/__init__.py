"""The gate: a candidate's metrics against the baseline committed on the target branch."""
