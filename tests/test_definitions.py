"""The Dagster code location: what `dagster dev` and the nightly schedule load."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import dagster as dg
import pytest

from ledgerlens.contract import TABLES

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def defs() -> dg.Definitions:
    from orchestration.definitions import build_definitions

    return build_definitions()


def test_importing_the_code_location_parses_nothing_and_sets_no_environment():
    """Definitions are built on demand: importing the modules must not run dbt or write
    the environment (a fresh interpreter, so nothing is cached)."""
    code = (
        "import os, sys; before = dict(os.environ);"
        "import orchestration.definitions, orchestration.resources, orchestration.run;"
        "import orchestration.project, orchestration.checks;"
        "assert dict(os.environ) == before, set(os.environ) ^ set(before);"
        "assert 'dbt.cli.main' not in sys.modules, 'dbt was imported';"
        "from orchestration.definitions import defs;"
        "assert not isinstance(defs, __import__('dagster').Definitions);"
        "print('lazy')"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "lazy"


def test_definitions_load_with_every_asset_and_check(defs):
    from orchestration.definitions import JOB_NAME

    keys = {key.to_user_string() for key in defs.resolve_all_asset_keys()}
    for table in TABLES:
        assert f"raw/{table.name}" in keys
        assert f"quarantine/{table.name}" in keys
        assert f"staging/stg_{table.name}" in keys
    assert "marts/customer_sheet" in keys
    assert "intermediate/int_sales_events_unioned" in keys
    check_keys = {str(key) for key in defs.resolve_asset_graph().asset_check_keys}
    assert any("customer_sheet" in key and "unique_combination" in key for key in check_keys)
    assert any("no_rows_quarantined" in key for key in check_keys)
    # Receivables: the Python risk asset, and the integrity tests as checks of their marts.
    assert "intermediate/invoice_risk_scores" in keys
    assert "marts/open_invoice_risk" in keys and "marts/cash_forecast" in keys
    assert any("ar_aging" in key and "assert_ar_aging_ties" in key for key in check_keys)
    assert defs.resolve_job_def(JOB_NAME) is not None


def test_assets_are_grouped_by_layer(defs):
    """The UI's asset groups are the warehouse's layers: each asset sits in the group named
    after its schema, the first part of its key (the seeds dbt writes to marts are marts)."""
    nodes = list(defs.resolve_asset_graph().asset_nodes)
    assert {node.group_name for node in nodes} == {
        "raw",
        "quarantine",
        "staging",
        "intermediate",
        "marts",
    }
    for node in nodes:
        assert node.group_name == node.key.path[0], node.key


def test_staging_depends_on_the_load_assets(defs):
    graph = defs.resolve_asset_graph()
    parents = graph.get(dg.AssetKey(["staging", "stg_invoice_lines"])).parent_keys
    assert dg.AssetKey(["raw", "invoice_lines"]) in parents
    assert dg.AssetKey(["raw", "invoices"]) in parents


def test_nightly_schedule_time_and_timezone_come_from_the_environment():
    code = (
        "from orchestration.definitions import defs;"
        "s = defs().resolve_schedule_def('nightly');"
        "print(s.cron_schedule, s.execution_timezone)"
    )
    env = {
        **os.environ,
        "LEDGERLENS_NIGHTLY_CRON": "30 5 * * 1-5",
        "LEDGERLENS_TIMEZONE": "Europe/Berlin",
    }
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip().splitlines()[-1] == "30 5 * * 1-5 Europe/Berlin"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
def test_dagster_dev_serves_the_asset_graph(tmp_path):
    """Start the real `dagster dev` on 127.0.0.1 and ask its GraphQL API for the assets."""
    port = _free_port()
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path)}
    dagster = Path(sys.executable).parent / "dagster"
    process = subprocess.Popen(
        [str(dagster), "dev", "-h", "127.0.0.1", "-p", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    query = json.dumps({"query": "{ assetNodes { assetKey { path } } }"}).encode()
    paths: set[str] = set()
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not paths:
            time.sleep(2)
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/graphql",
                data=query,
                headers={"Content-Type": "application/json"},
            )
            try:
                with urllib.request.urlopen(request, timeout=10) as response:
                    body = json.loads(response.read())
            except OSError:
                continue
            nodes = (body.get("data") or {}).get("assetNodes") or []
            paths = {"/".join(node["assetKey"]["path"]) for node in nodes}
    finally:
        os.killpg(process.pid, 15)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            # Shutting down is not what this test is about: on a loaded two-core machine
            # dagster dev's processes took more than 30 s to stop after SIGTERM.
            os.killpg(process.pid, 9)
            process.wait(timeout=30)
    assert "marts/customer_sheet" in paths
    assert "raw/invoices" in paths


def test_risk_model_runs_between_the_dbt_models_it_reads_and_those_reading_it(defs):
    graph = defs.resolve_asset_graph()
    scores = dg.AssetKey(["intermediate", "invoice_risk_scores"])
    assert {
        dg.AssetKey(["intermediate", "int_invoices_risk_featured"]),
        # The payment history the expected paid dates are drawn from.
        dg.AssetKey(["intermediate", "int_payment_delays_counted"]),
    } <= graph.get(scores).parent_keys
    assert scores in graph.get(dg.AssetKey(["marts", "open_invoice_risk"])).parent_keys


def test_the_library_never_imports_dagster_or_orchestration():
    """Imports run one way, cli -> orchestration -> library: every library module imports
    in a fresh interpreter without pulling in Dagster or the orchestration package."""
    import pkgutil

    import ledgerlens

    modules = [
        info.name
        for info in pkgutil.walk_packages(ledgerlens.__path__, "ledgerlens.")
        if not info.name.startswith("ledgerlens.cli")
    ]
    assert "ledgerlens.demo" in modules and "ledgerlens.risk" in modules
    code = (
        "import importlib, sys;"
        f"[importlib.import_module(name) for name in {modules!r}];"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('dagster', 'orchestration'));"
        "print(bad)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"
