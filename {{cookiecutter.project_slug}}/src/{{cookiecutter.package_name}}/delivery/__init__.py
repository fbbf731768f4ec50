"""Delivery measured from the record: DORA's four keys and the ML ones, from GitHub's REST API.

`kpis` is the command (`make delivery-kpis`): `github` reads the API (every page, within the
rate limit), `history` gathers what the repository records (production deployments and their
statuses, the commits each shipped, releases, the gate's runs on pull requests, data changes
in dvc.lock), `measures` turns it into the metrics and their DORA bands, `report` and
`charts` write them. The command line is:

    {{ cookiecutter.project_slug }} delivery --help
"""
