"""Commands around the pipeline: import a table, model card, champion, PR report.

The top layer: nothing imports ops.
"""
