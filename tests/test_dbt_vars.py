"""ledgerlens.dbt_vars: Python reads the thresholds dbt uses, never a copy of them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from orchestration.project import prepared_project

from ledgerlens import dbt_vars
from tests.conftest import query, run_dbt

ROOT = Path(__file__).resolve().parent.parent


def test_overrides_win_as_dbt_run_vars_do():
    project = dbt_vars.load()
    run = dbt_vars.load({"late_days_beyond_terms": 30})
    assert run["late_days_beyond_terms"] == 30
    # The rest stays the project's.
    assert run["risk_band_bounds"] == project["risk_band_bounds"]
    # As text, the way `dbt --vars` takes them.
    assert dbt_vars.load("{risk_band_bounds: [0.1, 0.6]}")["risk_band_bounds"] == [0.1, 0.6]


def test_a_missing_var_names_itself_and_the_file():
    with pytest.raises(dbt_vars.MissingVarError, match="'no_such_var' is not set.*dbt_project.yml"):
        dbt_vars.load()["no_such_var"]


def test_a_jinja_value_is_refused_not_compared_as_text():
    with pytest.raises(ValueError, match="late_days_beyond_terms.*Jinja"):
        dbt_vars.load({"late_days_beyond_terms": "{{ env_var('LATE_DAYS') }}"})


def test_python_reads_the_values_dbt_built_with(handmade_run):
    """The run's SQL rendered the same vars: the late threshold behind "already late"
    at every snapshot, and the risk band of each open invoice."""
    _, warehouse = handmade_run
    run_vars = dbt_vars.load()
    late_days = run_vars["late_days_beyond_terms"]
    snapshots = query(
        warehouse,
        "select days_past_due, is_already_late from intermediate.int_invoices_risk_featured",
    )
    assert {is_late for _, is_late in snapshots} == {True, False}
    # Open at the end of the snapshot date: paid days_past_due + 1 days after due at the
    # earliest, late when that is more than late_days.
    assert all(is_late == (days + 1 > late_days) for days, is_late in snapshots)
    medium, high = run_vars["risk_band_bounds"]
    bands = query(warehouse, "select late_probability, risk_band from marts.open_invoice_risk")
    assert bands  # acme I2 and I7 are open
    for probability, band in bands:
        expected = "high" if probability >= high else "medium" if probability >= medium else "low"
        assert band == expected


def _parsed(manifest: dict) -> dict:
    """A manifest without what differs between any two parses (when, by which call)."""
    parsed = {section: value for section, value in manifest.items() if section != "metadata"}
    for section in parsed.values():
        for node in section.values() if isinstance(section, dict) else ():
            if isinstance(node, dict):
                node.pop("created_at", None)
    return parsed


@pytest.mark.slow
def test_the_parse_does_not_read_as_of_date(tmp_path):
    """A run's dbt leaves the as_of_date var out of its partial-parse check
    (orchestration/dbt_main.py, ledgerlens.dbt_vars.COMPILE_TIME_VARS): a run as of a new
    date reuses the parse of another date. Safe only while no ref, config or doc reads
    the var: a whole parse with a date equals the project's parse without one, node for
    node (a model that read it there would differ in its refs, config or text)."""
    assert dbt_vars.COMPILE_TIME_VARS == ("as_of_date",)
    undated = json.loads(prepared_project().manifest_path.read_text())
    # The same catalog name as the project's parse: every node's relation carries it.
    (catalog,) = {node["database"] for node in undated["nodes"].values() if "database" in node}
    env = os.environ | {
        "LEDGERLENS_TARGET": "duckdb",
        "LEDGERLENS_WAREHOUSE": str(tmp_path / f"{catalog}.duckdb"),
        "LEDGERLENS_DUCKDB_MEMORY_LIMIT": "1GB",
    }
    target = tmp_path / "target"
    subprocess.run(
        [sys.executable, "-m", "orchestration.dbt_main", "parse", "--no-partial-parse"]
        + ["--vars", "{as_of_date: 2031-02-28}", "--profiles-dir", "profiles"]
        + ["--target-path", str(target)],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=600,
    )
    dated = json.loads((target / "manifest.json").read_text())
    assert len(dated["nodes"]) > 200
    assert _parsed(dated) == _parsed(undated)


@pytest.mark.slow
def test_a_half_life_too_short_for_the_history_is_refused_when_compiling(tmp_path):
    """The recency weights are read from running totals relative to each business's
    oldest reading point (macros/customer_sales_readings.sql); a double holds them while
    the points span fewer than 1,000 half-lives. The span with the project's vars: two
    years (730 days) before the oldest snapshot, segment_history_months 24 and
    segment_lookback_months 3 month ends before the as-of date, counted at 31 days with
    the as-of date's own month: 730 + 31 x 28 = 1,598 days, so a 1-day half-life is
    refused and a 2-day one compiles."""
    run_vars = dbt_vars.load()
    assert (run_vars["segment_history_months"], run_vars["segment_lookback_months"]) == (24, 3)
    refused = run_dbt(
        tmp_path / "ledgerlens.duckdb",
        tmp_path / "refused",
        "compile",
        "--select",
        "int_customers_rhythm_measured",
        "--vars",
        "{recency_weight_half_life_days: 1}",
        must_pass=False,
    )
    assert refused.returncode != 0
    assert "recency_weight_half_life_days is 1: it must be at least 1598 / 1000" in (
        refused.stdout + refused.stderr
    )
    run_dbt(
        tmp_path / "ledgerlens.duckdb",
        tmp_path / "accepted",
        "compile",
        "--select",
        "int_customers_rhythm_measured",
        "--vars",
        "{recency_weight_half_life_days: 2}",
    )
