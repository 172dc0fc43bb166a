"""`ledgerlens report`: the HTML pages, opened in a real headless Chromium (Debian's
/usr/bin/chromium, driven by Playwright; scripts/test.sh installs it).

The warehouse is the hand-made dataset's shared run (tests/data/handmade), with two of its
customers renamed in the copy to names that would break a page that did not escape them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from ledgerlens.pages import write_report

CHROMIUM = Path("/usr/bin/chromium")
# As the machine's own probe starts it: no sandbox (root), no GPU, and none of the
# background connections a closed network refuses.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCRIPT_NAME = "<script>alert(1)</script>"
AMPERSAND_NAME = 'Smith & "Sons" <Ltd>'

pytestmark = pytest.mark.slow


def _rename(warehouse: Path, customer_id: str, name: str) -> None:
    """Rename one acme customer in every mart that carries its name."""
    with duckdb.connect(str(warehouse)) as con:
        tables = con.execute(
            "select table_name from information_schema.columns where table_schema = 'marts'"
            " and column_name = 'customer_name' and table_name in (select table_name"
            " from information_schema.columns where table_schema = 'marts'"
            " and column_name = 'customer_id')"
        ).fetchall()
        for (table,) in tables:
            con.execute(
                f"update marts.{table} set customer_name = ?"
                " where business_id = 'acme' and customer_id = ?",
                [name, customer_id],
            )


@pytest.fixture(scope="module")
def warehouse(handmade_run, tmp_path_factory) -> Path:
    """This module's own copy (the session's copy is shared with other files' tests)."""
    copy = tmp_path_factory.mktemp("report-warehouse") / "ledgerlens.duckdb"
    shutil.copyfile(handmade_run[1], copy)
    _rename(copy, "C1", SCRIPT_NAME)  # Alpha Dental
    _rename(copy, "C2", AMPERSAND_NAME)  # Beta Bakery
    return copy


