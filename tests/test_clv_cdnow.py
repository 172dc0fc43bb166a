"""The CLV models against the literature, on the CDNOW data of Fader, Hardie and Lee (2005).

The data ships inside the lifetimes wheel and is read from there (ledgerlens.cdnow), never
from the network. The published figures are written here with their sources; the model
code under test (ledgerlens.clv_models) only produces the fitted side.

- BG/NBD: Fader, Hardie and Lee (2005), "Counting your customers the easy way: an
  alternative to the Pareto/NBD model", Marketing Science 24(2), 275-284:
  r = 0.243, alpha = 4.414, a = 0.793, b = 2.426, log-likelihood -9,582.4.
- Pareto/NBD: Fader, Hardie and Lee (2005), "RFM and CLV: using iso-value curves for
  customer base analysis", Journal of Marketing Research 42(4), 415-430, on the same
  sample: r = 0.55, alpha = 10.58, s = 0.61, beta = 11.67 (two decimals: 0.55 stands for
  anything in [0.545, 0.555), up to 0.9% away, so 1% is the tightest tolerance the
  rounding allows).
- Gamma-Gamma: Fader and Hardie (2013), "The Gamma-Gamma model of monetary value"
  (brucehardie.com note 025), on the 946 repeat buyers of the sample: p = 6.25,
  q = 3.74, gamma = 15.44.
"""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest
from scipy import special

from ledgerlens import cdnow, clv_models
from tests.conftest import query

BGNBD_PUBLISHED = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
BGNBD_LOG_LIKELIHOOD = -9582.4
PARETO_PUBLISHED = {"r": 0.55, "alpha": 10.58, "s": 0.61, "beta": 11.67}
GAMMA_GAMMA_PUBLISHED = {"p": 6.25, "q": 3.74, "gamma": 15.44}
REPEAT_BUYERS = 946


@pytest.fixture(scope="module")
def sample():
    return cdnow.transactions("sample")


@pytest.fixture(scope="module")
def sample_histories(sample):
    return cdnow.histories(sample)


@pytest.fixture(scope="module")
def bgnbd_fit(sample_histories):
    return clv_models.fit_purchases(clv_models.BGNBD, sample_histories)


def assert_within(fitted: dict, published: dict, tolerance: float) -> None:
    errors = {name: fitted[name] / value - 1 for name, value in published.items()}
    print({name: f"{fitted[name]:.4f} ({error:+.2%})" for name, error in errors.items()})
    assert all(abs(error) < tolerance for error in errors.values()), errors


def test_sample_histories_match_the_published_summary(sample, sample_histories):
    """The parse and the purchase-day counting give the summary FHL published with the
    data (lifetimes ships it: x, t_x, T to 2 decimals, zbar = mean repeat dollars)."""
    assert len(sample) == 6919  # lines of CDNOW_sample.txt
    assert len(sample_histories) == 2357
    folder = cdnow.data_file("sample").parent
    with (folder / "cdnow_customers_summary.csv").open() as handle:
        summary = list(csv.DictReader(handle))
    # The summary is keyed by sample id (the file's second column), ours by master id.
    sample_id = {}
    for fields in (
        line.split() for line in cdnow.data_file("sample").read_text().splitlines() if line.strip()
    ):
        sample_id[fields[0]] = int(fields[1])
    customers, _ = cdnow.calibration(sample)
    position = {sample_id[customer]: i for i, customer in enumerate(customers)}
    assert sorted(position) == [int(row["ID"]) for row in summary] == list(range(1, 2358))
    order = np.array([position[int(row["ID"])] for row in summary])
    for column, ours in (
        ("frequency", sample_histories.x),
        ("recency", sample_histories.t_x),
        ("T", sample_histories.T),
    ):
        published = np.array([float(row[column]) for row in summary])
        assert np.max(np.abs(ours[order] - published)) <= 0.005 + 1e-9, column
    with (folder / "cdnow_customers_summary_with_transactions.csv").open() as handle:
        zbar = {int(row["ID"]): float(row["zbar"]) for row in csv.DictReader(handle)}
    ids = sorted(zbar)
    published_zbar = np.array([zbar[i] for i in ids])
    ours = sample_histories.m_x[[position[i] for i in ids]]
    repeat = sample_histories.x[[position[i] for i in ids]] > 0
    # m_x is NaN for a customer without repeat purchases (zbar 0 there), to 2 decimals else.
    assert np.all(published_zbar[~repeat] == 0)
    assert np.max(np.abs(ours[repeat] - published_zbar[repeat])) <= 0.005 + 1e-9


