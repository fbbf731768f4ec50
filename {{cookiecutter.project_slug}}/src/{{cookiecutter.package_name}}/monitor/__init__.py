"""Drift monitoring: how far a batch of customers has moved from the training data.

`drift` is the command: `batch` reads a batch and checks it against the contract, `measures`
computes the effect sizes, `performance` judges a labelled batch against the baseline,
and `report_md` and `report_html` render what was found (core/records.py: DriftReport). The command
line is `make drift`, or:

    {{ cookiecutter.project_slug }} drift --help
"""
