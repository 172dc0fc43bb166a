"""What the HTML report reads from the warehouse: one function per section, each returning
plain Python values (or None when the marts it needs are not in this warehouse).

Every query reads a public mart (the report is a consumer like any BI tool: see the dbt
exposure `html_report`), filtered to one business.
"""

from __future__ import annotations

from decimal import Decimal

import duckdb

# The marts each section reads; a section whose marts are missing is left out with a note.
SECTION_MARTS: dict[str, tuple[str, ...]] = {
    "segments": ("segment_summary", "segment_history", "segment_transitions", "customer_sheet"),
    "retention": ("revenue_retention", "cohorts", "concentration", "customer_sheet"),
    # the aging buckets come from business_overview, which every page reads
    "receivables": ("dso_history", "open_invoice_risk", "cash_forecast"),
    "pulse": ("monthly_pulse", "weekly_pulse"),
    "profitability": ("customer_profitability",),
    "clv": ("customer_clv",),
    "statements": ("segment_income_statement", "segment_balance_sheet"),
    "alerts": ("customer_alerts",),
}


class Marts:
    """A read-only view of the warehouse's marts schema."""

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self.con = con
        self.tables = {
            name
            for (name,) in con.execute(
                "select table_name from information_schema.tables where table_schema = 'marts'"
            ).fetchall()
        }

    def has(self, *names: str) -> bool:
        return all(name in self.tables for name in names)

    def missing(self, section: str) -> list[str]:
        return [name for name in SECTION_MARTS[section] if name not in self.tables]

    def rows(self, sql: str, params: list | None = None) -> list[dict]:
        cursor = self.con.execute(sql, params or [])
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def one(self, sql: str, params: list | None = None) -> dict | None:
        rows = self.rows(sql, params)
        return rows[0] if rows else None


def businesses(marts: Marts, only: str | None = None) -> list[dict]:
    sql = """
        select business_id, business_name, home_currency, as_of_date, customers, purchases,
            net_sales_home, open_balance_home, customer_credit_home, is_export_stale,
            latest_document_date,
            past_due_1_30_home + past_due_31_60_home + past_due_61_90_home
                + past_due_over_90_home as overdue_home
        from marts.business_overview
    """
    params: list = []
    if only is not None:
        sql += " where business_id = ?"
        params.append(only)
    return marts.rows(sql + " order by business_id", params)


def headline(marts: Marts, business_id: str) -> dict:
    figures: dict = {}
    if marts.has("customer_sheet"):
        figures.update(
            marts.one(
                """select sum(ttm_sales) as ttm_sales, sum(prev_ttm_sales) as prev_ttm_sales,
                    count(*) filter (where ttm_sales > 0) as active_customers
                from marts.customer_sheet where business_id = ?""",
                [business_id],
            )
            or {}
        )
    if marts.has("revenue_retention"):
        figures.update(
            marts.one(
                """select nrr, grr, logo_retention from marts.revenue_retention
                where business_id = ? and period_grain = 'ttm'
                order by period_end_date desc limit 1""",
                [business_id],
            )
            or {}
        )
    if marts.has("dso_history"):
        figures.update(
            marts.one(
                """select count_back_dso as dso, days_beyond_terms from marts.dso_history
                where business_id = ? and is_current""",
                [business_id],
            )
            or {}
        )
    return figures


def segments(marts: Marts, business_id: str, as_of_date) -> dict:
    summary = marts.rows(
        """select segment, segment_priority, customers, avg_ltv, total_ttm_sales,
            share_of_ttm_sales, avg_days_to_pay
        from marts.segment_summary where business_id = ? order by segment_priority""",
        [business_id],
    )
    month_ends = [
        r["month_end_date"]
        for r in marts.rows(
            """select distinct month_end_date from marts.segment_history
            where business_id = ? order by month_end_date desc limit 12""",
            [business_id],
        )
    ][::-1]
    membership = marts.rows(
        """select month_end_date, segment, count(*) as customers from marts.segment_history
        where business_id = ? and month_end_date >= ?
        group by month_end_date, segment""",
        [business_id, month_ends[0] if month_ends else as_of_date],
    )
    flows = marts.rows(
        """select from_segment, to_segment, sum(customers) as customers
        from marts.segment_transitions
        where business_id = ? and month_end_date > ? and from_segment <> to_segment
        group by from_segment, to_segment
        order by customers desc, from_segment, to_segment limit 12""",
        [business_id, month_ends[0] if month_ends else as_of_date],
    )
    customers = marts.rows(
        """select customer_id, customer_name, segment, previous_segment, ltv, ttm_sales,
            prev_ttm_sales, avg_days_to_pay, recency_days, segment_reason
        from marts.customer_sheet where business_id = ?
        order by ltv desc, customer_id""",
        [business_id],
    )
    return {
        "summary": summary,
        "month_ends": month_ends,
        "membership": membership,
        "flows": flows,
        "customers": customers,
    }


