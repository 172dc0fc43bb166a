"""The dbt project as Dagster sees it, and its manifest, parsed only when out of date.

Nothing here runs at import: `prepared_project()` parses on first use and caches.
"""

from __future__ import annotations

import functools
from pathlib import Path

from dagster_dbt import DbtProject

from orchestration.resources import Warehouse

REPO_ROOT = Path(__file__).resolve().parent.parent
PROFILES_DIR = REPO_ROOT / "profiles"

# Every file whose change can change the manifest.
PROJECT_INPUTS = ("dbt_project.yml", "profiles", "models", "macros", "seeds", "data-tests")


def _newest_input_mtime() -> float:
    newest = 0.0
    for name in PROJECT_INPUTS:
        path = REPO_ROOT / name
        files = [path] if path.is_file() else path.rglob("*") if path.exists() else []
        for file in files:
            newest = max(newest, file.stat().st_mtime)
    return newest


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
            project.preparer.prepare(project)
    return project
