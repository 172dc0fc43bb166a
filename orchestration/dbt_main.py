"""dbt's own command line, as a run starts it (`python -m orchestration.dbt_main build ...`),
with two changes that leave what dbt builds and writes as it was: the folder of the DuckDB
file is left out of dbt's partial-parse check, and a log line no logger writes is not
formatted (`written_lines_only`).

dbt keeps its parse in `partial_parse.msgpack` and re-parses the whole project (about 13 s
of CPU) when a hash of the profile's connection info differs from the one stored there.
That hash includes the DuckDB `path`, and every run writes a build copy in its own side
files, so every new warehouse, and every test run, parsed the project from scratch. The
parse does not read the path: no model, macro or test reads `target.path`. What it does
read stays in the hash: the catalog name (`database`, which dbt-duckdb takes from the
file name and which every node's relation name carries), the schema, the DuckDB settings,
the vars and the project's files (dbt checks each file's checksum). So the path is
reduced to its file name for the check only; dbt connects to the full path as before.

The `as_of_date` var is left out of the check for the same reason: a run passes it with
`--vars`, and dbt re-parsed the whole project for every new date (dbt's CPU in a
hand-made run as of a new date: 30-33 CPU-s before, 25-26 after). Only the SQL of
int_snapshot_dates_spined reads it (the as_of_date macros), which dbt renders when the
model compiles, with the run's vars, never from the parse: no ref, config or doc of the
project reads it. tests/test_dbt_vars.py parses the project with a date and checks that
the parse equals the project's parse without one. (A model of your own
whose refs or configs depend on `var('as_of_date')` would need a parse per date: set
`DBT_PARTIAL_PARSE=false` for its runs.)

Imports no Dagster: this is the dbt subprocess.
"""

from __future__ import annotations

import os
import sys
from pathlib import PurePath

from orchestration.dbt_server import SERVER_ENV, call


def _patch_state_check() -> None:
    from dbt.parser.manifest import ManifestLoader

    from ledgerlens.dbt_vars import parsed_vars

    if getattr(ManifestLoader.build_manifest_state_check, "_ledgerlens", False):
        return
    build_manifest_state_check = ManifestLoader.build_manifest_state_check

    def _state_check_without_folder(self: ManifestLoader):
        config = self.root_project
        credentials = config.credentials
        path = getattr(credentials, "path", None)
        cli_vars = config.cli_vars
        config.cli_vars = parsed_vars(cli_vars)
        keep_path = not isinstance(path, str) or path == ":memory:" or "://" in path
        if not keep_path:
            credentials.path = PurePath(path).name
        try:
            return build_manifest_state_check(self)
        finally:
            config.cli_vars = cli_vars
            if not keep_path:
                credentials.path = path

    _state_check_without_folder._ledgerlens = True
    ManifestLoader.build_manifest_state_check = _state_check_without_folder


def written_lines_only(write_line):
    """dbt's `_Logger.write_line`, formatting a log line only if the logger writes it.

    dbt fires an event for every statement it sends, every cache action and every step of a
    materialization, nearly all at debug level. Each of its loggers (stdout, and the file
    log) formats every event it is handed, as JSON or text with secrets scrubbed from it,
    and only then hands the line to a Python logger set to the logger's level, which drops
    it. A hand-made run's main build fired 6,355 events; each logger formatted 5,989 lines
    and wrote 458 (2026-12-04, cProfile: writing lines was 10 of 64 thread-seconds). Here
    a line is formatted only if the Python logger would write it, by the test
    `send_to_logger` leaves to that logger, on the same level, so what dbt writes is
    unchanged (tests/test_dbt_main.py writes every level to loggers of every level and
    format both ways).
    """
    import logging

    from dbt_common.events.logger import _is_print_event

    # send_to_logger's map from an event's level to the Python logger's method; a print
    # event goes out as an error. A level it does not know goes to dbt (which raises).
    numbers = {
        "test": logging.DEBUG,
        "debug": logging.DEBUG,
        "info": logging.INFO,
        "warn": logging.WARNING,
        "error": logging.ERROR,
    }

    def write_if_written(self, msg) -> None:
        python_logger = self._python_logger
        if python_logger is None:
            return  # dbt formats the line and writes it nowhere
        if not _is_print_event(msg):
            number = numbers.get(msg.info.level)
            if number is not None and not python_logger.isEnabledFor(number):
                return
        write_line(self, msg)

    write_if_written.__wrapped__ = write_line
    return write_if_written


def _patch_log_lines() -> None:
    from dbt_common.events.logger import _Logger

    if not hasattr(_Logger.write_line, "__wrapped__"):
        _Logger.write_line = written_lines_only(_Logger.write_line)


def patch_dbt() -> None:
    """This module's changes to dbt, applied once in a process."""
    _patch_state_check()
    _patch_log_lines()


def run_dbt(prog_name: str | None = None) -> None:
    """dbt's CLI on sys.argv, in this process; exits with dbt's code."""
    patch_dbt()  # once: a server's children find it applied by the server
    from dbt.cli.main import cli

    sys.exit(cli(prog_name=prog_name))


def main() -> None:
    # A dbt server (orchestration/dbt_server.py) forks dbt from a process that imported
    # it already; without one, or when it does not answer, dbt runs here.
    server = os.environ.get(SERVER_ENV)
    code = call(server, sys.argv[1:]) if server else None
    if code is not None:
        sys.exit(code)
    run_dbt()


if __name__ == "__main__":
    main()
