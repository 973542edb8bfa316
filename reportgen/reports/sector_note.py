"""The sector note: a rated industry view built from market tables, prose and exhibits."""

from __future__ import annotations

from typing import Any, ClassVar

from reportgen.data.dataset import Dataset
from reportgen.publish.model import CoveredCompany
from reportgen.reports.base import ReportType, report_type
from reportgen.reports.definition import ReportDefinition
from reportgen.reports.queries import Day0, GpgpuMarket, Market, Shipments


@report_type
class SectorNote(ReportType):
    """A sector note: first page with rating box, then sections of prose and exhibits."""

    name: ClassVar[str] = "sector-note"
    template: ClassVar[str] = "sector_note.html.j2"
    description: ClassVar[str] = "Industry note with a sector rating (e.g. OUTPERFORM)."

    def prose_context(self, ds: Dataset, definition: ReportDefinition) -> dict[str, Any]:
        """Market, Day-0, shipment and GPGPU queries, the covered companies and their
        valuations (read only where prose cites them), plus the report's stated facts."""
        from reportgen.reports.initiation import Lazy, _values

        slugs = tuple(ds.companies)
        return {
            **super().prose_context(ds, definition),
            "companies": Lazy(slugs, lambda slug: ds.companies[slug]),
            "valuations": Lazy(slugs, lambda slug: _values(ds, (slug,), definition.shown)[slug]),
            "market": Market(ds),
            "day0": Day0(ds),
            "shipments": Shipments(ds),
            "gpgpu": GpgpuMarket(ds),
        }

    def release_facts(
        self, ds: Dataset, definition: ReportDefinition
    ) -> tuple[CoveredCompany, ...]:
        """The covered companies the note's prose or exhibits cite (as its stocks-mentioned
        table lists them), each as its company data rate it."""
        from reportgen.reports.history import mentioned_companies, report_texts
        from reportgen.reports.initiation import covered_company_of

        slugs = mentioned_companies(ds, definition, report_texts(ds, definition))
        return tuple(covered_company_of(ds, slug, definition.shown) for slug in slugs)

    def page_context(self, ds: Dataset, definition: ReportDefinition) -> dict[str, Any]:
        """The data as-of line shown under the rating box: the Day-0 catalogue's date where
        the project has it (module ai_sector), else the report's own date."""
        has_day0 = "day0" in ds.names
        return {"data_as_of": ds.day0_catalogue.as_of if has_day0 else definition.date}
