"""`make canary`: rehearse a canary (or shadow) release locally with real engines, then judge.

The champion and the challenger are served by the project's own service (or run elsewhere:
--champion-url, --challenger-url), nginx splits the replayed traffic between them (or mirrors
all of it to the challenger in shadow mode), Prometheus scrapes both, and after each interval
the judge (judge.py) compares them from Prometheus's answers to the AnalysisTemplate's
queries. Promote moves the MLflow alias `champion` to the challenger; roll back sets the
challenger's share to 0 (nginx reload). Exit 0 promote, 1 roll back, 14 hold or inconclusive.

    {{ cookiecutter.project_slug }} canary
        [--champion DIR|models:/NAME@ALIAS] [--challenger DIR|models:/NAME@ALIAS]
        [--champion-url URL] [--challenger-url URL] [--mode canary|shadow] [--share S]
        [--interval-seconds S] [--intervals N] [--min-requests N] [--rate R] [--traffic FILE]
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import time
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from {{ cookiecutter.package_name }}.canary import engines, report
from {{ cookiecutter.package_name }}.canary.agreement import agreement
from {{ cookiecutter.package_name }}.canary.engines import CanaryError, Router, Variant
from {{ cookiecutter.package_name }}.canary.judge import (
    IntervalResult,
    Verdict,
    decide,
    explain,
    judge_interval,
)
from {{ cookiecutter.package_name }}.canary.prometheus import Prometheus
from {{ cookiecutter.package_name }}.canary.traffic import Replay, request_bodies
from {{ cookiecutter.package_name }}.core.files import JsonFileError
from {{ cookiecutter.package_name }}.core.params import Deploy, Params, load_params
from {{ cookiecutter.package_name }}.core.records import load_serving_metadata
from {{ cookiecutter.package_name }}.core.settings import TrackingSettings

EXIT = {Verdict.PROMOTE: 0, Verdict.ROLL_BACK: 1, Verdict.HOLD: 14, Verdict.INCONCLUSIVE: 14}
MODEL_URI = re.compile(r"models:/(?P<name>[^@/]+)@(?P<alias>[\w-]+)")
SETTLE_SECONDS = 0.3  # after the scrape that follows an interval's end


def positive(kind: type[float] | type[int]) -> Any:
    """An argparse type: a number above 0."""

    def parse(text: str) -> float | int:
        value = kind(text)
        if value <= 0:
            raise argparse.ArgumentTypeError(f"{text}: use a number above 0")
        return value

    return parse


def share(text: str) -> float:
    """An argparse type: a share of traffic from 0 to 1."""
    value = float(text)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"{text}: use a share from 0 to 1, e.g. 0.05")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The two variants, and overrides of params.yaml `deploy:` for this run."""
    model = "a serving-model folder (as make repro exports it) or models:/<name>@<alias>"
    parser.add_argument("--champion", help=f"{model} (default: the registry's champion)")
    parser.add_argument("--challenger", help=f"{model} (default: the checkout's export)")
    parser.add_argument("--champion-url", help="a champion service already running")
    parser.add_argument("--challenger-url", help="a challenger service already running")
    parser.add_argument("--mode", choices=("canary", "shadow"))
    parser.add_argument("--share", type=share, help="the challenger's share in canary mode")
    parser.add_argument("--interval-seconds", type=positive(float))
    parser.add_argument("--intervals", type=positive(int))
    parser.add_argument("--min-requests", type=positive(int))
    parser.add_argument(
        "--rate",
        type=positive(float),
        default=100.0,
        help="replayed requests per second (default 100)",
    )
    parser.add_argument("--traffic", type=Path, help="rows to replay (default: the golden set)")
    parser.add_argument("--output", type=Path, help="report folder (default: reports/canary)")


def rules_for(params: Params, args: argparse.Namespace) -> Deploy:
    """params.yaml `deploy:` with this run's overrides."""
    names = ("mode", "share", "interval_seconds", "intervals", "min_requests")
    overrides = {name: getattr(args, name) for name in names if getattr(args, name) is not None}
    return params.deploy.model_copy(update=overrides)


