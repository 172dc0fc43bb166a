"""The CDNOW data of Fader, Hardie and Lee (2005): the literature checks of the CLV models.

The CDNOW files ship inside the `lifetimes` wheel (lifetimes/datasets/): the 1/10 sample
of 2,357 customers the papers use (CDNOW_sample.txt: master id, sample id, yyyymmdd,
CDs, dollars) and the full cohort of 23,570 customers (CDNOW_master.txt: id, yyyymmdd,
CDs, dollars, with a header line). They are read as files from the installed
distribution: lifetimes itself is never imported (it is unmaintained and does not import
with today's SciPy).

The papers' conventions: weeks as the unit, calibration 1997-01-01 .. 1997-09-30
(39 weeks), hold-out 1997-10-01 .. 1998-06-30 (weeks 40-78, 39 weeks). A purchase is a
purchase day (ledgerlens counts them so too): several transactions on one day are one
purchase, their dollars summed.

`python -m ledgerlens.cdnow` prints the fitted parameters next to the published ones, the
hold-out check and the fit time on the full file.
"""

from __future__ import annotations

import csv
import importlib.metadata
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np

from ledgerlens import clv_models
from ledgerlens.clv import WEEK_DAYS, PurchaseDays, purchases_between, summarise
from ledgerlens.contract import TABLES_BY_NAME

CALIBRATION_END = date(1997, 9, 30)
HOLDOUT_END = date(1998, 6, 30)
FILES = {"sample": "CDNOW_sample.txt", "master": "CDNOW_master.txt"}
EPOCH = np.datetime64("1970-01-01", "D")

# Published estimates on the sample (weeks). BG/NBD: Fader, Hardie and Lee (2005),
# "Counting your customers the easy way", Marketing Science 24(2) (LL -9,582.4).
# Pareto/NBD: Fader, Hardie and Lee (2005), "RFM and CLV: using iso-value curves for
# customer base analysis", JMR 42(4) (to 2 decimals). Gamma-Gamma: Fader and Hardie
# (2013), "The Gamma-Gamma model of monetary value" (946 repeat buyers).
PUBLISHED = {
    clv_models.BGNBD: {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426},
    clv_models.PARETO_NBD: {"r": 0.55, "alpha": 10.58, "s": 0.61, "beta": 11.67},
    "gamma_gamma": {"p": 6.25, "q": 3.74, "gamma": 15.44},
}
PUBLISHED_BGNBD_LOG_LIKELIHOOD = -9582.4
PUBLISHED_REPEAT_BUYERS = 946
# The hold-out table's groups: calibration repeat purchases 0..6, then 7 or more.
GROUPS = ("0", "1", "2", "3", "4", "5", "6", "7+")


@dataclass
class Transactions:
    """CDNOW transactions, one entry per line of the file (arrays of equal length)."""

    customer_id: np.ndarray  # the master id, text ("00004")
    date: np.ndarray  # datetime64[D]
    cds: np.ndarray  # CDs bought
    dollars: np.ndarray  # the transaction's value (float: a model input)

    def __len__(self) -> int:
        return len(self.customer_id)


def data_file(which: str = "sample") -> Path:
    """The path of a CDNOW file inside the installed lifetimes distribution."""
    located = importlib.metadata.distribution("lifetimes").locate_file(
        f"lifetimes/datasets/{FILES[which]}"
    )
    return Path(str(located))


def transactions(which: str = "sample") -> Transactions:
    """The transactions of the sample (2,357 customers) or the master file (23,570)."""
    rows = [line.split() for line in data_file(which).read_text().splitlines() if line.strip()]
    if which == "master":
        rows = rows[1:]  # header: customer_id date number_of_cds dollar_value
        ids, days, cds, dollars = zip(*rows, strict=True)
    else:
        ids, _sample_ids, days, cds, dollars = zip(*rows, strict=True)
    dates = np.array([f"{d[:4]}-{d[4:6]}-{d[6:]}" for d in days], dtype="datetime64[D]")
    return Transactions(
        customer_id=np.array(ids),
        date=dates,
        cds=np.array(cds, dtype=int),
        dollars=np.array(dollars, dtype=float),
    )


def purchase_days(data: Transactions) -> PurchaseDays:
    """One entry per customer and purchase day, the day's dollars summed (days since
    1970-01-01, as ledgerlens.clv counts them)."""
    day = (data.date - EPOCH).astype(int)
    keys = np.rec.fromarrays([data.customer_id, day], names="customer,day")
    unique, index = np.unique(keys, return_inverse=True)
    sales = np.bincount(index.ravel(), weights=data.dollars, minlength=len(unique))
    return PurchaseDays(
        business_id=np.full(len(unique), "cdnow", dtype=object),
        customer_id=unique["customer"],
        day=unique["day"].astype(int),
        sales=sales,
    )


