"""The CLV formulas checked against numbers computed another way (issue 14).

Nothing here calls a pipeline: ledgerlens.clv_models and ledgerlens.clv.score_business are
pure functions. Each expected figure is either worked out by hand in a comment, or computed
by an independent route written out in this file: numerical integration of the models'
likelihoods over the customer's own rates (scipy.integrate.quad, never the closed forms
under test), or a simulation of the buy-till-you-die process forward from the customer's
posterior. The simulations use a fixed seed and a tolerance of four standard errors of
their mean (a false alarm once in about 16,000 seeds), plus whatever bias the method under
test carries by design, bounded in the test's comment.

Time is in weeks, as ledgerlens.clv feeds the models; days to cash are in days.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate

from ledgerlens.clv import Money, score_business
from ledgerlens.clv_models import (
    BGNBD,
    PARETO_NBD,
    Fit,
    Histories,
    discounted_value_draws,
    expected_purchases,
    expected_spend,
    p_alive,
)

# Population parameters near the published CDNOW estimates (FHL 2005; Fader and Hardie's
# Pareto/NBD note), rounded so the hand arithmetic stays short.
BG = {"r": 0.25, "alpha": 4.0, "a": 0.8, "b": 2.5}
PARETO = {"r": 0.55, "alpha": 10.6, "s": 0.61, "beta": 11.7}
GG = {"p": 6.25, "q": 3.74, "gamma": 15.44}
DISCOUNT_RATE = 0.08
YEAR_WEEKS = 365.25 / 7


# ---------------------------------------------------------------- independent routes


def _gamma_pdf(v: float, shape: float, rate: float) -> float:
    if v <= 0:
        return 0.0
    return math.exp(
        shape * math.log(rate) - math.lgamma(shape) + (shape - 1) * math.log(v) - rate * v
    )


def _beta_pdf(p: float, a: float, b: float) -> float:
    if p <= 0 or p >= 1:
        return 0.0
    log_beta = math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)
    return math.exp((a - 1) * math.log(p) + (b - 1) * math.log1p(-p) - log_beta)


def _quad(f, low, high) -> float:
    if high == math.inf and low == 0:
        # Split at 1: the gamma densities with shape below 1 are infinite at 0, which
        # QUADPACK handles on a finite interval, not on a half-line.
        return _quad(f, 0, 1) + _quad(f, 1, math.inf)
    value, _ = integrate.quad(f, low, high, epsabs=0.0, epsrel=1e-10, limit=400)
    return value


def _bgnbd_integrals(params, x, t_x, T):
    """The BG/NBD likelihood of (x, t_x, T) integrated over the customer's lambda and p,
    split into 'alive at T' and 'dropped out after the last purchase'. Given lambda and
    p: alive, (1 - p)^x lambda^x e^(-lambda T); dropped after purchase x,
    p (1 - p)^(x - 1) lambda^x e^(-lambda t_x) (FHL 2005, section 3). Each part is a
    product of a lambda factor and a p factor, integrated one at a time."""
    r, alpha, a, b = params

    def rate_part(until):
        return _quad(lambda v: v**x * math.exp(-v * until) * _gamma_pdf(v, r, alpha), 0, math.inf)

    alive = rate_part(T) * _quad(lambda p: (1 - p) ** x * _beta_pdf(p, a, b), 0, 1)
    dead = 0.0
    if x > 0:
        dead = rate_part(t_x) * _quad(lambda p: p * (1 - p) ** (x - 1) * _beta_pdf(p, a, b), 0, 1)
    return alive, dead


def _pareto_integrals(params, x, t_x, T):
    """The Pareto/NBD likelihood integrated over lambda, mu and the death time tau:
    alive at T, lambda^x e^(-lambda T) e^(-mu T); died at tau in (t_x, T),
    lambda^x e^(-lambda tau) mu e^(-mu tau), integrated over tau numerically."""
    r, alpha, s, beta = params

    def rate_part(until):
        return _quad(lambda v: v**x * math.exp(-v * until) * _gamma_pdf(v, r, alpha), 0, math.inf)

    def death_part(until, power):
        return _quad(
            lambda m: m**power * math.exp(-m * until) * _gamma_pdf(m, s, beta), 0, math.inf
        )

    alive = rate_part(T) * death_part(T, 0)
    dead = _quad(lambda tau: rate_part(tau) * death_part(tau, 1), t_x, T) if T > t_x else 0.0
    return alive, dead


def _bgnbd_posterior_draws(params, x, t_x, T, n, rng):
    """Exact draws of (alive at T, lambda, p) from the BG/NBD posterior. The posterior is a
    two-part mixture (FHL 2005): alive, lambda ~ Gamma(r + x, alpha + T), p ~ Beta(a, b + x),
    weight B(a, b + x) (alpha + T)^-(r + x); dropped out (x > 0), weight
    B(a + 1, b + x - 1) (alpha + t_x)^-(r + x). Only the alive draws buy again."""
    r, alpha, a, b = params

    def log_beta(u, v):
        return math.lgamma(u) + math.lgamma(v) - math.lgamma(u + v)

    log_alive = log_beta(a, b + x) - (r + x) * math.log(alpha + T)
    log_dead = log_beta(a + 1, b + x - 1) - (r + x) * math.log(alpha + t_x) if x > 0 else -math.inf
    share_alive = 1.0 / (1.0 + math.exp(log_dead - log_alive))
    alive = rng.random(n) < share_alive
    rate = rng.gamma(r + x, 1.0 / (alpha + T), n)
    drop = rng.beta(a, b + x, n)
    return alive, rate, drop


def _simulate_bgnbd_forward(params, x, t_x, T, horizon, days_to_cash, n, rng, count_until):
    """n futures of one customer, purchase by purchase: exponential gaps at its rate, a
    dropout with probability p after each purchase. Returns, per future, the purchases up
    to `count_until` weeks and the sum over purchases up to `horizon` weeks of the
    discount factor from the cash date, 1.08^-((7 t + days_to_cash) / 365.25)."""
    alive, rate, drop = _bgnbd_posterior_draws(params, x, t_x, T, n, rng)
    counts = np.zeros(n)
    discounted = np.zeros(n)
    time = np.zeros(n)
    active = np.flatnonzero(alive)
    while active.size:
        time[active] += rng.exponential(1.0 / rate[active])
        active = active[time[active] <= horizon]
        counts[active] += time[active] <= count_until
        discounted[active] += (1 + DISCOUNT_RATE) ** (-(7 * time[active] + days_to_cash) / 365.25)
        active = active[rng.random(active.size) >= drop[active]]
    return counts, discounted


def _pareto_posterior_draws(params, x, t_x, T, n, rng):
    """Draws of (alive at T, lambda, mu) from the Pareto/NBD posterior, by rejection. Given
    lambda and mu the likelihood is lambda^x e^(-(lambda + mu) t_x) times
    w = e^(-(lambda + mu)(T - t_x)) + mu / (lambda + mu) (1 - e^(-(lambda + mu)(T - t_x)))
    (alive past T, or died in (t_x, T)); w <= 1, so propose lambda ~ Gamma(r + x,
    alpha + t_x), mu ~ Gamma(s, beta + t_x) and keep each with probability w; a kept
    draw is alive with probability e^(-(lambda + mu)(T - t_x)) / w."""
    r, alpha, s, beta = params
    rates, deaths, alives = [], [], []
    kept = 0
    while kept < n:
        rate = rng.gamma(r + x, 1.0 / (alpha + t_x), 2 * n)
        death = rng.gamma(s, 1.0 / (beta + t_x), 2 * n)
        still = np.exp(-(rate + death) * (T - t_x))
        w = still + death / (rate + death) * (1 - still)
        keep = rng.random(2 * n) < w
        rates.append(rate[keep])
        deaths.append(death[keep])
        alives.append(rng.random(int(keep.sum())) < still[keep] / w[keep])
        kept += int(keep.sum())
    return np.concatenate(alives)[:n], np.concatenate(rates)[:n], np.concatenate(deaths)[:n]


def _simulate_pareto_forward(params, x, t_x, T, horizon, days_to_cash, n, rng, count_until):
    """As _simulate_bgnbd_forward for the Pareto/NBD: an alive customer lives on for an
    exponential time at its death rate (memoryless) and buys at its rate until then."""
    alive, rate, death = _pareto_posterior_draws(params, x, t_x, T, n, rng)
    end = np.where(alive, np.minimum(rng.exponential(1.0 / death), horizon), 0.0)
    counts = np.zeros(n)
    discounted = np.zeros(n)
    time = np.zeros(n)
    active = np.flatnonzero(alive)
    while active.size:
        time[active] += rng.exponential(1.0 / rate[active])
        active = active[time[active] <= end[active]]
        counts[active] += time[active] <= count_until
        discounted[active] += (1 + DISCOUNT_RATE) ** (-(7 * time[active] + days_to_cash) / 365.25)
    return counts, discounted


def _fit(model: str, params: dict, log_variance: float = 0.01) -> Fit:
    return Fit(
        model=model,
        params=dict(params),
        log_likelihood=0.0,
        converged=True,
        customers=500,
        log_covariance=np.eye(len(params)) * log_variance,
    )


def _score(
    histories, *, days_to_cash=None, uncollected=None, margin=None, spend_fit=True, model=BGNBD
):
    n = len(histories)
    money = Money(
        days_to_cash=np.zeros(n) if days_to_cash is None else np.asarray(days_to_cash, dtype=float),
        uncollected_share=np.zeros(n)
        if uncollected is None
        else np.asarray(uncollected, dtype=float),
        margin=np.full(n, 0.3) if margin is None else np.asarray(margin, dtype=float),
    )
    params = BG if model == BGNBD else PARETO
    return score_business(
        "acme",
        histories,
        np.full(n, 50.0),
        np.zeros(n),
        money,
        _fit(model, params),
        _fit("gamma_gamma", GG) if spend_fit else None,
        "business",
        DISCOUNT_RATE,
    )


# Typical histories (weeks): a one-time buyer, a few purchases, a regular customer.
TYPICAL = Histories(
    x=[0, 2, 5, 29],
    t_x=[0, 30, 60, 95],
    T=[52, 38, 78, 100],
    m_x=[np.nan, 40.0, 55.0, 30.0],
)


# ---------------------------------------------------------------- p_alive


def test_bgnbd_p_alive_matches_the_closed_form_by_hand_and_the_integrated_likelihood():
    params = list(BG.values())
    # x = 2, t_x = 30, T = 38 weeks (FHL 2005, eq. 13):
    # P(alive) = 1 / (1 + a / (b + x - 1) * ((alpha + T) / (alpha + t_x))^(r + x))
    #          = 1 / (1 + 0.8 / 3.5 * (42 / 34)^2.25)
    # 42 / 34 = 1.235294; ln = 0.211309; x 2.25 = 0.475445; e^ = 1.608731
    # 0.8 / 3.5 = 0.228571; x 1.608731 = 0.367710; 1 / 1.367710 = 0.731149
    by_hand = 1 / (1 + 0.8 / 3.5 * (42 / 34) ** 2.25)
    assert by_hand == pytest.approx(0.731149, abs=1e-6)
    alive, dead = _bgnbd_integrals(params, 2, 30, 38)
    integrated = alive / (alive + dead)
    assert integrated == pytest.approx(by_hand, rel=1e-7)
    assert p_alive(BGNBD, params, [2], [30], [38])[0] == pytest.approx(by_hand, rel=1e-10)

    # More histories against the integral: a long silence, a recent buyer, many purchases.
    x, t_x, T = [1, 4, 12, 7], [2.0, 50.0, 70.0, 10.0], [60.0, 51.0, 71.0, 90.0]
    expected = []
    for row in zip(x, t_x, T, strict=True):
        alive, dead = _bgnbd_integrals(params, *row)
        expected.append(alive / (alive + dead))
    np.testing.assert_allclose(p_alive(BGNBD, params, x, t_x, T), expected, rtol=1e-7)

    # No repeat purchase: BG/NBD customers only drop out after a repeat purchase, so
    # P(alive) = 1 (the integral's 'dead' part is empty).
    assert p_alive(BGNBD, params, [0], [0], [40])[0] == 1.0


def test_pareto_nbd_p_alive_matches_the_likelihood_integrated_over_the_death_time():
    # alpha = beta: the hypergeometric terms are 2F1(.; 0) = 1, so by hand
    # A0 = (alpha + t_x)^-(r+s+x) - (alpha + T)^-(r+s+x) and
    # P(alive) = 1 / (1 + s / (r + s + x) * (((alpha + T) / (alpha + t_x))^(r+s+x) - 1)).
    # r = s = 0.5, alpha = beta = 10, x = 2, t_x = 30, T = 38: r + s + x = 3,
    # (48 / 40)^3 = 1.728, - 1 = 0.728; 0.5 / 3 x 0.728 = 0.121333; 1 / 1.121333 = 0.891795
    equal = [0.5, 10.0, 0.5, 10.0]
    by_hand = 1 / (1 + 0.5 / 3 * ((48 / 40) ** 3 - 1))
    assert by_hand == pytest.approx(0.891795, abs=1e-6)
    alive, dead = _pareto_integrals(equal, 2, 30, 38)
    assert alive / (alive + dead) == pytest.approx(by_hand, rel=1e-7)
    assert p_alive(PARETO_NBD, equal, [2], [30], [38])[0] == pytest.approx(by_hand, rel=1e-9)

    # alpha < beta and alpha > beta take the two branches of the hypergeometric term.
    x, t_x, T = [0, 2, 5, 1], [0.0, 30.0, 60.0, 3.0], [52.0, 38.0, 78.0, 70.0]
    for params in (list(PARETO.values()), [0.55, 14.0, 0.61, 6.0]):
        expected = []
        for row in zip(x, t_x, T, strict=True):
            alive, dead = _pareto_integrals(params, *row)
            expected.append(alive / (alive + dead))
        np.testing.assert_allclose(p_alive(PARETO_NBD, params, x, t_x, T), expected, rtol=1e-6)


# ---------------------------------------------------------------- expected purchases


def _bgnbd_expected_integrated(params, t, x, t_x, T) -> float:
    """Given lambda, p and alive at T, a customer buys (1 - e^(-lambda p t)) / p times in
    the next t (FHL 2005, eq. 7): integrated over the alive part of the posterior."""
    r, alpha, a, b = params
    alive, dead = _bgnbd_integrals(params, x, t_x, T)

    def inner(v, p):
        return (
            (1 - p) ** x
            * v**x
            * math.exp(-v * T)
            * _gamma_pdf(v, r, alpha)
            * _beta_pdf(p, a, b)
            * -math.expm1(-v * p * t)
            / p
        )

    numerator, _ = integrate.dblquad(inner, 0, 1, 0, math.inf, epsabs=0, epsrel=1e-9)
    return numerator / (alive + dead)


def _pareto_expected_integrated(params, t, x, t_x, T) -> float:
    """Alive at T, a customer buys lambda / mu (1 - e^(-mu t)) in the next t; integrated
    over the alive part of the posterior, where it factors into a lambda and a mu part."""
    r, alpha, s, beta = params
    alive, dead = _pareto_integrals(params, x, t_x, T)
    rate = _quad(lambda v: v ** (x + 1) * math.exp(-v * T) * _gamma_pdf(v, r, alpha), 0, math.inf)
    life = _quad(
        lambda m: math.exp(-m * T) * -math.expm1(-m * t) / m * _gamma_pdf(m, s, beta), 0, math.inf
    )
    return rate * life / (alive + dead)


def test_bgnbd_expected_purchases_match_the_integrated_posterior_and_a_simulation():
    params = list(BG.values())
    t = 52.0
    for x, t_x, T in [(0, 0.0, 52.0), (2, 30.0, 38.0), (5, 60.0, 78.0)]:
        model = expected_purchases(BGNBD, params, t, [x], [t_x], [T])[0]
        assert model == pytest.approx(_bgnbd_expected_integrated(params, t, x, t_x, T), rel=1e-6), (
            x,
            t_x,
            T,
        )

        # The generative process forward from the posterior, 200,000 futures: the mean
        # count within four standard errors.
        counts, _ = _simulate_bgnbd_forward(
            params, x, t_x, T, t, 0.0, 200_000, np.random.default_rng(14 + x), count_until=t
        )
        error = 4 * counts.std() / math.sqrt(counts.size)
        assert abs(counts.mean() - model) < error, (x, counts.mean(), model, error)


def test_pareto_nbd_expected_purchases_match_the_integrated_posterior():
    t = 52.0
    for params in (list(PARETO.values()), [0.55, 14.0, 0.61, 6.0]):
        for x, t_x, T in [(0, 0.0, 52.0), (2, 30.0, 38.0), (5, 60.0, 78.0)]:
            model = expected_purchases(PARETO_NBD, params, t, [x], [t_x], [T])[0]
            integrated = _pareto_expected_integrated(params, t, x, t_x, T)
            assert model == pytest.approx(integrated, rel=1e-6), (params, x, t_x, T)


# ---------------------------------------------------------------- Gamma-Gamma


def test_gamma_gamma_expected_spend_by_hand():
    params = list(GG.values())
    # x = 3 purchases of mean 40.00 (Fader and Hardie 2013, eq. 6):
    # p (gamma + x m_x) / (p x + q - 1) = 6.25 (15.44 + 120) / (18.75 + 3.74 - 1)
    #                                   = 846.50 / 21.49 = 39.390414
    # no repeat purchase (or a mean credited to zero or less): the population mean
    # p gamma / (q - 1) = 96.50 / 2.74 = 35.218978
    spend = expected_spend(params, [3, 0, 2, 4], [40.0, np.nan, -10.0, 0.0])
    np.testing.assert_allclose(spend, [39.390414, 35.218978, 35.218978, 35.218978], atol=1e-6)


# ---------------------------------------------------------------- score_business


def test_clv_is_discounted_from_the_cash_date():
    on_sale = _score(TYPICAL)
    late = _score(TYPICAL, days_to_cash=[45, 45, 0, 120])
    # 45 days later: 1.08^(-45 / 365.25) = e^(-0.076961 x 0.123203) = 0.990563
    # 120 days later: 1.08^(-120 / 365.25) = e^(-0.076961 x 0.328542) = e^(-0.025285)
    #                = 0.975032
    factor = np.array([0.990563, 0.990563, 1.0, 0.975032])
    for column in (
        "clv_12m",
        "clv_36m",
        "clv_12m_low",
        "clv_12m_high",
        "clv_36m_low",
        "clv_36m_high",
    ):
        np.testing.assert_allclose(
            late[column], on_sale[column] * factor, rtol=1e-6, err_msg=column
        )
    exact = np.exp(-math.log(1.08) * np.array([45, 45, 0, 120]) / 365.25)
    np.testing.assert_allclose(late["clv_12m"], on_sale["clv_12m"] * exact, rtol=1e-12)
    # What is bought is not moved by when it is paid.
    np.testing.assert_array_equal(
        late["expected_purchases_365d"], on_sale["expected_purchases_365d"]
    )


def test_uncollected_share_takes_its_part_off_every_clv_figure():
    whole = _score(TYPICAL)
    part = _score(TYPICAL, uncollected=[0.0, 0.25, 0.1, 1.0])
    keep = np.array([1.0, 0.75, 0.9, 0.0])  # 1 - u
    for column in ("clv_12m", "clv_36m", "clv_12m_low", "clv_12m_high", "clv_contribution_36m"):
        np.testing.assert_allclose(part[column], whole[column] * keep, rtol=1e-12, err_msg=column)


@pytest.mark.parametrize(
    ("x", "t_x", "T", "m_x", "days_to_cash", "uncollected"),
    [
        (2, 30.0, 38.0, 40.0, 60.0, 0.1),
        (5, 60.0, 78.0, 55.0, 0.0, 0.0),
        (0, 0.0, 52.0, np.nan, 30.0, 0.0),
    ],
)
def test_clv_matches_a_simulation_of_the_purchases_forward_from_the_posterior(
    x, t_x, T, m_x, days_to_cash, uncollected
):
    histories = Histories(x=[x], t_x=[t_x], T=[T], m_x=[m_x])
    out = _score(histories, days_to_cash=[days_to_cash], uncollected=[uncollected])
    # The value of a purchase, by hand (Gamma-Gamma, p = 6.25, q = 3.74, gamma = 15.44):
    # x = 2, m_x = 40: 6.25 (15.44 + 80) / (12.5 + 2.74) = 596.50 / 15.24 = 39.140420
    # x = 5, m_x = 55: 6.25 (15.44 + 275) / (31.25 + 2.74) = 1815.25 / 33.99 = 53.405413
    # x = 0: 96.50 / 2.74 = 35.218978
    spend = {0: 35.218978, 2: 39.140420, 5: 53.405413}[x]
    assert out["expected_purchase_value"][0] == pytest.approx(spend, abs=1e-6)
    # 12 months = 365.25 days = 52.178571 weeks; 36 months three times that. Each simulated
    # purchase is worth the spend, times 1 - u, discounted from its cash date.
    # The module discounts each month's expected purchases from mid-month: against exact
    # purchase times that is off by about k^2 h^2 / 24 + k h^2 |f'/f| / 12 with
    # k = 0.00148 a week, h = 4.35 weeks and f the purchase rate (falling at most a few
    # percent a week here): under 1e-4 of the value, far below the Monte Carlo error.
    rng = np.random.default_rng(1400 + x)
    for months, column in ((12, "clv_12m"), (36, "clv_36m")):
        horizon = months / 12 * YEAR_WEEKS
        _, discounted = _simulate_bgnbd_forward(
            list(BG.values()), x, t_x, T, horizon, days_to_cash, 300_000, rng, count_until=0.0
        )
        values = discounted * spend * (1 - uncollected)
        error = 4 * values.std() / math.sqrt(values.size) + 1e-4 * values.mean()
        assert abs(out[column][0] - values.mean()) < error, (
            column,
            out[column][0],
            values.mean(),
            error,
        )


@pytest.mark.parametrize(
    ("x", "t_x", "T", "m_x", "days_to_cash"),
    [(2, 30.0, 38.0, 40.0, 60.0), (0, 0.0, 52.0, np.nan, 0.0)],
)
def test_pareto_nbd_clv_matches_a_simulation_forward_from_the_posterior(
    x, t_x, T, m_x, days_to_cash
):
    histories = Histories(x=[x], t_x=[t_x], T=[T], m_x=[m_x])
    out = _score(histories, days_to_cash=[days_to_cash], model=PARETO_NBD)
    spend = {0: 35.218978, 2: 39.140420}[x]  # by hand above
    rng = np.random.default_rng(1500 + x)
    counts, discounted = _simulate_pareto_forward(
        list(PARETO.values()),
        x,
        t_x,
        T,
        YEAR_WEEKS,
        days_to_cash,
        300_000,
        rng,
        count_until=365 / 7,
    )
    error = 4 * counts.std() / math.sqrt(counts.size)
    assert abs(out["expected_purchases_365d"][0] - counts.mean()) < error
    values = discounted * spend
    error = 4 * values.std() / math.sqrt(values.size) + 1e-4 * values.mean()
    assert abs(out["clv_12m"][0] - values.mean()) < error, (out["clv_12m"][0], values.mean(), error)


@pytest.mark.parametrize("model", [BGNBD, PARETO_NBD])
def test_the_interval_draws_centre_on_the_simulated_value(model):
    # With the population parameters fixed, the draws behind the interval are the
    # customer's own rates from its posterior: their weighted mean must be the expected
    # discounted purchases, which the forward simulation computes another way.
    params = list((BG if model == BGNBD else PARETO).values())
    histories = Histories(x=[2, 5], t_x=[30.0, 60.0], T=[38.0, 78.0])
    rng = np.random.default_rng(7)
    draws = 100_000
    values, weights = discounted_value_draws(
        model,
        np.tile(params, (draws, 1)),
        None,
        histories,
        YEAR_WEEKS,
        math.log(1 + DISCOUNT_RATE) / YEAR_WEEKS,
        rng,
    )
    simulate = _simulate_bgnbd_forward if model == BGNBD else _simulate_pareto_forward
    for i, (x, t_x, T) in enumerate(zip(histories.x, histories.t_x, histories.T, strict=True)):
        w = weights[i] / weights[i].sum()
        centre = float((w * values[i]).sum())
        # Standard error of a self-normalised importance-sampling mean.
        centre_error = math.sqrt(float((w**2 * (values[i] - centre) ** 2).sum()))
        _, discounted = simulate(
            params, int(x), t_x, T, YEAR_WEEKS, 0.0, 300_000, rng, count_until=0.0
        )
        error = 4 * math.hypot(centre_error, discounted.std() / math.sqrt(discounted.size))
        assert abs(centre - discounted.mean()) < error, (model, x, centre, discounted.mean(), error)


def test_the_interval_holds_the_point_and_narrows_with_history():
    out = _score(TYPICAL)
    for months in (12, 36):
        point, low, high = (out[f"clv_{months}m{end}"] for end in ("", "_low", "_high"))
        # Every typical customer, the one-time buyer included, has its point inside.
        assert np.all(low <= point) and np.all(point <= high), (months, low, point, high)
        width = (high - low) / point
        # One purchase (x = 0) against 30 (x = 29): the 30-purchase customer's rate is
        # known to within a few percent, the one-time buyer's hardly at all (its dropout
        # probability stays uncertain: 29 purchases without one say little about a
        # p of 2-3%, hence a wide 36-month interval even for it).
        assert width[0] > 1.5 * width[3], (months, width)


def test_contribution_is_clv_times_margin_and_a_negative_margin_swaps_the_bounds():
    margin = np.array([0.3, -0.2, 0.0, 1.0])
    out = _score(TYPICAL, margin=margin)
    for months in (12, 36):
        clv = out[f"clv_{months}m"]
        low, high = out[f"clv_{months}m_low"], out[f"clv_{months}m_high"]
        contribution = out[f"clv_contribution_{months}m"]
        np.testing.assert_allclose(contribution, clv * margin, rtol=1e-12)
        # margin 0.3 and 1.0 keep the order; -0.2 turns the clv's high end into the
        # contribution's low end (the most sold is the most lost).
        np.testing.assert_allclose(
            out[f"clv_contribution_{months}m_low"],
            [low[0] * 0.3, high[1] * -0.2, 0.0, low[3]],
            rtol=1e-12,
        )
        np.testing.assert_allclose(
            out[f"clv_contribution_{months}m_high"],
            [high[0] * 0.3, low[1] * -0.2, 0.0, high[3]],
            rtol=1e-12,
        )
        assert np.all(
            out[f"clv_contribution_{months}m_low"] <= out[f"clv_contribution_{months}m_high"]
        )


def test_empirical_fallback_repeats_the_last_twelve_months_by_hand():
    histories = Histories(x=[11], t_x=[50.0], T=[52.0])
    money = Money(
        days_to_cash=np.array([0.0]), uncollected_share=np.array([0.0]), margin=np.array([0.25])
    )
    out = score_business(
        "acme",
        histories,
        np.array([80.0]),
        np.array([12.0]),
        money,
        None,
        None,
        "none",
        DISCOUNT_RATE,
    )
    # 12 purchases a year, continuously discounted at ln(1.08) a year over one year:
    # 12 x (1 - 1/1.08) / ln(1.08) = 12 x 0.0740741 / 0.0769610 = 12 x 0.962488 = 11.549855
    # purchases, at the customer's own mean of 80.00: 923.988424
    assert out["clv_12m"][0] == pytest.approx(923.988424, abs=1e-5)
    # three years: 12 x (1 - 1.08^-3) / ln(1.08) = 12 x 0.206168 / 0.076961 = 32.146...
    # x 80.00 = 2571.6...
    assert out["clv_36m"][0] == pytest.approx(
        12 * (1 - 1.08**-3) / math.log(1.08) * 80.0, rel=1e-12
    )
    assert out["clv_contribution_12m"][0] == pytest.approx(923.988424 * 0.25, abs=1e-5)
    assert out["clv_model"][0] == "empirical"


def test_a_loose_pooled_fit_on_a_tiny_book_does_not_fail_the_scoring():
    # The pooled BG/NBD fit of tests/data/handmade at main b41ddbc (4 customers, 2 repeat
    # buyers): it converges to r = 1176, alpha = 20803, a = 104, b = 0.0095 with a
    # variance of 5864 on log b (a standard deviation of 77). Draws of b then reach
    # 1e-66 and below, where b + x - 1 = 0.0 in floating point for x = 1: the dropout
    # draw must not fail the run ("fits must not fail a run", issue 14).
    covariance = np.array(
        [
            [1221.75362, 1221.56324792, 0.0, 0.0],
            [1221.56324792, 1221.86240405, 0.0, 0.0],
            [0.0, 0.0, 5864.06201481, 1466.0155037],
            [0.0, 0.0, 1466.0155037, 5864.06201481],
        ]
    )
    fit = Fit(
        model=BGNBD,
        params={
            "r": 1176.4748337330357,
            "alpha": 20803.2833436703,
            "a": 104.4202404571128,
            "b": 0.009515437800175747,
        },
        log_likelihood=0.0,
        converged=True,
        customers=4,
        log_covariance=covariance,
    )
    # The hand-made book's four customers, in days / 7.
    histories = Histories(
        x=[1, 1, 0, 0], t_x=np.array([55, 137, 0, 0]) / 7, T=np.array([173, 137, 61, 0]) / 7
    )
    money = Money(days_to_cash=np.zeros(4), uncollected_share=np.zeros(4), margin=np.full(4, 0.3))
    out = score_business(
        "acme", histories, np.full(4, 100.0), np.ones(4), money, fit, None, "pooled", DISCOUNT_RATE
    )
    for months in (12, 36):
        assert np.all(np.isfinite(out[f"clv_{months}m"]))
        assert np.all(out[f"clv_{months}m_low"] <= out[f"clv_{months}m_high"])
