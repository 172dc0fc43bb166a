"""The late-payment model (ledgerlens.risk): its arithmetic, and that it never looks ahead."""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pytest

from ledgerlens import risk


def test_conditional_means_average_the_history_inside_each_window():
    history = np.array([-5.0, 0.0, 3.0, 10.0, 20.0, 40.0])
    low = np.array([-10.0, 0.0, 15.0, 40.0])
    high = np.array([15.0, 15.0, np.inf, np.inf])
    fallback = np.array([-1.0, -2.0, -3.0, -4.0])
    got = risk._conditional_means(history, low, high, fallback)
    # (-5 + 0 + 3 + 10) / 4 = 2.0; (3 + 10) / 2 = 6.5 (0 itself is not after 0);
    # (20 + 40) / 2 = 30.0; nothing after 40 -> the fallback -4.0
    assert got.tolist() == [2.0, 6.5, 30.0, -4.0]


def _rows(n: int, rng: np.random.Generator, business: str) -> dict[str, np.ndarray]:
    share = rng.uniform(0, 1, n)
    paid = rng.integers(0, 30, n).astype(float)
    return {
        "business_id": np.full(n, business, dtype=object),
        "invoice_id": np.array([f"{business}-{i}" for i in range(n)], dtype=object),
        "days_past_due": rng.integers(-30, 15, n).astype(float),
        "customer_paid_invoices": paid,
        "customer_share_paid_late": np.where(paid > 0, share, np.nan),
        "customer_last_paid_invoices": np.minimum(paid, 10),
        "customer_last_paid_late": np.round(np.minimum(paid, 10) * share),
        "customer_open_balance_home": rng.uniform(0, 1000, n),
        "customer_overdue_balance_home": rng.uniform(0, 100, n),
        "customer_avg_days_beyond_terms": share * 40,
        "customer_last_avg_days_beyond_terms": share * 40,
        "total_amount_home": rng.uniform(100, 5000, n),
        "payment_terms_days": np.full(n, 30.0),
        "is_already_late": np.zeros(n, dtype=bool),
        "days_paid_after_due": rng.integers(-10, 60, n).astype(float),
    }


@pytest.mark.parametrize("method", risk.METHODS)
def test_every_method_ranks_habitual_late_payers_first(method):
    """Customers who paid most invoices late go on paying late; every method sees it."""
    rng = np.random.default_rng(0)
    train = _rows(2000, rng, "b")
    has_history = train["customer_paid_invoices"] > 0
    habitual = np.nan_to_num(train["customer_share_paid_late"]) > 0.6
    train["is_paid_beyond_threshold"] = (
        has_history & habitual & (rng.uniform(0, 1, 2000) < 0.9)
    ).astype(int)
    current = _rows(400, rng, "b")
    current["is_already_late"][:5] = True
    current["days_past_due"][:5] = 40
    scores = risk.score(train, current, late_days=15, method=method)
    p = scores.late_probability
    assert np.all((p >= 0) & (p <= 1))
    assert (p[:5] == 1).all() and (scores.model_scope[:5] == "already_late").all()
    assert (scores.reasons[:5, 0] == "past_threshold").all()
    later = slice(5, None)
    share = np.nan_to_num(current["customer_share_paid_late"][later])
    paid = current["customer_paid_invoices"][later]
    late_customers = (share > 0.7) & (paid > 0)
    on_time_customers = (share < 0.3) & (paid > 0)
    assert p[later][late_customers].mean() > p[later][on_time_customers].mean() + 0.3
    # 2000 rows with ~28% late is enough for the business's own model.
    assert (scores.model_scope[later] == "business").all()


def test_small_business_falls_back_to_the_pooled_model():
    rng = np.random.default_rng(1)
    big, small = _rows(1000, rng, "big"), _rows(50, rng, "small")
    train = {key: np.concatenate([big[key], small[key]]) for key in big}
    train["is_paid_beyond_threshold"] = (
        np.nan_to_num(train["customer_share_paid_late"]) > 0.5
    ).astype(int)
    current = {key: np.concatenate([value[:10], small[key][:10]]) for key, value in big.items()}
    scores = risk.score(train, current, late_days=15, method="logistic")
    assert scores.model_scope.tolist() == ["business"] * 10 + ["pooled"] * 10


def _truncate(source: Path, target: Path, as_of: str) -> None:
    """The same export as it would have looked on `as_of`: nothing dated later."""
    target.mkdir()
    keep = {
        "businesses": "true",
        "customers": "true",
        "invoices": f"cast(invoice_date as date) <= date '{as_of}'",
        "payments": f"cast(payment_date as date) <= date '{as_of}'",
        "credit_notes": f"cast(credit_note_date as date) <= date '{as_of}'",
        "customer_costs": f"cast(cost_date as date) <= date '{as_of}'",
    }
    with duckdb.connect() as con:
        for table, condition in keep.items():
            con.execute(
                f"create table {table} as select * from"
                f" read_csv('{source}/{table}.csv', all_varchar = true) where {condition}"
            )
        con.execute(
            f"create table invoice_lines as select * from"
            f" read_csv('{source}/invoice_lines.csv', all_varchar = true)"
            " where invoice_id in (select invoice_id from invoices)"
        )
        con.execute(
            f"create table payment_allocations as select * from"
            f" read_csv('{source}/payment_allocations.csv', all_varchar = true)"
            " where payment_id in (select payment_id from payments)"
            " and invoice_id in (select invoice_id from invoices)"
        )
        for table in [*keep, "invoice_lines", "payment_allocations"]:
            con.execute(f"copy {table} to '{target}/{table}.csv' (header)")


@pytest.mark.slow
def test_scores_as_of_a_date_ignore_everything_after_it(tmp_path):
    """A run as of T on the full export scores exactly like a run on the export cut at T."""
    from orchestration.run import run_pipeline

    from ledgerlens.demo import generate

    as_of = "2026-06-30"
    full, cut = tmp_path / "full", tmp_path / "cut"
    generate(full, seed=3, lines=30_000, businesses=["northwind", "harbor"])
    _truncate(full, cut, as_of)
    scores = []
    for data in (full, cut):
        warehouse = tmp_path / f"{data.name}.duckdb"
        summary = run_pipeline(data, warehouse, as_of_date=as_of)
        assert summary.success, summary.failures
        with duckdb.connect(str(warehouse), read_only=True) as con:
            scores.append(
                con.execute(
                    "select business_id, invoice_id, model_scope, late_probability,"
                    " expected_on_time_days_after_due, expected_late_days_after_due,"
                    " reason_1, reason_2, reason_3"
                    " from intermediate.invoice_risk_scores order by 1, 2"
                ).fetchall()
            )
    full_scores, cut_scores = scores
    assert len(full_scores) > 100
    assert {row[2] for row in full_scores} >= {"business", "already_late"}
    assert full_scores == cut_scores