def test_bgnbd_on_the_cdnow_sample_matches_fader_hardie_lee_2005(bgnbd_fit):
    assert bgnbd_fit.converged
    assert_within(bgnbd_fit.params, BGNBD_PUBLISHED, 0.01)
    assert abs(bgnbd_fit.log_likelihood - BGNBD_LOG_LIKELIHOOD) < 0.1, bgnbd_fit.log_likelihood


def test_pareto_nbd_on_the_cdnow_sample_matches_fader_hardie_lee_2005(sample_histories):
    fit = clv_models.fit_purchases(clv_models.PARETO_NBD, sample_histories)
    assert fit.converged
    assert_within(fit.params, PARETO_PUBLISHED, 0.01)


def test_gamma_gamma_on_the_cdnow_sample_matches_fader_hardie_2013(sample_histories):
    h = sample_histories
    # 946 repeat buyers, every one with a positive mean repeat spend
    assert int((h.x > 0).sum()) == REPEAT_BUYERS
    assert int(((h.x > 0) & np.isfinite(h.m_x)).sum()) == REPEAT_BUYERS
    fit = clv_models.fit_gamma_gamma(h.x, h.m_x)
    assert fit.converged and fit.customers == REPEAT_BUYERS
    assert_within(fit.params, GAMMA_GAMMA_PUBLISHED, 0.01)


def bgnbd_conditional_by_quadrature(params, t, x, t_x, T, nodes=120):
    """E[purchases in (T, T + t] | x, t_x, T] for the BG/NBD by integrating the model's
    definition over the customer's (lambda, p) numerically, without the closed form:

        posterior(lambda, p) ~ Gamma(lambda; r, alpha) Beta(p; a, b) L(lambda, p)
        L = (1-p)^x lambda^x e^(-lambda T)                     (alive at T)
          + [x > 0] p (1-p)^(x-1) lambda^x e^(-lambda t_x)     (dropped after t_x)
        E[purchases in t | alive, lambda, p] = (1 - e^(-lambda p t)) / p   (FHL eq. 7)

    lambda by generalised Gauss-Laguerre (weight u^(r+x-1) e^-u, u = lambda (alpha + T) or
    lambda (alpha + t_x)), p by Gauss-Jacobi (weight p^(a-1) (1-p)^(b-1) on (0, 1))."""
    r, alpha, a, b = params
    v, wv = special.roots_jacobi(nodes, b - 1, a - 1)  # weight (1-v)^(b-1) (1+v)^(a-1)
    p = (1 + v) / 2
    out = np.empty(len(x))
    for i, (xi, txi, Ti) in enumerate(zip(x, t_x, T, strict=True)):
        u, wu = special.roots_genlaguerre(nodes, r + xi - 1)
        lam_alive = u / (alpha + Ti)
        # the alive term: (alpha+T)^-(r+x) sum_u sum_p w (1-p)^x [e^(-lam p t) ...]
        scale_alive = -(r + xi) * np.log(alpha + Ti)
        alive_p = wv * (1 - p) ** xi
        alive = np.exp(scale_alive) * wu.sum() * alive_p.sum()
        future = np.exp(scale_alive) * np.sum(
            wu[:, None]
            * alive_p[None, :]
            * (-np.expm1(-lam_alive[:, None] * p[None, :] * t))
            / p[None, :]
        )
        dropped = 0.0
        if xi > 0:
            dropped = (
                np.exp(-(r + xi) * np.log(alpha + txi))
                * wu.sum()
                * np.sum(wv * p * (1 - p) ** (xi - 1))
            )
        out[i] = future / (alive + dropped)
    return out


