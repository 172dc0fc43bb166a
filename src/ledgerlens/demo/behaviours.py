"""The behaviours planted in the demo customers, and their payment habits.

Every customer is generated with exactly one behaviour; `truth/planted_customers.csv`
records it, so the warehouse's segments and scores can be checked against what was
planted. Behaviours are small integers (indexes into BEHAVIOURS) so that populations
stay NumPy arrays.
"""

from __future__ import annotations

BEHAVIOURS = (
    "steady_champion",
    "steady_good",
    "growing_newcomer",
    "gone_quiet_big_buyer",
    "decliner",
    "one_off_small",
    "sleeper",
    "chronic_late_payer",
    "unpaid_new",
    "annual_prepayer",
    "monthly_payer",
    "identical_total_grower",
    "identical_total_fader",
    "turned_late_payer",
    "returner",
)
(
    CHAMPION,
    GOOD,
    NEWCOMER,
    GONE_QUIET,
    DECLINER,
    ONE_OFF,
    SLEEPER,
    LATE,
    UNPAID,
    PREPAYER,
    MONTHLY,
    GROWER,
    FADER,
    TURNED_LATE,
    RETURNER,
) = range(len(BEHAVIOURS))

# Share of a business's (nominal) customer count per single behaviour; the planted
# pairs (prepayer + monthly payer, fader + grower) add PAIR_SHARE pairs of each kind.
# Every behaviour gets at least one customer. Two behaviours drift: a good payer who
# turns late, and a customer who comes back after a long gap.
SINGLE_SHARES = {
    CHAMPION: 0.05,
    GOOD: 0.28,
    NEWCOMER: 0.07,
    GONE_QUIET: 0.04,
    DECLINER: 0.07,
    ONE_OFF: 0.16,
    SLEEPER: 0.10,
    LATE: 0.07,
    UNPAID: 0.03,
    TURNED_LATE: 0.04,
    RETURNER: 0.04,
}
PAIR_SHARE = 0.01

# Minimum purchases per month, whatever the calibration: keeps behaviours recognisable
# in small data sets (retainer clients are exempt: they are billed monthly anyway).
RATE_FLOOR = {
    CHAMPION: 0.8,
    GOOD: 0.1,
    NEWCOMER: 0.8,
    GONE_QUIET: 0.6,
    DECLINER: 1.0,
    SLEEPER: 0.25,
    LATE: 0.3,
    TURNED_LATE: 0.3,
    RETURNER: 0.3,
}

# Payment habits: when a customer pays relative to the due date (see `settlement.py`),
# from the most to the least punctual (settlement compares them: `> PAYS_ON_TIME`).
# Customers with a planted mean delay (`Population.delay_mean`) pay around it instead,
# with noise and the odd slipped invoice.
PAYS_EARLY, PAYS_ON_TIME, PAYS_NORMALLY, PAYS_LATE, NEVER_PAYS = range(5)
