"""`{{ cookiecutter.project_slug }} <command>`: the one entry point of the project.

dvc.yaml, the Makefile, the workflows and the serving image all call it. Each command lives in
its module (`add_arguments(parser)` for its options, `run(args) -> int` for the work), imported
only when that command runs: `--help` stays fast, and `serve` loads no training library.

Errors the project knows (a wrong params.yaml, a missing input, data that breaks the contract)
are one message on stderr, `<command>: <what is wrong and the fix>`, and an exit status of
their own (EXIT_STATUSES, the README's table); `--verbose` adds the traceback. Anything else
is a bug: its traceback, and exit status 70.

What a command produces (a report, the line saying what it wrote) goes to stdout; what it says
while it works (progress, warnings, why it refused its input) is logged to stderr through
`logging`, configured here once: plain messages, and `--verbose` adds the debug ones.
"""

from __future__ import annotations

import argparse
import builtins
import importlib
import logging
import sys
import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

PACKAGE = __name__.rpartition(".")[0]
Parser = argparse.ArgumentParser
PROG = "{{ cookiecutter.project_slug }}"


@dataclass(frozen=True)
class Command:
    """A command: the module that does it (under the package), and one line for `--help`."""

    module: str
    summary: str


COMMANDS = {
    "sample-data": Command("pipeline.sample_data", "DVC stage generate: the demo's table"),
    "data": Command("pipeline.prepare", "DVC stage data: validate, then split train/test"),
    "train": Command("pipeline.train", "DVC stage train: fit, save and log the model"),
    "evaluate": Command("pipeline.evaluate", "DVC stage evaluate: score on the golden set"),
    "export": Command("pipeline.export", "DVC stage export: the serving model (ONNX or skops)"),
    "gate": Command("gate.check", "judge the model by the target branch's baseline (make gate)"),
    "gate-override": Command("ops.gate_override", "may the gate-override label pass the gate"),
    "baseline": Command("gate.baseline", "accept the golden metrics as the baseline"),
    "batch": Command("monitor.demo_batch", "write a demo batch of held-out rows (make batch)"),
    "drift": Command("monitor.drift", "compare a batch with the training data (make drift)"),
    "score": Command("batch.score", "score a whole table: file, folder or query (make score)"),
    "serve": Command("serve.server", "run the scoring service (make serve)"),
    "import-data": Command("ops.import_data", "make your table the project's data"),
    "model-card": Command("ops.model_card", "write the model card (release notes)"),
    "champion": Command("ops.champion", "point the MLflow alias champion at a release"),
    "pr-report": Command("ops.pr_report", "write the pull request's report"),
    "canary": Command("canary.rehearsal", "rehearse a canary or shadow release (make canary)"),
    "delivery": Command("delivery.kpis", "DORA's four keys and ML delivery metrics (GitHub)"),
    "impact": Command("impact.report", "the challenger's impact on outcomes (A/B)"),
    "pin-image": Command("ops.pin_image", "pin the image deploy/ runs to a digest"),
    "deployment": Command("ops.deployment", "record a deployment on GitHub (deploy.yml)"),
    "rollback": Command("ops.rollback", "production back to the previous release (make rollback)"),
    "release": Command("ops.release_command", "tag, promote and read the published image"),
    "template-update": Command("ops.template_update", "take the template's latest changes (cruft)"),
    "report-issue": Command("ops.report_issue", "open, update or close a report's issue"),
    "retrain-body": Command("ops.retrain_body", "write the retraining pull request's body"),
    "pull-request-refused": Command(
        "ops.pull_request_refused", "say how to let a workflow open its pull request"
    ),
}


@dataclass(frozen=True)
class ExitStatus:
    """An exit status: the error class it stands for (by module, not imported), and why."""

    code: int
    module: str  # "" for a built-in exception
    error: str
    meaning: str


# Statuses 1 and 2 are the commands' own: 1 the answer is no (`gate` refused the model, `drift`
# found drift, `baseline` refused non-finite metrics), 2 a wrong command line, or input a
# command refused as its section of the README says (`drift`, `batch`, `import-data`, `serve`).
EXIT_STATUSES = (
    ExitStatus(3, "core.params", "ParamsError", "params.yaml is missing or has a wrong value"),
    ExitStatus(4, "core.settings", "SettingsError", "an environment variable has a wrong value"),
    ExitStatus(5, "", "FileNotFoundError", "an input file is missing (make repro writes most)"),
    ExitStatus(6, "core.files", "JsonFileError", "a JSON file is missing or malformed"),
    ExitStatus(7, "core.validation", "DataValidationError", "the data breaks the contract"),
    ExitStatus(
        8, "core.target_branch", "GateInputError", "the target branch gives no baseline or rules"
    ),
    ExitStatus(9, "scoring.runtime", "ServingModelError", "the serving model cannot be used"),
    ExitStatus(10, "core.model", "ModelLoadError", "the trained model cannot be loaded"),
    ExitStatus(11, "tracking.registry", "RegistryError", "the MLflow registry lacks the model"),
    ExitStatus(12, "batch.rows", "ScoreInputError", "the input cannot be scored (file, column)"),
    ExitStatus(13, "canary.engines", "CanaryError", "the canary rehearsal cannot run"),
    ExitStatus(15, "core.github", "GitHubError", "GitHub's REST API refused a request"),
    ExitStatus(
        16, "impact.inputs", "ImpactError", "the prediction log or the outcomes cannot be used"
    ),
    ExitStatus(17, "core.contract_file", "ContractError", "contract.yaml breaks its schema"),
    ExitStatus(18, "ops.release", "ReleaseError", "a release tag or its image cannot be used"),
)
UNDECIDED = 14  # `canary`: hold or inconclusive (too little traffic), neither promote nor roll back
BUG = 70  # an unexpected exception (sysexits' EX_SOFTWARE): its traceback is printed


