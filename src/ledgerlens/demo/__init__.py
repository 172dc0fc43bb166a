"""Deterministic demo data: four businesses' sales ledgers with planted customer behaviours.

`generate()` writes one file per contract table (`ledgerlens.contract.TABLES`, columns in
contract order) plus `truth/planted_customers.csv`, the behaviour every customer was
generated with, the segment it means on the as-of date and whether that is clear or
ambiguous [truth], so the warehouse's segments can be checked against it [evaluation];
and `truth/planted_value.csv`, the customers planted for profitability (costly, quiet,
a key referrer, head offices and subsidiaries) and the value class each should land in
[value, truth].
With `messy=True` it then writes a few bad rows per thousand into the CSV files, listed
in `truth/messy_rows.csv` [messy].

How it works, per business (the module that does each step in brackets):

* The business's shape is data: catalogue, prices, terms, seasonality [businesses].
* A customer population is drawn: every customer gets one behaviour [behaviours] and a
  handful of parameters: active window, purchase rate, invoice size, trends, payment
  habit or planted delay, drifts and pauses [population]; each behaviour's parameters
  are drawn across the bound that defines its segment. Each business gets at least one
  customer of every behaviour; the population grows with `lines`, and its purchase rates
  are calibrated so the expected number of invoice lines lands near the target
  [intensity]. Customers get ids, names, reps, channels, parents and referrals
  [customers]. A few are then planted for profitability, on a stream of their own:
  costly customers get heavy rework, support and special demands, quiet ones lose
  their support entries, big buyers are made the referees of a modest customer [value].
* Customers are processed in blocks (bounded memory) [generator, documents]. For a
  block, purchases come from a customers x months grid of intensities (trend x
  seasonality x active window), partly spread regularly and partly Poisson, plus forced
  "anchor" purchases that pin behaviours down (first purchase, last purchase of a
  customer who went quiet, ...), monthly retainers and the fixed schedules of the
  planted pairs [purchases]. Lines [lines], payments, allocations and credit notes
  [settlement] and costs [costs] follow, all as NumPy arrays; text columns are built
  with pyarrow compute [ids] and appended to one CSV/Parquet writer per table [writing].

Money is handled in integer cents (rates in millionths, quantities in hundredths), so
every identity of the contract holds exactly: quantities are whole units or quarter
hours priced in whole currency units, which makes quantity * unit_price a whole number
of cents. Dates are day numbers [dates]; random draws take an explicit generator
[draws], and their order is what makes a seed reproduce the same bytes.
"""

from ledgerlens.demo.behaviours import BEHAVIOURS
from ledgerlens.demo.generator import generate

__all__ = ["BEHAVIOURS", "generate"]
