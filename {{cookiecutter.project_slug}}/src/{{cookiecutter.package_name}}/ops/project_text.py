"""After `make import-data`, the project's own words describe the imported table, not the demo.

The README's paragraph between ABOUT_START and ABOUT_END is rewritten; the demo's `generate`
stage row leaves the README's pipeline table; the project description the template wrote
by default (the demo's: customers who churn, or their lifetime value) is replaced in
pyproject.toml, the Dockerfile's image label, the package docstring and the README. A
description of your own is kept as it is.
"""

from __future__ import annotations

import re
from pathlib import Path

ABOUT_START = "<!-- about the data: make import-data rewrites this paragraph -->"
ABOUT_END = "<!-- end of about the data -->"
DEMO_DESCRIPTIONS = (  # cookiecutter.json's default description, for each demo task
    "Predict which customers will churn, with a reproducible, gated ML pipeline.",
    "Predict each customer's lifetime value, with a reproducible, gated ML pipeline.",
)
DESCRIBED = ("pyproject.toml", "Dockerfile", "README.md")  # files holding the description
TASK_WORDS = {
    "classification": "a yes/no label",
    "multiclass": "one of several classes",
    "regression": "a number",
}


def plain(text: str) -> str:
    """Text safe inside any quoted string the described files hold (TOML, Dockerfile)."""
    return re.sub(r"[\"\\$`]", "", text)


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
    """The README with the paragraph about the data replaced and no demo `generate` stage."""
    pattern = re.compile(rf"{re.escape(ABOUT_START)}\n.*?{re.escape(ABOUT_END)}", re.DOTALL)
    text = pattern.sub(lambda _: f"{ABOUT_START}\n{paragraph}\n{ABOUT_END}", text, count=1)
    return re.sub(r"(?m)^\| `generate` \|.*\n", "", text, count=1)
