"""dbt's unit tests (the `unit_tests:` beside the models they test) run here, once, rather
than in every pipeline run: they check the models' SQL on fixed inputs, not the books."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow


def test_every_dbt_unit_test_passes(handmade_run, tmp_path):
    # The unit tests read the columns of the models they mock from the warehouse: a copy
    # of the hand-made run's, so the shared one is not written.
    _, warehouse = handmade_run
    copy = tmp_path / "ledgerlens.duckdb"
    shutil.copyfile(warehouse, copy)
    target = tmp_path / "target"
    env = {
        **os.environ,
        "LEDGERLENS_TARGET": "duckdb",
        "LEDGERLENS_WAREHOUSE": str(copy),
        "LEDGERLENS_DUCKDB_MEMORY_LIMIT": "1GB",
        "DBT_TARGET_PATH": str(target),
        "DBT_LOG_PATH": str(target),
    }
    dbt = Path(sys.executable).parent / "dbt"
    result = subprocess.run(
        [str(dbt), "test", "--select", "test_type:unit", "--profiles-dir", "profiles"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    results = json.loads((target / "run_results.json").read_text())["results"]
    manifest = json.loads((target / "manifest.json").read_text())
    unit_tests = set(manifest["unit_tests"])
    assert len(unit_tests) >= 20
    assert {r["unique_id"] for r in results} == unit_tests
    assert {r["status"] for r in results} == {"pass"}