def _epoch_day(value: date) -> int:
    return int((np.datetime64(value, "D") - EPOCH).astype(int))


def calibration(data: Transactions, calibration_end: date = CALIBRATION_END):
    """(customer ids in sorted order, their histories in weeks at `calibration_end`)."""
    customers, histories, _ = summarise(purchase_days(data), _epoch_day(calibration_end))
    return customers, histories


def histories(data: Transactions, calibration_end: date = CALIBRATION_END) -> clv_models.Histories:
    """Each customer's history at `calibration_end`, in weeks, customers in sorted id
    order: x = purchase days - 1, t_x = (last - first day) / 7, T = (calibration_end -
    first day) / 7, m_x = mean dollars of the repeat days (NaN when there is none or the
    mean is not positive)."""
    return calibration(data, calibration_end)[1]


@dataclass
class HoldoutCheck:
    """Predicted and actual repeat purchase days in the hold-out, per customer and grouped
    by calibration repeat purchases (GROUPS)."""

    x: np.ndarray
    predicted: np.ndarray
    actual: np.ndarray
    weeks: float

    def table(self) -> list[tuple[str, int, float, float]]:
        """(group, customers, mean predicted, mean actual) per group of GROUPS."""
        group = np.minimum(self.x, len(GROUPS) - 1).astype(int)
        rows = []
        for i, name in enumerate(GROUPS):
            keep = group == i
            rows.append(
                (
                    name,
                    int(keep.sum()),
                    float(self.predicted[keep].mean()),
                    float(self.actual[keep].mean()),
                )
            )
        return rows


def holdout_check(
    data: Transactions,
    model: str,
    params,
    calibration_end: date = CALIBRATION_END,
    holdout_end: date = HOLDOUT_END,
) -> HoldoutCheck:
    """The FHL hold-out check: each customer's expected repeat purchase days in
    (calibration_end, holdout_end] given its calibration history, next to the purchase
    days it made there."""
    days = purchase_days(data)
    start, end = _epoch_day(calibration_end), _epoch_day(holdout_end)
    customers, hist, _ = summarise(days, start)
    weeks = (end - start) / WEEK_DAYS
    predicted = clv_models.expected_purchases(model, params, weeks, hist.x, hist.t_x, hist.T)
    actual, _ = purchases_between(days, customers, start, end)
    return HoldoutCheck(x=hist.x, predicted=predicted, actual=actual, weeks=weeks)


# ---------------------------------------------------------------- the raw contract

BUSINESS_ID = "cdnow"
_INVOICE_HEADER = (
    "business_id,invoice_id,customer_id,document_type,invoice_date,due_date,"
    "currency,exchange_rate,status,total_amount,tax_amount"
)
# Tables CDNOW has nothing for: a header row of every contract column, no rows.
_EMPTY = ("payments", "payment_allocations", "credit_notes", "customer_costs")


