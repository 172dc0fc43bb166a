"""The dbt project as Dagster sees it, and its manifest, parsed only when out of date.

Nothing here runs at import: `prepared_project()` parses on first use and caches.
"""

from __future__ import annotations

import functools
import importlib.metadata
import sys
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path

from dagster_dbt import DagsterDbtProjectPreparer, DbtCliResource, DbtProject
from packaging import version

from orchestration.resources import Warehouse

REPO_ROOT = Path(__file__).resolve().parent.parent
PROFILES_DIR = REPO_ROOT / "profiles"

# Every file whose change can change the manifest.
PROJECT_INPUTS = (
    "dbt_project.yml",
    "profiles",
    "models",
    "macros",
    "seeds",
    "data-tests",
    # How dbt is started: it decides what the parse state's profile check covers.
    "orchestration/dbt_main.py",
)


def _newest_input_mtime() -> float:
    newest = 0.0
    for name in PROJECT_INPUTS:
        path = REPO_ROOT / name
        files = [path] if path.is_file() else path.rglob("*") if path.exists() else []
        for file in files:
            newest = max(newest, file.stat().st_mtime)
    return newest


class LedgerlensDbt(DbtCliResource):
    """dagster-dbt's resource without two start-up costs we never use.

    - It asks the dbt executable for its version (`dbt --version`, a second dbt start-up
      of about 3 s) on every run: the installed dbt-core's version says the same.
    - Before each invocation it builds a dbt adapter in this process (about 3 s of dbt
      imports) to read column metadata and row counts; ledgerlens counts rows itself after
      dbt exits (`_row_counts`), because reading the DuckDB file while dbt writes it gave
      a stale catalog.
    """

    @cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(importlib.metadata.version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args: Sequence[str]):
        return None


def dbt_resource(project: DbtProject) -> LedgerlensDbt:
    # dbt as `python -m orchestration.dbt_main` with this Python (an unactivated venv has
    # no `dbt` on PATH): dbt's own CLI, with the warehouse's folder left out of its
    # partial-parse check, so that a new warehouse does not re-parse the whole project.
    # dbt's file log (`dbt.log` in the target folder, where dagster-dbt points when dbt
    # fails) at info, not its default debug: the debug log was 13 MB of JSON for one
    # build of the hand-made books, and a build at info cost 0.948 of the CPU (median of
    # 4 pairs, 23.7 against 25.0 CPU-s). The failing SQL's error and its compiled file
    # are info; every statement dbt sent is debug (`--log-level-file debug` by hand).
    # As plain text without colour codes, not JSON: dagster-dbt reads dbt's JSON events
    # from stdout, the benchmark reads the run's own log, and this file is for a person
    # reading why a build failed. The hand-made books' whole run cost 0.973 of the
    # CPU with the text file (median of 3 pairs, 66.7 against 68.3 CPU-s, 2026-12-03).
    return LedgerlensDbt(
        project_dir=project,
        profiles_dir=str(Path(project.project_dir) / "profiles"),
        dbt_executable=sys.executable,
        global_config_flags=[
            "-m",
            "orchestration.dbt_main",
            "--log-level-file",
            "info",
            "--log-format-file",
            "text",
            "--no-use-colors-file",
        ],
    )


class _Preparer(DagsterDbtProjectPreparer):
    """`dbt parse` with the dbt a run uses (`dbt_resource`) and without the start-up costs
    `LedgerlensDbt` skips."""

    def _prepare_manifest(self, project: DbtProject) -> None:
        dbt_resource(project).cli(
            self._prepare_project_cli_args, target_path=project.target_path
        ).wait()
        self._invalidate_seeds_in_partial_parse(project)


@functools.cache
def prepared_project() -> DbtProject:
    """The dbt project with a manifest newer than every project file.

    `dbt parse` (several seconds of dbt start-up) runs only when a project file changed
    since the last parse, so the CLI, the tests and `dagster dev` always see the models on
    disk without paying for a parse on every start. The profile needs a warehouse path to
    parse; the default one serves (parsing opens no database).
    """
    project = DbtProject(project_dir=REPO_ROOT, profiles_dir=PROFILES_DIR)
    manifest = project.manifest_path
    if not manifest.exists() or manifest.stat().st_mtime < _newest_input_mtime():
        with Warehouse().dbt_env():
            _Preparer().prepare(project)
    return project
