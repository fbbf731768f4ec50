"""After `make import-data`, the project's own words describe the imported table, not the demo.

The README's block between ABOUT_START and ABOUT_END is replaced whole (everything outside
it is yours and kept; a README without exactly one such block keeps its text, with a warning
that says how to get the block back); the demo's `generate` stage row leaves the README's
pipeline table; the project description the template wrote by default (the demo's: customers
who churn, or their lifetime value) is replaced in pyproject.toml, the Dockerfile's image
label, the package docstring and the README. A description of your own is kept as it is.
Plain string operations throughout: no pattern can match more than it should.
"""

from __future__ import annotations

import logging
from pathlib import Path

log = logging.getLogger(__name__)

ABOUT_START = "<!-- about the data: make import-data rewrites this paragraph -->"
ABOUT_END = "<!-- end of about the data -->"
DEMO_DESCRIPTIONS = (  # cookiecutter.json's default description, for each demo task
    "Predict which customers will churn, with a reproducible, gated ML pipeline.",
    "Predict each customer's lifetime value, with a reproducible, gated ML pipeline.",
)
DESCRIBED = ("pyproject.toml", "Dockerfile", "README.md")  # files holding the description
GENERATE_ROW = "| `generate` |"  # the demo's stage in the README's pipeline table
UNQUOTABLE = str.maketrans("", "", '"\\$`')  # characters no quoted string may hold here
TASK_WORDS = {
    "classification": "a yes/no label",
    "multiclass": "one of several classes",
    "regression": "a number",
}


def plain(text: str) -> str:
    """Text safe inside any quoted string the described files hold (TOML, Dockerfile)."""
    return text.translate(UNQUOTABLE)


def description(target: str, source: str) -> str:
    """The project's one-line description after an import."""
    return plain(f"Predict {target} from {source}, with a reproducible, gated ML pipeline.")


def about(target: str, task: str, features: int, source: str, package: str) -> str:
    """The README's paragraph on what the model predicts, from what."""
    kind = TASK_WORDS.get(task, task)
    return (
        f"The model predicts `{target}` ({kind}, {task}) from the {features} features in\n"
        f"`src/{package}/core/contract.yaml`, imported from `{source}` by `make import-data`; the\n"
        "model kind is `params.yaml: model.kind`."
    )


def rewritten(
    root: Path, *, target: str, task: str, features: int, source: str, package: str
) -> dict[Path, str]:
    """The files whose text changes, with their new text (nothing is written here)."""
    texts: dict[Path, str] = {}
    new = description(target, source)
    for name in DESCRIBED:
        path = root / name
        if not path.is_file():
            continue
        text = path.read_text()
        for demo in DEMO_DESCRIPTIONS:
            text = text.replace(demo, new)
        if name == "README.md":
            text = readme(text, about(target, task, features, source, package))
        texts[path] = text
    init = root / "src" / package / "__init__.py"
    if init.is_file() and init.read_text().strip().strip('"') in DEMO_DESCRIPTIONS:
        texts[init] = f'"""{new}"""\n'
    return texts


def readme(text: str, paragraph: str) -> str:
    """The README with the block about the data replaced and no demo `generate` stage."""
    lines = text.splitlines(keepends=True)
    starts = [i for i, line in enumerate(lines) if line.strip() == ABOUT_START]
    ends = [i for i, line in enumerate(lines) if line.strip() == ABOUT_END]
    if len(starts) == 1 and len(ends) == 1 and starts[0] < ends[0]:
        block = [f"{ABOUT_START}\n", f"{paragraph}\n", lines[ends[0]]]
        lines[starts[0] : ends[0] + 1] = block
    else:
        log.warning(
            "import-data: README.md has no single block between the lines\n"
            f"  {ABOUT_START}\n  {ABOUT_END}\n"
            "so its text about the data was left as it is: edit it by hand, or put those two "
            "lines back around the paragraph for the next import to rewrite it"
        )
    return "".join(line for line in lines if not line.startswith(GENERATE_ROW))
