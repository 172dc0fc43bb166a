"""The four demo businesses: what they sell, to whom, how often, on what terms.

Everything that makes one business's ledger look unlike another's lives here as data:
catalogue and prices, invoice shape (lines per invoice, seasonality), payment terms,
tax, currencies, customer names, and the rates of costs and credit notes. The
generating code reads these fields and never special-cases a business (one exception:
the referral chain planted in Northwind, see `customers.py`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Costs alike in every business (`costs.py`): reimbursement and other cost amounts in
# cents, other cost entries per active year.
REIMBURSEMENT_RANGE = (4_000, 90_000)
OTHER_RANGE = (2_000, 50_000)
OTHER_PER_YEAR = 0.05


@dataclass(frozen=True)
class Item:
    """A catalogue item. Prices and costs are in cents of the home currency."""

    code: str
    description: str
    # hour: quarter hours at a whole-unit rate; int: whole units; lump: a lump sum
    # (quantity 1); sub: a subscription billed at the customer's contract value.
    unit: str
    list_price: int  # at the start of the data (lump: the typical amount)
    unit_cost: int | None  # None: the business does not know its cost
    typical_quantity: float = 1.0  # on a line of an invoice of size 1
    pick_weight: float = 1.0  # how often the item is picked, relative to the others


@dataclass(frozen=True)
class Business:
    """One demo business. Amounts are in cents of the home currency."""

    business_id: str
    name: str
    currency: str
    fiscal_year_start_month: int
    payment_terms_days: int
    tax_percent: int
    line_share: float  # the business's share of all generated invoice lines
    purchases_per_month: float  # of a typical customer, before calibration
    extra_lines: tuple[int, float]  # lines per regular invoice = 1 + Binomial(n, p)
    seasonality: tuple[float, ...]  # purchase intensity by calendar month, Jan..Dec
    catalogue: tuple[Item, ...]
    subscription: tuple[Item, Item]  # annual / monthly billing of the same contract
    subscription_monthly_dollars: tuple[int, int]  # range of the monthly contract value
    foreign_currency: str | None = None  # one customer is billed in it
    foreign_price_factor: float = 1.0  # document-currency units per home unit in prices
    foreign_customer_name: str = ""
    retainer_item: Item | None = None  # billed monthly to retainer clients
    retainer_extra_item_code: str | None = None  # the optional second line of a retainer bill
    negotiated_terms_days: tuple[int, ...] = (15, 45)  # terms some customers have instead
    sales_reps: tuple[str, ...] = ()
    name_parts: tuple[tuple[str, ...], ...] = ()  # customer name = first + " " + second + suffix
    discount_probability: float = 0.04  # per line
    blank_cost_probability: float = 0.0  # per line: unit cost left unknown
    yearly_inflation: float = 1.03  # list prices grow by this factor a year
    invoice_size_sigma: float = 0.35  # lognormal spread of invoice sizes
    lump_sum_minimum: int = 50_000
    issues_sales_receipts: bool = False  # some purchases are paid on the spot
    support_hourly_cost: int = 6_000  # a multiple of 4, so a quarter hour is whole cents
    support_entries_per_month: float = 0.2  # per active month
    deliveries_per_invoice: float = 0.05  # delivery cost entries per invoice
    delivery_cost_range: tuple[int, int] = (2_000, 20_000)
    reimbursements_per_year: float = 0.1  # per active year
    acquisition_scale: float = 1.0  # scales acquisition costs and goodwill credits
    credit_reasons: tuple[str, ...] = ("pricing error",)  # credit notes tied to an invoice
    goodwill_reasons: tuple[str, ...] = ("goodwill",)  # general credit notes

    def extra_line_probability(self, size: np.ndarray) -> np.ndarray:
        """Chance of each extra line: bigger invoices carry more lines."""
        return np.clip(self.extra_lines[1] * np.sqrt(size), 0.02, 0.95)

    def mean_lines_per_invoice(self, size: np.ndarray) -> np.ndarray:
        """Expected lines of a regular invoice of the given size."""
        return 1.0 + self.extra_lines[0] * self.extra_line_probability(size)


# The demo businesses, in the order their random streams are spawned (see `generator.py`).
# Their line shares add up to 1.
BUSINESSES: tuple[Business, ...] = (
    Business(
        business_id="northwind",
        name="Northwind Advisory LLC",
        currency="USD",
        fiscal_year_start_month=1,
        payment_terms_days=30,
        tax_percent=8,
        line_share=0.17,
        purchases_per_month=0.35,
        extra_lines=(2, 0.4),
        seasonality=(1.05, 1.0, 1.1, 1.0, 1.0, 0.95, 0.85, 0.75, 1.05, 1.1, 1.05, 0.8),
        catalogue=(
            Item("ADV-P", "Partner advisory hours", "hour", 27_500, 14_000, 5, 0.2),
            Item("ADV-S", "Senior consultant hours", "hour", 18_500, 9_500, 10, 0.35),
            Item("ADV-A", "Associate hours", "hour", 12_000, 6_000, 14, 0.2),
            Item("WS-D", "Strategy workshop day", "int", 240_000, 110_000, 1, 0.1),
            Item("RPT-B", "Board reporting pack", "int", 95_000, 40_000, 1, 0.08),
            Item("EXP", "Travel and expenses (pass-through)", "int", 35_000, 35_000, 1, 0.07),
        ),
        subscription=(
            Item("RET-ANN", "Advisory retainer - annual billing (12 months)", "sub", 0, None),
            Item("RET-MON", "Advisory retainer - monthly billing", "sub", 0, None),
        ),
        subscription_monthly_dollars=(1_500, 6_000),
        foreign_currency="CAD",
        foreign_price_factor=1.36,
        foreign_customer_name="Maple Leaf Ventures Ltd",
        retainer_item=Item("RET-M", "Monthly advisory retainer", "hour", 16_500, 8_500),
        retainer_extra_item_code="ADV-S",
        negotiated_terms_days=(15, 45, 60),
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
        discount_probability=0.03,
        yearly_inflation=1.04,
        invoice_size_sigma=0.3,
        support_hourly_cost=6_500,
        support_entries_per_month=0.25,
        deliveries_per_invoice=0.15,
        delivery_cost_range=(5_000, 60_000),
        reimbursements_per_year=0.6,
        acquisition_scale=1.0,
        credit_reasons=(
            "session not delivered",
            "billing error",
            "scope reduced",
            "rate correction",
        ),
        goodwill_reasons=("goodwill", "loyalty credit", "service complaint"),
    ),
    Business(
        business_id="harbor",
        name="Harbor Wholesale Inc",
        currency="USD",
        fiscal_year_start_month=7,
        payment_terms_days=14,
        tax_percent=7,
        line_share=0.50,
        purchases_per_month=2.4,
        extra_lines=(7, 0.42),
        seasonality=(0.85, 0.85, 0.95, 1.0, 1.0, 0.8, 0.75, 0.8, 1.0, 1.25, 1.4, 1.45),
        catalogue=(
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
        subscription_monthly_dollars=(600, 2_500),
        negotiated_terms_days=(7, 30),
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
        discount_probability=0.08,
        yearly_inflation=1.035,
        issues_sales_receipts=True,
        support_hourly_cost=3_500,
        support_entries_per_month=0.06,
        deliveries_per_invoice=0.05,
        delivery_cost_range=(1_500, 20_000),
        reimbursements_per_year=0.02,
        acquisition_scale=0.4,
        credit_reasons=("returned goods", "damaged in transit", "quantity short", "pricing error"),
        goodwill_reasons=("goodwill", "loyalty credit", "late delivery"),
    ),
    Business(
        business_id="summit",
        name="Summit Projects Co",
        currency="USD",
        fiscal_year_start_month=4,
        payment_terms_days=45,
        tax_percent=0,
        line_share=0.05,
        purchases_per_month=0.22,
        extra_lines=(2, 0.3),
        seasonality=(0.95, 1.0, 1.2, 1.0, 1.0, 1.0, 0.8, 0.8, 1.0, 1.0, 1.0, 1.3),
        catalogue=(
            Item("MS", "Project milestone payment", "lump", 2_400_000, None, 1, 0.5),
            Item("DES", "Design phase deliverable", "lump", 1_500_000, None, 1, 0.2),
            Item("CO", "Change order", "lump", 450_000, None, 1, 0.15),
            Item("PM", "Project management hours", "hour", 16_000, 9_000, 20, 0.15),
        ),
        subscription=(
            Item("SUP-ANN", "Annual support contract (12 months)", "sub", 0, None),
            Item("SUP-MON", "Support contract - monthly billing", "sub", 0, None),
        ),
        subscription_monthly_dollars=(4_000, 15_000),
        negotiated_terms_days=(30, 60, 90),
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
        discount_probability=0.02,
        yearly_inflation=1.03,
        lump_sum_minimum=200_000,
        support_hourly_cost=8_500,
        support_entries_per_month=0.5,
        deliveries_per_invoice=0.4,
        delivery_cost_range=(50_000, 800_000),
        reimbursements_per_year=1.0,
        acquisition_scale=2.5,
        credit_reasons=("milestone rescoped", "penalty for delay", "billing error"),
        goodwill_reasons=("goodwill", "relationship credit"),
    ),
    Business(
        business_id="rheinland",
        name="Rheinland Supplies GmbH",
        currency="EUR",
        fiscal_year_start_month=1,
        payment_terms_days=30,
        tax_percent=19,
        line_share=0.28,
        purchases_per_month=1.2,
        extra_lines=(5, 0.4),
        seasonality=(0.9, 0.95, 1.1, 1.05, 1.0, 1.0, 0.85, 0.65, 1.1, 1.1, 1.05, 0.8),
        catalogue=(
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
        subscription_monthly_dollars=(400, 2_000),
        foreign_currency="USD",
        foreign_price_factor=1.11,
        foreign_customer_name="Great Lakes Tooling Inc",
        negotiated_terms_days=(14, 60),
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
        discount_probability=0.05,
        blank_cost_probability=0.08,
        yearly_inflation=1.045,
        support_hourly_cost=4_800,
        support_entries_per_month=0.1,
        deliveries_per_invoice=0.08,
        delivery_cost_range=(1_000, 15_000),
        reimbursements_per_year=0.05,
        acquisition_scale=0.5,
        credit_reasons=("Rücksendung", "Transportschaden", "Preisfehler", "Fehlmenge"),
        goodwill_reasons=("Kulanz", "Treuebonus"),
    ),
)
