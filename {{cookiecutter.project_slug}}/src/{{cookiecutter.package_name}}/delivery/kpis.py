"""`make delivery-kpis`: DORA's four keys and the ML delivery metrics, from GitHub's REST API.

Reads GITHUB_REPOSITORY (owner/name) at GITHUB_API_URL (default https://api.github.com, as
in Actions) with GITHUB_TOKEN (read access to deployments, actions, contents), over the last
`--days` days up to `--until` (default now). Writes delivery.json, delivery.md and one
delivery-<metric>.png per metric to the reports folder (params.yaml paths.reports). A window
without deployments reports "none". At GitHub's rate limit it waits up to `--max-wait`
seconds for the reset, else writes what it read so far, marked incomplete.

Exit status: 0 the report is written (complete or marked incomplete); 4 a GITHUB_* variable
is wrong; 15 GitHub refused a request (the message says which and why).
"""

from __future__ import annotations

import argparse
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pydantic import field_validator
from pydantic_settings import SettingsConfigDict

from {{ cookiecutter.package_name }}.core.files import write_json, write_text
from {{ cookiecutter.package_name }}.core.github import GitHub
from {{ cookiecutter.package_name }}.core.params import load_params
from {{ cookiecutter.package_name }}.core.settings import EnvironmentSettings
from {{ cookiecutter.package_name }}.delivery.charts import draw
from {{ cookiecutter.package_name }}.delivery.history import read_history
from {{ cookiecutter.package_name }}.delivery.measures import measure
from {{ cookiecutter.package_name }}.delivery.report import as_json, as_markdown

log = logging.getLogger(__name__)


class GitHubSettings(EnvironmentSettings):
    """GITHUB_*: the repository and the API, as GitHub Actions sets them for every job."""

    model_config = SettingsConfigDict(env_prefix="GITHUB_", frozen=True, extra="ignore")

    repository: str = ""
    api_url: str = "https://api.github.com"
    token: str | None = None

    @field_validator("repository")
    @classmethod
    def owner_and_name(cls, value: str) -> str:
        """owner/name, as Actions sets it."""
        owner, _, name = value.partition("/")
        if not owner or not name or "/" in name:
            raise ValueError("set it to the repository as owner/name (Actions sets it for you)")
        return value

    @field_validator("api_url")
    @classmethod
    def http_url(cls, value: str) -> str:
        """An http(s) URL, such as https://api.github.com or GHES's https://host/api/v3."""
        if not value.startswith(("https://", "http://")):
            raise ValueError("set it to the REST API's URL, such as https://api.github.com")
        return value.rstrip("/")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The window, the wait allowed at the rate limit, and where the report goes."""
    parser.add_argument("--days", type=int, default=90, help="the window's length (default 90)")
    parser.add_argument(
        "--until", type=_day, help="the window's end, YYYY-MM-DD (UTC; default now)"
    )
    parser.add_argument(
        "--max-wait",
        type=float,
        default=60.0,
        help="seconds to wait for a rate-limit reset before stopping (default 60)",
    )
    parser.add_argument("--output-dir", type=Path, help="default: params.yaml paths.reports")


def _day(text: str) -> datetime:
    try:
        return datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date: use YYYY-MM-DD") from None


def run(args: argparse.Namespace) -> int:
    """Read the record, measure, write JSON, markdown and charts."""
    if args.days < 1:
        log.error("delivery: --days must be at least 1")
        return 2
    settings = GitHubSettings.from_env()
    folder = args.output_dir or load_params().paths.reports
    until = args.until or datetime.now(UTC)
    since = until - timedelta(days=args.days)
    github = GitHub(settings.api_url, settings.token, max_wait=args.max_wait)
    history = read_history(github, settings.repository, since, until)
    kpis = measure(history, since, until)
    charts = draw(kpis, folder)
    write_json(folder / "delivery.json", as_json(kpis, settings.repository))
    names = {key: path.name for key, path in charts.items()}
    write_text(folder / "delivery.md", as_markdown(kpis, settings.repository, names))
    print(f"delivery: {history.requests} requests; report in {folder}/delivery.md")
    if kpis.stopped is not None:
        log.warning(f"delivery: incomplete, {kpis.stopped}")
    return 0