def retention(marts: Marts, business_id: str) -> dict:
    trend = marts.rows(
        """select period_start_date, period_end_date, nrr, grr, logo_retention,
            starting_revenue, new_revenue, reactivated_revenue, expansion_revenue,
            contraction_revenue, churned_revenue, revenue, starting_customers,
            retained_customers, churned_customers, new_customers, data_coverage
        from marts.revenue_retention
        where business_id = ? and period_grain = 'ttm' and nrr is not null
        order by period_end_date""",
        [business_id],
    )
    cohorts = marts.rows(
        """select cohort_start_date, period_offset, cohort_customers, customer_retention,
            revenue_retention, data_coverage
        from marts.cohorts
        where business_id = ? and cohort_grain = 'quarter'
        order by cohort_start_date, period_offset""",
        [business_id],
    )
    concentration = marts.one(
        """select * from marts.concentration where business_id = ?
        order by month_end_date desc limit 1""",
        [business_id],
    )
    sales = [
        r["ttm_sales"]
        for r in marts.rows(
            """select ttm_sales from marts.customer_sheet
            where business_id = ? and ttm_sales > 0 order by ttm_sales desc""",
            [business_id],
        )
    ]
    return {
        "trend": trend[-4:],
        "cohorts": cohorts,
        "concentration": concentration,
        "ttm_sales_desc": sales,
    }


def receivables(marts: Marts, business_id: str) -> dict:
    dso = marts.rows(
        """select as_of_date, count_back_dso, best_possible_dso, days_beyond_terms,
            receivables_home
        from marts.dso_history where business_id = ? and (is_month_end or is_current)
        order by as_of_date""",
        [business_id],
    )
    not_yet_due = marts.rows(
        """select invoice_id, customer_name, open_amount_home, due_date, days_past_due,
            late_probability, late_probability * open_amount_home as expected_late_home,
            risk_band, top_reasons
        from marts.open_invoice_risk where business_id = ? and days_past_due <= 0
        order by late_probability * open_amount_home desc, invoice_id limit 15""",
        [business_id],
    )
    overdue = marts.rows(
        """select invoice_id, customer_name, open_amount_home, due_date, days_past_due
        from marts.open_invoice_risk where business_id = ? and days_past_due > 0
        order by open_amount_home desc, invoice_id limit 15""",
        [business_id],
    )
    forecast = marts.rows(
        """select week_number, week_start_date, week_end_date, invoices_expected,
            expected_collections_home, low_collections_home, high_collections_home
        from marts.cash_forecast where business_id = ? order by week_number""",
        [business_id],
    )
    return {
        "dso": dso[-25:],
        "not_yet_due": not_yet_due,
        "overdue": overdue,
        "forecast": forecast,
    }


def pulse(marts: Marts, business_id: str) -> dict:
    return {
        "monthly": marts.rows(
            """select month_end_date, is_complete_month, net_sales_home, cash_collected_home,
                collections_to_sales, ttm_net_sales_home, ttm_growth_vs_12_months_before,
                new_customers, lost_customers, active_customers, days_beyond_terms_paid
            from marts.monthly_pulse where business_id = ?
            order by month_end_date""",
            [business_id],
        )[-24:],
        "weekly": marts.rows(
            """select week_start_date, is_complete_week, net_sales_home,
                net_sales_to_26_week_avg, cash_collected_home, cash_collected_to_26_week_avg,
                days_beyond_terms_paid, days_beyond_terms_paid_26_week_avg
            from marts.weekly_pulse where business_id = ?
            order by week_start_date""",
            [business_id],
        )[-26:],
    }


