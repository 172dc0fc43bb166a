"""dbt's own command line, as a run starts it (`python -m orchestration.dbt_main build ...`),
with one change: the folder of the DuckDB file is left out of dbt's partial-parse check.

dbt keeps its parse in `partial_parse.msgpack` and re-parses the whole project (about 13 s
of CPU) when a hash of the profile's connection info differs from the one stored there.
That hash includes the DuckDB `path`, and every run writes a build copy in its own side
files, so every new warehouse, and every test run, parsed the project from scratch. The
parse does not read the path: no model, macro or test reads `target.path`. What it does
read stays in the hash: the catalog name (`database`, which dbt-duckdb takes from the
file name and which every node's relation name carries), the schema, the DuckDB settings,
the vars and the project's files (dbt checks each file's checksum). So the path is
reduced to its file name for the check only; dbt connects to the full path as before.

Imports no Dagster: this is the dbt subprocess.
"""

from __future__ import annotations

import sys
from pathlib import PurePath

from dbt.parser.manifest import ManifestLoader

_build_manifest_state_check = ManifestLoader.build_manifest_state_check


def _state_check_without_folder(self: ManifestLoader):
    credentials = self.root_project.credentials
    path = getattr(credentials, "path", None)
    if not isinstance(path, str) or path == ":memory:" or "://" in path:
        return _build_manifest_state_check(self)
    credentials.path = PurePath(path).name
    try:
        return _build_manifest_state_check(self)
    finally:
        credentials.path = path


ManifestLoader.build_manifest_state_check = _state_check_without_folder


def main() -> None:
    from dbt.cli.main import cli

    sys.exit(cli())


if __name__ == "__main__":
    main()
