"""What the disclosures show, computed from the release history: plain values for templates.

Every report's disclosures carry the rating distribution of the coverage universe (each
house stock rating's share of the companies with a current published rating); an initiation's
carry a rating and price-target history chart per rated company that was published before
(placed here, numbered after the body's exhibits, so report.yaml needs no edit); a sector
note ends with the stocks it mentions (name, ticker, rating, price, target).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from reportgen import formatting
from reportgen.data.dataset import Dataset
from reportgen.data.history import read_history
from reportgen.models.disclosures import (
    RatingPoint,
    RatingShare,
    current_ratings,
    has_earlier,
    rating_distribution,
    rating_points,
)
from reportgen.reports.base import RenderedExhibit, load_report_types
from reportgen.reports.definition import ExhibitRef, ReportDefinition
from reportgen.reports.history import exhibit_texts, mentioned_companies

HISTORY_EXHIBIT = "rating-history"


@dataclass(frozen=True)
class StockMentioned:
    """One row of a sector note's stocks-mentioned table, as the note's data say."""

    name: str
    ticker: str
    rating: str
    currency: str
    price: float
    price_date: dt.date
    target: float | None


@dataclass(frozen=True)
class Disclosures:
    """The computed parts of a report's disclosures (templates: ``disclosures``)."""

    #: Rating and price-target history charts, one per rated company published before.
    history_exhibits: tuple[RenderedExhibit, ...]
    #: One share per house stock rating (empty when nothing was published).
    distribution: tuple[RatingShare, ...]
    #: Companies with a current published rating (0: the house has published none yet).
    rated: int
    #: The covered companies the report cites, found when a template first asks (only a
    #: sector note's does: finding them reads every company's data).
    mentioned: Callable[[], tuple[StockMentioned, ...]] = field(default=lambda: (), repr=False)

    @functools.cached_property
    def stocks_mentioned(self) -> tuple[StockMentioned, ...]:
        """Rows of the stocks-mentioned table, in company folder order."""
        return self.mentioned()


def stock_ratings(house: Mapping[str, Any]) -> tuple[str, ...]:
    """The house's stock ratings, best first (house.yaml ratings.stock)."""
    ratings = house.get("ratings")
    items = ratings.get("stock") if isinstance(ratings, Mapping) else None
    if not isinstance(items, Sequence):
        return ()
    return tuple(
        str(item["rating"]) for item in items if isinstance(item, Mapping) and "rating" in item
    )


def history_refs(ds: Dataset, definition: ReportDefinition) -> tuple[ExhibitRef, ...]:
    """A rating-history placement for each company the report rates that has an earlier
    publication (a chart of this report's point alone would repeat the first page),
    numbered after the report's own exhibits; one report.yaml places itself is kept."""
    rtype = load_report_types()[definition.type]()
    slugs = [s for s in rtype.history_companies(definition) if s in ds.companies]
    if not slugs:
        return ()
    history = read_history(ds.root.parent)
    placed = {r.name for r in definition.exhibits}
    number = max((r.number for r in definition.exhibits), default=0)
    refs: list[ExhibitRef] = []
    for slug in slugs:
        company = ds.companies[slug]
        name = f"{HISTORY_EXHIBIT}-{slug}"
        current = RatingPoint(
            definition.date, company.rating, company.price_target, company.listing_currency
        )
        if name in placed or not has_earlier(
            rating_points(history, slug, definition.date, current)
        ):
            continue
        number += 1
        params = {"company": slug, "date": definition.date.isoformat()}
        refs.append(
            ExhibitRef(
                HISTORY_EXHIBIT,
                number,
                MappingProxyType(params),
                title=f"{company.short_name}: rating and price target history",
                name=name,
            )
        )
    return tuple(refs)


def with_history_exhibits(ds: Dataset, definition: ReportDefinition) -> ReportDefinition:
    """The definition with its disclosures' rating-history charts placed."""
    return dataclasses.replace(definition, disclosure_exhibits=history_refs(ds, definition))


def stocks_mentioned(ds: Dataset, slugs: Sequence[str]) -> tuple[StockMentioned, ...]:
    """Rows for the covered companies ``slugs``, from their company.yaml (the note's view)."""
    rows = []
    for slug in slugs:
        company = ds.companies[slug]
        rows.append(
            StockMentioned(
                name=company.name,
                ticker=company.ticker,
                rating=company.rating,
                currency=company.listing_currency,
                price=formatting.Quantity(company.price, "share_price"),
                price_date=company.price_date,
                target=formatting.quantity(company.price_target, "target_price"),
            )
        )
    return tuple(rows)


def disclosures(
    ds: Dataset,
    definition: ReportDefinition,
    house: Mapping[str, Any],
    exhibits: Mapping[str, RenderedExhibit],
    prose: Sequence[str | None] = (),
) -> Disclosures:
    """The disclosures' computed parts for one report (``exhibits`` by placement name,
    ``prose`` the report's rendered prose: with the body's exhibits, what it cites)."""
    latest = current_ratings(read_history(ds.root.parent), definition.date)
    shares, rated = rating_distribution(sorted(latest.values()), stock_ratings(house))

    def mentioned() -> tuple[StockMentioned, ...]:
        body = [exhibits[r.name] for s in definition.sections for r in s.exhibits]
        texts = [str(p) for p in prose if p] + list(exhibit_texts(body))
        return stocks_mentioned(ds, mentioned_companies(ds, definition, texts))

    return Disclosures(
        history_exhibits=tuple(exhibits[r.name] for r in definition.disclosure_exhibits),
        distribution=shares,
        rated=rated,
        mentioned=mentioned,
    )