def available() -> dict[str, Command]:
    """The commands whose module this project has (`make import-data` removes the demo's)."""
    here = Path(__file__).parent
    return {
        name: command
        for name, command in COMMANDS.items()
        if here.joinpath(*command.module.split(".")).with_suffix(".py").is_file()
    }


def parser_for(commands: dict[str, Command]) -> tuple[Parser, dict[str, Parser]]:
    """The top parser, and one bare sub-parser per command (options come from its module)."""
    verbose = argparse.ArgumentParser(add_help=False)
    verbose.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        default=argparse.SUPPRESS,
        help="print the traceback of an error, and debug messages, too",
    )
    statuses = [
        "0  done",
        "1  the answer is no: gate refused the model, drift found drift, canary rolled back",
        "2  a wrong command line, or input the command refused (drift, batch, import-data, serve)",
        *(f"{s.code:<2} {s.error}: {s.meaning}" for s in EXIT_STATUSES),
        f"{UNDECIDED} canary: hold, or inconclusive (too little traffic to judge)",
        f"{BUG} a bug: an unexpected error, with its traceback",
    ]
    parser = argparse.ArgumentParser(
        prog=PROG,
        description=__doc__.splitlines()[0] if __doc__ else None,
        epilog="`<command> --help` shows its options. Exit statuses:\n  " + "\n  ".join(statuses),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[verbose],
    )
    sub = parser.add_subparsers(dest="command", metavar="<command>", required=True)
    parsers = {
        name: sub.add_parser(
            name,
            help=command.summary,
            description=command.summary,
            parents=[verbose],
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        for name, command in commands.items()
    }
    return parser, parsers


def error_class(status: ExitStatus) -> type | None:
    """The class of a status, if its module was imported (else no error of it was raised).

    Looking it up in sys.modules keeps the modules behind it (pandas, pandera, mlflow) out of
    this one.
    """
    if not status.module:
        kind = getattr(builtins, status.error)
    else:
        module = sys.modules.get(f"{PACKAGE}.{status.module}")
        kind = getattr(module, status.error, None)
    return kind if isinstance(kind, type) else None


def known_status(error: Exception) -> int | None:
    """The exit status of a known error; None for any other."""
    for status in EXIT_STATUSES:
        kind = error_class(status)
        if kind is not None and isinstance(error, kind):
            return status.code
    return None


def configure_logging(verbose: bool) -> None:
    """The package's log messages on stderr as plain lines; debug ones only when verbose.

    A handler of its own on the package's logger (not the root's): libraries' logging stays as
    they set it. Replaced on every call, so that it writes to the current sys.stderr.
    """
    logger = logging.getLogger(PACKAGE)
    for old in [handler for handler in logger.handlers if handler.get_name() == PROG]:
        logger.removeHandler(old)
    handler = logging.StreamHandler(sys.stderr)
    handler.set_name(PROG)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG if verbose else logging.INFO)


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line, run the command, turn a known error into its message and status."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    commands = available()
    parser, parsers = parser_for(commands)
    name = next((word for word in arguments if not word.startswith("-")), None)
    module = None
    if name in commands:
        try:  # a command's modules read contract.yaml as they are imported
            module = importlib.import_module(f"{PACKAGE}.{commands[name].module}")
        except Exception as error:
            return failed(name, error, verbose=bool({"-v", "--verbose"} & set(arguments)))
        if module.__doc__:
            parsers[name].description = module.__doc__
        add_arguments = getattr(module, "add_arguments", None)
        if add_arguments is not None:
            add_arguments(parsers[name])
    args = parser.parse_args(arguments)
    assert module is not None  # argparse exits on an unknown or missing command
    configure_logging(getattr(args, "verbose", False))
    try:
        status: int = module.run(args)
    except Exception as error:
        return failed(args.command, error, verbose=getattr(args, "verbose", False))
    return status


def failed(command: str, error: Exception, *, verbose: bool) -> int:
    """A known error as `<command>: <message>` lines and its status; any other is a bug."""
    code = known_status(error)
    if code is None:
        traceback.print_exc()
        return BUG
    if verbose:
        traceback.print_exc()
    for line in [str(error), *getattr(error, "__notes__", [])]:
        print(f"{command}: {line}", file=sys.stderr)
    return code
