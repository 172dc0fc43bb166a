"""The dbt project as Dagster sees it."""

from __future__ import annotations

from pathlib import Path

from dagster_dbt import DbtProject

REPO_ROOT = Path(__file__).resolve().parent.parent

dbt_project = DbtProject(project_dir=REPO_ROOT, profiles_dir=REPO_ROOT / "profiles")


def ensure_manifest(force: bool = False) -> Path:
    """Parse the dbt project when asked to, or when no manifest exists yet.

    `dagster dev` re-parses on every start (prepare_if_dev); the CLI and the tests parse
    explicitly so that they always run the models on disk.
    """
    if force or not dbt_project.manifest_path.exists():
        dbt_project.preparer.prepare(dbt_project)
    return dbt_project.manifest_path


dbt_project.prepare_if_dev()
ensure_manifest()
