"""The demo's profitability plants (`truth/planted_value.csv`) land in their value class.

The generator plants, per business, costly customers (heavy rework, support and special
demands), quiet ones who pay on time and need little support, a key referrer and a head
office with its subsidiaries (`ledgerlens.demo.value`); their expected class is decided
from the planted parameters (`ledgerlens.demo.truth`), never by running the rules. The
test here reads the generated files only; `assert_planted_value_classes` checks the
marts of a real pipeline run (tests/test_segments.py calls it on its seed-7 run).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import duckdb
import pytest

from ledgerlens.demo import generate
from tests.conftest import query

# The first data set of tests/test_segments.py: all four businesses.
SEED, LINES = 7, 100_000
TRAITS = ("costly", "quiet", "key_referrer", "head_office", "subsidiary")


@pytest.fixture(scope="module")
def demo_data(tmp_path_factory) -> Path:
    data = tmp_path_factory.mktemp("profitability-demo") / "data"
    generate(data, seed=SEED, lines=LINES)
    return data


def _files(data: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    for table in ("customers", "customer_costs", "invoices", "invoice_lines"):
        con.execute(f"create view {table} as select * from read_csv('{data / table}.csv')")
    con.execute(
        f"create view planted as select * from read_csv('{data}/truth/planted_value.csv',"
        " all_varchar = true)"
    )
    return con


def test_every_business_has_its_plants_in_the_files(demo_data):
    """The traits are in the books: what the truth file says was planted, the raw files
    show (counted here from the CSVs, not by the generator's code)."""
    con = _files(demo_data)
    businesses = [row[0] for row in con.execute("select business_id from customers").fetchall()]
    for business in set(businesses):
        traits = Counter(
            row[0]
            for row in con.execute(
                "select trait from planted where business_id = ? and certainty = 'clear'",
                [business],
            ).fetchall()
        )
        assert all(traits[trait] >= 1 for trait in TRAITS), (business, traits)
    # Every business has a head office with two subsidiaries or more, as the truth says.
    heads = con.execute(
        """
        select business_id, parent_customer_id, count(*) from customers
        where parent_customer_id is not null group by all having count(*) >= 2
        """
    ).fetchall()
    assert {row[0] for row in heads} == set(businesses)
    mismatched = con.execute(
        """
        select planted.business_id, planted.customer_id
        from planted join customers using (business_id, customer_id)
        where planted.trait = 'subsidiary'
            and planted.expected_account_id is distinct from customers.parent_customer_id
        """
    ).fetchall()
    assert mismatched == []
    # The key referrer named by 3 to 5 customers created after it (the planted ones; it
    # may have referred others before).
    referrals = con.execute(
        """
        select planted.business_id, planted.customer_id, count(referee.customer_id),
            bool_and(referee.created_date >= referrer.created_date)
        from planted
        join customers as referrer using (business_id, customer_id)
        join customers as referee
            on referee.business_id = planted.business_id
            and referee.referred_by_customer_id = planted.customer_id
        where planted.trait = 'key_referrer'
        group by all
        """
    ).fetchall()
    assert len(referrals) == len(set(businesses))
    assert all(n >= 3 and after for _, _, n, after in referrals), referrals
    # Quiet customers (and the referrer): no rework ever, one short call in the last
    # year (at most 1.5 hours of support all told).
    noisy = con.execute(
        """
        select planted.business_id, planted.customer_id,
            count(*) filter (where costs.category = 'rework') as reworks,
            coalesce(sum(costs.hours) filter (
                where costs.category = 'support'
                and costs.cost_date > date '2026-10-31' - interval 365 day
            ), 0) as support_hours
        from planted
        left join customer_costs as costs using (business_id, customer_id)
        where planted.trait in ('quiet', 'key_referrer')
        group by all
        having reworks > 0 or support_hours > 1.5 or support_hours = 0
        """
    ).fetchall()
    assert noisy == []
    # Costly customers: the last year's rework and support take more hours than the
    # business's median customer's (among those with any).
    light = con.execute(
        """
        with hours as (
            select business_id, customer_id, sum(hours) as hours
            from customer_costs
            where category in ('rework', 'support')
                and cost_date > date '2026-10-31' - interval 365 day
            group by all
        ),
        typical as (select business_id, median(hours) as hours from hours group by 1)
        select planted.business_id, planted.customer_id, hours.hours, typical.hours
        from planted
        join typical using (business_id)
        left join hours using (business_id, customer_id)
        where planted.trait = 'costly' and coalesce(hours.hours, 0) <= typical.hours
        """
    ).fetchall()
    assert light == []


def assert_planted_value_classes(demo_data: Path, warehouse: Path) -> None:
    """Every clear plant of `demo_data` is in its value class in `warehouse`, a pipeline
    run on it. Called by tests/test_segments.py, on the seed-7 run it makes anyway (one
    100,000-line run fewer in the suite)."""
    truth = demo_data / "truth" / "planted_value.csv"
    rows = query(
        warehouse,
        f"""
        select planted.business_id, planted.customer_id, planted.trait,
            planted.expected_value_class, planted.expected_account_id, planted.certainty,
            mart.value_class, mart.ttm_contribution, mart.ttm_effort_share,
            mart.account_id, mart.referral_chain_customers, mart.referred_customers,
            mart.suggested_action_code
        from read_csv('{truth}', all_varchar = true) as planted
        left join marts.customer_profitability as mart using (business_id, customer_id)
        order by all
        """,
    )
    # Active customers counted from the raw tables: a sales event (a non-void invoice or
    # sales receipt, or a credit note) or a non-acquisition cost in the 365 days up to the
    # business's as-of date S (its latest sale: the demo states no completeness date), or
    # money owed on some night of them: a credit invoice dated before S not cleared
    # (payments applied and tied credit notes, dated up to S, covering its total) by the
    # first day of the window.
    active = dict(
        query(
            warehouse,
            """
            with as_of as (
                select business_id, max(invoice_date) as as_of_date
                from raw.invoices where status <> 'void' group by 1
            ),
            events as (
                select business_id, customer_id, invoice_date as event_date
                from raw.invoices where status <> 'void'
                union all
                select business_id, customer_id, credit_note_date from raw.credit_notes
                union all
                select business_id, customer_id, cost_date from raw.customer_costs
                where category <> 'acquisition'
            ),
            settlements as (
                select allocations.business_id, allocations.invoice_id,
                    payments.payment_date as settled_date, allocations.amount_applied as amount
                from raw.payment_allocations as allocations
                join raw.payments as payments using (business_id, payment_id)
                union all
                select business_id, invoice_id, credit_note_date, amount + tax_amount
                from raw.credit_notes where invoice_id is not null
            ),
            covered as (
                select settlements.business_id, settlements.invoice_id,
                    settlements.settled_date,
                    sum(settlements.amount) over (
                        partition by settlements.business_id, settlements.invoice_id
                        order by settlements.settled_date rows unbounded preceding
                    ) as covered
                from settlements join as_of using (business_id)
                where settlements.settled_date <= as_of.as_of_date
            ),
            cleared as (
                select invoices.business_id, invoices.invoice_id, invoices.customer_id,
                    invoices.invoice_date, as_of.as_of_date,
                    coalesce(
                        min(covered.settled_date)
                            filter (where covered.covered >= invoices.total_amount),
                        as_of.as_of_date
                    ) as cleared_date
                from raw.invoices as invoices
                join as_of using (business_id)
                left join covered using (business_id, invoice_id)
                where invoices.document_type = 'invoice' and invoices.status <> 'void'
                    and invoices.total_amount > 0
                    and invoices.invoice_date <= as_of.as_of_date
                group by 1, 2, 3, 4, 5
            ),
            active as (
                select events.business_id, events.customer_id
                from events join as_of using (business_id)
                where events.event_date between as_of.as_of_date - 364 and as_of.as_of_date
                union
                select business_id, customer_id from cleared
                where cleared_date > greatest(invoice_date, as_of_date - 365)
            )
            select business_id, count(*) from active group by 1
            """,
        )
    )
    misses = []
    judged = Counter()
    ambiguous = Counter()
    actions = Counter()
    for (
        business,
        customer,
        trait,
        expected,
        expected_account,
        certainty,
        value_class,
        contribution,
        effort_share,
        account,
        chain,
        referred,
        action,
    ) in rows:
        actions[(trait, value_class, action)] += 1
        if certainty != "clear":
            ambiguous[(trait, expected, value_class)] += 1
            continue
        judged[trait] += 1
        if trait in ("head_office", "subsidiary"):
            ok = account == expected_account
        elif expected == "unprofitable":
            ok = value_class == "unprofitable" and contribution < 0
        elif expected == "key_account":
            ok = value_class == "key_account"
        else:  # not_unprofitable: key or core
            ok = value_class in ("key_account", "core") and contribution >= 0
        if trait in ("quiet", "key_referrer"):
            # a low effort share: below the business's average customer's (1 / active)
            ok = ok and effort_share is not None and effort_share * active[business] < 1
        if trait == "key_referrer":
            ok = ok and referred >= 3 and chain >= referred
        if not ok:
            misses.append((business, customer, trait, expected, value_class, contribution))
    print(f"\nclear plants judged: {dict(judged)}")
    print(f"ambiguous plants (trait, expected, landed): {dict(ambiguous)}")
    print(f"all plants (trait, landed, suggested action): {dict(actions)}")
    assert misses == []
    assert judged["costly"] >= 8 and judged["quiet"] >= 8 and judged["key_referrer"] >= 2

    # The split: per business, the classes among its active customers.
    split = query(
        warehouse,
        """
        select business_id,
            count(*) filter (where is_active) as active,
            count(*) filter (where is_active and value_class = 'key_account') as key,
            count(*) filter (where is_active and value_class = 'core') as core,
            count(*) filter (where is_active and value_class = 'unprofitable') as unprofitable,
            sum(ttm_sales) filter (where value_class = 'key_account') / sum(ttm_sales)
                filter (where is_active) as key_sales_share,
            sum(ttm_contribution) filter (where value_class = 'key_account') as key_contribution,
            sum(ttm_contribution) filter (where value_class = 'unprofitable')
                as unprofitable_contribution,
            sum(ttm_contribution) filter (where is_active) as contribution,
            sum(ttm_effort_share) filter (where value_class = 'key_account') as key_effort,
            sum(ttm_effort_share) filter (where value_class = 'unprofitable')
                as unprofitable_effort
        from marts.customer_profitability
        group by 1 order by 1
        """,
    )
    print(
        "business   active  key  core  unprof  key sales  key contrib  unprof contrib"
        "  total contrib  key effort  unprof effort"
    )
    for business, n, key, core, unprofitable, ks, kc, uc, total, ke, ue in split:
        print(
            f"{business:10} {n:6} {key:4} {core:5} {unprofitable:7}  {ks:9.1%}"
            f"  {kc:11,.0f} {uc:15,.0f} {total:14,.0f}  {ke or 0:10.1%}  {ue or 0:13.1%}"
        )
        assert n == active[business], business
        assert key + core + unprofitable == n
        assert core >= n / 2, (business, core, n)
