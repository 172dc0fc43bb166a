"""Which businesses a night must recompute (DECISIONLOG.md "Nightly runs that do only the
new work").

The export is read and validated in full every night (the contract); what is cheap to skip
is the modelling. After the loads, each business's rows in every raw table are reduced to a
fingerprint (row count and a sum of row hashes: independent of row order and of the line a
row sits on in the file). The fingerprints of the last published run live in the warehouse
(`raw.business_fingerprints`); a business whose fingerprints all match has the same books
and keeps its rows. The changed businesses are written to `raw.changed_businesses`, which
the dbt models read when they build (macros/business_scope.sql).

A night recomputes everything (a full refresh) when asked, on a warehouse without
fingerprints, when the run's settings (the dbt project's files, the vars such as as_of_date,
the target) differ from the last run's, or when a business has no "today" of its own and
borrows the latest of the others' (int_snapshot_dates_spined): then its rows depend on
other businesses' books.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import yaml

from ledgerlens.contract import TABLES
from ledgerlens.load import table_exists

FINGERPRINTS = "raw.business_fingerprints"
CHANGED = "raw.changed_businesses"
STATE = "raw.run_state"

# What a build is made of, as dbt_project.yml names the folders (dbt's defaults when it
# does not): a change in the models, macros or seeds is a change in every row, and a
# change in a data test is a change in the verdict on every row, which an incremental
# night would give the changed businesses alone (macros/business_scope.sql). Analyses
# and docs build nothing.
PROJECT_PATHS = {
    "model-paths": ["models"],
    "macro-paths": ["macros"],
    "seed-paths": ["seeds"],
    "test-paths": ["tests"],
    "snapshot-paths": ["snapshots"],
}
# What the Python models' scores are made of (a night may rescore only the changed
# businesses and keep the others' scores: orchestration.assets.scores): their modules
# and the libraries that fit them.
SCORING_MODULES = (
    "risk.py",
    "clv.py",
    "clv_models.py",
    "model_inputs.py",
    "dbt_vars.py",
    "engines/base.py",
    "engines/duck.py",
)
# DuckDB, dbt and Arrow too: they compute, order and convert what the models read.
SCORING_LIBRARIES = (
    "numpy",
    "scipy",
    "scikit-learn",
    "pyarrow",
    "duckdb",
    "dbt-core",
    "dbt-duckdb",
)


@dataclass
class NightPlan:
    full_refresh: bool
    reason: str
    businesses: int
    changed: list[str] = field(default_factory=list)

    def describe(self) -> str:
        if self.full_refresh:
            return f"full refresh of {self.businesses} businesses: {self.reason}"
        names = ", ".join(self.changed[:10]) + (" ..." if len(self.changed) > 10 else "")
        return f"incremental night: {len(self.changed)} of {self.businesses} businesses changed" + (
            f" ({names})" if names else ""
        )


def project_parts(root: Path) -> list[str]:
    """dbt_project.yml and the folders it builds from."""
    config = yaml.safe_load((root / "dbt_project.yml").read_text()) or {}
    parts = ["dbt_project.yml"]
    for key, default in PROJECT_PATHS.items():
        parts += [part for part in config.get(key, default) if part not in parts]
    return parts


def project_fingerprint(project_dir: str | Path) -> str:
    """A hash of the dbt project's files (names and contents)."""
    root = Path(project_dir)
    digest = hashlib.sha256()
    for part in project_parts(root):
        path = root / part
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            if file.exists():
                digest.update(str(file.relative_to(root)).encode() + b"\0")
                digest.update(file.read_bytes() + b"\0")
    return digest.hexdigest()


def scoring_fingerprint() -> str:
    """A hash of the Python models' code and of the versions of the libraries they fit
    with."""
    from importlib.metadata import version

    digest = hashlib.sha256()
    for name in SCORING_MODULES:
        digest.update(name.encode() + b"\0" + (Path(__file__).parent / name).read_bytes())
    for library in SCORING_LIBRARIES:
        digest.update(f"{library}=={version(library)}".encode() + b"\0")
    return digest.hexdigest()


def settings_fingerprint(project_dir: str | Path, target: str, dbt_vars: dict) -> str:
    key = json.dumps(
        [project_fingerprint(project_dir), scoring_fingerprint(), target, dbt_vars],
        sort_keys=True,
    )
    return hashlib.sha256(key.encode()).hexdigest()


def _fingerprint_sql() -> str:
    """One row per business and raw table: rows, and the sum of the rows' hashes over the
    contract's columns (the file and line a row came from are left out: a row that moves
    in the file is the same row)."""
    parts = []
    for table in TABLES:
        columns = ", ".join(f'"{name}"' for name in table.column_names)
        parts.append(
            f"select business_id, '{table.name}' as table_name, count(*) as row_count,"
            f" sum(hash({columns})::hugeint) as fingerprint"
            f" from raw.{table.name} group by business_id"
        )
    return "\nunion all\n".join(parts)


