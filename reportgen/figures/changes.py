"""The estimate-changes table: previous and new rating, price target and key estimates.

The previous values are the company's latest release in the release history (any report);
the new ones are this build's, from the same company model the first page's key estimates
use. An initiation places it on its own when the company was published before
(reports/history.py); placed by hand for a company never published, it shows the
initiation (previous values as dashes).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from reportgen import formatting as fmt
from reportgen.data.dataset import Dataset
from reportgen.errors import ExhibitDataError
from reportgen.figures.company_data import NM, named_company
from reportgen.figures.registry import P, TableColumn, TableExhibit, TableGroup, TableRow, exhibit
from reportgen.render.templates import long_date
from reportgen.reports.history import (
    EstimateChanges,
    ReleaseHistory,
    estimate_changes,
    stock_ratings,
)

TITLE = "Rating, price target and key estimates: our last note and this one"
SOURCE = "Our estimates; previous values as published in our last note on the company"


def _report_day(params: Mapping[str, Any]) -> dt.date | None:
    """The report date parameter (releases dated after it are not earlier notes)."""
    raw = params.get("date")
    if raw is None:
        return None
    try:
        return dt.date.fromisoformat(str(raw))
    except ValueError as exc:
        raise ExhibitDataError(f"parameter 'date': expected YYYY-MM-DD, found {raw!r}") from exc


def _change(value: float | None) -> str:
    """A change in percent, signed at one decimal; NM where it means nothing."""
    return NM if value is None else fmt.pct(value, 1, signed=True)


def changes_table(changes: EstimateChanges) -> TableExhibit:
    """Rows for rating and target, then one group per key estimate with a row per year."""
    a = changes.actions
    cur = a.currency
    prev_cur = a.previous_currency or cur
    rating_rows = (
        TableRow(("Rating", a.previous_rating or fmt.DASH, a.rating, a.rating_action)),
        TableRow(
            (
                "Price target",
                fmt.money(a.previous_target, prev_cur, 2),
                fmt.money(a.target, cur, 2),
                a.target_action
                if a.target_change_pct is None
                else f"{a.target_action}, {_change(a.target_change_pct)}",
            )
        ),
    )
    groups = [TableGroup("Rating and price target", rating_rows)]
    labels: dict[tuple[str, str], list[TableRow]] = {}
    for row in changes.rows:
        labels.setdefault((row.label, row.unit), []).append(
            TableRow(
                (
                    row.year,
                    fmt.number(row.previous, 1, parens=True),
                    fmt.number(row.new, 1, parens=True),
                    _change(row.change_pct),
                )
            )
        )
    groups += [
        TableGroup(f"{label} ({unit})", tuple(rows)) for (label, unit), rows in labels.items()
    ]
    notes = []
    if a.previous_date is not None:
        notes.append(f"Previous: our note of {long_date(a.previous_date)}.")
    else:
        notes.append("No earlier note: this is our initiation of coverage.")
    notes.append(
        "E = estimate; negatives in parentheses; NM = not meaningful (from or into a loss)."
    )
    return TableExhibit(
        columns=(
            TableColumn("", "", "left"),
            TableColumn("Previous"),
            TableColumn("New"),
            TableColumn("Change"),
        ),
        groups=tuple(groups),
        notes=tuple(notes),
    )


@exhibit(
    "estimate-changes",
    kind="table",
    title=TITLE,
    source=SOURCE,
    tables=("companies/<slug>/company.yaml", "companies/<slug>/<financials>", "release history"),
    params={
        "company": P.company(),
        "date": P.text("the report date, YYYY-MM-DD (every earlier note if absent)"),
    },
)
def estimate_changes_table(ds: Dataset, params: Mapping[str, Any]) -> TableExhibit:
    """Previous and new rating, target and key estimates of one company, change in percent."""
    from reportgen.reports.initiation import covered_company_of

    company = named_company(ds, params)
    current = covered_company_of(ds, company.slug, f"{company.folder}/company.yaml")
    history = ReleaseHistory.of(ds)
    previous = history.previous(company.slug, _report_day(params), current)
    return changes_table(estimate_changes(previous, current, stock_ratings(ds)))