def write_contract_files(folder: str | Path, which: str = "sample") -> Path:
    """Write CDNOW as a raw export in ledgerlens's contract (docs/contract.md): business
    `cdnow` (USD, no export_complete_to_date), one customer per CDNOW customer (created on
    its first purchase), one paid `sales_receipt` per transaction with one line whose
    line_amount is the transaction's dollars (quantity 1, no tax, unknown cost).

    Sales receipts are paid at sale and the receivables marts read invoices only, so no
    payments are written (the contract makes the same-day payment optional). The 8
    zero-dollar transactions of the sample (80 in the master file) are written as they
    are: a 0.00 receipt is valid (amounts are >= 0) and, like the papers, ledgerlens counts
    its day as a purchase."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    data = transactions(which)
    order = np.lexsort((data.date, data.customer_id))
    ids = data.customer_id[order]
    dates = data.date[order].astype(str)
    dollars = [f"{value:.2f}" for value in data.dollars[order]]
    cds = data.cds[order]
    (folder / "businesses.csv").write_text(
        "business_id,business_name,home_currency,fiscal_year_start_month,"
        "default_payment_terms_days,export_complete_to_date\n"
        f"{BUSINESS_ID},CDNOW ({which}),USD,1,0,\n"
    )
    first = {}
    for customer, day in zip(ids, dates, strict=True):
        first.setdefault(customer, day)
    with (folder / "customers.csv").open("w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(
            [
                "business_id",
                "customer_id",
                "customer_name",
                "created_date",
                "payment_terms_days",
                "sales_rep",
                "acquisition_channel",
                "parent_customer_id",
                "referred_by_customer_id",
            ]
        )
        for customer, day in first.items():
            writer.writerow(
                [BUSINESS_ID, customer, f"CDNOW customer {customer}", day, "", "", "", "", ""]
            )
    invoice_lines = [_INVOICE_HEADER]
    line_rows = [
        "business_id,invoice_id,line_number,item_code,description,quantity,unit_price,"
        "discount_amount,line_amount,unit_cost"
    ]
    for i, (customer, day, amount, count) in enumerate(
        zip(ids, dates, dollars, cds, strict=True), start=1
    ):
        invoice_id = f"T{i:06d}"
        invoice_lines.append(
            f"{BUSINESS_ID},{invoice_id},{customer},sales_receipt,{day},{day},USD,1,paid,{amount},0.00"
        )
        line_rows.append(f"{BUSINESS_ID},{invoice_id},1,CD,{count} CDs,1,{amount},0,{amount},")
    (folder / "invoices.csv").write_text("\n".join(invoice_lines) + "\n")
    (folder / "invoice_lines.csv").write_text("\n".join(line_rows) + "\n")
    for name in _EMPTY:
        header = ",".join(TABLES_BY_NAME[name].column_names)
        (folder / f"{name}.csv").write_text(header + "\n")
    return folder


# ---------------------------------------------------------------- the printed check


def relative_errors(fitted: dict, published: dict) -> dict[str, float]:
    return {name: fitted[name] / value - 1 for name, value in published.items()}


def _parameter_lines(title: str, fitted: dict, published: dict) -> list[str]:
    errors = relative_errors(fitted, published)
    lines = [title]
    for name, value in published.items():
        lines.append(
            f"  {name:<6} {fitted[name]:9.4f}  published {value:7.3f}  error {errors[name]:+.2%}"
        )
    return lines


def main() -> None:
    sample = transactions("sample")
    hist = histories(sample)
    bg = clv_models.fit_purchases(clv_models.BGNBD, hist)
    pareto = clv_models.fit_purchases(clv_models.PARETO_NBD, hist)
    spend = clv_models.fit_gamma_gamma(hist.x, hist.m_x)
    print(
        f"CDNOW sample: {len(hist)} customers, {int((hist.x > 0).sum())} repeat buyers (weeks 1-39)"
    )
    print("\n".join(_parameter_lines("BG/NBD", bg.params, PUBLISHED[clv_models.BGNBD])))
    print(f"  log-likelihood {bg.log_likelihood:.1f}  published {PUBLISHED_BGNBD_LOG_LIKELIHOOD}")
    print(
        "\n".join(_parameter_lines("Pareto/NBD", pareto.params, PUBLISHED[clv_models.PARETO_NBD]))
    )
    print(f"  log-likelihood {pareto.log_likelihood:.1f}")
    print(
        "\n".join(
            _parameter_lines(
                f"Gamma-Gamma ({spend.customers} repeat buyers)",
                spend.params,
                PUBLISHED["gamma_gamma"],
            )
        )
    )
    check = holdout_check(sample, clv_models.BGNBD, bg.values)
    print(f"Hold-out, weeks 40-78 ({check.weeks:.0f} weeks), BG/NBD: repeat purchase days")
    print(f"  all: predicted {check.predicted.sum():.1f}, actual {check.actual.sum():.0f}")
    print(f"  {'x':>3} {'customers':>9} {'predicted':>9} {'actual':>7}  (means per customer)")
    for name, customers, predicted, actual in check.table():
        print(f"  {name:>3} {customers:9d} {predicted:9.3f} {actual:7.3f}")
    from threadpoolctl import threadpool_limits

    master = histories(transactions("master"))
    seconds = []
    # One BLAS thread, as the pipeline's CLV step fits (ledgerlens.clv.score_warehouse).
    with threadpool_limits(limits=1):
        for _ in range(5):
            started = time.perf_counter()
            clv_models.fit_purchases(clv_models.BGNBD, master)
            clv_models.fit_gamma_gamma(master.x, master.m_x)
            seconds.append(time.perf_counter() - started)
    print(
        f"CDNOW master: {len(master)} customers, {int((master.x > 0).sum())} repeat buyers;"
        f" BG/NBD + Gamma-Gamma fit {np.median(seconds):.2f} s (median of 5)"
    )


if __name__ == "__main__":
    main()