def _borrowing_today(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Businesses with no export_complete_to_date and no non-void sale: their as-of date
    is the latest of the other businesses' (int_snapshot_dates_spined)."""
    rows = con.execute(
        """
        select businesses.business_id
        from raw.businesses as businesses
        where businesses.export_complete_to_date is null
            and not exists (
                select 1 from raw.invoices as invoices
                where invoices.business_id = businesses.business_id
                    and invoices.status <> 'void'
            )
        order by 1
        """
    ).fetchall()
    return [row[0] for row in rows]


def plan_night(
    con: duckdb.DuckDBPyConnection,
    settings: str,
    full_refresh: bool = False,
    run_id: str = "",
) -> NightPlan:
    """Compare the loaded raw tables with the last run's fingerprints, record this night's
    (they are published with the warehouse, so a failed night is compared again), and say
    what the models must rebuild. `run_id`, the orchestrator's run, is recorded with the
    plan: the steps after dbt's first (`night_changes`) follow it within that run only."""
    con.execute(f"create or replace temp table _ll_fingerprints as {_fingerprint_sql()}")
    businesses = con.execute("select count(*) from raw.businesses").fetchone()[0]
    previous: dict[str, str] = {}
    if table_exists(con, STATE) and table_exists(con, FINGERPRINTS):
        previous = dict(con.execute(f"select key, value from {STATE}").fetchall())
    previous_settings = previous.get("settings")
    # The scores and the marts on them hold every business's rows as of the last run's
    # books only if that run scored (both models) and built the second dbt step whole:
    # a run of some steps (picked in the UI) publishes too, and leaves them behind.
    scores_current = bool(previous.get("run_id")) and (
        previous.get("scores_done") == previous.get("marts_done") == previous.get("run_id")
    )

    changed: list[str] = []
    reason = ""
    if full_refresh:
        reason = "asked for (--full-refresh)"
    elif previous_settings is None:
        reason = "the warehouse holds no fingerprints of a previous run"
    elif previous_settings != settings:
        reason = "the dbt project, its vars (as_of_date) or the target changed"
    elif borrowing := _borrowing_today(con):
        reason = f"{', '.join(borrowing)} has no as-of date of its own and takes the others'"
    else:
        changed = [
            row[0]
            for row in con.execute(
                f"""
                select distinct coalesce(now.business_id, before.business_id)
                from _ll_fingerprints as now
                full join {FINGERPRINTS} as before
                    on now.business_id = before.business_id
                    and now.table_name = before.table_name
                where now.business_id is null
                    or before.business_id is null
                    or now.row_count <> before.row_count
                    or now.fingerprint <> before.fingerprint
                order by 1
                """
            ).fetchall()
        ]

    con.execute("begin transaction")
    try:
        con.execute(f"create or replace table {FINGERPRINTS} as select * from _ll_fingerprints")
        con.execute(f"create or replace table {CHANGED} (business_id varchar)")
        if changed:
            con.executemany(f"insert into {CHANGED} values (?)", [[name] for name in changed])
        con.execute(f"create or replace table {STATE} (key varchar, value varchar)")
        con.execute(
            f"insert into {STATE} values ('settings', ?), ('mode', ?), ('run_id', ?),"
            " ('scores_may_narrow', ?)",
            [settings, "full" if reason else "incremental", run_id, str(scores_current)],
        )
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    con.execute("drop table _ll_fingerprints")
    return NightPlan(
        full_refresh=bool(reason), reason=reason, businesses=businesses, changed=changed
    )


def night_changes(con: duckdb.DuckDBPyConnection, run_id: str) -> list[str] | None:
    """The businesses this run's Python models may rescore alone: its incremental night's
    changed businesses (`plan_night`). None when the run planned no incremental night (a
    full night, a subset of the models, another run's plan, a warehouse without one), or
    when the last run did not score every business and build the marts on the scores
    whole (`record_scores`, `record_marts`): then every business is scored."""
    if not run_id or not table_exists(con, STATE) or not table_exists(con, CHANGED):
        return None
    state = dict(con.execute(f"select key, value from {STATE}").fetchall())
    if (
        state.get("run_id") != run_id
        or state.get("mode") != "incremental"
        or state.get("scores_may_narrow") != "True"
    ):
        return None
    rows = con.execute(f"select business_id from {CHANGED} order by 1").fetchall()
    return [row[0] for row in rows]


def _record(con: duckdb.DuckDBPyConnection, key: str, value: str) -> None:
    if not table_exists(con, STATE):  # the steps run without a plan: nothing to follow
        return
    con.execute("begin transaction")
    try:
        con.execute(f"delete from {STATE} where key = ?", [key])
        con.execute(f"insert into {STATE} values (?, ?)", [key, value])
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise


def record_scores(
    con: duckdb.DuckDBPyConnection, run_id: str, incremental: bool, complete: bool
) -> None:
    """Record whether this run's Python models rescored only the changed businesses (then
    the models on their scores build incrementally too: orchestration.assets.dbt), and,
    when both models ran (`complete`), that this run scored."""
    _record(con, "scores", f"{run_id}:{'incremental' if incremental else 'full'}")
    if complete:
        _record(con, "scores_done", run_id)


def record_marts(con: duckdb.DuckDBPyConnection, run_id: str) -> None:
    """Record that this run built dbt's second step (the marts on the scores) whole."""
    _record(con, "marts_done", run_id)


def scores_incremental(con: duckdb.DuckDBPyConnection, run_id: str) -> bool:
    """Whether this run's incremental night rescored only the changed businesses."""
    if night_changes(con, run_id) is None:
        return False
    row = con.execute(f"select value from {STATE} where key = 'scores'").fetchone()
    return row is not None and row[0] == f"{run_id}:incremental"