@pytest.fixture(scope="module")
def pages(warehouse, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("report")
    result = write_report(warehouse, out)
    assert [p.name for p in result.pages] == ["index.html", "acme.html", "euro.html"]
    return out


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: scripts/test.sh installs Debian's chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


def _open(browser, path: Path):
    """A page with everything the browser reports collected: console errors, uncaught
    exceptions, dialogs (an alert would mean a name ran as script) and every request."""
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    seen = {"errors": [], "dialogs": [], "requests": []}
    page.on("console", lambda m: seen["errors"].append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: seen["errors"].append(str(e)))
    page.on("dialog", lambda d: (seen["dialogs"].append(d.message), d.dismiss()))
    page.on("request", lambda r: seen["requests"].append(r.url))
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    return page, seen


def test_pages_open_without_errors_and_every_chart_draws(pages, browser):
    for name in ("index.html", "acme.html", "euro.html"):
        page, seen = _open(browser, pages / name)
        assert seen["errors"] == [], name
        assert seen["dialogs"] == [], name
        # Offline: the page asks for nothing but itself.
        assert [u for u in seen["requests"] if not u.startswith(("file:", "data:"))] == []
        charts = page.locator(".chart svg")
        assert charts.count() > 0, name
        for i in range(charts.count()):
            svg = charts.nth(i)
            box = svg.bounding_box()
            assert box and box["width"] > 100 and box["height"] > 50, (name, i)
            # drawn: the SVG holds shapes, not only its frame
            assert svg.locator("path, rect, circle").count() > 3, (name, i)
        page.close()


def test_business_page_shows_the_hand_computed_figures(pages, browser):
    page, _ = _open(browser, pages / "acme.html")
    cards = dict(
        zip(
            page.locator(".card .label").all_inner_texts(),
            page.locator(".card .value").all_inner_texts(),
            strict=True,
        )
    )
    # TTM net sales: C1 1400.00 + C2 350.00 + C3 1312.00 = 3062.00 (tests/test_customer_sheet.py)
    assert cards["TTM NET SALES"] == "3,062 USD"
    # three customers bought in the last 12 months (C4 only ever had a void invoice)
    assert cards["ACTIVE CUSTOMERS"] == "3"
    # every mart the page reads is in this warehouse: no section left out
    assert page.locator(".missing").count() == 0
    page.close()
    index, _ = _open(browser, pages / "index.html")
    # the portfolio lists both businesses, linked, and benchmarks them (portfolio_overview)
    assert index.locator("#businesses tbody a").all_inner_texts() == [
        "Acme Services",
        "Euro Handel GmbH",
    ]
    assert index.locator("#benchmarks tbody tr").count() == 2
    index.close()
    euro, _ = _open(browser, pages / "euro.html")
    # euro's one customer: 500.00 EUR, in the business's own currency
    assert euro.locator(".card .value").first.inner_text() == "500 EUR"
    euro.close()


def test_customer_names_show_as_text(pages, browser):
    html = (pages / "acme.html").read_text(encoding="utf-8")
    assert SCRIPT_NAME not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Smith &amp; &#34;Sons&#34; &lt;Ltd&gt;" in html
    page, seen = _open(browser, pages / "acme.html")
    names = page.locator("#customers tbody td:first-child").all_inner_texts()
    assert SCRIPT_NAME in names and AMPERSAND_NAME in names
    assert seen["dialogs"] == []
    # one <script> in the page: the report's own
    assert page.locator("script").count() == 1
    page.close()


def test_customer_table_sorts_and_filters(pages, browser):
    page, _ = _open(browser, pages / "acme.html")
    table = page.locator("#customers")

    def names() -> list[str]:
        return table.locator("tbody tr:not([hidden]) td:first-child").all_inner_texts()

    ttm = table.locator("thead th", has_text="TTM sales")
    ttm.click()
    # C1 1400.00 > C3 1312.00 > C2 350.00
    assert names() == [SCRIPT_NAME, "Gamma Freight (Canada)", AMPERSAND_NAME]
    ttm.click()
    assert names() == [AMPERSAND_NAME, "Gamma Freight (Canada)", SCRIPT_NAME]
    table.locator("thead th", has_text="customer").first.click()
    assert names() == sorted(names(), reverse=True)
    page.fill("input.table-filter", "freight")
    assert names() == ["Gamma Freight (Canada)"]
    assert page.locator("#customers-count").inner_text() == "1"
    page.screenshot(path=str(pages / "acme.png"), full_page=False)
    assert (pages / "acme.png").stat().st_size > 10_000
    page.close()


def test_a_missing_mart_leaves_a_note_not_a_broken_page(warehouse, browser, tmp_path):
    # a warehouse built before the CLV marts existed
    older = tmp_path / "older.duckdb"
    shutil.copyfile(warehouse, older)
    with duckdb.connect(str(older)) as con:
        con.execute("drop table marts.customer_clv cascade")
    out = tmp_path / "pages"
    write_report(older, out, "acme")
    page, seen = _open(browser, out / "acme.html")
    assert seen["errors"] == []
    note = page.locator("#clv .missing").inner_text()
    assert note == (
        "Left out: this warehouse has no marts.customer_clv (a later `ledgerlens run` builds it)."
    )
    assert page.locator("#segments .chart svg").count() > 0
    page.close()


def test_report_command(warehouse, tmp_path):
    out = tmp_path / "cli"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "ledgerlens.cli",
            "report",
            "--warehouse",
            str(warehouse),
            "--out",
            str(out),
            "--business",
            "euro",
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in out.iterdir()) == ["euro.html", "index.html"]
    # one line naming the portfolio page and how many business pages it links
    (line,) = done.stdout.splitlines()
    assert line.startswith(f"Report: {out / 'index.html'} and 1 business page (")
    missing = subprocess.run(
        [
            sys.executable,
            "-m",
            "ledgerlens.cli",
            "report",
            "--warehouse",
            str(warehouse),
            "--out",
            str(out),
            "--business",
            "nobody",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert missing.returncode == 2
    assert "business 'nobody' is not in" in missing.stdout
