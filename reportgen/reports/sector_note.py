"""The sector note: a rated industry view built from market tables, prose and exhibits."""

from __future__ import annotations

from typing import Any, ClassVar

from reportgen.data.dataset import Dataset
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
        """Market, Day-0, shipment and GPGPU queries plus the report's stated facts."""
        return {
            **super().prose_context(ds, definition),
            "market": Market(ds),
            "day0": Day0(ds),
            "shipments": Shipments(ds),
            "gpgpu": GpgpuMarket(ds),
        }

    def page_context(self, ds: Dataset, definition: ReportDefinition) -> dict[str, Any]:
        """The data as-of line shown under the rating box."""
        return {"data_as_of": ds.day0_catalogue.as_of}