def test_holdout_check_weeks_40_to_78(sample, bgnbd_fit):
    """The FHL hold-out check, weeks 40-78 (1997-10-01 .. 1998-06-30: 273 days, 39 weeks).

    The prediction is recomputed for every distinct history by integrating the model
    numerically (above), independent of clv_models' hypergeometric closed form: that is
    the check of our arithmetic. The comparison with what happened is the model's fit:
    the papers show it as a plot, with no aggregate figure to assert. Measured here, the
    BG/NBD predicts 1,653 repeat purchase days against 1,882 actual (-12%), and under the
    actual in every calibration-frequency group; the bound (under, by at most 15%) keeps
    the check measuring the same thing, it is not a published tolerance.
    """
    check = cdnow.holdout_check(sample, clv_models.BGNBD, bgnbd_fit.values)
    assert check.weeks == 39.0  # 273 days / 7
    h = cdnow.histories(sample)
    rows = np.unique(np.column_stack([h.x, h.t_x, h.T]), axis=0)
    by_quadrature = bgnbd_conditional_by_quadrature(
        bgnbd_fit.values, 39.0, rows[:, 0], rows[:, 1], rows[:, 2]
    )
    closed = clv_models.expected_purchases(
        clv_models.BGNBD, bgnbd_fit.values, 39.0, rows[:, 0], rows[:, 1], rows[:, 2]
    )
    np.testing.assert_allclose(closed, by_quadrature, rtol=1e-6, atol=1e-9)
    predicted, actual = float(check.predicted.sum()), float(check.actual.sum())
    print(
        f"\nweeks 40-78: predicted {predicted:.1f}, actual {actual:.0f}"
        f" ({predicted / actual - 1:+.1%})"
    )
    print(f"{'x':>3} {'customers':>9} {'predicted':>9} {'actual':>7}")
    table = check.table()
    for name, customers, mean_predicted, mean_actual in table:
        print(f"{name:>3} {customers:9d} {mean_predicted:9.3f} {mean_actual:7.3f}")
    assert sum(row[1] for row in table) == 2357
    assert 0.85 * actual < predicted < actual
    # the actual purchase days, counted here straight from the transactions
    dates = sample.date
    holdout = (dates > np.datetime64("1997-09-30")) & (dates <= np.datetime64("1998-06-30"))
    assert actual == len(set(zip(sample.customer_id[holdout], dates[holdout], strict=True)))


# ---------------------------------------------------------------- the whole pipeline


@pytest.fixture(scope="module")
def cdnow_run(tmp_path_factory: pytest.TempPathFactory):
    """The sample written in the raw contract, run through the whole pipeline as of
    1997-09-30 (the end of the calibration period); its hold-out stays in the files."""
    from tests.conftest import run_pipeline

    folder = cdnow.write_contract_files(tmp_path_factory.mktemp("cdnow") / "data", "sample")
    warehouse = folder.parent / "ledgerlens.duckdb"
    summary = run_pipeline(folder, warehouse, as_of_date="1997-09-30")
    assert summary.success, summary.failures + summary.problems
    return summary, warehouse


@pytest.mark.slow
def test_cdnow_loads_whole(cdnow_run, sample):
    summary, warehouse = cdnow_run
    loaded = {load.table: (load.rows_loaded, load.rows_quarantined) for load in summary.loads}
    assert loaded["invoices"] == (6919, 0)
    assert loaded["invoice_lines"] == (6919, 0)
    assert loaded["customers"] == (2357, 0)
    # every dollar of the file in the raw table: 8 zero-dollar receipts among them
    assert query(warehouse, "select count(*) from raw.invoices where total_amount = 0") == [(8,)]
    (total,) = query(warehouse, "select sum(line_amount) from raw.invoice_lines")[0]
    assert total == sum(Decimal(f"{value:.2f}") for value in sample.dollars)


@pytest.mark.slow
def test_pipeline_p_alive_equals_the_direct_fit(cdnow_run, sample):
    _, warehouse = cdnow_run
    (fit_row,) = query(
        warehouse,
        "select purchase_model, fit_scope, r, alpha, a, b, s, beta, p, q, gamma,"
        " customers, repeat_buyers"
        " from marts.clv_model_fit where business_id = 'cdnow'",
    )
    model, scope, *values, customers, repeat_buyers = fit_row
    assert scope == "business" and (customers, repeat_buyers) == (2357, REPEAT_BUYERS)
    customers_, h = cdnow.calibration(sample)
    direct = clv_models.fit_purchases(model, h)
    names = clv_models.PARAMETER_NAMES[model]
    run_params = dict(zip(("r", "alpha", "a", "b", "s", "beta"), values[:6], strict=True))
    print(f"\npipeline chose {model}: {run_params}; direct {direct.params}")
    for name in names:
        assert abs(float(run_params[name]) / direct.params[name] - 1) < 1e-3, name
    spend = clv_models.fit_gamma_gamma(h.x, h.m_x)
    for name, value in zip(clv_models.GAMMA_GAMMA_NAMES, values[6:], strict=True):
        assert abs(float(value) / spend.params[name] - 1) < 1e-3, name
    rows = dict(
        query(
            warehouse,
            "select customer_id, p_alive from marts.customer_clv where business_id = 'cdnow'",
        )
    )
    assert sorted(rows) == list(customers_)
    expected = clv_models.p_alive(model, direct.values, h.x, h.t_x, h.T)
    got = np.array([float(rows[c]) for c in customers_])
    difference = np.max(np.abs(got - expected))
    print(f"max |p_alive difference| {difference:.2e}")
    assert difference < 1e-4