def serving_folder(source: str, params: Params) -> Path:
    """The serving folder a --champion/--challenger names.

    A models:/ URI names the checkout's export when it is that version: the registry holds
    the trained model, not its export.
    """
    match = MODEL_URI.fullmatch(source)
    if match is None:
        folder = Path(source)
        if not (folder / "metadata.json").is_file():
            raise CanaryError(
                f"{folder} is not a serving-model folder (no metadata.json): run `make repro`, or "
                "name one like models/serving, or a models:/<name>@<alias> URI"
            )
        return folder
    from {{ cookiecutter.package_name }}.tracking.registry import version_by_alias

    tracking = TrackingSettings.from_env().applied_to(params.mlflow)
    version, run_id = version_by_alias(match["name"], match["alias"], tracking)
    exported = params.paths.serving
    try:
        metadata = load_serving_metadata(exported / "metadata.json")
    except JsonFileError:
        metadata = None  # no export here, or an unreadable one: not this version's
    if metadata and (metadata.version, metadata.run_id) == (version, run_id):
        return exported
    raise CanaryError(
        f"{source} is version {version} (run {run_id}), whose serving export is not in "
        f"{exported}: check out its commit and `make pull`, or pass its folder or the URL of "
        "a service running it"
    )


def prediction_log(folder: Path, name: str) -> Path:
    """Where a variant started here logs what it scores in shadow mode."""
    return folder / f"{name}-predictions.jsonl"


@contextmanager
def variant(
    name: str,
    url: str | None,
    source: str,
    params: Params,
    folder: Path,
    *,
    shadow: bool = False,
    niceness: int = 0,
) -> Iterator[Variant]:
    """A variant answering on 127.0.0.1 (started here) or at a URL given.

    In shadow mode a variant started here logs every row it scores. `niceness` above 0 starts
    it at a lower CPU priority.
    """
    if url:
        found = Variant(name, url.rstrip("/"))
        engines.wait_for(f"{found.url}/ready", 30, None, folder / f"{name}.log")
        yield found
        return
    model = serving_folder(source, params).resolve()
    log = prediction_log(folder, name) if shadow else None
    with engines.service(name, model, folder, niceness=niceness, log=log) as started:
        yield started


def fetch_json(url: str) -> Any:
    """GET a JSON document."""
    with urllib.request.urlopen(url, timeout=10) as answer:
        return json.load(answer)


def predictions_served(url: str) -> float:
    """The /predict requests a service has answered, from its own /metrics."""
    with urllib.request.urlopen(f"{url}/metrics", timeout=10) as answer:
        text = answer.read().decode()
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("http_requests_total{") and 'path="/predict"' in line
    )


def settled(url: str, quiet: float = 0.5, limit: float = 10.0) -> float:
    """A service's /predict count once it stops moving for `quiet` seconds (at most `limit`)."""
    count = predictions_served(url)
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        time.sleep(quiet)
        now = predictions_served(url)
        if now == count:
            break
        count = now
    return count


