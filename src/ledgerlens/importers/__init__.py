"""Importers: an accounting system's own tables (or its report exports) -> a contract folder.

`import_books("quickbooks-fivetran", [Company("path/or/schema", "acme")], "out/")` reads each
company's source, maps it with the source's module, and writes the eight contract files
(docs/contract.md) with one business per company, plus `import_report/skipped_rows.csv`:
every source row the importer could not map, with the reason (never dropped silently).
`ledgerlens run` then loads the folder as any other export.

A source module (one per SOURCES entry) has:
- `DESCRIPTION`: one line for `ledgerlens import --help`;
- `convert(source: Source, out: Output, company: Company) -> None`: reads the company's
  tables through `source` (DuckDB views, see `ledgerlens.importers.common`) and adds
  contract rows and skipped rows to `out`, in SQL where the data can be large.
Field mappings are documented in docs/import-quickbooks.md and docs/import-xero.md.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path

from ledgerlens.importers.common import Company, ImporterError, ImportResult, Output, open_source

# Source name -> module (imported on use: a source may need a driver the others do not).
SOURCES: dict[str, str] = {
    "quickbooks-fivetran": "ledgerlens.importers.quickbooks_fivetran",
    "quickbooks-csv": "ledgerlens.importers.quickbooks_csv",
    "xero-fivetran": "ledgerlens.importers.xero_fivetran",
    "xero-csv": "ledgerlens.importers.xero_csv",
}

__all__ = [
    "SOURCES",
    "Company",
    "ImporterError",
    "ImportResult",
    "default_business_id",
    "import_books",
]


def source_module(name: str):
    if name not in SOURCES:
        raise ImporterError(f"unknown source {name!r}: one of {', '.join(SOURCES)}")
    return importlib.import_module(SOURCES[name])


def import_books(source_name: str, companies: list[Company], out_dir: str | Path) -> ImportResult:
    """Map every company's books into one contract folder (replacing its contract files)."""
    module = source_module(source_name)
    ids = [company.business_id for company in companies]
    if len(set(ids)) != len(ids):
        raise ImporterError(f"business ids must differ between companies: {', '.join(ids)}")
    out = Output()
    try:
        for company in companies:
            with open_source(company.location, con=out.con) as source:
                module.convert(source, out, company)
        return out.write(Path(out_dir), source_name)
    finally:
        out.close()


def default_business_id(location: str) -> str:
    """A business id from where the books are: the folder's name, the DuckDB schema (or
    file) name, the PostgreSQL schema; lower case, letters, digits and hyphens."""
    if "schema=" in location:
        name = location.split("schema=", 1)[1].split("&", 1)[0]
    elif ".duckdb:" in location:
        name = location.rsplit(":", 1)[1]
    else:
        name = Path(location.rstrip("/")).name.removesuffix(".duckdb")
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug or "business"