@pytest.mark.slow
def test_customer_value_at_the_as_of_month_end_is_the_clv_marts(cdnow_run):
    """The balance sheets' customer value at the as-of date (a month end here) is the CLV
    mart's: the Python history summary (ledgerlens.clv.summarise, cut at each month end)
    and the SQL one (int_customers_clv_prepared, which customer_clv rests on) agree."""
    _, warehouse = cdnow_run
    mart = dict(
        query(
            warehouse,
            "select customer_id, (p_alive, clv_36m) from marts.customer_clv"
            " where business_id = 'cdnow'",
        )
    )
    history = dict(
        query(
            warehouse,
            "select customer_id, (cast(p_alive as decimal(18, 6)),"
            " cast(expected_sales_36m as decimal(18, 2)))"
            " from intermediate.customer_value_history"
            " where business_id = 'cdnow' and month_end_date = date '1997-09-30'",
        )
    )
    assert len(mart) == 2357 and history.keys() == mart.keys()
    # p_alive to its 6 decimals; the value to the cent, but for the last cent: the SQL
    # side rounds the mean repeat purchase to 4 decimals (repeat_purchase_mean), the
    # Python side does not (2 of 2,357 customers here, 1375.90 against 1375.89; 6 in
    # one clean-clone suite of 2026-12-02, each 0.01 apart: the fit's last digits move
    # which values sit on a half cent). At most 10, 0.4% of the customers.
    assert all(mart[c][0] == history[c][0] for c in mart)
    differing = {c: (mart[c], history[c]) for c in mart if mart[c][1] != history[c][1]}
    assert all(abs(a[1] - b[1]) <= Decimal("0.01") for a, b in differing.values())
    assert len(differing) <= 10, list(differing.items())[:10]


@pytest.mark.slow
def test_customer_value_at_a_past_month_end_is_todays_fit_on_the_history_then(cdnow_run):
    """At two past month ends each customer's p_alive is today's fitted model applied to its
    history as it stood that day. Both sides computed apart from ledgerlens: the history
    from the raw invoices in SQL, p_alive by the lifetimes package's own formulas."""
    import lifetimes
    import pandas as pd

    _, warehouse = cdnow_run
    ((model, *values),) = query(
        warehouse,
        "select purchase_model, r, alpha, a, b, s, beta from marts.clv_model_fit"
        " where business_id = 'cdnow'",
    )
    params = {
        name: float(value)
        for name, value in zip(("r", "alpha", "a", "b", "s", "beta"), values, strict=True)
        if value is not None
    }
    if model == clv_models.PARETO_NBD:
        fitter = lifetimes.ParetoNBDFitter()
        fitter.params_ = pd.Series({name: params[name] for name in ("r", "alpha", "s", "beta")})
    else:
        fitter = lifetimes.BetaGeoFitter()
        fitter.params_ = pd.Series({name: params[name] for name in ("r", "alpha", "a", "b")})
    # The sample's customers made their first purchase in 1997's first quarter: at the end
    # of February some are not customers yet; at the end of June all are.
    for month_end, on_file in (("1997-02-28", range(1, 2357)), ("1997-06-30", [2357])):
        # Purchase days up to the month end (CDNOW has no credit notes: a day is a
        # purchase).
        rows = query(
            warehouse,
            "select customer_id, count(distinct invoice_date) - 1,"
            " (max(invoice_date) - min(invoice_date)) / 7.0,"
            f" (date '{month_end}' - min(invoice_date)) / 7.0"
            " from raw.invoices where business_id = 'cdnow' and status <> 'void'"
            f" and invoice_date <= date '{month_end}'"
            " group by customer_id order by customer_id",
        )
        customers = [row[0] for row in rows]
        frequency, recency, age = (np.array([float(row[i]) for row in rows]) for i in (1, 2, 3))
        expected = fitter.conditional_probability_alive(frequency, recency, age)
        got = dict(
            query(
                warehouse,
                "select customer_id, p_alive from intermediate.customer_value_history"
                f" where business_id = 'cdnow' and month_end_date = date '{month_end}'",
            )
        )
        # Every customer with a purchase by then, and no one else.
        assert sorted(got) == customers and len(customers) in on_file
        difference = np.max(
            np.abs(np.array([got[c] for c in customers]) - np.asarray(expected).ravel())
        )
        print(f"{model} at {month_end}: {len(customers)} customers, max |diff| {difference:.1e}")
        assert difference < 2e-6


def test_contract_files_hold_every_contract_table_with_its_columns(tmp_path: Path):
    from ledgerlens.contract import TABLES

    folder = cdnow.write_contract_files(tmp_path / "data")
    assert sorted(path.name for path in folder.iterdir()) == sorted(
        f"{table.name}.csv" for table in TABLES
    )
    for table in TABLES:
        with (folder / f"{table.name}.csv").open() as handle:
            header = next(csv.reader(handle))
        assert header == [column.name for column in table.columns], table.name