def warm_up(variants: list[Variant], body: bytes) -> None:
    """One request to each variant: its counters exist before the first scrape."""
    for each in variants:
        request = urllib.request.Request(
            f"{each.url}/predict", body, {"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=10) as answer:
            answer.read()


def judge_live(prometheus: Prometheus, rules: Deploy, start: float) -> list[IntervalResult]:
    """Judge each interval as it ends, until the verdict is reached or the intervals run out."""
    results: list[IntervalResult] = []
    seconds = rules.interval_seconds
    for index in range(rules.intervals):
        end = start + (index + 1) * seconds
        time.sleep(max(0.0, end + engines.SCRAPE_SECONDS + SETTLE_SECONDS - time.time()))
        champion = prometheus.side("champion", end, seconds)
        challenger = prometheus.side("challenger", end, seconds)
        results.append(judge_interval(index, champion, challenger, rules))
        if decide(results, rules, finished=False) in (Verdict.ROLL_BACK, Verdict.PROMOTE):
            break
    return results


def promote(metadata: dict[str, Any], params: Params) -> str:
    """Move the MLflow alias `champion` to the challenger's registered version."""
    from {{ cookiecutter.package_name }}.tracking.registry import set_champion

    missing = [key for key in ("registered_model", "version", "run_id") if not metadata.get(key)]
    if missing:
        raise CanaryError(
            f"the challenger's /metadata lacks {', '.join(missing)}: it names no registered "
            "model, so the alias champion cannot move to it"
        )
    tracking = TrackingSettings.from_env().applied_to(params.mlflow)
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    set_champion(
        str(metadata["registered_model"]),
        str(metadata["version"]),
        str(metadata["run_id"]),
        {"canary": f"promoted {stamp}"},
        tracking,
    )
    return f"{metadata['registered_model']} version {metadata['version']} is now `champion`"


def run(args: argparse.Namespace) -> int:
    """Rehearse, judge, act on the verdict, write reports/canary.{json,md,html}."""
    params = load_params()
    rules = rules_for(params, args)
    bodies = request_bodies(args.traffic or params.paths.golden)
    output = args.output or params.paths.reports / "canary"
    folder = (output / "engines").resolve()  # nginx reads paths from its own prefix
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    champion_source = args.champion or f"models:/{params.mlflow.registered_model}@champion"
    challenger_source = args.challenger or str(params.paths.serving)
    run_log: dict[str, Any] = {"mode": rules.mode, "share": rules.share, "rate": args.rate}
    shadow = rules.mode == "shadow"
    # A shadow challenger answers no client and must not take the champion's CPU (on a
    # cluster its own pods keep it off): started here, it gets a CPU of its own and the rest
    # run on the others; where that cannot be, it runs at a lower priority instead. (Pinned
    # and lowered, any other load on its CPU would slow it, and the judge blame the model.)
    split = engines.shadow_cpus() if shadow and not args.challenger_url else None
    lowered = engines.SHADOW_NICENESS if shadow and split is None else 0
    with ExitStack() as stack:
        stack.enter_context(engines.pinned(split[1] if split else None))
        champion = stack.enter_context(
            variant("champion", args.champion_url, champion_source, params, folder, shadow=shadow)
        )
        with engines.pinned(split[0] if split else None):
            challenger = stack.enter_context(
                variant(
                    "challenger",
                    args.challenger_url,
                    challenger_source,
                    params,
                    folder,
                    shadow=shadow,
                    niceness=lowered,
                )
            )
        models = {each.name: fetch_json(f"{each.url}/metadata") for each in (champion, challenger)}
        warm_up([champion, challenger], bodies[0])
        prometheus = Prometheus(
            stack.enter_context(engines.prometheus(folder, champion, challenger))
        )
        router = stack.enter_context(
            Router(folder, champion, challenger).running(rules.mode, rules.share)
        )
        prometheus.wait_for_targets([champion.name, challenger.name])
        replay = stack.enter_context(Replay(router.url, bodies, args.rate).running())
        start = time.time()
        results = judge_live(prometheus, rules, start)
        verdict = decide(results, rules, finished=True)
        if verdict is Verdict.ROLL_BACK:
            router.reroute(rules.mode, 0.0)
            run_log["share_zero_after_seconds"] = round(time.time() - start, 2)
            before = settled(challenger.url)  # requests in flight at the reload are answered
            time.sleep(1.0)
            run_log["challenger_requests_after_roll_back"] = (
                predictions_served(challenger.url) - before
            )
        run_log["client_p99_seconds"] = replay.p99()
        run_log["client_statuses"] = dict(replay.statuses)
    if shadow and not (args.champion_url or args.challenger_url):  # both logged here, complete
        paired = agreement(prediction_log(folder, "champion"), prediction_log(folder, "challenger"))
        run_log["shadow_agreement"] = asdict(paired) if paired else None
    action = promote(models["challenger"], params) if verdict is Verdict.PROMOTE else ""
    if verdict is Verdict.ROLL_BACK:
        action = "the challenger's share is 0 (nginx reloaded)"
    why = explain(results, verdict, rules)
    summary = report.Summary(verdict, why, action, rules, results, models, run_log)
    report.write(summary, output)
    print(f"canary: {verdict.value}: {why}" + (f"; {action}" if action else ""))
    print(f"canary: reports in {output}/canary.md and canary.html")
    return EXIT[verdict]
