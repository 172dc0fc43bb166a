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

# A conftest that puts one file first, as tests/conftest.py puts LONGEST_FIRST first.
CONFTEST = """
def pytest_collection_modifyitems(items):
    items.sort(key=lambda item: item.path.name != "test_long.py")
"""
TEST = """
import os

def test_{n}():
    with open(os.environ["ORDER_LOG"], "a") as log:
        log.write("{file}\\n")
"""


def _pytest_arguments() -> list[str]:
    """The arguments scripts/test.sh gives pytest (without the caller's "$@")."""
    (line,) = [
        line
        for line in (ROOT / "scripts" / "test.sh").read_text().splitlines()
        if line.startswith("python -m pytest ")
    ]
    return [word for word in shlex.split(line)[3:] if word != "$@"]


def test_the_test_command_keeps_the_conftest_order_of_files(tmp_path):
    # One long file of 1 test (like test_sql_lint.py) and a short one of 4 tests (like
    # test_fuzz.py's many): pytest-xdist 3 by default queues the file with more tests first.
    (tmp_path / "conftest.py").write_text(CONFTEST)
    (tmp_path / "test_long.py").write_text(TEST.format(n=0, file="test_long.py"))
    (tmp_path / "test_many.py").write_text(
        "".join(TEST.format(n=n, file="test_many.py") for n in range(4))
    )
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    log = tmp_path / "order.log"
    # One worker, so that the order it receives the files in is the order they run in.
    arguments = [*_pytest_arguments(), "-n", "1", "-p", "no:cacheprovider", "-q"]
    result = subprocess.run(
        [sys.executable, "-m", "pytest", *arguments],
        cwd=tmp_path,
        # Not this run's own xdist worker's settings, when the suite runs this test.
        env={
            **{k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")},
            "ORDER_LOG": str(log),
        },
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert log.read_text().splitlines() == ["test_long.py"] + ["test_many.py"] * 4
