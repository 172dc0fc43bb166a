"""The same dbt project on a real PostgreSQL server, started by the test."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from decimal import Decimal
from pathlib import Path

import pytest

from tests.conftest import query
from tests.test_customer_sheet import EXPECTED

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def postgres():
    """A throw-away PostgreSQL cluster on 127.0.0.1, trust auth, stopped afterwards."""
    bindirs = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
    assert bindirs, "PostgreSQL server binaries missing: apt-get install postgresql"
    bindir = Path(bindirs[-1])
    home = Path(tempfile.mkdtemp(prefix="ledgerlens-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:  # initdb refuses to run as root
        home.chmod(0o755)
        shutil.chown(home, "postgres", "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    data, port = home / "data", _free_port()
    subprocess.run(
        [*as_user, bindir / "initdb", "-D", data, "-U", "ledgerlens", "--auth=trust", "-E", "UTF8"],
        check=True,
        capture_output=True,
    )
    options = f"-p {port} -k {home} -c listen_addresses=127.0.0.1 -c fsync=off"
    subprocess.run(
        [*as_user, bindir / "pg_ctl", "-D", data, "-o", options, "-l", home / "log", "-w", "start"],
        check=True,
        capture_output=True,
    )
    try:
        yield {"host": "127.0.0.1", "port": port, "user": "ledgerlens", "dbname": "postgres"}
    finally:
        subprocess.run([*as_user, bindir / "pg_ctl", "-D", data, "-m", "fast", "stop"], check=False)
        shutil.rmtree(home, ignore_errors=True)


RETENTION_MARTS = {
    "revenue_retention": "business_id, period_grain, period_end_date",
    "revenue_movements": "business_id, month_end_date, customer_id",
    "cohorts": "business_id, cohort_grain, cohort_start_date, period_offset",
    "concentration": "business_id, month_end_date",
}


def test_dbt_project_builds_on_postgres_with_the_same_numbers(postgres, handmade_run, tmp_path):
    import psycopg2

    from ledgerlens.publish import publish_to_postgres

    _, warehouse = handmade_run
    copied = publish_to_postgres(warehouse, **postgres)
    assert copied["raw.invoices"] == 8 and copied["quarantine.invoices"] == 1
    # The Python risk scores (a dbt source) go along, so the marts reading them build too.
    # acme I2 and I7 are open; euro's I1 too, as of euro's own date 2024-04-10
    assert copied["intermediate.invoice_risk_scores"] == 3

    env = {
        **os.environ,
        "LEDGERLENS_TARGET": "postgres",
        "LEDGERLENS_PG_HOST": postgres["host"],
        "LEDGERLENS_PG_PORT": str(postgres["port"]),
        "LEDGERLENS_PG_USER": postgres["user"],
        "LEDGERLENS_PG_DATABASE": postgres["dbname"],
    }
    dbt = Path(sys.executable).parent / "dbt"
    build = subprocess.run(
        [
            str(dbt),
            "build",
            "--profiles-dir",
            "profiles",
            "--target-path",
            str(tmp_path / "target"),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert build.returncode == 0, build.stdout[-4000:]
    assert "ERROR=0" in build.stdout

    with psycopg2.connect(**postgres) as pg, pg.cursor() as cursor:
        cursor.execute(
            "select business_id, customer_id, ltv, purchases, first_purchase_date::text,"
            " last_purchase_date::text from marts.customer_sheet"
        )
        sheet = {(row[0], row[1]): tuple(row[2:]) for row in cursor.fetchall()}
        cursor.execute(
            "select business_id, customer_id, open_balance_home, current_home,"
            " past_due_61_90_home from marts.ar_aging"
        )
        aging = {(row[0], row[1]): tuple(row[2:]) for row in cursor.fetchall()}
        cursor.execute("select count(*) from marts.open_invoice_risk")
        risk_rows = cursor.fetchone()[0]
        cursor.execute("select count(*) from marts.cash_forecast")
        forecast_rows = cursor.fetchone()[0]
        cursor.execute(
            "select table_schema from information_schema.tables where table_name = 'customer_sheet'"
        )
        schemas = {row[0] for row in cursor.fetchall()}
        retention_pg = {}
        for mart, order in RETENTION_MARTS.items():
            cursor.execute(f"select * from marts.{mart} order by {order}")
            retention_pg[mart] = cursor.fetchall()
    retention_duckdb = {
        mart: [
            tuple(row) for row in query(warehouse, f"select * from marts.{mart} order by {order}")
        ]
        for mart, order in RETENTION_MARTS.items()
    }
    # Retention, movements, cohorts and concentration: every row and column the same.
    assert all(retention_duckdb[mart] for mart in RETENTION_MARTS)
    assert retention_pg == retention_duckdb
    assert sheet == EXPECTED
    # acme as of 2024-07-01: C1 owes I2 540.00, due 04-04 (88 days past due); C2 owes I7
    # 108.00, due 07-16 (not yet due); C3 holds 56.00 CAD x 0.735 = 41.16 unapplied credit.
    # euro as of its own latest invoice, 2024-04-10: I1 595.00 is paid only on 04-20, and
    # due 04-24 (not yet due).
    assert aging == {
        ("acme", "C1"): (Decimal("540.00"), Decimal("0.00"), Decimal("540.00")),
        ("acme", "C2"): (Decimal("108.00"), Decimal("108.00"), Decimal("0.00")),
        ("acme", "C3"): (Decimal("0.00"), Decimal("0.00"), Decimal("0.00")),
        ("euro", "C1"): (Decimal("595.00"), Decimal("595.00"), Decimal("0.00")),
    }
    # open: acme I2 and I7, euro I1; two businesses x 13 weeks
    assert risk_rows == 3 and forecast_rows == 2 * 13
    assert all(isinstance(value[0], Decimal) for value in sheet.values())
    assert schemas == {"marts"}


def test_dbt_source_tests_catch_a_repeated_key_on_postgres(postgres, handmade_run, tmp_path):
    """On a PostgreSQL target the keys of raw tables are dbt's to check, as on DuckDB
    (GX checks no key: DECISIONLOG.md, 2026-12-01)."""
    import json

    import psycopg2

    from ledgerlens.publish import publish_to_postgres

    _, warehouse = handmade_run
    publish_to_postgres(warehouse, **postgres)
    # I1's first line again, written straight into PostgreSQL.
    with psycopg2.connect(**postgres) as pg, pg.cursor() as cursor:
        cursor.execute(
            "insert into raw.invoice_lines select * from raw.invoice_lines"
            " where business_id = 'acme' and invoice_id = 'I1' and line_number = 1"
        )
    unique = (
        "source_unique_combination_of_columns"
        "_raw_invoice_lines_business_id__invoice_id__line_number"
    )
    env = {
        **os.environ,
        "LEDGERLENS_TARGET": "postgres",
        "LEDGERLENS_PG_HOST": postgres["host"],
        "LEDGERLENS_PG_PORT": str(postgres["port"]),
        "LEDGERLENS_PG_USER": postgres["user"],
        "LEDGERLENS_PG_DATABASE": postgres["dbname"],
    }
    dbt = Path(sys.executable).parent / "dbt"
    target = tmp_path / "target"
    run = subprocess.run(
        [
            str(dbt),
            "test",
            "--select",
            unique,
            "--profiles-dir",
            "profiles",
            "--target-path",
            str(target),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    [result] = json.loads((target / "run_results.json").read_text())["results"]
    assert (result["unique_id"].split(".")[2], result["status"]) == (unique, "fail"), run.stdout
    assert result["failures"] == 1  # one key, on two rows
