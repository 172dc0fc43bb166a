"""The test command (scripts/test.sh) hands the files to its workers in tests/conftest.py's
order, the longest files first: a long file queued last keeps one worker busy after the
others have finished."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# The suite's own ordering and grouping hook (tests/conftest.py), in a project of its own.
CONFTEST = "from tests.conftest import pytest_collection_modifyitems  # noqa: F401\n"
TEST = """
import os

def test_{n}():
    with open(os.environ["ORDER_LOG"], "a") as log:
        log.write("{file} " + os.environ.get("PYTEST_XDIST_WORKER", "main") + "\\n")
"""


def _pytest_arguments() -> list[str]:
    """The arguments scripts/test.sh gives pytest in each step, without the step's
    selection and the caller's ("$@": the projects here have no marks)."""
    (line,) = [
        line.strip()
        for line in (ROOT / "scripts" / "test.sh").read_text().splitlines()
        if line.strip().startswith("python -m pytest ")
    ]
    command = line.split("||")[0]  # not what the script does with its exit status
    return [word for word in shlex.split(command)[3:] if not word.startswith("$")]


def _run(folder: Path, workers: int) -> list[tuple[str, str]]:
    """The test command's pytest on `folder` with `workers` workers: (file, worker) of each
    test, in the order they ran."""
    log = folder / "order.log"
    log.unlink(missing_ok=True)
    arguments = [*_pytest_arguments(), "-n", str(workers), "-p", "no:cacheprovider", "-q"]
    result = subprocess.run(
        [sys.executable, "-m", "pytest", *arguments],
        cwd=folder,
        # Not this run's own xdist worker's settings, when the suite runs this test.
        env={
            **{k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")},
            "ORDER_LOG": str(log),
            "PYTHONPATH": str(ROOT),
        },
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return [tuple(line.split()) for line in log.read_text().splitlines()]


def _project(folder: Path, files: dict[str, int]) -> Path:
    (folder / "conftest.py").write_text(CONFTEST)
    for name, tests in files.items():
        (folder / name).write_text("".join(TEST.format(n=n, file=name) for n in range(tests)))
    (folder / "pytest.ini").write_text("[pytest]\n")
    return folder


def test_the_test_command_keeps_the_conftest_order_of_files(tmp_path):
    # The longest file of one test (like test_sql_lint.py), a file of four and the file
    # of short tests spread last: pytest-xdist 3 by default queues the file with the
    # most tests first. One worker, so that the order it receives them in is the order
    # they run in.
    project = _project(tmp_path, {"test_a.py": 4, "test_spark.py": 1, "test_fuzz.py": 2})
    ran = [file for file, _ in _run(project, workers=1)]
    assert ran == ["test_spark.py"] + ["test_a.py"] * 4 + ["test_fuzz.py"] * 2


def test_a_file_runs_on_one_worker(tmp_path):
    # A file's module fixtures (a pipeline run) are made once only if all its tests run
    # on one worker: the conftest's scheduler keeps each file whole (test_fuzz.py's tests
    # go one by one, on whichever worker is free: not asserted, it depends on timing).
    files = {"test_a.py": 6, "test_b.py": 6, "test_fuzz.py": 8}
    workers_of: dict[str, set[str]] = {}
    for file, worker in _run(_project(tmp_path, files), workers=3):
        workers_of.setdefault(file, set()).add(worker)
    assert len(workers_of["test_a.py"]) == 1, workers_of
    assert len(workers_of["test_b.py"]) == 1, workers_of
