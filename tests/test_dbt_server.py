"""dbt forked from a server (orchestration/dbt_server.py) behaves as dbt in a process of its
own: same output, same exit code, and it dies with its caller."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from orchestration import dbt_server

ROOT = Path(__file__).resolve().parent.parent


def _dbt(arguments: list[str], server: str | None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != dbt_server.SERVER_ENV}
    if server:
        env[dbt_server.SERVER_ENV] = server
    return subprocess.run(
        [sys.executable, "-m", "orchestration.dbt_main", *arguments],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def test_forked_dbt_prints_and_exits_as_dbt_does(tmp_path: Path) -> None:
    process, path = dbt_server.start()
    try:
        printed = {}
        for arguments, code in ((["--version"], 0), (["no-such-command"], 2)):
            alone, forked = _dbt(arguments, None), _dbt(arguments, path)
            assert (alone.returncode, forked.returncode) == (code, code), forked.stderr
            assert forked.stdout == alone.stdout
            assert forked.stderr == alone.stderr
            printed[arguments[0]] = alone.stdout
        assert "Core:" in printed["--version"]
        # A server that does not answer: dbt runs in the caller, as without one.
        gone = _dbt(["--version"], str(tmp_path / "no-socket"))
        assert gone.returncode == 0 and gone.stdout == printed["--version"]
    finally:
        dbt_server.stop(process, path)


def _live_children(pid: int) -> list[int]:
    alive = []
    for child in _children(pid):
        with contextlib.suppress(OSError):
            if Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z":
                alive.append(child)
    return alive


def _start_parse(path: str, folder: Path) -> subprocess.Popen:
    """`dbt parse` of the whole project without a saved state (seconds of work), through
    the server at `path`."""
    env = {**os.environ, dbt_server.SERVER_ENV: path, "DBT_TARGET_PATH": str(folder)}
    env |= {"LEDGERLENS_WAREHOUSE": str(folder / "w.duckdb")}
    env |= {"LEDGERLENS_DUCKDB_MEMORY_LIMIT": "1GB", "LEDGERLENS_TARGET": "duckdb"}
    return subprocess.Popen(
        [sys.executable, "-m", "orchestration.dbt_main", "parse", "--no-partial-parse"]
        + ["--profiles-dir", "profiles"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _wait(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGINT])
def test_a_killed_or_interrupted_caller_leaves_no_dbt_behind(tmp_path: Path, signum) -> None:
    """SIGKILL: the child sees its caller gone and ends. SIGINT (how dagster-dbt cancels
    dbt): the caller forwards it, dbt handles its interrupt, the caller exits with dbt's
    code, not "ended without an exit code"."""
    process, path = dbt_server.start()
    try:
        caller = _start_parse(path, tmp_path)
        assert _wait(lambda: _live_children(process.pid), 60), "the server forked no dbt"
        caller.send_signal(signum)
        output, _ = caller.communicate(timeout=60)
        if signum == signal.SIGKILL:
            assert caller.returncode == -signal.SIGKILL
        else:
            assert caller.returncode not in (0, -signal.SIGINT), output
            assert "without an exit code" not in output
        assert _wait(lambda: not _live_children(process.pid), 10)
    finally:
        dbt_server.stop(process, path)
