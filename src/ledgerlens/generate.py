"""Deterministic demo data: four businesses' sales ledgers with planted customer behaviours.

`generate()` writes one file per contract table (`ledgerlens.contract.TABLES`, columns in
contract order) plus `truth/planted_customers.csv`, the behaviour every customer was
generated with, so the warehouse's customer intelligence can be checked against it.

How it works, per business:

* A customer population is drawn: every customer gets one behaviour (archetype) and a
  handful of parameters: active window, purchase rate, invoice size, trends, payment
  habit. Each business gets at least one customer of every behaviour; the population
  grows with `lines`, and a pilot population calibrates its size so the number of
  invoice lines lands near the target.
* Customers are processed in blocks (bounded memory). For a block, purchase counts come
  from a customers x months grid of intensities (trend x seasonality x active window),
  partly spread regularly and partly Poisson, plus forced "anchor" purchases that pin
  behaviours down (first purchase, last purchase of a customer who went quiet, ...),
  monthly retainers and the fixed schedules of the planted pairs. Lines, payments,
  allocations, credit notes and costs follow, all as NumPy arrays; text columns are
  built with pyarrow compute and appended to one CSV/Parquet writer per table.

Money is handled in integer cents (rates in millionths, quantities in hundredths), so
every identity of the contract holds exactly: quantities are whole units or quarter
hours priced in whole currency units, which makes quantity * unit_price a whole number
of cents.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from ledgerlens.contract import TABLES, TABLES_BY_NAME, Column

# --------------------------------------------------------------------------- calendar

_EPOCH = dt.date(1970, 1, 1)
START_DATE = dt.date(2022, 11, 1)
END_DATE = dt.date(2026, 10, 31)
START = (START_DATE - _EPOCH).days
END = (END_DATE - _EPOCH).days

_MONTHS = np.arange(np.datetime64("2022-11"), np.datetime64("2026-11"))
MONTH_START = _MONTHS.astype("datetime64[D]").astype(np.int64)
MONTH_END = (_MONTHS + 1).astype("datetime64[D]").astype(np.int64) - 1
MONTH_LEN = MONTH_END - MONTH_START + 1
MONTH_CAL = _MONTHS.astype(np.int64) % 12  # 0 = January
N_MONTHS = len(_MONTHS)
_JAN_2023 = int(np.nonzero(MONTH_CAL == 0)[0][0])  # first January in the data
_YYMM = pa.array([str(m)[2:4] + str(m)[5:7] for m in _MONTHS])

# Every date written lies in [_DATE_MIN, _DATE_MAX] (created dates reach back before
# the data starts; due dates reach past its end).
_DATE_MIN = START - 2400
_DATE_MAX = END + 400
_DATE_TEXT = pc.cast(
    pa.array(np.arange(_DATE_MIN, _DATE_MAX + 1, dtype=np.int32), pa.date32()), pa.string()
)

BLOCK_LINES = 250_000  # target invoice lines per generated block

# --------------------------------------------------------------------------- behaviours

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
) = range(len(BEHAVIOURS))

# Share of a business's (nominal) customer count per single behaviour; the planted
# pairs add PAIR_SHARE pairs of each kind. Every behaviour gets at least one customer.
SINGLE_SHARES = {
    CHAMPION: 0.05,
    GOOD: 0.36,
    NEWCOMER: 0.07,
    GONE_QUIET: 0.04,
    DECLINER: 0.07,
    ONE_OFF: 0.16,
    SLEEPER: 0.10,
    LATE: 0.07,
    UNPAID: 0.03,
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
}

POISSON_SHARE = 0.35  # share of purchase intensity that is Poisson noise

# Payment habits.
P_EARLY, P_ONTIME, P_NORMAL, P_LATE, P_NEVER = range(5)
# Kinds of generated sales documents.
K_REGULAR, K_SMALL, K_RETAINER, K_ANNUAL, K_MONTHLY, K_COPY = range(6)
# Units of catalogue items.
U_HOUR, U_INT, U_LUMP, U_SUB = range(4)
_UNITS = {"hour": U_HOUR, "int": U_INT, "lump": U_LUMP, "sub": U_SUB}

DOC_TYPES = pa.array(["invoice", "sales_receipt"])
STATUSES = pa.array(["open", "paid", "void"])
CHANNELS = ("referral", "web", "outbound", "partner", "event")
CHANNEL_P = (0.24, 0.30, 0.20, 0.12, 0.08, 0.06)  # last: blank (unknown)
# Acquisition cost range per channel (and for blank), in cents before business scaling.
CHANNEL_COST = (
    (5_000, 30_000),
    (8_000, 60_000),
    (40_000, 300_000),
    (20_000, 150_000),
    (60_000, 400_000),
    (10_000, 100_000),
)
COST_CATEGORIES = pa.array(
    ["acquisition", "onboarding", "support", "delivery", "rework", "reimbursement", "other"]
)
C_ACQ, C_ONB, C_SUP, C_DEL, C_REW, C_REI, C_OTH = range(7)


# --------------------------------------------------------------------------- businesses


@dataclass(frozen=True)
class Item:
    code: str
    description: str
    unit: str  # hour: quarter hours at a whole-unit rate; int: whole units; lump: qty 1
    price: int  # list price in cents at the start of the data (lump: typical amount)
    cost: int | None  # cents per unit; None = unknown
    qty: float = 1.0  # typical quantity on a line of a size-1 invoice
    weight: float = 1.0


@dataclass(frozen=True)
class Business:
    business_id: str
    name: str
    currency: str
    fiscal_year_start_month: int
    terms: int
    tax_pct: int
    share: float  # share of the invoice lines
    base_rate: float  # invoices per month of a typical customer
    extra_lines: tuple[int, float]  # lines per regular invoice = 1 + Binomial(n, p)
    season: tuple[float, ...]  # purchase intensity by calendar month, Jan..Dec
    items: tuple[Item, ...]
    subscription: tuple[Item, Item]  # annual / monthly billing of the same contract
    subscription_dollars: tuple[int, int]  # range of the monthly contract value
    foreign_currency: str | None = None
    foreign_price_factor: float = 1.0  # document-currency units per home unit in prices
    foreign_customer_name: str = ""
    retainer: Item | None = None
    retainer_extra: str | None = None
    own_terms: tuple[int, ...] = (15, 45)
    sales_reps: tuple[str, ...] = ()
    name_parts: tuple[tuple[str, ...], ...] = ()
    p_discount: float = 0.04
    p_cost_blank: float = 0.0
    inflation: float = 1.03
    size_sigma: float = 0.35
    lump_min: int = 50_000
    receipts: bool = False
    support_hourly: int = 6_000  # cents per hour, a multiple of 4
    support_rate: float = 0.2  # support entries per active month
    delivery_rate: float = 0.05  # delivery costs per invoice
    delivery_range: tuple[int, int] = (2_000, 20_000)
    reimbursement_rate: float = 0.1  # per active year
    acquisition_scale: float = 1.0
    reasons: tuple[str, ...] = ("pricing error",)
    goodwill_reasons: tuple[str, ...] = ("goodwill",)

    def line_p(self, z):
        """Chance of each extra line: bigger invoices carry more lines."""
        return np.clip(self.extra_lines[1] * np.sqrt(z), 0.02, 0.95)

    def mean_lines(self, z):
        return 1.0 + self.extra_lines[0] * self.line_p(z)


_NORTHWIND_EXTRA = Item("ADV-S", "Senior consultant hours", "hour", 18_500, 9_500, 10, 0.35)

BUSINESSES: tuple[Business, ...] = (
    Business(
        business_id="northwind",
        name="Northwind Advisory LLC",
        currency="USD",
        fiscal_year_start_month=1,
        terms=30,
        tax_pct=8,
        share=0.17,
        base_rate=0.35,
        extra_lines=(2, 0.4),
        season=(1.05, 1.0, 1.1, 1.0, 1.0, 0.95, 0.85, 0.75, 1.05, 1.1, 1.05, 0.8),
        items=(
            Item("ADV-P", "Partner advisory hours", "hour", 27_500, 14_000, 5, 0.2),
            _NORTHWIND_EXTRA,
            Item("ADV-A", "Associate hours", "hour", 12_000, 6_000, 14, 0.2),
            Item("WS-D", "Strategy workshop day", "int", 240_000, 110_000, 1, 0.1),
            Item("RPT-B", "Board reporting pack", "int", 95_000, 40_000, 1, 0.08),
            Item("EXP", "Travel and expenses (pass-through)", "int", 35_000, 35_000, 1, 0.07),
        ),
        subscription=(
            Item("RET-ANN", "Advisory retainer - annual billing (12 months)", "sub", 0, None),
            Item("RET-MON", "Advisory retainer - monthly billing", "sub", 0, None),
        ),
        subscription_dollars=(1_500, 6_000),
        foreign_currency="CAD",
        foreign_price_factor=1.36,
        foreign_customer_name="Maple Leaf Ventures Ltd",
        retainer=Item("RET-M", "Monthly advisory retainer", "hour", 16_500, 8_500),
        retainer_extra="ADV-S",
        own_terms=(15, 45, 60),
        sales_reps=("Dana Ortiz", "Marcus Bell", "Priya Natarajan", "Tom Keller"),
        name_parts=(
            (
                "Blue Heron",
                "Cedar Ridge",
                "Harborview",
                "Oakmont",
                "Silver Birch",
                "Granite",
                "Redwood",
                "Lakeshore",
                "Northgate",
                "Pinecrest",
                "Riverside",
                "Stonebridge",
                "Willow Creek",
                "Bright Path",
                "Clearwater",
                "Evergreen",
                "Foxglove",
                "Ironwood",
                "Juniper",
                "Copper Hill",
            ),
            (
                "Dental",
                "Partners",
                "Logistics",
                "Health",
                "Capital",
                "Foods",
                "Architects",
                "Labs",
                "Realty",
                "Analytics",
                "Clinic",
                "Robotics",
                "Media",
                "Builders",
                "Energy",
            ),
            ("", " LLC", " Inc", " Group", " Co"),
        ),
        p_discount=0.03,
        inflation=1.04,
        size_sigma=0.3,
        support_hourly=6_500,
        support_rate=0.25,
        delivery_rate=0.15,
        delivery_range=(5_000, 60_000),
        reimbursement_rate=0.6,
        acquisition_scale=1.0,
        reasons=("session not delivered", "billing error", "scope reduced", "rate correction"),
        goodwill_reasons=("goodwill", "loyalty credit", "service complaint"),
    ),
    Business(
        business_id="harbor",
        name="Harbor Wholesale Inc",
        currency="USD",
        fiscal_year_start_month=7,
        terms=14,
        tax_pct=7,
        share=0.50,
        base_rate=2.4,
        extra_lines=(7, 0.42),
        season=(0.85, 0.85, 0.95, 1.0, 1.0, 0.8, 0.75, 0.8, 1.0, 1.25, 1.4, 1.45),
        items=(
            Item("HW-1001", "Stainless hinge 3in (box of 10)", "int", 2_450, 1_520, 5, 1.0),
            Item("HW-1002", "Brass cabinet knob", "int", 385, 210, 20, 0.8),
            Item("HW-1010", "Wood screws #8 x 1-1/4in (500)", "int", 1_899, 1_130, 4, 1.2),
            Item("PK-2001", "Stretch wrap 18in x 1500ft", "int", 2_275, 1_480, 6, 1.3),
            Item("PK-2002", "Corrugated box 16x12x12 (bundle 25)", "int", 3_150, 2_050, 5, 1.4),
            Item("PK-2003", "Packing tape 2in (case of 36)", "int", 5_400, 3_600, 2, 1.0),
            Item("CL-3001", "Nitrile gloves L (case 1000)", "int", 8_900, 6_100, 2, 1.0),
            Item("CL-3002", "Paper towels (case of 12 rolls)", "int", 3_825, 2_450, 4, 1.2),
            Item("CL-3003", "Degreaser concentrate 1gal", "int", 2_199, 1_180, 4, 0.8),
            Item("EL-4001", "LED shop light 4ft", "int", 4_499, 2_700, 3, 0.6),
            Item("EL-4002", "Extension cord 50ft 12ga", "int", 3_850, 2_300, 2, 0.5),
            Item("EL-4003", "AA batteries (pack of 48)", "int", 2_150, 1_350, 4, 0.9),
            Item("TL-5001", "Utility knife with 10 blades", "int", 1_275, 640, 6, 0.7),
            Item("TL-5002", "Cordless drill 20V kit", "int", 12_900, 8_400, 1, 0.3),
            Item("TL-5003", "Tape measure 25ft", "int", 1_450, 760, 4, 0.6),
            Item("SF-6001", "Safety glasses (box of 12)", "int", 3_300, 1_900, 2, 0.8),
            Item("SF-6002", "Hi-vis vest class 2", "int", 995, 520, 8, 0.7),
            Item("JN-7001", "Trash bags 55gal (case of 100)", "int", 4_650, 3_100, 3, 1.1),
            Item("JN-7002", "Floor cleaner 5gal", "int", 6_400, 4_150, 1, 0.6),
            Item("FD-8001", "Foodservice film 12in", "int", 2_895, 1_850, 3, 0.7),
        ),
        subscription=(
            Item("PLAN-ANN", "Supply plan subscription - annual (12 months)", "sub", 0, None),
            Item("PLAN-MON", "Supply plan subscription - monthly", "sub", 0, None),
        ),
        subscription_dollars=(600, 2_500),
        own_terms=(7, 30),
        sales_reps=("Alex Romero", "Jamie Chen", "Pat Oneill"),
        name_parts=(
            (
                "Main Street",
                "Lakeside",
                "Corner",
                "Valley",
                "Metro",
                "Bayside",
                "Uptown",
                "Hilltop",
                "Parkway",
                "Old Town",
                "Westside",
                "Eastgate",
                "Sunrise",
                "Central",
                "Coastal",
                "Harbor Point",
            ),
            (
                "Hardware",
                "Deli",
                "Cafe",
                "Market",
                "Auto Repair",
                "Cleaners",
                "Bakery",
                "Diner",
                "Pharmacy",
                "Fitness",
                "Motel",
                "Print Shop",
                "Garden Center",
                "Pet Supply",
            ),
            ("", " Inc", " LLC", " & Sons"),
        ),
        p_discount=0.08,
        inflation=1.035,
        receipts=True,
        support_hourly=3_500,
        support_rate=0.06,
        delivery_rate=0.05,
        delivery_range=(1_500, 20_000),
        reimbursement_rate=0.02,
        acquisition_scale=0.4,
        reasons=("returned goods", "damaged in transit", "quantity short", "pricing error"),
        goodwill_reasons=("goodwill", "loyalty credit", "late delivery"),
    ),
    Business(
        business_id="summit",
        name="Summit Projects Co",
        currency="USD",
        fiscal_year_start_month=4,
        terms=45,
        tax_pct=0,
        share=0.05,
        base_rate=0.22,
        extra_lines=(2, 0.3),
        season=(0.95, 1.0, 1.2, 1.0, 1.0, 1.0, 0.8, 0.8, 1.0, 1.0, 1.0, 1.3),
        items=(
            Item("MS", "Project milestone payment", "lump", 2_400_000, None, 1, 0.5),
            Item("DES", "Design phase deliverable", "lump", 1_500_000, None, 1, 0.2),
            Item("CO", "Change order", "lump", 450_000, None, 1, 0.15),
            Item("PM", "Project management hours", "hour", 16_000, 9_000, 20, 0.15),
        ),
        subscription=(
            Item("SUP-ANN", "Annual support contract (12 months)", "sub", 0, None),
            Item("SUP-MON", "Support contract - monthly billing", "sub", 0, None),
        ),
        subscription_dollars=(4_000, 15_000),
        own_terms=(30, 60, 90),
        sales_reps=("Renee Walsh", "Victor Huang"),
        name_parts=(
            (
                "Granite Peak",
                "Millbrook",
                "Harlow County",
                "Bridgeport",
                "Crescent",
                "Ridgeway",
                "Meridian",
                "Highland",
                "Northshore",
                "Ashford",
                "Fairhaven",
                "Kingsbury",
            ),
            (
                "Developments",
                "Utilities",
                "School District",
                "Medical Center",
                "Properties",
                "Port Authority",
                "Holdings",
                "Construction",
                "Hospitality",
            ),
            ("", " Inc", " LLC"),
        ),
        p_discount=0.02,
        inflation=1.03,
        lump_min=200_000,
        support_hourly=8_500,
        support_rate=0.5,
        delivery_rate=0.4,
        delivery_range=(50_000, 800_000),
        reimbursement_rate=1.0,
        acquisition_scale=2.5,
        reasons=("milestone rescoped", "penalty for delay", "billing error"),
        goodwill_reasons=("goodwill", "relationship credit"),
    ),
    Business(
        business_id="rheinland",
        name="Rheinland Supplies GmbH",
        currency="EUR",
        fiscal_year_start_month=1,
        terms=30,
        tax_pct=19,
        share=0.28,
        base_rate=1.2,
        extra_lines=(5, 0.4),
        season=(0.9, 0.95, 1.1, 1.05, 1.0, 1.0, 0.85, 0.65, 1.1, 1.1, 1.05, 0.8),
        items=(
            Item("SCH-M8", "Sechskantschrauben M8x40 (100 Stk.)", "int", 1_290, 690, 5, 1.2),
            Item("DUE-10", "Dübel 10 mm (200 Stk.)", "int", 1_850, 1_020, 4, 1.0),
            Item("HS-L", "Arbeitshandschuhe Gr. L (12 Paar)", "int", 2_450, 1_390, 3, 1.0),
            Item("KB-300", "Kabelbinder 300 mm (500 Stk.)", "int", 1_575, 820, 4, 0.9),
            Item("SB-K80", "Schleifband K80 (20 Stk.)", "int", 3_190, 1_900, 2, 0.7),
            Item("BH-SDS", "Bohrhammer SDS-plus", "int", 18_900, 12_400, 1, 0.25),
            Item("TS-125", "Trennscheiben 125 mm (25 Stk.)", "int", 2_790, 1_650, 3, 0.9),
            Item("SI-310", "Silikon transparent 310 ml", "int", 495, 260, 10, 1.0),
            Item("PU-750", "PU-Schaum 750 ml", "int", 845, 470, 6, 0.8),
            Item("MK-UNI", "Montagekleber universal", "int", 695, 380, 8, 0.8),
            Item("WW-60", "Wasserwaage 60 cm", "int", 2_890, 1_720, 1, 0.4),
            Item("SB-KL", "Schutzbrille klar", "int", 450, 210, 8, 0.8),
            Item("LED-50", "LED-Strahler 50 W", "int", 3_990, 2_510, 2, 0.5),
            Item("LIEF", "Lieferpauschale", "int", 1_500, None, 1, 0.6),
        ),
        subscription=(
            Item("WART-J", "Wartungsvertrag jährlich (12 Monate)", "sub", 0, None),
            Item("WART-M", "Wartungsvertrag monatlich", "sub", 0, None),
        ),
        subscription_dollars=(400, 2_000),
        foreign_currency="USD",
        foreign_price_factor=1.11,
        foreign_customer_name="Great Lakes Tooling Inc",
        own_terms=(14, 60),
        sales_reps=("Jana Becker", "Lukas Hoffmann", "Miriam Schulz"),
        name_parts=(
            (
                "Müller",
                "Schmidt",
                "Weber",
                "Fischer",
                "Wagner",
                "Becker",
                "Hoffmann",
                "Schäfer",
                "Koch",
                "Richter",
                "Klein",
                "Wolf",
                "Neumann",
                "Braun",
            ),
            (
                "Bau",
                "Haustechnik",
                "Elektro",
                "Metallbau",
                "Holzbau",
                "Sanitär",
                "Dachdeckerei",
                "Malerbetrieb",
                "Gartenbau",
                "Fensterbau",
            ),
            (" GmbH", " GmbH & Co. KG", " KG", " e.K.", " AG"),
        ),
        p_discount=0.05,
        p_cost_blank=0.08,
        inflation=1.045,
        support_hourly=4_800,
        support_rate=0.1,
        delivery_rate=0.08,
        delivery_range=(1_000, 15_000),
        reimbursement_rate=0.05,
        acquisition_scale=0.5,
        reasons=("Rücksendung", "Transportschaden", "Preisfehler", "Fehlmenge"),
        goodwill_reasons=("Kulanz", "Treuebonus"),
    ),
)

# Foreign currency per (document currency, home currency): home units per document unit,
# a Brownian bridge between a start and an end level, kept inside a band.
FX_PATHS = {
    ("CAD", "USD"): (0.745, 0.727, 0.72, 0.75, 0.0005),
    ("USD", "EUR"): (0.945, 0.868, 0.85, 0.95, 0.0012),
}


# --------------------------------------------------------------------------- helpers


def _u(rng: np.random.Generator, lo: int, hi: int, size: int) -> np.ndarray:
    """Uniform integers in [lo, hi] (inclusive), int64."""
    return rng.integers(lo, hi + 1, size, dtype=np.int64)


def _noise(rng: np.random.Generator, sigma: float, size: int) -> np.ndarray:
    """Multiplicative lognormal noise, truncated at two standard deviations."""
    return np.exp(sigma * np.clip(rng.standard_normal(size), -2.0, 2.0))


def _month_index(day: np.ndarray) -> np.ndarray:
    return np.searchsorted(MONTH_START, day, side="right") - 1


def _ramp(day, dec_day) -> np.ndarray:
    """0 before dec_day, rising linearly to 1 over the next 90 days."""
    return np.clip((day - dec_day) / 90.0, 0.0, 1.0)


def _str(values: np.ndarray) -> pa.Array:
    return pc.cast(pa.array(values), pa.string())


def _padded(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    digits = pc.utf8_lpad(_str(numbers), width=width, padding="0")
    return pc.binary_join_element_wise(prefix, digits, "")


def _monthly_ids(prefix: str, day: np.ndarray, counter: np.ndarray, width: int) -> pa.Array:
    """Ids like INV-2503-00042: numbered per month of `day`, continuing `counter`."""
    n = len(day)
    month = _month_index(day)
    order = np.argsort(day, kind="stable")
    sorted_month = month[order]
    rank = np.empty(n, np.int64)
    rank[order] = np.arange(n) - np.searchsorted(sorted_month, sorted_month, side="left")
    seq = counter[month] + rank + 1
    counter += np.bincount(month, minlength=N_MONTHS)
    digits = pc.utf8_lpad(_str(seq), width=width, padding="0")
    return pc.binary_join_element_wise(prefix, pc.take(_YYMM, pa.array(month)), digits, "-")


def _days_between(rng: np.random.Generator, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """A uniform random day in [lo, hi] for each pair."""
    return lo + (rng.random(len(lo)) * (hi - lo + 1)).astype(np.int64)


def _group_starts(sorted_keys: np.ndarray, n_groups: int) -> tuple[np.ndarray, np.ndarray]:
    keys = np.arange(n_groups)
    return (np.searchsorted(sorted_keys, keys, "left"), np.searchsorted(sorted_keys, keys, "right"))


# Column values, tagged by representation; converted per output format by the sink.
def _s(arr: pa.Array) -> tuple:
    return ("s", arr)


def _d(days: np.ndarray, mask: np.ndarray | None = None) -> tuple:
    return ("d", days, mask)


def _i(values: np.ndarray, mask: np.ndarray | None = None) -> tuple:
    return ("i", values, mask)


def _f(units: np.ndarray, scale: int, mask: np.ndarray | None = None) -> tuple:
    return ("f", units, scale, mask)


def _const(value: str, n: int) -> tuple:
    return ("s", pa.repeat(value, n))


# --------------------------------------------------------------------------- output


_PARQUET_TYPES = {
    "id": pa.string(),
    "text": pa.string(),
    "currency": pa.string(),
    "enum": pa.string(),
    "date": pa.date32(),
    "integer": pa.int32(),
    "money": pa.decimal128(18, 2),
    "rate": pa.decimal128(18, 6),
    "quantity": pa.decimal128(18, 4),
    "price": pa.decimal128(18, 4),
}
# Trailing zeros are dropped for rates and quantities ("0.7351", "8", "2.25");
# money and prices keep exactly two decimals.
_CSV_TRIM = {"rate": True, "quantity": True, "money": False, "price": False}


def _fixed_text(units: np.ndarray, scale: int, trim: bool) -> pa.Array:
    if units.size and units.min() < 0:
        raise ValueError("negative amount generated")
    p = 10**scale
    text = pc.binary_join_element_wise(
        _str(units // p), pc.utf8_lpad(_str(units % p), width=scale, padding="0"), "."
    )
    if trim:
        text = pc.utf8_rtrim(pc.utf8_rtrim(text, characters="0"), characters=".")
    return text


def _with_nulls(arr: pa.Array, mask: np.ndarray | None) -> pa.Array:
    if mask is None or not mask.any():
        return arr
    return pc.if_else(pa.array(mask), pa.scalar(None, arr.type), arr)


def _decimal(units: np.ndarray, scale: int, target: int, mask: np.ndarray | None) -> pa.Array:
    units = units.astype(np.int64) * (10 ** (target - scale))
    words = np.empty(2 * len(units), np.int64)
    words[0::2] = units
    words[1::2] = units >> 63
    validity = None if mask is None else pa.array(~mask).buffers()[1]
    return pa.Array.from_buffers(
        pa.decimal128(18, target), len(units), [validity, pa.py_buffer(words)]
    )


def _to_csv(column: Column, value: tuple) -> pa.Array:
    tag = value[0]
    if tag == "s":
        return value[1]
    if tag == "d":
        days, mask = value[1], value[2]
        if days.size and (days.min() < _DATE_MIN or days.max() > _DATE_MAX):
            raise ValueError(f"{column.name}: date out of range")
        return _with_nulls(pc.take(_DATE_TEXT, pa.array(days - _DATE_MIN)), mask)
    if tag == "i":
        return _with_nulls(_str(value[1]), value[2])
    units, scale, mask = value[1], value[2], value[3]
    return _with_nulls(_fixed_text(units, scale, _CSV_TRIM[column.kind]), mask)


def _to_parquet(column: Column, value: tuple) -> pa.Array:
    tag = value[0]
    if tag == "s":
        return value[1]
    if tag == "d":
        return pa.array(value[1].astype(np.int32), pa.date32(), mask=value[2])
    if tag == "i":
        return pa.array(value[1].astype(np.int32), pa.int32(), mask=value[2])
    units, scale, mask = value[1], value[2], value[3]
    target = _PARQUET_TYPES[column.kind].scale
    return _decimal(units, scale, target, mask)


class _Sink:
    """One appending writer per contract table."""

    def __init__(self, out: Path, fmt: str):
        self.fmt = fmt
        self.writers: dict[str, object] = {}
        self.handles = []
        self.schemas: dict[str, pa.Schema] = {}
        self.counts = {table.name: 0 for table in TABLES}
        for table in TABLES:
            path = out / f"{table.name}.{fmt}"
            if fmt == "csv":
                schema = pa.schema([(name, pa.string()) for name in table.column_names])
                handle = open(path, "wb")  # noqa: SIM115 - closed in close()
                handle.write((",".join(table.column_names) + "\n").encode())
                self.handles.append(handle)
                writer = pacsv.CSVWriter(
                    handle,
                    schema,
                    write_options=pacsv.WriteOptions(
                        include_header=False, quoting_style="none", batch_size=65_536
                    ),
                )
            else:
                schema = pa.schema(
                    [(c.name, _PARQUET_TYPES[c.kind], not c.required) for c in table.columns]
                )
                writer = pq.ParquetWriter(path, schema)
            self.schemas[table.name] = schema
            self.writers[table.name] = writer

    def write(self, name: str, columns: dict[str, tuple]) -> None:
        table = TABLES_BY_NAME[name]
        if list(columns) != table.column_names:
            raise ValueError(f"{name}: columns {list(columns)} differ from the contract")
        convert = _to_csv if self.fmt == "csv" else _to_parquet
        arrays = [convert(column, columns[column.name]) for column in table.columns]
        n = len(arrays[0])
        if n == 0:
            return
        if any(len(a) != n for a in arrays):
            raise ValueError(f"{name}: columns of different lengths")
        self.writers[name].write_table(pa.Table.from_arrays(arrays, schema=self.schemas[name]))
        self.counts[name] += n

    def close(self) -> None:
        for writer in self.writers.values():
            writer.close()
        for handle in self.handles:
            handle.close()


# --------------------------------------------------------------------------- FX


def _fx_series(rng: np.random.Generator) -> dict[tuple[str, str], np.ndarray]:
    """Daily rates in millionths (quoted to 4 decimals), indexed by day - START."""
    n = END - START + 1
    t = np.arange(n) / (n - 1)
    series = {}
    for pair, (first, last, lo, hi, sd) in FX_PATHS.items():
        walk = np.cumsum(rng.normal(0.0, sd, n))
        bridge = walk - t * walk[-1]
        rate = np.clip(first + (last - first) * t + bridge, lo, hi)
        series[pair] = np.rint(rate * 10_000).astype(np.int64) * 100
    return series


# --------------------------------------------------------------------------- population


def _population(biz: Business, rng: np.random.Generator, n: int) -> SimpleNamespace:
    """Behavioural parameters of a customer population of nominal size n.

    Order: planted pairs first (prepayer, monthly payer, ...; fader, grower, ...), then
    the single behaviours. Pairs stay together in block 0.
    """
    n_pp = max(1, round(n * PAIR_SHARE))
    n_id = max(1, round(n * PAIR_SHARE))
    single_counts = [max(1, round(n * share)) for share in SINGLE_SHARES.values()]
    arch = np.concatenate(
        [
            np.tile([PREPAYER, MONTHLY], n_pp),
            np.tile([FADER, GROWER], n_id),
            np.repeat(np.array(list(SINGLE_SHARES)), single_counts),
        ]
    ).astype(np.int64)
    size = len(arch)
    idx = np.arange(size)
    n_sched = 2 * (n_pp + n_id)
    partner = np.full(size, -1)
    partner[:n_sched] = idx[:n_sched] ^ 1

    p = SimpleNamespace(
        size=size,
        n_sched=n_sched,
        arch=arch,
        partner=partner,
        f=np.full(size, START, np.int64),  # first day of the active window
        l=np.full(size, END, np.int64),  # last day of the active window
        a1=np.full(size, -1, np.int64),  # forced purchase days (-1: none)
        a2=np.full(size, -1, np.int64),
        rate=np.zeros(size),  # Poisson purchases per month, before calibration
        amt=np.ones(size),  # invoice size multiplier
        g_rate=np.zeros(size),  # yearly log growth of the purchase rate
        g_amt=np.zeros(size),  # yearly log growth of invoice size
        dec_day=np.full(size, END + 100_000, np.int64),  # start of a decline
        dec_rate=np.ones(size),
        dec_amt=np.ones(size),
        pay=np.full(size, P_NORMAL, np.int64),
        receipt_p=np.zeros(size),
        protected=np.zeros(size, bool),  # no voids / credit notes / partial payments
        sched_n=np.zeros(size, np.int64),
        sched_day=np.ones(size, np.int64),
        sched_dollars=np.zeros(size, np.int64),
        created=np.zeros(size, np.int64),
        retainer=np.zeros(size, bool),
        ret_hours=np.zeros(size),
    )

    def sel(a: int) -> tuple[np.ndarray, int]:
        m = arch == a
        return m, int(m.sum())

    m, k = sel(CHAMPION)
    p.f[m] = START + _u(rng, 0, 20, k)
    p.a1[m] = p.f[m]
    p.a2[m] = END - _u(rng, 0, 20, k)
    p.rate[m] = 2.6 * rng.lognormal(0, 0.15, k)
    p.amt[m] = 2.4 * rng.lognormal(0, 0.15, k)
    p.g_rate[m] = rng.uniform(0.0, 0.1, k)
    p.g_amt[m] = rng.uniform(0.0, 0.06, k)
    p.pay[m] = P_EARLY

    for a, rate, habit, receipts in ((GOOD, 1.0, P_ONTIME, 0.12), (LATE, 0.9, P_LATE, 0.0)):
        m, k = sel(a)
        existing = rng.random(k) < 0.65
        p.f[m] = np.where(existing, START + _u(rng, 0, 30, k), START + _u(rng, 0, 1060, k))
        p.a1[m] = p.f[m]
        p.rate[m] = rate * rng.lognormal(0, 0.3, k)
        p.amt[m] = rng.lognormal(0, 0.35, k)
        p.g_rate[m] = rng.normal(0, 0.06, k)
        p.g_amt[m] = rng.normal(0, 0.04, k)
        p.pay[m] = habit
        p.receipt_p[m] = receipts

    m, k = sel(NEWCOMER)
    p.f[m] = END - _u(rng, 95, 265, k)
    p.a1[m] = p.f[m]
    p.rate[m] = 1.2 * rng.lognormal(0, 0.2, k)
    p.amt[m] = 0.7 * rng.lognormal(0, 0.2, k)
    # From the first (trial) purchase to the end date: 3x the rate, 2.5x the size.
    years = (END - p.f[m]) / 365.25
    p.g_rate[m] = np.log(3.0 * rng.uniform(0.9, 1.1, k)) / years
    p.g_amt[m] = np.log(2.5 * rng.uniform(0.9, 1.1, k)) / years
    p.pay[m] = P_ONTIME

    m, k = sel(GONE_QUIET)
    p.f[m] = START + _u(rng, 0, 45, k)
    p.l[m] = END - _u(rng, 130, 260, k)
    p.a1[m] = p.f[m]
    p.a2[m] = p.l[m]
    p.rate[m] = 2.2 * rng.lognormal(0, 0.15, k)
    p.amt[m] = 2.0 * rng.lognormal(0, 0.15, k)

    m, k = sel(DECLINER)
    p.f[m] = START + _u(rng, 0, 60, k)
    p.dec_day[m] = END - _u(rng, 455, 545, k)  # fully declined for the last 12 months
    p.a1[m] = p.dec_day[m] - _u(rng, 15, 60, k)  # a full-size purchase in the prior year
    p.a2[m] = END - _u(rng, 5, 55, k)  # and still buying
    p.dec_rate[m] = 0.1
    p.dec_amt[m] = 0.25
    p.rate[m] = 1.7 * rng.lognormal(0, 0.15, k)
    p.amt[m] = 1.5 * rng.lognormal(0, 0.15, k)
    p.receipt_p[m] = 0.1

    m, k = sel(ONE_OFF)
    first = END - _u(rng, 250, 900, k)
    second = np.where(rng.random(k) < 0.5, first + _u(rng, 10, 60, k), -1)
    p.a1[m] = first
    p.a2[m] = second
    p.f[m] = first
    p.l[m] = np.maximum(first, second)
    p.amt[m] = 0.3 * rng.lognormal(0, 0.2, k)
    p.receipt_p[m] = 0.5

    m, k = sel(SLEEPER)
    p.f[m] = START + _u(rng, 0, 300, k)
    p.l[m] = END - _u(rng, 565, 700, k)
    p.a1[m] = p.f[m]
    p.a2[m] = p.l[m]
    p.rate[m] = 0.8 * rng.lognormal(0, 0.25, k)
    p.amt[m] = 0.9 * rng.lognormal(0, 0.25, k)
    p.receipt_p[m] = 0.15

    m, k = sel(UNPAID)
    first = END - _u(rng, 0, 42, k)
    second = np.where(rng.random(k) < 0.5, np.minimum(first + _u(rng, 3, 25, k), END), -1)
    p.a1[m] = first
    p.a2[m] = second
    p.f[m] = first
    p.l[m] = np.maximum(first, second)
    p.amt[m] = 0.8 * rng.lognormal(0, 0.2, k)
    p.pay[m] = P_NEVER

    # Prepayer / monthly payer pairs: same contract value, billed yearly or monthly from
    # January 2023 on the same day of the month.
    lo, hi = biz.subscription_dollars
    day = _u(rng, 1, 28, n_pp)
    dollars = _u(rng, lo // 10, hi // 10, n_pp) * 10
    pp = slice(0, 2 * n_pp)
    p.sched_day[pp] = np.repeat(day, 2)
    p.sched_dollars[pp] = np.repeat(dollars, 2)
    p.f[pp] = MONTH_START[_JAN_2023] + p.sched_day[pp] - 1
    p.protected[pp] = True
    p.pay[pp] = np.tile([P_EARLY, P_ONTIME], n_pp)

    # Identical-total pairs: same purchase dates; the grower's invoices are the fader's in
    # reverse order, so all-time sales match to the cent.
    ip = slice(2 * n_pp, n_sched)
    p.f[ip] = np.repeat(START + _u(rng, 0, 120, n_id), 2)
    p.l[ip] = np.repeat(END - _u(rng, 5, 60, n_id), 2)
    p.sched_n[ip] = np.repeat(_u(rng, 18, 36, n_id), 2)
    p.amt[ip] = np.repeat(rng.lognormal(0, 0.2, n_id), 2)
    p.protected[ip] = True
    p.pay[ip] = P_ONTIME

    # Created dates: customers active from the start existed before the data begins.
    existing = (p.f - START) < 45
    p.created = np.where(existing, START - _u(rng, 30, 1500, size), p.f - _u(rng, 0, 30, size))
    sched = idx < n_sched
    p.created[sched] = p.f[sched] - _u(rng, 5, 60, n_sched)
    m, k = sel(ONE_OFF)
    p.created[m] = p.a1[m] - _u(rng, 0, 14, k)
    m, k = sel(UNPAID)
    p.created[m] = p.a1[m] - _u(rng, 0, 3, k)  # within the last 45 days

    if biz.retainer is not None:
        eligible = np.isin(arch, (CHAMPION, GOOD, LATE, GONE_QUIET))
        p.retainer = eligible & (rng.random(size) < 0.55)
        p.ret_hours = np.where(
            p.retainer, np.maximum(4, np.rint(rng.uniform(6, 30, size) * p.amt)), 0
        )
        p.rate = np.where(p.retainer, 0.5 * p.rate, p.rate)

    p.rate *= biz.base_rate
    floor = np.zeros(len(BEHAVIOURS))
    floor[list(RATE_FLOOR)] = list(RATE_FLOOR.values())
    p.floor = np.where(p.retainer, 0.0, floor[arch])
    p.pf = np.clip(rng.lognormal(0, 0.05, size), 0.88, 1.12) * np.where(arch == CHAMPION, 0.95, 1)
    p.foreign = np.zeros(size, bool)
    if biz.foreign_currency:
        p.foreign[np.nonzero(arch == GOOD)[0][0]] = True
    p.fxf = np.where(p.foreign, biz.foreign_price_factor, 1.0)
    p.tax_pct = np.where(p.foreign, 0, biz.tax_pct).astype(np.int64)  # exports: zero-rated
    own = np.array(biz.own_terms)[rng.integers(0, len(biz.own_terms), size)]
    p.own_terms = np.where((rng.random(size) < 0.15) & (arch != UNPAID), own, -1)
    p.terms = np.where(p.own_terms >= 0, p.own_terms, biz.terms)
    if not biz.receipts:
        p.receipt_p = np.zeros(size)
    return p


def _grid(biz: Business, p: SimpleNamespace, sl: slice, s: float):
    """Expected purchases per customer x month (rates scaled by s, floored), with the
    active part of each month (first day and length)."""
    f = p.f[sl, None]
    lo = np.maximum(MONTH_START, f)
    hi = np.minimum(MONTH_END, p.l[sl, None])
    span = np.maximum(hi - lo + 1, 0)
    mid = (lo + hi) * 0.5
    trend = np.exp(p.g_rate[sl, None] * (mid - f) / 365.25) * (
        1.0 + (p.dec_rate[sl, None] - 1.0) * _ramp(mid, p.dec_day[sl, None])
    )
    season = np.array(biz.season)[MONTH_CAL]
    rate = np.maximum(p.rate[sl] * s, p.floor[sl])
    lam = rate[:, None] * season * trend * (span / MONTH_LEN)
    return lam, lo, span


def _retainer_months(p: SimpleNamespace, sl: slice) -> np.ndarray:
    return (MONTH_START >= p.f[sl, None]) & (MONTH_START <= p.l[sl, None]) & p.retainer[sl, None]


def _expected_lines(biz: Business, p: SimpleNamespace, s: float) -> np.ndarray:
    """Expected invoice lines per customer at rate scale s."""
    lam, _, _ = _grid(biz, p, slice(None), s)
    per_invoice = biz.mean_lines(p.amt)
    poisson = lam.sum(axis=1) * per_invoice
    anchors = (p.a1 >= 0).astype(float) + (p.a2 >= 0)
    fixed = anchors * np.where(p.arch == ONE_OFF, 1.35, per_invoice)
    fixed += _retainer_months(p, slice(None)).sum(axis=1) * 1.35
    fixed += np.where(p.arch == PREPAYER, 4, 0) + np.where(
        p.arch == MONTHLY, N_MONTHS - _JAN_2023, 0
    )
    fixed += np.where(np.isin(p.arch, (GROWER, FADER)), p.sched_n * per_invoice, 0)
    ramp = p.arch == NEWCOMER
    poisson[ramp] = np.maximum(4, np.rint(lam[ramp].sum(axis=1))) * per_invoice[ramp]
    return fixed + poisson


def _calibrate(biz: Business, p: SimpleNamespace, target: float) -> float:
    """The rate scale s in [0.2, 5] whose expected line count is closest to target."""
    lo, hi = 0.2, 5.0
    for _ in range(30):
        mid = (lo * hi) ** 0.5
        if _expected_lines(biz, p, mid).sum() < target:
            lo = mid
        else:
            hi = mid
    return (lo * hi) ** 0.5


def _customer_attributes(biz: Business, p: SimpleNamespace, rng: np.random.Generator):
    """Ids, names, reps, channels, parents and referrals (ids follow creation order)."""
    size = p.size
    order = np.lexsort((rng.random(size), p.created))
    number = np.empty(size, np.int64)
    number[order] = np.arange(1, size + 1)
    ids = _padded("C", number, 5)

    a, b, c = (pa.array(part) for part in biz.name_parts)
    names = pc.binary_join_element_wise(
        pc.take(a, pa.array(rng.integers(0, len(a), size))),
        pc.take(b, pa.array(rng.integers(0, len(b), size))),
        " ",
    )
    names = pc.binary_join_element_wise(
        names, pc.take(c, pa.array(rng.integers(0, len(c), size))), ""
    ).to_pylist()

    reps = pa.array(list(biz.sales_reps) + [None])
    rep_p = np.r_[np.full(len(biz.sales_reps), 0.94 / len(biz.sales_reps)), 0.06]
    rep = rng.choice(len(reps), size, p=rep_p)
    channel = rng.choice(len(CHANNEL_P), size, p=CHANNEL_P)

    referred = np.full(size, -1)
    rank = number - 1
    is_ref = (channel == 0) & (rank > 0)
    referred[is_ref] = order[(rng.random(is_ref.sum()) * rank[is_ref]).astype(np.int64)]
    if biz.business_id == "northwind" and size >= 3:  # a referral chain A -> B -> C
        chain = order[[size // 10, size // 2, (9 * size) // 10]]
        channel[chain[1:]] = 0
        referred[chain[1]] = chain[0]
        referred[chain[2]] = chain[1]

    if p.foreign.any():
        names[int(np.nonzero(p.foreign)[0][0])] = biz.foreign_customer_name

    # A few subsidiaries (parent_customer_id): head offices are champions.
    parent = np.full(size, -1)
    heads = np.nonzero(p.arch == CHAMPION)[0]
    candidates = np.nonzero(np.isin(p.arch, (GOOD, LATE, DECLINER, NEWCOMER)) & ~p.foreign)[0]
    n_sub = min(max(2, size // 500), len(candidates))
    if len(heads) and n_sub:
        subs = rng.choice(candidates, n_sub, replace=False)
        parent[subs] = rng.choice(heads, n_sub)
        regions = ("East", "West", "North", "South", "Services", "Logistics")
        for k, sub in enumerate(np.nonzero(parent >= 0)[0]):  # a handful of rows
            names[sub] = f"{names[parent[sub]]} - {regions[k % len(regions)]}"
            rep[sub] = rep[parent[sub]]

    return SimpleNamespace(
        order=order,
        ids=ids,
        names=pa.array(names, pa.string()),
        rep=pc.take(reps, pa.array(rep)),
        channel=pc.take(pa.array(list(CHANNELS) + [None]), pa.array(channel)),
        channel_code=channel,
        parent=parent,
        referred=referred,
    )


# --------------------------------------------------------------------------- invoices


def _invoice_specs(
    biz: Business, p: SimpleNamespace, b0: int, b1: int, s: float, rng: np.random.Generator
):
    """Sales documents of customers [b0, b1): customer, day, kind, anchor, size, copy source."""
    sl = slice(b0, b1)
    parts = []  # (customer, day, kind, anchor, size override, copy source)

    lam, lo, span = _grid(biz, p, sl, s)
    # Customers buy more regularly than a Poisson process: most of the intensity is
    # spread evenly (cumulative intensity rounded from a random phase), the rest is noise.
    phase = rng.random((b1 - b0, 1))
    regular = np.floor(np.cumsum(lam * (1 - POISSON_SHARE), axis=1) + phase)
    counts = np.diff(regular, axis=1, prepend=0.0).astype(np.int64)
    counts += rng.poisson(lam * POISSON_SHARE)
    arch = p.arch[sl]
    ramp = arch == NEWCOMER
    counts[ramp] = 0
    ci, mi = np.nonzero(counts)
    reps = counts[ci, mi]
    ci, mi = np.repeat(ci, reps), np.repeat(mi, reps)
    day = lo[ci, mi] + (rng.random(len(ci)) * span[ci, mi]).astype(np.int64)
    parts.append((ci, day, K_REGULAR, False))

    # Newcomers ramp up: after the trial order, purchases sit at jittered quantiles of
    # their growing intensity, so they come ever more often.
    c = np.nonzero(ramp)[0]
    n_c = np.maximum(4, np.rint(lam[c].sum(axis=1))).astype(np.int64)
    rc = np.repeat(c, n_c)
    q = np.arange(len(rc)) - np.repeat(np.cumsum(n_c) - n_c, n_c) + rng.uniform(0.2, 0.8, len(rc))
    q /= np.repeat(n_c, n_c)
    f, g = p.f[b0 + rc], p.g_rate[b0 + rc]
    growth = np.exp(g * (END - f) / 365.25)
    day = f + 1 + np.floor(np.log1p(q * (growth - 1)) / g * 365.25).astype(np.int64)
    parts.append((rc, np.minimum(day, END), K_REGULAR, True))

    for anchor in (p.a1[sl], p.a2[sl]):
        c = np.nonzero(anchor >= 0)[0]
        kind = np.where(arch[c] == ONE_OFF, K_SMALL, K_REGULAR)
        parts.append((c, anchor[c], kind, True))

    ci, mi = np.nonzero(_retainer_months(p, sl))
    parts.append((ci, MONTH_START[mi], K_RETAINER, False))

    c = np.nonzero(arch == PREPAYER)[0]
    years = np.nonzero((MONTH_CAL == 0) & (np.arange(N_MONTHS) >= _JAN_2023))[0]
    parts.append(
        (
            np.repeat(c, len(years)),
            (MONTH_START[years][None, :] + p.sched_day[b0 + c][:, None] - 1).ravel(),
            K_ANNUAL,
            False,
        )
    )
    c = np.nonzero(arch == MONTHLY)[0]
    months = np.arange(_JAN_2023, N_MONTHS)
    parts.append(
        (
            np.repeat(c, len(months)),
            (MONTH_START[months][None, :] + p.sched_day[b0 + c][:, None] - 1).ravel(),
            K_MONTHLY,
            False,
        )
    )

    cust = [np.asarray(part[0], np.int64) for part in parts]
    days = [np.asarray(part[1], np.int64) for part in parts]
    kinds = [np.broadcast_to(np.asarray(part[2], np.int64), len(part[0])) for part in parts]
    anchors = [np.full(len(part[0]), part[3]) for part in parts]
    sizes = [np.full(len(part[0]), -1.0) for part in parts]
    copies = [np.full(len(part[0]), -1, np.int64) for part in parts]

    fader = np.nonzero(arch == FADER)[0]
    if len(fader):
        n_p = p.sched_n[b0 + fader]
        pair = np.repeat(np.arange(len(fader)), n_p)
        first = np.cumsum(n_p) - n_p
        pos = np.arange(len(pair)) - first[pair]
        f_day, l_day = p.f[b0 + fader][pair], p.l[b0 + fader][pair]
        frac = pos / np.maximum(n_p[pair] - 1, 1)
        # Regular purchases (evenly spaced, a few days' jitter) from f to l.
        day = np.rint(f_day + frac * (l_day - f_day)).astype(np.int64) + _u(rng, -6, 6, len(pair))
        day = np.where(pos == 0, f_day, np.where(pos == n_p[pair] - 1, l_day, day))
        day = np.clip(day, f_day, l_day)
        size = p.amt[b0 + fader][pair] * 4.0 * 0.04**frac * rng.lognormal(0, 0.1, len(pair))
        offset = sum(len(x) for x in cust)
        mirror = offset + first[pair] + (n_p[pair] - 1 - pos)
        grower = p.partner[b0 + fader] - b0
        cust += [fader[pair], grower[pair]]
        days += [day, day]
        kinds += [np.full(len(pair), K_REGULAR), np.full(len(pair), K_COPY)]
        anchors += [np.ones(len(pair), bool), np.ones(len(pair), bool)]
        sizes += [size, np.full(len(pair), -1.0)]
        copies += [np.full(len(pair), -1, np.int64), mirror]

    cust, day = np.concatenate(cust), np.concatenate(days)
    kind, anchor = np.concatenate(kinds), np.concatenate(anchors)
    size, copy = np.concatenate(sizes), np.concatenate(copies)
    order = np.lexsort((day, cust))
    where = np.empty(len(order), np.int64)
    where[order] = np.arange(len(order))
    copy = copy[order]
    copy = np.where(copy >= 0, where[np.maximum(copy, 0)], -1)
    return cust[order], day[order], kind[order], anchor[order], size[order], copy


def _lines(biz: Business, p: SimpleNamespace, rng, cust_pop, day, kind, z, tf, copy):
    """Invoice lines (grouped by invoice, in invoice order) and invoice subtotals."""
    n = len(day)
    regular = list(biz.items)
    items = regular + ([biz.retainer] if biz.retainer else []) + list(biz.subscription)
    n_reg = len(regular)
    ret_item = n_reg if biz.retainer else -1
    extra_item = next((k for k, it in enumerate(regular) if it.code == biz.retainer_extra), -1)
    sub_ann, sub_mon = len(items) - 2, len(items) - 1
    unit = np.array([_UNITS[it.unit] for it in items])
    price = np.array([it.price for it in items], float)
    cost = np.array([-1 if it.cost is None else it.cost for it in items], float)
    qty = np.array([it.qty for it in items])
    weight = np.array([it.weight for it in regular])

    nl = np.ones(n, np.int64)
    m = kind == K_REGULAR
    nl[m] += rng.binomial(biz.extra_lines[0], biz.line_p(z[m]))
    m = (kind == K_SMALL) | (kind == K_RETAINER)
    nl[m] += rng.random(int(m.sum())) < 0.35
    nl[kind == K_COPY] = 0
    total = int(nl.sum())
    li = np.repeat(np.arange(n), nl)
    starts = np.cumsum(nl) - nl
    ln = np.arange(total) - starts[li] + 1
    lk = kind[li]
    item = rng.choice(n_reg, total, p=weight / weight.sum())
    # Small purchases pick from the cheaper half of the catalogue.
    value = np.array([it.price * it.qty for it in regular])
    cheap = np.nonzero(value <= np.median(value))[0]
    small = lk == K_SMALL
    item[small] = cheap[rng.integers(0, len(cheap), int(small.sum()))]
    item = np.where(lk == K_RETAINER, np.where(ln == 1, ret_item, extra_item), item)
    item = np.where(lk == K_ANNUAL, sub_ann, np.where(lk == K_MONTHLY, sub_mon, item))

    u = unit[item]
    cl = cust_pop[li]
    zl = z[li]
    infl = biz.inflation ** ((day[li] - START) / 365.25)
    fxf = p.fxf[cl]
    base = price[item] * infl * fxf
    noise = np.clip(rng.standard_normal(total), -2.0, 2.0)
    retainer_line = (lk == K_RETAINER) & (ln == 1)
    quarters = np.where(
        retainer_line,
        4 * np.maximum(4, np.rint(p.ret_hours[cl] * tf[li])),
        np.clip(np.rint(qty[item] * zl * np.exp(0.35 * noise) * 4), 1, 2_000),
    )
    units = np.clip(np.rint(qty[item] * zl * np.exp(0.5 * noise)), 1, 10_000)
    qty_h = np.select(
        [u == U_HOUR, u == U_INT, u == U_SUB],
        [quarters * 25, units * 100, np.where(lk == K_ANNUAL, 1200, 100)],
        100,
    ).astype(np.int64)
    lump = np.maximum(biz.lump_min, np.rint(base * zl * np.exp(0.25 * noise) / 5_000) * 5_000)
    unit_price = np.select(
        [u == U_HOUR, u == U_INT, u == U_LUMP],
        [np.rint(base * p.pf[cl] / 100) * 100, np.rint(base * p.pf[cl]), lump],
        p.sched_dollars[cl] * 100,
    ).astype(np.int64)
    gross = qty_h * unit_price // 100  # exact: see module docstring
    unit_cost = np.where(cost[item] >= 0, np.rint(cost[item] * infl * fxf), -1).astype(np.int64)
    unit_cost[rng.random(total) < biz.p_cost_blank] = -1
    discounted = (rng.random(total) < biz.p_discount) & (u != U_SUB) & ~retainer_line
    pct = np.array([2, 5, 10, 15])[rng.choice(4, total, p=[0.3, 0.35, 0.25, 0.1])]
    discount = np.where(discounted, (gross * pct + 50) // 100, 0)
    amount = gross - discount
    cols = {
        "item": item,
        "ln": ln,
        "qty": qty_h,
        "price": unit_price,
        "discount": discount,
        "amount": amount,
        "cost": unit_cost,
    }

    copied = np.nonzero(kind == K_COPY)[0]
    if len(copied):
        src = copy[copied]
        n_src = nl[src]
        rep_first = np.cumsum(n_src) - n_src
        src_line = np.repeat(starts[src], n_src) + (
            np.arange(int(n_src.sum())) - np.repeat(rep_first, n_src)
        )
        li = np.concatenate([li, np.repeat(copied, n_src)])
        cols = {k: np.concatenate([v, v[src_line]]) for k, v in cols.items()}
        order = np.argsort(li, kind="stable")
        li = li[order]
        cols = {k: v[order] for k, v in cols.items()}
        nl = np.bincount(li, minlength=n)
        starts = np.cumsum(nl) - nl
    subtotal = np.add.reduceat(cols["amount"], starts) if n else np.zeros(0, np.int64)
    cols["inv"] = li
    return cols, subtotal, items


# --------------------------------------------------------------------------- the block


def _block(biz: Business, p, attrs, b0: int, b1: int, s: float, rng, fx, ctr, sink) -> int:
    nb = b1 - b0
    cust, day, kind, anchor, size, copy = _invoice_specs(biz, p, b0, b1, s, rng)
    n = len(day)
    cp = b0 + cust  # population index
    month = _month_index(day)
    age = (day - p.f[cp]) / 365.25
    tf = np.exp(p.g_amt[cp] * age) * (1.0 + (p.dec_amt[cp] - 1.0) * _ramp(day, p.dec_day[cp]))
    season = np.array(biz.season)[MONTH_CAL[month]]
    z = p.amt[cp] * tf * (1.0 + 0.5 * (season - 1.0)) * _noise(rng, biz.size_sigma, n)
    z = np.where(size >= 0, size, z)
    # Small orders: few lines of cheaper items.
    kind = np.where((kind == K_REGULAR) & (z < 0.5), K_SMALL, kind)

    lines, subtotal, items = _lines(biz, p, rng, cp, day, kind, z, tf, copy)
    tax = (subtotal * p.tax_pct[cp] + 50) // 100
    total = subtotal + tax
    foreign = p.foreign[cp]
    fx_series = fx.get((biz.foreign_currency, biz.currency))

    def rate_on(days: np.ndarray, is_foreign: np.ndarray) -> np.ndarray:
        if fx_series is None:
            return np.full(len(days), 1_000_000, np.int64)
        return np.where(is_foreign, fx_series[np.clip(days - START, 0, END - START)], 1_000_000)

    receipt = (rng.random(n) < p.receipt_p[cp]) & np.isin(kind, (K_REGULAR, K_SMALL))
    due = np.where(receipt, day, day + p.terms[cp])
    habit = p.pay[cp]
    protected = p.protected[cp]
    is_inv = ~receipt

    # Status-changing events.
    void = (
        (rng.random(n) < 0.02)
        & ~anchor
        & is_inv
        & ~protected
        & (habit != P_NEVER)
        & ((kind == K_REGULAR) | (kind == K_RETAINER))
    )
    # A tied credit note comes after the invoice but before it falls due.
    cn_day = day + 2 + (rng.random(n) * np.clip(p.terms[cp] - 2, 1, 29)).astype(np.int64)
    cn = (
        (rng.random(n) < 0.03)
        & ~void
        & is_inv
        & ~protected
        & (habit != P_NEVER)
        & (cn_day <= END)
        & (subtotal >= 2)
    )
    cn_amt = np.clip(np.rint(subtotal * rng.uniform(0.1, 0.5, n)), 1, subtotal).astype(np.int64)
    cn_tax = (cn_amt * p.tax_pct[cp] + 50) // 100
    credited = np.where(cn, cn_amt + cn_tax, 0)
    due_rest = total - credited  # what payments must cover

    # Payment day: due date plus the customer's habit.
    r = rng.random(n)
    normal = np.clip(np.rint(rng.normal(0, 3, n)), -7, 7)
    normal = np.where(r < 0.27, _u(rng, 3, 25, n), normal)
    normal = np.where(r > 0.92, _u(rng, 25, 60, n), normal)
    delay = np.select(
        [habit == P_EARLY, habit == P_ONTIME, habit == P_LATE],
        [-_u(rng, 0, 12, n), np.clip(np.rint(rng.normal(0.5, 2.5, n)), -5, 6), _u(rng, 30, 75, n)],
        normal,
    ).astype(np.int64)
    pay = np.maximum(due + delay, day + _u(rng, 0, 3, n))
    pay = np.where(receipt, day, pay)
    pay = np.where(cn, np.maximum(pay, cn_day), pay)
    paid = ~void & (habit != P_NEVER) & (pay <= END) & (due_rest > 0)

    same_next = np.zeros(n, bool)
    same_next[:-1] = cust[1:] == cust[:-1]
    partial = paid & is_inv & ~protected & (due_rest >= 2) & (rng.random(n) < 0.05)
    single = paid & ~partial
    # Two invoices paid together: paid within a week of each other (punctual payers: and
    # still on time for the first one).
    near_next = np.zeros(n, bool)
    near_next[:-1] = (
        (np.abs(pay[1:] - pay[:-1]) <= 7)
        & single[1:]
        & is_inv[1:]
        & ((habit[:-1] > P_ONTIME) | (pay[1:] <= np.maximum(pay[:-1], due[:-1])))
    )
    candidate = single & is_inv & same_next & near_next
    lead = candidate & (rng.random(n) < 0.02)
    if b0 == 0 and lead.sum() < 2:  # a few in every business, however small
        pool = np.nonzero(candidate)[0]
        lead[rng.choice(pool, min(2, len(pool)), replace=False)] = True
    follow = np.zeros(n, bool)
    follow[1:] = lead[:-1]
    lead &= ~follow
    follow = np.zeros(n, bool)
    follow[1:] = lead[:-1]
    single &= ~lead & ~follow
    p1 = np.clip(np.rint(due_rest * rng.uniform(0.3, 0.7, n)), 1, due_rest - 1).astype(np.int64)
    # Two instalments: punctual customers finish on their usual day, others pay the rest
    # (if at all before the end date) a week to six weeks later.
    punctual = (habit == P_EARLY) | (habit == P_ONTIME)
    pay1 = np.where(punctual, np.maximum(day, pay - _u(rng, 5, 20, n)), pay)
    pay2 = np.where(punctual, pay, pay + _u(rng, 7, 45, n))
    second = partial & (pay2 <= END)
    over = single & is_inv & (rng.random(n) < 0.008)
    single_amount = np.where(over, (due_rest // 10_000 + 1) * 10_000, due_rest)

    status = np.where(void, 2, np.where(single | lead | follow | second, 1, 0))

    # Payments and their allocations.
    i_single, i_part, i_second, i_lead = (np.nonzero(x)[0] for x in (single, partial, second, lead))
    pay_inv = np.concatenate([i_single, i_part, i_second, i_lead])
    pay_day = np.concatenate(
        [pay[i_single], pay1[i_part], pay2[i_second], np.maximum(pay[i_lead], pay[i_lead + 1])]
    )
    pay_amount = np.concatenate(
        [
            single_amount[i_single],
            p1[i_part],
            due_rest[i_second] - p1[i_second],
            due_rest[i_lead] + due_rest[i_lead + 1],
        ]
    )
    k_s, k_p, k_2 = len(i_single), len(i_part), len(i_second)
    row = np.arange(len(pay_inv))
    alloc_pay = np.concatenate([row, row[k_s + k_p + k_2 :]])
    alloc_inv = np.concatenate([pay_inv, i_lead + 1])
    alloc_amount = np.concatenate(
        [
            due_rest[i_single],
            p1[i_part],
            due_rest[i_second] - p1[i_second],
            due_rest[i_lead],
            due_rest[i_lead + 1],
        ]
    )
    pay_cust = cust[pay_inv]

    # Per customer of the block: first / last purchase, sales, for advances and costs.
    first_i, end_i = _group_starts(cust, nb)
    first_day = day[first_i]
    last_day = day[end_i - 1]
    sales = np.bincount(cust, weights=np.where(void, 0, subtotal), minlength=nb)
    mean_total = sales / np.maximum(end_i - first_i, 1)
    n_inv = end_i - first_i
    window_end = np.minimum(last_day + 60, END)

    # Unapplied payments (advances, payments not yet matched to an invoice).
    eligible = np.nonzero(p.pay[b0:b1] != P_NEVER)[0]
    k = rng.binomial(len(eligible), 0.004) + (2 if b0 == 0 else 0)
    adv = rng.choice(eligible, min(k, len(eligible)), replace=False)
    adv_day = _days_between(rng, first_day[adv], window_end[adv])
    adv_amount = mean_total[adv] * rng.uniform(0.2, 1.0, len(adv))  # round sums
    adv_amount = np.maximum(1_000, np.rint(adv_amount / 100) * 100).astype(np.int64)
    pay_cust = np.concatenate([pay_cust, adv])
    pay_day = np.concatenate([pay_day, adv_day])
    pay_amount = np.concatenate([pay_amount, adv_amount])

    inv_ids = _monthly_ids("INV", day, ctr["inv"], 5)
    pay_ids = _monthly_ids("PAY", pay_day, ctr["pay"], 5)
    cust_ids = pc.take(attrs.ids, pa.array(cp))
    currency = pa.array([biz.currency, biz.foreign_currency or biz.currency])

    def cur(is_foreign: np.ndarray) -> pa.Array:
        return pc.take(currency, pa.array(is_foreign.astype(np.int8)))

    bid = biz.business_id
    sink.write(
        "invoices",
        {
            "business_id": _const(bid, n),
            "invoice_id": _s(inv_ids),
            "customer_id": _s(cust_ids),
            "document_type": _s(pc.take(DOC_TYPES, pa.array(receipt.astype(np.int8)))),
            "invoice_date": _d(day),
            "due_date": _d(due),
            "currency": _s(cur(foreign)),
            "exchange_rate": _f(rate_on(day, foreign), 6),
            "status": _s(pc.take(STATUSES, pa.array(status))),
            "total_amount": _f(total, 2),
            "tax_amount": _f(tax, 2),
        },
    )
    li = lines["inv"]
    codes = pa.array([it.code for it in items])
    descriptions = pa.array([it.description for it in items])
    item = pa.array(lines["item"])
    sink.write(
        "invoice_lines",
        {
            "business_id": _const(bid, len(li)),
            "invoice_id": _s(pc.take(inv_ids, pa.array(li))),
            "line_number": _i(lines["ln"]),
            "item_code": _s(pc.take(codes, item)),
            "description": _s(pc.take(descriptions, item)),
            "quantity": _f(lines["qty"], 2),
            "unit_price": _f(lines["price"], 2),
            "discount_amount": _f(lines["discount"], 2),
            "line_amount": _f(lines["amount"], 2),
            "unit_cost": _f(np.maximum(lines["cost"], 0), 2, lines["cost"] < 0),
        },
    )
    pay_foreign = p.foreign[b0 + pay_cust]
    sink.write(
        "payments",
        {
            "business_id": _const(bid, len(pay_day)),
            "payment_id": _s(pay_ids),
            "customer_id": _s(pc.take(attrs.ids, pa.array(b0 + pay_cust))),
            "payment_date": _d(pay_day),
            "currency": _s(cur(pay_foreign)),
            "exchange_rate": _f(rate_on(pay_day, pay_foreign), 6),
            "amount": _f(pay_amount, 2),
        },
    )
    sink.write(
        "payment_allocations",
        {
            "business_id": _const(bid, len(alloc_pay)),
            "payment_id": _s(pc.take(pay_ids, pa.array(alloc_pay))),
            "invoice_id": _s(pc.take(inv_ids, pa.array(alloc_inv))),
            "amount_applied": _f(alloc_amount, 2),
        },
    )

    # Credit notes: tied to an invoice, plus a few general (goodwill) credits.
    i_cn = np.nonzero(cn)[0]
    ok = np.nonzero((p.pay[b0:b1] != P_NEVER) & ~p.protected[b0:b1] & (n_inv >= 3))[0]
    k = rng.binomial(len(ok), 0.01) + (2 if b0 == 0 else 0)
    gw = rng.choice(ok, min(k, len(ok)), replace=False)
    gw_day = _days_between(rng, first_day[gw], window_end[gw])
    gw_amt = np.minimum(
        np.rint(rng.uniform(2_500, 30_000, len(gw)) * biz.acquisition_scale),
        np.floor(sales[gw] * 0.1),
    ).astype(np.int64)
    keep = gw_amt >= 100
    gw, gw_day, gw_amt = gw[keep], gw_day[keep], gw_amt[keep]
    cn_cust = np.concatenate([cust[i_cn], gw])
    cn_days = np.concatenate([cn_day[i_cn], gw_day])
    cn_amount = np.concatenate([cn_amt[i_cn], gw_amt])
    cn_tax_all = np.concatenate([cn_tax[i_cn], (gw_amt * p.tax_pct[b0 + gw] + 50) // 100])
    cn_foreign = p.foreign[b0 + cn_cust]
    tied = np.r_[np.ones(len(i_cn), bool), np.zeros(len(gw), bool)]
    reasons = pa.array(list(biz.reasons) + list(biz.goodwill_reasons))
    reason = np.where(
        tied,
        rng.integers(0, len(biz.reasons), len(tied)),
        len(biz.reasons) + rng.integers(0, len(biz.goodwill_reasons), len(tied)),
    )
    cn_inv_ids = pc.take(inv_ids, pa.array(np.r_[i_cn, np.zeros(len(gw), np.int64)]))
    sink.write(
        "credit_notes",
        {
            "business_id": _const(bid, len(cn_cust)),
            "credit_note_id": _s(_monthly_ids("CN", cn_days, ctr["cn"], 4)),
            "customer_id": _s(pc.take(attrs.ids, pa.array(b0 + cn_cust))),
            "invoice_id": _s(_with_nulls(cn_inv_ids, ~tied)),
            "credit_note_date": _d(cn_days),
            "currency": _s(cur(cn_foreign)),
            "exchange_rate": _f(rate_on(cn_days, cn_foreign), 6),
            "amount": _f(cn_amount, 2),
            "tax_amount": _f(cn_tax_all, 2),
            "reason": _s(pc.take(reasons, pa.array(reason))),
        },
    )

    _costs(
        biz,
        p,
        attrs,
        b0,
        b1,
        rng,
        first_day,
        window_end,
        n_inv,
        cust[i_cn],
        cn_day[i_cn],
        ctr,
        sink,
    )
    return len(li)


def _costs(biz, p, attrs, b0, b1, rng, first_day, window_end, n_inv, cn_cust, cn_days, ctr, sink):
    nb = b1 - b0
    sl = slice(b0, b1)
    arch = p.arch[sl]
    created = p.created[sl]
    hourly = biz.support_hourly
    active_months = (window_end - first_day + 1) / 30.44
    parts = []  # (customer, day, category, amount cents, hours in hundredths or -1)

    def add(c, d, category, amount, hours=None):
        hours = np.full(len(c), -1, np.int64) if hours is None else hours
        parts.append((c, d, np.full(len(c), category), amount.astype(np.int64), hours))

    def span_days(c):
        return _days_between(rng, first_day[c], window_end[c])

    def staff(c, lo_q, hi_q):
        quarters = _u(rng, lo_q, hi_q, len(c))
        return quarters * hourly // 4, quarters * 25

    c = np.nonzero(rng.random(nb) < 0.85)[0]
    ranges = np.array(CHANNEL_COST, float)[attrs.channel_code[b0 + c]]
    amount = np.rint(rng.uniform(ranges[:, 0], ranges[:, 1]) * biz.acquisition_scale)
    hours = np.where(rng.random(len(c)) < 0.25, _u(rng, 2, 40, len(c)) * 25, -1)
    add(c, np.minimum(created[c] - _u(rng, 0, 21, len(c)), END), C_ACQ, amount, hours)

    c = np.nonzero(rng.random(nb) < (0.7 if biz.support_rate >= 0.25 else 0.35))[0]
    amount, hours = staff(c, 8, 64)
    add(c, np.minimum(created[c] + _u(rng, 0, 30, len(c)), END), C_ONB, amount, hours)

    weight = np.select(
        [arch == CHAMPION, arch == LATE, arch == DECLINER, arch == ONE_OFF],
        [2.0, 1.5, 1.3, 0.3],
        1.0,
    )
    reps = rng.poisson(active_months * biz.support_rate * weight)
    c = np.repeat(np.arange(nb), reps)
    amount, hours = staff(c, 1, 24)
    add(c, span_days(c), C_SUP, amount, hours)

    reps = rng.poisson(n_inv * biz.delivery_rate)
    c = np.repeat(np.arange(nb), reps)
    lo, hi = biz.delivery_range
    add(c, span_days(c), C_DEL, np.rint(rng.uniform(lo, hi, len(c))))

    pick = rng.random(len(cn_cust)) < 0.5
    c, d = cn_cust[pick], np.minimum(cn_days[pick] + _u(rng, 0, 10, int(pick.sum())), END)
    amount, hours = staff(c, 4, 48)
    add(c, d, C_REW, amount, hours)

    years = active_months / 12
    for category, rate, lo, hi in (
        (C_REI, biz.reimbursement_rate, 4_000, 90_000),
        (C_OTH, 0.05, 2_000, 50_000),
    ):
        c = np.repeat(np.arange(nb), rng.poisson(years * rate))
        add(c, span_days(c), category, np.rint(rng.uniform(lo, hi, len(c))))

    c = np.concatenate([x[0] for x in parts])
    d = np.concatenate([x[1] for x in parts])
    category = np.concatenate([x[2] for x in parts])
    amount = np.concatenate([x[3] for x in parts])
    hours = np.concatenate([x[4] for x in parts])
    order = np.lexsort((c, d))
    c, d, category, amount, hours = c[order], d[order], category[order], amount[order], hours[order]
    n = len(c)
    ids = _padded("COST-", ctr["cost"] + np.arange(1, n + 1), 7)
    ctr["cost"] += n
    sink.write(
        "customer_costs",
        {
            "business_id": _const(biz.business_id, n),
            "cost_id": _s(ids),
            "customer_id": _s(pc.take(attrs.ids, pa.array(b0 + c))),
            "cost_date": _d(d),
            "category": _s(pc.take(COST_CATEGORIES, pa.array(category))),
            "amount": _f(amount, 2),
            "hours": _f(np.maximum(hours, 0), 2, hours < 0),
        },
    )


# --------------------------------------------------------------------------- main


def _blocks(expected: np.ndarray, n_sched: int) -> list[tuple[int, int]]:
    """Contiguous customer ranges of about BLOCK_LINES expected lines; pairs in block 0."""
    cum = np.cumsum(expected)
    bounds = [0]
    target = BLOCK_LINES
    while True:
        b = int(np.searchsorted(cum, target, side="right")) + 1
        b = max(b, bounds[-1] + 1, n_sched)
        if b >= len(expected):
            break
        bounds.append(b)
        target = cum[b - 1] + BLOCK_LINES
    bounds.append(len(expected))
    return list(zip(bounds[:-1], bounds[1:], strict=True))


def generate(
    out_dir: str | Path,
    seed: int = 7,
    lines: int = 200_000,
    fmt: str = "csv",
    progress: Callable[[str], None] | None = None,
    businesses: Sequence[str] | None = None,
) -> dict[str, int]:
    """Write the demo raw files to `out_dir`; return rows written per contract table.

    `businesses` picks a subset of the demo businesses (ids; default all four), with
    `lines` shared among them: another business mix for the same seed.

    Files: `<table>.csv` (or `.parquet`) per contract table and
    `truth/planted_customers.csv` (business_id, customer_id, behaviour). The same seed
    and arguments give byte-identical files. `lines` is the approximate number of
    invoice lines (within a few percent from about 20,000 up).
    """
    if fmt not in ("csv", "parquet"):
        raise ValueError(f"fmt must be 'csv' or 'parquet', not {fmt!r}")
    if lines < 0:
        raise ValueError("lines must be >= 0")
    known = [b.business_id for b in BUSINESSES]
    chosen = list(businesses) if businesses else known
    unknown = sorted(set(chosen) - set(known))
    if unknown or not chosen:
        raise ValueError(f"businesses must be among {', '.join(known)}; got {unknown or chosen}")
    # Every business keeps its own random stream, so a subset is the same data minus
    # the others.
    selected = [b for b in BUSINESSES if b.business_id in chosen]
    share_total = sum(b.share for b in selected)
    say = progress or (lambda message: None)
    out = Path(out_dir)
    (out / "truth").mkdir(parents=True, exist_ok=True)
    root = np.random.default_rng(seed)
    fx_rng, *business_rngs = root.spawn(1 + len(BUSINESSES))
    fx = _fx_series(fx_rng)

    truth_path = out / "truth" / "planted_customers.csv"
    truth_columns = ("business_id", "customer_id", "behaviour")
    truth_schema = pa.schema([(name, pa.string()) for name in truth_columns])
    sink = _Sink(out, fmt)
    try:
        with open(truth_path, "wb") as truth_handle:
            truth_handle.write((",".join(truth_columns) + "\n").encode())
            truth = pacsv.CSVWriter(
                truth_handle,
                truth_schema,
                write_options=pacsv.WriteOptions(include_header=False, quoting_style="none"),
            )
            sink.write(
                "businesses",
                {
                    "business_id": _s(pa.array([b.business_id for b in selected])),
                    "business_name": _s(pa.array([b.name for b in selected])),
                    "home_currency": _s(pa.array([b.currency for b in selected])),
                    "fiscal_year_start_month": _i(
                        np.array([b.fiscal_year_start_month for b in selected])
                    ),
                    "default_payment_terms_days": _i(np.array([b.terms for b in selected])),
                },
            )
            for biz, brng in zip(BUSINESSES, business_rngs, strict=True):
                if biz in selected:
                    _business(biz, brng, lines * biz.share / share_total, fx, sink, truth, say)
            truth.close()
    finally:
        sink.close()
    say(f"done: {sink.counts['invoice_lines']:,} invoice lines")
    return dict(sink.counts)


def _business(biz: Business, rng, target: float, fx, sink: _Sink, truth, say) -> None:
    pilot_rng, pop_rng, attr_rng, block_rng = rng.spawn(4)
    pilot = _population(biz, pilot_rng, 4_000)
    per_customer = _expected_lines(biz, pilot, 1.0).sum() / 4_000
    p = _population(biz, pop_rng, max(1, round(target / per_customer)))
    s = _calibrate(biz, p, target)
    attrs = _customer_attributes(biz, p, attr_rng)

    o = attrs.order
    bid = biz.business_id
    sink.write(
        "customers",
        {
            "business_id": _const(bid, p.size),
            "customer_id": _s(pc.take(attrs.ids, pa.array(o))),
            "customer_name": _s(pc.take(attrs.names, pa.array(o))),
            "created_date": _d(p.created[o]),
            "payment_terms_days": _i(np.maximum(p.own_terms[o], 0), p.own_terms[o] < 0),
            "sales_rep": _s(pc.take(attrs.rep, pa.array(o))),
            "acquisition_channel": _s(pc.take(attrs.channel, pa.array(o))),
            "parent_customer_id": _s(
                _with_nulls(
                    pc.take(attrs.ids, pa.array(np.maximum(attrs.parent[o], 0))),
                    attrs.parent[o] < 0,
                )
            ),
            "referred_by_customer_id": _s(
                _with_nulls(
                    pc.take(attrs.ids, pa.array(np.maximum(attrs.referred[o], 0))),
                    attrs.referred[o] < 0,
                )
            ),
        },
    )
    truth.write_table(
        pa.table(
            {
                "business_id": pa.repeat(bid, p.size),
                "customer_id": pc.take(attrs.ids, pa.array(o)),
                "behaviour": pc.take(pa.array(BEHAVIOURS), pa.array(p.arch[o])),
            }
        )
    )

    blocks = _blocks(_expected_lines(biz, p, s), p.n_sched)
    ctr = {
        "inv": np.zeros(N_MONTHS, np.int64),
        "pay": np.zeros(N_MONTHS, np.int64),
        "cn": np.zeros(N_MONTHS, np.int64),
        "cost": 0,
    }
    written = 0
    for k, (b0, b1), block_rng_k in zip(
        range(len(blocks)), blocks, block_rng.spawn(len(blocks)), strict=True
    ):
        written += _block(biz, p, attrs, b0, b1, s, block_rng_k, fx, ctr, sink)
        say(f"{bid}: block {k + 1}/{len(blocks)}, {written:,} lines")
    say(f"{bid}: {p.size:,} customers, {written:,} invoice lines (target {target:,.0f})")
