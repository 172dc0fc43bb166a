"""dbt forked from a server (orchestration/dbt_server.py) behaves as dbt in a process of its
own: same output, same exit code, and it dies with its caller."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

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


def test_a_killed_caller_leaves_no_dbt_behind(tmp_path: Path) -> None:
    process, path = dbt_server.start()
    try:
        # `dbt parse` of the whole project without its saved state: seconds of work.
        env = {**os.environ, dbt_server.SERVER_ENV: path, "DBT_TARGET_PATH": str(tmp_path)}
        env |= {"LEDGERLENS_WAREHOUSE": str(tmp_path / "w.duckdb")}
        env |= {"LEDGERLENS_DUCKDB_MEMORY_LIMIT": "1GB", "LEDGERLENS_TARGET": "duckdb"}
        caller = subprocess.Popen(
            [sys.executable, "-m", "orchestration.dbt_main", "parse", "--no-partial-parse"]
            + ["--profiles-dir", "profiles"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while not _children(process.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _children(process.pid), "the server forked no dbt"
        caller.send_signal(signal.SIGKILL)
        caller.wait()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            alive = [
                pid
                for pid in _children(process.pid)
                if Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
            ]
            if not alive:
                break
            time.sleep(0.05)
        assert alive == []
    finally:
        dbt_server.stop(process, path)
