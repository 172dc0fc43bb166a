"""`generate(..., messy=True)`: every bad row the generator writes lands in quarantine with
its rule, and nothing else does except the rows that fall with a quarantined parent.

The bad rows are found without the generator's list (`truth/messy_rows.csv`): the same
seed is generated clean and messy, and the lines of the messy files that the clean files
do not hold are the bad ones. The loader is the real one, on a real DuckDB file.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import duckdb
import pytest

from ledgerlens.contract import TABLES, TABLES_BY_NAME, load_order
from ledgerlens.demo import generate
from ledgerlens.load import load_table

LINES = 20_000
# Every rule the loader quarantines a row for (src/ledgerlens/load.py).
LOADER_RULES = {
    "missing_value",
    "not_a_date",
    "not_a_number",
    "too_many_decimals",
    "out_of_range",
    "not_a_currency_code",
    "not_accepted_value",
    "below_minimum",
    "above_maximum",
    "conflicting_duplicate_key",
    "duplicate_row",
    "unknown_business",
    "unknown_customer",
    "unknown_invoice",
    "unknown_payment",
    "customer_mismatch",
    "currency_mismatch",
    "malformed_row",
}


def _lines(path: Path) -> list[str]:
    """Data lines of a CSV file; element i is file line i + 2 (the header is line 1)."""
    return path.read_text(encoding="utf-8").split("\n")[1:-1]


@pytest.fixture(scope="module")
def loaded(tmp_path_factory) -> tuple[Path, duckdb.DuckDBPyConnection, dict[str, int]]:
    root = tmp_path_factory.mktemp("messy")
    generate(root / "clean", seed=7, lines=LINES)
    counts = generate(root / "messy", seed=7, lines=LINES, messy=True)
    con = duckdb.connect(str(root / "w.duckdb"))
    for table in load_order():
        load_table(con, table, root / "messy")
    return root, con, counts


def _quarantine(con, table: str) -> dict[int, tuple[str, str]]:
    """source_row -> (rule, the raw line as written)."""
    columns = TABLES_BY_NAME[table].column_names
    rows = con.execute(
        f"select source_row, rule, raw_line, {', '.join(columns)} from quarantine.{table}"
    ).fetchall()
    return {
        row[0]: (row[1], row[2] if row[2] is not None else ",".join(v or "" for v in row[3:]))
        for row in rows
    }


def test_the_clean_rows_are_untouched_and_the_bad_ones_few(loaded):
    root, _, counts = loaded
    for table in TABLES:
        clean = Counter(_lines(root / "clean" / f"{table.name}.csv"))
        messy = _lines(root / "messy" / f"{table.name}.csv")
        assert len(messy) == counts[table.name]
        # A bad row replaces a clean one or is inserted: the rest are the clean rows.
        replaced = clean - Counter(messy)
        assert sum((Counter(messy) - clean).values()) >= sum(replaced.values())
        # A few per mille of a big table (at least one row per rule in a small one).
        if table.name in ("invoices", "invoice_lines", "payments", "payment_allocations"):
            assert sum((Counter(messy) - clean).values()) <= 0.005 * len(messy)


def test_each_bad_row_lands_in_quarantine_with_its_rule(loaded):
    root, con, _ = loaded
    listed: dict[str, dict[int, str]] = {}
    for row in con.execute(
        f"select * from read_csv('{root}/messy/truth/messy_rows.csv', all_varchar = true)"
    ).fetchall():
        listed.setdefault(row[0], {})[int(row[1])] = row[2]
    rules_seen: Counter = Counter()
    for table in TABLES:
        clean = Counter(_lines(root / "clean" / f"{table.name}.csv"))
        messy = _lines(root / "messy" / f"{table.name}.csv")
        extra = Counter(messy) - clean  # changed or inserted lines, as text
        # The bad lines: of k extra copies of a text, the last k (a repeat comes after
        # its original; a changed line is unique).
        bad: set[int] = set()
        seen: Counter = Counter()
        total = Counter(messy)
        for number, text in enumerate(messy, start=2):
            seen[text] += 1
            if text in extra and seen[text] > total[text] - extra[text]:
                bad.add(number)
        quarantine = _quarantine(con, table.name)
        mine = listed.get(table.name, {})
        # 1. Every bad line is quarantined, as written, under the rule the list gives.
        for number in bad:
            assert number in quarantine, (table.name, number, messy[number - 2])
            rule, text = quarantine[number]
            assert text == messy[number - 2] or rule == "malformed_row"
            assert mine.get(number) == rule, (table.name, number, rule, mine.get(number))
        # 2. The list holds nothing else but the first row of each conflicting key
        # (unchanged, quarantined with its conflicting copy).
        originals = set(mine) - bad
        assert all(mine[n] == "conflicting_duplicate_key" for n in originals)
        conflicting_copies = [n for n in bad if mine[n] == "conflicting_duplicate_key"]
        assert len(originals) == len(conflicting_copies)
        for number in originals:
            assert quarantine[number][0] == "conflicting_duplicate_key"
        rules_seen.update(mine[n] for n in mine)
        # 3. Everything else in quarantine fell with a parent: a reference to a key that
        # the clean parent file holds (so the parent was there, and was quarantined).
        for number, (rule, text) in quarantine.items():
            if number in mine:
                continue
            assert rule in ("unknown_customer", "unknown_invoice", "unknown_payment"), (
                table.name,
                number,
                rule,
            )
            assert text in clean, (table.name, number)
        # 4. Every row of the file is in raw or in quarantine, once.
        loaded_rows = con.execute(f"select count(*) from raw.{table.name}").fetchone()[0]
        assert loaded_rows + len(quarantine) == len(messy)
    assert set(rules_seen) == LOADER_RULES


def test_messy_files_are_reproducible(loaded, tmp_path):
    root, _, _ = loaded
    generate(tmp_path / "again", seed=7, lines=LINES, messy=True)
    for path in sorted((root / "messy").rglob("*.csv")):
        again = tmp_path / "again" / path.relative_to(root / "messy")
        assert path.read_bytes() == again.read_bytes(), path.name


def test_messy_needs_csv(tmp_path):
    from ledgerlens.cli import main

    with pytest.raises(ValueError, match="csv"):
        generate(tmp_path, seed=7, lines=2_000, fmt="parquet", messy=True)
    # The command says so in one line (exit code 2) and writes nothing.
    out = tmp_path / "cli"
    assert main(["generate", "--out", str(out), "--messy", "--format", "parquet"]) == 2
    assert not out.exists()


@pytest.mark.slow
def test_a_messy_demo_runs_and_reports_every_rule(tmp_path):
    """The whole pipeline on messy data: the run succeeds (quarantined rows warn, never
    stop it), and the data quality report shows every rule, with at least the rows written
    for it (rows that fell with a parent add to the unknown_* rules)."""
    from tests.conftest import query, run_pipeline

    data = tmp_path / "data"
    generate(data, seed=7, lines=LINES, messy=True)
    warehouse = tmp_path / "w.duckdb"
    summary = run_pipeline(data, warehouse)
    assert summary.success, summary.failures
    written = Counter(
        row[2] for row in query(warehouse, f"select * from read_csv('{data}/truth/messy_rows.csv')")
    )
    reported = dict(
        query(
            warehouse,
            "select rule, sum(rows_quarantined) from marts.data_quality_report group by rule",
        )
    )
    assert set(reported) == LOADER_RULES
    for rule, count in written.items():
        assert reported[rule] >= count, rule
    assert any("rows quarantined" in problem for problem in summary.problems)


def test_the_run_summary_shows_the_counts_beside_a_long_list_of_rules():
    """A messy export breaks many rules per table; the list wraps instead of squeezing the
    loaded and quarantined counts out of the 120-column summary."""
    from orchestration.run import RunSummary, TableLoad

    from ledgerlens.cli import render

    rules = {rule: 7 for rule in sorted(LOADER_RULES)[:9]}  # 9 rules, 7 rows each = 63
    summary = RunSummary(
        success=True,
        seconds=1.0,
        loads=[TableLoad("invoice_lines", "invoice_lines.csv", 20_450, 63, rules)],
    )
    with render.console.capture() as captured:
        render.print_run(summary)
    text = captured.get()
    assert "invoice_lines" in text and "20,450" in text and " 63 " in text, text
