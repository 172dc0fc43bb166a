"""`dbt docs generate` on a built warehouse: the site, its catalog and the exposures (what
reads the marts outside the warehouse: models/marts/_exposures.yml)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from tests.conftest import run_dbt

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow

# The marts each consumer reads. The report's list is read off its code (every
# `marts.<table>` in src/ledgerlens/pages/), so a mart the pages start reading fails this
# test until the exposure names it.
REPORT = {
    name
    for path in (ROOT / "src" / "ledgerlens" / "pages").glob("*.py")
    for name in re.findall(r"\bmarts\.([a-z_]+)\b", path.read_text())
} - {"has", "missing", "one", "rows", "columns", "tables", "con"}
assert {"customer_sheet", "customer_alerts", "portfolio_overview"} <= REPORT
EXPORTS = {
    "customer_sheet", "segment_summary", "revenue_retention", "cohorts", "ar_aging",
    "customer_profitability", "customer_clv", "segment_history", "business_overview",
}  # fmt: skip
CRM = {"customer_sheet", "segment_history", "customer_clv", "business_overview"}


def test_dbt_docs_generate_builds_the_site_with_the_exposures(handmade_run, tmp_path):
    # The catalog reads the warehouse: a copy of the hand-made run's, so the shared one is
    # not touched.
    _, warehouse = handmade_run
    copy = tmp_path / "ledgerlens.duckdb"
    shutil.copyfile(warehouse, copy)
    target = tmp_path / "target"
    run_dbt(copy, target, "docs", "generate", "--static")
    manifest = json.loads((target / "manifest.json").read_text())
    exposures = {
        exposure["name"]: {node.split(".")[-1] for node in exposure["depends_on"]["nodes"]}
        for exposure in manifest["exposures"].values()
    }
    assert exposures == {"html_report": REPORT, "spreadsheet_exports": EXPORTS, "crm_files": CRM}
    # Every mart is in the catalog with its columns as built, so the site shows them.
    catalog = json.loads((target / "catalog.json").read_text())
    marts = {
        unique_id
        for unique_id, node in manifest["nodes"].items()
        if node["resource_type"] == "model" and node["schema"] == "marts"
    }
    assert REPORT <= {unique_id.split(".")[-1] for unique_id in marts}
    for unique_id in marts:
        assert catalog["nodes"][unique_id]["columns"], unique_id
    # The one-file site opens from disk, no server needed.
    site = (target / "static_index.html").read_text()
    assert "html_report" in site and "customer_sheet" in site
