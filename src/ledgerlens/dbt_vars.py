"""The dbt project's vars, for the Python that applies the same rules as the SQL.

Thresholds live in the `vars:` of `dbt_project.yml` (STYLE.md, "Python"); Python reads
them here and never copies a value. A run may override vars as dbt's `--vars` does:
pass the same mapping (or YAML text) as `overrides`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import yaml

PROJECT_FILE = Path(__file__).resolve().parents[2] / "dbt_project.yml"

# The vars a run passes that dbt's parse never reads: only SQL a model renders when it
# compiles does (the as_of_date macros). The run's dbt (orchestration/dbt_main.py) leaves
# them out of its partial-parse check, so a new date does not re-parse the project;
# tests/test_dbt_vars.py checks that a parse with a date equals one without.
COMPILE_TIME_VARS = ("as_of_date",)


def parsed_vars(run_vars: Mapping[str, object]) -> dict[str, object]:
    """The run's vars that dbt's parse reads: all but COMPILE_TIME_VARS."""
    return {name: value for name, value in run_vars.items() if name not in COMPILE_TIME_VARS}


class MissingVarError(LookupError):
    """A var the code needs is neither in dbt_project.yml nor in the run's overrides."""


class DbtVars(dict):
    """The vars of one run: `dbt_project.yml`'s, then the run's overrides on top."""

    def __missing__(self, name: str):
        raise MissingVarError(
            f"dbt var '{name}' is not set: add it to the vars of {PROJECT_FILE}"
            f" (or pass it in the run's --vars); set there: {', '.join(sorted(self))}"
        )


def load(overrides: Mapping[str, object] | str | None = None) -> DbtVars:
    """The project's vars with `overrides` (a mapping, or YAML/JSON text as given to
    dbt's `--vars`) on top. Values are plain YAML: a var written as Jinja is an error."""
    project = yaml.safe_load(PROJECT_FILE.read_text()) or {}
    values = dict(project.get("vars") or {})
    if isinstance(overrides, str):
        overrides = yaml.safe_load(overrides) or {}
    values.update(overrides or {})
    templated = sorted(
        name for name, value in values.items() if isinstance(value, str) and "{{" in value
    )
    if templated:
        raise ValueError(
            f"dbt var(s) {', '.join(templated)} in {PROJECT_FILE} are Jinja, which only dbt"
            " renders: write the value itself"
        )
    return DbtVars(values)
