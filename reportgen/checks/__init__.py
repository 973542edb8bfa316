"""`reportgen check`: every published value that disagrees with its computed value.

Market tables are checked by the schema's declared published/computed columns (tables.py);
companies by their valuation (valuation.py) and their statements (statements.py).
"""

from __future__ import annotations

from reportgen.checks.mismatch import Mismatch
from reportgen.checks.statements import statement_mismatches
from reportgen.checks.tables import table_mismatches
from reportgen.checks.valuation import (
    cost_of_equity_mismatches,
    driver_mismatches,
    payout_mismatches,
    ri_row_mismatches,
    ri_summary_mismatches,
    scenario_mismatches,
)
from reportgen.data.dataset import Dataset
from reportgen.models import company as cm

__all__ = ["Mismatch", "company_mismatches", "find_mismatches", "table_mismatches"]


def find_mismatches(dataset: Dataset) -> list[Mismatch]:
    """Compare each declared published value with its computed value: tables, then companies.

    The data are never edited: a difference is reported, and the analyst decides.
    """
    return table_mismatches(dataset) + company_mismatches(dataset)


def company_mismatches(dataset: Dataset) -> list[Mismatch]:
    """Every company's published values against the computed ones, company by company."""
    found: list[Mismatch] = []
    for slug, cv in cm.value_all(dataset).items():
        company = dataset.companies[slug]
        found += ri_row_mismatches(company, cv)
        found += ri_summary_mismatches(company, cv, dataset.root)
        found += cost_of_equity_mismatches(company, cv)
        found += payout_mismatches(company)
        found += driver_mismatches(company)
        found += scenario_mismatches(company, cv)
        found += statement_mismatches(company)
    return found
