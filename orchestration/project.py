"""The dbt project as Dagster sees it."""

from __future__ import annotations

from pathlib import Path

from dagster_dbt import DbtProject

REPO_ROOT = Path(__file__).resolve().parent.parent

dbt_project = DbtProject(project_dir=REPO_ROOT, profiles_dir=REPO_ROOT / "profiles")


PROJECT_INPUTS = ("dbt_project.yml", "profiles", "models", "macros", "seeds", "data-tests")


def _newest_input_mtime() -> float:
    newest = 0.0
    for name in PROJECT_INPUTS:
        path = REPO_ROOT / name
        files = [path] if path.is_file() else path.rglob("*") if path.exists() else []
        for file in files:
            newest = max(newest, file.stat().st_mtime)
    return newest


def ensure_manifest() -> Path:
    """Parse the dbt project unless the manifest is newer than every project file.

    `dagster dev` re-parses on every start (prepare_if_dev); the CLI and the tests call
    this so that they always run the models on disk, without paying for a parse (about
    ten seconds of dbt start-up) when nothing changed.
    """
    manifest = dbt_project.manifest_path
    if not manifest.exists() or manifest.stat().st_mtime < _newest_input_mtime():
        dbt_project.preparer.prepare(dbt_project)
    return manifest


dbt_project.prepare_if_dev()
ensure_manifest()
