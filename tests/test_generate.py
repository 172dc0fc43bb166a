"""The demo data generator: determinism, the raw data contract, planted behaviours.

Everything runs on real files in a temporary directory; checks are SQL over the CSVs.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from ledgerlens.contract import TABLES
from ledgerlens.demo import BEHAVIOURS, generate

END = "DATE '2026-10-31'"
SMALL = 2_000  # the smallest useful size: every business and behaviour must be there


def _files(out: Path) -> list[Path]:
    return sorted(p for p in out.rglob("*") if p.is_file())


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> tuple[Path, dict[str, int]]:
    out = tmp_path_factory.mktemp("small")
    return out, generate(out, seed=7, lines=SMALL)


@pytest.fixture(scope="module")
def db(small) -> duckdb.DuckDBPyConnection:
    return _database(small[0])


@pytest.fixture(scope="module")
def medium(tmp_path_factory) -> duckdb.DuckDBPyConnection:
    """20,000 lines: enough customers of each behaviour to see their spread."""
    out = tmp_path_factory.mktemp("medium")
    generate(out, seed=7, lines=20_000)
    return _database(out)


def _database(out: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    for table in TABLES:
        columns = ", ".join(f"'{c.name}': '{c.sql_type}'" for c in table.columns)
        con.execute(
            f"create table {table.name} as select * from read_csv('{out / table.name}.csv', "
            f"header = true, delim = ',', quote = '', columns = {{{columns}}})"
        )
    con.execute(
        f"create table truth as select * from read_csv('{out}/truth/planted_customers.csv', "
        "header = true, all_varchar = true)"
    )
    # Net sales per customer: non-void line amounts minus credit notes.
    con.execute(
        """
        create view sales as
        select i.business_id, i.customer_id, i.invoice_id, i.invoice_date, i.status,
               sum(l.line_amount) as amount
        from invoices i join invoice_lines l using (business_id, invoice_id)
        where i.status <> 'void'
        group by all
        """
    )
    return con


def _one(con, sql: str):
    return con.execute(sql).fetchone()[0]


def _rows(con, sql: str) -> list[tuple]:
    return con.execute(sql).fetchall()


# --------------------------------------------------------------------------- determinism


def test_same_seed_gives_identical_files(small, tmp_path):
    out, counts = small
    again = generate(tmp_path / "again", seed=7, lines=SMALL)
    assert again == counts
    first, second = _files(out), _files(tmp_path / "again")
    assert [p.relative_to(out) for p in first] == [
        p.relative_to(tmp_path / "again") for p in second
    ]
    for a, b in zip(first, second, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name


def test_different_seed_gives_different_data(small, tmp_path):
    out, _ = small
    generate(tmp_path / "other", seed=8, lines=SMALL)
    for name in ("invoices.csv", "invoice_lines.csv", "payments.csv", "customers.csv"):
        assert (out / name).read_bytes() != (tmp_path / "other" / name).read_bytes()


# --------------------------------------------------------------------------- contract


def test_files_have_contract_columns_in_order(small):
    out, counts = small
    assert set(counts) == {t.name for t in TABLES}
    for table in TABLES:
        with open(out / f"{table.name}.csv", newline="", encoding="utf-8") as handle:
            rows = list(csv.reader(handle))
        assert rows[0] == table.column_names
        assert len(rows) - 1 == counts[table.name] > 0
        assert all(len(row) == len(table.column_names) for row in rows)
    with open(out / "truth" / "planted_customers.csv", encoding="utf-8") as handle:
        assert handle.readline().strip() == (
            "business_id,customer_id,behaviour,expected_segment,certainty,note"
        )


def test_text_formats(small):
    """Money with exactly 2 decimals, rates <= 6, quantities/prices <= 4, ISO dates."""
    out, _ = small
    patterns = {
        "money": r"\d+\.\d{2}",
        "rate": r"\d+(\.\d{1,6})?",
        "quantity": r"\d+(\.\d{1,4})?",
        "price": r"\d+(\.\d{1,4})?",
        "date": r"\d{4}-\d{2}-\d{2}",
        "integer": r"\d+",
    }
    for table in TABLES:
        with open(out / f"{table.name}.csv", newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
        for column in table.columns:
            values = [row[column.name] for row in rows]
            if column.required:
                assert all(values), f"{table.name}.{column.name} has blanks"
            if column.accepted_values:
                assert set(values) <= set(column.accepted_values)
            pattern = patterns.get(column.kind)
            if pattern:
                bad = [v for v in values if v and not re.fullmatch(pattern, v)]
                assert not bad, f"{table.name}.{column.name}: {bad[:3]}"


def test_keys_unique_and_references_valid(db):
    for table in TABLES:
        key = ", ".join(table.key)
        dupes = _one(
            db,
            f"select count(*) from (select {key} from {table.name} group by all "
            "having count(*) > 1)",
        )
        assert dupes == 0, table.name
        for ref in table.references:
            on = " and ".join(
                f"c.{a} = p.{b}" for a, b in zip(ref.columns, ref.parent_columns, strict=True)
            )
            blank = f"c.{ref.columns[-1]} is not null and " if ref.optional else ""
            orphans = _one(
                db,
                f"select count(*) from {table.name} c where {blank} not exists "
                f"(select 1 from {ref.parent} p where {on})",
            )
            assert orphans == 0, f"{table.name} -> {ref.parent}"
    for column in ("parent_customer_id", "referred_by_customer_id"):
        assert (
            _one(
                db,
                f"""select count(*) from customers c where {column} is not null and
                   not exists (select 1 from customers p where p.business_id = c.business_id
                   and p.customer_id = c.{column})""",
            )
            == 0
        )


def test_numeric_rules(db):
    for table in TABLES:
        for column in table.columns:
            if column.min_value is None:
                continue
            op = ">" if column.min_exclusive else ">="
            bad = _one(
                db,
                f"select count(*) from {table.name} where not ({column.name} {op} "
                f"{column.min_value})",
            )
            assert bad == 0, f"{table.name}.{column.name}"
            if column.max_value is not None:
                assert (
                    _one(
                        db,
                        f"select count(*) from {table.name} "
                        f"where {column.name} > {column.max_value}",
                    )
                    == 0
                )


def test_line_and_invoice_identities(db):
    assert (
        _one(
            db,
            """select count(*) from invoice_lines where line_amount
        <> round(quantity * unit_price - coalesce(discount_amount, 0), 2)""",
        )
        == 0
    )
    assert (
        _one(
            db,
            """select count(*) from invoices i join (select business_id, invoice_id,
        sum(line_amount) s from invoice_lines group by all) l using (business_id, invoice_id)
        where i.total_amount <> l.s + i.tax_amount""",
        )
        == 0
    )
    assert (
        _one(
            db,
            """select count(*) from invoices i where not exists (select 1 from
        invoice_lines l where l.business_id = i.business_id and l.invoice_id = i.invoice_id)""",
        )
        == 0
    )


def test_payments_and_credits_never_exceed(db):
    # Allocations never exceed the payment.
    assert (
        _one(
            db,
            """select count(*) from payments p join (select business_id, payment_id,
        sum(amount_applied) a from payment_allocations group by all) x
        using (business_id, payment_id) where x.a > p.amount""",
        )
        == 0
    )
    # Allocations plus tied credit notes never exceed the invoice; paid means covered.
    rows = _rows(
        db,
        """
        select i.status, i.total_amount, coalesce(a.a, 0) + coalesce(c.c, 0) as settled,
               coalesce(c.subtotal_ok, true)
        from invoices i
        left join (select business_id, invoice_id, sum(amount_applied) a
                   from payment_allocations group by all) a using (business_id, invoice_id)
        left join (select n.business_id, n.invoice_id, sum(n.amount + n.tax_amount) c,
                          bool_and(n.amount <= i2.total_amount - i2.tax_amount) subtotal_ok
                   from credit_notes n join invoices i2 using (business_id, invoice_id)
                   group by all) c using (business_id, invoice_id)""",
    )
    assert all(settled <= total for _, total, settled, _ in rows)
    assert all(ok for *_, ok in rows)
    assert all((status == "paid") == (settled == total) for status, total, settled, _ in rows)
    # Void invoices have no payments or credits; payments are in the invoice's currency.
    assert (
        _one(
            db,
            """select count(*) from invoices i join payment_allocations a
        using (business_id, invoice_id) where i.status = 'void'""",
        )
        == 0
    )
    assert (
        _one(
            db,
            """select count(*) from invoices i join credit_notes n
        using (business_id, invoice_id) where i.status = 'void'""",
        )
        == 0
    )
    assert (
        _one(
            db,
            """select count(*) from payment_allocations a
        join payments p using (business_id, payment_id)
        join invoices i using (business_id, invoice_id)
        where p.currency <> i.currency or p.customer_id <> i.customer_id
           or p.payment_date < i.invoice_date""",
        )
        == 0
    )
    # Tied credit notes: same customer and currency, dated after the invoice.
    assert (
        _one(
            db,
            """select count(*) from credit_notes n join invoices i
        using (business_id, invoice_id) where n.customer_id <> i.customer_id
        or n.currency <> i.currency or n.credit_note_date <= i.invoice_date""",
        )
        == 0
    )
    # General (untied) credits never exceed the customer's sales.
    assert (
        _one(
            db,
            """select count(*) from credit_notes n where n.invoice_id is null
        and n.amount > (select sum(amount) from sales s where s.business_id = n.business_id
                        and s.customer_id = n.customer_id)""",
        )
        == 0
    )


def test_events_present(db):
    counts = dict(
        _rows(
            db,
            """select 'partial', count(*) from (select business_id, invoice_id
            from payment_allocations group by all having count(*) > 1)
        union all select 'multi', count(*) from (select business_id, payment_id
            from payment_allocations group by all having count(*) > 1)
        union all select 'unapplied', count(*) from payments p where not exists (select 1
            from payment_allocations a
            where a.business_id = p.business_id and a.payment_id = p.payment_id)
        union all select 'over', count(*) from payments p join (select business_id, payment_id,
            sum(amount_applied) a from payment_allocations group by all) x using (business_id,
            payment_id) where p.amount > x.a
        union all select 'tied_cn', count(*) from credit_notes where invoice_id is not null
        union all select 'untied_cn', count(*) from credit_notes where invoice_id is null
        union all select 'void', count(*) from invoices where status = 'void'
        union all select 'open', count(*) from invoices where status = 'open'
        union all select 'receipt', count(*) from invoices where document_type = 'sales_receipt'
        union all select 'foreign', count(*) from invoices i join businesses b using (business_id)
            where i.currency <> b.home_currency""",
        )
    )
    assert all(n > 0 for n in counts.values()), counts
    # Sales receipts are paid on the day of sale.
    assert (
        _one(
            db,
            """select count(*) from invoices i join payment_allocations a
        using (business_id, invoice_id) join payments p using (business_id, payment_id)
        where i.document_type = 'sales_receipt' and (p.payment_date <> i.invoice_date
        or i.due_date <> i.invoice_date)""",
        )
        == 0
    )
    # Foreign-currency payments use the rate of the payment date, so FX differences arise.
    assert (
        _one(
            db,
            """select count(*) from payment_allocations a
        join payments p using (business_id, payment_id)
        join invoices i using (business_id, invoice_id)
        where p.exchange_rate <> i.exchange_rate""",
        )
        > 0
    )
    assert _one(
        db,
        """select min(exchange_rate) >= 0.72 and max(exchange_rate) <= 0.75
        from invoices where business_id = 'northwind' and currency = 'CAD'""",
    )
    assert _one(
        db,
        """select min(exchange_rate) >= 0.85 and max(exchange_rate) <= 0.95
        from invoices where business_id = 'rheinland' and currency = 'USD'""",
    )
    for category in (
        "acquisition",
        "onboarding",
        "support",
        "delivery",
        "rework",
        "reimbursement",
        "other",
    ):
        assert _one(db, f"select count(*) from customer_costs where category = '{category}'") > 0
    # A referral chain of length >= 3 in northwind.
    assert (
        _one(
            db,
            """select count(*) from customers c join customers b
        on b.business_id = c.business_id and b.customer_id = c.referred_by_customer_id
        where c.business_id = 'northwind' and b.referred_by_customer_id is not null""",
        )
        > 0
    )
    assert _one(db, "select count(*) from customers where parent_customer_id is not null") >= 2


def test_dates(db):
    for table, column in (
        ("customers", "created_date"),
        ("invoices", "invoice_date"),
        ("payments", "payment_date"),
        ("credit_notes", "credit_note_date"),
        ("customer_costs", "cost_date"),
    ):
        assert _one(db, f"select max({column}) from {table}") <= _one(db, f"select {END}")
    assert _one(db, "select min(invoice_date) from invoices") >= _one(
        db, "select DATE '2022-11-01'"
    )
    assert _one(db, "select count(*) from invoices where due_date < invoice_date") == 0
    assert (
        _one(
            db,
            """select count(*) from customers c join (select business_id, customer_id,
        min(invoice_date) d from invoices group by all) i using (business_id, customer_id)
        where c.created_date > i.d""",
        )
        == 0
    )


# --------------------------------------------------------------------------- behaviours


def test_every_business_has_every_behaviour(db):
    assert _one(db, "select count(*) from businesses") == 4
    got = _rows(db, "select business_id, count(distinct behaviour) from truth group by all")
    assert sorted(got) == sorted(
        (b, len(BEHAVIOURS)) for b in ("northwind", "harbor", "summit", "rheinland")
    )
    assert set(r[0] for r in _rows(db, "select distinct behaviour from truth")) == set(BEHAVIOURS)
    # The truth file covers every customer exactly once, and nothing else.
    assert _one(db, "select count(*) from truth") == _one(db, "select count(*) from customers")
    assert (
        _one(
            db,
            """select count(*) from customers c full join truth t
        using (business_id, customer_id) where c.customer_name is null or t.behaviour is null""",
        )
        == 0
    )
    # Every customer bought something.
    assert (
        _one(
            db,
            """select count(*) from customers c where not exists (select 1 from sales s
        where s.business_id = c.business_id and s.customer_id = c.customer_id)""",
        )
        == 0
    )


def _net(db, behaviour: str, where: str = "true") -> list[tuple]:
    return _rows(
        db,
        f"""
        select t.business_id, t.customer_id,
               coalesce((select sum(amount) from sales s where s.business_id = t.business_id
                         and s.customer_id = t.customer_id and {where}), 0)
             - coalesce((select sum(amount) from credit_notes n where n.business_id = t.business_id
                         and n.customer_id = t.customer_id), 0)
        from truth t where behaviour = '{behaviour}' order by all""",
    )


def test_identical_total_pairs(db):
    """Grower and fader have identical net sales to the cent; growth goes opposite ways."""
    pairs = _rows(
        db,
        """
        with net as (select customer_id, business_id, sum(amount) as total,
                 sum(amount) filter (where invoice_date > DATE '2025-10-31') as recent,
                 min(invoice_date) as first, max(invoice_date) as last
             from sales group by all)
        select t.business_id, t.behaviour, n.total, n.recent, n.first, n.last,
               (select count(*) from credit_notes c where c.business_id = t.business_id
                and c.customer_id = t.customer_id) as credits
        from truth t join net n using (business_id, customer_id)
        where t.behaviour like 'identical_total_%' order by t.business_id, n.total, t.behaviour""",
    )
    assert len(pairs) >= 8
    by_total: dict[tuple, list] = {}
    for business, behaviour, total, recent, first, last, credits in pairs:
        assert credits == 0
        by_total.setdefault((business, total, first, last), []).append((behaviour, recent))
    for group in by_total.values():
        assert sorted(b for b, _ in group) == ["identical_total_fader", "identical_total_grower"]
        recent = dict(group)
        assert recent["identical_total_grower"] > 2 * recent["identical_total_fader"] > 0


def test_prepayer_and_monthly_payer(db):
    rows = _rows(
        db,
        """
        with yearly as (
            select t.business_id, t.behaviour, t.customer_id, year(s.invoice_date) as y,
                   sum(i.total_amount) as total, count(*) as n
            from truth t join sales s using (business_id, customer_id)
            join invoices i using (business_id, invoice_id)
            where t.behaviour in ('annual_prepayer', 'monthly_payer') group by all)
        select business_id, behaviour, customer_id, y, total, n from yearly order by all""",
    )
    per: dict[tuple, dict] = {}
    for business, behaviour, customer, year, total, n in rows:
        assert n == (1 if behaviour == "annual_prepayer" else 12) or year == 2026
        per.setdefault((business, behaviour), {}).setdefault(customer, {})[year] = total
    for business in ("northwind", "harbor", "summit", "rheinland"):
        prepaid = sorted(
            tuple(v[y] for y in (2023, 2024, 2025))
            for v in per[(business, "annual_prepayer")].values()
        )
        monthly = sorted(
            tuple(v[y] for y in (2023, 2024, 2025))
            for v in per[(business, "monthly_payer")].values()
        )
        assert prepaid == monthly
        assert all(len(set(years)) == 1 for years in prepaid)  # same total every year
    # Both pay on time; the prepayer on or before the due date.
    lateness = dict(
        _rows(
            db,
            """select t.behaviour, max(p.payment_date - i.due_date)
        from truth t join invoices i using (business_id, customer_id)
        join payment_allocations a using (business_id, invoice_id)
        join payments p using (business_id, payment_id)
        where t.behaviour in ('annual_prepayer', 'monthly_payer') group by all""",
        )
    )
    assert lateness["annual_prepayer"] <= 0 and lateness["monthly_payer"] <= 6


def test_unpaid_new(db):
    rows = _rows(
        db,
        """select t.business_id, t.customer_id, c.created_date,
            (select count(*) from invoices i where i.business_id = t.business_id
             and i.customer_id = t.customer_id) as n,
            (select min(invoice_date) from invoices i where i.business_id = t.business_id
             and i.customer_id = t.customer_id) as first,
            (select count(*) from payments p where p.business_id = t.business_id
             and p.customer_id = t.customer_id) as paid
        from truth t join customers c using (business_id, customer_id)
        where behaviour = 'unpaid_new'""",
    )
    end = _one(db, f"select {END}")
    for _, _, created, n, first, paid in rows:
        assert 1 <= n <= 2 and paid == 0
        assert (end - created).days <= 123 and (end - first).days <= 120


def test_chronic_late_payers_pay_late(db):
    rows = _rows(
        db,
        """select t.business_id, t.behaviour, avg(p.payment_date - i.due_date)
        from truth t join invoices i using (business_id, customer_id)
        join payment_allocations a using (business_id, invoice_id)
        join payments p using (business_id, payment_id)
        where i.document_type = 'invoice' group by all""",
    )
    late = {b: d for b, behaviour, d in rows if behaviour == "chronic_late_payer"}
    assert len(late) == 4 and all(d > 30 for d in late.values()), late
    for business, behaviour, delay in rows:
        if behaviour in ("steady_champion", "annual_prepayer"):
            assert delay <= 0, (business, behaviour)
        if behaviour in ("steady_good", "growing_newcomer", "monthly_payer"):
            assert delay <= 7, (business, behaviour)


def _last_purchase_days(db, behaviour: str) -> list[tuple[int, int, int]]:
    """(days since first purchase, days since last purchase, purchases) at the end date."""
    return _rows(
        db,
        f"""select {END} - min(invoice_date), {END} - max(invoice_date), count(*)
        from truth t join sales s using (business_id, customer_id)
        where behaviour = '{behaviour}' group by t.business_id, t.customer_id""",
    )


def test_recency_behaviours(db):
    for first, last, n in _last_purchase_days(db, "gone_quiet_big_buyer"):
        assert 45 <= last <= 420 and first - last >= 2 * 365 and n >= 5
    for _, last, _ in _last_purchase_days(db, "sleeper"):
        assert 200 <= last <= 800
    for first, last, n in _last_purchase_days(db, "one_off_small"):
        assert n <= 2 and 0 <= last <= first <= 900
    for first, _, _ in _last_purchase_days(db, "growing_newcomer"):
        assert 20 <= first <= 400
    for first, last, _ in _last_purchase_days(db, "decliner"):
        assert last <= 62 and first >= 3 * 365
    for first, last, _ in _last_purchase_days(db, "steady_champion"):
        assert last <= 31 and first >= 3 * 365 + 300


def test_planted_behaviours_straddle_the_segment_bounds(medium):
    """Behaviours are drawn across the bounds that define their segments (90 days New,
    365 days Hibernating, 30 days beyond terms Late Payer, sales halved), not just
    outside them: some customers of each behaviour fall on the other side."""

    def days(behaviour: str, which: int) -> list[int]:
        return [row[which] for row in _last_purchase_days(medium, behaviour)]

    assert min(days("sleeper", 1)) < 365 < max(days("sleeper", 1))
    assert max(days("gone_quiet_big_buyer", 1)) > 300
    assert min(days("growing_newcomer", 0)) < 90 < max(days("growing_newcomer", 0))
    assert max(days("unpaid_new", 0)) > 90
    assert min(days("one_off_small", 0)) < 90
    delays = dict(
        _rows(
            medium,
            """select t.customer_id || t.business_id, avg(p.payment_date - i.due_date)
            from truth t join invoices i using (business_id, customer_id)
            join payment_allocations a using (business_id, invoice_id)
            join payments p using (business_id, payment_id)
            where t.behaviour = 'chronic_late_payer' and i.document_type = 'invoice'
            group by all""",
        )
    )
    assert min(delays.values()) < 35 and max(delays.values()) > 60
    sales = _rows(
        medium,
        f"""select sum(amount) filter (where invoice_date > {END} - interval 1 year),
            sum(amount) filter (where invoice_date <= {END} - interval 1 year
                                and invoice_date > {END} - interval 2 year)
        from truth t join sales s using (business_id, customer_id)
        where behaviour = 'decliner' group by t.business_id, t.customer_id""",
    )
    assert any(2 * (ttm or 0) < prior for ttm, prior in sales)
    assert any(2 * (ttm or 0) >= prior for ttm, prior in sales)


def test_habits_drift(medium):
    """A good payer who turns late pays its last invoices later than its first ones; a
    customer who comes back has a gap of at least eight months between two purchases."""
    turned = _rows(
        medium,
        """with delays as (
            select t.business_id, t.customer_id, i.due_date, p.payment_date - i.due_date as d,
                ntile(4) over (partition by t.business_id, t.customer_id order by i.due_date) q
            from truth t join invoices i using (business_id, customer_id)
            join payment_allocations a using (business_id, invoice_id)
            join payments p using (business_id, payment_id)
            where t.behaviour = 'turned_late_payer' and i.document_type = 'invoice')
        select avg(d) filter (where q = 1), avg(d) filter (where q = 4)
        from delays group by business_id, customer_id""",
    )
    assert turned and all(last > first for first, last in turned if last is not None)
    gaps = _rows(
        medium,
        """with dated as (
            select t.business_id, t.customer_id, s.invoice_date,
                s.invoice_date - lag(s.invoice_date) over (
                    partition by t.business_id, t.customer_id order by s.invoice_date) gap
            from truth t join sales s using (business_id, customer_id)
            where t.behaviour = 'returner')
        select max(gap) from dated group by business_id, customer_id""",
    )
    assert gaps and all(gap >= 8 * 28 for (gap,) in gaps)


def test_clear_truth_is_on_its_side_of_the_bound(medium):
    """What the files show agrees with the truth file's clear customers: the planted
    truth is decided from the planted parameters, this from the generated documents."""
    end = _one(medium, f"select {END}")
    rows = _rows(
        medium,
        """select t.behaviour, t.expected_segment, min(s.invoice_date), max(s.invoice_date),
            (select count(*) from payments p where p.business_id = t.business_id
             and p.customer_id = t.customer_id)
        from truth t join sales s using (business_id, customer_id)
        where t.certainty = 'clear'
        group by t.business_id, t.customer_id, t.behaviour, t.expected_segment""",
    )
    for behaviour, segment, first, last, payments in rows:
        if segment == "Hibernating":
            assert (end - last).days > 365, behaviour
        if behaviour == "gone_quiet_big_buyer":
            assert (end - last).days < 365
        if segment == "New":
            assert (end - first).days <= 90 and payments == 0, behaviour
        if segment == "Possible Mismatch":
            assert (end - first).days > 90
        if segment == "Promising":
            assert (end - first).days <= 365 and payments > 0
    late = _rows(
        medium,
        """select t.expected_segment, avg(p.payment_date - i.due_date)
        from truth t join invoices i using (business_id, customer_id)
        join payment_allocations a using (business_id, invoice_id)
        join payments p using (business_id, payment_id)
        where t.certainty = 'clear' and i.document_type = 'invoice'
          and t.behaviour in ('chronic_late_payer', 'turned_late_payer', 'steady_good')
        group by t.business_id, t.customer_id, t.expected_segment""",
    )
    assert all((delay > 30) == (segment == "Late Payer") for segment, delay in late), late
    # Every behaviour but the fader has clear customers (a fader keeps 40-45% of its sales
    # a year, near the halving: all ambiguous); the ambiguous ones are a minority.
    shares = _rows(
        medium,
        """select behaviour, avg(case when certainty = 'ambiguous' then 1.0 else 0 end)
        from truth where behaviour <> 'identical_total_fader' group by all""",
    )
    assert all(share < 0.75 for _, share in shares), shares
    assert (
        _one(medium, "select avg(case when certainty = 'ambiguous' then 1.0 else 0 end) from truth")
        < 0.35
    )


def test_amount_behaviours(db):
    ttm = """sum(amount) filter (where invoice_date > {end} - interval 1 year)"""
    prior = """sum(amount) filter (where invoice_date <= {end} - interval 1 year
                                   and invoice_date > {end} - interval 2 year)"""
    for ttm_sales, prior_sales in _rows(
        db,
        f"""select coalesce({ttm.format(end=END)}, 0),
            {prior.format(end=END)} from truth t join sales s using (business_id, customer_id)
            where behaviour = 'decliner' and certainty = 'clear'
            group by t.business_id, t.customer_id""",
    ):
        assert 2 * ttm_sales < prior_sales
    # Newcomers buy more, and more each time, in the second half of their short history.
    rows = _rows(
        db,
        f"""with s as (select t.business_id, t.customer_id, s.invoice_date, s.amount,
                min(s.invoice_date) over w as first
            from truth t join sales s using (business_id, customer_id)
            where behaviour = 'growing_newcomer'
            window w as (partition by t.business_id, t.customer_id))
        select business_id,
               sum(amount) filter (where invoice_date - first < ({END} - first) / 2),
               sum(amount) filter (where invoice_date - first >= ({END} - first) / 2)
        from s group by all""",
    )
    assert len(rows) == 4 and all(late > early for _, early, late in rows), rows
    # One-off purchases are below the business's typical (median) invoice; champions buy
    # more often than the business's median customer.
    assert (
        _one(
            db,
            """with m as (select business_id, median(amount) med from sales group by all)
        select count(*) from truth t join sales s using (business_id, customer_id)
        join m using (business_id) where behaviour = 'one_off_small' and s.amount >= m.med""",
        )
        == 0
    )
    assert (
        _one(
            db,
            """with c as (select business_id, customer_id, count(*) n from sales
            group by all), m as (select business_id, median(n) med from c group by all)
        select count(*) from truth t join c using (business_id, customer_id)
        join m using (business_id) where behaviour = 'steady_champion' and c.n <= m.med""",
        )
        == 0
    )


# --------------------------------------------------------------------------- formats, size


def test_parquet_matches_csv(small, db, tmp_path):
    _, counts = small
    out = tmp_path / "pq"
    assert generate(out, seed=7, lines=SMALL, fmt="parquet") == counts
    for table in TABLES:
        parquet = pq.read_table(out / f"{table.name}.parquet")
        assert parquet.column_names == table.column_names
        assert parquet.num_rows == counts[table.name]
        # Same values, typed as the contract says (decimals, dates, nulls).
        path = out / f"{table.name}.parquet"
        for a, b in (
            (f"read_parquet('{path}')", table.name),
            (table.name, f"read_parquet('{path}')"),
        ):
            assert _one(db, f"select count(*) from (from {a} except all from {b})") == 0
    assert (out / "truth" / "planted_customers.csv").read_bytes() == (
        small[0] / "truth" / "planted_customers.csv"
    ).read_bytes()


def test_lines_target(tmp_path):
    counts = generate(tmp_path, seed=3, lines=50_000)
    assert 45_000 <= counts["invoice_lines"] <= 55_000