def profitability(marts: Marts, business_id: str) -> dict:
    by_class = marts.rows(
        """select value_class, count(*) as customers, sum(ttm_sales) as ttm_sales,
            sum(ttm_contribution) as ttm_contribution
        from marts.customer_profitability where business_id = ?
        group by value_class order by sum(ttm_contribution) desc""",
        [business_id],
    )
    columns = """customer_name, segment, value_class, ttm_sales, ttm_contribution,
        ttm_contribution_margin, suggested_action"""
    top = marts.rows(
        f"""select {columns} from marts.customer_profitability where business_id = ?
        order by ttm_contribution desc, customer_id limit 10""",
        [business_id],
    )
    bottom = marts.rows(
        f"""select {columns} from marts.customer_profitability
        where business_id = ? and ttm_contribution < 0
        order by ttm_contribution, customer_id limit 10""",
        [business_id],
    )
    points = marts.rows(
        """select value_class, ttm_sales, ttm_contribution
        from marts.customer_profitability
        where business_id = ? and (ttm_sales <> 0 or ttm_contribution <> 0)""",
        [business_id],
    )
    return {"by_class": by_class, "top": top, "bottom": bottom, "points": points}


def clv(marts: Marts, business_id: str) -> dict:
    values = [
        r["clv_36m"]
        for r in marts.rows(
            "select clv_36m from marts.customer_clv where business_id = ? and clv_36m is not null",
            [business_id],
        )
    ]
    top = marts.rows(
        """select customer_name, segment, p_alive, clv_36m, clv_36m_low, clv_36m_high,
            clv_contribution_36m
        from marts.customer_clv where business_id = ? and clv_36m is not null
        order by clv_36m desc, customer_id limit 15""",
        [business_id],
    )
    return {"values": values, "top": top}


def statements(marts: Marts, business_id: str) -> dict:
    month_end = marts.one(
        """select max(month_end_date) as month_end_date from marts.segment_balance_sheet
        where business_id = ?""",
        [business_id],
    )
    when = month_end["month_end_date"] if month_end else None
    income = marts.rows(
        """select cut_value as segment, customers, net_sales, gross_margin, cost_to_serve,
            financing_cost, contribution, contribution_margin
        from marts.segment_income_statement
        where business_id = ? and cut = 'segment' and month_end_date = ?
        order by segment_priority""",
        [business_id, when],
    )
    balance = marts.rows(
        """select segment, customers, accounts_receivable, customer_value, total_assets,
            customer_credit, expected_cost_to_serve, unearned_acquisition_investment,
            total_liabilities, customer_equity
        from marts.segment_balance_sheet where business_id = ? and month_end_date = ?
        order by segment_priority""",
        [business_id, when],
    )
    return {"month_end_date": when, "income": income, "balance": balance}


def alerts(marts: Marts, business_id: str) -> dict:
    current = marts.rows(
        """select customer_name, customer_id, alert_kinds, previous_segment, segment,
            ttm_sales, ttm_sales_change, clv_12m, alert_reason
        from marts.customer_alerts where business_id = ? and is_current
        order by coalesce(clv_12m, 0) + ttm_sales desc, customer_id""",
        [business_id],
    )
    history = marts.rows(
        """select as_of_date,
            count(*) filter (where is_segment_alert) as segment_alerts,
            count(*) filter (where is_late_payment_alert) as late_payment_alerts,
            count(*) filter (where is_sales_drop_alert) as sales_drop_alerts
        from marts.customer_alerts where business_id = ?
        group by as_of_date order by as_of_date""",
        [business_id],
    )
    return {"current": current, "history": history[-13:]}


def portfolio(marts: Marts) -> list[dict]:
    return marts.rows("select * from marts.portfolio_overview order by business_id")


def lorenz(sales_desc: list[Decimal]) -> list[tuple[float, float]]:
    """The Lorenz curve as (share of customers, share of TTM sales), largest customers
    first (the way a concentration question is asked: how much do the top x% bring?)."""
    total = sum(sales_desc)
    if not sales_desc or total <= 0:
        return []
    points, running = [(0.0, 0.0)], Decimal(0)
    n = len(sales_desc)
    # At most 200 points: a curve, not one dot per customer.
    step = max(1, n // 200)
    for i, value in enumerate(sales_desc, start=1):
        running += value
        if i % step == 0 or i == n:
            points.append((i / n, float(running / total)))
    return points
